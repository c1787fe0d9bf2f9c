/*
 * The dense codec's format, shared by its encoder (codec_dense*.c) and its
 * decoder (codec_dense_decode.c): alphabets, the bucket code that turns a
 * length or a distance into a symbol and extra bits, and the order in which
 * the code-length code is sent. docs/compression.md describes the format
 * byte by byte; this header is its one definition in code.
 */
#ifndef VEIL_TRANSFORMS_CODEC_DENSE_FORMAT_H
#define VEIL_TRANSFORMS_CODEC_DENSE_FORMAT_H

#include <stdint.h>
#include "transforms/codec.h"

/* Shortest match; a length L is sent as the bucket of L - DENSE_MIN_MATCH. */
#define DENSE_MIN_MATCH 2u
/* Buckets of a value 0..4095 (DENSE_BUCKETS symbols, up to 10 extra bits). */
#define DENSE_BUCKETS 24u
#define DENSE_BUCKET_EXTRA_MAX 10u
/* Literal/length alphabet: 256 literals, then one symbol per length bucket
 * of a match whose distance symbol follows, then one per length bucket of
 * a match at the last distance (rep0: no distance symbol, so that a run
 * of records costs one symbol per match). */
#define DENSE_LITERALS 256u
#define DENSE_LENGTH_FIRST DENSE_LITERALS
#define DENSE_REP0_LENGTH_FIRST (DENSE_LITERALS + DENSE_BUCKETS)
#define DENSE_LITLEN_SYMBOLS (DENSE_LITERALS + 2 * DENSE_BUCKETS)
/* Distance alphabet: the second-last distance (rep1), then one symbol per
 * distance bucket. */
#define DENSE_DISTANCE_REP1 0u
#define DENSE_DISTANCE_FIRST_BUCKET 1u
#define DENSE_DISTANCE_SYMBOLS (DENSE_DISTANCE_FIRST_BUCKET + DENSE_BUCKETS)
/* How the parse (struct codec_dense_sequence) names the repeat distances;
 * other distances are stored + 1 (so 2 or more). */
#define DENSE_SEQUENCE_REP0 0u
#define DENSE_SEQUENCE_REP1 1u
/* The repeat distances before the first match (8-byte words are common). */
#define DENSE_REP0_START 8u
#define DENSE_REP1_START 16u
/* Longest codes: they size the decoder's one-level tables (on its stack). */
#define DENSE_LITLEN_MAX_BITS 10u
#define DENSE_DISTANCE_MAX_BITS 8u
/* The code-length code: symbols 0..10 are the lengths 1..11 (11 is over
 * every alphabet's limit, so a decoder meeting it rejects the block; the
 * symbol stays so that the limits can change without a new code), the others
 * runs of zero lengths (unused symbols), in buckets of base and extra bits
 * (dense_zero_run_base, dense_zero_run_extra). */
#define DENSE_CLC_ZERO_FIRST 11u
#define DENSE_CLC_ZERO_BUCKETS 10u
#define DENSE_CLC_SYMBOLS (DENSE_CLC_ZERO_FIRST + DENSE_CLC_ZERO_BUCKETS)
#define DENSE_CLC_MAX_BITS 7u
#define DENSE_CLC_LENGTH_BITS 3u
#define DENSE_ZERO_RUN_MAX 257u
/* Header fields, in bits. */
#define DENSE_HEADER_LENGTH_BITS 12u
#define DENSE_HEADER_COUNT_BITS 6u
#define DENSE_HEADER_CLC_COUNT_BITS 5u

/* The order in which code-length-code lengths are sent, the ones most
 * often used first, so that a short prefix usually covers all used. */
static const uint8_t dense_clc_order[DENSE_CLC_SYMBOLS] = {
	11, 8, 7, 9, 12, 13, 14, 15, 6, 10, 16, 17, 5, 18, 4, 19, 3, 20, 2, 1, 0,
};

/* Zero runs: bucket k covers base[k] .. base[k] + 2^extra[k] - 1. */
static const uint16_t dense_zero_run_base[DENSE_CLC_ZERO_BUCKETS] = {
	1, 2, 3, 4, 6, 10, 18, 34, 66, 130,
};
static const uint8_t dense_zero_run_extra[DENSE_CLC_ZERO_BUCKETS] = {
	0, 0, 0, 1, 2, 3, 4, 5, 6, 7,
};

/* Bucket of v (0..4095): 0..3 are their own bucket; from 4 on, bucket
 * 2n + b for v in [2^n, 2^(n+1)) where b is the bit below the top one, and
 * n - 1 extra bits give the rest. */
static inline unsigned dense_bucket(unsigned v)
{
	unsigned n;

	if (v < 4)
		return v;
	n = 31u - (unsigned)__builtin_clz(v);
	return 2 * n + ((v >> (n - 1)) & 1);
}

static inline unsigned dense_bucket_extra_bits(unsigned bucket)
{
	return bucket < 4 ? 0 : bucket / 2 - 1;
}

static inline unsigned dense_bucket_base(unsigned bucket)
{
	return bucket < 4 ? bucket :
	       (2u | (bucket & 1)) << (bucket / 2 - 1);
}

/* dense_bucket_base and dense_bucket_extra_bits as tables, for the
 * decoder's hot loop (a load instead of shifts and a branch; a host test
 * checks that they agree). */
static const uint16_t dense_bucket_bases[DENSE_BUCKETS] = {
	0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384,
	512, 768, 1024, 1536, 2048, 3072,
};
static const uint8_t dense_bucket_extras[DENSE_BUCKETS] = {
	0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10,
};

#endif
