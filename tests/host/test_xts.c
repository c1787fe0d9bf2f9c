/*
 * Host tests of the page ciphers (transforms/cipher.c, xts.c,
 * xts_aesni_simd.c, cipher_mac.c): IEEE 1619 XTS-AES vectors through every
 * cipher, OpenSSL's EVP_aes_128_xts/EVP_aes_256_xts on random pages and
 * tweaks, AES-NI against portable, the page tweak binding, the MAC (flipped
 * bit, moved page, wrong key), the derived AES-256 tweak key, and bad input.
 * AES-NI cases are skipped, saying so, on a host CPU without AES-NI.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "kernel/lib/cpu_features.h"
#include "tests/host/htest.h"
#include "tests/host/test_xts_util.h"
#include "transforms/aes.h"
#include "transforms/cipher.h"
#include "transforms/cipher_mac.h"
#include "transforms/xts.h"

#define PAGE CIPHER_PAGE_BYTES

static _Alignas(64) uint8_t page_plain[PAGE], page_sealed[PAGE],
	page_back[PAGE], page_reference[PAGE];

/* IEEE 1619-2007 annex B: the 512-byte vectors 4 and 10. */
static const char ieee_vector4_cipher[] =
	"27a7479befa1d476489f308cd4cfa6e2a96e4bbe3208ff25287dd3819616e89c"
	"c78cf7f5e543445f8333d8fa7f56000005279fa5d8b5e4ad40e736ddb4d35412"
	"328063fd2aab53e5ea1e0a9f332500a5df9487d07a5c92cc512c8866c7e860ce"
	"93fdf166a24912b422976146ae20ce846bb7dc9ba94a767aaef20c0d61ad0265"
	"5ea92dc4c4e41a8952c651d33174be51a10c421110e6d81588ede82103a252d8"
	"a750e8768defffed9122810aaeb99f9172af82b604dc4b8e51bcb08235a6f434"
	"1332e4ca60482a4ba1a03b3e65008fc5da76b70bf1690db4eae29c5f1badd03c"
	"5ccf2a55d705ddcd86d449511ceb7ec30bf12b1fa35b913f9f747a8afd1b130e"
	"94bff94effd01a91735ca1726acd0b197c4e5b03393697e126826fb6bbde8ecc"
	"1e08298516e2c9ed03ff3c1b7860f6de76d4cecd94c8119855ef5297ca67e9f3"
	"e7ff72b1e99785ca0a7e7720c5b36dc6d72cac9574c8cbbc2f801e23e56fd344"
	"b07f22154beba0f08ce8891e643ed995c94d9a69c9f1b5f499027a78572aeebd"
	"74d20cc39881c213ee770b1010e4bea718846977ae119f7a023ab58cca0ad752"
	"afe656bb3c17256a9f6e9bf19fdd5a38fc82bbe872c5539edb609ef4f79c203e"
	"bb140f2e583cb2ad15b4aa5b655016a8449277dbd477ef2c8d6c017db738b18d"
	"eb4a427d1923ce3ff262735779a418f20a282df920147beabe421ee5319d0568";

static const char ieee_vector10_cipher[] =
	"1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b"
	"5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd"
	"5776926c49a3095eb108fd1098baec70aaa66999a72a82f27d848b21d4a741b0"
	"c5cd4d5fff9dac89aeba122961d03a757123e9870f8acf1000020887891429ca"
	"2a3e7a7d7df7b10355165c8b9a6d0a7de8b062c4500dc4cd120c0f7418dae3d0"
	"b5781c34803fa75421c790dfe1de1834f280d7667b327f6c8cd7557e12ac3a0f"
	"93ec05c52e0493ef31a12d3d9260f79a289d6a379bc70c50841473d1a8cc81ec"
	"583e9645e07b8d9670655ba5bbcfecc6dc3966380ad8fecb17b6ba02469a020a"
	"84e18e8f84252070c13e9f1f289be54fbc481457778f616015e1327a02b140f1"
	"505eb309326d68378f8374595c849d84f4c333ec4423885143cb47bd71c5edae"
	"9be69a2ffeceb1bec9de244fbe15992b11b77c040f12bd8f6a975a44a0f90c29"
	"a9abc3d4d893927284c58754cce294529f8614dcd2aba991925fedc4ae74ffac"
	"6e333b93eb4aff0479da9a410e4450e0dd7ae4c6e2910900575da401fc07059f"
	"645e8b7e9bfdef33943054ff84011493c27b3429eaedb4ed5376441a77ed4385"
	"1ad77f16f541dfd269d50d6a5f14fb0aab1cbb4c1550be97f7ab4066193c4caa"
	"773dad38014bd2092fa755c824bb5e54c4f36ffda9fcea70b9c6e693e148c151";

struct ieee_vector {
	int number;
	unsigned key_bytes;
	const char *key1, *key2;
	uint64_t sequence;
	size_t bytes;
	const char *plain;	/* NULL: bytes 0..255 repeated */
	const char *cipher;
};

static const struct ieee_vector ieee_vectors[] = {
	{ 1, 16, "00000000000000000000000000000000",
	  "00000000000000000000000000000000", 0, 32,
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  "917cf69ebd68b2ec9b9fe9a3eadda692cd43d2f59598ed858c02c2652fbf922e" },
	{ 2, 16, "11111111111111111111111111111111",
	  "22222222222222222222222222222222", 0x3333333333ull, 32,
	  "4444444444444444444444444444444444444444444444444444444444444444",
	  "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0" },
	{ 3, 16, "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0",
	  "22222222222222222222222222222222", 0x3333333333ull, 32,
	  "4444444444444444444444444444444444444444444444444444444444444444",
	  "af85336b597afc1a900b2eb21ec949d292df4c047e0b21532186a5971a227a89" },
	{ 4, 16, "27182818284590452353602874713526",
	  "31415926535897932384626433832795", 0, 512, NULL,
	  ieee_vector4_cipher },
	/* 15-18: partial last block, ciphertext stealing. */
	{ 15, 16, "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0",
	  "bfbebdbcbbbab9b8b7b6b5b4b3b2b1b0", 0x123456789aull, 17,
	  "000102030405060708090a0b0c0d0e0f10",
	  "6c1625db4671522d3d7599601de7ca09ed" },
	{ 16, 16, "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0",
	  "bfbebdbcbbbab9b8b7b6b5b4b3b2b1b0", 0x123456789aull, 18,
	  "000102030405060708090a0b0c0d0e0f1011",
	  "d069444b7a7e0cab09e24447d24deb1fedbf" },
	{ 17, 16, "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0",
	  "bfbebdbcbbbab9b8b7b6b5b4b3b2b1b0", 0x123456789aull, 19,
	  "000102030405060708090a0b0c0d0e0f101112",
	  "e5df1351c0544ba1350b3363cd8ef4beedbf9d" },
	{ 18, 16, "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0",
	  "bfbebdbcbbbab9b8b7b6b5b4b3b2b1b0", 0x123456789aull, 20,
	  "000102030405060708090a0b0c0d0e0f10111213",
	  "9d84c813f719aa2c7be3f66171c7c5c2edbf9dac" },
	{ 10, 32,
	  "2718281828459045235360287471352662497757247093699959574966967627",
	  "3141592653589793238462643383279502884197169399375105820974944592",
	  0xff, 512, NULL, ieee_vector10_cipher },
};

static bool aesni_missing(void)
{
	if (cipher_aes128_xts_aesni.available())
		return false;
	htest_skip("host CPU has no AES-NI (or no SSE4.1): AES-NI path not tested here");
	return true;
}

static void ieee_vectors_through(const struct cipher_ops *cipher)
{
	for (size_t v = 0; v < sizeof(ieee_vectors) / sizeof(ieee_vectors[0]); v++) {
		const struct ieee_vector *vector = &ieee_vectors[v];
		uint8_t material[64], tweak[16];
		struct cipher_key_source key = { CIPHER_KEY_MEMORY, material,
						 2 * vector->key_bytes };

		if (vector->key_bytes != cipher->key_bytes)
			continue;
		crypt_hex_decode(vector->key1, material, vector->key_bytes);
		crypt_hex_decode(vector->key2, material + vector->key_bytes,
				 vector->key_bytes);
		xts_tweak_from_page(0, vector->sequence, tweak);
		for (size_t i = 0; i < vector->bytes; i++)
			page_plain[i] = (uint8_t)i;
		if (vector->plain)
			crypt_hex_decode(vector->plain, page_plain, vector->bytes);
		crypt_hex_decode(vector->cipher, page_reference, vector->bytes);

		cipher_crypt_unit(cipher, &key, tweak, false, page_plain,
				  page_sealed, vector->bytes);
		if (memcmp(page_sealed, page_reference, vector->bytes) != 0)
			htest_log("%s: IEEE 1619 vector %d encrypts wrongly",
				  cipher->name, vector->number);
		HCHECK(memcmp(page_sealed, page_reference, vector->bytes) == 0);
		cipher_crypt_unit(cipher, &key, tweak, true, page_sealed,
				  page_back, vector->bytes);
		HCHECK(memcmp(page_back, page_plain, vector->bytes) == 0);
	}
}

HTEST(xts_ieee1619_vectors_portable)
{
	ieee_vectors_through(&cipher_aes128_xts_portable);
	ieee_vectors_through(&cipher_aes256_xts_portable);
}

HTEST(xts_ieee1619_vectors_aesni)
{
	if (aesni_missing())
		return;
	ieee_vectors_through(&cipher_aes128_xts_aesni);
	ieee_vectors_through(&cipher_aes256_xts_aesni);
}

/* OpenSSL on the same key, tweak and data. */
static void openssl_xts(unsigned key_bytes, const uint8_t *material,
			const uint8_t tweak[16], const uint8_t *in,
			uint8_t *out, size_t bytes)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int length = 0;

	EVP_EncryptInit_ex(ctx, key_bytes == 16 ? EVP_aes_128_xts() :
			   EVP_aes_256_xts(), NULL, material, tweak);
	EVP_EncryptUpdate(ctx, out, &length, in, (int)bytes);
	EVP_CIPHER_CTX_free(ctx);
}

static void openssl_cross_check(const struct cipher_ops *cipher, int pages)
{
	unsigned mismatches = 0, round_trip_failures = 0;

	srand(0x1619 + cipher->key_bytes);
	for (int round = 0; round < pages; round++) {
		uint8_t material[64], tweak[16];
		struct cipher_key_source key = { CIPHER_KEY_MEMORY, material,
						 2 * cipher->key_bytes };
		/* Mostly whole pages; also whole-block units (odd block counts
		 * exercise the single-block tail of the AES-NI loop), any
		 * length (ciphertext stealing), and unaligned buffers. */
		size_t bytes = round % 4 == 1 ? 16 * (1 + rand() % 255) :
			       round % 4 == 2 ? 16 + rand() % (PAGE - 32) : PAGE;
		size_t shift_in = round % 8 == 7 ? 1 + rand() % 15 : 0;
		size_t shift_out = round % 8 == 7 ? rand() % 16 : 0;
		static _Alignas(16) uint8_t shifted_in[PAGE + 16],
			shifted_out[PAGE + 16];

		crypt_fill_random(material, sizeof(material));
		/* OpenSSL refuses K1 == K2 in XTS; random keys never are. */
		crypt_fill_random(tweak, sizeof(tweak));
		crypt_fill_random(page_plain, PAGE);
		memcpy(shifted_in + shift_in, page_plain, bytes);
		cipher_crypt_unit(cipher, &key, tweak, false,
				  shifted_in + shift_in, shifted_out + shift_out,
				  bytes);
		openssl_xts(cipher->key_bytes, material, tweak, page_plain,
			    page_reference, bytes);
		mismatches += memcmp(shifted_out + shift_out, page_reference,
				     bytes) != 0;
		memcpy(page_sealed, shifted_out + shift_out, bytes);
		cipher_crypt_unit(cipher, &key, tweak, true, page_sealed,
				  page_sealed, bytes);	/* in place */
		round_trip_failures += memcmp(page_sealed, page_plain, bytes) != 0;
	}
	HCHECK_EQ(mismatches, 0);
	HCHECK_EQ(round_trip_failures, 0);
}

HTEST(xts_matches_openssl_portable)
{
	openssl_cross_check(&cipher_aes128_xts_portable, 24);
	openssl_cross_check(&cipher_aes256_xts_portable, 24);
}

HTEST(xts_matches_openssl_aesni)
{
	if (aesni_missing())
		return;
	openssl_cross_check(&cipher_aes128_xts_aesni, 400);
	openssl_cross_check(&cipher_aes256_xts_aesni, 400);
}

/* Both paths, every key layout (AES-256 with derived K2 included), same
 * bytes out, and the MACs agree too. */
HTEST(xts_aesni_and_portable_agree)
{
	static const struct {
		const struct cipher_ops *aesni, *portable;
		unsigned material_bytes;
	} pairs[] = {
		{ &cipher_aes128_xts_aesni, &cipher_aes128_xts_portable, 32 },
		{ &cipher_aes256_xts_aesni, &cipher_aes256_xts_portable, 64 },
		{ &cipher_aes256_xts_aesni, &cipher_aes256_xts_portable, 32 },
	};
	static _Alignas(16) uint8_t sealed_portable[PAGE];
	unsigned differences = 0;

	if (aesni_missing())
		return;
	srand(77);
	for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
		for (int round = 0; round < 6; round++) {
			uint8_t material[64], tag_a[16], tag_p[16];
			struct cipher_key_source key = {
				CIPHER_KEY_MEMORY, material, pairs[p].material_bytes };
			uint64_t region = (uint64_t)rand() << 20 ^ (uint64_t)rand();
			uint64_t index = (uint64_t)rand() << 33 ^ (uint64_t)rand();

			crypt_fill_random(material, sizeof(material));
			crypt_fill_random(page_plain, PAGE);
			HCHECK(cipher_seal_page(pairs[p].aesni, &key, region, index,
						page_plain, page_sealed, PAGE,
						tag_a) == CIPHER_OK);
			HCHECK(cipher_seal_page(pairs[p].portable, &key, region,
						index, page_plain, sealed_portable,
						PAGE, tag_p) == CIPHER_OK);
			differences += memcmp(page_sealed, sealed_portable, PAGE) != 0;
			differences += memcmp(tag_a, tag_p, 16) != 0;
			/* Each restores what the other sealed. */
			HCHECK(cipher_restore_page(pairs[p].portable, &key, region,
						   index, page_sealed, page_back,
						   PAGE, tag_a) == CIPHER_OK);
			differences += memcmp(page_back, page_plain, PAGE) != 0;
			HCHECK(cipher_restore_page(pairs[p].aesni, &key, region,
						   index, sealed_portable, page_back,
						   PAGE, tag_p) == CIPHER_OK);
			differences += memcmp(page_back, page_plain, PAGE) != 0;
		}
	}
	HCHECK_EQ(differences, 0);
}

/* The 32-byte AES-256 material means K2 = AES-256_K1(D0) || AES-256_K1(D1):
 * sealing with it equals sealing with the explicit 64-byte pair. */
HTEST(xts_aes256_derived_tweak_key)
{
	uint8_t material[64], derived_block[64] = { 0 }, expected_k2[32];
	struct cipher_key_source short_key = { CIPHER_KEY_MEMORY, material, 32 };
	struct cipher_key_source long_key = { CIPHER_KEY_MEMORY, material, 64 };
	static _Alignas(16) uint8_t sealed_long[PAGE];
	struct aes_ct_schedule schedule;

	srand(256);
	crypt_fill_random(material, 32);
	/* K2 computed here from the documented constants. */
	for (int i = 0; i < 8; i++) {
		derived_block[i] = (uint8_t)(XTS_DERIVE_D0_LOW >> (8 * i));
		derived_block[8 + i] = (uint8_t)((uint64_t)XTS_DERIVE_D0_HIGH >> (8 * i));
		derived_block[16 + i] = (uint8_t)(XTS_DERIVE_D1_LOW >> (8 * i));
		derived_block[24 + i] = (uint8_t)((uint64_t)XTS_DERIVE_D1_HIGH >> (8 * i));
	}
	aes_ct_expand(&schedule, material, 32);
	aes_ct_encrypt4(&schedule, derived_block, derived_block);
	memcpy(expected_k2, derived_block, 32);
	memcpy(material + 32, expected_k2, 32);
	HCHECK(memcmp(expected_k2, material, 32) != 0);
	crypt_fill_random(page_plain, PAGE);
	for (int c = 0; c < 2; c++) {
		const struct cipher_ops *cipher = c ? &cipher_aes256_xts_aesni :
						      &cipher_aes256_xts_portable;

		if (!cipher->available())
			continue;
		HCHECK(cipher_seal_page(cipher, &short_key, 3, 9, page_plain,
					page_sealed, PAGE, NULL) == CIPHER_OK);
		HCHECK(cipher_seal_page(cipher, &long_key, 3, 9, page_plain,
					sealed_long, PAGE, NULL) == CIPHER_OK);
		HCHECK(memcmp(page_sealed, sealed_long, PAGE) == 0);
	}
}

/* Equal pages seal differently at different indexes or regions, and a
 * sealed page moved to another index restores to garbage. */
static void tweak_binding(const struct cipher_ops *cipher)
{
	uint8_t material[64];
	struct cipher_key_source key = { CIPHER_KEY_MEMORY, material,
					 2 * cipher->key_bytes };
	static _Alignas(16) uint8_t sealed_other[PAGE];

	srand(5);
	crypt_fill_random(material, sizeof(material));
	memset(page_plain, 0x5a, PAGE);
	HCHECK(cipher_seal_page(cipher, &key, 1, 10, page_plain, page_sealed,
				PAGE, NULL) == CIPHER_OK);
	HCHECK(cipher_seal_page(cipher, &key, 1, 11, page_plain, sealed_other,
				PAGE, NULL) == CIPHER_OK);
	HCHECK(memcmp(page_sealed, sealed_other, PAGE) != 0);
	HCHECK(cipher_seal_page(cipher, &key, 2, 10, page_plain, sealed_other,
				PAGE, NULL) == CIPHER_OK);
	HCHECK(memcmp(page_sealed, sealed_other, PAGE) != 0);
	/* Equal blocks inside one page differ too (the tweak steps). */
	HCHECK(memcmp(page_sealed, page_sealed + 16, 16) != 0);

	HCHECK(cipher_restore_page(cipher, &key, 1, 11, page_sealed, page_back,
				   PAGE, NULL) == CIPHER_OK);
	HCHECK(memcmp(page_back, page_plain, PAGE) != 0);
	HCHECK(cipher_restore_page(cipher, &key, 1, 10, page_sealed, page_back,
				   PAGE, NULL) == CIPHER_OK);
	HCHECK(memcmp(page_back, page_plain, PAGE) == 0);
}

HTEST(xts_tweak_binds_page_portable)
{
	tweak_binding(&cipher_aes128_xts_portable);
	tweak_binding(&cipher_aes256_xts_portable);
}

HTEST(xts_tweak_binds_page_aesni)
{
	if (aesni_missing())
		return;
	tweak_binding(&cipher_aes128_xts_aesni);
	tweak_binding(&cipher_aes256_xts_aesni);
}

/* With a tag: flipped bits, a moved page, a wrong key and a changed tag are
 * all refused, and the output buffer is left untouched. */
static void mac_detects_tampering(const struct cipher_ops *cipher)
{
	uint8_t material[64], other_material[64], tag[16], bad_tag[16];
	struct cipher_key_source key = { CIPHER_KEY_MEMORY, material,
					 2 * cipher->key_bytes };
	struct cipher_key_source other = { CIPHER_KEY_MEMORY, other_material,
					   2 * cipher->key_bytes };
	unsigned undetected = 0;

	srand(42);
	crypt_fill_random(material, sizeof(material));
	memcpy(other_material, material, sizeof(material));
	other_material[0] ^= 1;
	crypt_fill_random(page_plain, PAGE);
	HCHECK(cipher_seal_page(cipher, &key, 7, 100, page_plain, page_sealed,
				PAGE, tag) == CIPHER_OK);
	HCHECK(cipher_restore_page(cipher, &key, 7, 100, page_sealed, page_back,
				   PAGE, tag) == CIPHER_OK);
	HCHECK(memcmp(page_back, page_plain, PAGE) == 0);

	for (int trial = 0; trial < 8; trial++) {
		unsigned bit = (unsigned)rand() % (PAGE * 8);

		page_sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		memset(page_back, 0xee, PAGE);
		undetected += cipher_restore_page(cipher, &key, 7, 100, page_sealed,
						  page_back, PAGE, tag) !=
			      CIPHER_ERROR_TAG;
		page_sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	HCHECK_EQ(undetected, 0);
	for (int i = 0; i < PAGE; i++)
		undetected += page_back[i] != 0xee;	/* nothing written */
	HCHECK_EQ(undetected, 0);

	HCHECK(cipher_restore_page(cipher, &key, 7, 101, page_sealed, page_back,
				   PAGE, tag) == CIPHER_ERROR_TAG);
	HCHECK(cipher_restore_page(cipher, &key, 8, 100, page_sealed, page_back,
				   PAGE, tag) == CIPHER_ERROR_TAG);
	HCHECK(cipher_restore_page(cipher, &other, 7, 100, page_sealed,
				   page_back, PAGE, tag) == CIPHER_ERROR_TAG);
	/* A wrong tweak key K2 alone is caught as well. */
	other_material[0] ^= 1;
	other_material[cipher->key_bytes] ^= 0x10;
	HCHECK(cipher_restore_page(cipher, &other, 7, 100, page_sealed,
				   page_back, PAGE, tag) == CIPHER_ERROR_TAG);
	memcpy(bad_tag, tag, 16);
	bad_tag[15] ^= 0x80;
	HCHECK(cipher_restore_page(cipher, &key, 7, 100, page_sealed, page_back,
				   PAGE, bad_tag) == CIPHER_ERROR_TAG);
	/* Without integrity a wrong key gives garbage, not an error. */
	HCHECK(cipher_restore_page(cipher, &other, 7, 100, page_sealed,
				   page_back, PAGE, NULL) == CIPHER_OK);
	HCHECK(memcmp(page_back, page_plain, PAGE) != 0);
}

HTEST(mac_detects_tampering_portable)
{
	mac_detects_tampering(&cipher_aes128_xts_portable);
	mac_detects_tampering(&cipher_aes256_xts_portable);
}

HTEST(mac_detects_tampering_aesni)
{
	if (aesni_missing())
		return;
	mac_detects_tampering(&cipher_aes128_xts_aesni);
	mac_detects_tampering(&cipher_aes256_xts_aesni);
}

/*
 * GHASH against OpenSSL's AES-GCM: with H = E_K(0) and J0 = IV || 1,
 * GCM's tag is E_K(J0) ^ GHASH_H(A, C).
 */
HTEST(ghash_matches_openssl_gcm)
{
	uint8_t key[16], iv[12], aad[16], h[16] = { 0 }, j0[16], mask[16];
	uint8_t ours[16], theirs[16], zero[16] = { 0 };
	static uint8_t plain[1024], sealed[1024];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int length;

	srand(38);
	crypt_fill_random(key, sizeof(key));
	crypt_fill_random(iv, sizeof(iv));
	crypt_fill_random(aad, sizeof(aad));
	crypt_fill_random(plain, sizeof(plain));
	EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, iv);
	EVP_EncryptUpdate(ctx, NULL, &length, aad, sizeof(aad));
	EVP_EncryptUpdate(ctx, sealed, &length, plain, sizeof(plain));
	EVP_EncryptFinal_ex(ctx, sealed, &length);
	EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, theirs);
	EVP_CIPHER_CTX_free(ctx);

	aes_encrypt_block(key, 16, zero, h);
	memcpy(j0, iv, 12);
	j0[12] = j0[13] = j0[14] = 0;
	j0[15] = 1;
	aes_encrypt_block(key, 16, j0, mask);
	cipher_ghash(h, aad, sealed, sizeof(sealed), ours);
	for (int i = 0; i < 16; i++)
		ours[i] ^= mask[i];
	HCHECK(memcmp(ours, theirs, 16) == 0);
}

/* The PCLMULQDQ GHASH gives the portable one's result on random keys,
 * headers and every length up to a page plus a tail. */
HTEST(ghash_pclmul_matches_portable)
{
	uint8_t h[16], a[16], portable[16], pclmul[16];
	static uint8_t data[4096 + 64];

	if (!cpu_has(CPU_FEATURE_CARRYLESS_MULTIPLY)) {
		htest_skip("no PCLMULQDQ on this host");
		return;
	}
	srand(41);
	for (size_t length = 0; length <= sizeof(data); length += 1 + length / 7) {
		crypt_fill_random(h, sizeof(h));
		crypt_fill_random(a, sizeof(a));
		crypt_fill_random(data, length);
		cipher_ghash(h, a, data, length, portable);
		cipher_ghash_pclmul(h, a, data, length, pclmul);
		HCHECK(memcmp(portable, pclmul, 16) == 0);
	}
}

HTEST(cipher_refuses_bad_input)
{
	uint8_t material[64] = { 1 };
	struct cipher_key_source key = { CIPHER_KEY_MEMORY, material, 32 };
	struct cipher_key_source short_key = { CIPHER_KEY_MEMORY, material, 16 };
	struct cipher_key_source no_bytes = { CIPHER_KEY_MEMORY, NULL, 32 };
	struct cipher_key_source registers = { CIPHER_KEY_CPU_REGISTERS, NULL, 32 };
	const struct cipher_ops *cipher = &cipher_aes128_xts_portable;

	HCHECK(cipher_seal_page(cipher, &key, 0, 0, page_plain, page_sealed,
				PAGE, NULL) == CIPHER_OK);
	HCHECK(cipher_seal_page(cipher, &key, 0, 0, page_plain, page_sealed,
				15, NULL) == CIPHER_ERROR_INVALID);
	HCHECK(cipher_seal_page(cipher, &key, 0, 0, page_plain, page_sealed,
				0, NULL) == CIPHER_ERROR_INVALID);
	HCHECK(cipher_seal_page(cipher, &key, 0, 0, page_plain, page_sealed,
				XTS_MAX_UNIT_BYTES + 1, NULL) == CIPHER_ERROR_INVALID);
	HCHECK(cipher_seal_page(cipher, &key, 1ull << 63, 0, page_plain,
				page_sealed, PAGE, NULL) == CIPHER_ERROR_INVALID);
	HCHECK(cipher_seal_page(cipher, &short_key, 0, 0, page_plain,
				page_sealed, PAGE, NULL) == CIPHER_ERROR_INVALID);
	HCHECK(cipher_seal_page(cipher, &no_bytes, 0, 0, page_plain,
				page_sealed, PAGE, NULL) == CIPHER_ERROR_INVALID);
	/* A host process cannot read debug registers: refused, not a crash. */
	HCHECK(cipher_seal_page(cipher, &registers, 0, 0, page_plain,
				page_sealed, PAGE, NULL) == CIPHER_ERROR_INVALID);
	HCHECK(cipher_restore_page(NULL, &key, 0, 0, page_sealed, page_back,
				   PAGE, NULL) == CIPHER_ERROR_INVALID);
	HCHECK(strcmp(cipher_status_name(CIPHER_ERROR_TAG),
		      "integrity check failed: the sealed page was changed") == 0);
}

HTEST(cipher_lookup_and_select)
{
	HCHECK(cipher_lookup("aes128-xts-portable") == &cipher_aes128_xts_portable);
	HCHECK(cipher_lookup("aes256-xts-aesni") == &cipher_aes256_xts_aesni);
	HCHECK(cipher_lookup("rot13") == NULL);
	HCHECK(cipher_select(16) != NULL && cipher_select(16)->key_bytes == 16);
	HCHECK(cipher_select(32) != NULL && cipher_select(32)->key_bytes == 32);
	HCHECK(cipher_select(24) == NULL);
	if (cipher_aes128_xts_aesni.available())
		HCHECK(cipher_select(16) == &cipher_aes128_xts_aesni);
	else
		HCHECK(cipher_select(16) == &cipher_aes128_xts_portable);
	htest_log("selected on this host: %s, %s", cipher_select(16)->name,
		  cipher_select(32)->name);
}

/* A compressed page: odd length, unaligned buffers, with integrity. */
HTEST(seal_odd_length_unaligned_with_mac)
{
	static _Alignas(16) uint8_t in[1100], out[1100], back[1100];
	uint8_t material[64], tag[16];
	unsigned failures = 0;

	srand(1000);
	crypt_fill_random(material, sizeof(material));
	for (int c = 0; cipher_all[c]; c++) {
		const struct cipher_ops *cipher = cipher_all[c];
		struct cipher_key_source key = { CIPHER_KEY_MEMORY, material,
						 2 * cipher->key_bytes };
		size_t bytes = 1000 + (size_t)c * 7;

		if (!cipher->available())
			continue;
		crypt_fill_random(in, sizeof(in));
		failures += cipher_seal_page(cipher, &key, 4, 44, in + 3, out + 5,
					     bytes, tag) != CIPHER_OK;
		failures += memcmp(out + 5, in + 3, bytes) == 0;
		failures += cipher_restore_page(cipher, &key, 4, 44, out + 5,
						back + 1, bytes, tag) != CIPHER_OK;
		failures += memcmp(back + 1, in + 3, bytes) != 0;
		out[5 + bytes - 1] ^= 4;	/* the stolen tail is covered too */
		failures += cipher_restore_page(cipher, &key, 4, 44, out + 5,
						back + 1, bytes, tag) !=
			    CIPHER_ERROR_TAG;
	}
	HCHECK_EQ(failures, 0);
}
