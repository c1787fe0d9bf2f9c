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
/* Buckets of a value 0..4095 (DENSE_BUCKETS symbols, up to 10 extra bits);
 * literal runs have one bucket more, for a run of 4096 (a page with no
 * match): bucket 24 covers 4096..6143 with 11 extra bits. */
#define DENSE_BUCKETS 24u
#define DENSE_RUN_BUCKETS (DENSE_BUCKETS + 1)
#define DENSE_BUCKET_EXTRA_MAX 11u
/* The four alphabets. Literals: the bytes. Literal runs: one symbol per
 * bucket of a sequence's literal count. Match lengths: one symbol per
 * bucket of a match whose distance symbol follows, then one per bucket of
 * a match at the last distance (rep0: no distance symbol, so that a run of
 * records costs little per match). Distances: the second-last distance
 * (rep1), then one symbol per distance bucket. */
#define DENSE_LITERALS 256u
#define DENSE_RUN_SYMBOLS DENSE_RUN_BUCKETS
#define DENSE_MATCH_SYMBOLS (2 * DENSE_BUCKETS)
#define DENSE_MATCH_REP0_FIRST DENSE_BUCKETS
#define DENSE_DISTANCE_REP1 0u
#define DENSE_DISTANCE_FIRST_BUCKET 1u
#define DENSE_DISTANCE_SYMBOLS (DENSE_DISTANCE_FIRST_BUCKET + DENSE_BUCKETS)
/* The alphabets' code lengths as one array (as the header sends them):
 * where each alphabet starts. */
#define DENSE_CODE_RUNS DENSE_LITERALS
#define DENSE_CODE_MATCHES (DENSE_CODE_RUNS + DENSE_RUN_SYMBOLS)
#define DENSE_CODE_DISTANCES (DENSE_CODE_MATCHES + DENSE_MATCH_SYMBOLS)
#define DENSE_CODE_SYMBOLS (DENSE_CODE_DISTANCES + DENSE_DISTANCE_SYMBOLS)
_Static_assert(DENSE_CODE_SYMBOLS == CODEC_DENSE_CODE_LENGTHS,
	       "the workspace holds every alphabet's code lengths");
/* How the parse (struct codec_dense_sequence) names the repeat distances;
 * other distances are stored + 1 (so 2 or more). */
#define DENSE_SEQUENCE_REP0 0u
#define DENSE_SEQUENCE_REP1 1u
/* The repeat distances before the first match (8-byte words are common). */
#define DENSE_REP0_START 8u
#define DENSE_REP1_START 16u
/* Longest codes: they size the decoder's one-level tables (on its stack). */
#define DENSE_LITERAL_MAX_BITS 9u
#define DENSE_RUN_MAX_BITS 7u
#define DENSE_MATCH_MAX_BITS 8u
#define DENSE_DISTANCE_MAX_BITS 7u
/* Entries of the decoder's distance table: one per index of that many bits. */
#define DENSE_DISTANCE_TABLE (1u << DENSE_DISTANCE_MAX_BITS)
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
/* Lanes of literals: literal k is in lane k mod the lane count. Below
 * DENSE_FOUR_LANES_FROM literals a block has two lanes (A, B), from it
 * four (A, B, C, D), whose two more chains of lookups cost the header two
 * sizes (DENSE_HEADER_LANE_BYTES_BITS each). */
#define DENSE_FOUR_LANES_FROM 256u
#define DENSE_LANES_MAX 4u

/* The lanes a block of literal_count literals has. */
static inline unsigned dense_lane_count(unsigned literal_count)
{
	return literal_count >= DENSE_FOUR_LANES_FROM ? 4 : 2;
}

/* Header fields, in bits. Stream B starts at a byte offset below 2^13;
 * a lane of a page's literals takes at most 1024 * 9 bits (1,152 bytes). */
#define DENSE_HEADER_LENGTH_BITS 12u
#define DENSE_HEADER_OFFSET_BITS 13u
#define DENSE_HEADER_LITERAL_COUNT_BITS 13u
#define DENSE_HEADER_LANE_BYTES_BITS 11u
#define DENSE_HEADER_RUN_COUNT_BITS 5u
#define DENSE_HEADER_MATCH_COUNT_BITS 6u
#define DENSE_HEADER_DISTANCE_COUNT_BITS 5u
#define DENSE_HEADER_CLC_COUNT_BITS 5u

/* The default distance code: the header's distance count set to
 * DENSE_DISTANCE_DEFAULT names it, and then no distance length is sent.
 * Its lengths are a Huffman code of the distance symbols of the in-tree
 * corpus (corpus/python.pages, every symbol counted once more so that
 * each has a code): most pages' distances come from one program's
 * pointer and record strides, which a page's own code costs about 3 bits
 * a symbol of header to describe. The encoder takes it where it costs no
 * more than the page's own code with that header (codec_dense.c). */
#define DENSE_DISTANCE_DEFAULT ((1u << DENSE_HEADER_DISTANCE_COUNT_BITS) - 1)
static const uint8_t dense_default_distance_lengths[DENSE_DISTANCE_SYMBOLS] = {
	2, 4, 7, 7, 7, 7, 5, 7, 5, 7, 5, 5, 4, 5, 5, 5, 4, 3, 5, 4, 6, 5, 6, 7, 7,
};
_Static_assert(DENSE_DISTANCE_DEFAULT > DENSE_DISTANCE_SYMBOLS,
	       "the default's count is no count of lengths sent");
/* Builds the decoder's table of the default distance code into
 * table[0..DENSE_DISTANCE_TABLE) (codec_dense_decode.c): what
 * tools/gen_dense_distance_table.c writes into codec_dense_distance_table.h
 * and the host test checks that header against; true on success. Host
 * builds only. */
bool codec_dense_build_default_distances(uint32_t *table);

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
/* The extra bits of every code-length symbol: none for a length, those
 * of dense_zero_run_extra for a zero run (a host test checks them). */
static const uint8_t dense_clc_extra_bits[DENSE_CLC_SYMBOLS] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 1, 2, 3, 4, 5, 6, 7,
};

/* The decoder's entries of the code-length, run, match and distance
 * tables: the bits the field takes in all (code and extra bits: the shift
 * that moves the reader on, in the low 6 bits, so that a shift by the
 * entry needs no field taken out of it), the code's length, then what the
 * symbol stands for, so that one load gives all a field needs: the number
 * of extra bits, the base value they are added to, and for a match or a
 * distance whether it is a repeat distance (rep0 for a match, rep1 for a
 * distance). A length of 0 marks no code. The payload of a symbol holds
 * its extra bits in the total; the table adds the code's length to both. */
#define DENSE_WIDE_TOTAL(e) ((e) & 63u)
#define DENSE_WIDE_LENGTH(e) ((e) >> 6 & 15u)
#define DENSE_WIDE_EXTRA(e) ((e) >> 10 & 15u)
#define DENSE_WIDE_BASE(e) ((e) >> 14 & 0x1fffu)
#define DENSE_WIDE_REPEAT 0x8000000u
#define DENSE_PAYLOAD(base, extra) \
	((uint32_t)(base) << 14 | (uint32_t)(extra) << 10 | (uint32_t)(extra))
/* The entry of a symbol with payload, coded in length bits. */
#define DENSE_WIDE_ENTRY(payload, length) \
	((payload) + ((uint32_t)(length) << 6 | (uint32_t)(length)))
/* Code-length symbols as the decoder's entries (no branch on the kind of
 * symbol): the step (1 for a length, else the zero run's base,
 * dense_zero_run_base) with its extra bits (dense_zero_run_extra), and
 * the length written (0 for a run) above them; a host test checks them
 * against those tables. */
#define DENSE_CLC_VALUE_SHIFT 28
#define DENSE_CLC_LENGTH(l) (DENSE_PAYLOAD(1, 0) | (uint32_t)(l) << DENSE_CLC_VALUE_SHIFT)
static const uint32_t dense_clc_payloads[DENSE_CLC_SYMBOLS] = {
	DENSE_CLC_LENGTH(1), DENSE_CLC_LENGTH(2), DENSE_CLC_LENGTH(3),
	DENSE_CLC_LENGTH(4), DENSE_CLC_LENGTH(5), DENSE_CLC_LENGTH(6),
	DENSE_CLC_LENGTH(7), DENSE_CLC_LENGTH(8), DENSE_CLC_LENGTH(9),
	DENSE_CLC_LENGTH(10), DENSE_CLC_LENGTH(11),
	DENSE_PAYLOAD(1, 0), DENSE_PAYLOAD(2, 0), DENSE_PAYLOAD(3, 0),
	DENSE_PAYLOAD(4, 1), DENSE_PAYLOAD(6, 2), DENSE_PAYLOAD(10, 3),
	DENSE_PAYLOAD(18, 4), DENSE_PAYLOAD(34, 5), DENSE_PAYLOAD(66, 6),
	DENSE_PAYLOAD(130, 7),
};

/* Bucket of v (0..4095, and 4096 for a literal run): 0..3 are their own
 * bucket; from 4 on, bucket 2n + b for v in [2^n, 2^(n+1)) where b is the
 * bit below the top one, and n - 1 extra bits give the rest. The one
 * formula also gives 0..3 their own (v = 2, 3: n = 1 and b the low bit;
 * v = 0, 1: n = 0 and b = v), so there is no branch on small values, which
 * come in no order a predictor learns. */
static inline unsigned dense_bucket(unsigned v)
{
	unsigned n = 31u - (unsigned)__builtin_clz(v | 1);

	return 2 * n + ((v >> (n - (n != 0))) & 1);
}

static inline unsigned dense_bucket_extra_bits(unsigned bucket)
{
	return bucket < 4 ? 0 : bucket / 2 - 1;
}

/* dense_bucket_extra_bits(dense_bucket(value)) without a branch. */
static inline unsigned dense_value_extra_bits(unsigned value)
{
	unsigned log = 31u - (unsigned)__builtin_clz(value | 1);

	return log - (log != 0);
}

static inline unsigned dense_bucket_base(unsigned bucket)
{
	return bucket < 4 ? bucket :
	       (2u | (bucket & 1)) << (bucket / 2 - 1);
}

/* dense_bucket(v) for every v of a page (0..CODEC_PAGE_BYTES), for the
 * encoder (codec_dense.c): a load where the formula takes about ten
 * operations, and the encoder takes three buckets a sequence (run,
 * length, distance) when counting and again when writing; 6 % of its
 * instructions on the corpora. A host test checks it against
 * dense_bucket. */
extern const uint8_t dense_bucket_of[CODEC_PAGE_BYTES + 1];

/* dense_bucket_base and dense_bucket_extra_bits as tables, for the
 * decoder's hot loop (a load instead of shifts and a branch; a host test
 * checks that they agree). */
static const uint16_t dense_bucket_bases[DENSE_RUN_BUCKETS] = {
	0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384,
	512, 768, 1024, 1536, 2048, 3072, 4096,
};
static const uint8_t dense_bucket_extras[DENSE_RUN_BUCKETS] = {
	0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10,
	11,
};

#endif
