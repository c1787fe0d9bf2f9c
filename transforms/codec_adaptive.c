/*
 * The adaptive choice and the sealed-page format. A sealed page says which
 * codec made it, so pages sealed by different codecs sit in one store and
 * still decode after the default changes:
 *   first byte 0x10 or more   the whole page is a bare LZ4 block (its first
 *                             token announces at least one literal, which
 *                             every block of a non-empty input does)
 *   first byte below 0x10     a header byte (enum codec_id), then the
 *                             payload of that codec: 0 raw, 1 same-filled,
 *                             2 WKdm, 3 LZ4 (pages sealed before LZ4 went
 *                             bare; still read, no longer written),
 *                             4 dense, 5..15 reserved (rejected)
 * LZ4, the common case, costs no header byte.
 *
 * The dense codec is never part of the adaptive choice (it is several times
 * slower); a caller allowing it (the "dense" transform) gets it first.
 *
 * Order of the choice, cheapest first: a same-filled page is stored as its
 * word and nothing else is tried; then LZ4, whose single pass is fast on
 * every kind of page; WKdm only when LZ4 left the page large, which is
 * where word-structured data (pointers, small integers) beats byte matching
 * and where the second pass costs the least relative to what it may save;
 * WKdm is kept only when it beats LZ4 by at least 1/8, since its pages
 * decode about 3 times slower than LZ4's.
 * An LZ4 block is kept only if not longer than the input, any other payload
 * only if shorter: the sealed form never exceeds in_length +
 * CODEC_HEADER_BYTES (raw).
 */
#include <string.h>
#include "transforms/codec.h"

/* LZ4 payloads above this share of the page get a WKdm attempt too. */
#define CODEC_WKDM_TRY_ABOVE (CODEC_PAGE_BYTES / 2)
/* ... and WKdm must beat the LZ4 payload by at least 1/8 of its size. */
#define CODEC_WKDM_MARGIN 8

int codec_seal(struct codec_workspace *workspace, unsigned allowed,
	       const void *in, size_t in_length, void *out,
	       size_t out_capacity, size_t *out_length)
{
	uint8_t *header = out;
	uint8_t *payload = header + CODEC_HEADER_BYTES;
	size_t limit, length;
	uint64_t word;

	if (out_capacity < CODEC_HEADER_BYTES)
		return XF_NO_SPACE;
	if ((allowed & CODEC_ALLOW(CODEC_ID_SAMEFILL)) &&
	    in_length == CODEC_PAGE_BYTES &&
	    codec_samefill_word(in, in_length, &word)) {
		if (out_capacity < CODEC_HEADER_BYTES + sizeof(word))
			return XF_NO_SPACE;
		header[0] = CODEC_ID_SAMEFILL;
		memcpy(payload, &word, sizeof(word));
		*out_length = CODEC_HEADER_BYTES + sizeof(word);
		return XF_OK;
	}

	/* The dense codec, when allowed, is the choice for the pages that
	 * will stay sealed: nothing else is tried unless it cannot shrink the
	 * page (the others would not either, or barely). */
	if ((allowed & CODEC_ALLOW(CODEC_ID_DENSE)) && in_length > 1 &&
	    out_capacity > CODEC_HEADER_BYTES &&
	    codec_dense_encode(workspace, in, in_length, payload,
			       (in_length - 1 < out_capacity - CODEC_HEADER_BYTES ?
				in_length - 1 : out_capacity - CODEC_HEADER_BYTES),
			       &length) == XF_OK) {
		header[0] = CODEC_ID_DENSE;
		*out_length = CODEC_HEADER_BYTES + length;
		return XF_OK;
	}

	/* Sealed sizes, header included. Anything kept must beat raw. An
	 * output with room for LZ4's longest block takes it whole (the
	 * encoder then checks no write) and the length is checked after. */
	limit = in_length;
	if (limit > out_capacity)
		limit = out_capacity;
	if ((allowed & CODEC_ALLOW(CODEC_ID_LZ4)) && limit > 0 &&
	    codec_lz4_encode(workspace, in, in_length, out,
			     out_capacity >= CODEC_LZ4_WORST(in_length) ?
			     out_capacity : limit, &length) == XF_OK &&
	    length <= limit && header[0] >= CODEC_SEALED_LZ4_FIRST) {
		/* A bare block: never below 0x10 for a non-empty input (the
		 * first sequence has a literal), checked so that a block
		 * that did could not be taken for a header. */
		*out_length = length;
		/* WKdm decodes about 3 times slower than LZ4: it must save
		 * at least 1/CODEC_WKDM_MARGIN of the LZ4 size to be chosen
		 * (and the tighter capacity stops a losing attempt sooner). */
		if (!(allowed & CODEC_ALLOW(CODEC_ID_WKDM)) ||
		    in_length != CODEC_PAGE_BYTES || length <= CODEC_WKDM_TRY_ABOVE)
			return XF_OK;
		limit = length - length / CODEC_WKDM_MARGIN;
		if (limit <= CODEC_HEADER_BYTES + 1)
			return XF_OK;
		/* Into the candidate buffer while the LZ4 block stands. */
		if (codec_wkdm_try(workspace, in, in_length,
				   workspace->candidate,
				   limit - CODEC_HEADER_BYTES - 1,
				   &length) == XF_OK) {
			header[0] = CODEC_ID_WKDM;
			memcpy(payload, workspace->candidate, length);
			*out_length = CODEC_HEADER_BYTES + length;
		}
		return XF_OK;
	}
	/* No LZ4 block: WKdm against raw. */
	limit = in_length;
	if (limit > out_capacity - CODEC_HEADER_BYTES)
		limit = out_capacity - CODEC_HEADER_BYTES;
	if ((allowed & CODEC_ALLOW(CODEC_ID_WKDM)) &&
	    in_length == CODEC_PAGE_BYTES && limit > 1 &&
	    codec_wkdm_try(workspace, in, in_length, payload, limit - 1,
			   &length) == XF_OK) {
		header[0] = CODEC_ID_WKDM;
		*out_length = CODEC_HEADER_BYTES + length;
		return XF_OK;
	}
	if (out_capacity - CODEC_HEADER_BYTES < in_length)
		return XF_NO_SPACE;
	header[0] = CODEC_ID_RAW;
	memcpy(payload, in, in_length);
	*out_length = CODEC_HEADER_BYTES + in_length;
	return XF_OK;
}

int codec_unseal(const void *in, size_t in_length, void *out,
		 size_t out_capacity, size_t *out_length)
{
	const uint8_t *header = in;
	const uint8_t *payload = header + CODEC_HEADER_BYTES;
	size_t payload_length;
	const struct codec_ops *codec;

	if (in_length < CODEC_HEADER_BYTES)
		return XF_CORRUPT;
	if (header[0] >= CODEC_SEALED_LZ4_FIRST)
		/* the common case, without the table walk */
		return codec_lz4_decode(in, in_length, out, out_capacity,
					out_length);
	payload_length = in_length - CODEC_HEADER_BYTES;
	switch (header[0]) {
	case CODEC_ID_RAW:
		if (payload_length > out_capacity)
			return XF_CORRUPT;
		memcpy(out, payload, payload_length);
		*out_length = payload_length;
		return XF_OK;
	default:
		codec = header[0] < CODEC_ID_COUNT ? codec_by_id(header[0]) : NULL;
		if (!codec)
			return XF_CORRUPT;
		return codec->decode(payload, payload_length, out, out_capacity,
				     out_length);
	}
}

static int adaptive_encode(struct codec_workspace *workspace, const void *in,
			   size_t in_length, void *out, size_t out_capacity,
			   size_t *out_length)
{
	return codec_seal(workspace, CODEC_ALLOW_ALL, in, in_length, out,
			  out_capacity, out_length);
}

const struct codec_ops codec_adaptive = {
	.name = "adaptive",
	.id = CODEC_ID_ADAPTIVE,
	.encode = adaptive_encode,
	.decode = codec_unseal,
};
