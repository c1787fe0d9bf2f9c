/*
 * The page ciphers as xf transforms (transforms/xf_cipher.c):
 *   "aes128-xts", "aes256-xts"          sealed length == input length;
 *   "aes128-xts-mac", "aes256-xts-mac"  sealed = ciphertext || 16-byte tag;
 *                                       unseal checks the tag first and
 *                                       returns XF_CORRUPT on a mismatch.
 * The tweak is the page's identity (struct xf_page_id), so sealed bytes
 * moved to another page or region do not restore there.
 *
 * The key is never named here: each transform holds a cipher key source
 * (in the kernel the CPU's debug registers, kernel/keyreg.h; a key in
 * memory for host tests), set by xf_cipher_register().
 */
#ifndef VEIL_TRANSFORMS_XF_CIPHER_H
#define VEIL_TRANSFORMS_XF_CIPHER_H

#include <stdbool.h>
#include "transforms/cipher.h"
#include "transforms/xf.h"

/* A cipher transform's context: which implementation, which key. */
struct xf_cipher_context {
	const struct cipher_ops *cipher;	/* AES-NI or portable */
	struct cipher_key_source key;
};

/* The ops of the four transforms: tests pair them with a context of their
 * own to run one implementation explicitly. */
extern const struct xf_ops xf_cipher_ops_aes128;
extern const struct xf_ops xf_cipher_ops_aes128_mac;
extern const struct xf_ops xf_cipher_ops_aes256;
extern const struct xf_ops xf_cipher_ops_aes256_mac;

extern struct xf_transform xf_cipher_aes128_xts;
extern struct xf_transform xf_cipher_aes128_xts_mac;
extern struct xf_transform xf_cipher_aes256_xts;
extern struct xf_transform xf_cipher_aes256_xts_mac;

/*
 * Points the four transforms at key (copied; its material must outlive
 * them), picks the fastest implementation of each key size with
 * cipher_select() and registers them. Returns false when no implementation
 * runs here (nothing is registered then).
 */
bool xf_cipher_register(const struct cipher_key_source *key);

/* Region ids the cipher transforms accept: bit 62 names the tweak domain
 * of units shorter than one block (see xf_cipher.c), bit 63 the MAC's. */
#define XF_CIPHER_REGION_MAX ((1ull << 62) - 1)

#endif
