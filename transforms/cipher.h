/*
 * cipher: Veil's page ciphers behind one ops table. Each cipher seals one
 * page (the XTS data unit) under a key it fetches from a key source, with a
 * tweak derived from the page's identity, and optionally computes a MAC over
 * the sealed page so that tampering is detected on restore.
 *
 * Ciphers: aes128-xts-aesni, aes256-xts-aesni (AES-NI, round keys only in
 * XMM registers), aes128-xts-portable, aes256-xts-portable (bitsliced,
 * constant-time, round keys in a wiped stack buffer). cipher_select() picks
 * AES-NI when CPUID reports it. The transform layer (transforms/xf_*) wraps
 * these; this layer knows nothing of regions beyond the two numbers that
 * name a page.
 */
#ifndef VEIL_TRANSFORMS_CIPHER_H
#define VEIL_TRANSFORMS_CIPHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CIPHER_TAG_BYTES 16
#define CIPHER_PAGE_BYTES 4096

enum cipher_status {
	CIPHER_OK = 0,
	CIPHER_ERROR_INVALID = -1,	/* bad length, alignment or key source */
	CIPHER_ERROR_TAG = -2,		/* the sealed page was changed: no data */
	CIPHER_ERROR_UNAVAILABLE = -3,	/* this CPU lacks the instructions */
};

enum cipher_key_kind {
	/* Key bytes in RAM: host tests and known-answer checks only. */
	CIPHER_KEY_MEMORY,
	/* The 256-bit key in the CPU's debug registers (arch/x86/include/arch/keyreg.h);
	 * kernel builds only. */
	CIPHER_KEY_CPU_REGISTERS,
};

/*
 * Where a cipher finds its key. The material is the XTS key pair:
 * AES-128: 32 bytes, K1 (data) then K2 (tweak);
 * AES-256: 64 bytes K1 then K2, or 32 bytes K1 alone, K2 then being derived
 *          as AES-256_K1(D0) || AES-256_K1(D1) (fixed blocks, see xts.h).
 * The CPU-register source always holds 32 bytes.
 */
struct cipher_key_source {
	enum cipher_key_kind kind;
	const uint8_t *material;	/* CIPHER_KEY_MEMORY only */
	unsigned material_bytes;
};

struct cipher_ops {
	const char *name;
	unsigned key_bytes;	/* AES key size: 16 or 32 */
	bool uses_simd;		/* runs inside fpu_begin()/fpu_end() */
	/* Whether this CPU can run it. */
	bool (*available)(void);
	/*
	 * The primitive: XTS over whole blocks first_block .. first_block +
	 * blocks - 1 of the data unit named by tweak. in and out 16-byte
	 * aligned, equal or disjoint. Callers normally use cipher_crypt_unit().
	 */
	void (*crypt_blocks)(const struct cipher_key_source *key,
			     const uint8_t tweak[16], size_t first_block,
			     bool decrypt, const uint8_t *in, uint8_t *out,
			     size_t blocks);
	/* tag = E_K2(GHASH_H(tweak, sealed) with the MAC domain bits), H =
	 * E_K1(MAC hash-key block); see transforms/cipher_mac.h. */
	void (*mac)(const struct cipher_key_source *key,
		    const uint8_t tweak[16], const uint8_t *sealed,
		    size_t bytes, uint8_t tag[CIPHER_TAG_BYTES]);
};

extern const struct cipher_ops cipher_aes128_xts_portable;
extern const struct cipher_ops cipher_aes256_xts_portable;
extern const struct cipher_ops cipher_aes128_xts_aesni;
extern const struct cipher_ops cipher_aes256_xts_aesni;

/* Every cipher Veil has, NULL-terminated. */
extern const struct cipher_ops *const cipher_all[];

/* By name; NULL if unknown. */
const struct cipher_ops *cipher_lookup(const char *name);
/* The fastest cipher this CPU runs for a 16- or 32-byte AES key. */
const struct cipher_ops *cipher_select(unsigned key_bytes);

/*
 * XTS over one data unit of 16 to XTS_MAX_UNIT_BYTES bytes, any alignment:
 * a partial last block uses IEEE 1619 ciphertext stealing (so the output
 * is exactly as long as the input). in and out equal or disjoint. No
 * argument checks: cipher_seal_page()/cipher_restore_page() do them.
 */
void cipher_crypt_unit(const struct cipher_ops *cipher,
		       const struct cipher_key_source *key,
		       const uint8_t tweak[16], bool decrypt, const uint8_t *in,
		       uint8_t *out, size_t bytes);

/* Checks a key source against a cipher: kind available in this build,
 * material length right. */
bool cipher_key_source_valid(const struct cipher_ops *cipher,
			     const struct cipher_key_source *key);

/*
 * Seals bytes (a page: CIPHER_PAGE_BYTES; anything from 16 bytes up to
 * XTS_MAX_UNIT_BYTES, e.g. a compressed page) of page `page_index` in
 * region `region` (below 2^63) into exactly as many bytes. When tag is not
 * NULL, the MAC of the sealed bytes is written there. in and out may be
 * equal or disjoint; 16-byte aligned buffers take the fast path, others go
 * through a small aligned bounce buffer.
 */
int cipher_seal_page(const struct cipher_ops *cipher,
		     const struct cipher_key_source *key, uint64_t region,
		     uint64_t page_index, const void *in, void *out,
		     size_t bytes, uint8_t *tag);

/*
 * Restores a sealed page. With a tag, the MAC is checked first, in constant
 * time; on mismatch nothing is decrypted, out is left untouched and
 * CIPHER_ERROR_TAG is returned. Without a tag a changed sealed page decrypts
 * to garbage (never a crash).
 */
int cipher_restore_page(const struct cipher_ops *cipher,
			const struct cipher_key_source *key, uint64_t region,
			uint64_t page_index, const void *in, void *out,
			size_t bytes, const uint8_t *tag);

const char *cipher_status_name(int status);

#endif
