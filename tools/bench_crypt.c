/*
 * bench_crypt: throughput of Veil's page ciphers on 4 KiB pages, with and
 * without the per-page MAC, and of OpenSSL's AES-128-XTS in the same run
 * for reference (make bench-crypt). Prints one line per cipher:
 *   cipher=<name> enc_mbps=<x> dec_mbps=<y>       (MB = 10^6 bytes)
 * with <name> e.g. aes128-xts-aesni, and aes128-xts-mac-aesni for the same
 * cipher sealing with a tag and restoring after checking it. A figure, not
 * a test; it exits 1 (and prints no line for that cipher) if a restore
 * fails or gives back other bytes than were sealed.
 *
 * Each timed page runs what the kernel runs per page
 * (cipher_seal_page/cipher_restore_page in transforms/cipher.c, the same
 * C and assembly): the checks, the tweak, the AES-NI asm which loads the
 * key and recomputes the key schedule for every page (the kernel keeps no
 * schedule between pages), the MAC for the -mac variants (GHASH with
 * PCLMULQDQ when the CPU has it, as in the kernel; the "# ghash" line says
 * which), and for the AES-NI ciphers the kernel's FPU section around it.
 * In the kernel that section (arch/x86/fpu.c) is: fpu_begin = pushfq, pop,
 * cli and a per-CPU in-section flag; fpu_end = sixteen pxor wiping XMM0-15,
 * ldmxcsr, the flag cleared, sti. The host build of <arch/fpu.h> makes
 * fpu_begin/fpu_end no-ops, so this tool wraps each AES-NI page in
 * bench_fpu_begin/bench_fpu_end, which run the same instructions except
 * the two privileged ones.
 *
 * Not included, because user mode cannot run them:
 *   - cli and sti (they fault at IOPL 0). sti is replaced by a pushq/popfq
 *     of the saved flags, which restores them as far as user mode may; cli
 *     has no stand-in.
 *   - the key load from the debug registers: the kernel's asm reads
 *     DR0-DR3 (four mov %drN, privileged), this one reads the same 32 bytes
 *     from memory (four mov). Under a hypervisor a debug-register read may
 *     also trap, which no host figure shows. For the portable ciphers the
 *     kernel copies the key out of DR0-DR3 (keyreg_read) where this copies
 *     it from memory.
 * Nothing else is left out. In particular no FXSAVE/XSAVE pair is timed
 * because the kernel does none: it is the only user of the vector
 * registers, so fpu_begin saves no earlier state and fpu_end wipes the
 * registers instead of restoring them (arch/x86/fpu.c says why).
 *
 * Encryption reads one plaintext page and writes one page, each page with
 * a new page index (so a new tweak). Decryption restores a ring of 16
 * sealed pages (64 KiB, each sealed under its own index with its tag), as
 * the kernel reads sealed copies from the store. OpenSSL keeps its key
 * schedule in memory and only gets a new tweak per page.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include "kernel/lib/cpu_features.h"
#include "transforms/cipher.h"
#include "transforms/xts.h"

#define BENCH_PAGE 4096
/* Each measurement runs for at least this long. */
#define BENCH_SECONDS 0.4
/* Sealed pages the decryption loop cycles through. */
#define BENCH_RING 16

static _Alignas(64) uint8_t bench_in[BENCH_PAGE], bench_out[BENCH_PAGE];
static _Alignas(64) uint8_t bench_sealed[BENCH_RING][BENCH_PAGE];
static uint8_t bench_tags[BENCH_RING][CIPHER_TAG_BYTES];

/* The kernel's per-CPU "inside an FPU section" flag, for its cost. */
static volatile bool bench_fpu_in_section;

/* fpu_begin as the kernel runs it (arch/x86/fpu.c, irq_save in
 * <arch/irq_flags.h>), without cli: the flags saved, the section checked
 * and marked. Returns the saved flags. */
static inline __attribute__((always_inline)) unsigned long bench_fpu_begin(void)
{
	unsigned long flags;

	__asm__ __volatile__("pushfq; popq %0" : "=r"(flags) : : "memory");
	if (bench_fpu_in_section)
		abort();	/* the kernel panics on a nested section */
	bench_fpu_in_section = true;
	return flags;
}

/* fpu_end as the kernel runs it: XMM0-15 wiped, MXCSR reset, the section
 * closed, then the flags restored (popfq standing in for sti). */
static inline __attribute__((always_inline)) void bench_fpu_end(unsigned long flags)
{
	uint32_t mxcsr = 0x1f80;

	__asm__ __volatile__(
		"pxor %%xmm0, %%xmm0\n\t" "pxor %%xmm1, %%xmm1\n\t"
		"pxor %%xmm2, %%xmm2\n\t" "pxor %%xmm3, %%xmm3\n\t"
		"pxor %%xmm4, %%xmm4\n\t" "pxor %%xmm5, %%xmm5\n\t"
		"pxor %%xmm6, %%xmm6\n\t" "pxor %%xmm7, %%xmm7\n\t"
		"pxor %%xmm8, %%xmm8\n\t" "pxor %%xmm9, %%xmm9\n\t"
		"pxor %%xmm10, %%xmm10\n\t" "pxor %%xmm11, %%xmm11\n\t"
		"pxor %%xmm12, %%xmm12\n\t" "pxor %%xmm13, %%xmm13\n\t"
		"pxor %%xmm14, %%xmm14\n\t" "pxor %%xmm15, %%xmm15\n\t"
		"ldmxcsr %0"
		: : "m"(mxcsr)
		: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
		  "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
		  "xmm15", "memory");
	bench_fpu_in_section = false;
	__asm__ __volatile__("pushq %0; popfq" : : "r"(flags) : "memory", "cc");
}

static double bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* One page as the kernel seals (decrypt false) or restores it: index is
 * the page index; the tag is written (seal) or checked (restore) when
 * tag is not NULL. Returns the cipher's status. */
static int bench_page(const struct cipher_ops *cipher,
		      const struct cipher_key_source *key, bool decrypt,
		      uint64_t index, const void *in, void *out, uint8_t *tag)
{
	unsigned long flags = 0;
	int status;

	if (cipher->uses_simd)
		flags = bench_fpu_begin();
	if (decrypt)
		status = cipher_restore_page(cipher, key, 1, index, in, out,
					     BENCH_PAGE, tag);
	else
		status = cipher_seal_page(cipher, key, 1, index, in, out,
					  BENCH_PAGE, tag);
	if (cipher->uses_simd)
		bench_fpu_end(flags);
	return status;
}

/* Seals bench_in into the ring (page i under index i, its tag kept when
 * mac). False if a seal fails. */
static bool bench_fill_ring(const struct cipher_ops *cipher,
			    const struct cipher_key_source *key, bool mac)
{
	for (uint64_t i = 0; i < BENCH_RING; i++)
		if (bench_page(cipher, key, false, i, bench_in, bench_sealed[i],
			       mac ? bench_tags[i] : NULL) != CIPHER_OK)
			return false;
	return true;
}

/* Pages per second of one direction, with the MAC when mac; a negative
 * figure when a page failed (or, restoring, came back wrong). */
static double bench_veil(const struct cipher_ops *cipher,
			 const struct cipher_key_source *key, bool decrypt,
			 bool mac)
{
	static uint8_t tag[CIPHER_TAG_BYTES];
	double start, elapsed;
	uint64_t pages = 0, failures = 0;

	if (decrypt && !bench_fill_ring(cipher, key, mac))
		return -1;
	start = bench_now();
	do {
		for (int i = 0; i < 256; i++, pages++) {
			unsigned slot = pages % BENCH_RING;

			if (decrypt)
				failures += bench_page(cipher, key, true, slot,
						       bench_sealed[slot], bench_out,
						       mac ? bench_tags[slot] : NULL) != CIPHER_OK;
			else
				failures += bench_page(cipher, key, false, pages,
						       bench_in, bench_out,
						       mac ? tag : NULL) != CIPHER_OK;
		}
		elapsed = bench_now() - start;
	} while (elapsed < BENCH_SECONDS);
	if (failures || (decrypt && memcmp(bench_out, bench_in, BENCH_PAGE) != 0))
		return -1;
	return (double)pages / elapsed;
}

static double bench_openssl(const uint8_t *material, bool decrypt)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	double start, elapsed;
	uint64_t pages = 0;
	uint8_t tweak[16];
	int length;

	xts_tweak_from_page(1, 0, tweak);
	EVP_CipherInit_ex(ctx, EVP_aes_128_xts(), NULL, material, tweak,
			  decrypt ? 0 : 1);
	start = bench_now();
	do {
		for (int i = 0; i < 256; i++, pages++) {
			xts_tweak_from_page(1, pages, tweak);
			EVP_CipherInit_ex(ctx, NULL, NULL, NULL, tweak, -1);
			EVP_CipherUpdate(ctx, bench_out, &length, bench_in,
					 BENCH_PAGE);
		}
		elapsed = bench_now() - start;
	} while (elapsed < BENCH_SECONDS);
	EVP_CIPHER_CTX_free(ctx);
	return (double)pages / elapsed;
}

/* Prints a cipher's line, or says it failed; false when it failed. */
static bool bench_print(const char *name, double enc_pages, double dec_pages)
{
	if (enc_pages < 0 || dec_pages < 0) {
		fprintf(stderr, "bench-crypt: %s: a page did not seal or restore "
			"to its bytes: no figure\n", name);
		return false;
	}
	printf("cipher=%s enc_mbps=%.0f dec_mbps=%.0f\n", name,
	       enc_pages * BENCH_PAGE / 1e6, dec_pages * BENCH_PAGE / 1e6);
	return true;
}

/* The line's name: "aes128-xts-aesni" becomes "aes128-xts-mac-aesni". */
static void bench_name(char *out, size_t size, const char *cipher, bool mac)
{
	const char *implementation = strrchr(cipher, '-');

	if (!mac || !implementation)
		snprintf(out, size, "%s", cipher);
	else
		snprintf(out, size, "%.*s-mac%s", (int)(implementation - cipher),
			 cipher, implementation);
}

int main(void)
{
	static const char *const names[] = {
		"aes128-xts-aesni", "aes128-xts-portable", "aes256-xts-aesni",
		"aes256-xts-portable",
	};
	uint8_t material[64];
	struct cipher_key_source key = { CIPHER_KEY_MEMORY, material, 0 };
	bool ok = true;

	for (int i = 0; i < 64; i++)
		material[i] = (uint8_t)(i * 37 + 11);
	for (int i = 0; i < BENCH_PAGE; i++)
		bench_in[i] = (uint8_t)(i * 7);
	printf("# ghash=%s (the -mac-aesni lines; -mac-portable: portable)\n",
	       cpu_has(CPU_FEATURE_CARRYLESS_MULTIPLY) ? "pclmulqdq" : "portable");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct cipher_ops *cipher = cipher_lookup(names[i]);

		if (!cipher->available()) {
			printf("# cipher=%s skipped: this CPU lacks AES-NI\n",
			       names[i]);
			continue;
		}
		/* AES-256 with the kernel's 32-byte key (derived K2). */
		key.material_bytes = 32;
		for (int mac = 0; mac < 2; mac++) {
			char name[64];

			bench_name(name, sizeof(name), names[i], mac);
			ok &= bench_print(name, bench_veil(cipher, &key, false, mac),
					  bench_veil(cipher, &key, true, mac));
		}
	}
	bench_print("ref-openssl-aes128xts", bench_openssl(material, false),
		    bench_openssl(material, true));
	return ok ? 0 : 1;
}
