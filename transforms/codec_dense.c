/*
 * The dense codec's encoder: the LZ77 parse of codec_dense_parse.c, coded
 * with canonical Huffman codes built for this page alone (one code each for
 * literals, literal-run lengths, match lengths and distances, and a small
 * code for the code lengths themselves; the distances take the format's
 * default code instead where it costs no more). The block has two or four bit
 * streams: A holds the header, the sequences and the literals of lane 0,
 * B, C and D those of lanes 1 to 3 (literal k is in lane k mod the lane
 * count), so that the decoder's literal lookups form independent chains.
 * The exact size of each is known from the frequencies before a bit is
 * written, so an output that would not fit is refused without writing,
 * and the writers make no checks. The format is in
 * codec_dense_format.h and docs/compression.md.
 */
#include <string.h>
#include "transforms/codec_dense_format.h"
#include "transforms/codec_dense_huffman.h"
#include "transforms/codec_dense_parse.h"

/* The bucket table (codec_dense_format.h), as runs of equal buckets. */
#define DENSE_B2(b) b, b
#define DENSE_B4(b) DENSE_B2(b), DENSE_B2(b)
#define DENSE_B8(b) DENSE_B4(b), DENSE_B4(b)
#define DENSE_B16(b) DENSE_B8(b), DENSE_B8(b)
#define DENSE_B32(b) DENSE_B16(b), DENSE_B16(b)
#define DENSE_B64(b) DENSE_B32(b), DENSE_B32(b)
#define DENSE_B128(b) DENSE_B64(b), DENSE_B64(b)
#define DENSE_B256(b) DENSE_B128(b), DENSE_B128(b)
#define DENSE_B512(b) DENSE_B256(b), DENSE_B256(b)
#define DENSE_B1024(b) DENSE_B512(b), DENSE_B512(b)
const uint8_t dense_bucket_of[CODEC_PAGE_BYTES + 1] = {
	0, 1, 2, 3, DENSE_B2(4), DENSE_B2(5), DENSE_B4(6), DENSE_B4(7),
	DENSE_B8(8), DENSE_B8(9), DENSE_B16(10), DENSE_B16(11),
	DENSE_B32(12), DENSE_B32(13), DENSE_B64(14), DENSE_B64(15),
	DENSE_B128(16), DENSE_B128(17), DENSE_B256(18), DENSE_B256(19),
	DENSE_B512(20), DENSE_B512(21), DENSE_B1024(22), DENSE_B1024(23), 24,
};

/* LSB-first bit writer into the workspace's staging area, without a
 * branch. Symbols are added to a 64-bit buffer (one dependent addition
 * each: the adds of a batch wait only for the count), and a commit stores
 * 8 bytes and moves on by the whole bytes filled, so it writes up to 7
 * bytes past the stream's end (the staging area has the slack; the
 * streams are written in order, each overwriting the previous one's
 * spill). A commit leaves
 * at most 7 bits, so a batch of adds between commits may hold 56. */
struct dense_writer {
	uint8_t *out;
	uint64_t bits;
	unsigned count;		/* bits held: 0..7 after a commit */
};

/* Bits one batch of adds may hold. */
#define DENSE_BATCH_BITS 56u

/* value holds length bits; the batch's total stays within
 * DENSE_BATCH_BITS. */
static inline void dense_add(struct dense_writer *w, uint64_t value,
			     unsigned length)
{
	w->bits |= value << w->count;
	w->count += length;
}

/* Stores the whole bytes held. */
static inline void dense_commit(struct dense_writer *w)
{
	memcpy(w->out, &w->bits, 8);
	w->out += w->count >> 3;
	w->bits >>= w->count & ~7u;
	w->count &= 7;
}

/* One add and its commit (value holds length bits, at most 32). */
static inline void dense_put(struct dense_writer *w, uint64_t value,
			     unsigned length)
{
	dense_add(w, value, length);
	dense_commit(w);
}

/* Stores the last partial byte (its unused high bits 0). */
static void dense_flush(struct dense_writer *w)
{
	if (w->count) {
		*w->out++ = (uint8_t)w->bits;
		w->bits = 0;
		w->count = 0;
	}
}

/* Adds symbol with its extra bits (value - its bucket's base): at most
 * 9 + 11 bits. */
static inline void dense_add_bucketed(struct dense_writer *w, const uint16_t *codes,
				      const uint8_t *lengths, unsigned symbol,
				      unsigned extra, unsigned extra_bits)
{
	dense_add(w, codes[symbol] | (uint64_t)extra << lengths[symbol],
		  lengths[symbol] + extra_bits);
}

/* Literals added per commit: their longest codes fill a batch. */
#define DENSE_LITERALS_PER_BATCH (DENSE_BATCH_BITS / DENSE_LITERAL_MAX_BITS)

/* Writes one lane of the page's literals, gathered in order (count of
 * them): those k with k mod lanes = lane. The writer is worked on in a
 * copy: it would otherwise be stored back after every literal, since the
 * byte loads might alias it. */
static void dense_put_literals(struct dense_writer *writer, unsigned lane,
			       unsigned lanes, const uint8_t *literals,
			       size_t count, const uint16_t *codes,
			       const uint8_t *lengths)
{
	const size_t batch = lanes * DENSE_LITERALS_PER_BATCH;
	struct dense_writer w = *writer;
	size_t k = lane;

	for (; k + batch <= count; k += batch) {
		/* unrolled: the loop's own count and test were a third of
		 * each literal's instructions */
#pragma GCC unroll 8
		for (unsigned j = 0; j < DENSE_LITERALS_PER_BATCH; j++) {
			unsigned literal = literals[k + j * lanes];

			dense_add(&w, codes[literal], lengths[literal]);
		}
		dense_commit(&w);
	}
	for (; k < count; k += lanes)
		dense_add(&w, codes[literals[k]], lengths[literals[k]]);
	dense_commit(&w);
	*writer = w;
}

/* A match's fields as the format codes them: the match-length symbol,
 * then (unless the match is at rep0) the distance symbol, each with its
 * extra bits (the value less its bucket's base) and their count; rep1 has
 * none. Computed without a branch on the kind of match (rep0, rep1,
 * explicit come in no order a predictor learns), for both the counting
 * and the writing. */
struct dense_match_fields {
	unsigned match_symbol, match_extra, match_extra_bits;
	unsigned distance_symbol, distance_extra, distance_extra_bits;
	unsigned has_distance;
};

static inline struct dense_match_fields
dense_match_fields(const struct codec_dense_sequence *q)
{
	unsigned is_rep0 = q->distance == DENSE_SEQUENCE_REP0;
	unsigned is_explicit = q->distance > DENSE_SEQUENCE_REP1;
	unsigned value = q->length - DENSE_MIN_MATCH, bucket = dense_bucket_of[value];
	/* rep1 (and rep0): value 0, bucket 0, no extra bits */
	unsigned distance = is_explicit ? q->distance - 2u : 0;
	unsigned distance_bucket = dense_bucket_of[distance];

	return (struct dense_match_fields){
		.match_symbol = DENSE_CODE_MATCHES + bucket +
				(is_rep0 ? DENSE_MATCH_REP0_FIRST : 0),
		.match_extra = value - dense_bucket_bases[bucket],
		.match_extra_bits = dense_bucket_extras[bucket],
		.distance_symbol = DENSE_CODE_DISTANCES +
				   (is_explicit ? DENSE_DISTANCE_FIRST_BUCKET + distance_bucket :
						  DENSE_DISTANCE_REP1),
		.distance_extra = distance - dense_bucket_bases[distance_bucket],
		.distance_extra_bits = dense_bucket_extras[distance_bucket],
		.has_distance = !is_rep0,
	};
}

/* Adds a sequence's match: its length symbol with the extra bits, then
 * for an explicit distance or rep1 the distance symbol and its extra
 * bits (a rep0 match adds a distance of no bits: no branch). */
static inline void dense_add_match(struct dense_writer *w,
				   const struct codec_dense_sequence *q,
				   const uint16_t *codes, const uint8_t *lengths)
{
	struct dense_match_fields m = dense_match_fields(q);
	unsigned symbol = m.distance_symbol;

	dense_add_bucketed(w, codes, lengths, m.match_symbol, m.match_extra,
			   m.match_extra_bits);
	dense_add(w, m.has_distance ?
		  codes[symbol] | (uint64_t)m.distance_extra << lengths[symbol] : 0,
		  m.has_distance ? lengths[symbol] + m.distance_extra_bits : 0);
}

_Static_assert((CODEC_PAGE_BYTES / 4) * DENSE_LITERAL_MAX_BITS / 8 <
	       1u << DENSE_HEADER_LANE_BYTES_BITS,
	       "the header's lane sizes hold any lane of four");
_Static_assert(DENSE_RUN_MAX_BITS + DENSE_BUCKET_EXTRA_MAX + DENSE_MATCH_MAX_BITS +
	       DENSE_BUCKET_EXTRA_MAX - 1 + DENSE_DISTANCE_MAX_BITS +
	       DENSE_BUCKET_EXTRA_MAX - 1 <= DENSE_BATCH_BITS,
	       "a sequence's fields fit in one batch of adds");

/* Writes every sequence into A, one commit each: its literal-run symbol,
 * then its match; a last sequence with neither literals nor a match
 * writes nothing (the output is complete). The writer is worked on in a
 * copy, as for the literals. */
static void dense_put_sequences(struct dense_writer *writer,
				const struct codec_dense_sequence *sequences,
				size_t sequence_count, const uint16_t *codes,
				const uint8_t *lengths)
{
	struct dense_writer copy = *writer, *w = &copy;

	for (size_t s = 0; s < sequence_count; s++) {
		const struct codec_dense_sequence *q = &sequences[s];
		unsigned bucket = dense_bucket_of[q->literals];

		if ((q->literals | q->length) == 0)
			break;
		dense_add_bucketed(w, codes, lengths, DENSE_CODE_RUNS + bucket,
				   q->literals - dense_bucket_bases[bucket],
				   dense_bucket_extras[bucket]);
		if (q->length)
			dense_add_match(w, q, codes, lengths);
		dense_commit(w);
	}
	*writer = copy;
}


/* The code lengths the header sends: all 256 literals, then of each other
 * alphabet the symbols up to its last one in use (counts[0..2]). */
struct dense_sent {
	unsigned counts[3];
	unsigned total;
};

/* Codes the code lengths sent as code-length symbols into runs; returns
 * how many. The lengths sent are gathered first, so that the loop reads
 * one array. */
static unsigned dense_code_runs(const uint8_t *lengths,
				const struct dense_sent *sent, uint8_t (*runs)[2])
{
	static const unsigned firsts[3] = {
		DENSE_CODE_RUNS, DENSE_CODE_MATCHES, DENSE_CODE_DISTANCES,
	};
	uint8_t flat[DENSE_CODE_SYMBOLS];
	unsigned count = 0, i = DENSE_LITERALS;

	memcpy(flat, lengths, DENSE_LITERALS);
	for (unsigned a = 0; a < 3; a++) {
		memcpy(flat + i, lengths + firsts[a], sent->counts[a]);
		i += sent->counts[a];
	}
	i = 0;
	while (i < sent->total) {
		unsigned value = flat[i], run = 1, bucket;

		if (value) {
			runs[count][0] = (uint8_t)(value - 1);
			runs[count++][1] = 0;
			i++;
			continue;
		}
		while (i + run < sent->total && flat[i + run] == 0 &&
		       run < DENSE_ZERO_RUN_MAX)
			run++;
		i += run;
		/* bases 1, 2, 3, then 2 + 2^(k - 2) for bucket k: the bucket
		 * from the run's top bit, not a search */
		bucket = run <= 3 ? run - 1 : 33u - (unsigned)__builtin_clz(run - 2);
		runs[count][0] = (uint8_t)(DENSE_CLC_ZERO_FIRST + bucket);
		runs[count++][1] = (uint8_t)(run - dense_zero_run_base[bucket]);
	}
	return count;
}

/* Copies a literal run of count bytes from the input (length bytes at
 * bytes, the run at position) to to, which has 16 bytes of slack: 16
 * bytes at a time while the input has them. The first 16 are copied
 * whatever count is (most runs are shorter, many empty): no test of
 * count before it. */
static inline void dense_gather_run(uint8_t *to, const uint8_t *bytes,
				    size_t length, size_t position, size_t count)
{
	size_t k = 0;

	if (position + 16 <= length) {
		memcpy(to, bytes + position, 16);
		for (k = 16; k < count && position + k + 16 <= length; k += 16)
			memcpy(to + k, bytes + position + k, 16);
	}
	if (k < count)
		memcpy(to + k, bytes + position + k, count - k);
}

/* Counts the symbols of the parse into frequencies (literals by their
 * position mod 4 into literal_frequencies, then summed), gathers the literals in order
 * into the workspace's literals and their number into *literal_count;
 * returns the extra bits the sequences carry. */
static uint64_t dense_count(struct codec_workspace *workspace,
			    const uint8_t *bytes, size_t length,
			    size_t sequence_count, size_t *literal_count)
{
	uint32_t *frequencies = workspace->dense.frequencies;
	uint32_t (*literal_frequencies)[256] = workspace->dense.literal_frequencies;
	const struct codec_dense_sequence *sequences = workspace->dense.sequences;
	uint8_t *literals = workspace->dense.literals;
	uint64_t extra = 0;
	size_t position = 0, gathered = 0, k;

	memset(frequencies, 0, sizeof(workspace->dense.frequencies));
	memset(literal_frequencies, 0, sizeof(workspace->dense.literal_frequencies));
	for (size_t s = 0; s < sequence_count; s++) {
		const struct codec_dense_sequence *q = &sequences[s];
		unsigned count = q->literals, bucket = dense_bucket_of[count];
		struct dense_match_fields m;

		if ((count | q->length) == 0)
			break;
		frequencies[DENSE_CODE_RUNS + bucket]++;
		extra += dense_bucket_extras[bucket];
		dense_gather_run(literals + gathered, bytes, length, position, count);
		gathered += count;
		position += count;
		if (!q->length)
			continue;
		m = dense_match_fields(q);
		frequencies[m.match_symbol]++;
		frequencies[m.distance_symbol] += m.has_distance;
		extra += m.match_extra_bits + m.distance_extra_bits;
		position += q->length;
	}
	for (k = 0; k + 4 <= gathered; k += 4) {
		literal_frequencies[0][literals[k]]++;
		literal_frequencies[1][literals[k + 1]]++;
		literal_frequencies[2][literals[k + 2]]++;
		literal_frequencies[3][literals[k + 3]]++;
	}
	for (; k < gathered; k++)
		literal_frequencies[k % 4][literals[k]]++;
	for (unsigned b = 0; b < DENSE_LITERALS; b++)
		frequencies[b] = literal_frequencies[0][b] + literal_frequencies[1][b] +
				 literal_frequencies[2][b] + literal_frequencies[3][b];
	*literal_count = gathered;
	return extra;
}

/* The number of symbols of an alphabet up to its last one with a code. */
static unsigned dense_used(const uint8_t *lengths, unsigned count)
{
	while (count > 0 && lengths[count - 1] == 0)
		count--;
	return count;
}

/* The header bits a sent code length costs, about: what the choice of the
 * default distance code weighs against its data bits. */
#define DENSE_SENT_LENGTH_BITS 3u

/* Whether the default distance code costs no more bits than the page's
 * own (lengths set) with its lengths in the header; if so, puts the
 * default's lengths in the place of the page's own. */
static bool dense_choose_default_distances(struct codec_workspace *workspace)
{
	const uint32_t *frequencies = workspace->dense.frequencies + DENSE_CODE_DISTANCES;
	uint8_t *lengths = workspace->dense.lengths + DENSE_CODE_DISTANCES;
	uint64_t own = DENSE_SENT_LENGTH_BITS *
		       (uint64_t)dense_used(lengths, DENSE_DISTANCE_SYMBOLS);
	uint64_t fixed = 0;

	for (unsigned s = 0; s < DENSE_DISTANCE_SYMBOLS; s++) {
		own += (uint64_t)frequencies[s] * lengths[s];
		fixed += (uint64_t)frequencies[s] * dense_default_distance_lengths[s];
	}
	if (fixed > own)
		return false;
	memcpy(lengths, dense_default_distance_lengths, DENSE_DISTANCE_SYMBOLS);
	return true;
}

/* The bits of the literals k with k mod 4 = q into sums[q], from their
 * frequencies by position mod 4 and the literal code; only the used
 * literals are read (the used symbols the literal code's build left,
 * used of them: half the alphabet or less on most pages). A page's
 * literals take at most 4096 * 9 bits, so 32-bit sums. */
static void dense_literal_bits(const struct codec_workspace *workspace,
			       unsigned used, uint32_t *sums)
{
	const uint32_t (*frequencies)[256] = workspace->dense.literal_frequencies;
	const uint16_t *symbols = workspace->dense.huffman.symbols;
	const uint8_t *lengths = workspace->dense.lengths;

	sums[0] = sums[1] = sums[2] = sums[3] = 0;
	for (unsigned i = 0; i < used; i++) {
		unsigned b = symbols[i];

		sums[0] += frequencies[0][b] * lengths[b];
		sums[1] += frequencies[1][b] * lengths[b];
		sums[2] += frequencies[2][b] * lengths[b];
		sums[3] += frequencies[3][b] * lengths[b];
	}
}

/* Sets the lengths and codes of the four alphabets from frequencies (the
 * distances' those of the default code where dense_choose_default_distances
 * takes it, with codes for all its symbols) and literal_bits as
 * dense_literal_bits; returns whether it took the default distances. */
static bool dense_build_codes(struct codec_workspace *workspace,
			      uint32_t *literal_bits)
{
	static const struct {
		uint16_t first, count;
		uint8_t max_bits;
	} alphabets[4] = {
		{ 0, DENSE_LITERALS, DENSE_LITERAL_MAX_BITS },
		{ DENSE_CODE_RUNS, DENSE_RUN_SYMBOLS, DENSE_RUN_MAX_BITS },
		{ DENSE_CODE_MATCHES, DENSE_MATCH_SYMBOLS, DENSE_MATCH_MAX_BITS },
		{ DENSE_CODE_DISTANCES, DENSE_DISTANCE_SYMBOLS, DENSE_DISTANCE_MAX_BITS },
	};
	bool default_distances;

	for (unsigned a = 0; a < 4; a++) {
		unsigned used = dense_huffman_build(
			workspace->dense.frequencies + alphabets[a].first,
			alphabets[a].count, alphabets[a].max_bits,
			&workspace->dense.huffman,
			workspace->dense.lengths + alphabets[a].first,
			workspace->dense.codes + alphabets[a].first);

		/* while the build's list of used symbols is the literals' */
		if (a == 0)
			dense_literal_bits(workspace, used, literal_bits);
	}
	default_distances = dense_choose_default_distances(workspace);
	if (default_distances)
		dense_huffman_codes(workspace->dense.lengths + DENSE_CODE_DISTANCES,
				    DENSE_DISTANCE_SYMBOLS,
				    workspace->dense.codes + DENSE_CODE_DISTANCES);
	return default_distances;
}

/* Each lane's literal bits from the sums of dense_literal_bits: with
 * two lanes, lane 0 takes the literals k mod 4 = 0 and 2, lane 1 the
 * others. */
static void dense_lane_bits(const uint32_t *sums, unsigned lanes,
			    uint64_t *lane_bits)
{
	for (unsigned q = 0; q < 4; q++)
		lane_bits[q] = sums[q];
	if (lanes == 2) {
		lane_bits[0] += sums[2];
		lane_bits[1] += sums[3];
		lane_bits[2] = lane_bits[3] = 0;
	}
}

int codec_dense_encode(struct codec_workspace *workspace, const void *in,
		       size_t in_length, void *out, size_t out_capacity,
		       size_t *out_length)
{
	const uint8_t *bytes = in;
	const uint32_t *frequencies = workspace->dense.frequencies;
	uint8_t *lengths = workspace->dense.lengths;
	uint32_t clc_frequencies[DENSE_CLC_SYMBOLS] = { 0 };
	uint8_t clc_lengths[DENSE_CLC_SYMBOLS];
	uint16_t clc_codes[DENSE_CLC_SYMBOLS];
	unsigned clc_count, run_count, lanes, distance_field;
	bool default_distances;
	struct dense_sent sent;
	size_t sequence_count, literal_count, offset, total_bytes;
	size_t lane_starts[DENSE_LANES_MAX];
	uint64_t bits_a, lane_bits[DENSE_LANES_MAX];
	uint32_t literal_bits[4];
	const struct codec_dense_sequence *sequences = workspace->dense.sequences;
	const uint16_t *codes = workspace->dense.codes;
	uint8_t *staging = workspace->dense.staging;
	struct dense_writer w;

	if (in_length == 0 || in_length > CODEC_PAGE_BYTES)
		return XF_REFUSED;
	sequence_count = dense_parse(workspace, bytes, in_length);
	bits_a = dense_count(workspace, bytes, in_length, sequence_count,
			     &literal_count);
	default_distances = dense_build_codes(workspace, literal_bits);
	for (unsigned s = DENSE_LITERALS; s < DENSE_CODE_SYMBOLS; s++)
		bits_a += (uint64_t)frequencies[s] * lengths[s];
	lanes = dense_lane_count((unsigned)literal_count);
	dense_lane_bits(literal_bits, lanes, lane_bits);
	bits_a += lane_bits[0];

	/* the header: code lengths up to the last used of each alphabet */
	sent.counts[0] = dense_used(lengths + DENSE_CODE_RUNS, DENSE_RUN_SYMBOLS);
	sent.counts[1] = dense_used(lengths + DENSE_CODE_MATCHES, DENSE_MATCH_SYMBOLS);
	sent.counts[2] = default_distances ? 0 :
			 dense_used(lengths + DENSE_CODE_DISTANCES, DENSE_DISTANCE_SYMBOLS);
	distance_field = default_distances ? DENSE_DISTANCE_DEFAULT : sent.counts[2];
	sent.total = DENSE_LITERALS + sent.counts[0] + sent.counts[1] + sent.counts[2];
	run_count = dense_code_runs(lengths, &sent, workspace->dense.runs);
	for (unsigned r = 0; r < run_count; r++) {
		clc_frequencies[workspace->dense.runs[r][0]]++;
		bits_a += dense_clc_extra_bits[workspace->dense.runs[r][0]];
	}
	dense_huffman_build(clc_frequencies, DENSE_CLC_SYMBOLS,
			    DENSE_CLC_MAX_BITS, &workspace->dense.huffman,
			    clc_lengths, clc_codes);
	for (unsigned s = 0; s < DENSE_CLC_SYMBOLS; s++)
		bits_a += (uint64_t)clc_frequencies[s] * clc_lengths[s];
	clc_count = DENSE_CLC_SYMBOLS;
	while (clc_count > 0 && clc_lengths[dense_clc_order[clc_count - 1]] == 0)
		clc_count--;
	bits_a += 1 + (in_length == CODEC_PAGE_BYTES ? 0 : DENSE_HEADER_LENGTH_BITS) +
		  DENSE_HEADER_OFFSET_BITS + DENSE_HEADER_LITERAL_COUNT_BITS +
		  DENSE_HEADER_RUN_COUNT_BITS +
		  DENSE_HEADER_MATCH_COUNT_BITS + DENSE_HEADER_DISTANCE_COUNT_BITS +
		  DENSE_HEADER_CLC_COUNT_BITS + DENSE_CLC_LENGTH_BITS * clc_count +
		  (lanes == 4 ? 2 * DENSE_HEADER_LANE_BYTES_BITS : 0);
	offset = (size_t)((bits_a + 7) / 8);
	total_bytes = offset;
	for (unsigned l = 1; l < lanes; l++) {
		lane_starts[l] = total_bytes;
		total_bytes += (size_t)((lane_bits[l] + 7) / 8);
	}
	if (total_bytes > out_capacity)
		return XF_NO_SPACE;
	/* not reached with out_capacity CODEC_BOUND(in_length) or less */
	if (total_bytes > CODEC_DENSE_STAGING_BYTES)
		return XF_NO_SPACE;
	/* not reached by a page (its stream A stays far below), but the
	 * field has 13 bits */
	if (offset >= (1u << DENSE_HEADER_OFFSET_BITS))
		return XF_REFUSED;

	w = (struct dense_writer){ .out = staging };
	if (in_length == CODEC_PAGE_BYTES) {
		dense_put(&w, 1, 1);
	} else {
		dense_put(&w, 0, 1);
		dense_put(&w, in_length, DENSE_HEADER_LENGTH_BITS);
	}
	dense_put(&w, offset, DENSE_HEADER_OFFSET_BITS);
	dense_put(&w, literal_count, DENSE_HEADER_LITERAL_COUNT_BITS);
	if (lanes == 4) {
		dense_put(&w, lane_starts[2] - lane_starts[1], DENSE_HEADER_LANE_BYTES_BITS);
		dense_put(&w, lane_starts[3] - lane_starts[2], DENSE_HEADER_LANE_BYTES_BITS);
	}
	dense_put(&w, sent.counts[0], DENSE_HEADER_RUN_COUNT_BITS);
	dense_put(&w, sent.counts[1], DENSE_HEADER_MATCH_COUNT_BITS);
	dense_put(&w, distance_field, DENSE_HEADER_DISTANCE_COUNT_BITS);
	dense_put(&w, clc_count, DENSE_HEADER_CLC_COUNT_BITS);
	for (unsigned i = 0; i < clc_count; i++)
		dense_put(&w, clc_lengths[dense_clc_order[i]], DENSE_CLC_LENGTH_BITS);
	for (unsigned r = 0; r < run_count; r++) {
		unsigned symbol = workspace->dense.runs[r][0];

		dense_put(&w, clc_codes[symbol] |
			  (unsigned)workspace->dense.runs[r][1] << clc_lengths[symbol],
			  clc_lengths[symbol] + dense_clc_extra_bits[symbol]);
	}
	dense_put_literals(&w, 0, lanes, workspace->dense.literals, literal_count,
			   codes, lengths);
	dense_put_sequences(&w, sequences, sequence_count, codes, lengths);
	dense_flush(&w);
	for (unsigned l = 1; l < lanes; l++) {
		w = (struct dense_writer){ .out = staging + lane_starts[l] };
		dense_put_literals(&w, l, lanes, workspace->dense.literals,
				   literal_count, codes, lengths);
		dense_flush(&w);
	}
	memcpy(out, staging, total_bytes);
	*out_length = total_bytes;
	return XF_OK;
}
