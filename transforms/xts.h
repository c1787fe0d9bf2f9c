/*
 * xts: XTS-AES (IEEE 1619) helpers shared by the portable and the AES-NI
 * implementations: the tweak of a page, multiplication by alpha, and the
 * portable (bitsliced, constant-time) encryption of one data unit.
 *
 * A data unit is at least one 16-byte block (a 4 KiB page is 256 blocks);
 * a partial last block is handled by ciphertext stealing in the cipher
 * layer (transforms/cipher.c), on top of the whole-block functions here.
 */
#ifndef VEIL_TRANSFORMS_XTS_H
#define VEIL_TRANSFORMS_XTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XTS_TWEAK_BYTES 16
/* The largest data unit the implementations accept (IEEE 1619 allows up to
 * 2^20 blocks; Veil only ever seals pages). */
#define XTS_MAX_UNIT_BYTES (1u << 16)

/*
 * The tweak value of a page: the 128-bit little-endian integer
 * index + 2^64 * region, as IEEE 1619 encodes a data unit sequence number.
 * Region ids must be below 2^63: the top bit is kept for the MAC's own
 * inputs, so that no MAC input ever equals a tweak (docs/encryption.md).
 */
#define XTS_REGION_MAX ((1ull << 63) - 1)
void xts_tweak_from_page(uint64_t region, uint64_t page_index,
			 uint8_t tweak[XTS_TWEAK_BYTES]);

/* T = T * alpha in GF(2^128) with the IEEE 1619 byte order. */
void xts_multiply_alpha(uint8_t t[XTS_TWEAK_BYTES]);

/* True for data unit lengths the ciphers accept: 16 bytes (one block) to
 * XTS_MAX_UNIT_BYTES. */
bool xts_length_valid(size_t bytes);

/*
 * Portable XTS over whole blocks first_block .. first_block + blocks - 1 of
 * the data unit named by tweak: key1 encrypts the data, key2 the tweak,
 * each key_bytes (16 or 32) long. in and out may be the same buffer. The
 * round keys live in a stack schedule that is wiped before return.
 */
void xts_portable_blocks(const uint8_t *key1, const uint8_t *key2,
			 unsigned key_bytes,
			 const uint8_t tweak[XTS_TWEAK_BYTES],
			 size_t first_block, bool decrypt, const uint8_t *in,
			 uint8_t *out, size_t blocks);

/*
 * The fixed blocks from which an AES-256 tweak key K2 is derived when only
 * the 256-bit K1 is kept (the debug registers hold 256 bits):
 * K2 = AES-256_K1(D0) || AES-256_K1(D1). Each block is given as its two
 * little-endian 64-bit halves.
 */
#define XTS_DERIVE_D0_LOW  0x327479656b2d6576	/* "ve-keyt2" */
#define XTS_DERIVE_D0_HIGH 0x0000000000000000
#define XTS_DERIVE_D1_LOW  0x327479656b2d6576
#define XTS_DERIVE_D1_HIGH 0x0000000000000001

/*
 * MAC inputs are kept apart from tweak values (bit 127 clear) and from each
 * other: the hash key block has bit 127 set and bit 126 clear, the hashed
 * value gets both bits set before its final encryption.
 */
#define XTS_MAC_HASH_KEY_HIGH 0x8000000000000000ull
#define XTS_MAC_TAG_DOMAIN    0xc000000000000000ull

/* K2 from K1 for the 32-byte AES-256 material (see above), portable. */
void xts_derive_tweak_key(const uint8_t key1[32], uint8_t key2[32]);

#endif
