/*
 * libFuzzer target: round trips. The input (padded or cut to a page, and
 * also taken at its own length for LZ4) goes through every codec and the
 * sealed form; each must decode back exactly, the sealed form must respect
 * its bound, and liblz4 must decode our LZ4 blocks.
 */
#include <lz4.h>
#include "tests/fuzz/fuzz_codec_util.h"

static struct codec_workspace workspace;

static void round_trip(const struct codec_ops *codec, const uint8_t *data,
		       size_t size)
{
	static uint8_t block[CODEC_BOUND(CODEC_LZ4_MAX_INPUT)];
	uint8_t *out = malloc(size ? size : 1);
	size_t length = 0, produced = 0;
	int result = codec->encode(&workspace, data, size, block, sizeof(block), &length);

	if (result == XF_REFUSED) {
		free(out);
		return;
	}
	if (result != XF_OK)
		abort();
	if (codec->id == CODEC_ID_ADAPTIVE && length > size + CODEC_HEADER_BYTES)
		abort();
	if (codec->decode(block, length, out, size, &produced) != XF_OK ||
	    produced != size || memcmp(out, data, size) != 0)
		abort();
	if (codec->id == CODEC_ID_LZ4 &&
	    (LZ4_decompress_safe((const char *)block, (char *)out, (int)length,
				 (int)size) != (int)size ||
	     memcmp(out, data, size) != 0))
		abort();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t page[CODEC_PAGE_BYTES];

	if (size > CODEC_LZ4_MAX_INPUT)
		return 0;
	/* a page: the input repeated, as pages of memory repeat themselves */
	for (size_t i = 0; i < CODEC_PAGE_BYTES; i++)
		page[i] = size ? data[i % size] : 0;
	for (size_t c = 0; codec_table[c]; c++) {
		round_trip(codec_table[c], page, CODEC_PAGE_BYTES);
		if (codec_table[c]->id == CODEC_ID_LZ4 ||
		    codec_table[c]->id == CODEC_ID_ADAPTIVE)
			round_trip(codec_table[c], data, size);
	}
	return 0;
}
