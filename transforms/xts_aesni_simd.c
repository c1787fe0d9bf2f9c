/*
 * xts_aesni_simd: XTS-AES-128/256 with AES-NI, one inline-assembly
 * statement per data unit, so the key material stays in registers:
 *
 *   key source (debug registers or, for tests, memory)
 *     -> general registers k0..k3 -> XMM registers: round keys, tweak key.
 *
 * The key schedule is recomputed for every data unit (the key exists only
 * in registers between units). The tweak key K2 is expanded on the fly
 * while it encrypts the tweak, then dropped; the data key K1 is expanded
 * into XMM registers, except round key 0 (the pre-whitening key; for
 * decryption the last round key), which stays in two general registers and
 * is folded into the tweak there: P ^ T ^ rk0 costs no XMM register.
 * That frees enough XMM registers to pipeline 6 blocks for AES-128 (10 round
 * keys + 6 blocks = 16) and 2 blocks for AES-256 (14 + 2).
 *
 * The tweak T_j lives in two general registers, doubled there with a shift
 * and a masked XOR (no branch); each T_j is parked in its block's output
 * slot until the block's final XOR overwrites it with ciphertext. T_j is
 * not key material, but it is secret: see docs/encryption.md.
 *
 * Before the statement ends every XMM register and every general register
 * that held key or tweak material is cleared. Legacy SSE encodings are used
 * (no VEX), so in and out must be 16-byte aligned (pages are).
 *
 * Only called between fpu_begin() and fpu_end(), after a CPUID check for
 * AES-NI and SSE4.1 (pinsrq/pextrq).
 */
#include <stdint.h>
#include <string.h>
#include "transforms/cipher.h"
#include "transforms/xts.h"
#include "transforms/xts_aesni.h"
#ifndef VEIL_HOST
#include "kernel/keyreg.h"
#endif

#define XTS_STRING_(x) #x
#define XTS_STRING(x) XTS_STRING_(x)
#define XMM(n) "%%xmm" #n

/* The key material into k0..k3: from memory (tests) ... */
#define KEY_FROM_MEMORY                                                        \
	"mov 0(%[key]), %[k0]\n\t"                                             \
	"mov 8(%[key]), %[k1]\n\t"                                             \
	"mov 16(%[key]), %[k2]\n\t"                                            \
	"mov 24(%[key]), %[k3]\n\t"
/* ... or from the debug registers (arch/x86/include/arch/keyreg.h). */
#define KEY_FROM_REGISTERS KEYREG_ASM_LOAD

#define COPY(src, dst) "movdqa " XMM(src) ", " XMM(dst) "\n\t"
#define GPR_TO_XMM(low, high, x)                                               \
	"movq %[" #low "], " XMM(x) "\n\t"                                     \
	"pinsrq $1, %[" #high "], " XMM(x) "\n\t"
#define XMM_TO_GPR(x, low, high)                                               \
	"movq " XMM(x) ", %[" #low "]\n\t"                                     \
	"pextrq $1, " XMM(x) ", %[" #high "]\n\t"

/* dst ^= dst << 32 ^ dst << 64 ^ dst << 96 (word-wise prefix XOR). */
#define SHIFT_XOR(dst, tb)                                                     \
	COPY(dst, tb)                                                          \
	"pslldq $4, " XMM(tb) "\n\t" "pxor " XMM(tb) ", " XMM(dst) "\n\t"      \
	"pslldq $4, " XMM(tb) "\n\t" "pxor " XMM(tb) ", " XMM(dst) "\n\t"      \
	"pslldq $4, " XMM(tb) "\n\t" "pxor " XMM(tb) ", " XMM(dst) "\n\t"

/* AES-128: dst becomes the next round key of dst (FIPS-197 5.2). */
#define EXPAND128(dst, rcon, ta, tb)                                           \
	"aeskeygenassist $" #rcon ", " XMM(dst) ", " XMM(ta) "\n\t"            \
	"pshufd $0xff, " XMM(ta) ", " XMM(ta) "\n\t"                           \
	SHIFT_XOR(dst, tb)                                                     \
	"pxor " XMM(ta) ", " XMM(dst) "\n\t"

/* AES-256: dst (round key i - 2) becomes round key i, src being round key
 * i - 1; even i: RotWord+SubWord+rcon (shuffle 0xff), odd i: SubWord
 * (shuffle 0xaa, rcon 0). */
#define EXPAND256(dst, src, rcon, shuffle, ta, tb)                             \
	"aeskeygenassist $" #rcon ", " XMM(src) ", " XMM(ta) "\n\t"            \
	"pshufd $" #shuffle ", " XMM(ta) ", " XMM(ta) "\n\t"                   \
	SHIFT_XOR(dst, tb)                                                     \
	"pxor " XMM(ta) ", " XMM(dst) "\n\t"

/* One block in xmm1 through AES-128 under the key in xmm0, expanded on the
 * fly (xmm2, xmm3 scratch); the key register ends as the last round key. */
#define ONFLY128_BLOCK                                                         \
	"pxor %%xmm0, %%xmm1\n\t"                                              \
	EXPAND128(0, 0x01, 2, 3) "aesenc %%xmm0, %%xmm1\n\t"                   \
	EXPAND128(0, 0x02, 2, 3) "aesenc %%xmm0, %%xmm1\n\t"                   \
	EXPAND128(0, 0x04, 2, 3) "aesenc %%xmm0, %%xmm1\n\t"                   \
	EXPAND128(0, 0x08, 2, 3) "aesenc %%xmm0, %%xmm1\n\t"                   \
	EXPAND128(0, 0x10, 2, 3) "aesenc %%xmm0, %%xmm1\n\t"                   \
	EXPAND128(0, 0x20, 2, 3) "aesenc %%xmm0, %%xmm1\n\t"                   \
	EXPAND128(0, 0x40, 2, 3) "aesenc %%xmm0, %%xmm1\n\t"                   \
	EXPAND128(0, 0x80, 2, 3) "aesenc %%xmm0, %%xmm1\n\t"                   \
	EXPAND128(0, 0x1b, 2, 3) "aesenc %%xmm0, %%xmm1\n\t"                   \
	EXPAND128(0, 0x36, 2, 3) "aesenclast %%xmm0, %%xmm1\n\t"

/* T = E_K2(tl:th) for AES-128, K2 in k2:k3; T back into tl:th. */
#define TWEAK128                                                               \
	GPR_TO_XMM(tl, th, 1)                                                  \
	GPR_TO_XMM(k2, k3, 0)                                                  \
	ONFLY128_BLOCK                                                         \
	XMM_TO_GPR(1, tl, th)

/* Rounds 2..14 of AES-256 with the key pair in xmm0 (even) / xmm1 (odd)
 * expanded on the fly (xmm3, xmm4 scratch); APPLY(k) runs a round with the
 * key register k, APPLY_LAST the final round. */
#define ONFLY256_TAIL(APPLY, APPLY_LAST)                                       \
	EXPAND256(0, 1, 0x01, 0xff, 3, 4) APPLY(0)                             \
	EXPAND256(1, 0, 0x00, 0xaa, 3, 4) APPLY(1)                             \
	EXPAND256(0, 1, 0x02, 0xff, 3, 4) APPLY(0)                             \
	EXPAND256(1, 0, 0x00, 0xaa, 3, 4) APPLY(1)                             \
	EXPAND256(0, 1, 0x04, 0xff, 3, 4) APPLY(0)                             \
	EXPAND256(1, 0, 0x00, 0xaa, 3, 4) APPLY(1)                             \
	EXPAND256(0, 1, 0x08, 0xff, 3, 4) APPLY(0)                             \
	EXPAND256(1, 0, 0x00, 0xaa, 3, 4) APPLY(1)                             \
	EXPAND256(0, 1, 0x10, 0xff, 3, 4) APPLY(0)                             \
	EXPAND256(1, 0, 0x00, 0xaa, 3, 4) APPLY(1)                             \
	EXPAND256(0, 1, 0x20, 0xff, 3, 4) APPLY(0)                             \
	EXPAND256(1, 0, 0x00, 0xaa, 3, 4) APPLY(1)                             \
	EXPAND256(0, 1, 0x40, 0xff, 3, 4) APPLY_LAST(0)

/* AES-256 K2 (low half xmm0, high half xmm1): stored after K1 ... */
#define K2_256_EXPLICIT                                                        \
	"movdqu 32(%[key]), %%xmm0\n\t"                                        \
	"movdqu 48(%[key]), %%xmm1\n\t"

/* ... or derived from K1 (k0..k3) as AES-256_K1(D0) || AES-256_K1(D1). */
#define DERIVE_APPLY(k)                                                        \
	"aesenc " XMM(k) ", %%xmm5\n\t" "aesenc " XMM(k) ", %%xmm6\n\t"
#define DERIVE_APPLY_LAST(k)                                                   \
	"aesenclast " XMM(k) ", %%xmm5\n\t" "aesenclast " XMM(k) ", %%xmm6\n\t"
#define K2_256_DERIVED                                                         \
	GPR_TO_XMM(k0, k1, 0)                                                  \
	GPR_TO_XMM(k2, k3, 1)                                                  \
	"mov $" XTS_STRING(XTS_DERIVE_D0_LOW) ", %[t1]\n\t"                    \
	"movq %[t1], %%xmm5\n\t"                                               \
	"mov $" XTS_STRING(XTS_DERIVE_D0_HIGH) ", %[t1]\n\t"                   \
	"pinsrq $1, %[t1], %%xmm5\n\t"                                         \
	"mov $" XTS_STRING(XTS_DERIVE_D1_LOW) ", %[t1]\n\t"                    \
	"movq %[t1], %%xmm6\n\t"                                               \
	"mov $" XTS_STRING(XTS_DERIVE_D1_HIGH) ", %[t1]\n\t"                   \
	"pinsrq $1, %[t1], %%xmm6\n\t"                                         \
	"pxor %%xmm0, %%xmm5\n\t" "pxor %%xmm0, %%xmm6\n\t"                    \
	"aesenc %%xmm1, %%xmm5\n\t" "aesenc %%xmm1, %%xmm6\n\t"                \
	ONFLY256_TAIL(DERIVE_APPLY, DERIVE_APPLY_LAST)                         \
	COPY(5, 0)                                                             \
	COPY(6, 1)

/* T = E_K2(tl:th) for AES-256, K2 in xmm0/xmm1, block in xmm2. */
#define TWEAK_APPLY(k) "aesenc " XMM(k) ", %%xmm2\n\t"
#define TWEAK_APPLY_LAST(k) "aesenclast " XMM(k) ", %%xmm2\n\t"
#define TWEAK256                                                               \
	GPR_TO_XMM(tl, th, 2)                                                  \
	"pxor %%xmm0, %%xmm2\n\t"                                              \
	"aesenc %%xmm1, %%xmm2\n\t"                                            \
	ONFLY256_TAIL(TWEAK_APPLY, TWEAK_APPLY_LAST)                           \
	XMM_TO_GPR(2, tl, th)

/* AES-128 K1 schedule for encryption: rk0 stays in k0:k1, rk1..rk10 go to
 * xmm6..xmm15. */
#define SCHEDULE128_ENCRYPT                                                    \
	GPR_TO_XMM(k0, k1, 6) EXPAND128(6, 0x01, 2, 3)                         \
	COPY(6, 7) EXPAND128(7, 0x02, 2, 3)                                    \
	COPY(7, 8) EXPAND128(8, 0x04, 2, 3)                                    \
	COPY(8, 9) EXPAND128(9, 0x08, 2, 3)                                    \
	COPY(9, 10) EXPAND128(10, 0x10, 2, 3)                                  \
	COPY(10, 11) EXPAND128(11, 0x20, 2, 3)                                 \
	COPY(11, 12) EXPAND128(12, 0x40, 2, 3)                                 \
	COPY(12, 13) EXPAND128(13, 0x80, 2, 3)                                 \
	COPY(13, 14) EXPAND128(14, 0x1b, 2, 3)                                 \
	COPY(14, 15) EXPAND128(15, 0x36, 2, 3)

/* For decryption round j uses xmm(5 + j) = InvMixColumns(rk(10 - j)), the
 * last round rk0 (xmm15), and rk10 whitens from k0:k1. */
#define SCHEDULE128_DECRYPT                                                    \
	GPR_TO_XMM(k0, k1, 15)                                                 \
	COPY(15, 14) EXPAND128(14, 0x01, 2, 3)                                 \
	COPY(14, 13) EXPAND128(13, 0x02, 2, 3)                                 \
	COPY(13, 12) EXPAND128(12, 0x04, 2, 3)                                 \
	COPY(12, 11) EXPAND128(11, 0x08, 2, 3)                                 \
	COPY(11, 10) EXPAND128(10, 0x10, 2, 3)                                 \
	COPY(10, 9) EXPAND128(9, 0x20, 2, 3)                                   \
	COPY(9, 8) EXPAND128(8, 0x40, 2, 3)                                    \
	COPY(8, 7) EXPAND128(7, 0x80, 2, 3)                                    \
	COPY(7, 6) EXPAND128(6, 0x1b, 2, 3)                                    \
	COPY(6, 0) EXPAND128(0, 0x36, 2, 3)                                    \
	XMM_TO_GPR(0, k0, k1)                                                  \
	"aesimc %%xmm6, %%xmm6\n\t" "aesimc %%xmm7, %%xmm7\n\t"                \
	"aesimc %%xmm8, %%xmm8\n\t" "aesimc %%xmm9, %%xmm9\n\t"                \
	"aesimc %%xmm10, %%xmm10\n\t" "aesimc %%xmm11, %%xmm11\n\t"            \
	"aesimc %%xmm12, %%xmm12\n\t" "aesimc %%xmm13, %%xmm13\n\t"            \
	"aesimc %%xmm14, %%xmm14\n\t"

/* AES-256 K1 schedule for encryption: rk0 in k0:k1, rk(j) in xmm(j + 1). */
#define SCHEDULE256_ENCRYPT                                                    \
	GPR_TO_XMM(k2, k3, 2)                                                  \
	GPR_TO_XMM(k0, k1, 3) EXPAND256(3, 2, 0x01, 0xff, 0, 1)                \
	COPY(2, 4) EXPAND256(4, 3, 0x00, 0xaa, 0, 1)                           \
	COPY(3, 5) EXPAND256(5, 4, 0x02, 0xff, 0, 1)                           \
	COPY(4, 6) EXPAND256(6, 5, 0x00, 0xaa, 0, 1)                           \
	COPY(5, 7) EXPAND256(7, 6, 0x04, 0xff, 0, 1)                           \
	COPY(6, 8) EXPAND256(8, 7, 0x00, 0xaa, 0, 1)                           \
	COPY(7, 9) EXPAND256(9, 8, 0x08, 0xff, 0, 1)                           \
	COPY(8, 10) EXPAND256(10, 9, 0x00, 0xaa, 0, 1)                         \
	COPY(9, 11) EXPAND256(11, 10, 0x10, 0xff, 0, 1)                        \
	COPY(10, 12) EXPAND256(12, 11, 0x00, 0xaa, 0, 1)                       \
	COPY(11, 13) EXPAND256(13, 12, 0x20, 0xff, 0, 1)                       \
	COPY(12, 14) EXPAND256(14, 13, 0x00, 0xaa, 0, 1)                       \
	COPY(13, 15) EXPAND256(15, 14, 0x40, 0xff, 0, 1)

/* For decryption rk(m) goes to xmm(15 - m) (m = 1..13, then InvMixColumns),
 * rk0 to xmm15 last, rk14 whitens from k0:k1. */
#define SCHEDULE256_DECRYPT                                                    \
	GPR_TO_XMM(k2, k3, 14)                                                 \
	GPR_TO_XMM(k0, k1, 13) EXPAND256(13, 14, 0x01, 0xff, 0, 1)             \
	COPY(14, 12) EXPAND256(12, 13, 0x00, 0xaa, 0, 1)                       \
	COPY(13, 11) EXPAND256(11, 12, 0x02, 0xff, 0, 1)                       \
	COPY(12, 10) EXPAND256(10, 11, 0x00, 0xaa, 0, 1)                       \
	COPY(11, 9) EXPAND256(9, 10, 0x04, 0xff, 0, 1)                         \
	COPY(10, 8) EXPAND256(8, 9, 0x00, 0xaa, 0, 1)                          \
	COPY(9, 7) EXPAND256(7, 8, 0x08, 0xff, 0, 1)                           \
	COPY(8, 6) EXPAND256(6, 7, 0x00, 0xaa, 0, 1)                           \
	COPY(7, 5) EXPAND256(5, 6, 0x10, 0xff, 0, 1)                           \
	COPY(6, 4) EXPAND256(4, 5, 0x00, 0xaa, 0, 1)                           \
	COPY(5, 3) EXPAND256(3, 4, 0x20, 0xff, 0, 1)                           \
	COPY(4, 2) EXPAND256(2, 3, 0x00, 0xaa, 0, 1)                           \
	COPY(3, 0) EXPAND256(0, 2, 0x40, 0xff, 1, 15)                          \
	XMM_TO_GPR(0, k2, k3)                                                  \
	GPR_TO_XMM(k0, k1, 15)                                                 \
	"mov %[k2], %[k0]\n\t" "mov %[k3], %[k1]\n\t"                          \
	"aesimc %%xmm2, %%xmm2\n\t" "aesimc %%xmm3, %%xmm3\n\t"                \
	"aesimc %%xmm4, %%xmm4\n\t" "aesimc %%xmm5, %%xmm5\n\t"                \
	"aesimc %%xmm6, %%xmm6\n\t" "aesimc %%xmm7, %%xmm7\n\t"                \
	"aesimc %%xmm8, %%xmm8\n\t" "aesimc %%xmm9, %%xmm9\n\t"                \
	"aesimc %%xmm10, %%xmm10\n\t" "aesimc %%xmm11, %%xmm11\n\t"            \
	"aesimc %%xmm12, %%xmm12\n\t" "aesimc %%xmm13, %%xmm13\n\t"            \
	"aesimc %%xmm14, %%xmm14\n\t"

/* T_{j+1} = T_j * alpha in tl:th: shift left one bit, and fold a carry out
 * of bit 127 back as 0x87 through a mask (no branch on secret data). */
#define DOUBLE_TWEAK                                                           \
	"mov %[th], %[t2]\n\t"                                                 \
	"sar $63, %[t2]\n\t"                                                   \
	"and $0x87, %[t2]\n\t"                                                 \
	"shld $1, %[tl], %[th]\n\t"                                            \
	"add %[tl], %[tl]\n\t"                                                 \
	"xor %[t2], %[tl]\n\t"

/* A unit that starts at block `first` (t2) of a data unit: T_first =
 * T_0 * alpha^first, doubled in place (t1 scratch; t2 counts down). */
#define SKIP_TWEAK                                                             \
	"test %[t2], %[t2]\n\t"                                                \
	"jz 5f\n"                                                              \
	"6:\n\t"                                                               \
	"mov %[th], %[t1]\n\t"                                                 \
	"sar $63, %[t1]\n\t"                                                   \
	"and $0x87, %[t1]\n\t"                                                 \
	"shld $1, %[tl], %[th]\n\t"                                            \
	"add %[tl], %[tl]\n\t"                                                 \
	"xor %[t1], %[tl]\n\t"                                                 \
	"dec %[t2]\n\t"                                                        \
	"jnz 6b\n"                                                             \
	"5:\n\t"

/* Block x = P ^ T ^ whitening key; T parked in the output slot. */
#define PRE(x, offset)                                                         \
	"mov %[tl], %[t1]\n\t" "xor %[k0], %[t1]\n\t"                          \
	"movq %[t1], " XMM(x) "\n\t"                                           \
	"mov %[th], %[t1]\n\t" "xor %[k1], %[t1]\n\t"                          \
	"pinsrq $1, %[t1], " XMM(x) "\n\t"                                     \
	"pxor " #offset "(%[in]), " XMM(x) "\n\t"                              \
	"mov %[tl], " #offset "(%[out])\n\t"                                   \
	"mov %[th], " #offset "+8(%[out])\n\t"                                 \
	DOUBLE_TWEAK
#define POST(x, offset)                                                        \
	"pxor " #offset "(%[out]), " XMM(x) "\n\t"                             \
	"movdqu " XMM(x) ", " #offset "(%[out])\n\t"

#define PRE6 PRE(0, 0) PRE(1, 16) PRE(2, 32) PRE(3, 48) PRE(4, 64) PRE(5, 80)
#define POST6 POST(0, 0) POST(1, 16) POST(2, 32) POST(3, 48) POST(4, 64) POST(5, 80)
#define PRE2 PRE(0, 0) PRE(1, 16)
#define POST2 POST(0, 0) POST(1, 16)

#define ROUND6(op, k)                                                          \
	op " " XMM(k) ", %%xmm0\n\t" op " " XMM(k) ", %%xmm1\n\t"              \
	op " " XMM(k) ", %%xmm2\n\t" op " " XMM(k) ", %%xmm3\n\t"              \
	op " " XMM(k) ", %%xmm4\n\t" op " " XMM(k) ", %%xmm5\n\t"
#define ROUND2(op, k) op " " XMM(k) ", %%xmm0\n\t" op " " XMM(k) ", %%xmm1\n\t"
#define ROUND1(op, k) op " " XMM(k) ", %%xmm0\n\t"

#define ROUNDS128(R, op, last)                                                 \
	R(op, 6) R(op, 7) R(op, 8) R(op, 9) R(op, 10) R(op, 11) R(op, 12)      \
	R(op, 13) R(op, 14) R(last, 15)
#define ROUNDS256(R, op, last)                                                 \
	R(op, 2) R(op, 3) R(op, 4) R(op, 5) R(op, 6) R(op, 7) R(op, 8)         \
	R(op, 9) R(op, 10) R(op, 11) R(op, 12) R(op, 13) R(op, 14) R(last, 15)

/* Groups of `group` blocks while they last, then single blocks. */
#define XTS_LOOP(group, group_bytes, PRE_GROUP, ROUNDS_GROUP, POST_GROUP,      \
		 ROUNDS_ONE)                                                   \
	"cmp $" #group ", %[n]\n\t"                                            \
	"jb 2f\n\t"                                                            \
	"1:\n\t"                                                               \
	PRE_GROUP ROUNDS_GROUP POST_GROUP                                      \
	"add $" #group_bytes ", %[in]\n\t"                                     \
	"add $" #group_bytes ", %[out]\n\t"                                    \
	"sub $" #group ", %[n]\n\t"                                            \
	"cmp $" #group ", %[n]\n\t"                                            \
	"jae 1b\n\t"                                                           \
	"2:\n\t"                                                               \
	"test %[n], %[n]\n\t"                                                  \
	"jz 4f\n\t"                                                            \
	"3:\n\t"                                                               \
	PRE(0, 0) ROUNDS_ONE POST(0, 0)                                        \
	"add $16, %[in]\n\t"                                                   \
	"add $16, %[out]\n\t"                                                  \
	"dec %[n]\n\t"                                                         \
	"jnz 3b\n\t"                                                           \
	"4:\n\t"

#define LOOP128(op, last)                                                      \
	XTS_LOOP(6, 96, PRE6, ROUNDS128(ROUND6, op, last), POST6,              \
		 ROUNDS128(ROUND1, op, last))
#define LOOP256(op, last)                                                      \
	XTS_LOOP(2, 32, PRE2, ROUNDS256(ROUND2, op, last), POST2,              \
		 ROUNDS256(ROUND1, op, last))

#define WIPE_XMM                                                               \
	"pxor %%xmm0, %%xmm0\n\t" "pxor %%xmm1, %%xmm1\n\t"                    \
	"pxor %%xmm2, %%xmm2\n\t" "pxor %%xmm3, %%xmm3\n\t"                    \
	"pxor %%xmm4, %%xmm4\n\t" "pxor %%xmm5, %%xmm5\n\t"                    \
	"pxor %%xmm6, %%xmm6\n\t" "pxor %%xmm7, %%xmm7\n\t"                    \
	"pxor %%xmm8, %%xmm8\n\t" "pxor %%xmm9, %%xmm9\n\t"                    \
	"pxor %%xmm10, %%xmm10\n\t" "pxor %%xmm11, %%xmm11\n\t"                \
	"pxor %%xmm12, %%xmm12\n\t" "pxor %%xmm13, %%xmm13\n\t"                \
	"pxor %%xmm14, %%xmm14\n\t" "pxor %%xmm15, %%xmm15\n\t"
#define WIPE_KEY_GPRS                                                          \
	"xor %k[k0], %k[k0]\n\t" "xor %k[k1], %k[k1]\n\t"                      \
	"xor %k[k2], %k[k2]\n\t" "xor %k[k3], %k[k3]\n\t"                      \
	"xor %k[t1], %k[t1]\n\t" "xor %k[t2], %k[t2]\n\t"
#define WIPE_ALL WIPE_XMM WIPE_KEY_GPRS "xor %k[tl], %k[tl]\n\t" "xor %k[th], %k[th]\n\t"

#define XTS_ASM(text)                                                          \
	__asm__ __volatile__(text                                              \
		: [in] "+r"(in), [out] "+r"(out), [n] "+r"(blocks),            \
		  [tl] "+r"(tweak_low), [th] "+r"(tweak_high),                 \
		  [k0] "=&r"(k0), [k1] "=&r"(k1), [k2] "=&r"(k2),              \
		  [k3] "=&r"(k3), [t1] "=&r"(t1), [t2] "+&r"(t2)               \
		: [key] "r"(material)                                          \
		: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",      \
		  "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",  \
		  "xmm14", "xmm15", "cc", "memory")

/* Blocks first .. first + blocks - 1 of a data unit, from in to out. */
#define XTS_UNIT_FUNCTION(name, text)                                          \
	static void name(const uint8_t *material, uint64_t tweak_low,          \
			 uint64_t tweak_high, uint64_t first,                  \
			 const uint8_t *in, uint8_t *out, size_t blocks)       \
	{                                                                      \
		uint64_t k0, k1, k2, k3, t1, t2 = first;                       \
		XTS_ASM(text WIPE_ALL);                                        \
	}

/* One block through the tweak key: *low:*high in, E_K2 of it out. */
#define XTS_BLOCK_FUNCTION(name, text)                                         \
	static void name(const uint8_t *material, uint64_t *low,               \
			 uint64_t *high)                                       \
	{                                                                      \
		uint64_t k0, k1, k2, k3, t1, t2 = 0;                           \
		uint64_t tweak_low = *low, tweak_high = *high;                 \
		const uint8_t *in = NULL;                                      \
		uint8_t *out = NULL;                                           \
		size_t blocks = 0;                                             \
		XTS_ASM(text WIPE_XMM WIPE_KEY_GPRS);                          \
		*low = tweak_low;                                              \
		*high = tweak_high;                                            \
	}

typedef void (*xts_unit_fn)(const uint8_t *, uint64_t, uint64_t, uint64_t,
			    const uint8_t *, uint8_t *, size_t);
typedef void (*xts_block_fn)(const uint8_t *, uint64_t *, uint64_t *);

/* One block through the data key K1 (for the MAC's hash key): K1 into the
 * registers the tweak code expects its key in, then the same rounds. */
#define DATA_KEY128 "mov %[k0], %[k2]\n\t" "mov %[k1], %[k3]\n\t" TWEAK128
#define DATA_KEY256 GPR_TO_XMM(k0, k1, 0) GPR_TO_XMM(k2, k3, 1) TWEAK256

/* Every (cipher, direction, key source) combination. */
#define XTS_VARIANTS(suffix, LOAD, K2_256)                                     \
	XTS_UNIT_FUNCTION(xts_aes128_encrypt_##suffix,                         \
			  LOAD TWEAK128 SKIP_TWEAK SCHEDULE128_ENCRYPT                    \
			  LOOP128("aesenc", "aesenclast"))                     \
	XTS_UNIT_FUNCTION(xts_aes128_decrypt_##suffix,                         \
			  LOAD TWEAK128 SKIP_TWEAK SCHEDULE128_DECRYPT                    \
			  LOOP128("aesdec", "aesdeclast"))                     \
	XTS_BLOCK_FUNCTION(xts_aes128_tweak_key_##suffix, LOAD TWEAK128)       \
	XTS_BLOCK_FUNCTION(xts_aes128_data_key_##suffix, LOAD DATA_KEY128)     \
	XTS_BLOCK_FUNCTION(xts_aes256_data_key_##suffix, LOAD DATA_KEY256)     \
	XTS_UNIT_FUNCTION(xts_aes256_encrypt_##suffix,                         \
			  LOAD K2_256 TWEAK256 SKIP_TWEAK SCHEDULE256_ENCRYPT             \
			  LOOP256("aesenc", "aesenclast"))                     \
	XTS_UNIT_FUNCTION(xts_aes256_decrypt_##suffix,                         \
			  LOAD K2_256 TWEAK256 SKIP_TWEAK SCHEDULE256_DECRYPT             \
			  LOOP256("aesdec", "aesdeclast"))                     \
	XTS_BLOCK_FUNCTION(xts_aes256_tweak_key_##suffix,                      \
			   LOAD K2_256 TWEAK256)

/* Memory, AES-256 with an explicit K2 (the AES-128 ones are the same for
 * both memory layouts; only the AES-256 functions differ). */
XTS_VARIANTS(memory, KEY_FROM_MEMORY, K2_256_EXPLICIT)
/* Memory holding only K1 for AES-256: K2 derived as in the kernel. */
XTS_UNIT_FUNCTION(xts_aes256_encrypt_memory_derived,
		  KEY_FROM_MEMORY K2_256_DERIVED TWEAK256 SKIP_TWEAK SCHEDULE256_ENCRYPT
		  LOOP256("aesenc", "aesenclast"))
XTS_UNIT_FUNCTION(xts_aes256_decrypt_memory_derived,
		  KEY_FROM_MEMORY K2_256_DERIVED TWEAK256 SKIP_TWEAK SCHEDULE256_DECRYPT
		  LOOP256("aesdec", "aesdeclast"))
XTS_BLOCK_FUNCTION(xts_aes256_tweak_key_memory_derived,
		   KEY_FROM_MEMORY K2_256_DERIVED TWEAK256)
#ifndef VEIL_HOST
/* Debug registers: 256 bits, so AES-256 always derives K2. */
XTS_VARIANTS(registers, KEY_FROM_REGISTERS, K2_256_DERIVED)
#endif

struct xts_aesni_functions {
	xts_unit_fn encrypt, decrypt;
	xts_block_fn tweak_key, data_key;
};

static struct xts_aesni_functions xts_aesni_pick(const struct cipher_key_source *key,
						 unsigned key_bytes)
{
	struct xts_aesni_functions f;

	if (key_bytes == 16) {
		f.encrypt = xts_aes128_encrypt_memory;
		f.decrypt = xts_aes128_decrypt_memory;
		f.tweak_key = xts_aes128_tweak_key_memory;
		f.data_key = xts_aes128_data_key_memory;
	} else if (key->material_bytes == 64) {
		f.encrypt = xts_aes256_encrypt_memory;
		f.decrypt = xts_aes256_decrypt_memory;
		f.tweak_key = xts_aes256_tweak_key_memory;
		f.data_key = xts_aes256_data_key_memory;
	} else {
		f.encrypt = xts_aes256_encrypt_memory_derived;
		f.decrypt = xts_aes256_decrypt_memory_derived;
		f.tweak_key = xts_aes256_tweak_key_memory_derived;
		f.data_key = xts_aes256_data_key_memory;
	}
#ifndef VEIL_HOST
	if (key->kind == CIPHER_KEY_CPU_REGISTERS) {
		if (key_bytes == 16) {
			f.encrypt = xts_aes128_encrypt_registers;
			f.decrypt = xts_aes128_decrypt_registers;
			f.tweak_key = xts_aes128_tweak_key_registers;
			f.data_key = xts_aes128_data_key_registers;
		} else {
			f.encrypt = xts_aes256_encrypt_registers;
			f.decrypt = xts_aes256_decrypt_registers;
			f.tweak_key = xts_aes256_tweak_key_registers;
			f.data_key = xts_aes256_data_key_registers;
		}
	}
#endif
	return f;
}

static const uint8_t *xts_aesni_material(const struct cipher_key_source *key)
{
	return key->kind == CIPHER_KEY_MEMORY ? key->material : NULL;
}

void xts_aesni_crypt(const struct cipher_key_source *key, unsigned key_bytes,
		     bool decrypt, const uint8_t tweak[16], size_t first_block,
		     const uint8_t *in, uint8_t *out, size_t blocks)
{
	struct xts_aesni_functions f = xts_aesni_pick(key, key_bytes);
	uint64_t low, high;

	memcpy(&low, tweak, 8);	/* x86 is little-endian, as the tweak is */
	memcpy(&high, tweak + 8, 8);
	(decrypt ? f.decrypt : f.encrypt)(xts_aesni_material(key), low, high,
					  first_block, in, out, blocks);
}

void xts_aesni_encrypt_key_block(const struct cipher_key_source *key,
				 unsigned key_bytes, bool data_key,
				 const uint8_t in[16], uint8_t out[16])
{
	struct xts_aesni_functions f = xts_aesni_pick(key, key_bytes);
	uint64_t low, high;

	memcpy(&low, in, 8);
	memcpy(&high, in + 8, 8);
	(data_key ? f.data_key : f.tweak_key)(xts_aesni_material(key), &low,
					      &high);
	memcpy(out, &low, 8);
	memcpy(out + 8, &high, 8);
}
