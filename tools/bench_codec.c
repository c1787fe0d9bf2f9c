/*
 * bench-codec: compression ratio and speed of the page codecs on corpus
 * files, each page encoded alone (as the fault path does), side by side
 * with liblz4 (LZ4_compress_default), zstd level 1 and memcpy in the same
 * run. Each measurement is the fastest of several rounds, codecs taking
 * turns within a round so that machine noise hits them alike. A bare codec
 * that refuses or cannot shrink a page is charged the raw page (4096 bytes,
 * a memcpy to decode), as a store would keep it. Prints figures only.
 *
 * Usage: bench-codec [-r ROUNDS] [-c] FILE...
 * -c times with the thread's CPU clock instead of the wall clock: on a
 * machine other jobs share, time spent descheduled is then not counted
 * (cache and memory contention still are).
 */
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

static void bench_encode(struct bench_codec *c, const uint8_t *pages, size_t count)
{
	uint64_t total = 0;

	for (size_t i = 0; i < count; i++) {
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
		total += length ? length : PAGE;
	}
	c->compressed = total;
}

static int bench_decode(struct bench_codec *c, uint8_t *out, size_t count)
{
	int failures = 0;

	for (size_t i = 0; i < count; i++) {
		const uint8_t *blob = c->blobs + i * SLOT;
		uint8_t *page = out + i * PAGE;
		size_t length = c->lengths[i], produced = 0;

		if (length == 0) {
			memcpy(page, blob, 0);	/* nothing stored: raw below */
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

/* Raw pages are decoded by a copy from the original, as a store would. */
static void bench_copy_raw(struct bench_codec *c, const uint8_t *pages,
			   uint8_t *out, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (c->lengths[i] == 0)
			memcpy(out + i * PAGE, pages + i * PAGE, PAGE);
}

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

	for (unsigned round = 0; round < rounds; round++) {
		for (size_t c = 0; c < codec_count; c++) {
			double start = bench_now(), took;

			bench_encode(&codecs[c], pages, count);
			took = bench_now() - start;
			if (took < codecs[c].best_encode)
				codecs[c].best_encode = took;
		}
		for (size_t c = 0; c < codec_count; c++) {
			double start = bench_now(), took;
			int failures;

			memset(out, 0, count * PAGE);
			start = bench_now();
			failures = bench_decode(&codecs[c], out, count);
			bench_copy_raw(&codecs[c], pages, out, count);
			took = bench_now() - start;
			if (failures || memcmp(out, pages, count * PAGE) != 0) {
				fprintf(stderr, "%s: codec %s does not round-trip\n",
					path, codecs[c].name);
				exit(1);
			}
			if (took < codecs[c].best_decode)
				codecs[c].best_decode = took;
		}
	}

	printf("# file=%s pages=%zu rounds=%u clock=%s\n", path, count, rounds,
	       bench_clock == CLOCK_MONOTONIC ? "wall" : "thread-cpu");
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
		} else {
			break;
		}
	}
	if (first >= argc || rounds == 0 || argv[first][0] == '-') {
		fprintf(stderr, "usage: bench-codec [-r ROUNDS] [-c] FILE...\n");
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
