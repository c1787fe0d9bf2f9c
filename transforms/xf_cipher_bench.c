/*
 * Benchmark cipher (bench=cipher): TSC cycles to seal and to restore one
 * 4 KiB page with each page cipher this CPU runs, key in the debug
 * registers (so the AES-NI figures include loading the key and expanding
 * both schedules, as every real seal does), without and with the MAC.
 * Prints "cipher=<name> mode=<plain|mac> seal_cycles=<x>
 * restore_cycles=<y>". Under QEMU TCG the TSC follows the host clock, so
 * the figures say how the emulated kernel fares, not what silicon does.
 */
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "transforms/cipher.h"

static _Alignas(64) uint8_t xf_cipher_bench_page[CIPHER_PAGE_BYTES];
static _Alignas(64) uint8_t xf_cipher_bench_sealed[CIPHER_PAGE_BYTES];

static void xf_cipher_bench_one(const struct cipher_ops *cipher, bool mac)
{
	static const struct cipher_key_source key = {
		.kind = CIPHER_KEY_CPU_REGISTERS,
	};
	unsigned pages = cipher->uses_simd ? 400 : 20;
	uint8_t tag[CIPHER_TAG_BYTES];
	uint64_t start, seal, restore;

	for (unsigned i = 0; i < CIPHER_PAGE_BYTES; i++)
		xf_cipher_bench_page[i] = (uint8_t)(i * 7);
	/* one of each first: code and data in the caches */
	cipher_seal_page(cipher, &key, 1, 0, xf_cipher_bench_page,
			 xf_cipher_bench_sealed, CIPHER_PAGE_BYTES, mac ? tag : NULL);
	start = time_cycles();
	for (unsigned i = 0; i < pages; i++)
		cipher_seal_page(cipher, &key, 1, i, xf_cipher_bench_page,
				 xf_cipher_bench_sealed, CIPHER_PAGE_BYTES,
				 mac ? tag : NULL);
	seal = (time_cycles() - start) / pages;
	cipher_seal_page(cipher, &key, 1, 0, xf_cipher_bench_page,
			 xf_cipher_bench_sealed, CIPHER_PAGE_BYTES, mac ? tag : NULL);
	start = time_cycles();
	for (unsigned i = 0; i < pages; i++)
		cipher_restore_page(cipher, &key, 1, 0, xf_cipher_bench_sealed,
				    xf_cipher_bench_page, CIPHER_PAGE_BYTES,
				    mac ? tag : NULL);
	restore = (time_cycles() - start) / pages;
	printk("cipher=%s mode=%s seal_cycles=%llu restore_cycles=%llu\n",
	       cipher->name, mac ? "mac" : "plain", (unsigned long long)seal,
	       (unsigned long long)restore);
}

KBENCH(cipher)
{
	for (unsigned c = 0; cipher_all[c]; c++) {
		if (!cipher_all[c]->available()) {
			printk("cipher=%s not available on this CPU\n",
			       cipher_all[c]->name);
			continue;
		}
		xf_cipher_bench_one(cipher_all[c], false);
		xf_cipher_bench_one(cipher_all[c], true);
	}
}
