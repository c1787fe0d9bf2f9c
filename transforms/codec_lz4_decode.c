/*
 * LZ4 block-format decoder for untrusted bytes (the block format is
 * described in codec_lz4.c). Every length read from the input is checked
 * against what is left of the input and of the output before it is used, an
 * offset must point inside what was already decoded, and each sequence
 * consumes at least one input byte, so the time is linear in the input.
 *
 * Two loops. The fast loop runs while a sequence starts at least 32 bytes
 * before the end of the input and 64 before the end of the output: there a
 * literal run under 15 bytes is one 16-byte copy, a match under 19 bytes
 * with an offset of 8 or more is three fixed moves (8 + 8 + 2 bytes), one
 * with an offset under 8 three stores of its period's word (a 2-byte
 * period is common in program memory, a 1-byte one in tables), long
 * literal runs go 16 bytes at a time and other matches 32 (offset 16 or
 * more) or 16 (two 8-byte moves, or two words of a repeated pattern for
 * offsets under 8) with their overshoot inside the buffers, so the only
 * checks are on the lengths and the offset read from the input. A
 * sequence that would come near either end, and every sequence after it, is
 * decoded by the careful loop, which checks each copy and copies exactly
 * near the end of the output.
 */
#include <string.h>
#include "transforms/codec.h"

static inline void lz4d_copy8(uint8_t *dst, const uint8_t *src)
{
	memcpy(dst, src, 8);
}

static inline uint16_t lz4d_load16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Reads the extra bytes of a length whose nibble was 15. Returns false when
 * the input ends first or the length exceeds limit (nothing that long can
 * be valid, and stopping early bounds the loop). */
static inline bool lz4d_length(const uint8_t **ip, const uint8_t *iend,
			       size_t *length, size_t limit)
{
	const uint8_t *p = *ip;
	size_t total = *length;
	unsigned byte;

	do {
		if (p >= iend)
			return false;
		byte = *p++;
		total += byte;
		if (total > limit)
			return false;
	} while (byte == 255);
	*ip = p;
	*length = total;
	return true;
}

static inline void lz4d_copy16(uint8_t *dst, const uint8_t *src)
{
	/* one vector move on the host, two word moves in the kernel */
	memcpy(dst, src, 16);
}

/* The 8 bytes that continue a run of period offset (1..8) ending at op,
 * built in a register: no byte is copied alone and no load waits on the
 * stores just made. For periods 1, 2 and 4 only the period itself is read
 * (a load that narrow usually sits inside one earlier store, so the store
 * can forward it; an 8-byte load across op mostly cannot) and multiplied
 * out. Otherwise the 8-byte read may take bytes past op (not yet written,
 * masked off); the caller has room for them. */
static inline uint64_t lz4d_pattern(const uint8_t *op, size_t offset)
{
	uint64_t word;

	if (offset == 1)
		return op[-1] * 0x0101010101010101ull;
	if (offset == 2)
		return lz4d_load16(op - 2) * 0x0001000100010001ull;
	if (offset == 4) {
		uint32_t quad;

		memcpy(&quad, op - 4, 4);
		return quad * 0x0000000100000001ull;
	}
	memcpy(&word, op - offset, 8);
	if (offset == 8)
		return word;
	word &= ~0ull >> (64 - 8 * offset);
	word |= word << (8 * offset);
	if (offset < 4)
		word |= word << (16 * offset);
	if (offset < 2)
		word |= word << 32;
	return word;
}

/* 8 mod offset for offsets 1..8, from a table: a division here would
 * cost more than the short match it serves. */
static inline unsigned lz4d_rest8(size_t offset)
{
	static const uint8_t rest[9] = { 0, 0, 0, 2, 0, 3, 2, 1, 0 };

	return rest[offset];
}

/* A match of at most 18 bytes at an offset of 1 to 7, with at least 24
 * bytes of output left at op (the fast loop's shortcut): three stores of
 * its period's word, rotated when 8 is not a multiple of the period, and
 * no loop whose exit depends on the length. What lands past the match is
 * overwritten by what follows it. */
static inline void lz4d_short_period_match(uint8_t *op, size_t offset)
{
	uint64_t word = lz4d_pattern(op, offset);
	unsigned rest = lz4d_rest8(offset);

	memcpy(op, &word, 8);
	if (rest) {
		unsigned down = 8 * rest;
		unsigned up = 8 * (unsigned)(offset - rest);

		word = word >> down | word << up;
		memcpy(op + 8, &word, 8);
		word = word >> down | word << up;
	} else {
		memcpy(op + 8, &word, 8);
	}
	memcpy(op + 16, &word, 8);
}

/* Copies a match of length bytes from op - offset, offset within what was
 * decoded and length within the output. The block copies may run up to 15
 * bytes past their stop, so they stop 16 bytes short of the output's end
 * and bytes one at a time finish the match there. */
static inline void lz4d_match(uint8_t *op, uint8_t *oend, size_t offset,
			      size_t length)
{
	const uint8_t *from = op - offset;
	uint8_t *end = op + length;
	uint8_t *stop = (size_t)(oend - end) >= 16 ? end : oend - 16;

	if (op < stop) {
		if (offset >= 16) {
			do {
				lz4d_copy16(op, from);
				op += 16;
				from += 16;
			} while (op < stop);
		} else if (offset <= 8) {
			uint64_t word = lz4d_pattern(op, offset);

			if (lz4d_rest8(offset) == 0) {
				/* 1, 2, 4, 8: each step writes the same word */
				do {
					memcpy(op, &word, 8);
					op += 8;
				} while (op < stop);
			} else {
				/* 3, 5, 6, 7: the next word is this one
				 * rotated by 8 mod offset bytes within the
				 * period */
				unsigned rest = lz4d_rest8(offset);
				unsigned down = 8 * rest;
				unsigned up = 8 * (unsigned)(offset - rest);

				do {
					memcpy(op, &word, 8);
					op += 8;
					word = word >> down | word << up;
				} while (op < stop);
			}
		} else {
			while (op < stop) {
				lz4d_copy8(op, from);
				op += 8;
				from += 8;
			}
		}
	}
	/* Any byte already written is right, so the rest can follow from
	 * op - offset whichever loop ran. */
	for (from = op - offset; op < end; op++, from++)
		*op = *from;
}

/* The fast loop runs while a sequence starts at least this far from the
 * end of the input and of the output: then a token with under 15 literals
 * cannot be the last sequence (whose literals reach the end of the input),
 * 16-byte literal copies and short match copies cannot leave either buffer,
 * and only the lengths read from the input need checking. */
#define LZ4D_FAST_IN 32
#define LZ4D_FAST_OUT 64

int codec_lz4_decode(const void *in, size_t in_length, void *out,
		     size_t out_capacity, size_t *out_length)
{
	const uint8_t *ip = in;
	const uint8_t *const iend = ip + in_length;
	uint8_t *const ostart = out;
	uint8_t *op = ostart;
	uint8_t *const oend = op + out_capacity;
	unsigned token;
	size_t literals, offset, match_length;

	/* Fast loop: every check here is on a length or offset read from the
	 * input; the fixed-size copies stay inside both buffers because of
	 * the distances above. A sequence that would come near either end
	 * is finished by the careful loop below. */
	/* the fast loop's limits as pointers: one compare each a sequence
	 * (inputs or outputs too short for them skip the loop) */
	const uint8_t *const ifast = iend - (in_length >= LZ4D_FAST_IN ?
					     LZ4D_FAST_IN : 0);
	uint8_t *const ofast = oend - (out_capacity >= LZ4D_FAST_OUT ?
				       LZ4D_FAST_OUT : 0);

	while (in_length >= LZ4D_FAST_IN && out_capacity >= LZ4D_FAST_OUT &&
	       ip <= ifast && op <= ofast) {
		const uint8_t *from;

		token = *ip++;
		literals = token >> 4;
		if (literals != 15) {
			/* at least 31 input and 64 output bytes left */
			lz4d_copy16(op, ip);
			op += literals;
			ip += literals;
		} else {
			if (!lz4d_length(&ip, iend, &literals, in_length))
				return XF_CORRUPT;
			if ((size_t)(iend - ip) < literals + LZ4D_FAST_IN ||
			    (size_t)(oend - op) < literals + LZ4D_FAST_OUT)
				goto careful_literals;
			{
				uint8_t *end = op + literals;

				do {
					lz4d_copy16(op, ip);
					op += 16;
					ip += 16;
				} while (op < end);
				ip -= op - end;
				op = end;
			}
		}
		/* At least 17 input bytes are left: not the last sequence. */
		offset = lz4d_load16(ip);
		ip += 2;
		if (offset - 1 >= (size_t)(op - ostart))
			return XF_CORRUPT;	/* 0, or before the output */
		from = op - offset;
		match_length = token & 15;
		if (match_length != 15) {
			/* at least 50 output bytes left, match at most 18 */
			match_length += 4;
			if (offset >= 8) {
				/* 8-byte moves: fewer loads straddle two of
				 * the stores just made than 16-byte ones */
				lz4d_copy8(op, from);
				lz4d_copy8(op + 8, from + 8);
				memcpy(op + 16, from + 16, 2);
				op += match_length;
				continue;
			}
			lz4d_short_period_match(op, offset);
			op += match_length;
			continue;
		} else {
			if (!lz4d_length(&ip, iend, &match_length, out_capacity))
				return XF_CORRUPT;
			match_length += 4;
			if ((size_t)(oend - op) < match_length + LZ4D_FAST_OUT / 2)
				goto careful_match;
		}
		/* A long match (every short one took a shortcut above): room
		 * for 31 bytes of overshoot after it, as it was checked for
		 * match_length + 32 bytes of output. */
		{
			uint8_t *end = op + match_length;

			if (offset >= 16) {
				/* 32 bytes a step: half the loop's branches
				 * for the usual 19-to-64-byte match. The
				 * second half may read what the first just
				 * wrote, as an overlapping match must. */
				do {
					lz4d_copy16(op, from);
					lz4d_copy16(op + 16, from + 16);
					op += 32;
					from += 32;
				} while (op < end);
			} else if (offset >= 8) {
				/* 16 bytes a step in two moves, the
				 * second reading what the first wrote */
				do {
					lz4d_copy8(op, from);
					lz4d_copy8(op + 8, from + 8);
					op += 16;
					from += 16;
				} while (op < end);
			} else {
				uint64_t word = lz4d_pattern(op, offset);
				unsigned rest = lz4d_rest8(offset);

				/* 16 bytes a step, as above */
				if (rest == 0) {
					do {
						memcpy(op, &word, 8);
						memcpy(op + 8, &word, 8);
						op += 16;
					} while (op < end);
				} else {
					unsigned down = 8 * rest;
					unsigned up = 8 * (unsigned)(offset - rest);
					uint64_t next;

					do {
						next = word >> down | word << up;
						memcpy(op, &word, 8);
						memcpy(op + 8, &next, 8);
						op += 16;
						word = next >> down | next << up;
					} while (op < end);
				}
			}
			op = end;
		}
	}

	/* Careful loop: near the ends, every copy exact or checked. */
	for (;;) {
		if (ip >= iend)
			return XF_CORRUPT;
		token = *ip++;
		literals = token >> 4;
		if (literals == 15 &&
		    !lz4d_length(&ip, iend, &literals, in_length))
			return XF_CORRUPT;
careful_literals:
		if (literals > (size_t)(iend - ip) || literals > (size_t)(oend - op))
			return XF_CORRUPT;
		if ((size_t)(iend - ip) >= literals + 16 &&
		    (size_t)(oend - op) >= literals + 16) {
			uint8_t *end = op + literals;
			const uint8_t *from = ip;

			do {
				lz4d_copy16(op, from);
				op += 16;
				from += 16;
			} while (op < end);
			op = end;
		} else {
			memcpy(op, ip, literals);
			op += literals;
		}
		ip += literals;
		if (ip == iend)
			break;	/* the last sequence: literals only */

		if (iend - ip < 2)
			return XF_CORRUPT;
		offset = lz4d_load16(ip);
		ip += 2;
		if (offset == 0 || offset > (size_t)(op - ostart))
			return XF_CORRUPT;
		match_length = token & 15;
		if (match_length == 15 &&
		    !lz4d_length(&ip, iend, &match_length, out_capacity))
			return XF_CORRUPT;
		match_length += 4;
careful_match:
		if (match_length > (size_t)(oend - op))
			return XF_CORRUPT;
		lz4d_match(op, oend, offset, match_length);
		op += match_length;
	}
	*out_length = (size_t)(op - ostart);
	return XF_OK;
}

static int lz4_encode_op(struct codec_workspace *workspace, const void *in,
			 size_t in_length, void *out, size_t out_capacity,
			 size_t *out_length)
{
	return codec_lz4_encode(workspace, in, in_length, out, out_capacity,
				out_length);
}

const struct codec_ops codec_lz4 = {
	.name = "lz4",
	.id = CODEC_ID_LZ4,
	.encode = lz4_encode_op,
	.decode = codec_lz4_decode,
};
