/*
 * xts: the portable XTS-AES data unit and the tweak helpers (IEEE 1619).
 *
 * C_j = E_K1(P_j ^ T_j) ^ T_j with T_0 = E_K2(tweak value) and
 * T_{j+1} = T_j * alpha. Blocks go four at a time through the bitsliced AES,
 * which is also why the tweak encryption costs one four-lane call.
 */
#include <stdint.h>
#include <string.h>
#include "transforms/aes.h"
#include "transforms/xts.h"

static uint64_t xts_load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void xts_store_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void xts_tweak_from_page(uint64_t region, uint64_t page_index,
			 uint8_t tweak[XTS_TWEAK_BYTES])
{
	xts_store_le64(tweak, page_index);
	xts_store_le64(tweak + 8, region);
}

void xts_multiply_alpha(uint8_t t[XTS_TWEAK_BYTES])
{
	uint64_t low = xts_load_le64(t), high = xts_load_le64(t + 8);
	/* The carry out of bit 127 folds back as x^7 + x^2 + x + 1 (0x87);
	 * a mask rather than a branch keeps it constant-time. */
	uint64_t carry = (uint64_t)0 - (high >> 63);

	high = high << 1 | low >> 63;
	low = low << 1 ^ (carry & 0x87);
	xts_store_le64(t, low);
	xts_store_le64(t + 8, high);
}

bool xts_length_valid(size_t bytes)
{
	return bytes >= AES_BLOCK_BYTES && bytes <= XTS_MAX_UNIT_BYTES;
}

void xts_portable_blocks(const uint8_t *key1, const uint8_t *key2,
			 unsigned key_bytes,
			 const uint8_t tweak[XTS_TWEAK_BYTES],
			 size_t first_block, bool decrypt, const uint8_t *in,
			 uint8_t *out, size_t blocks)
{
	struct aes_ct_schedule schedule;
	uint8_t lanes[64] = { 0 }, tweaks[64], t[16];

	/* T_first = E_K2(tweak value) * alpha^first. */
	aes_ct_expand(&schedule, key2, key_bytes);
	memcpy(lanes, tweak, XTS_TWEAK_BYTES);
	aes_ct_encrypt4(&schedule, lanes, lanes);
	memcpy(t, lanes, 16);
	for (size_t i = 0; i < first_block; i++)
		xts_multiply_alpha(t);

	aes_ct_expand(&schedule, key1, key_bytes);
	for (size_t first = 0; first < blocks; first += AES_CT_LANES) {
		size_t count = blocks - first < AES_CT_LANES ?
			       blocks - first : AES_CT_LANES;

		for (size_t n = 0; n < count; n++) {
			memcpy(tweaks + 16 * n, t, 16);
			for (int i = 0; i < 16; i++)
				lanes[16 * n + i] = in[16 * (first + n) + i] ^ t[i];
			xts_multiply_alpha(t);
		}
		if (decrypt)
			aes_ct_decrypt4(&schedule, lanes, lanes);
		else
			aes_ct_encrypt4(&schedule, lanes, lanes);
		for (size_t n = 0; n < count; n++)
			for (int i = 0; i < 16; i++)
				out[16 * (first + n) + i] =
					lanes[16 * n + i] ^ tweaks[16 * n + i];
	}
	aes_ct_wipe(&schedule);
	aes_wipe(lanes, sizeof(lanes));
	aes_wipe(tweaks, sizeof(tweaks));
	aes_wipe(t, sizeof(t));
}

void xts_derive_tweak_key(const uint8_t key1[32], uint8_t key2[32])
{
	struct aes_ct_schedule schedule;
	uint8_t lanes[64] = { 0 };

	xts_store_le64(lanes, XTS_DERIVE_D0_LOW);
	xts_store_le64(lanes + 8, XTS_DERIVE_D0_HIGH);
	xts_store_le64(lanes + 16, XTS_DERIVE_D1_LOW);
	xts_store_le64(lanes + 24, XTS_DERIVE_D1_HIGH);
	aes_ct_expand(&schedule, key1, AES256_KEY_BYTES);
	aes_ct_encrypt4(&schedule, lanes, lanes);
	memcpy(key2, lanes, 32);
	aes_ct_wipe(&schedule);
	aes_wipe(lanes, sizeof(lanes));
}
