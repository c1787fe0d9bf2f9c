/*
 * libFuzzer target: the WKdm decoder on arbitrary bytes. Inputs shorter
 * than the 256 tag bytes are padded by repeating them, so that the area
 * arithmetic behind the tags is what the fuzzer explores.
 */
#include "tests/fuzz/fuzz_codec_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_decode(codec_wkdm_decode, data, size, CODEC_PAGE_BYTES);
	if (size > 0 && size < 4096) {
		/* tags from the input repeated, then the input again: lengths
		 * that often match what the tags imply */
		uint8_t buffer[4096 + 256];
		size_t length = 256 + size;

		for (size_t i = 0; i < 256; i++)
			buffer[i] = data[i % size];
		memcpy(buffer + 256, data, size);
		fuzz_decode(codec_wkdm_decode, buffer, length, CODEC_PAGE_BYTES);
	}
	return 0;
}
