/*
 * cipher: the page-cipher ops tables, selection by CPUID, and the seal and
 * restore entry points (validation, FPU sections, MAC check before any
 * decryption).
 *
 * The AES-NI ciphers never see key bytes in C: xts_aesni_simd.c loads them
 * inside its asm. The portable ciphers need the key bytes in memory: they
 * copy the material (from the debug registers in the kernel) into a stack
 * buffer for the duration of the call and wipe it before returning
 * (docs/encryption.md says what that does and does not protect).
 */
#include <stdint.h>
#include <string.h>
#include "kernel/lib/cpu_features.h"
#include "kernel/lib/fpu.h"
#include "transforms/aes.h"
#include "transforms/cipher.h"
#include "transforms/cipher_mac.h"
#include "transforms/xts.h"
#include "transforms/xts_aesni.h"
#ifndef VEIL_HOST
#include "kernel/keyreg.h"
#endif

bool cipher_key_source_valid(const struct cipher_ops *cipher,
			     const struct cipher_key_source *key)
{
	if (!cipher || !key)
		return false;
	switch (key->kind) {
	case CIPHER_KEY_MEMORY:
		if (!key->material)
			return false;
		if (cipher->key_bytes == AES128_KEY_BYTES)
			return key->material_bytes == 32;
		return key->material_bytes == 32 || key->material_bytes == 64;
	case CIPHER_KEY_CPU_REGISTERS:
#ifdef VEIL_HOST
		return false;	/* user space cannot read debug registers */
#else
		return true;
#endif
	}
	return false;
}

/* The portable ciphers' view of the key: K1 and K2 in one stack buffer. */
struct cipher_portable_keys {
	uint8_t bytes[64];	/* K1 then K2, each key_bytes long */
	unsigned key_bytes;
};

static void cipher_portable_load(const struct cipher_key_source *key,
				 unsigned key_bytes,
				 struct cipher_portable_keys *keys)
{
	unsigned material_bytes = 32;

	keys->key_bytes = key_bytes;
	if (key->kind == CIPHER_KEY_MEMORY) {
		material_bytes = key->material_bytes;
		memcpy(keys->bytes, key->material, material_bytes);
	}
#ifndef VEIL_HOST
	else {
		keyreg_read(keys->bytes);
	}
#endif
	if (key_bytes == AES256_KEY_BYTES && material_bytes == 32)
		xts_derive_tweak_key(keys->bytes, keys->bytes + 32);
}

static void cipher_portable_crypt(const struct cipher_key_source *key,
				  unsigned key_bytes, const uint8_t tweak[16],
				  size_t first_block, bool decrypt,
				  const uint8_t *in, uint8_t *out, size_t blocks)
{
	struct cipher_portable_keys keys;

	cipher_portable_load(key, key_bytes, &keys);
	xts_portable_blocks(keys.bytes, keys.bytes + key_bytes, key_bytes,
			    tweak, first_block, decrypt, in, out, blocks);
	aes_wipe(&keys, sizeof(keys));
}

static void cipher_portable_key_block(const void *context, bool data_key,
				      const uint8_t in[16], uint8_t out[16])
{
	const struct cipher_portable_keys *keys = context;

	aes_encrypt_block(keys->bytes + (data_key ? 0 : keys->key_bytes),
			  keys->key_bytes, in, out);
}

static void cipher_portable_mac(const struct cipher_key_source *key,
				unsigned key_bytes, const uint8_t tweak[16],
				const uint8_t *sealed, size_t bytes,
				uint8_t tag[16])
{
	struct cipher_portable_keys keys;

	cipher_portable_load(key, key_bytes, &keys);
	cipher_mac_compute(cipher_portable_key_block, cipher_ghash, &keys, tweak,
			   sealed, bytes, tag);
	aes_wipe(&keys, sizeof(keys));
}

static bool cipher_has_pclmul(void)
{
	static int cached = -1;	/* -1: not asked yet (see below) */

	if (__atomic_load_n(&cached, __ATOMIC_RELAXED) < 0)
		__atomic_store_n(&cached, cpu_has(CPU_FEATURE_CARRYLESS_MULTIPLY),
				 __ATOMIC_RELAXED);
	return cached == 1;
}

struct cipher_aesni_mac_context {
	const struct cipher_key_source *key;
	unsigned key_bytes;
};

static void cipher_aesni_key_block(const void *context, bool data_key,
				   const uint8_t in[16], uint8_t out[16])
{
	const struct cipher_aesni_mac_context *mac = context;

	xts_aesni_encrypt_key_block(mac->key, mac->key_bytes, data_key, in, out);
}

static void cipher_aesni_mac(const struct cipher_key_source *key,
			     unsigned key_bytes, const uint8_t tweak[16],
			     const uint8_t *sealed, size_t bytes,
			     uint8_t tag[16])
{
	struct cipher_aesni_mac_context context = { key, key_bytes };

	cipher_mac_compute(cipher_aesni_key_block,
			   cipher_has_pclmul() ? cipher_ghash_pclmul : cipher_ghash,
			   &context, tweak,
			   sealed, bytes, tag);
}

static bool cipher_portable_available(void)
{
	return true;
}

/*
 * CPUID is asked once: it is a serialising instruction and, under a
 * hypervisor, a VM exit costing microseconds, more than sealing a page.
 * The answer never changes, so racing first callers store the same value.
 */
static bool cipher_aesni_available(void)
{
	static int cached = -1;	/* -1: not asked yet, else 0 or 1 */

	if (__atomic_load_n(&cached, __ATOMIC_RELAXED) < 0) {
		bool present = cpu_has(CPU_FEATURE_AES_ROUNDS);

		__atomic_store_n(&cached, present ? 1 : 0, __ATOMIC_RELAXED);
	}
	return cached == 1 && fpu_available();
}

/* The ops tables, one small adapter per (implementation, key size). */
#define CIPHER_DEFINE(variable, cipher_name, bytes, simd, avail, crypt, mac_fn)\
	static void variable##_blocks(const struct cipher_key_source *key,     \
				      const uint8_t tweak[16],                 \
				      size_t first_block, bool decrypt,        \
				      const uint8_t *in, uint8_t *out,         \
				      size_t blocks)                           \
	{                                                                      \
		crypt(key, bytes, tweak, first_block, decrypt, in, out,        \
		      blocks);                                                 \
	}                                                                      \
	static void variable##_mac(const struct cipher_key_source *key,        \
				   const uint8_t tweak[16],                    \
				   const uint8_t *sealed, size_t length,       \
				   uint8_t tag[CIPHER_TAG_BYTES])              \
	{                                                                      \
		mac_fn(key, bytes, tweak, sealed, length, tag);                \
	}                                                                      \
	const struct cipher_ops variable = {                                   \
		.name = cipher_name,                                           \
		.key_bytes = bytes,                                            \
		.uses_simd = simd,                                             \
		.available = avail,                                            \
		.crypt_blocks = variable##_blocks,                             \
		.mac = variable##_mac,                                         \
	}

static void cipher_aesni_crypt(const struct cipher_key_source *key,
			       unsigned key_bytes, const uint8_t tweak[16],
			       size_t first_block, bool decrypt,
			       const uint8_t *in, uint8_t *out, size_t blocks)
{
	xts_aesni_crypt(key, key_bytes, decrypt, tweak, first_block, in, out,
			blocks);
}

CIPHER_DEFINE(cipher_aes128_xts_aesni, "aes128-xts-aesni", 16, true,
	      cipher_aesni_available, cipher_aesni_crypt, cipher_aesni_mac);
CIPHER_DEFINE(cipher_aes256_xts_aesni, "aes256-xts-aesni", 32, true,
	      cipher_aesni_available, cipher_aesni_crypt, cipher_aesni_mac);
CIPHER_DEFINE(cipher_aes128_xts_portable, "aes128-xts-portable", 16, false,
	      cipher_portable_available, cipher_portable_crypt,
	      cipher_portable_mac);
CIPHER_DEFINE(cipher_aes256_xts_portable, "aes256-xts-portable", 32, false,
	      cipher_portable_available, cipher_portable_crypt,
	      cipher_portable_mac);

const struct cipher_ops *const cipher_all[] = {
	&cipher_aes128_xts_aesni,
	&cipher_aes256_xts_aesni,
	&cipher_aes128_xts_portable,
	&cipher_aes256_xts_portable,
	NULL,
};

const struct cipher_ops *cipher_lookup(const char *name)
{
	for (int i = 0; cipher_all[i]; i++)
		if (strcmp(cipher_all[i]->name, name) == 0)
			return cipher_all[i];
	return NULL;
}

const struct cipher_ops *cipher_select(unsigned key_bytes)
{
	/* cipher_all lists the fastest first. */
	for (int i = 0; cipher_all[i]; i++)
		if (cipher_all[i]->key_bytes == key_bytes &&
		    cipher_all[i]->available())
			return cipher_all[i];
	return NULL;
}

/* Blocks bounced through this many aligned bytes when a caller's buffer is
 * not 16-byte aligned (each chunk recomputes the key schedule). */
#define CIPHER_BOUNCE_BYTES 512

static bool cipher_aligned(const void *pointer)
{
	return (uintptr_t)pointer % 16 == 0;
}

/* Whole blocks at any alignment. */
static void cipher_blocks(const struct cipher_ops *cipher,
			  const struct cipher_key_source *key,
			  const uint8_t tweak[16], size_t first_block,
			  bool decrypt, const uint8_t *in, uint8_t *out,
			  size_t blocks)
{
	_Alignas(16) uint8_t bounce[CIPHER_BOUNCE_BYTES];
	size_t chunk_blocks = CIPHER_BOUNCE_BYTES / AES_BLOCK_BYTES;

	if (blocks == 0)
		return;
	if (cipher_aligned(in) && cipher_aligned(out)) {
		cipher->crypt_blocks(key, tweak, first_block, decrypt, in, out,
				     blocks);
		return;
	}
	for (size_t done = 0; done < blocks; done += chunk_blocks) {
		size_t count = blocks - done < chunk_blocks ? blocks - done :
							      chunk_blocks;

		memcpy(bounce, in + done * AES_BLOCK_BYTES,
		       count * AES_BLOCK_BYTES);
		cipher->crypt_blocks(key, tweak, first_block + done, decrypt,
				     bounce, bounce, count);
		memcpy(out + done * AES_BLOCK_BYTES, bounce,
		       count * AES_BLOCK_BYTES);
	}
	aes_wipe(bounce, sizeof(bounce));
}

/*
 * IEEE 1619 ciphertext stealing for n full blocks and r (1..15) trailing
 * bytes. Encryption: block n - 1 is encrypted normally to CC; the last,
 * short ciphertext is CC's first r bytes; P_n padded with CC's tail is
 * encrypted with tweak n and becomes block n - 1. Decryption undoes that:
 * block n - 1 with tweak n first, then the rebuilt block with tweak n - 1.
 * Each value is read before its place in out is written, so in == out works.
 */
static void cipher_steal(const struct cipher_ops *cipher,
			 const struct cipher_key_source *key,
			 const uint8_t tweak[16], bool decrypt,
			 const uint8_t *in, uint8_t *out, size_t n, size_t r)
{
	_Alignas(16) uint8_t last_full[16], stolen[16];
	size_t tail = n * AES_BLOCK_BYTES, previous = tail - AES_BLOCK_BYTES;

	if (!decrypt) {
		cipher_blocks(cipher, key, tweak, 0, false, in, out, n);
		memcpy(last_full, out + previous, 16);
		memcpy(stolen, in + tail, r);
		memcpy(stolen + r, last_full + r, 16 - r);
		memcpy(out + tail, last_full, r);
		cipher->crypt_blocks(key, tweak, n, false, stolen, stolen, 1);
		memcpy(out + previous, stolen, 16);
	} else {
		cipher_blocks(cipher, key, tweak, 0, true, in, out, n - 1);
		memcpy(last_full, in + previous, 16);
		cipher->crypt_blocks(key, tweak, n, true, last_full, last_full, 1);
		memcpy(stolen, in + tail, r);
		memcpy(stolen + r, last_full + r, 16 - r);
		memcpy(out + tail, last_full, r);
		cipher->crypt_blocks(key, tweak, n - 1, true, stolen, stolen, 1);
		memcpy(out + previous, stolen, 16);
	}
	aes_wipe(last_full, sizeof(last_full));
	aes_wipe(stolen, sizeof(stolen));
}

void cipher_crypt_unit(const struct cipher_ops *cipher,
		       const struct cipher_key_source *key,
		       const uint8_t tweak[16], bool decrypt, const uint8_t *in,
		       uint8_t *out, size_t bytes)
{
	size_t n = bytes / AES_BLOCK_BYTES, r = bytes % AES_BLOCK_BYTES;

	if (r == 0)
		cipher_blocks(cipher, key, tweak, 0, decrypt, in, out, n);
	else
		cipher_steal(cipher, key, tweak, decrypt, in, out, n, r);
}

static int cipher_check(const struct cipher_ops *cipher,
			const struct cipher_key_source *key, uint64_t region,
			const void *in, const void *out, size_t bytes)
{
	if (!cipher || !in || !out)
		return CIPHER_ERROR_INVALID;
	if (!cipher->available())
		return CIPHER_ERROR_UNAVAILABLE;
	if (!cipher_key_source_valid(cipher, key))
		return CIPHER_ERROR_INVALID;
	if (region > XTS_REGION_MAX || !xts_length_valid(bytes))
		return CIPHER_ERROR_INVALID;
	return CIPHER_OK;
}

int cipher_seal_page(const struct cipher_ops *cipher,
		     const struct cipher_key_source *key, uint64_t region,
		     uint64_t page_index, const void *in, void *out,
		     size_t bytes, uint8_t *tag)
{
	uint8_t tweak[XTS_TWEAK_BYTES];
	unsigned long flags = 0;
	int status = cipher_check(cipher, key, region, in, out, bytes);

	if (status != CIPHER_OK)
		return status;
	xts_tweak_from_page(region, page_index, tweak);
	if (cipher->uses_simd)
		flags = fpu_begin();
	cipher_crypt_unit(cipher, key, tweak, false, in, out, bytes);
	if (tag)
		cipher->mac(key, tweak, out, bytes, tag);
	if (cipher->uses_simd)
		fpu_end(flags);
	return CIPHER_OK;
}

int cipher_restore_page(const struct cipher_ops *cipher,
			const struct cipher_key_source *key, uint64_t region,
			uint64_t page_index, const void *in, void *out,
			size_t bytes, const uint8_t *tag)
{
	uint8_t tweak[XTS_TWEAK_BYTES], expected[CIPHER_TAG_BYTES];
	unsigned long flags = 0;
	int status = cipher_check(cipher, key, region, in, out, bytes);

	if (status != CIPHER_OK)
		return status;
	xts_tweak_from_page(region, page_index, tweak);
	if (cipher->uses_simd)
		flags = fpu_begin();
	if (tag) {
		cipher->mac(key, tweak, in, bytes, expected);
		if (!cipher_tag_equal(expected, tag))
			status = CIPHER_ERROR_TAG;
	}
	if (status == CIPHER_OK)
		cipher_crypt_unit(cipher, key, tweak, true, in, out, bytes);
	if (cipher->uses_simd)
		fpu_end(flags);
	return status;
}

const char *cipher_status_name(int status)
{
	switch (status) {
	case CIPHER_OK:
		return "ok";
	case CIPHER_ERROR_INVALID:
		return "invalid argument (length, region or key source)";
	case CIPHER_ERROR_TAG:
		return "integrity check failed: the sealed page was changed";
	case CIPHER_ERROR_UNAVAILABLE:
		return "cipher needs instructions this CPU lacks";
	}
	return "unknown cipher status";
}
