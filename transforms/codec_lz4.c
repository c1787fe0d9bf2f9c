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
 * backwards to the last literal and forwards 8 bytes at a time, and a probe
 * step that grows after every 64 misses so incompressible data is skimmed.
 *
 * The table is not cleared for each input (that would write 32 KiB to
 * compress 4): entries hold lz4_base + position, and lz4_base moves past
 * every input, so an entry from an earlier input reads as below the base,
 * and is taken as position 0, which is exactly what a cleared table would
 * say. The parse is the same as with a cleared table. Any entry that does
 * not name a position before the current one (earlier inputs, a scrubbed
 * table) is taken as 0 too, so no entry can send a read out of the input.
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

/* The candidate the table names for hash, seen from ip: an earlier
 * position of this input, or the input's start when the entry is from an
 * earlier input (below base) or not behind ip. */
static inline const uint8_t *lz4_candidate(const uint32_t *table, uint32_t hash,
					   uint32_t base, const uint8_t *src,
					   const uint8_t *ip)
{
	uint32_t offset = table[hash] - base;

	return src + (offset < (uint32_t)(ip - src) ? offset : 0);
}

/* Bytes equal at a and b, a ahead of b, not looking at limit or beyond. */
static inline size_t lz4_count(const uint8_t *a, const uint8_t *b,
			       const uint8_t *limit)
{
	const uint8_t *start = a;

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
 * looked at when checked). The fast copy moves 8 bytes at a time and may
 * write up to 7 bytes past the literals: taken when the source has them
 * (source_slack) and so has the output: unchecked, the offset, the last
 * token and the 5 last literals that follow in the block cover them. */
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
	if (source_slack && (!checked || (size_t)(oend - op) >= length + 8)) {
		uint8_t *end = op + length;

		do {
			memcpy(op, anchor, 8);
			op += 8;
			anchor += 8;
		} while (op < end);
		return end;
	}
	memcpy(op, anchor, length);
	return op + length;
}

/* The encoder; unchecked (!checked) only when the output can take the
 * longest block of in_length bytes, CODEC_LZ4_WORST(in_length), so that no
 * write needs a check: a sequence of L literals and an M-byte match costs
 * at most L + M bytes plus one per 255 literals beyond the first 254. */
static inline __attribute__((always_inline)) int
lz4_encode(uint32_t *table, uint32_t base, const uint8_t *const src,
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

		/* Position 0 is also what a stale entry says: harmless, every
		 * candidate is compared before use. */
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
				match = lz4_candidate(table, hash, base, src, ip);
				next_hash = lz4_hash(lz4_load32(forward));
				table[hash] = base + (uint32_t)(ip - src);
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
				match = lz4_candidate(table, hash, base, src, ip);
				next_hash = lz4_hash(lz4_load32(forward));
				table[hash] = base + (uint32_t)(ip - src);
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
			op = lz4_put_literals(op, oend, anchor, literals, true, checked);
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
				table[lz4_hash(lz4_load32(ip - 2))] =
					base + (uint32_t)(ip - 2 - src);
				/* A match right here needs no literals. */
				hash = lz4_hash(lz4_load32(ip));
				match = lz4_candidate(table, hash, base, src, ip);
				table[hash] = base + (uint32_t)(ip - src);
				if (lz4_load32(match) != lz4_load32(ip))
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

int codec_lz4_encode(struct codec_workspace *workspace, const void *in,
		     size_t in_length, void *out, size_t out_capacity,
		     size_t *out_length)
{
	uint8_t *const op = out;

	if (in_length > CODEC_LZ4_MAX_INPUT)
		return XF_REFUSED;
	/* Once every 2^16 inputs or so the base would wrap: clear then. */
	if (workspace->lz4_base > UINT32_MAX - 2 * CODEC_LZ4_MAX_INPUT) {
		memset(workspace->lz4_table, 0, sizeof(workspace->lz4_table));
		workspace->lz4_base = CODEC_LZ4_MAX_INPUT;
	}
	uint32_t base = workspace->lz4_base;
	/* Every entry this input writes is below the next base. */
	workspace->lz4_base = base + (uint32_t)in_length;
	/* Room for the longest block: no write needs a check. */
	if (out_capacity >= CODEC_LZ4_WORST(in_length))
		return lz4_encode(workspace->lz4_table, base, in, in_length, op,
				  op + out_capacity, out_length, false);
	return lz4_encode(workspace->lz4_table, base, in, in_length, op,
			  op + out_capacity, out_length, true);
}
