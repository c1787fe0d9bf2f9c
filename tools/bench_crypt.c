/*
 * bench_crypt: throughput of Veil's page ciphers on 4 KiB pages, and of
 * OpenSSL's AES-128-XTS in the same run for reference (make bench-crypt).
 *
 * Veil's ciphers recompute the key schedule for every page (the key lives
 * only in registers between pages); OpenSSL keeps its schedule in memory and
 * only gets a new tweak per page. Each page gets a different tweak. Prints
 * one line per cipher: cipher=<name> enc_mbps=<x> dec_mbps=<y> (MB = 10^6
 * bytes). A figure, not a test: nothing is asserted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include "transforms/cipher.h"
#include "transforms/xts.h"

#define BENCH_PAGE 4096
/* Each measurement runs for at least this long. */
#define BENCH_SECONDS 0.4

static _Alignas(64) uint8_t bench_in[BENCH_PAGE], bench_out[BENCH_PAGE];

static double bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Pages per second of one direction. */
static double bench_veil(const struct cipher_ops *cipher,
			 const struct cipher_key_source *key, bool decrypt)
{
	double start = bench_now(), elapsed;
	uint64_t pages = 0;

	do {
		for (int i = 0; i < 256; i++, pages++) {
			if (decrypt)
				cipher_restore_page(cipher, key, 1, pages, bench_in,
						    bench_out, BENCH_PAGE, NULL);
			else
				cipher_seal_page(cipher, key, 1, pages, bench_in,
						 bench_out, BENCH_PAGE, NULL);
		}
		elapsed = bench_now() - start;
	} while (elapsed < BENCH_SECONDS);
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

static void bench_print(const char *name, double enc_pages, double dec_pages)
{
	printf("cipher=%s enc_mbps=%.0f dec_mbps=%.0f\n", name,
	       enc_pages * BENCH_PAGE / 1e6, dec_pages * BENCH_PAGE / 1e6);
}

int main(void)
{
	static const char *const names[] = {
		"aes128-xts-aesni", "aes128-xts-portable", "aes256-xts-aesni",
		"aes256-xts-portable",
	};
	uint8_t material[64];
	struct cipher_key_source key = { CIPHER_KEY_MEMORY, material, 0 };

	for (int i = 0; i < 64; i++)
		material[i] = (uint8_t)(i * 37 + 11);
	for (int i = 0; i < BENCH_PAGE; i++)
		bench_in[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct cipher_ops *cipher = cipher_lookup(names[i]);

		if (!cipher->available()) {
			printf("# cipher=%s skipped: this CPU lacks AES-NI\n",
			       names[i]);
			continue;
		}
		/* AES-256 with the kernel's 32-byte key (derived K2). */
		key.material_bytes = 32;
		bench_print(names[i], bench_veil(cipher, &key, false),
			    bench_veil(cipher, &key, true));
	}
	bench_print("ref-openssl-aes128xts", bench_openssl(material, false),
		    bench_openssl(material, true));
	return 0;
}
