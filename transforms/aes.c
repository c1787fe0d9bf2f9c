/*
 * aes: constant-time portable AES, bitsliced over 64-bit words.
 *
 * Layout: four blocks (64 bytes) form one state of eight words; word b holds
 * bit b of every byte. Block n owns the 16-bit lane n of each word; inside a
 * lane, byte k of the block (row k % 4, column k / 4) sits at bit
 * 4 * row + column, so a row is one nibble. ShiftRows is then a rotation
 * inside each nibble and the row shifts of MixColumns are rotations of the
 * lane by whole nibbles: masks and shifts, no data-dependent indexing.
 *
 * SubBytes is x -> x^254 in GF(2^8) (the inverse, with 0 -> 0) by a fixed
 * chain of 4 multiplications and 7 squarings, followed by the affine map of
 * FIPS-197 5.1.1. Every operation is an AND, XOR or shift on whole words.
 */
#include <stdint.h>
#include <string.h>
#include "transforms/aes.h"

#define LANES_REPEAT(x) ((uint64_t)(x) * 0x0001000100010001ull)

void aes_wipe(void *buffer, size_t bytes)
{
	memset(buffer, 0, bytes);
	/* The barrier makes the zeroed memory observable, so the memset of a
	 * buffer about to die cannot be removed as a dead store. */
	__asm__ __volatile__("" : : "r"(buffer) : "memory");
}

void aes_ct_wipe(struct aes_ct_schedule *schedule)
{
	aes_wipe(schedule, sizeof(*schedule));
}

/* r = a * b mod x^8 + x^4 + x^3 + x + 1, on bitsliced operands. */
static void aes_gf_multiply(uint64_t r[8], const uint64_t a[8],
			    const uint64_t b[8])
{
	uint64_t product[15] = { 0 };

	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 8; j++)
			product[i + j] ^= a[i] & b[j];
	/* x^8 = x^4 + x^3 + x + 1: fold the high terms down, top first. */
	for (int k = 14; k >= 8; k--) {
		product[k - 4] ^= product[k];
		product[k - 5] ^= product[k];
		product[k - 7] ^= product[k];
		product[k - 8] ^= product[k];
	}
	for (int i = 0; i < 8; i++)
		r[i] = product[i];
}

/* r = a^2: squaring is linear in GF(2^8), only the reduction remains. */
static void aes_gf_square(uint64_t r[8], const uint64_t a[8])
{
	uint64_t product[15] = { 0 };

	for (int i = 0; i < 8; i++)
		product[2 * i] = a[i];
	for (int k = 14; k >= 8; k--) {
		product[k - 4] ^= product[k];
		product[k - 5] ^= product[k];
		product[k - 7] ^= product[k];
		product[k - 8] ^= product[k];
	}
	for (int i = 0; i < 8; i++)
		r[i] = product[i];
}

/* x^254 = x^-1 (and 0 for 0). */
static void aes_gf_invert(uint64_t s[8])
{
	uint64_t x2[8], x3[8], x12[8], t[8], u[8];

	aes_gf_square(x2, s);
	aes_gf_multiply(x3, x2, s);
	aes_gf_square(t, x3);		/* x^6 */
	aes_gf_square(x12, t);		/* x^12 */
	aes_gf_multiply(t, x12, x3);	/* x^15 */
	aes_gf_square(u, t);		/* x^30 */
	aes_gf_square(t, u);		/* x^60 */
	aes_gf_square(u, t);		/* x^120 */
	aes_gf_square(t, u);		/* x^240 */
	aes_gf_multiply(u, t, x12);	/* x^252 */
	aes_gf_multiply(s, u, x2);	/* x^254 */
}

static void aes_ct_sub_bytes(uint64_t s[8])
{
	uint64_t inv[8];

	aes_gf_invert(s);
	for (int i = 0; i < 8; i++)
		inv[i] = s[i];
	for (int i = 0; i < 8; i++)
		s[i] = inv[i] ^ inv[(i + 4) & 7] ^ inv[(i + 5) & 7] ^
		       inv[(i + 6) & 7] ^ inv[(i + 7) & 7];
	/* + 0x63: bits 0, 1, 5 and 6. */
	s[0] = ~s[0];
	s[1] = ~s[1];
	s[5] = ~s[5];
	s[6] = ~s[6];
}

static void aes_ct_inv_sub_bytes(uint64_t s[8])
{
	uint64_t y[8];

	for (int i = 0; i < 8; i++)
		y[i] = s[i];
	y[0] = ~y[0];
	y[1] = ~y[1];
	y[5] = ~y[5];
	y[6] = ~y[6];
	for (int i = 0; i < 8; i++)
		s[i] = y[(i + 2) & 7] ^ y[(i + 5) & 7] ^ y[(i + 7) & 7];
	aes_gf_invert(s);
}

/* Row r of each lane rotates left by r columns (nibble rotations). */
static uint64_t aes_shift_rows_word(uint64_t x)
{
	return (x & LANES_REPEAT(0x000f)) |
	       ((x >> 1) & LANES_REPEAT(0x0070)) | ((x << 3) & LANES_REPEAT(0x0080)) |
	       ((x >> 2) & LANES_REPEAT(0x0300)) | ((x << 2) & LANES_REPEAT(0x0c00)) |
	       ((x >> 3) & LANES_REPEAT(0x1000)) | ((x << 1) & LANES_REPEAT(0xe000));
}

static uint64_t aes_inv_shift_rows_word(uint64_t x)
{
	return (x & LANES_REPEAT(0x000f)) |
	       ((x << 1) & LANES_REPEAT(0x00e0)) | ((x >> 3) & LANES_REPEAT(0x0010)) |
	       ((x >> 2) & LANES_REPEAT(0x0300)) | ((x << 2) & LANES_REPEAT(0x0c00)) |
	       ((x << 3) & LANES_REPEAT(0x8000)) | ((x >> 1) & LANES_REPEAT(0x7000));
}

/* Row r of the result is row r + 1 (mod 4) of x, for every column. */
static uint64_t aes_rows_up1(uint64_t x)
{
	return ((x >> 4) & LANES_REPEAT(0x0fff)) | ((x << 12) & LANES_REPEAT(0xf000));
}

static uint64_t aes_rows_up2(uint64_t x)
{
	return ((x >> 8) & LANES_REPEAT(0x00ff)) | ((x << 8) & LANES_REPEAT(0xff00));
}

/* Multiplication by x ({02}) of every byte. */
static void aes_xtime(uint64_t r[8], const uint64_t a[8])
{
	uint64_t top = a[7];

	r[7] = a[6];
	r[6] = a[5];
	r[5] = a[4];
	r[4] = a[3] ^ top;
	r[3] = a[2] ^ top;
	r[2] = a[1];
	r[1] = a[0] ^ top;
	r[0] = top;
}

/* b_r = 2 a_r + 3 a_{r+1} + a_{r+2} + a_{r+3}
 *     = 2 (a_r + a_{r+1}) + a_{r+1} + (a_{r+2} + a_{r+3}). */
static void aes_mix_columns(uint64_t s[8])
{
	uint64_t up1[8], t[8], doubled[8];

	for (int i = 0; i < 8; i++) {
		up1[i] = aes_rows_up1(s[i]);
		t[i] = s[i] ^ up1[i];
	}
	aes_xtime(doubled, t);
	for (int i = 0; i < 8; i++)
		s[i] = doubled[i] ^ up1[i] ^ aes_rows_up2(t[i]);
}

/* InvMixColumns = MixColumns after a_r += 4 (a_r + a_{r+2}). */
static void aes_inv_mix_columns(uint64_t s[8])
{
	uint64_t t[8], twice[8], four[8];

	for (int i = 0; i < 8; i++)
		t[i] = s[i] ^ aes_rows_up2(s[i]);
	aes_xtime(twice, t);
	aes_xtime(four, twice);
	for (int i = 0; i < 8; i++)
		s[i] ^= four[i];
	aes_mix_columns(s);
}

/* Byte k of block n goes to bit 16 n + 4 (k % 4) + k / 4 of word b. */
static void aes_ct_pack(uint64_t s[8], const uint8_t in[64])
{
	for (int b = 0; b < 8; b++)
		s[b] = 0;
	for (int n = 0; n < AES_CT_LANES; n++) {
		for (int k = 0; k < 16; k++) {
			unsigned position = 16 * n + 4 * (k & 3) + (k >> 2);
			uint64_t byte = in[16 * n + k];

			for (int b = 0; b < 8; b++)
				s[b] |= ((byte >> b) & 1) << position;
		}
	}
}

static void aes_ct_unpack(uint8_t out[64], const uint64_t s[8])
{
	for (int n = 0; n < AES_CT_LANES; n++) {
		for (int k = 0; k < 16; k++) {
			unsigned position = 16 * n + 4 * (k & 3) + (k >> 2);
			unsigned byte = 0;

			for (int b = 0; b < 8; b++)
				byte |= (unsigned)((s[b] >> position) & 1) << b;
			out[16 * n + k] = (uint8_t)byte;
		}
	}
}

static uint32_t aes_ct_sub_word(uint32_t word)
{
	uint8_t bytes[64] = { 0 };
	uint64_t s[8];
	uint32_t result;

	/* Bytes 0..3 of block 0 are at column 0 of rows 0..3. */
	for (int i = 0; i < 4; i++)
		bytes[i] = (uint8_t)(word >> (8 * i));
	aes_ct_pack(s, bytes);
	aes_ct_sub_bytes(s);
	aes_ct_unpack(bytes, s);
	result = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 |
		 (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
	aes_wipe(bytes, sizeof(bytes));
	aes_wipe(s, sizeof(s));
	return result;
}

int aes_ct_expand_bytes(const uint8_t *key, unsigned key_bytes,
			uint8_t round_keys[(AES_MAX_ROUNDS + 1) * 16])
{
	unsigned key_words = key_bytes / 4, rounds, total;
	uint32_t words[4 * (AES_MAX_ROUNDS + 1)];
	uint8_t round_constant = 1;

	if (key_bytes != AES128_KEY_BYTES && key_bytes != AES256_KEY_BYTES)
		return -1;
	rounds = key_words + 6;
	total = 4 * (rounds + 1);
	/* Words are little-endian here: byte 0 of a word is its low byte. */
	for (unsigned i = 0; i < key_words; i++)
		words[i] = (uint32_t)key[4 * i] | (uint32_t)key[4 * i + 1] << 8 |
			   (uint32_t)key[4 * i + 2] << 16 |
			   (uint32_t)key[4 * i + 3] << 24;
	for (unsigned i = key_words; i < total; i++) {
		uint32_t temp = words[i - 1];

		if (i % key_words == 0) {
			temp = aes_ct_sub_word(temp >> 8 | temp << 24) ^ round_constant;
			round_constant = (uint8_t)(round_constant << 1 ^
						   ((round_constant >> 7) * 0x1b));
		} else if (key_words > 6 && i % key_words == 4) {
			temp = aes_ct_sub_word(temp);
		}
		words[i] = words[i - key_words] ^ temp;
	}
	for (unsigned i = 0; i < total; i++)
		for (int j = 0; j < 4; j++)
			round_keys[4 * i + j] = (uint8_t)(words[i] >> (8 * j));
	aes_wipe(words, sizeof(words));
	return 0;
}

int aes_ct_expand(struct aes_ct_schedule *schedule, const uint8_t *key,
		  unsigned key_bytes)
{
	uint8_t round_keys[(AES_MAX_ROUNDS + 1) * 16];
	uint8_t repeated[64];

	if (aes_ct_expand_bytes(key, key_bytes, round_keys) != 0)
		return -1;
	schedule->rounds = key_bytes / 4 + 6;
	for (unsigned r = 0; r <= schedule->rounds; r++) {
		for (int n = 0; n < AES_CT_LANES; n++)
			memcpy(repeated + 16 * n, round_keys + 16 * r, 16);
		aes_ct_pack(schedule->round_words[r], repeated);
	}
	aes_wipe(round_keys, sizeof(round_keys));
	aes_wipe(repeated, sizeof(repeated));
	return 0;
}

static void aes_add_round_key(uint64_t s[8], const uint64_t key[8])
{
	for (int i = 0; i < 8; i++)
		s[i] ^= key[i];
}

void aes_ct_encrypt4(const struct aes_ct_schedule *schedule,
		     const uint8_t in[64], uint8_t out[64])
{
	uint64_t s[8];
	unsigned rounds = schedule->rounds;

	aes_ct_pack(s, in);
	aes_add_round_key(s, schedule->round_words[0]);
	for (unsigned r = 1; r <= rounds; r++) {
		aes_ct_sub_bytes(s);
		for (int i = 0; i < 8; i++)
			s[i] = aes_shift_rows_word(s[i]);
		if (r != rounds)
			aes_mix_columns(s);
		aes_add_round_key(s, schedule->round_words[r]);
	}
	aes_ct_unpack(out, s);
	aes_wipe(s, sizeof(s));
}

void aes_ct_decrypt4(const struct aes_ct_schedule *schedule,
		     const uint8_t in[64], uint8_t out[64])
{
	uint64_t s[8];
	unsigned rounds = schedule->rounds;

	aes_ct_pack(s, in);
	aes_add_round_key(s, schedule->round_words[rounds]);
	for (unsigned r = rounds; r >= 1; r--) {
		for (int i = 0; i < 8; i++)
			s[i] = aes_inv_shift_rows_word(s[i]);
		aes_ct_inv_sub_bytes(s);
		aes_add_round_key(s, schedule->round_words[r - 1]);
		if (r != 1)
			aes_inv_mix_columns(s);
	}
	aes_ct_unpack(out, s);
	aes_wipe(s, sizeof(s));
}

static int aes_one_block(const uint8_t *key, unsigned key_bytes,
			 const uint8_t in[16], uint8_t out[16], int decrypt)
{
	struct aes_ct_schedule schedule;
	uint8_t lanes[64] = { 0 };

	if (aes_ct_expand(&schedule, key, key_bytes) != 0)
		return -1;
	memcpy(lanes, in, 16);
	if (decrypt)
		aes_ct_decrypt4(&schedule, lanes, lanes);
	else
		aes_ct_encrypt4(&schedule, lanes, lanes);
	memcpy(out, lanes, 16);
	aes_ct_wipe(&schedule);
	aes_wipe(lanes, sizeof(lanes));
	return 0;
}

int aes_encrypt_block(const uint8_t *key, unsigned key_bytes,
		      const uint8_t in[16], uint8_t out[16])
{
	return aes_one_block(key, key_bytes, in, out, 0);
}

int aes_decrypt_block(const uint8_t *key, unsigned key_bytes,
		      const uint8_t in[16], uint8_t out[16])
{
	return aes_one_block(key, key_bytes, in, out, 1);
}
