/*
 * aes: the constant-time portable AES-128/AES-256 block cipher (FIPS-197).
 *
 * The state of four blocks is held bitsliced in eight 64-bit words, so that
 * SubBytes is a boolean computation (inversion in GF(2^8) by a fixed chain of
 * multiplications, then the affine map) and no table is ever indexed by
 * secret data. It needs only general-purpose registers, so it builds under
 * the kernel's -mgeneral-regs-only flags and is the fallback when the CPU has
 * no AES-NI. The round keys live in a struct the caller owns (a stack buffer
 * in practice) and must wipe with aes_ct_wipe() when done.
 */
#ifndef VEIL_TRANSFORMS_AES_H
#define VEIL_TRANSFORMS_AES_H

#include <stddef.h>
#include <stdint.h>

#define AES_BLOCK_BYTES   16
#define AES128_KEY_BYTES  16
#define AES256_KEY_BYTES  32
#define AES_MAX_ROUNDS    14
/* Blocks processed together by one bitsliced call. */
#define AES_CT_LANES      4

/* Expanded round keys in bitsliced form (each key repeated in the 4 lanes). */
struct aes_ct_schedule {
	uint64_t round_words[AES_MAX_ROUNDS + 1][8];
	unsigned rounds;	/* 10 for AES-128, 14 for AES-256 */
};

/* Expands a 16- or 32-byte key; returns -1 (schedule untouched) for any
 * other length, 0 on success. */
int aes_ct_expand(struct aes_ct_schedule *schedule, const uint8_t *key,
		  unsigned key_bytes);

/* Encrypts/decrypts AES_CT_LANES consecutive 16-byte blocks (64 bytes);
 * in and out may be the same buffer. */
void aes_ct_encrypt4(const struct aes_ct_schedule *schedule,
		     const uint8_t in[64], uint8_t out[64]);
void aes_ct_decrypt4(const struct aes_ct_schedule *schedule,
		     const uint8_t in[64], uint8_t out[64]);

/* One block, for vectors and one-off uses (expands and wipes internally). */
int aes_encrypt_block(const uint8_t *key, unsigned key_bytes,
		      const uint8_t in[16], uint8_t out[16]);
int aes_decrypt_block(const uint8_t *key, unsigned key_bytes,
		      const uint8_t in[16], uint8_t out[16]);

/* The FIPS-197 key expansion in byte form (4 * (rounds + 1) words), computed
 * with the constant-time S-box; the AES-NI cross-checks use it. */
int aes_ct_expand_bytes(const uint8_t *key, unsigned key_bytes,
			uint8_t round_keys[(AES_MAX_ROUNDS + 1) * 16]);

/* Overwrites key material so that the compiler cannot drop the stores. */
void aes_wipe(void *buffer, size_t bytes);
void aes_ct_wipe(struct aes_ct_schedule *schedule);

#endif
