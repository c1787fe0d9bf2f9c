/*
 * The dense codec's decoder, for untrusted bytes. Its tables live on the
 * stack (about 3.5 KiB at the deepest: one-level lookup tables of 2^10,
 * 2^8 and 2^7 entries), so it needs no workspace. What it checks:
 * - every count in the header against its alphabet, every code length
 *   against the table it fills, and every code against the Kraft
 *   inequality (an over-full code is rejected; an incomplete one is
 *   allowed, its unused table entries are marked and rejected when met);
 * - every run of code lengths against the lengths still to come, a repeat
 *   against there being a length to repeat;
 * - every match length against the output left and every distance against
 *   the output written (the repeat distances too);
 * - the end: the stream must end in the last byte of the input, reading
 *   no bit past it (bits past the end read as zero and are counted, so a
 *   truncated block is caught however it decodes).
 * Each symbol writes at least one byte, so the time is linear in the
 * output; the header's loops are bounded by the alphabets.
 */
#include <string.h>
#include "transforms/codec_dense_format.h"
#include "transforms/codec_dense_huffman.h"

#define DENSE_LITLEN_TABLE (1u << DENSE_LITLEN_MAX_BITS)
#define DENSE_DISTANCE_TABLE (1u << DENSE_DISTANCE_MAX_BITS)
#define DENSE_CLC_TABLE (1u << DENSE_CLC_MAX_BITS)
/* A table entry: symbol << 4 | code length; length 0 marks no code. */
#define DENSE_ENTRY_LENGTH(e) ((e) & 15u)
#define DENSE_ENTRY_SYMBOL(e) ((e) >> 4)
/* Bits read past the input's end before the decoder gives up early. */
#define DENSE_OVERRUN_LIMIT 64u

/* LSB-first bit reader: after a refill at least 56 bits are buffered,
 * zeros past the input's end, counted in overrun. */
struct dense_reader {
	const uint8_t *next;
	const uint8_t *end;
	uint64_t bits;
	unsigned count;
	unsigned overrun;
};

static inline void dense_refill(struct dense_reader *r)
{
	if (r->end - r->next >= 8) {
		uint64_t word;

		memcpy(&word, r->next, 8);
		r->bits |= word << r->count;
		r->next += (63 - r->count) >> 3;
		r->count |= 56;
		return;
	}
	while (r->count <= 56) {
		if (r->next < r->end)
			r->bits |= (uint64_t)*r->next++ << r->count;
		else
			r->overrun += 8;
		r->count += 8;
	}
}

/* The next length bits (length <= 32, buffered). */
static inline unsigned dense_take(struct dense_reader *r, unsigned length)
{
	unsigned value = (unsigned)(r->bits & ((1ull << length) - 1));

	r->bits >>= length;
	r->count -= length;
	return value;
}

/* Fills a lookup table of 2^bits entries from code lengths; false when a
 * length exceeds bits or the code is over-full. The table grows by
 * doubling: once every code of up to l bits is in its 2^l entries, a copy
 * of them makes the table for l + 1 bits (a code's entries are those whose
 * low bits are the code reversed), where the codes of l + 1 bits then
 * take their one entry each. Entries no code reaches stay 0 (no code). */
static bool dense_build_table(const uint8_t *lengths, unsigned count,
			      unsigned bits, uint16_t *table)
{
	unsigned per_length[16] = { 0 }, offsets[16];
	uint16_t by_length[DENSE_LITLEN_SYMBOLS];
	unsigned code = 0, size = 1, next = 0;
	int left = 1;

	for (unsigned s = 0; s < count; s++) {
		if (lengths[s] > bits)
			return false;
		per_length[lengths[s]]++;
	}
	for (unsigned l = 1; l <= bits; l++) {
		left = 2 * left - (int)per_length[l];
		if (left < 0)
			return false;
		offsets[l] = next;
		next += per_length[l];
	}
	/* symbols sorted by length, then by symbol: canonical order */
	for (unsigned s = 0; s < count; s++)
		if (lengths[s])
			by_length[offsets[lengths[s]]++] = (uint16_t)s;
	table[0] = 0;
	next = 0;
	for (unsigned l = 1; l <= bits; l++) {
		memcpy(table + size, table, size * sizeof(uint16_t));
		size *= 2;
		for (unsigned k = 0; k < per_length[l]; k++) {
			unsigned s = by_length[next++];

			table[dense_reverse_bits(code++, l)] = (uint16_t)(s << 4 | l);
		}
		code <<= 1;
	}
	return true;
}

/* Decodes one symbol with a table of 2^bits entries; -1 for no code. */
static inline int dense_symbol(struct dense_reader *r, const uint16_t *table,
			       unsigned bits)
{
	unsigned entry = table[r->bits & ((1u << bits) - 1)];
	unsigned length = DENSE_ENTRY_LENGTH(entry);

	if (!length)
		return -1;
	r->bits >>= length;
	r->count -= length;
	return (int)DENSE_ENTRY_SYMBOL(entry);
}

/* Reads the header's code lengths into litlen and distance lengths. */
static bool dense_read_lengths(struct dense_reader *r, uint8_t *litlen,
			       uint8_t *distance)
{
	uint8_t clc_lengths[DENSE_CLC_SYMBOLS] = { 0 };
	uint8_t all[DENSE_LITLEN_SYMBOLS + DENSE_DISTANCE_SYMBOLS];
	uint16_t clc_table[DENSE_CLC_TABLE];
	unsigned litlen_count, distance_count, clc_count, total, i = 0;

	dense_refill(r);
	litlen_count = DENSE_LITERALS + dense_take(r, DENSE_HEADER_COUNT_BITS);
	distance_count = dense_take(r, DENSE_HEADER_COUNT_BITS);
	clc_count = dense_take(r, DENSE_HEADER_CLC_COUNT_BITS);
	if (litlen_count > DENSE_LITLEN_SYMBOLS ||
	    distance_count > DENSE_DISTANCE_SYMBOLS ||
	    clc_count > DENSE_CLC_SYMBOLS)
		return false;
	for (unsigned k = 0; k < clc_count; k++) {
		if (r->count < DENSE_CLC_LENGTH_BITS)
			dense_refill(r);
		clc_lengths[dense_clc_order[k]] =
			(uint8_t)dense_take(r, DENSE_CLC_LENGTH_BITS);
	}
	if (!dense_build_table(clc_lengths, DENSE_CLC_SYMBOLS, DENSE_CLC_MAX_BITS,
			       clc_table))
		return false;
	total = litlen_count + distance_count;
	while (i < total) {
		unsigned run;
		int symbol;

		dense_refill(r);
		if (r->overrun > DENSE_OVERRUN_LIMIT)
			return false;
		symbol = dense_symbol(r, clc_table, DENSE_CLC_MAX_BITS);
		if (symbol < 0)
			return false;
		if (symbol < (int)DENSE_CLC_ZERO_FIRST) {
			all[i++] = (uint8_t)(symbol + 1);
			continue;
		}
		symbol -= (int)DENSE_CLC_ZERO_FIRST;
		run = dense_zero_run_base[symbol] +
		      dense_take(r, dense_zero_run_extra[symbol]);
		if (run > total - i)
			return false;
		memset(all + i, 0, run);
		i += run;
	}
	memset(litlen, 0, DENSE_LITLEN_SYMBOLS);
	memcpy(litlen, all, litlen_count);
	memset(distance, 0, DENSE_DISTANCE_SYMBOLS);
	memcpy(distance, all + litlen_count, distance_count);
	return true;
}

/* Copies a match of length bytes from distance back; the caller checked
 * both against the output. */
static inline uint8_t *dense_copy_match(uint8_t *op, const uint8_t *end,
					unsigned distance, unsigned length)
{
	uint8_t *stop = op + length;

	if (distance == 1) {
		memset(op, op[-1], length);
		return stop;
	}
	if ((size_t)(end - op) < length + 16) {
		/* near the end of the output: exactly, in copies that never
		 * overlap (each one doubles the period it may copy from) */
		while (op < stop) {
			size_t chunk = (size_t)(stop - op) < distance ?
				       (size_t)(stop - op) : distance;

			memcpy(op, op - distance, chunk);
			op += chunk;
			distance *= 2;
		}
		return stop;
	}
	/* Below, copies may write up to 15 bytes past stop, before end (the
	 * decoded length: bytes past it are never written). */
	/* a short period: copy one period at a time, which doubles the
	 * distance the rest may copy from (the bytes 2d back are the same)
	 * until wide moves read only bytes already written */
	while (distance < 8) {
		memcpy(op, op - distance, distance);
		op += distance;
		distance *= 2;
		if (op >= stop)
			return stop;
	}
	if (distance >= 16) {
		do {
			memcpy(op, op - distance, 16);
			op += 16;
		} while (op < stop);
	} else {
		do {
			memcpy(op, op - distance, 8);
			op += 8;
		} while (op < stop);
	}
	return stop;
}

int codec_dense_decode(const void *in, size_t in_length, void *out,
		       size_t out_capacity, size_t *out_length)
{
	uint8_t litlen_lengths[DENSE_LITLEN_SYMBOLS];
	uint8_t distance_lengths[DENSE_DISTANCE_SYMBOLS];
	uint16_t litlen_table[DENSE_LITLEN_TABLE];
	uint16_t distance_table[DENSE_DISTANCE_TABLE];
	struct dense_reader r = { .next = in, .end = (const uint8_t *)in + in_length };
	uint8_t *start = out, *op = out, *end;
	unsigned rep0 = DENSE_REP0_START, rep1 = DENSE_REP1_START;
	size_t length, consumed;

	dense_refill(&r);
	length = dense_take(&r, 1) ? CODEC_PAGE_BYTES :
		 dense_take(&r, DENSE_HEADER_LENGTH_BITS);
	if (length == 0)
		return XF_CORRUPT;
	if (length > out_capacity)
		return XF_NO_SPACE;
	if (!dense_read_lengths(&r, litlen_lengths, distance_lengths) ||
	    !dense_build_table(litlen_lengths, DENSE_LITLEN_SYMBOLS,
			       DENSE_LITLEN_MAX_BITS, litlen_table) ||
	    !dense_build_table(distance_lengths, DENSE_DISTANCE_SYMBOLS,
			       DENSE_DISTANCE_MAX_BITS, distance_table))
		return XF_CORRUPT;

	end = op + length;
	while (op < end) {
		unsigned match, distance, bucket;
		int symbol;

		dense_refill(&r);
		if (r.overrun > DENSE_OVERRUN_LIMIT)
			return XF_CORRUPT;
		symbol = dense_symbol(&r, litlen_table, DENSE_LITLEN_MAX_BITS);
		if (symbol < (int)DENSE_LITERALS) {
			if (symbol < 0)
				return XF_CORRUPT;
			*op++ = (uint8_t)symbol;
			if (op >= end)
				break;
			/* 56 bits after the refill, at most 11 used: the next
			 * symbol, even a match, has its bits buffered */
			symbol = dense_symbol(&r, litlen_table,
					      DENSE_LITLEN_MAX_BITS);
			if (symbol < (int)DENSE_LITERALS) {
				if (symbol < 0)
					return XF_CORRUPT;
				*op++ = (uint8_t)symbol;
				continue;
			}
		}
		if (symbol >= (int)DENSE_REP0_LENGTH_FIRST) {
			bucket = (unsigned)symbol - DENSE_REP0_LENGTH_FIRST;
			match = DENSE_MIN_MATCH + dense_bucket_bases[bucket] +
				dense_take(&r, dense_bucket_extras[bucket]);
			distance = rep0;
		} else {
			bucket = (unsigned)symbol - DENSE_LENGTH_FIRST;
			match = DENSE_MIN_MATCH + dense_bucket_bases[bucket] +
				dense_take(&r, dense_bucket_extras[bucket]);
			symbol = dense_symbol(&r, distance_table,
					      DENSE_DISTANCE_MAX_BITS);
			if (symbol < 0)
				return XF_CORRUPT;
			if (symbol == (int)DENSE_DISTANCE_REP1) {
				distance = rep1;
			} else {
				bucket = (unsigned)symbol - DENSE_DISTANCE_FIRST_BUCKET;
				distance = 1 + dense_bucket_bases[bucket] +
					   dense_take(&r, dense_bucket_extras[bucket]);
			}
			rep1 = rep0;
			rep0 = distance;
		}
		if (distance > (size_t)(op - start) || match > (size_t)(end - op))
			return XF_CORRUPT;
		op = dense_copy_match(op, end, distance, match);
	}
	/* the stream ends in the input's last byte, nothing read past it */
	consumed = 8 * (size_t)(r.next - (const uint8_t *)in) + r.overrun - r.count;
	if (consumed > 8 * in_length || consumed + 8 <= 8 * in_length)
		return XF_CORRUPT;
	*out_length = length;
	return XF_OK;
}

static int dense_encode_op(struct codec_workspace *workspace, const void *in,
			   size_t in_length, void *out, size_t out_capacity,
			   size_t *out_length)
{
	return codec_dense_encode(workspace, in, in_length, out, out_capacity,
				  out_length);
}

const struct codec_ops codec_dense = {
	.name = "dense",
	.id = CODEC_ID_DENSE,
	.encode = dense_encode_op,
	.decode = codec_dense_decode,
};
