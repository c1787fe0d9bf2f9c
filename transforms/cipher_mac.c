/*
 * cipher_mac: GHASH and the hash-then-encrypt page MAC (cipher_mac.h).
 *
 * GHASH multiplies in GF(2^128) with GCM's reflected bit order: bit 0 of a
 * block is the most significant bit of byte 0. The multiplication walks the
 * 128 bits of one operand and adds the other under a mask, so its time does
 * not depend on the data or on H.
 */
#include <stdint.h>
#include <string.h>
#include "transforms/aes.h"
#include "transforms/cipher_mac.h"
#include "transforms/xts.h"

struct ghash_value {
	uint64_t high;	/* bytes 0..7, big-endian */
	uint64_t low;	/* bytes 8..15, big-endian */
};

static uint64_t ghash_load_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void ghash_store_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* x * y in GCM's field (SP 800-38D, algorithm 1). */
static struct ghash_value ghash_multiply(struct ghash_value x,
					 struct ghash_value y)
{
	struct ghash_value z = { 0, 0 }, v = y;

	for (int i = 0; i < 128; i++) {
		uint64_t word = i < 64 ? x.high : x.low;
		uint64_t bit_mask = (uint64_t)0 - ((word >> (63 - (i & 63))) & 1);
		uint64_t reduce_mask = (uint64_t)0 - (v.low & 1);

		z.high ^= v.high & bit_mask;
		z.low ^= v.low & bit_mask;
		v.low = v.low >> 1 | v.high << 63;
		v.high = (v.high >> 1) ^ (reduce_mask & 0xe100000000000000ull);
	}
	return z;
}

static struct ghash_value ghash_absorb(struct ghash_value acc,
				       struct ghash_value h,
				       const uint8_t block[16])
{
	acc.high ^= ghash_load_be64(block);
	acc.low ^= ghash_load_be64(block + 8);
	return ghash_multiply(acc, h);
}

void cipher_ghash(const uint8_t h_bytes[16], const uint8_t a[16],
		  const uint8_t *c, size_t c_bytes, uint8_t out[16])
{
	struct ghash_value h = { ghash_load_be64(h_bytes),
				 ghash_load_be64(h_bytes + 8) };
	struct ghash_value acc = { 0, 0 };
	uint8_t block[16];

	acc = ghash_absorb(acc, h, a);
	for (size_t offset = 0; offset < c_bytes; offset += 16) {
		size_t chunk = c_bytes - offset < 16 ? c_bytes - offset : 16;

		memset(block, 0, sizeof(block));
		memcpy(block, c + offset, chunk);
		acc = ghash_absorb(acc, h, block);
	}
	ghash_store_be64(block, 16 * 8);			/* len(A) in bits */
	ghash_store_be64(block + 8, (uint64_t)c_bytes * 8);	/* len(C) */
	acc = ghash_absorb(acc, h, block);
	ghash_store_be64(out, acc.high);
	ghash_store_be64(out + 8, acc.low);
	aes_wipe(&h, sizeof(h));
	aes_wipe(&acc, sizeof(acc));
	aes_wipe(block, sizeof(block));
}

static void cipher_mac_domain_block(uint8_t block[16], uint64_t high_word)
{
	memset(block, 0, 16);
	/* The tweak's byte order: bytes 8..15 are the little-endian high half. */
	for (int i = 0; i < 8; i++)
		block[8 + i] = (uint8_t)(high_word >> (8 * i));
}

void cipher_mac_compute(cipher_mac_block_fn encrypt_block,
			cipher_ghash_fn ghash, const void *context,
			const uint8_t tweak[16],
			const uint8_t *sealed, size_t bytes, uint8_t tag[16])
{
	uint8_t h[16], y[16];

	cipher_mac_domain_block(h, XTS_MAC_HASH_KEY_HIGH);
	encrypt_block(context, true, h, h);
	ghash(h, tweak, sealed, bytes, y);
	y[15] |= (uint8_t)(XTS_MAC_TAG_DOMAIN >> 56);
	encrypt_block(context, false, y, tag);
	aes_wipe(h, sizeof(h));
	aes_wipe(y, sizeof(y));
}

bool cipher_tag_equal(const uint8_t *a, const uint8_t *b)
{
	unsigned difference = 0;

	for (int i = 0; i < 16; i++)
		difference |= a[i] ^ b[i];
	return difference == 0;
}
