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
	/* The key generation this instance seals and restores under
	 * (transforms/cipher_keyring.h; 0 is the boot key). Used only
	 * through the key hooks below: without them (host tests) the key
	 * source above is used as it is. */
	unsigned generation;
};

/*
 * Key generations (docs/live-swap.md, "Key rotation"): the kernel's
 * keyring installs these, and every seal or unseal of a cipher transform
 * asks them for its instance's generation's key. begin points *key at it
 * for one call on this CPU, with interrupts off until end (so the key in
 * this CPU's registers cannot change under the call), and returns XF_OK,
 * or XF_REFUSED when the generation's key is gone; it may put key bytes
 * in scratch, which end wipes.
 */
#define XF_CIPHER_KEY_SCRATCH 32u
struct xf_cipher_key_hooks {
	int (*begin)(unsigned generation, struct cipher_key_source *key,
		     uint8_t scratch[XF_CIPHER_KEY_SCRATCH],
		     unsigned long *flags);
	void (*end)(uint8_t scratch[XF_CIPHER_KEY_SCRATCH], unsigned long flags);
};
/* Installs the hooks (once, at boot, before any rotation). */
void xf_cipher_set_key_hooks(const struct xf_cipher_key_hooks *hooks);
/*
 * A key rotation's new instances: the four names are registered again as
 * other transform objects whose generation is `generation`, so a scheme
 * parsed from now on seals under it; chains that hold the previous
 * instances keep restoring (and sealing) under the previous generation.
 * Two sets of objects alternate: the caller (the keyring) rotates again
 * only once no chain holds the set's older generation.
 */
void xf_cipher_rekey(unsigned generation);
/* Whether transform is a cipher instance of this file; its generation. */
bool xf_cipher_generation(const struct xf_transform *transform,
			  unsigned *generation);

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
