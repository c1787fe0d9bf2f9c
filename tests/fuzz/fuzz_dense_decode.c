/*
 * libFuzzer target: the dense decoder on arbitrary bytes, into a page and
 * into an output whose size the input's first two bytes choose (so the
 * checks near small limits are reached too), then the encoder and decoder
 * on the input taken as a page, which must round-trip.
 */
#include "tests/fuzz/fuzz_codec_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct codec_workspace workspace;
	static uint8_t block[CODEC_BOUND(CODEC_PAGE_BYTES)], back[CODEC_PAGE_BYTES];
	size_t length, decoded;

	fuzz_decode(codec_dense_decode, data, size, CODEC_PAGE_BYTES);
	if (size >= 2)
		fuzz_decode(codec_dense_decode, data + 2, size - 2,
			    (size_t)(data[0] | data[1] << 8) % 8192);
	if (size >= 1 && size <= CODEC_PAGE_BYTES) {
		if (codec_dense_encode(&workspace, data, size, block, sizeof(block),
				       &length) != XF_OK ||
		    codec_dense_decode(block, length, back, size, &decoded) != XF_OK ||
		    decoded != size || memcmp(back, data, size) != 0)
			abort();
	}
	return 0;
}
