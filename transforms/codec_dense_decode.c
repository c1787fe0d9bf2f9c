/*
 * The dense codec's decoder, for untrusted bytes. Its tables live on the
 * stack (a 5.1 KiB frame, 6.4 KiB with the table builder's: one-level
 * lookup tables of 2^9 literal entries, 2^7 run, 2^8 match-length, 2^7
 * distance and 2^7 code-length entries), so it needs no workspace. The
 * block's two or four streams are read side by side: A (header, the
 * literals of lane 0, sequences) from byte 0, B (lane 1) from the offset
 * the header gives, and with four C and D (lanes 2 and 3) after B at the
 * sizes it gives. All literals are decoded first, one from each stream in
 * turn (the lookups of the streams do not wait on each other, and no
 * branch depends on a literal), into the output's last bytes; the
 * sequences then copy their runs from there and their matches from the
 * output.
 * What it checks:
 * - every count in the header against its alphabet, every code length
 *   against the table it fills, and every code against the Kraft
 *   inequality (an over-full code is rejected; an incomplete one is
 *   allowed, its unused table entries are marked and rejected when met:
 *   for literals once after their loop, the marked entry writing a byte
 *   inside the literals and consuming no bit);
 * - the code lengths against the count announced (a zero run going past
 *   it is rejected after the loop, whose writes stay below the count);
 * - the literal count against the output, every literal run against the
 *   literals left, every match length against the room before them, and
 *   every distance against the output written (the repeat distances too);
 * - the streams' starts against the input, and the end: stream A must end
 *   in the byte before the offset, every other stream in the byte before
 *   the next one's start, the last in the input's last byte, with the
 *   unused bits of those bytes 0 (bits past
 *   the input read as zero and are counted, so a truncated block is caught
 *   however it decodes).
 * Each sequence writes at least one byte, so the time is linear in the
 * output; the header's loops are bounded by the alphabets.
 */
#include <string.h>
#include "transforms/codec_dense_format.h"
#include "transforms/codec_dense_distance_table.h"
#include "transforms/codec_dense_huffman.h"

#define DENSE_LITERAL_TABLE (1u << DENSE_LITERAL_MAX_BITS)
#define DENSE_RUN_TABLE (1u << DENSE_RUN_MAX_BITS)
#define DENSE_MATCH_TABLE (1u << DENSE_MATCH_MAX_BITS)
#define DENSE_CLC_TABLE (1u << DENSE_CLC_MAX_BITS)
/* A table entry: symbol << 4 | code length. Entries no code reaches hold
 * DENSE_NO_CODE: length 0 (no bit consumed) and a symbol above every
 * alphabet, so that the literal loop can check a whole run at once. */
#define DENSE_ENTRY_LENGTH(e) ((e) & 15u)
#define DENSE_ENTRY_SYMBOL(e) ((e) >> 4)
#define DENSE_NO_CODE 0xfff0u
/* Literal entries are below this; an OR of entries tells if one was not. */
#define DENSE_LITERAL_ENTRY_END (DENSE_LITERALS << 4)
/* Bits a stream reads past the input's end before the decoder gives up
 * early (a refill buffers up to 64 of them without consuming any). */
#define DENSE_OVERRUN_LIMIT 128u

/* LSB-first bit reader: after a refill at least 56 bits are buffered
 * (zeros past the input's end, counted in overrun). A stream's reader may
 * buffer bytes of the next stream; the end check rejects a block whose
 * stream consumed them. */
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

/* Bits r consumed from start (where its stream begins). */
static inline size_t dense_consumed(const struct dense_reader *r,
				    const uint8_t *start)
{
	return 8 * (size_t)(r->next - start) + r->overrun - r->count;
}

/* The symbols of a code in canonical order (by length, then by symbol)
 * into by_length, and the number of codes of each length into
 * per_length[0..bits]; false when a length exceeds bits (lengths are at
 * most 15) or the code is over-full by the Kraft inequality. */
static bool dense_canonical(const uint8_t *lengths, unsigned count,
			    unsigned bits, unsigned *per_length,
			    uint16_t *by_length)
{
	/* The used symbols first (most of a page's are not), cut into four
	 * consecutive quarters, each with a histogram and a cursor per
	 * length of its own: consecutive symbols of one length would
	 * otherwise each wait for the previous increment's store (the
	 * placing loop was most of a literal table's build). Quarter q's
	 * symbols of length l go after the earlier quarters' of length l,
	 * so the order stays canonical. No branch depends on the lengths. */
	uint16_t used[DENSE_LITERALS], histograms[4][16] = { { 0 } };
	uint16_t cursors[4][16];
	unsigned next = 0, n = 0, longest = 0, quarter, k;
	int left = 1;

	for (unsigned s = 0; s < count; s++) {
		used[n] = (uint16_t)s;
		n += lengths[s] != 0;
		longest |= lengths[s];
	}
	if (longest > 15)
		return false;
	quarter = n / 4;	/* the last quarter also takes the n % 4 left */
	for (k = 0; k < quarter; k++) {
		histograms[0][lengths[used[k]]]++;
		histograms[1][lengths[used[k + quarter]]]++;
		histograms[2][lengths[used[k + 2 * quarter]]]++;
		histograms[3][lengths[used[k + 3 * quarter]]]++;
	}
	for (k = 4 * quarter; k < n; k++)
		histograms[3][lengths[used[k]]]++;
	per_length[0] = 0;
	for (unsigned l = 1; l < 16; l++)
		per_length[l] = (unsigned)histograms[0][l] + histograms[1][l] +
				histograms[2][l] + histograms[3][l];
	for (unsigned l = bits + 1; l < 16; l++)
		if (per_length[l])
			return false;
	for (unsigned l = 1; l <= bits; l++) {
		left = 2 * left - (int)per_length[l];
		if (left < 0)
			return false;
		for (unsigned q = 0; q < 4; q++) {
			cursors[q][l] = (uint16_t)next;
			next += histograms[q][l];
		}
	}
	for (k = 0; k < quarter; k++) {
		unsigned a = used[k], b = used[k + quarter];
		unsigned c = used[k + 2 * quarter], d = used[k + 3 * quarter];

		by_length[cursors[0][lengths[a]]++] = (uint16_t)a;
		by_length[cursors[1][lengths[b]]++] = (uint16_t)b;
		by_length[cursors[2][lengths[c]]++] = (uint16_t)c;
		by_length[cursors[3][lengths[d]]++] = (uint16_t)d;
	}
	for (k = 4 * quarter; k < n; k++)
		by_length[cursors[3][lengths[used[k]]]++] = used[k];
	return true;
}

/* code (under 2^length, length at most 9) with its length bits reversed:
 * one load where the generic reversal takes a dozen operations. */
static inline unsigned dense_reverse_code(unsigned code, unsigned length)
{
	unsigned nine = (unsigned)dense_reversed_bytes[code & 0xff] << 1 | code >> 8;

	return nine >> (9 - length);
}

/* Fills a lookup table of 2^bits 16-bit entries (symbol << 4 | length)
 * from code lengths; false as dense_canonical. The table grows by
 * doubling: once every code of up to l bits is in its 2^l entries, a copy
 * of them makes the table for l + 1 bits (a code's entries are those whose
 * low bits are the code reversed), where the codes of l + 1 bits then
 * take their one entry each. Entries no code reaches hold DENSE_NO_CODE. */
static bool dense_build_table(const uint8_t *lengths, unsigned count,
			      unsigned bits, uint16_t *table)
{
	unsigned per_length[16], code = 0, size = 1, next = 0;
	uint16_t by_length[DENSE_LITERALS];

	if (!dense_canonical(lengths, count, bits, per_length, by_length))
		return false;
	table[0] = DENSE_NO_CODE;
	for (unsigned l = 1; l <= bits; l++) {
		memcpy(table + size, table, size * sizeof(uint16_t));
		size *= 2;
		for (unsigned k = 0; k < per_length[l]; k++) {
			unsigned symbol = by_length[next++];

			table[dense_reverse_code(code++, l)] = (uint16_t)(symbol << 4 | l);
		}
		code <<= 1;
	}
	return true;
}

/* dense_build_table for a table of 32-bit entries: DENSE_WIDE_ENTRY of
 * the symbol's payload and its code's length (0 where no code reaches). */
static bool dense_build_wide_table(const uint8_t *lengths, unsigned count,
				   unsigned bits, const uint32_t *payloads,
				   uint32_t *table)
{
	unsigned per_length[16], code = 0, size = 1, next = 0;
	uint16_t by_length[DENSE_LITERALS];

	if (!dense_canonical(lengths, count, bits, per_length, by_length))
		return false;
	table[0] = 0;
	for (unsigned l = 1; l <= bits; l++) {
		memcpy(table + size, table, size * sizeof(uint32_t));
		size *= 2;
		for (unsigned k = 0; k < per_length[l]; k++)
			table[dense_reverse_code(code++, l)] =
				DENSE_WIDE_ENTRY(payloads[by_length[next++]], l);
		code <<= 1;
	}
	return true;
}

/* dense_bucket_base and dense_bucket_extra_bits as constant expressions */
#define DENSE_EXTRA(b) ((b) < 4 ? 0u : (b) / 2 - 1)
#define DENSE_BASE(b) ((b) < 4 ? (b) : (2u | ((b) & 1u)) << DENSE_EXTRA(b))
#define DENSE_RUN(b) DENSE_PAYLOAD(DENSE_BASE(b), DENSE_EXTRA(b))
#define DENSE_MATCH(b) DENSE_PAYLOAD(DENSE_MIN_MATCH + DENSE_BASE(b), DENSE_EXTRA(b))
#define DENSE_MATCH_REP0(b) (DENSE_MATCH(b) | DENSE_WIDE_REPEAT)
#define DENSE_DISTANCE(b) DENSE_PAYLOAD(1 + DENSE_BASE(b), DENSE_EXTRA(b))
#define DENSE_EIGHT(M, b) M(b), M(b + 1), M(b + 2), M(b + 3), M(b + 4), \
			  M(b + 5), M(b + 6), M(b + 7)
#define DENSE_TWENTY_FOUR(M) DENSE_EIGHT(M, 0u), DENSE_EIGHT(M, 8u), DENSE_EIGHT(M, 16u)

static const uint32_t dense_run_payloads[DENSE_RUN_SYMBOLS] = {
	DENSE_TWENTY_FOUR(DENSE_RUN), DENSE_RUN(24u),
};
static const uint32_t dense_match_payloads[DENSE_MATCH_SYMBOLS] = {
	DENSE_TWENTY_FOUR(DENSE_MATCH), DENSE_TWENTY_FOUR(DENSE_MATCH_REP0),
};
static const uint32_t dense_distance_payloads[DENSE_DISTANCE_SYMBOLS] = {
	DENSE_WIDE_REPEAT, DENSE_TWENTY_FOUR(DENSE_DISTANCE),
};

/* The decoder's tables, one per alphabet. */
struct dense_tables {
	uint16_t literals[DENSE_LITERAL_TABLE];
	uint32_t runs[DENSE_RUN_TABLE];
	uint32_t matches[DENSE_MATCH_TABLE];
	uint32_t distances[DENSE_DISTANCE_TABLE];
};

/* Host builds only (the generator and the host test call it): the kernel
 * copies the prebuilt table and would carry this unused. */
#ifdef VEIL_HOST
bool codec_dense_build_default_distances(uint32_t *table)
{
	return dense_build_wide_table(dense_default_distance_lengths,
				      DENSE_DISTANCE_SYMBOLS, DENSE_DISTANCE_MAX_BITS,
				      dense_distance_payloads, table);
}
#endif

/* The value a wide entry's field stands for, read from held (the bits at
 * the field's code): the entry's base plus the extra bits after the code. */
static inline __attribute__((always_inline)) unsigned
dense_wide_value(uint32_t entry, uint64_t held)
{
	return DENSE_WIDE_BASE(entry) +
	       (unsigned)((held >> DENSE_WIDE_LENGTH(entry)) &
			  ((1u << DENSE_WIDE_EXTRA(entry)) - 1));
}

/* A field of a sequence from a wide table of 2^bits entries: its symbol's
 * entry, with the code and the extra bits consumed and the value (base +
 * extra bits) in *value; 0 for no code. */
static inline uint32_t dense_field(struct dense_reader *r, const uint32_t *table,
				   unsigned bits, unsigned *value)
{
	uint64_t held = r->bits;
	uint32_t entry = table[held & ((1u << bits) - 1)];

	/* the next field's lookup waits only for this shift */
	r->bits = held >> DENSE_WIDE_TOTAL(entry);
	r->count -= DENSE_WIDE_TOTAL(entry);
	*value = dense_wide_value(entry, held);
	return DENSE_WIDE_LENGTH(entry) ? entry : 0;
}

/* Reads the header's alphabet counts and code lengths (after the length
 * and the offset) and builds the tables from them. */
static bool dense_read_tables(struct dense_reader *r, struct dense_tables *t)
{
	static const uint16_t firsts[3] = {
		DENSE_CODE_RUNS, DENSE_CODE_MATCHES, DENSE_CODE_DISTANCES,
	};
	uint8_t clc_lengths[DENSE_CLC_SYMBOLS] = { 0 };
	uint8_t sent[DENSE_CODE_SYMBOLS];
	uint8_t lengths[DENSE_CODE_SYMBOLS] = { 0 };
	uint32_t clc_table[DENSE_CLC_TABLE];
	unsigned counts[3], clc_count, total, i = 0;
	bool default_distances;

	dense_refill(r);
	counts[0] = dense_take(r, DENSE_HEADER_RUN_COUNT_BITS);
	counts[1] = dense_take(r, DENSE_HEADER_MATCH_COUNT_BITS);
	counts[2] = dense_take(r, DENSE_HEADER_DISTANCE_COUNT_BITS);
	clc_count = dense_take(r, DENSE_HEADER_CLC_COUNT_BITS);
	default_distances = counts[2] == DENSE_DISTANCE_DEFAULT;
	if (default_distances)
		counts[2] = 0;
	if (counts[0] > DENSE_RUN_SYMBOLS || counts[1] > DENSE_MATCH_SYMBOLS ||
	    counts[2] > DENSE_DISTANCE_SYMBOLS || clc_count > DENSE_CLC_SYMBOLS)
		return false;
	for (unsigned k = 0; k < clc_count; k++) {
		if (r->count < DENSE_CLC_LENGTH_BITS)
			dense_refill(r);
		clc_lengths[dense_clc_order[k]] =
			(uint8_t)dense_take(r, DENSE_CLC_LENGTH_BITS);
	}
	if (!dense_build_wide_table(clc_lengths, DENSE_CLC_SYMBOLS, DENSE_CLC_MAX_BITS,
				    dense_clc_payloads, clc_table))
		return false;
	/* Each code-length symbol writes its length (0 for a zero run) and
	 * moves on by 1 or the run: no branch on the kind, and one load for
	 * all of it. The lengths start zeroed, so a run needs no writes; one
	 * taking i past total is rejected after the loop (writes stay below
	 * total). Four symbols of at most 7 + 7 bits per refill. */
	total = DENSE_LITERALS + counts[0] + counts[1] + counts[2];
	memset(sent, 0, sizeof(sent));
	while (i < total) {
		dense_refill(r);
		if (r->overrun > DENSE_OVERRUN_LIMIT)
			return false;
		for (unsigned k = 0; k < 4 && i < total; k++) {
			unsigned step;
			uint32_t entry = dense_field(r, clc_table, DENSE_CLC_MAX_BITS, &step);

			if (!entry)
				return false;
			sent[i] = (uint8_t)(entry >> DENSE_CLC_VALUE_SHIFT);
			i += step;
		}
	}
	if (i != total)
		return false;
	/* the lengths sent are a prefix of each alphabet's */
	memcpy(lengths, sent, DENSE_LITERALS);
	i = DENSE_LITERALS;
	for (unsigned a = 0; a < 3; a++) {
		memcpy(lengths + firsts[a], sent + i, counts[a]);
		i += counts[a];
	}
	/* The default distance code (most pages of node and python) has its
	 * table prebuilt: a copy of it costs a tenth of building it. A
	 * pointer to it instead measured 0.5 % more instructions a page on
	 * sqlite (which rarely has it), the lookup then indirect. */
	if (default_distances)
		memcpy(t->distances, dense_default_distance_table, sizeof(t->distances));
	return dense_build_table(lengths, DENSE_LITERALS, DENSE_LITERAL_MAX_BITS,
				 t->literals) &&
	       dense_build_wide_table(lengths + DENSE_CODE_RUNS, DENSE_RUN_SYMBOLS,
				      DENSE_RUN_MAX_BITS, dense_run_payloads, t->runs) &&
	       dense_build_wide_table(lengths + DENSE_CODE_MATCHES, DENSE_MATCH_SYMBOLS,
				      DENSE_MATCH_MAX_BITS, dense_match_payloads,
				      t->matches) &&
	       (default_distances ||
		dense_build_wide_table(lengths + DENSE_CODE_DISTANCES,
				       DENSE_DISTANCE_SYMBOLS, DENSE_DISTANCE_MAX_BITS,
				       dense_distance_payloads, t->distances));
}

/* The literal at r's next bits: writes it to *op, consumes its code, and
 * returns its table entry (DENSE_NO_CODE, having written a byte and
 * consumed nothing, for bits no code starts). */
static inline unsigned dense_literal(struct dense_reader *r,
				     const uint16_t *table, uint8_t *op)
{
	unsigned entry = table[r->bits & (DENSE_LITERAL_TABLE - 1)];

	*op = (uint8_t)DENSE_ENTRY_SYMBOL(entry);
	r->bits >>= DENSE_ENTRY_LENGTH(entry);
	r->count -= DENSE_ENTRY_LENGTH(entry);
	return entry;
}

_Static_assert(DENSE_RUN_MAX_BITS + DENSE_BUCKET_EXTRA_MAX + DENSE_MATCH_MAX_BITS +
	       DENSE_BUCKET_EXTRA_MAX - 1 + DENSE_DISTANCE_MAX_BITS +
	       DENSE_BUCKET_EXTRA_MAX - 1 <= 56,
	       "a sequence's fields fit in what a refill buffers");

/* Literals a stream decodes per refill (56 bits buffered). */
#define DENSE_LITERALS_PER_REFILL (56u / DENSE_LITERAL_MAX_BITS)

/* Decodes the block's count literals into op (the caller checked the
 * room), literal k from lane k mod 2: even ones from stream A, odd ones
 * from B; false if a code was missing. No branch depends on the
 * literals, and the lanes' lookups do not wait on each other. */
static bool dense_literals_two(struct dense_reader *a, struct dense_reader *b,
			       const uint16_t *table, uint8_t *op, size_t count)
{
	const unsigned step = 2 * DENSE_LITERALS_PER_REFILL;
	unsigned seen = 0;

	for (; count >= step; count -= step, op += step) {
		dense_refill(a);
		dense_refill(b);
		for (unsigned k = 0; k < step; k += 2) {
			seen |= dense_literal(a, table, op + k);
			seen |= dense_literal(b, table, op + k + 1);
		}
	}
	/* under step left: at most DENSE_LITERALS_PER_REFILL a lane */
	dense_refill(a);
	dense_refill(b);
	for (; count >= 2; count -= 2, op += 2) {
		seen |= dense_literal(a, table, op);
		seen |= dense_literal(b, table, op + 1);
	}
	if (count)
		seen |= dense_literal(a, table, op);
	return seen < DENSE_LITERAL_ENTRY_END;
}

/* dense_literals_two for four lanes (A to D), literal k from lane k mod 4. */
static bool dense_literals_four(struct dense_reader *a, struct dense_reader *b,
				struct dense_reader *c, struct dense_reader *d,
				const uint16_t *table, uint8_t *op, size_t count)
{
	const unsigned step = 4 * DENSE_LITERALS_PER_REFILL;
	unsigned seen = 0;

	for (; count >= step; count -= step, op += step) {
		dense_refill(a);
		dense_refill(b);
		dense_refill(c);
		dense_refill(d);
		for (unsigned k = 0; k < step; k += 4) {
			seen |= dense_literal(a, table, op + k);
			seen |= dense_literal(b, table, op + k + 1);
			seen |= dense_literal(c, table, op + k + 2);
			seen |= dense_literal(d, table, op + k + 3);
		}
	}
	/* under step left: at most DENSE_LITERALS_PER_REFILL a lane */
	dense_refill(a);
	dense_refill(b);
	dense_refill(c);
	dense_refill(d);
	for (; count >= 4; count -= 4, op += 4) {
		seen |= dense_literal(a, table, op);
		seen |= dense_literal(b, table, op + 1);
		seen |= dense_literal(c, table, op + 2);
		seen |= dense_literal(d, table, op + 3);
	}
	if (count > 0)
		seen |= dense_literal(a, table, op);
	if (count > 1)
		seen |= dense_literal(b, table, op + 1);
	if (count > 2)
		seen |= dense_literal(c, table, op + 2);
	return seen < DENSE_LITERAL_ENTRY_END;
}

/* Copies count literals from src, in the output after op (the literals
 * not yet used sit at its end), to op. One 16-byte move when it reads and
 * writes only inside the output and overwrites no literal not yet used. */
static inline void dense_copy_literals(uint8_t *op, const uint8_t *src,
				       const uint8_t *end, size_t count)
{
	if (count <= 16 && src - op >= 16 && end - src >= 16) {
		memcpy(op, src, 16);
		return;
	}
	memmove(op, src, count);
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
	if ((size_t)(end - op) < length + 32) {
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
	/* Below, copies may write up to 31 bytes past stop, before end (the
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
	/* Two moves whatever the length, a loop only past them: matches of
	 * one move and of two come mixed (on node's pages 55 % and 20 % of
	 * the matches are 16 bytes or more back), and the loop's exit after
	 * one turn or two mispredicted. */
	if (distance >= 16) {
		memcpy(op, op - distance, 16);
		memcpy(op + 16, op + 16 - distance, 16);
		for (op += 32; op < stop; op += 16)
			memcpy(op, op - distance, 16);
	} else {
		memcpy(op, op - distance, 8);
		memcpy(op + 8, op + 8 - distance, 8);
		for (op += 16; op < stop; op += 8)
			memcpy(op, op - distance, 8);
	}
	return stop;
}

/* What the sequence loop carries from one sequence to the next. */
struct dense_output {
	uint8_t *start, *op, *end;
	uint8_t *literals;	/* the literals not yet used: literals..end */
	unsigned rep0, rep1;
};

/* Reads a match from stream A (buffered: at most 8 + 10 + 7 + 10 bits)
 * and copies it. false: a symbol with no code, or a match reaching before
 * the output or into the literals not yet used. */
static inline bool dense_match(struct dense_reader *a, const struct dense_tables *t,
			       struct dense_output *o)
{
	unsigned match, distance, at_rep0, taken;
	uint32_t entry = dense_field(a, t->matches, DENSE_MATCH_MAX_BITS, &match);
	uint32_t next;

	if (!entry)
		return false;
	/* The distance field is read whether the match is at rep0 or not,
	 * and consumed only if not: the lookup does not wait on the kind of
	 * match (about a third are at rep0, in no pattern a predictor
	 * learns). The selects below may still compile to branches (GCC
	 * makes two of them so); selects forced by masks measured 1-8 %
	 * slower, the branch letting the CPU run ahead of the lookup. */
	at_rep0 = (entry & DENSE_WIDE_REPEAT) != 0;
	next = t->distances[a->bits & (DENSE_DISTANCE_TABLE - 1)];
	/* one branch, never taken on a valid block (as two, the first
	 * would follow the kind of match, which no predictor learns) */
	if ((DENSE_WIDE_LENGTH(next) | at_rep0) == 0)
		return false;
	distance = dense_wide_value(next, a->bits);
	taken = at_rep0 ? 0 : DENSE_WIDE_TOTAL(next);
	a->bits >>= taken;
	a->count -= taken;
	distance = (next & DENSE_WIDE_REPEAT) ? o->rep1 : distance;
	distance = at_rep0 ? o->rep0 : distance;
	o->rep1 = at_rep0 ? o->rep1 : o->rep0;
	o->rep0 = distance;
	if (distance > (size_t)(o->op - o->start) ||
	    match > (size_t)(o->literals - o->op))
		return false;
	o->op = dense_copy_match(o->op, o->literals, distance, match);
	return true;
}

/* Whether a stream that consumed bits from start ends exactly in the byte
 * before limit, the unused high bits of its last byte 0. */
static bool dense_stream_ends(const uint8_t *start, const uint8_t *limit,
			      size_t bits)
{
	if ((bits + 7) / 8 != (size_t)(limit - start))
		return false;
	return bits % 8 == 0 || (start[bits / 8] >> (bits % 8)) == 0;
}

/* The sequences, from stream A: each a literal run, copied from the
 * literals decoded at the output's end, and a match (none after the run
 * that completes the output). */
static bool dense_sequences(struct dense_reader *a, const struct dense_tables *t,
			    struct dense_output *o)
{
	while (o->op < o->end) {
		unsigned run;

		dense_refill(a);
		if (a->overrun > DENSE_OVERRUN_LIMIT)
			return false;
		if (!dense_field(a, t->runs, DENSE_RUN_MAX_BITS, &run) ||
		    run > (size_t)(o->end - o->literals))
			return false;
		dense_copy_literals(o->op, o->literals, o->end, (size_t)run);
		o->op += run;
		o->literals += run;
		/* the op <= literals invariant: the output is complete */
		if (o->op >= o->end)
			break;
		/* no refill: a whole sequence takes at most 8 + 11 + 9 + 10 +
		 * 8 + 10 = 56 bits, what one refill buffers */
		if (!dense_match(a, t, o))
			return false;
	}
	return true;
}

/* Reads the lanes' starts from the header (after the literal count):
 * lane 1 at offset, and with four lanes the sizes of lanes 1 and 2. The
 * starts of lanes not in the block, and starts[DENSE_LANES_MAX], are the
 * block's end. false if a lane starts past it. */
static bool dense_read_lanes(struct dense_reader *a, unsigned lane_count,
			     size_t offset, size_t in_length, size_t *starts)
{
	starts[0] = 0;
	starts[1] = offset;
	for (unsigned l = 2; l <= DENSE_LANES_MAX; l++)
		starts[l] = in_length;
	if (lane_count == 4) {
		dense_refill(a);
		starts[2] = starts[1] + dense_take(a, DENSE_HEADER_LANE_BYTES_BITS);
		starts[3] = starts[2] + dense_take(a, DENSE_HEADER_LANE_BYTES_BITS);
	}
	return starts[3] <= in_length;
}

int codec_dense_decode(const void *in, size_t in_length, void *out,
		       size_t out_capacity, size_t *out_length)
{
	struct dense_tables t;
	const uint8_t *bytes = in;
	struct dense_reader a = { .next = bytes, .end = bytes + in_length };
	struct dense_reader b, c, d;
	struct dense_output o = { .start = out, .op = out,
				  .rep0 = DENSE_REP0_START, .rep1 = DENSE_REP1_START };
	size_t length, offset, literal_count, starts[DENSE_LANES_MAX + 1];
	unsigned lane_count;
	bool ok;

	dense_refill(&a);
	length = dense_take(&a, 1) ? CODEC_PAGE_BYTES :
		 dense_take(&a, DENSE_HEADER_LENGTH_BITS);
	offset = dense_take(&a, DENSE_HEADER_OFFSET_BITS);
	literal_count = dense_take(&a, DENSE_HEADER_LITERAL_COUNT_BITS);
	if (length == 0 || offset > in_length || literal_count > length)
		return XF_CORRUPT;
	if (length > out_capacity)
		return XF_NO_SPACE;
	lane_count = dense_lane_count((unsigned)literal_count);
	if (!dense_read_lanes(&a, lane_count, offset, in_length, starts) ||
	    !dense_read_tables(&a, &t))
		return XF_CORRUPT;
	b = (struct dense_reader){ .next = bytes + starts[1], .end = bytes + in_length };
	c = (struct dense_reader){ .next = bytes + starts[2], .end = bytes + in_length };
	d = (struct dense_reader){ .next = bytes + starts[3], .end = bytes + in_length };

	/* the literals first, at the output's end: each sequence then
	 * copies its run from there, forward, to no later than where the
	 * run was */
	o.end = o.op + length;
	o.literals = o.end - literal_count;
	ok = lane_count == 4 ?
	     dense_literals_four(&a, &b, &c, &d, t.literals, o.literals, literal_count) :
	     dense_literals_two(&a, &b, t.literals, o.literals, literal_count);
	if (!ok || !dense_sequences(&a, &t, &o))
		return XF_CORRUPT;
	/* each lane ends in the byte before the next one's start */
	ok = dense_stream_ends(bytes, bytes + starts[1], dense_consumed(&a, bytes)) &&
	     dense_stream_ends(bytes + starts[1], bytes + starts[2],
			       dense_consumed(&b, bytes + starts[1]));
	if (lane_count == 4)
		ok = ok && dense_stream_ends(bytes + starts[2], bytes + starts[3],
					     dense_consumed(&c, bytes + starts[2])) &&
		     dense_stream_ends(bytes + starts[3], bytes + starts[4],
				       dense_consumed(&d, bytes + starts[3]));
	if (!ok)
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
