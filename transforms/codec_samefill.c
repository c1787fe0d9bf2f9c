/*
 * The same-filled codec: a page that is one 8-byte word repeated (most
 * often zero) is stored as that word alone. The check is the cheapest one
 * the adaptive choice makes, so it runs first and leaves at the first word
 * that differs.
 */
#include <string.h>
#include "transforms/codec.h"

static uint64_t samefill_load(const uint8_t *p)
{
	uint64_t word;

	memcpy(&word, p, sizeof(word));
	return word;
}

bool codec_samefill_word(const void *page, size_t length, uint64_t *word)
{
	const uint8_t *bytes = page;
	uint64_t first, differ = 0;
	size_t i = 8;

	if (length == 0 || length % 8 != 0)
		return false;
	first = samefill_load(bytes);
	/* Most pages differ within the first words: look at those alone
	 * before the loop that ORs whole cache lines. */
	if (length >= 64 && (samefill_load(bytes + 8) != first ||
			     samefill_load(bytes + 56) != first))
		return false;
	for (; i + 32 <= length; i += 32)
		differ |= (samefill_load(bytes + i) ^ first) |
			  (samefill_load(bytes + i + 8) ^ first) |
			  (samefill_load(bytes + i + 16) ^ first) |
			  (samefill_load(bytes + i + 24) ^ first);
	for (; i < length; i += 8)
		differ |= samefill_load(bytes + i) ^ first;
	*word = first;
	return differ == 0;
}

static int samefill_encode(struct codec_workspace *workspace, const void *in,
			   size_t in_length, void *out, size_t out_capacity,
			   size_t *out_length)
{
	uint64_t word;

	(void)workspace;
	/* The decoded length is implied: the payload is page-only. */
	if (in_length != CODEC_PAGE_BYTES || !codec_samefill_word(in, in_length, &word))
		return XF_REFUSED;
	if (out_capacity < sizeof(word))
		return XF_NO_SPACE;
	memcpy(out, &word, sizeof(word));
	*out_length = sizeof(word);
	return XF_OK;
}

static int samefill_decode(const void *in, size_t in_length, void *out,
			   size_t out_capacity, size_t *out_length)
{
	uint8_t *bytes = out;
	uint64_t word;

	if (in_length != sizeof(word))
		return XF_CORRUPT;
	if (out_capacity < CODEC_PAGE_BYTES)
		return XF_NO_SPACE;
	memcpy(&word, in, sizeof(word));
	for (size_t i = 0; i < CODEC_PAGE_BYTES; i += 8)
		memcpy(bytes + i, &word, sizeof(word));
	*out_length = CODEC_PAGE_BYTES;
	return XF_OK;
}

const struct codec_ops codec_samefill = {
	.name = "samefill",
	.id = CODEC_ID_SAMEFILL,
	.encode = samefill_encode,
	.decode = samefill_decode,
};
