/*
 * cipher_mac: the per-page MAC of sealed pages, a hash-then-encrypt MAC
 * built from AES alone (no second primitive):
 *
 *   H   = E_K1(hash-key block)           (bit 127 set, bit 126 clear)
 *   Y   = GHASH_H(tweak, sealed bytes)   (GCM's GHASH, GCM length block)
 *   tag = E_K2(Y with bits 127 and 126 set)
 *
 * Both keys enter the tag, so a wrong K1 or a wrong K2 fails the check.
 * Tweak values have bit 127 clear, so the tag's input is never a tweak
 * input of K2; K1's own inputs are P ^ T with T secret, so no caller can
 * steer a data block onto the hash-key block. Unlike GMAC, the final encryption takes the hash itself
 * rather than a nonce, so sealing the same page index many times (every
 * eviction does) never reuses a nonce. GHASH is either the portable,
 * constant-time one (bitwise, masks, no tables) or the PCLMULQDQ one; both
 * are constant-time.
 */
#ifndef VEIL_TRANSFORMS_CIPHER_MAC_H
#define VEIL_TRANSFORMS_CIPHER_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* E_K1 (data_key) or E_K2 of one block, from the cipher implementation. */
typedef void (*cipher_mac_block_fn)(const void *context, bool data_key,
				    const uint8_t in[16], uint8_t out[16]);

/* A GHASH implementation (portable or PCLMULQDQ, identical results). */
typedef void (*cipher_ghash_fn)(const uint8_t h[16], const uint8_t a[16],
				const uint8_t *c, size_t c_bytes,
				uint8_t out[16]);

void cipher_mac_compute(cipher_mac_block_fn encrypt_block,
			cipher_ghash_fn ghash, const void *context,
			const uint8_t tweak[16],
			const uint8_t *sealed, size_t bytes, uint8_t tag[16]);

/* GHASH_H(a, c) as GCM defines it (SP 800-38D), one 16-byte block of
 * associated data; constant-time in H and the data. */
void cipher_ghash(const uint8_t h[16], const uint8_t a[16], const uint8_t *c,
		  size_t c_bytes, uint8_t out[16]);

/* The same with PCLMULQDQ (transforms/cipher_ghash_simd.c): only inside an
 * FPU section, on a CPU with PCLMULQDQ and SSSE3. */
void cipher_ghash_pclmul(const uint8_t h[16], const uint8_t a[16],
			 const uint8_t *c, size_t c_bytes, uint8_t out[16]);

/* Constant-time comparison of two tags. */
bool cipher_tag_equal(const uint8_t *a, const uint8_t *b);

#endif
