/*
 * The XOR debugging transform: each 8-byte word of the page is XORed with a
 * pattern derived from the page's identity (region, index, word number). It
 * works in place, so as the first step of a chain it scrambles the page
 * itself: an access through a TLB entry that should have been invalidated,
 * or a page mapped without being unsealed, reads visibly wrong data instead
 * of silently right data. Not a cipher: the pattern is public.
 */
#include <string.h>
#include "transforms/xf.h"

/* A 64-bit mixer (an avalanche of multiply and xor-shift steps) so that
 * neighbouring pages and words get unrelated patterns. */
static uint64_t xf_xor_mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	x ^= x >> 33;
	return x;
}

uint64_t xf_xor_pattern(const struct xf_page_id *page, size_t word)
{
	uint64_t seed = xf_xor_mix(page->region_id * 0x9e3779b97f4a7c15ull ^
				   page->page_index);

	/* Never zero, so that no word of a scrambled page equals the clear one. */
	return xf_xor_mix(seed + word) | 1;
}

static int xf_xor_apply(void *context, const struct xf_page_id *page,
			const void *in, size_t in_length, void *out,
			size_t out_capacity, size_t *out_length)
{
	const unsigned char *src = in;
	unsigned char *dst = out;
	size_t word;

	(void)context;
	if (in_length > out_capacity)
		return XF_NO_SPACE;
	/* Whole words through memcpy (no alignment assumed), then the tail. */
	for (word = 0; word * 8 + 8 <= in_length; word++) {
		uint64_t value;

		memcpy(&value, src + word * 8, 8);
		value ^= xf_xor_pattern(page, word);
		memcpy(dst + word * 8, &value, 8);
	}
	if (word * 8 < in_length) {
		uint64_t pattern = xf_xor_pattern(page, word);

		for (size_t i = word * 8; i < in_length; i++)
			dst[i] = src[i] ^ (unsigned char)(pattern >> (8 * (i % 8)));
	}
	*out_length = in_length;
	return XF_OK;
}

static const struct xf_ops xf_xor_debug_ops = {
	.name = "xor-debug",
	.in_place = true,
	.max_growth = 0,
	.seal = xf_xor_apply,
	.unseal = xf_xor_apply,
};

struct xf_transform xf_xor_debug = { .ops = &xf_xor_debug_ops };
