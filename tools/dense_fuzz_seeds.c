/*
 * dense-fuzz-seeds: writes the seeds of the dense_decode fuzz target
 * (tests/fuzz/seeds/dense_decode/): valid dense blocks, so that the fuzzer
 * starts from inputs that reach past the header. Made again whenever the
 * dense format changes (`make dense-fuzz-seeds`), never by hand or at
 * random: the synthetic pages of the codec host tests (each kind at
 * lengths 17, 300 and 4096; small and incompressible ones too, whose
 * blocks are longer than their input, since those reach other paths) and
 * the first pages of a corpus file.
 *
 * Usage: dense-fuzz-seeds OUTDIR CORPUS_FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include "transforms/codec.h"
#include "tests/host/test_codec_util.h"

#define PAGE CODEC_PAGE_BYTES
#define SEED_CORPUS_PAGES 6

static struct codec_workspace seeds_workspace;

/* Encodes length bytes and writes the block to OUTDIR/name; false on an
 * error (reported). */
static bool seeds_write(const char *folder, const char *name,
			const uint8_t *data, size_t length)
{
	static uint8_t block[CODEC_BOUND(PAGE)];
	char path[512];
	size_t encoded;
	FILE *file;
	int result = codec_dense_encode(&seeds_workspace, data, length, block,
					sizeof(block), &encoded);

	if (result != XF_OK) {
		fprintf(stderr, "dense-fuzz-seeds: %s: encoder result %d\n", name, result);
		return false;
	}
	snprintf(path, sizeof(path), "%s/%s", folder, name);
	file = fopen(path, "wb");
	if (!file || fwrite(block, 1, encoded, file) != encoded || fclose(file) != 0) {
		perror(path);
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	static const size_t lengths[] = { 17, 300, PAGE };
	static uint8_t page[PAGE];
	char name[64];
	FILE *corpus;

	if (argc != 3) {
		fprintf(stderr, "usage: dense-fuzz-seeds OUTDIR CORPUS_FILE\n");
		return 2;
	}
	for (unsigned kind = 0; kind < TEST_CODEC_KINDS; kind++)
		for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
			test_codec_page(page, lengths[l], kind, 1);
			snprintf(name, sizeof(name), "kind%u-len%zu", kind, lengths[l]);
			if (!seeds_write(argv[1], name, page, lengths[l]))
				return 1;
		}
	corpus = fopen(argv[2], "rb");
	if (!corpus) {
		perror(argv[2]);
		return 1;
	}
	for (unsigned i = 0; i < SEED_CORPUS_PAGES; i++) {
		if (fread(page, 1, PAGE, corpus) != PAGE) {
			fprintf(stderr, "dense-fuzz-seeds: %s: fewer than %u pages\n",
				argv[2], SEED_CORPUS_PAGES);
			return 1;
		}
		snprintf(name, sizeof(name), "corpus-%u", i);
		if (!seeds_write(argv[1], name, page, PAGE))
			return 1;
	}
	fclose(corpus);
	return 0;
}
