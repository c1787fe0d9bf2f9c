/*
 * LZ4 block-format decoder for untrusted bytes (the block format is
 * described in codec_lz4.c). Every length read from the input is checked
 * against what is left of the input and of the output before it is used, an
 * offset must point inside what was already decoded, and each sequence
 * consumes at least one input byte, so the time is linear in the input.
 *
 * Speed comes from copying 8 bytes at a time past the end of a literal run
 * or match whenever both buffers have the slack for it, and from a shortcut
 * for the common sequence (under 15 literals, match under 19 bytes) that
 * copies fixed 16- and 24-byte blocks.
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

/* Copies a match of length bytes from op - offset, offset within what was
 * decoded and length within the output. */
static inline void lz4d_match(uint8_t *op, uint8_t *oend, size_t offset,
			      size_t length)
{
	const uint8_t *from = op - offset;
	uint8_t *end = op + length;

	if (offset < 8) {
		/* Overlapping: the first bytes one at a time, then a source
		 * moved back a whole number of periods so that 8-byte steps
		 * no longer overlap their own output. */
		size_t head = length < 8 ? length : 8;

		for (size_t i = 0; i < head; i++)
			op[i] = from[i];
		op += head;
		if (op == end)
			return;
		from = op - offset * ((8 + offset - 1) / offset);
	}
	if ((size_t)(oend - end) >= 8) {
		while (op < end) {
			lz4d_copy8(op, from);
			op += 8;
			from += 8;
		}
	} else {
		while (op < end)
			*op++ = *from++;
	}
}

int codec_lz4_decode(const void *in, size_t in_length, void *out,
		     size_t out_capacity, size_t *out_length)
{
	const uint8_t *ip = in;
	const uint8_t *const iend = ip + in_length;
	uint8_t *const ostart = out;
	uint8_t *op = ostart;
	uint8_t *const oend = op + out_capacity;

	for (;;) {
		unsigned token;
		size_t literals, offset, match_length;

		if (ip >= iend)
			return XF_CORRUPT;
		token = *ip++;
		literals = token >> 4;

		/* Shortcut: short literals and short match, room on both
		 * sides for fixed-size copies. 18 input bytes left after the
		 * token mean this cannot be the last sequence (its literals
		 * would have to reach the end), so an offset follows. */
		if (literals != 15 && (token & 15) != 15 &&
		    iend - ip >= 18 && oend - op >= 40) {
			lz4d_copy8(op, ip);
			lz4d_copy8(op + 8, ip + 8);
			op += literals;
			ip += literals;
			offset = lz4d_load16(ip);
			ip += 2;
			match_length = (token & 15) + 4;
			if (offset == 0 || offset > (size_t)(op - ostart))
				return XF_CORRUPT;
			if (offset >= 8) {
				const uint8_t *from = op - offset;

				lz4d_copy8(op, from);
				lz4d_copy8(op + 8, from + 8);
				lz4d_copy8(op + 16, from + 16);
			} else {
				lz4d_match(op, oend, offset, match_length);
			}
			op += match_length;
			continue;
		}

		if (literals == 15 &&
		    !lz4d_length(&ip, iend, &literals, in_length))
			return XF_CORRUPT;
		if (literals > (size_t)(iend - ip) || literals > (size_t)(oend - op))
			return XF_CORRUPT;
		if ((size_t)(iend - ip) >= literals + 8 &&
		    (size_t)(oend - op) >= literals + 8) {
			uint8_t *end = op + literals;
			const uint8_t *from = ip;

			while (op < end) {
				lz4d_copy8(op, from);
				op += 8;
				from += 8;
			}
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
