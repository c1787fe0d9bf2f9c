/*
 * keyreg: the kernel's 256-bit page-encryption key kept in the debug
 * registers DR0-DR3 (the TRESOR idea), so that it never rests in RAM.
 *
 * DR7 is cleared so that the addresses DR0-DR3 "hold" never arm a hardware
 * breakpoint; nothing else in Veil may use the debug registers (a debugger
 * that sets hardware breakpoints inside the guest would destroy the key).
 * The key is byte-wise little-endian: bytes 0-7 are DR0, 8-15 DR1, 16-23
 * DR2, 24-31 DR3.
 *
 * Reading the registers is privileged; ciphers paste KEYREG_ASM_LOAD into
 * their own inline assembly so the key goes from the debug registers into
 * general registers and from there into XMM registers inside one asm
 * statement, with no compiler-visible value that could be spilled.
 */
#ifndef VEIL_ARCH_X86_KEYREG_H
#define VEIL_ARCH_X86_KEYREG_H

#include <stdbool.h>
#include <stdint.h>

#define KEYREG_BYTES 32

/* Assembly text: loads the key into the asm operands named k0..k3. */
#define KEYREG_ASM_LOAD                                                        \
	"mov %%dr0, %[k0]\n\t"                                                 \
	"mov %%dr1, %[k1]\n\t"                                                 \
	"mov %%dr2, %[k2]\n\t"                                                 \
	"mov %%dr3, %[k3]\n\t"

enum keyreg_origin {
	KEYREG_EMPTY,		/* no key loaded yet */
	KEYREG_FROM_RDSEED,
	KEYREG_FROM_RDRAND,
	KEYREG_FROM_JITTER,	/* no hardware randomness: weak, warned at boot */
	KEYREG_FROM_TEST_KEY,	/* a known key set on purpose (tests only) */
};

#ifndef VEIL_HOST
/*
 * Fills DR0-DR3 with a fresh key drawn by random_key_word() (RDSEED, else
 * RDRAND, else timer jitter with a loud warning), each word going from the
 * random instruction's register straight into its debug register. Clears
 * DR7 first. Returns where the key came from.
 */
enum keyreg_origin keyreg_generate(void);
/* Loads a known key (test-only command line option, known-answer tests).
 * The caller's buffer is RAM: this is for tests, never for a real key. */
void keyreg_set_test_key(const uint8_t key[KEYREG_BYTES]);
/* Gives every other online CPU the key this CPU holds (each CPU has its
 * own debug registers, and a seal may run on any CPU). The words cross in
 * a stack box for the time of the IPIs, wiped after (docs/encryption.md).
 * Call with interrupts on, after the key changed; keyreg_boot_init does. */
void keyreg_share(void);
/* The same for a key rotation (transforms/cipher_keyring.c): each other
 * CPU takes this CPU's key and then, still in the IPI, stores generation
 * in cpu_generation[its index]; on return every online CPU holds it. */
void keyreg_share_generation(volatile unsigned *cpu_generation,
			     unsigned generation);
/* Copies the key out, for the portable cipher path (which keeps it in a
 * stack buffer it wipes; see docs/encryption.md). */
void keyreg_read(uint8_t key[KEYREG_BYTES]);
/* Boot: enables SSE sections, then loads the key: the test_key= command
 * line option's known key (tests only, warned), else keyreg_generate().
 * arch/x86/keyreg_boot.c. */
void keyreg_boot_init(void);
/* Clears DR0-DR3 (the key is gone). */
void keyreg_clear(void);
enum keyreg_origin keyreg_origin(void);
const char *keyreg_origin_name(enum keyreg_origin origin);
#endif

#endif
