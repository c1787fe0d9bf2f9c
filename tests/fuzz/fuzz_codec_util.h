/*
 * Shared by the codec fuzz targets: decode input into an exact-size heap
 * buffer (so ASan catches a write one byte past it) and insist that a
 * decoder reporting success stayed within its output.
 */
#ifndef VEIL_TESTS_FUZZ_CODEC_UTIL_H
#define VEIL_TESTS_FUZZ_CODEC_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "transforms/codec.h"

static inline void fuzz_decode(int (*decode)(const void *, size_t, void *, size_t, size_t *),
			       const uint8_t *data, size_t size, size_t capacity)
{
	/* copies: the fuzzer's buffer may be larger than size */
	uint8_t *in = malloc(size ? size : 1);
	uint8_t *out = malloc(capacity ? capacity : 1);
	size_t produced = 0;
	int result;

	memcpy(in, data, size);
	result = decode(in, size, out, capacity, &produced);
	if (result == XF_OK && produced > capacity)
		abort();
	if (result != XF_OK && result != XF_CORRUPT && result != XF_NO_SPACE)
		abort();
	free(in);
	free(out);
}

#endif
