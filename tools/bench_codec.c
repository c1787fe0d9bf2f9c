/*
 * bench-codec: compression ratio and speed of the page codecs on corpus
 * files, each page encoded alone (as the fault path does), side by side
 * with liblz4 (LZ4_compress_default), zstd level 1 and memcpy in the same
 * run. Each measurement is the fastest of several rounds, codecs taking
 * turns within a round so that machine noise hits them alike. A bare codec
 * that refuses or cannot shrink a page is charged the raw page (4096 bytes,
 * a memcpy to decode), as a store would keep it. Prints figures only.
 *
 * Usage: bench-codec [-r ROUNDS] [-c] [-p] FILE...
 * -c times with the thread's CPU clock instead of the wall clock: on a
 * machine other jobs share, time spent descheduled is then not counted
 * (cache and memory contention still are).
 * -p times the codecs in turns of BENCH_TURN_PAGES pages instead of whole
 * files, the order rotated each turn, and sums each turn's fastest time
 * over the rounds: on a host whose speed moves from second to second
 * (other machines' load, a hypervisor's steal time) the codecs compared
 * then run within a millisecond of each other, so their shares hold where
 * the whole-file figures of one run and the next differ by a third.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <lz4.h>
#include <zstd.h>
#include "transforms/codec.h"

#define PAGE CODEC_PAGE_BYTES
#define SLOT (CODEC_BOUND(PAGE) + 64)

enum bench_kind { BENCH_VEIL, BENCH_REF_LZ4, BENCH_REF_ZSTD1, BENCH_REF_MEMCPY };

struct bench_codec {
	const char *name;
	enum bench_kind kind;
	const struct codec_ops *ops;
	uint8_t *blobs;		/* SLOT bytes per page */
	uint32_t *lengths;	/* 0: kept raw */
	double best_encode, best_decode;
	uint64_t compressed;
};

static clockid_t bench_clock = CLOCK_MONOTONIC;

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(bench_clock, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static struct codec_workspace bench_workspace;
static ZSTD_CCtx *bench_cctx;
static ZSTD_DCtx *bench_dctx;

/* Encodes pages [first, first + count) into c's blobs and lengths (0: a
 * page kept raw). */
static void bench_encode(struct bench_codec *c, const uint8_t *pages,
			 size_t first, size_t count)
{
	for (size_t i = first; i < first + count; i++) {
		const uint8_t *page = pages + i * PAGE;
		uint8_t *blob = c->blobs + i * SLOT;
		size_t length = 0;
		int result;

		switch (c->kind) {
		case BENCH_VEIL:
			result = c->ops->encode(&bench_workspace, page, PAGE, blob,
						SLOT, &length);
			if (result != XF_OK || length >= PAGE)
				length = 0;
			break;
		case BENCH_REF_LZ4:
			length = (size_t)LZ4_compress_default((const char *)page,
							      (char *)blob, PAGE, SLOT);
			break;
		case BENCH_REF_ZSTD1:
			length = ZSTD_compressCCtx(bench_cctx, blob, SLOT, page, PAGE, 1);
			if (ZSTD_isError(length))
				length = 0;
			break;
		case BENCH_REF_MEMCPY:
			memcpy(blob, page, PAGE);
			length = PAGE;
			break;
		}
		c->lengths[i] = (uint32_t)length;
	}
}

/* The bytes c keeps for count pages (a raw page: PAGE). */
static uint64_t bench_compressed(const struct bench_codec *c, size_t count)
{
	uint64_t total = 0;

	for (size_t i = 0; i < count; i++)
		total += c->lengths[i] ? c->lengths[i] : PAGE;
	return total;
}

/* Decodes pages [first, first + count) of c into out; a page kept raw is
 * copied from the original, as a store would. Returns the failures. */
static int bench_decode(struct bench_codec *c, const uint8_t *pages,
			uint8_t *out, size_t first, size_t count)
{
	int failures = 0;

	for (size_t i = first; i < first + count; i++) {
		const uint8_t *blob = c->blobs + i * SLOT;
		uint8_t *page = out + i * PAGE;
		size_t length = c->lengths[i], produced = 0;

		if (length == 0) {
			memcpy(page, pages + i * PAGE, PAGE);
			continue;
		}
		switch (c->kind) {
		case BENCH_VEIL:
			failures += c->ops->decode(blob, length, page, PAGE,
						   &produced) != XF_OK;
			break;
		case BENCH_REF_LZ4:
			failures += LZ4_decompress_safe((const char *)blob,
							(char *)page, (int)length,
							PAGE) != PAGE;
			break;
		case BENCH_REF_ZSTD1:
			failures += ZSTD_decompressDCtx(bench_dctx, page, PAGE, blob,
							length) != PAGE;
			break;
		case BENCH_REF_MEMCPY:
			memcpy(page, blob, PAGE);
			break;
		}
	}
	return failures;
}

/* Decodes c's pages [first, first + count) timed, checks them against
 * the originals (exits on a difference) and returns the time taken. */
static double bench_decode_checked(struct bench_codec *c, const char *path,
				   const uint8_t *pages, uint8_t *out,
				   size_t first, size_t count)
{
	double start, took;
	int failures;

	memset(out + first * PAGE, 0, count * PAGE);
	start = bench_now();
	failures = bench_decode(c, pages, out, first, count);
	took = bench_now() - start;
	if (failures || memcmp(out + first * PAGE, pages + first * PAGE,
			       count * PAGE) != 0) {
		fprintf(stderr, "%s: codec %s does not round-trip\n", path, c->name);
		exit(1);
	}
	return took;
}

/* Pages a turn with -p: 8 pages take tens of microseconds for every codec
 * here but memcpy, against a clock read of tens of nanoseconds. */
#define BENCH_TURN_PAGES 8u

/* Whole files in turn: each codec's fastest encode and decode of all
 * pages over the rounds. */
static void bench_whole(struct bench_codec *codecs, size_t codec_count,
			const char *path, const uint8_t *pages, uint8_t *out,
			size_t count, unsigned rounds)
{
	for (unsigned round = 0; round < rounds; round++) {
		for (size_t c = 0; c < codec_count; c++) {
			double start = bench_now(), took;

			bench_encode(&codecs[c], pages, 0, count);
			took = bench_now() - start;
			if (took < codecs[c].best_encode)
				codecs[c].best_encode = took;
		}
		for (size_t c = 0; c < codec_count; c++) {
			double took = bench_decode_checked(&codecs[c], path, pages,
							   out, 0, count);

			if (took < codecs[c].best_decode)
				codecs[c].best_decode = took;
		}
	}
}

/* Turns of BENCH_TURN_PAGES pages (-p): every codec encodes a turn's
 * pages, the order rotated from turn to turn, then decodes them likewise;
 * each codec's times are the sums over the turns of its fastest time for
 * each turn over the rounds. */
static void bench_turns(struct bench_codec *codecs, size_t codec_count,
			const char *path, const uint8_t *pages, uint8_t *out,
			size_t count, unsigned rounds)
{
	size_t turns = (count + BENCH_TURN_PAGES - 1) / BENCH_TURN_PAGES;
	double *best = malloc(codec_count * turns * 2 * sizeof(double));

	if (!best) {
		fprintf(stderr, "bench-codec: out of memory\n");
		exit(1);
	}
	for (size_t k = 0; k < codec_count * turns * 2; k++)
		best[k] = 1e30;
	for (unsigned round = 0; round < rounds; round++) {
		for (size_t turn = 0; turn < turns; turn++) {
			size_t first = turn * BENCH_TURN_PAGES;
			size_t n = count - first < BENCH_TURN_PAGES ?
				   count - first : BENCH_TURN_PAGES;

			for (size_t k = 0; k < codec_count; k++) {
				size_t c = (k + turn + round) % codec_count;
				double *slot = &best[(c * turns + turn) * 2];
				double start = bench_now(), took;

				bench_encode(&codecs[c], pages, first, n);
				took = bench_now() - start;
				if (took < slot[0])
					slot[0] = took;
			}
			for (size_t k = 0; k < codec_count; k++) {
				size_t c = (k + turn + round) % codec_count;
				double *slot = &best[(c * turns + turn) * 2];
				double took = bench_decode_checked(&codecs[c], path,
								   pages, out, first, n);

				if (took < slot[1])
					slot[1] = took;
			}
		}
	}
	for (size_t c = 0; c < codec_count; c++) {
		codecs[c].best_encode = codecs[c].best_decode = 0;
		for (size_t turn = 0; turn < turns; turn++) {
			codecs[c].best_encode += best[(c * turns + turn) * 2];
			codecs[c].best_decode += best[(c * turns + turn) * 2 + 1];
		}
	}
	free(best);
}

/* -p: time in turns of BENCH_TURN_PAGES pages (bench_turns). */
static bool bench_by_turns;

/* Prints the figures of every codec on the whole pages of the file at
 * path (a file without one is an error: exit 1). */
static void bench_file(const char *path, unsigned rounds)
{
	struct bench_codec codecs[16];
	size_t codec_count = 0, count;
	uint8_t *pages, *out;
	long size;
	FILE *file = fopen(path, "rb");

	if (!file) {
		perror(path);
		exit(1);
	}
	fseek(file, 0, SEEK_END);
	size = ftell(file);
	rewind(file);
	count = (size_t)size / PAGE;
	if (count == 0) {
		fprintf(stderr, "%s: no whole page (%ld bytes)\n", path, size);
		exit(1);
	}
	pages = malloc(count * PAGE + 1);
	out = malloc(count * PAGE + 64);
	if (!pages || !out || fread(pages, PAGE, count, file) != count) {
		fprintf(stderr, "%s: cannot read\n", path);
		exit(1);
	}
	fclose(file);

	for (size_t i = 0; codec_table[i]; i++)
		codecs[codec_count++] = (struct bench_codec){
			.name = codec_table[i]->name, .kind = BENCH_VEIL,
			.ops = codec_table[i] };
	codecs[codec_count++] = (struct bench_codec){ .name = "ref-lz4", .kind = BENCH_REF_LZ4 };
	codecs[codec_count++] = (struct bench_codec){ .name = "ref-zstd1", .kind = BENCH_REF_ZSTD1 };
	codecs[codec_count++] = (struct bench_codec){ .name = "ref-memcpy", .kind = BENCH_REF_MEMCPY };
	for (size_t c = 0; c < codec_count; c++) {
		codecs[c].blobs = malloc(count * SLOT);
		codecs[c].lengths = calloc(count, sizeof(uint32_t));
		codecs[c].best_encode = codecs[c].best_decode = 1e30;
	}

	if (bench_by_turns)
		bench_turns(codecs, codec_count, path, pages, out, count, rounds);
	else
		bench_whole(codecs, codec_count, path, pages, out, count, rounds);
	for (size_t c = 0; c < codec_count; c++)
		codecs[c].compressed = bench_compressed(&codecs[c], count);

	printf("# file=%s pages=%zu rounds=%u clock=%s timing=%s\n", path, count,
	       rounds, bench_clock == CLOCK_MONOTONIC ? "wall" : "thread-cpu",
	       bench_by_turns ? "turns" : "whole");
	for (size_t c = 0; c < codec_count; c++) {
		double bytes = (double)count * PAGE;

		printf("codec=%s ratio=%.3f comp_mbps=%.0f decomp_mbps=%.0f\n",
		       codecs[c].name, bytes / (double)codecs[c].compressed,
		       bytes / codecs[c].best_encode / 1e6,
		       bytes / codecs[c].best_decode / 1e6);
		free(codecs[c].blobs);
		free(codecs[c].lengths);
	}
	free(pages);
	free(out);
}

int main(int argc, char **argv)
{
	unsigned rounds = 7;
	int first = 1;

	while (first < argc && argv[first][0] == '-') {
		if (strcmp(argv[first], "-r") == 0 && first + 1 < argc) {
			rounds = (unsigned)atoi(argv[first + 1]);
			first += 2;
		} else if (strcmp(argv[first], "-c") == 0) {
			bench_clock = CLOCK_THREAD_CPUTIME_ID;
			first++;
		} else if (strcmp(argv[first], "-p") == 0) {
			bench_by_turns = true;
			first++;
		} else {
			break;
		}
	}
	if (first >= argc || rounds == 0 || argv[first][0] == '-') {
		fprintf(stderr, "usage: bench-codec [-r ROUNDS] [-c] [-p] FILE...\n");
		return 2;
	}
	bench_cctx = ZSTD_createCCtx();
	bench_dctx = ZSTD_createDCtx();
	for (int i = first; i < argc; i++)
		bench_file(argv[i], rounds);
	ZSTD_freeCCtx(bench_cctx);
	ZSTD_freeDCtx(bench_dctx);
	return 0;
}
