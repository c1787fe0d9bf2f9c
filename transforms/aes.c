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
 * SubBytes is a fixed boolean circuit of 113 gates (Boyar-Peralta); the
 * inverse S-box reuses it between two inverse affine maps. Packing bytes
 * into this layout is a fixed bit transposition. Every operation is an AND,
 * XOR, NOT or shift on whole words.
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

/*
 * The forward S-box as a boolean circuit: 113 XOR/AND/XNOR gates (the
 * depth-16 circuit of Boyar and Peralta, "A depth-16 circuit for the AES
 * S-box", 2011). U0 is the most significant bit of the input byte, S0 of
 * the output; in this file word b holds bit b, so U0 = s[7].
 */
static void aes_ct_sub_bytes(uint64_t s[8])
{
	uint64_t u0 = s[7], u1 = s[6], u2 = s[5], u3 = s[4];
	uint64_t u4 = s[3], u5 = s[2], u6 = s[1], u7 = s[0];
	uint64_t t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14;
	uint64_t t15, t16, t17, t18, t19, t20, t21, t22, t23, t24, t25, t26, t27;
	uint64_t m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14;
	uint64_t m15, m16, m17, m18, m19, m20, m21, m22, m23, m24, m25, m26;
	uint64_t m27, m28, m29, m30, m31, m32, m33, m34, m35, m36, m37, m38;
	uint64_t m39, m40, m41, m42, m43, m44, m45, m46, m47, m48, m49, m50;
	uint64_t m51, m52, m53, m54, m55, m56, m57, m58, m59, m60, m61, m62, m63;
	uint64_t l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12, l13;
	uint64_t l14, l15, l16, l17, l18, l19, l20, l21, l22, l23, l24, l25;
	uint64_t l26, l27, l28, l29;

	/* Top linear layer. */
	t1 = u0 ^ u3;
	t2 = u0 ^ u5;
	t3 = u0 ^ u6;
	t4 = u3 ^ u5;
	t5 = u4 ^ u6;
	t6 = t1 ^ t5;
	t7 = u1 ^ u2;
	t8 = u7 ^ t6;
	t9 = u7 ^ t7;
	t10 = t6 ^ t7;
	t11 = u1 ^ u5;
	t12 = u2 ^ u5;
	t13 = t3 ^ t4;
	t14 = t6 ^ t11;
	t15 = t5 ^ t11;
	t16 = t5 ^ t12;
	t17 = t9 ^ t16;
	t18 = u3 ^ u7;
	t19 = t7 ^ t18;
	t20 = t1 ^ t19;
	t21 = u6 ^ u7;
	t22 = t7 ^ t21;
	t23 = t2 ^ t22;
	t24 = t2 ^ t10;
	t25 = t20 ^ t17;
	t26 = t3 ^ t16;
	t27 = t1 ^ t12;

	/* Non-linear middle: inversion in GF(2^4)^2 form. */
	m1 = t13 & t6;
	m2 = t23 & t8;
	m3 = t14 ^ m1;
	m4 = t19 & u7;
	m5 = m4 ^ m1;
	m6 = t3 & t16;
	m7 = t22 & t9;
	m8 = t26 ^ m6;
	m9 = t20 & t17;
	m10 = m9 ^ m6;
	m11 = t1 & t15;
	m12 = t4 & t27;
	m13 = m12 ^ m11;
	m14 = t2 & t10;
	m15 = m14 ^ m11;
	m16 = m3 ^ m2;
	m17 = m5 ^ t24;
	m18 = m8 ^ m7;
	m19 = m10 ^ m15;
	m20 = m16 ^ m13;
	m21 = m17 ^ m15;
	m22 = m18 ^ m13;
	m23 = m19 ^ t25;
	m24 = m22 ^ m23;
	m25 = m22 & m20;
	m26 = m21 ^ m25;
	m27 = m20 ^ m21;
	m28 = m23 ^ m25;
	m29 = m28 & m27;
	m30 = m26 & m24;
	m31 = m20 & m23;
	m32 = m27 & m31;
	m33 = m27 ^ m25;
	m34 = m21 & m22;
	m35 = m24 & m34;
	m36 = m24 ^ m25;
	m37 = m21 ^ m29;
	m38 = m32 ^ m33;
	m39 = m23 ^ m30;
	m40 = m35 ^ m36;
	m41 = m38 ^ m40;
	m42 = m37 ^ m39;
	m43 = m37 ^ m38;
	m44 = m39 ^ m40;
	m45 = m42 ^ m41;
	m46 = m44 & t6;
	m47 = m40 & t8;
	m48 = m39 & u7;
	m49 = m43 & t16;
	m50 = m38 & t9;
	m51 = m37 & t17;
	m52 = m42 & t15;
	m53 = m45 & t27;
	m54 = m41 & t10;
	m55 = m44 & t13;
	m56 = m40 & t23;
	m57 = m39 & t19;
	m58 = m43 & t3;
	m59 = m38 & t22;
	m60 = m37 & t20;
	m61 = m42 & t1;
	m62 = m45 & t4;
	m63 = m41 & t2;

	/* Bottom linear layer, with the affine constant folded in. */
	l0 = m61 ^ m62;
	l1 = m50 ^ m56;
	l2 = m46 ^ m48;
	l3 = m47 ^ m55;
	l4 = m54 ^ m58;
	l5 = m49 ^ m61;
	l6 = m62 ^ l5;
	l7 = m46 ^ l3;
	l8 = m51 ^ m59;
	l9 = m52 ^ m53;
	l10 = m53 ^ l4;
	l11 = m60 ^ l2;
	l12 = m48 ^ m51;
	l13 = m50 ^ l0;
	l14 = m52 ^ m61;
	l15 = m55 ^ l1;
	l16 = m56 ^ l0;
	l17 = m57 ^ l1;
	l18 = m58 ^ l8;
	l19 = m63 ^ l4;
	l20 = l0 ^ l1;
	l21 = l1 ^ l7;
	l22 = l3 ^ l12;
	l23 = l18 ^ l2;
	l24 = l15 ^ l9;
	l25 = l6 ^ l10;
	l26 = l7 ^ l9;
	l27 = l8 ^ l10;
	l28 = l11 ^ l14;
	l29 = l11 ^ l17;
	s[7] = l6 ^ l24;
	s[6] = ~(l16 ^ l26);
	s[5] = ~(l19 ^ l28);
	s[4] = l6 ^ l21;
	s[3] = l20 ^ l22;
	s[2] = l25 ^ l29;
	s[1] = ~(l13 ^ l27);
	s[0] = ~(l6 ^ l23);
}

/* The inverse of the S-box's affine map A (x -> A x + 0x63):
 * x_i = y_{i+2} + y_{i+5} + y_{i+7} after removing the constant. */
static void aes_ct_inverse_affine(uint64_t s[8])
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
}

/*
 * S^-1(y) = inv(A^-1(y)) where inv is inversion in GF(2^8); and
 * inv(x) = A^-1(S(x)) since S(x) = A(inv(x)). So the inverse S-box is the
 * forward circuit between two inverse affine maps.
 */
static void aes_ct_inv_sub_bytes(uint64_t s[8])
{
	aes_ct_inverse_affine(s);
	aes_ct_sub_bytes(s);
	aes_ct_inverse_affine(s);
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

/* Exchanges the bits of x selected by mask with those `shift` above. */
static uint64_t aes_swap_bits(uint64_t x, uint64_t mask, unsigned shift)
{
	uint64_t t = ((x >> shift) ^ x) & mask;

	return x ^ t ^ (t << shift);
}

/* An 8x8 bit matrix (byte i, bit j at 8 i + j) transposed. */
static uint64_t aes_transpose8(uint64_t x)
{
	x = aes_swap_bits(x, 0x00aa00aa00aa00aaull, 7);
	x = aes_swap_bits(x, 0x0000cccc0000ccccull, 14);
	return aes_swap_bits(x, 0x00000000f0f0f0f0ull, 28);
}

/* Inside every 16-bit lane, bit 4 c + r goes to 4 r + c (4x4 transpose):
 * from byte order to row-major order, and back. */
static uint64_t aes_lane_transpose(uint64_t x)
{
	x = aes_swap_bits(x, LANES_REPEAT(0x0a0a), 3);
	return aes_swap_bits(x, LANES_REPEAT(0x00cc), 6);
}

static uint64_t aes_load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void aes_store_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Byte k of block n goes to bit 16 n + 4 (k % 4) + k / 4 of word b:
 * transpose each 8-byte group so byte b holds bit b of its 8 bytes, gather
 * those bytes into word b, then reorder inside each lane. */
static void aes_ct_pack(uint64_t s[8], const uint8_t in[64])
{
	uint64_t w[8];

	for (int m = 0; m < 8; m++)
		w[m] = aes_transpose8(aes_load_le64(in + 8 * m));
	for (int b = 0; b < 8; b++) {
		uint64_t word = 0;

		for (int m = 0; m < 8; m++)
			word |= ((w[m] >> (8 * b)) & 0xff) << (8 * m);
		s[b] = aes_lane_transpose(word);
	}
}

static void aes_ct_unpack(uint8_t out[64], const uint64_t s[8])
{
	uint64_t t[8];

	for (int b = 0; b < 8; b++)
		t[b] = aes_lane_transpose(s[b]);
	for (int m = 0; m < 8; m++) {
		uint64_t word = 0;

		for (int b = 0; b < 8; b++)
			word |= ((t[b] >> (8 * m)) & 0xff) << (8 * b);
		aes_store_le64(out + 8 * m, aes_transpose8(word));
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
