/*
 * libFuzzer target: the LZ4 block decoder on arbitrary bytes, into outputs
 * of a page and of a size taken from the input (so overruns near small
 * limits are reached too).
 */
#include "tests/fuzz/fuzz_codec_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_decode(codec_lz4_decode, data, size, CODEC_PAGE_BYTES);
	if (size >= 2)
		fuzz_decode(codec_lz4_decode, data + 2, size - 2,
			    (size_t)(data[0] | data[1] << 8) % 8192);
	return 0;
}
