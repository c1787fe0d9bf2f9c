/*
 * LZ4 block-format encoder, written from the public block format
 * description: a block is a run of sequences, each a token (high nibble:
 * literal count, low nibble: match length - 4, 15 meaning "more bytes
 * follow, each adding up to 255"), the literals, a 2-byte little-endian
 * offset back into the output and the extra match length bytes. The last
 * sequence is literals only. End-of-block rules kept here so that any LZ4
 * decoder accepts the output: the last 5 bytes are literals and the last
 * match starts at least 12 bytes before the end.
 *
 * The search is the greedy single-probe one LZ4 is known for: a 4-byte read
 * hashed by multiplication into a table of positions, extension
 * backwards to the last literal and forwards (16 bytes, then 8 at a time),
 * and a probe step that grows after every 64 misses so incompressible data
 * is skimmed.
 *
 * The table holds 16-bit positions (8192 of them, 16 KiB) and is cleared
 * for each input: an empty entry then names position 0 and every entry a
 * position before the one probed, so a candidate is used as read, with no
 * check between the table load and the 4-byte comparison (the probe's
 * critical path). The earlier design kept a 32 KiB table across inputs,
 * entries told apart by a base that moved past every input; that needed a
 * compare and a conditional move on that path, which cost more than the
 * clear does (about 90 ns a page; docs/compression.md has the figures).
 * Either way the output depends on the input alone.
 */
#include <string.h>
#include "transforms/codec.h"

#define LZ4_MIN_MATCH 4u
#define LZ4_LAST_LITERALS 5u
#define LZ4_MATCH_START_LIMIT 12u	/* last match starts this far before end */
#define LZ4_SKIP_TRIGGER 6u
#define LZ4_STEP1_PROBES 65u	/* probes before the step first grows */

static inline uint32_t lz4_load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t lz4_load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t lz4_hash(uint32_t sequence)
{
	/* Knuth's multiplicative constant: the high bits mix all 4 bytes. */
	return (sequence * 2654435761u) >> (32 - CODEC_LZ4_HASH_BITS);
}

/* The candidate the table names for hash: the last earlier position of
 * this input with that hash, or its start if none (the cleared table). */
static inline const uint8_t *lz4_candidate(const uint16_t *table, uint32_t hash,
					   const uint8_t *src)
{
	return src + table[hash];
}

/* Records position ip of the input at src under hash. */
static inline void lz4_index(uint16_t *table, uint32_t hash, const uint8_t *src,
			     const uint8_t *ip)
{
	table[hash] = (uint16_t)(ip - src);
}

/* Bytes equal at a and b, a ahead of b, not looking at limit or beyond.
 * The first 16 bytes are two loads each before any branch: most matches
 * end within them, and the second comparison then costs no extra round of
 * the loop's bound check. */
static inline size_t lz4_count(const uint8_t *a, const uint8_t *b,
			       const uint8_t *limit)
{
	const uint8_t *start = a;

	if (a + 16 <= limit) {
		uint64_t first = lz4_load64(a) ^ lz4_load64(b);
		uint64_t second = lz4_load64(a + 8) ^ lz4_load64(b + 8);

		if (first)
			return (size_t)__builtin_ctzll(first) / 8;
		if (second)
			return 8 + (size_t)__builtin_ctzll(second) / 8;
		a += 16;
		b += 16;
	}
	while (a + 8 <= limit) {
		uint64_t differ = lz4_load64(a) ^ lz4_load64(b);

		if (differ)
			return (size_t)(a - start) + (size_t)__builtin_ctzll(differ) / 8;
		a += 8;
		b += 8;
	}
	while (a < limit && *a == *b) {
		a++;
		b++;
	}
	return (size_t)(a - start);
}

/* Writes the extra bytes of a length whose nibble was 15. */
static inline uint8_t *lz4_put_length(uint8_t *op, size_t rest)
{
	while (rest >= 255) {
		*op++ = 255;
		rest -= 255;
	}
	*op++ = (uint8_t)rest;
	return op;
}

/* Token and literals from anchor to ip; NULL when it would not fit (only
 * looked at when checked). The fast copy moves 16 bytes, then 8 at a time
 * past 16 (most runs are 16 or shorter: one copy, no loop whose end the
 * CPU mispredicts), and may write up to 16 bytes past the literals. It is
 * taken when the source has the 16 bytes (source_slack; past 16 it reads
 * at most 7 beyond the literals, which end 12 or more before the input
 * does) and so has the output: unchecked, the offset, the last token and
 * the 5 last literals that follow cover 8 of them, and
 * CODEC_LZ4_WORST(n) is at least 14 above the longest block (n + n / 255
 * + 2, see lz4_encode) for the others. */
static inline __attribute__((always_inline)) uint8_t *
lz4_put_literals(uint8_t *op, uint8_t *oend, const uint8_t *anchor,
		 size_t length, bool source_slack, bool checked)
{
	if (checked) {
		size_t need = 1 + length + (length >= 15 ? (length - 15) / 255 + 1 : 0);

		if ((size_t)(oend - op) < need)
			return NULL;
	}
	if (length >= 15) {
		*op++ = 0xf0;
		op = lz4_put_length(op, length - 15);
	} else {
		*op++ = (uint8_t)(length << 4);
	}
	if (source_slack && (!checked || (size_t)(oend - op) >= length + 16)) {
		uint8_t *end = op + length;

		memcpy(op, anchor, 8);
		memcpy(op + 8, anchor + 8, 8);
		if (__builtin_expect(length > 16, 0)) {
			op += 16;
			anchor += 16;
			do {
				memcpy(op, anchor, 8);
				op += 8;
				anchor += 8;
			} while (op < end);
		}
		return end;
	}
	memcpy(op, anchor, length);
	return op + length;
}

/* The encoder; unchecked (!checked) only when the output can take the
 * longest block of in_length bytes, CODEC_LZ4_WORST(in_length), so that no
 * write needs a check: a sequence of L literals and an M-byte match costs
 * at most L + M bytes plus one per 255 literals beyond the first 254, the
 * last literals L + 2 plus as many, so no block exceeds n + n / 255 + 2. */
static inline __attribute__((always_inline)) int
lz4_encode(uint16_t *table, const uint8_t *const src,
	   size_t in_length, uint8_t *const out, uint8_t *const oend,
	   size_t *out_length, bool checked)
{
	const uint8_t *anchor = src;
	uint8_t *op = out;

	if (in_length > LZ4_MATCH_START_LIMIT) {
		const uint8_t *const mflimit = src + in_length - LZ4_MATCH_START_LIMIT;
		const uint8_t *const matchlimit = src + in_length - LZ4_LAST_LITERALS;
		const uint8_t *ip = src + 1;
		const uint8_t *match;
		uint32_t hash;

		/* Position 0 is what the cleared table names: not indexed
		 * again. */
		for (;;) {
			const uint8_t *forward = ip, *stop;
			unsigned attempts;
			uint8_t *token;
			size_t literals, match_length;

			/* Probe until 4 bytes match. The step is 1 for the
			 * first 65 probes (a loop of their own, without the
			 * step arithmetic), then (63 + k) / 64 for probe k:
			 * it grows by 1 every 64 misses. ip is probed only
			 * while ip + step <= mflimit + 1, so the last match
			 * starts at mflimit at the latest. */
			if (__builtin_expect(forward > mflimit, 0))
				goto last_literals;
			hash = lz4_hash(lz4_load32(forward));
			stop = (size_t)(mflimit + 1 - forward) > LZ4_STEP1_PROBES ?
			       forward + LZ4_STEP1_PROBES : mflimit + 1;
			do {
				uint32_t next_hash;

				ip = forward++;
				match = lz4_candidate(table, hash, src);
				next_hash = lz4_hash(lz4_load32(forward));
				lz4_index(table, hash, src, ip);
				hash = next_hash;
				if (__builtin_expect(lz4_load32(match) == lz4_load32(ip), 0))
					goto found;
			} while (forward < stop);
			if (forward > mflimit)
				goto last_literals;
			attempts = (1u << LZ4_SKIP_TRIGGER) - 1 + LZ4_STEP1_PROBES;
			do {
				unsigned step = attempts++ >> LZ4_SKIP_TRIGGER;
				uint32_t next_hash;

				ip = forward;
				forward = ip + step;
				if (__builtin_expect(forward > mflimit + 1, 0))
					goto last_literals;
				match = lz4_candidate(table, hash, src);
				next_hash = lz4_hash(lz4_load32(forward));
				lz4_index(table, hash, src, ip);
				hash = next_hash;
			} while (__builtin_expect(lz4_load32(match) != lz4_load32(ip), 1));
found:
			/* The match may have begun earlier: take bytes back
			 * from the literals. */
			while (ip > anchor && match > src && ip[-1] == match[-1]) {
				ip--;
				match--;
			}
			literals = (size_t)(ip - anchor);
			token = op;
			op = lz4_put_literals(op, oend, anchor, literals,
					      anchor + 16 <= src + in_length,
					      checked);
			if (checked && !op)
				return XF_NO_SPACE;

			for (;;) {
				/* Offset and match length of this sequence. */
				match_length = lz4_count(ip + LZ4_MIN_MATCH,
							 match + LZ4_MIN_MATCH,
							 matchlimit);
				if (checked &&
				    (size_t)(oend - op) < 2 + 1 + match_length / 255 + 1)
					return XF_NO_SPACE;
				op[0] = (uint8_t)(ip - match);
				op[1] = (uint8_t)((ip - match) >> 8);
				op += 2;
				if (match_length >= 15) {
					*token |= 15;
					op = lz4_put_length(op, match_length - 15);
				} else {
					*token |= (uint8_t)match_length;
				}
				ip += match_length + LZ4_MIN_MATCH;
				anchor = ip;
				if (ip > mflimit)
					goto last_literals;
				/* Index a position inside the match: the next
				 * repeat often starts there. */
				lz4_index(table, lz4_hash(lz4_load32(ip - 2)), src,
					  ip - 2);
				/* A match right here needs no literals. */
				hash = lz4_hash(lz4_load32(ip));
				match = lz4_candidate(table, hash, src);
				lz4_index(table, hash, src, ip);
				if (__builtin_expect(lz4_load32(match) != lz4_load32(ip), 1))
					break;
				if (checked && oend - op < 1)
					return XF_NO_SPACE;
				token = op++;
				*token = 0;
			}
			ip++;
		}
	}
last_literals:
	op = lz4_put_literals(op, oend, anchor, (size_t)(src + in_length - anchor),
			      false, checked);
	if (checked && !op)
		return XF_NO_SPACE;
	*out_length = (size_t)(op - out);
	return XF_OK;
}

/* The two instances of the encoder, each a function of its own: inlined
 * into one body, the unchecked one (the one pages take) shared its
 * registers and layout with the checked one and ran 2-4 % slower. */
static __attribute__((noinline)) int
lz4_encode_unchecked(uint16_t *table, const uint8_t *src, size_t in_length,
		     uint8_t *out, uint8_t *oend, size_t *out_length)
{
	return lz4_encode(table, src, in_length, out, oend, out_length, false);
}

static __attribute__((noinline)) int
lz4_encode_checked(uint16_t *table, const uint8_t *src, size_t in_length,
		   uint8_t *out, uint8_t *oend, size_t *out_length)
{
	return lz4_encode(table, src, in_length, out, oend, out_length, true);
}

int codec_lz4_encode(struct codec_workspace *workspace, const void *in,
		     size_t in_length, void *out, size_t out_capacity,
		     size_t *out_length)
{
	uint8_t *const op = out;

	if (in_length > CODEC_LZ4_MAX_INPUT)
		return XF_REFUSED;
	/* Inputs too short to probe never look at the table. */
	if (in_length > LZ4_MATCH_START_LIMIT)
		memset(workspace->lz4_table, 0, sizeof(workspace->lz4_table));
	/* Room for the longest block: no write needs a check. */
	if (out_capacity >= CODEC_LZ4_WORST(in_length))
		return lz4_encode_unchecked(workspace->lz4_table, in, in_length,
					    op, op + out_capacity, out_length);
	return lz4_encode_checked(workspace->lz4_table, in, in_length, op,
				  op + out_capacity, out_length);
}
