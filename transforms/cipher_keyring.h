/*
 * Key generations for key rotation (docs/live-swap.md, "Key rotation").
 *
 * The newest generation's key is the one in every CPU's key registers
 * (kernel/keyreg.h: DR0-DR3, never in RAM). Generation 0 is the boot key.
 * A rotation draws a fresh key into the registers of every CPU and keeps
 * the previous generation, for as long as sealed pages still depend on
 * it, in the vault: one RAM slot holding that key encrypted (XTS-AES-128)
 * under the new key. A seal or restore by a cipher instance of the old
 * generation (transforms/xf_cipher.h: each instance names its generation)
 * decrypts it into a stack buffer for that one call and wipes it. The
 * caller retires the old generation (the vault is wiped) once no chain of
 * any region uses it (mm/region_rekey.c); only then may the next rotation
 * run, so at most two generations live at once.
 *
 * Why the vault is acceptable: a RAM dump during the migration finds the
 * old key only encrypted under a key that is in no RAM; the clear old key
 * lives only on a stack for one page's cipher call (as the portable
 * cipher's round keys always do), with interrupts off, and is wiped after;
 * after the retirement nothing of it is left.
 *
 * Locking: keyring_rotate_mutex (sleeping) serialises rotations and
 * retirements; keyring_vault_lock (a spinlock, taken with interrupts off)
 * protects the vault. Order: the mutex, then the vault's lock. Kernel
 * builds only (the key registers).
 */
#ifndef VEIL_TRANSFORMS_CIPHER_KEYRING_H
#define VEIL_TRANSFORMS_CIPHER_KEYRING_H

#include <stdbool.h>

enum cipher_keyring_result {
	CIPHER_KEYRING_OK = 0,
	CIPHER_KEYRING_BUSY = -1,	/* the previous generation is still held */
	CIPHER_KEYRING_NO_CIPHER = -2,	/* no cipher runs here */
	CIPHER_KEYRING_NO_THREAD = -3,	/* the rotation's thread did not start */
};

/* Installs the cipher transforms' key hooks. Once, at boot, after
 * xf_cipher_register with the key registers as the source. */
void cipher_keyring_init(void);
/* The newest generation (the one in the key registers). */
unsigned cipher_keyring_generation(void);
/*
 * Rotates the key: a fresh key in the registers of every online CPU,
 * the previous generation wrapped in the vault, and the cipher transforms
 * re-registered as instances of the new generation (xf_cipher_rekey).
 * Schemes parsed from now on seal under the new key; chains already held
 * keep their generation until they are replaced. Thread context, no lock
 * held; the work runs on CPU 0. CIPHER_KEYRING_OK with *generation the new
 * one, or CIPHER_KEYRING_BUSY while an older generation is still held.
 */
int cipher_keyring_rotate(unsigned *generation);
/* Whether an older generation is held in the vault, and which. */
bool cipher_keyring_held(unsigned *generation);
/* Wipes the vault when it holds generation (no chain may still use it:
 * its instances are refused from then on). Thread context. */
void cipher_keyring_retire(unsigned generation);

#endif
