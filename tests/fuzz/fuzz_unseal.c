/*
 * libFuzzer target: codec_unseal (the header byte dispatch and every
 * codec's decoder behind it, same-filled included) on arbitrary bytes.
 */
#include "tests/fuzz/fuzz_codec_util.h"

static int unseal(const void *in, size_t in_length, void *out,
		  size_t out_capacity, size_t *out_length)
{
	return codec_unseal(in, in_length, out, out_capacity, out_length);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_decode(unseal, data, size, CODEC_PAGE_BYTES);
	if (size >= 1)
		fuzz_decode(codec_samefill.decode, data + 1, size - 1, CODEC_PAGE_BYTES);
	return 0;
}
