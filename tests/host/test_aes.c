/*
 * Host tests of the constant-time portable AES (transforms/aes.c): the
 * FIPS-197 known answers, the whole S-box against one computed here the
 * slow textbook way, the key expansion against FIPS-197 appendix A, and
 * random blocks against OpenSSL's AES.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "tests/host/htest.h"
#include "tests/host/test_xts_util.h"
#include "transforms/aes.h"

HTEST(aes_fips197_appendix_c_vectors)
{
	uint8_t key[32], plain[16], cipher[16], back[16], expected[16];

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 16; i++)
		plain[i] = (uint8_t)(i * 0x11);

	HCHECK(aes_encrypt_block(key, 16, plain, cipher) == 0);
	crypt_hex_decode("69c4e0d86a7b0430d8cdb78070b4c55a", expected, 16);
	HCHECK(memcmp(cipher, expected, 16) == 0);
	HCHECK(aes_decrypt_block(key, 16, cipher, back) == 0);
	HCHECK(memcmp(back, plain, 16) == 0);

	HCHECK(aes_encrypt_block(key, 32, plain, cipher) == 0);
	crypt_hex_decode("8ea2b7ca516745bfeafc49904b496089", expected, 16);
	HCHECK(memcmp(cipher, expected, 16) == 0);
	HCHECK(aes_decrypt_block(key, 32, cipher, back) == 0);
	HCHECK(memcmp(back, plain, 16) == 0);
}

HTEST(aes_fips197_appendix_b_vector)
{
	uint8_t key[16], plain[16], cipher[16], expected[16];

	crypt_hex_decode("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
	crypt_hex_decode("3243f6a8885a308d313198a2e0370734", plain, 16);
	crypt_hex_decode("3925841d02dc09fbdc118597196a0b32", expected, 16);
	HCHECK(aes_encrypt_block(key, 16, plain, cipher) == 0);
	HCHECK(memcmp(cipher, expected, 16) == 0);
}

/* FIPS-197 A.1 and A.3: the last round key of the expansions. */
HTEST(aes_key_expansion_appendix_a)
{
	uint8_t key[32], round_keys[(AES_MAX_ROUNDS + 1) * 16], expected[16];

	crypt_hex_decode("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
	HCHECK(aes_ct_expand_bytes(key, 16, round_keys) == 0);
	crypt_hex_decode("d014f9a8c9ee2589e13f0cc8b6630ca6", expected, 16);
	HCHECK(memcmp(round_keys + 10 * 16, expected, 16) == 0);

	crypt_hex_decode("603deb1015ca71be2b73aef0857d7781"
			 "1f352c073b6108d72d9810a30914dff4", key, 32);
	HCHECK(aes_ct_expand_bytes(key, 32, round_keys) == 0);
	crypt_hex_decode("fe4890d1e6188d0b046df344706c631e", expected, 16);
	HCHECK(memcmp(round_keys + 14 * 16, expected, 16) == 0);
}

HTEST(aes_rejects_other_key_lengths)
{
	uint8_t key[24] = { 0 }, block[16] = { 0 };
	struct aes_ct_schedule schedule;

	HCHECK(aes_encrypt_block(key, 24, block, block) == -1);
	HCHECK(aes_ct_expand(&schedule, key, 0) == -1);
}

/* The S-box the slow way: inverse by exhaustive search, then the affine
 * map of FIPS-197 5.1.1 bit by bit. */
static uint8_t reference_gf_multiply(uint8_t a, uint8_t b)
{
	uint8_t product = 0;

	for (int i = 0; i < 8; i++) {
		if (b & 1)
			product ^= a;
		b >>= 1;
		a = (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
	}
	return product;
}

static uint8_t reference_sbox(uint8_t x)
{
	uint8_t inverse = 0, result = 0;

	for (int candidate = 1; candidate < 256 && x; candidate++)
		if (reference_gf_multiply(x, (uint8_t)candidate) == 1)
			inverse = (uint8_t)candidate;
	for (int i = 0; i < 8; i++) {
		int bit = (inverse >> i) ^ (inverse >> ((i + 4) % 8)) ^
			  (inverse >> ((i + 5) % 8)) ^ (inverse >> ((i + 6) % 8)) ^
			  (inverse >> ((i + 7) % 8)) ^ (0x63 >> i);
		result |= (uint8_t)((bit & 1) << i);
	}
	return result;
}

/* SubBytes is observed through the key expansion: with a key whose last
 * word is (x, 0, 0, 0), word 4's first byte is SubWord(RotWord(w3)) ^ w0 ^
 * rcon, so byte 3 of word 4 is S(x) (RotWord moves x to byte 3). */
HTEST(aes_sbox_matches_textbook_for_all_bytes)
{
	uint8_t key[16] = { 0 }, round_keys[(AES_MAX_ROUNDS + 1) * 16];
	unsigned mismatches = 0;

	for (int x = 0; x < 256; x++) {
		key[12] = (uint8_t)x;
		aes_ct_expand_bytes(key, 16, round_keys);
		if (round_keys[16 + 3] != reference_sbox((uint8_t)x))
			mismatches++;
	}
	HCHECK_EQ(mismatches, 0);
}

HTEST(aes_random_blocks_match_openssl)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	unsigned mismatches = 0;

	srand(1197);
	for (int round = 0; round < 200; round++) {
		unsigned key_bytes = round & 1 ? 32 : 16;
		uint8_t key[32], in[64], ours[64], back[64], theirs[64];
		struct aes_ct_schedule schedule;
		int length;

		crypt_fill_random(key, sizeof(key));
		crypt_fill_random(in, sizeof(in));
		aes_ct_expand(&schedule, key, key_bytes);
		aes_ct_encrypt4(&schedule, in, ours);
		aes_ct_decrypt4(&schedule, ours, back);
		aes_ct_wipe(&schedule);
		EVP_EncryptInit_ex(ctx, key_bytes == 16 ? EVP_aes_128_ecb() :
				   EVP_aes_256_ecb(), NULL, key, NULL);
		EVP_CIPHER_CTX_set_padding(ctx, 0);
		EVP_EncryptUpdate(ctx, theirs, &length, in, sizeof(in));
		if (memcmp(ours, theirs, 64) != 0 || memcmp(back, in, 64) != 0)
			mismatches++;
	}
	EVP_CIPHER_CTX_free(ctx);
	HCHECK_EQ(mismatches, 0);
}

HTEST(aes_wipe_clears_schedule)
{
	struct aes_ct_schedule schedule;
	uint8_t key[16] = { 1, 2, 3 }, zero[sizeof(schedule)];

	aes_ct_expand(&schedule, key, 16);
	aes_ct_wipe(&schedule);
	memset(zero, 0, sizeof(zero));
	HCHECK(memcmp(&schedule, zero, sizeof(schedule)) == 0);
}
