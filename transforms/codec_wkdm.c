/*
 * A word codec in the spirit of WKdm (Wilson and Kaplan, 1999), written
 * from the paper's description. Pages of program memory are arrays of
 * integers and pointers: many words are zero, equal to a recent word, or
 * share their high bits with one (pointers into the same area). Each 32-bit
 * word is looked up in a 16-entry direct-mapped dictionary indexed by a
 * hash of its high 22 bits and classed:
 *   0 zero       nothing more
 *   1 exact      4-bit dictionary index
 *   2 partial    4-bit index + the low 10 bits (high 22 bits match)
 *   3 miss       the whole word
 * Partial matches and misses replace the dictionary entry.
 *
 * Payload (page-only: 1024 words), areas in this order:
 *   tags     256 bytes, 2 bits per word, word i at bits 2*(i%4) of byte i/4
 *   indices  4 bits per exact/partial word, low nibble first
 *   lows     10 bits per partial word, least significant bit first
 *   misses   4 bytes per miss, little-endian
 * The sizes of the last three follow from the tags, so the decoder checks
 * that the payload is exactly that long before it writes anything.
 */
#include <string.h>
#include "transforms/codec.h"

#define WKDM_WORDS (CODEC_PAGE_BYTES / 4)
#define WKDM_TAG_BYTES (WKDM_WORDS / 4)
#define WKDM_DICT_BITS 4
#define WKDM_LOW_BITS 10

enum { WKDM_ZERO, WKDM_EXACT, WKDM_PARTIAL, WKDM_MISS };

static inline unsigned wkdm_slot(uint32_t word)
{
	/* Multiplicative hash of the high 22 bits: the words a partial
	 * match would pair must land in the same slot. */
	return ((word >> WKDM_LOW_BITS) * 2654435761u) >> (32 - WKDM_DICT_BITS);
}

static inline uint32_t wkdm_load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void wkdm_store32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Area sizes that follow from the counts of each class. */
static inline size_t wkdm_payload_length(size_t indices, size_t partials,
					 size_t misses)
{
	return WKDM_TAG_BYTES + (indices + 1) / 2 +
	       (partials * WKDM_LOW_BITS + 7) / 8 + misses * 4;
}

/* The projection a quarter of the way in may exceed the capacity by this
 * many tenths, the allowance shrinking to none at the end of the page. */
#define WKDM_TRY_SLACK_TENTHS 3u

/* Whether the page so far (words of it, sized length) projects to more
 * than capacity plus the allowance, the variable areas growing at the rate
 * seen so far. */
static inline bool wkdm_hopeless(size_t length, size_t words, size_t capacity)
{
	size_t projected = WKDM_TAG_BYTES +
			   (length - WKDM_TAG_BYTES) * WKDM_WORDS / words;
	size_t allowance = capacity * WKDM_TRY_SLACK_TENTHS * (WKDM_WORDS - words) /
			   (10 * (WKDM_WORDS - WKDM_WORDS / 4));

	return projected > capacity + allowance;
}

static inline __attribute__((always_inline)) int
wkdm_encode(struct codec_workspace *workspace, const void *in, size_t in_length,
	    void *out, size_t out_capacity, size_t *out_length, bool trying)
{
	const uint8_t *src = in;
	uint8_t *op = out;
	uint32_t *misses = workspace->wkdm.misses;
	uint16_t *lows = workspace->wkdm.lows;
	uint8_t *indices = workspace->wkdm.indices;
	uint8_t *tags = workspace->wkdm.tags;
	uint32_t dictionary[1u << WKDM_DICT_BITS] = { 0 };
	size_t index_count = 0, partial_count = 0, miss_count = 0, length;

	if (in_length != CODEC_PAGE_BYTES)
		return XF_REFUSED;
	/* Branch-free: every area gets each word's value and its count moves
	 * on only when the word belongs there, so the class of a word (which
	 * programs' memory makes hard to predict) costs no branch. Each area
	 * holds WKDM_WORDS entries, so the stores past a count stay inside. */
	for (size_t group = 0; group < WKDM_WORDS / 4; group++) {
		unsigned packed = 0;

		for (unsigned i = 0; i < 4; i++) {
			uint32_t word = wkdm_load32(src + (group * 4 + i) * 4);
			unsigned slot = wkdm_slot(word);
			uint32_t known = dictionary[slot];
			unsigned exact, partial, tag;

			if (word == 0)
				continue;	/* tag 0 */
			exact = word == known;
			partial = (word ^ known) >> WKDM_LOW_BITS == 0;
			/* miss 3, partial 2, exact 1 (exact implies partial) */
			tag = 3 - partial - exact;
			indices[index_count] = (uint8_t)slot;
			index_count += partial;
			lows[partial_count] = (uint16_t)(word & 0x3ff);
			partial_count += partial & !exact;
			misses[miss_count] = word;
			miss_count += !partial;
			/* partial and miss replace the entry (exact writes
			 * the same word back) */
			dictionary[slot] = word;
			packed |= tag << (2 * i);
		}
		tags[group] = (uint8_t)packed;
		/* The areas only grow: once past the capacity (the adaptive
		 * choice passes the size to beat) the rest is wasted work;
		 * trying, so is a page that projects well past it. */
		if (group % 16 == 15) {
			length = wkdm_payload_length(index_count, partial_count,
						     miss_count);
			if (length > out_capacity)
				return XF_NO_SPACE;
			if (trying && group >= WKDM_WORDS / 16 - 1 &&
			    wkdm_hopeless(length, (group + 1) * 4, out_capacity))
				return XF_NO_SPACE;
		}
	}

	length = wkdm_payload_length(index_count, partial_count, miss_count);
	if (length > out_capacity)
		return XF_NO_SPACE;
	memcpy(op, tags, WKDM_TAG_BYTES);
	op += WKDM_TAG_BYTES;
	for (size_t i = 0; i + 1 < index_count; i += 2)
		*op++ = (uint8_t)(indices[i] | indices[i + 1] << 4);
	if (index_count % 2)
		*op++ = indices[index_count - 1];
	{
		size_t i = 0;
		uint64_t bits = 0;
		unsigned held = 0;

		/* four 10-bit values are 5 whole bytes */
		for (; i + 4 <= partial_count; i += 4, op += 5) {
			uint64_t five = (uint64_t)lows[i] |
					(uint64_t)lows[i + 1] << 10 |
					(uint64_t)lows[i + 2] << 20 |
					(uint64_t)lows[i + 3] << 30;
			uint8_t bytes[8];

			memcpy(bytes, &five, sizeof(five));	/* little-endian */
			memcpy(op, bytes, 5);
		}
		for (; i < partial_count; i++) {
			bits |= (uint64_t)lows[i] << held;
			held += WKDM_LOW_BITS;
			while (held >= 8) {
				*op++ = (uint8_t)bits;
				bits >>= 8;
				held -= 8;
			}
		}
		if (held)
			*op++ = (uint8_t)bits;
	}
	/* the misses as stored: little-endian words */
	memcpy(op, misses, miss_count * 4);
	*out_length = length;
	return XF_OK;
}

int codec_wkdm_encode(struct codec_workspace *workspace, const void *in,
		      size_t in_length, void *out, size_t out_capacity,
		      size_t *out_length)
{
	return wkdm_encode(workspace, in, in_length, out, out_capacity,
			   out_length, false);
}

int codec_wkdm_try(struct codec_workspace *workspace, const void *in,
		   size_t in_length, void *out, size_t out_capacity,
		   size_t *out_length)
{
	return wkdm_encode(workspace, in, in_length, out, out_capacity,
			   out_length, true);
}

int codec_wkdm_decode(const void *in, size_t in_length, void *out,
		      size_t out_capacity, size_t *out_length)
{
	const uint8_t *tags = in;
	uint8_t *dst = out;
	uint32_t dictionary[1u << WKDM_DICT_BITS] = { 0 };
	size_t counts[4] = { 0, 0, 0, 0 };
	const uint8_t *indices, *lows, *misses;
	size_t index_at = 0, low_at = 0;

	if (in_length < WKDM_TAG_BYTES)
		return XF_CORRUPT;
	if (out_capacity < CODEC_PAGE_BYTES)
		return XF_NO_SPACE;
	for (size_t i = 0; i < WKDM_TAG_BYTES; i++)
		for (unsigned j = 0; j < 4; j++)
			counts[tags[i] >> (2 * j) & 3]++;
	if (in_length != wkdm_payload_length(counts[WKDM_EXACT] + counts[WKDM_PARTIAL],
					     counts[WKDM_PARTIAL], counts[WKDM_MISS]))
		return XF_CORRUPT;
	/* From here every area is known to be inside the input. */
	indices = tags + WKDM_TAG_BYTES;
	lows = indices + (counts[WKDM_EXACT] + counts[WKDM_PARTIAL] + 1) / 2;
	misses = lows + (counts[WKDM_PARTIAL] * WKDM_LOW_BITS + 7) / 8;

	for (size_t i = 0; i < WKDM_WORDS; i++) {
		unsigned tag = tags[i / 4] >> (2 * (i % 4)) & 3;
		uint32_t word;
		unsigned slot;

		switch (tag) {
		case WKDM_ZERO:
			word = 0;
			break;
		case WKDM_EXACT:
			slot = indices[index_at / 2] >> (4 * (index_at % 2)) & 15;
			index_at++;
			word = dictionary[slot];
			break;
		case WKDM_PARTIAL: {
			size_t bit = low_at * WKDM_LOW_BITS;
			unsigned low;

			/* 10 bits at an offset under 8 span at most the two
			 * bytes that hold them; the second exists unless the
			 * bits end in the first. */
			low = lows[bit / 8] >> (bit % 8);
			if (bit % 8 + WKDM_LOW_BITS > 8)
				low |= (unsigned)lows[bit / 8 + 1] << (8 - bit % 8);
			low &= 0x3ff;
			low_at++;
			slot = indices[index_at / 2] >> (4 * (index_at % 2)) & 15;
			index_at++;
			word = (dictionary[slot] & ~0x3ffu) | low;
			dictionary[slot] = word;
			break;
		}
		default:
			word = wkdm_load32(misses);
			misses += 4;
			dictionary[wkdm_slot(word)] = word;
			break;
		}
		wkdm_store32(dst + i * 4, word);
	}
	*out_length = CODEC_PAGE_BYTES;
	return XF_OK;
}

const struct codec_ops codec_wkdm = {
	.name = "wkdm",
	.id = CODEC_ID_WKDM,
	.encode = codec_wkdm_encode,
	.decode = codec_wkdm_decode,
};
