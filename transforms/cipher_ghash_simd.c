/*
 * cipher_ghash_simd: GHASH with PCLMULQDQ, for the MAC of the AES-NI
 * ciphers (same result as cipher_ghash() in cipher_mac.c, which the host
 * tests check). Carry-less 128x128 multiplication in four PCLMULQDQs, the
 * one-bit shift that GCM's reflected bit order needs, then the reduction
 * modulo x^128 + x^7 + x^2 + x + 1 by shifts (the method of Intel's
 * carry-less multiplication white paper). Blocks are byte-swapped on load.
 *
 * Only called between fpu_begin() and fpu_end(), after a CPUID check for
 * PCLMULQDQ and SSSE3. The target attribute lets host builds compile it
 * without global flags; kernel builds compile *_simd.c with them anyway.
 */
#include <stdint.h>
#include <string.h>
#include <immintrin.h>
#include "transforms/cipher_mac.h"

#define GHASH_TARGET __attribute__((target("pclmul,ssse3,sse2")))

GHASH_TARGET static __m128i ghash_byte_swap(__m128i x)
{
	const __m128i reverse = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
					     11, 12, 13, 14, 15);

	return _mm_shuffle_epi8(x, reverse);
}

/* A 256-bit carry-less product, not yet shifted nor reduced. Products
 * add (XOR) in this form, so several can share one reduction. */
struct ghash_wide {
	__m128i low, high;
};

/* *sum ^= a * b, carry-less, 256 bits wide (four PCLMULQDQs). */
GHASH_TARGET static void ghash_multiply_add(struct ghash_wide *sum, __m128i a,
					    __m128i b)
{
	__m128i middle = _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x10),
				       _mm_clmulepi64_si128(a, b, 0x01));

	sum->low = _mm_xor_si128(sum->low, _mm_clmulepi64_si128(a, b, 0x00));
	sum->high = _mm_xor_si128(sum->high, _mm_clmulepi64_si128(a, b, 0x11));
	sum->low = _mm_xor_si128(sum->low, _mm_slli_si128(middle, 8));
	sum->high = _mm_xor_si128(sum->high, _mm_srli_si128(middle, 8));
}

/* The field element a wide product stands for: shifted left one bit (the
 * reflected bit order) and reduced modulo x^128 + x^7 + x^2 + x + 1. */
GHASH_TARGET static __m128i ghash_reduce(struct ghash_wide product)
{
	__m128i low = product.low, high = product.high;
	__m128i carry_low, carry_high, carry_top, t1, t2, t3;

	/* The 256-bit product high:low shifted left by one bit. */
	carry_low = _mm_srli_epi32(low, 31);
	carry_high = _mm_srli_epi32(high, 31);
	low = _mm_slli_epi32(low, 1);
	high = _mm_slli_epi32(high, 1);
	carry_top = _mm_srli_si128(carry_low, 12);
	carry_high = _mm_slli_si128(carry_high, 4);
	carry_low = _mm_slli_si128(carry_low, 4);
	low = _mm_or_si128(low, carry_low);
	high = _mm_or_si128(high, carry_high);
	high = _mm_or_si128(high, carry_top);

	/* Reduction, first phase. */
	t1 = _mm_slli_epi32(low, 31);
	t2 = _mm_slli_epi32(low, 30);
	t3 = _mm_slli_epi32(low, 25);
	t1 = _mm_xor_si128(_mm_xor_si128(t1, t2), t3);
	t2 = _mm_srli_si128(t1, 4);
	t1 = _mm_slli_si128(t1, 12);
	low = _mm_xor_si128(low, t1);

	/* Second phase. */
	t1 = _mm_srli_epi32(low, 1);
	t3 = _mm_srli_epi32(low, 2);
	t1 = _mm_xor_si128(t1, t3);
	t3 = _mm_srli_epi32(low, 7);
	t1 = _mm_xor_si128(t1, t3);
	t1 = _mm_xor_si128(t1, t2);
	low = _mm_xor_si128(low, t1);
	return _mm_xor_si128(high, low);
}

GHASH_TARGET static __m128i ghash_multiply_simd(__m128i a, __m128i b)
{
	struct ghash_wide product = { _mm_setzero_si128(), _mm_setzero_si128() };

	ghash_multiply_add(&product, a, b);
	return ghash_reduce(product);
}

static inline __m128i ghash_load_block(const uint8_t *block)
{
	return _mm_loadu_si128((const __m128i *)block);
}

/*
 * Four blocks at once: ((acc ^ X1) H^4) ^ (X2 H^3) ^ (X3 H^2) ^ (X4 H),
 * which equals four one-block steps, with a single shift and reduction
 * (powers[i] = H^(i+1)). The reduction is most of a step's instructions.
 */
GHASH_TARGET static __m128i ghash_absorb4_simd(__m128i acc,
					       const __m128i powers[4],
					       const uint8_t *blocks)
{
	struct ghash_wide sum = { _mm_setzero_si128(), _mm_setzero_si128() };

	acc = _mm_xor_si128(acc, ghash_byte_swap(ghash_load_block(blocks)));
	ghash_multiply_add(&sum, acc, powers[3]);
	ghash_multiply_add(&sum, ghash_byte_swap(ghash_load_block(blocks + 16)),
			   powers[2]);
	ghash_multiply_add(&sum, ghash_byte_swap(ghash_load_block(blocks + 32)),
			   powers[1]);
	ghash_multiply_add(&sum, ghash_byte_swap(ghash_load_block(blocks + 48)),
			   powers[0]);
	return ghash_reduce(sum);
}

GHASH_TARGET static __m128i ghash_absorb_simd(__m128i acc, __m128i h,
					      const uint8_t block[16])
{
	__m128i x = ghash_byte_swap(_mm_loadu_si128((const __m128i *)block));

	return ghash_multiply_simd(_mm_xor_si128(acc, x), h);
}

GHASH_TARGET void cipher_ghash_pclmul(const uint8_t h_bytes[16],
				      const uint8_t a[16], const uint8_t *c,
				      size_t c_bytes, uint8_t out[16])
{
	__m128i h = ghash_byte_swap(_mm_loadu_si128((const __m128i *)h_bytes));
	__m128i acc = _mm_setzero_si128();
	uint8_t block[16];
	size_t whole = c_bytes & ~(size_t)15;

	__m128i powers[4];
	size_t offset = 0;

	acc = ghash_absorb_simd(acc, h, a);
	if (whole >= 64) {
		powers[0] = h;
		for (int i = 1; i < 4; i++)
			powers[i] = ghash_multiply_simd(powers[i - 1], h);
		for (; offset + 64 <= whole; offset += 64)
			acc = ghash_absorb4_simd(acc, powers, c + offset);
	}
	for (; offset < whole; offset += 16)
		acc = ghash_absorb_simd(acc, h, c + offset);
	if (whole < c_bytes) {
		memset(block, 0, sizeof(block));
		memcpy(block, c + whole, c_bytes - whole);
		acc = ghash_absorb_simd(acc, h, block);
	}
	/* Length block: len(A) = 128 bits, len(C) in bits, big-endian. */
	for (int i = 0; i < 8; i++) {
		block[i] = (uint8_t)((uint64_t)128 >> (56 - 8 * i));
		block[8 + i] = (uint8_t)(((uint64_t)c_bytes * 8) >> (56 - 8 * i));
	}
	acc = ghash_absorb_simd(acc, h, block);
	_mm_storeu_si128((__m128i *)out, ghash_byte_swap(acc));
	memset(block, 0, sizeof(block));
	/* H's powers are as secret as H (the caller wipes its own copy). */
	for (int i = 0; i < 4; i++)
		powers[i] = _mm_setzero_si128();
	__asm__ __volatile__("" : : "r"(powers) : "memory");
	__asm__ __volatile__("" : : "r"(block) : "memory");
}
