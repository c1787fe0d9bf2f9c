/*
 * xts_aesni: XTS-AES with AES-NI, each data unit in one inline-assembly
 * statement (transforms/xts_aesni_simd.c) so that the key, the round keys
 * and the tweak key never leave the CPU's registers. Callers must be inside
 * fpu_begin()/fpu_end() and must have checked CPUID (AES-NI and SSE4.1).
 */
#ifndef VEIL_TRANSFORMS_XTS_AESNI_H
#define VEIL_TRANSFORMS_XTS_AESNI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cipher_key_source;

/*
 * XTS over blocks first_block .. first_block + blocks - 1 of the data unit
 * named by tweak; in and out 16-byte aligned (may be equal). key_bytes is
 * 16 or 32; the key source was validated by the caller.
 */
void xts_aesni_crypt(const struct cipher_key_source *key, unsigned key_bytes,
		     bool decrypt, const uint8_t tweak[16], size_t first_block,
		     const uint8_t *in, uint8_t *out, size_t blocks);

/* out = E_K1(in) (data_key) or E_K2(in): one block, for the MAC. */
void xts_aesni_encrypt_key_block(const struct cipher_key_source *key,
				 unsigned key_bytes, bool data_key,
				 const uint8_t in[16], uint8_t out[16]);

#endif
