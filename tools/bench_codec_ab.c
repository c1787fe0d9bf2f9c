/*
 * bench-codec-ab: one codec of two builds (A: a base revision, B: the
 * working tree) in one process, timed page by page in turn. Separate runs
 * of one build move by several percent on a shared machine (frequency,
 * neighbours) and with the code's placement; here each page is decoded
 * (and encoded) by A and by B back to back, the order swapped every round,
 * and each side's fastest time for each page is summed, so that what
 * moves the machine moves both. tools/bench-codec-ab builds the two sides
 * (each build's global symbols renamed a_... and b_...) and runs this
 * twice, the second time with the builds' places swapped: a difference
 * that is the placement's shows up as the same side winning both times.
 * Prints figures only.
 *
 * Usage: bench-codec-ab [-k dense|lz4] [-r ROUNDS] FILE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 4096u
/* Room for either build's block and workspace, whatever their sizes. */
#define SLOT (2 * PAGE)
#define WORKSPACE_BYTES (1u << 20)

typedef int (*ab_encode_fn)(void *workspace, const void *in, size_t in_length,
			    void *out, size_t out_capacity, size_t *out_length);
typedef int (*ab_decode_fn)(const void *in, size_t in_length, void *out,
			    size_t out_capacity, size_t *out_length);

/* Both builds' entry points, renamed by tools/bench-codec-ab. */
#define AB_DECLARE(side, codec)                                                \
	int side##_codec_##codec##_encode(void *, const void *, size_t, void *, \
					   size_t, size_t *);                   \
	int side##_codec_##codec##_decode(const void *, size_t, void *, size_t, \
					   size_t *);
AB_DECLARE(a, dense)
AB_DECLARE(b, dense)
AB_DECLARE(a, lz4)
AB_DECLARE(b, lz4)

/* One side: its codec, workspace, blocks and per-page best times. */
struct ab_side {
	ab_encode_fn encode;
	ab_decode_fn decode;
	void *workspace;
	uint8_t *blocks;	/* SLOT bytes a page */
	size_t *lengths;	/* 0: the page kept raw */
	uint64_t *best_encode, *best_decode;
	uint64_t bytes;
};

static uint64_t ab_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void ab_side_free(struct ab_side *s)
{
	free(s->workspace);
	free(s->blocks);
	free(s->lengths);
	free(s->best_encode);
	free(s->best_decode);
}

static void ab_side_init(struct ab_side *s, size_t pages)
{
	s->workspace = calloc(1, WORKSPACE_BYTES);
	s->blocks = malloc(pages * SLOT);
	s->lengths = calloc(pages, sizeof(size_t));
	s->best_encode = malloc(pages * sizeof(uint64_t));
	s->best_decode = malloc(pages * sizeof(uint64_t));
	if (!s->workspace || !s->blocks || !s->lengths || !s->best_encode ||
	    !s->best_decode) {
		fprintf(stderr, "bench-codec-ab: out of memory\n");
		exit(1);
	}
	memset(s->best_encode, 0xff, pages * sizeof(uint64_t));
	memset(s->best_decode, 0xff, pages * sizeof(uint64_t));
}

/* Encodes every page once and checks that the block decodes to it; a
 * page the codec refuses or cannot shrink is kept raw (charged 4096
 * bytes, as a store would). Returns 0, or 1 on a mismatch. */
static int ab_side_encode_all(struct ab_side *s, const char *name,
			      const uint8_t *pages, size_t count)
{
	static uint8_t out[PAGE];

	s->bytes = 0;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *page = pages + (size_t)i * PAGE;
		size_t length = 0, decoded = 0;

		if (s->encode(s->workspace, page, PAGE, s->blocks + i * SLOT, SLOT,
			      &length) != 0 || length >= PAGE)
			length = 0;
		s->lengths[i] = length;
		s->bytes += length ? length : PAGE;
		if (length && (s->decode(s->blocks + i * SLOT, length, out, PAGE,
					 &decoded) != 0 ||
			       decoded != PAGE || memcmp(out, page, PAGE) != 0)) {
			fprintf(stderr, "bench-codec-ab: %s does not round-trip page %zu\n",
				name, i);
			return 1;
		}
	}
	return 0;
}

/* Times one page with one side, keeping the fastest. */
static void ab_time_page(struct ab_side *s, const uint8_t *page, size_t i,
			 int encode)
{
	static uint8_t out[SLOT];
	size_t length;
	uint64_t start = ab_now(), spent;

	if (encode)
		s->encode(s->workspace, page, PAGE, out, SLOT, &length);
	else if (s->lengths[i])
		s->decode(s->blocks + i * SLOT, s->lengths[i], out, PAGE, &length);
	else
		memcpy(out, page, PAGE);
	spent = ab_now() - start;
	if (encode && spent < s->best_encode[i])
		s->best_encode[i] = spent;
	if (!encode && spent < s->best_decode[i])
		s->best_decode[i] = spent;
}

static double ab_sum(const uint64_t *best, size_t count)
{
	double sum = 0;

	for (size_t i = 0; i < count; i++)
		sum += (double)best[i];
	return sum;
}

/* Loads a corpus file of whole pages; NULL (said) if it cannot. */
static uint8_t *ab_load(const char *path, size_t *count)
{
	FILE *file = fopen(path, "rb");
	uint8_t *pages;
	long size;

	if (!file || fseek(file, 0, SEEK_END) != 0 || (size = ftell(file)) < (long)PAGE) {
		fprintf(stderr, "bench-codec-ab: %s: not a corpus of whole pages\n", path);
		if (file)
			fclose(file);
		return NULL;
	}
	rewind(file);
	*count = (size_t)size / PAGE;
	pages = malloc(*count * PAGE);
	if (!pages || fread(pages, PAGE, *count, file) != *count) {
		fprintf(stderr, "bench-codec-ab: %s: cannot read it\n", path);
		free(pages);
		pages = NULL;
	}
	fclose(file);
	return pages;
}

static int ab_file(const char *path, const char *codec, struct ab_side *a,
		   struct ab_side *b, int rounds)
{
	size_t count;
	uint8_t *pages = ab_load(path, &count);
	double decode_a, decode_b, encode_a, encode_b;

	if (!pages)
		return 1;
	ab_side_init(a, count);
	ab_side_init(b, count);
	if (ab_side_encode_all(a, "A", pages, count) ||
	    ab_side_encode_all(b, "B", pages, count)) {
		free(pages);
		ab_side_free(a);
		ab_side_free(b);
		return 1;
	}
	for (int r = 0; r < rounds; r++) {
		for (size_t i = 0; i < count; i++) {
			const uint8_t *page = pages + i * PAGE;
			struct ab_side *first = r % 2 ? b : a, *second = r % 2 ? a : b;

			ab_time_page(first, page, i, 0);
			ab_time_page(second, page, i, 0);
			ab_time_page(first, page, i, 1);
			ab_time_page(second, page, i, 1);
		}
	}
	decode_a = ab_sum(a->best_decode, count);
	decode_b = ab_sum(b->best_decode, count);
	encode_a = ab_sum(a->best_encode, count);
	encode_b = ab_sum(b->best_encode, count);
	printf("file=%s codec=%s pages=%zu rounds=%d bytes_a=%llu bytes_b=%llu "
	       "decode_ns_a=%.0f decode_ns_b=%.0f decode_b_over_a=%.3f "
	       "encode_ns_a=%.0f encode_ns_b=%.0f encode_b_over_a=%.3f\n",
	       path, codec, count, rounds, (unsigned long long)a->bytes,
	       (unsigned long long)b->bytes, decode_a / count, decode_b / count,
	       decode_b / decode_a, encode_a / count, encode_b / count,
	       encode_b / encode_a);
	free(pages);
	ab_side_free(a);
	ab_side_free(b);
	return 0;
}

int main(int argc, char **argv)
{
	const char *codec = "dense";
	struct ab_side a = { 0 }, b = { 0 };
	int rounds = 15, first = 1, status = 0;

	while (first + 1 < argc && argv[first][0] == '-') {
		if (strcmp(argv[first], "-k") == 0)
			codec = argv[first + 1];
		else if (strcmp(argv[first], "-r") == 0)
			rounds = atoi(argv[first + 1]);
		else
			break;
		first += 2;
	}
	if (first >= argc || rounds < 1) {
		fprintf(stderr, "usage: bench-codec-ab [-k dense|lz4] [-r ROUNDS] FILE...\n");
		return 2;
	}
	if (strcmp(codec, "dense") == 0) {
		a.encode = a_codec_dense_encode;
		a.decode = a_codec_dense_decode;
		b.encode = b_codec_dense_encode;
		b.decode = b_codec_dense_decode;
	} else if (strcmp(codec, "lz4") == 0) {
		a.encode = a_codec_lz4_encode;
		a.decode = a_codec_lz4_decode;
		b.encode = b_codec_lz4_encode;
		b.decode = b_codec_lz4_decode;
	} else {
		fprintf(stderr, "bench-codec-ab: no codec '%s' (dense, lz4)\n", codec);
		return 2;
	}
	for (int i = first; i < argc; i++)
		status |= ab_file(argv[i], codec, &a, &b, rounds);
	return status;
}
