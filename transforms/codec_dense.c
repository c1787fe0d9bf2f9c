/*
 * The dense codec's encoder: the LZ77 parse of codec_dense_parse.c, coded
 * with canonical Huffman codes built for this page alone (one code for
 * literals and match lengths, one for distances, and a small code for the
 * code lengths themselves). The exact size is known from the frequencies
 * before a bit is written, so an output that would not fit is refused
 * without writing, and the writer makes no checks. The format is in
 * codec_dense_format.h and docs/compression.md.
 */
#include <string.h>
#include "transforms/codec_dense_format.h"
#include "transforms/codec_dense_huffman.h"
#include "transforms/codec_dense_parse.h"

/* The concatenated code lengths: literal/length, then distance. */
#define DENSE_DISTANCE_LENGTHS DENSE_LITLEN_SYMBOLS

/* LSB-first bit writer. The caller has checked that everything fits, and
 * only whole bytes are stored, so it never writes past the checked size. */
struct dense_writer {
	uint8_t *out;
	uint64_t bits;
	unsigned count;
};

static inline void dense_put(struct dense_writer *w, unsigned value,
			     unsigned length)
{
	w->bits |= (uint64_t)value << w->count;
	w->count += length;
	if (w->count >= 32) {
		uint32_t word = (uint32_t)w->bits;

		memcpy(w->out, &word, 4);
		w->out += 4;
		w->bits >>= 32;
		w->count -= 32;
	}
}

/* Writes the codes of count literals, two per put (a code has at most
 * DENSE_LITLEN_MAX_BITS bits, so two fit beside the up to 31 bits the
 * writer holds between puts). */
static inline void dense_put_literals(struct dense_writer *w,
				      const uint8_t *literals, unsigned count,
				      const uint16_t *codes, const uint8_t *lengths)
{
	unsigned k = 0;

	for (; k + 2 <= count; k += 2) {
		unsigned first = literals[k], second = literals[k + 1];

		dense_put(w, codes[first] | (unsigned)codes[second] << lengths[first],
			  lengths[first] + lengths[second]);
	}
	if (k < count)
		dense_put(w, codes[literals[k]], lengths[literals[k]]);
}

/* Writes a sequence's match: its length symbol with the extra bits in one
 * put, then for an explicit distance or rep1 the distance symbol and its
 * extra bits in another (each at most 10 + 10 bits). */
static inline void dense_put_match(struct dense_writer *w,
				   const struct codec_dense_sequence *q,
				   const uint16_t *codes, const uint8_t *lengths)
{
	unsigned value = q->length - DENSE_MIN_MATCH;
	unsigned bucket = dense_bucket(value);
	unsigned symbol = (q->distance == DENSE_SEQUENCE_REP0 ?
			   DENSE_REP0_LENGTH_FIRST : DENSE_LENGTH_FIRST) + bucket;

	dense_put(w, codes[symbol] |
		     (value - dense_bucket_base(bucket)) << lengths[symbol],
		  lengths[symbol] + dense_bucket_extra_bits(bucket));
	if (q->distance == DENSE_SEQUENCE_REP1) {
		symbol = DENSE_DISTANCE_LENGTHS + DENSE_DISTANCE_REP1;
		dense_put(w, codes[symbol], lengths[symbol]);
	} else if (q->distance != DENSE_SEQUENCE_REP0) {
		value = q->distance - 2u;
		bucket = dense_bucket(value);
		symbol = DENSE_DISTANCE_LENGTHS + DENSE_DISTANCE_FIRST_BUCKET + bucket;
		dense_put(w, codes[symbol] |
			     (value - dense_bucket_base(bucket)) << lengths[symbol],
			  lengths[symbol] + dense_bucket_extra_bits(bucket));
	}
}

static void dense_flush(struct dense_writer *w)
{
	while (w->count > 0) {
		*w->out++ = (uint8_t)w->bits;
		w->bits >>= 8;
		w->count = w->count > 8 ? w->count - 8 : 0;
	}
}

static inline unsigned dense_run_extra_bits(unsigned symbol)
{
	return symbol < DENSE_CLC_ZERO_FIRST ? 0 :
	       dense_zero_run_extra[symbol - DENSE_CLC_ZERO_FIRST];
}

/* Codes the code lengths (the literal/length ones in use, then the
 * distance ones) as code-length symbols into runs; returns how many. */
static unsigned dense_code_runs(const uint8_t *lengths, unsigned litlen_count,
				unsigned distance_count, uint8_t (*runs)[2])
{
	unsigned total = litlen_count + distance_count, count = 0, i = 0;

	while (i < total) {
#define DENSE_LENGTH_AT(k) ((k) < litlen_count ? lengths[k] : \
			    lengths[DENSE_DISTANCE_LENGTHS + (k) - litlen_count])
		unsigned value = DENSE_LENGTH_AT(i), run = 1;

		if (value) {
			runs[count][0] = (uint8_t)(value - 1);
			runs[count++][1] = 0;
			i++;
			continue;
		}
		while (i + run < total && DENSE_LENGTH_AT(i + run) == 0 &&
		       run < DENSE_ZERO_RUN_MAX)
			run++;
#undef DENSE_LENGTH_AT
		i += run;
		{
			unsigned bucket = DENSE_CLC_ZERO_BUCKETS - 1;

			while (dense_zero_run_base[bucket] > run)
				bucket--;
			runs[count][0] = (uint8_t)(DENSE_CLC_ZERO_FIRST + bucket);
			runs[count++][1] = (uint8_t)(run - dense_zero_run_base[bucket]);
		}
	}
	return count;
}

int codec_dense_encode(struct codec_workspace *workspace, const void *in,
		       size_t in_length, void *out, size_t out_capacity,
		       size_t *out_length)
{
	const uint8_t *bytes = in;
	uint32_t *frequencies = workspace->dense.frequencies;
	uint32_t *distance_frequencies = frequencies + DENSE_DISTANCE_LENGTHS;
	uint8_t *lengths = workspace->dense.lengths;
	uint16_t *codes = workspace->dense.codes;
	struct codec_dense_sequence *sequences = workspace->dense.sequences;
	uint32_t clc_frequencies[DENSE_CLC_SYMBOLS] = { 0 };
	uint8_t clc_lengths[DENSE_CLC_SYMBOLS];
	uint16_t clc_codes[DENSE_CLC_SYMBOLS];
	unsigned litlen_count, distance_count, clc_count, run_count;
	size_t sequence_count, position, total_bytes;
	uint64_t bits = 0;
	struct dense_writer writer;

	if (in_length == 0 || in_length > CODEC_PAGE_BYTES)
		return XF_REFUSED;
	sequence_count = dense_parse(workspace, bytes, in_length);

	/* frequencies, and the extra bits they carry */
	memset(frequencies, 0, sizeof(workspace->dense.frequencies));
	position = 0;
	for (size_t s = 0; s < sequence_count; s++) {
		const struct codec_dense_sequence *q = &sequences[s];

		for (unsigned k = 0; k < q->literals; k++)
			frequencies[bytes[position + k]]++;
		position += q->literals;
		if (q->length) {
			unsigned bucket = dense_bucket(q->length - DENSE_MIN_MATCH);

			bits += dense_bucket_extra_bits(bucket);
			if (q->distance == DENSE_SEQUENCE_REP0) {
				frequencies[DENSE_REP0_LENGTH_FIRST + bucket]++;
			} else if (q->distance == DENSE_SEQUENCE_REP1) {
				frequencies[DENSE_LENGTH_FIRST + bucket]++;
				distance_frequencies[DENSE_DISTANCE_REP1]++;
			} else {
				frequencies[DENSE_LENGTH_FIRST + bucket]++;
				bucket = dense_bucket(q->distance - 2u);
				distance_frequencies[DENSE_DISTANCE_FIRST_BUCKET + bucket]++;
				bits += dense_bucket_extra_bits(bucket);
			}
			position += q->length;
		}
	}

	dense_huffman_lengths(frequencies, DENSE_LITLEN_SYMBOLS,
			      DENSE_LITLEN_MAX_BITS, workspace->dense.sorted,
			      workspace->dense.sort_temp,
			      lengths);
	dense_huffman_lengths(distance_frequencies, DENSE_DISTANCE_SYMBOLS,
			      DENSE_DISTANCE_MAX_BITS, workspace->dense.sorted,
			      workspace->dense.sort_temp,
			      lengths + DENSE_DISTANCE_LENGTHS);
	dense_huffman_codes(lengths, DENSE_LITLEN_SYMBOLS, codes);
	dense_huffman_codes(lengths + DENSE_DISTANCE_LENGTHS,
			    DENSE_DISTANCE_SYMBOLS, codes + DENSE_DISTANCE_LENGTHS);
	for (unsigned s = 0; s < DENSE_LITLEN_SYMBOLS; s++)
		bits += (uint64_t)frequencies[s] * lengths[s];
	for (unsigned s = 0; s < DENSE_DISTANCE_SYMBOLS; s++)
		bits += (uint64_t)distance_frequencies[s] *
			lengths[DENSE_DISTANCE_LENGTHS + s];

	/* only the length and distance symbols up to the last one used */
	litlen_count = DENSE_LITLEN_SYMBOLS;
	while (litlen_count > DENSE_LITERALS && lengths[litlen_count - 1] == 0)
		litlen_count--;
	distance_count = DENSE_DISTANCE_SYMBOLS;
	while (distance_count > 0 &&
	       lengths[DENSE_DISTANCE_LENGTHS + distance_count - 1] == 0)
		distance_count--;
	run_count = dense_code_runs(lengths, litlen_count, distance_count,
				    workspace->dense.runs);
	for (unsigned r = 0; r < run_count; r++) {
		clc_frequencies[workspace->dense.runs[r][0]]++;
		bits += dense_run_extra_bits(workspace->dense.runs[r][0]);
	}
	dense_huffman_lengths(clc_frequencies, DENSE_CLC_SYMBOLS,
			      DENSE_CLC_MAX_BITS, workspace->dense.sorted,
			      workspace->dense.sort_temp,
			      clc_lengths);
	dense_huffman_codes(clc_lengths, DENSE_CLC_SYMBOLS, clc_codes);
	for (unsigned s = 0; s < DENSE_CLC_SYMBOLS; s++)
		bits += (uint64_t)clc_frequencies[s] * clc_lengths[s];
	clc_count = DENSE_CLC_SYMBOLS;
	while (clc_count > 0 && clc_lengths[dense_clc_order[clc_count - 1]] == 0)
		clc_count--;
	bits += 1 + (in_length == CODEC_PAGE_BYTES ? 0 : DENSE_HEADER_LENGTH_BITS) +
		2 * DENSE_HEADER_COUNT_BITS + DENSE_HEADER_CLC_COUNT_BITS +
		DENSE_CLC_LENGTH_BITS * clc_count;
	total_bytes = (size_t)((bits + 7) / 8);
	if (total_bytes > out_capacity)
		return XF_NO_SPACE;

	writer = (struct dense_writer){ .out = out };
	if (in_length == CODEC_PAGE_BYTES) {
		dense_put(&writer, 1, 1);
	} else {
		dense_put(&writer, 0, 1);
		dense_put(&writer, (unsigned)in_length, DENSE_HEADER_LENGTH_BITS);
	}
	dense_put(&writer, litlen_count - DENSE_LITERALS, DENSE_HEADER_COUNT_BITS);
	dense_put(&writer, distance_count, DENSE_HEADER_COUNT_BITS);
	dense_put(&writer, clc_count, DENSE_HEADER_CLC_COUNT_BITS);
	for (unsigned i = 0; i < clc_count; i++)
		dense_put(&writer, clc_lengths[dense_clc_order[i]],
			  DENSE_CLC_LENGTH_BITS);
	for (unsigned r = 0; r < run_count; r++) {
		unsigned symbol = workspace->dense.runs[r][0];

		dense_put(&writer, clc_codes[symbol], clc_lengths[symbol]);
		dense_put(&writer, workspace->dense.runs[r][1],
			  dense_run_extra_bits(symbol));
	}
	position = 0;
	for (size_t s = 0; s < sequence_count; s++) {
		const struct codec_dense_sequence *q = &sequences[s];

		dense_put_literals(&writer, bytes + position, q->literals,
				   codes, lengths);
		position += q->literals;
		if (q->length) {
			dense_put_match(&writer, q, codes, lengths);
			position += q->length;
		}
	}
	dense_flush(&writer);
	*out_length = (size_t)(writer.out - (uint8_t *)out);
	return XF_OK;
}
