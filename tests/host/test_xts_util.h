/*
 * Small helpers shared by the cipher host tests (test_aes.c, test_xts.c)
 * and tools/bench_crypt.c: hex decoding and a reproducible filler.
 */
#ifndef VEIL_TESTS_HOST_TEST_XTS_UTIL_H
#define VEIL_TESTS_HOST_TEST_XTS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static inline int crypt_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

/* Decodes exactly `bytes` bytes of hex. */
static inline void crypt_hex_decode(const char *hex, uint8_t *out, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++)
		out[i] = (uint8_t)(crypt_hex_digit(hex[2 * i]) << 4 |
				   crypt_hex_digit(hex[2 * i + 1]));
}

/* rand()-based, so srand() makes a run reproducible. */
static inline void crypt_fill_random(uint8_t *out, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++)
		out[i] = (uint8_t)(rand() >> 7);
}

#endif
