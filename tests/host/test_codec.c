/*
 * Host tests of the page codecs (transforms/codec*.c) and their xf
 * transforms: round trips of every corpus page through every codec, LZ4
 * interoperability with liblz4 in both directions, the sealed-page bound,
 * and decoders fed malformed input (truncated, lengths pointing outside,
 * offsets before the start, output overruns, random corruption), which must
 * be rejected without any access outside the buffers (the sanitizers
 * watch). Buffers are heap blocks of the exact size so ASan sees overruns.
 */
#include <stdlib.h>
#include <string.h>
#include <lz4.h>
#include <lz4hc.h>
#include "kernel/lib/cpu.h"
#include "transforms/codec.h"
#include "transforms/xf_codec.h"
#include "tests/host/htest.h"
#include "tests/host/test_codec_util.h"

#define PAGE CODEC_PAGE_BYTES

static struct codec_workspace workspace;

/* Encodes with codec, decodes into an exact-size heap buffer, compares. */
static bool codec_round_trip(const struct codec_ops *codec, const uint8_t *page,
			     size_t length, size_t *encoded_length)
{
	size_t capacity = CODEC_BOUND(length), encoded = 0, decoded = 0;
	uint8_t *block = malloc(capacity);
	uint8_t *out = malloc(length ? length : 1);
	uint8_t *exact;
	int result;
	bool ok;

	result = codec->encode(&workspace, page, length, block, capacity, &encoded);
	if (result == XF_REFUSED) {
		free(block);
		free(out);
		*encoded_length = 0;
		return true;
	}
	/* the decoder reads exactly the block: copy it to its own heap block */
	exact = malloc(encoded ? encoded : 1);
	memcpy(exact, block, encoded);
	ok = result == XF_OK && encoded <= capacity &&
	     codec->decode(exact, encoded, out, length, &decoded) == XF_OK &&
	     decoded == length && memcmp(out, page, length) == 0;
	*encoded_length = encoded;
	free(block);
	free(out);
	free(exact);
	return ok;
}

HTEST(corpus_round_trip)
{
	const char *const *names;
	uint8_t *const *pages;
	const size_t *counts;
	size_t files = test_codec_corpus(&names, &pages, &counts);

	/* The build always unpacks the in-tree corpus: none is a failure. */
	if (files == 0)
		htest_log("no corpus in " TEST_CODEC_CORPUS_TREE " (make corpus)");
	HCHECK(files > 0);
	for (size_t f = 0; f < files; f++) {
		for (size_t c = 0; codec_table[c]; c++) {
			const struct codec_ops *codec = codec_table[c];
			size_t failures = 0, total = 0, refused = 0;

			for (size_t i = 0; i < counts[f]; i++) {
				size_t length;

				failures += !codec_round_trip(codec, pages[f] + i * PAGE,
							      PAGE, &length);
				refused += length == 0;
				total += length ? length : PAGE;
				if (codec->id == CODEC_ID_ADAPTIVE)
					failures += length > CODEC_SEALED_MAX;
			}
			HCHECK_EQ(failures, 0);
			htest_log("%s %s: %zu pages, ratio %.3f, %zu not encoded",
				  names[f], codec->name, counts[f],
				  (double)counts[f] * PAGE / (double)total, refused);
		}
	}
}

/* The LZ4 table is left holding the positions of the last input: what a
 * page encodes to must not depend on what was encoded before, and must be
 * what a fresh, zeroed workspace gives. Also after the table was filled
 * with junk (every entry naming a position past any input). */
HTEST(lz4_output_does_not_depend_on_earlier_inputs)
{
	const char *const *names;
	uint8_t *const *pages;
	const size_t *counts;
	size_t files = test_codec_corpus(&names, &pages, &counts);
	static struct codec_workspace fresh, used;
	static uint8_t first[CODEC_LZ4_WORST(PAGE)], again[CODEC_LZ4_WORST(PAGE)];
	size_t differ = 0, compared = 0;

	HCHECK(files > 0);
	for (size_t f = 0; f < files; f++) {
		for (size_t i = 0; i < counts[f] && i < 256; i++) {
			const uint8_t *page = pages[f] + i * PAGE;
			size_t a, b;

			memset(&fresh, 0, sizeof(fresh));
			HCHECK_EQ(codec_lz4_encode(&fresh, page, PAGE, first,
						   sizeof(first), &a), XF_OK);
			if (i % 64 == 63)
				memset(used.lz4_table, 0xff, sizeof(used.lz4_table));
			HCHECK_EQ(codec_lz4_encode(&used, page, PAGE, again,
						   sizeof(again), &b), XF_OK);
			differ += a != b || memcmp(first, again, a) != 0;
			compared++;
		}
	}
	htest_log("%zu pages encoded after others and fresh: %zu differ",
		  compared, differ);
	HCHECK(compared > 0);
	HCHECK_EQ(differ, 0);
}

HTEST(synthetic_round_trip)
{
	uint8_t *page = malloc(PAGE);
	size_t length;

	for (unsigned kind = 0; kind < TEST_CODEC_KINDS; kind++)
		for (uint64_t seed = 1; seed <= 40; seed++) {
			test_codec_page(page, PAGE, kind, seed);
			for (size_t c = 0; codec_table[c]; c++) {
				bool ok = codec_round_trip(codec_table[c], page, PAGE,
							   &length);

				if (!ok)
					htest_log("kind %u seed %llu codec %s", kind,
						  (unsigned long long)seed,
						  codec_table[c]->name);
				HCHECK(ok);
			}
		}
	/* same-filled pages: the word alone; anything else refused */
	test_codec_page(page, PAGE, 1, 3);
	HCHECK(codec_round_trip(&codec_samefill, page, PAGE, &length));
	HCHECK_EQ(length, 8);
	page[4095] ^= 1;
	HCHECK(codec_samefill.encode(&workspace, page, PAGE, page, 0, &length) == XF_REFUSED);
	free(page);
}

static bool liblz4_reads_ours(const uint8_t *data, size_t length);

HTEST(lz4_any_length)
{
	/* LZ4 and the adaptive choice take any length up to 64 KiB; lengths
	 * around the end-of-block limits (5 literals, 12 bytes) matter most */
	size_t lengths[] = { 0, 1, 4, 5, 11, 12, 13, 14, 16, 17, 20, 31, 64, 100,
			     255, 256, 1000, 4095, 4097, 8192, 65535, 65536 };
	uint8_t *buffer = malloc(65536);

	for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++)
		for (unsigned kind = 0; kind < TEST_CODEC_KINDS; kind++) {
			size_t length;

			test_codec_page(buffer, lengths[l], kind, l + 1);
			HCHECK(liblz4_reads_ours(buffer, lengths[l]));
			HCHECK(codec_round_trip(&codec_lz4, buffer, lengths[l], &length));
			HCHECK(codec_round_trip(&codec_adaptive, buffer, lengths[l], &length));
			HCHECK(length <= lengths[l] + CODEC_HEADER_BYTES);
		}
	free(buffer);
}

/* The end-of-block rules of the format, which decoders may rely on and
 * liblz4's safe decoder does not check: every match starts at least 12
 * bytes before the end and ends at least 5 before it (the block ends with
 * at least 5 literals); the block is well formed and ends after literals. */
static bool lz4_block_rules_hold(const uint8_t *block, size_t length,
				 size_t decoded_length)
{
	size_t at = 0, position = 0;

	while (at < length) {
		unsigned token = block[at++];
		size_t literals = token >> 4, match = token & 15;
		unsigned byte;

		if (literals == 15)
			do {
				if (at >= length)
					return false;
				byte = block[at++];
				literals += byte;
			} while (byte == 255);
		if (literals > length - at)
			return false;
		at += literals;
		position += literals;
		if (at == length)
			return position == decoded_length &&
			       (decoded_length < 13 || literals >= 5);
		if (length - at < 2)
			return false;
		at += 2;
		if (match == 15)
			do {
				if (at >= length)
					return false;
				byte = block[at++];
				match += byte;
			} while (byte == 255);
		match += 4;
		if (position + 12 > decoded_length ||
		    position + match + 5 > decoded_length)
			return false;
		position += match;
	}
	return false;
}

/* liblz4 decodes what we encode, into a buffer of exactly the page, and
 * the block keeps the end-of-block rules. */
static bool liblz4_reads_ours(const uint8_t *data, size_t length)
{
	size_t encoded = 0;
	uint8_t *block = malloc(CODEC_BOUND(length));
	uint8_t *out = malloc(length + 1);
	bool ok = codec_lz4_encode(&workspace, data, length, block,
				   CODEC_BOUND(length), &encoded) == XF_OK &&
		  lz4_block_rules_hold(block, encoded, length) &&
		  LZ4_decompress_safe((const char *)block, (char *)out, (int)encoded,
				      (int)length) == (int)length &&
		  memcmp(out, data, length) == 0;

	free(block);
	free(out);
	return ok;
}

/* We decode what liblz4 encodes (default, fast and HC levels). */
static bool ours_reads_liblz4(const uint8_t *data, size_t length, int mode)
{
	int bound = LZ4_compressBound((int)length), encoded;
	char *block = malloc((size_t)bound);
	uint8_t *exact, *out = malloc(length + 1);
	size_t decoded = 0;
	bool ok;

	if (mode == 0)
		encoded = LZ4_compress_default((const char *)data, block, (int)length, bound);
	else if (mode == 1)
		encoded = LZ4_compress_fast((const char *)data, block, (int)length, bound, 8);
	else
		encoded = LZ4_compress_HC((const char *)data, block, (int)length, bound, 9);
	exact = malloc((size_t)encoded);
	memcpy(exact, block, (size_t)encoded);
	ok = encoded > 0 &&
	     codec_lz4_decode(exact, (size_t)encoded, out, length, &decoded) == XF_OK &&
	     decoded == length && memcmp(out, data, length) == 0;
	free(block);
	free(exact);
	free(out);
	return ok;
}

HTEST(lz4_interop_liblz4)
{
	const char *const *names;
	uint8_t *const *pages;
	const size_t *counts;
	size_t files = test_codec_corpus(&names, &pages, &counts);
	uint8_t *buffer = malloc(65536);
	size_t failures = 0;

	for (unsigned kind = 0; kind < TEST_CODEC_KINDS; kind++)
		for (size_t length = 1; length <= 65536; length = length * 3 + 1) {
			test_codec_page(buffer, length, kind, length);
			failures += !liblz4_reads_ours(buffer, length);
			for (int mode = 0; mode < 3; mode++)
				failures += !ours_reads_liblz4(buffer, length, mode);
		}
	HCHECK_EQ(failures, 0);
	if (files == 0)
		htest_log("no corpus: synthetic pages only");
	for (size_t f = 0; f < files; f++) {
		failures = 0;
		for (size_t i = 0; i < counts[f]; i++) {
			failures += !liblz4_reads_ours(pages[f] + i * PAGE, PAGE);
			failures += !ours_reads_liblz4(pages[f] + i * PAGE, PAGE, 0);
			if (i % 16 == 0)
				failures += !ours_reads_liblz4(pages[f] + i * PAGE, PAGE, 2);
		}
		HCHECK_EQ(failures, 0);
		/* whole 64 KiB stretches: offsets across the full window */
		for (size_t i = 0; i + 16 <= counts[f]; i += 256) {
			failures += !liblz4_reads_ours(pages[f] + i * PAGE, 65536);
			failures += !ours_reads_liblz4(pages[f] + i * PAGE, 65536, 2);
		}
		HCHECK_EQ(failures, 0);
	}
	free(buffer);
}

/* Appends an LZ4 length's extra bytes (the part over 15) at *at. */
static void lz4_test_put_length(uint8_t *block, size_t *at, size_t extra)
{
	while (extra >= 255) {
		block[(*at)++] = 255;
		extra -= 255;
	}
	block[(*at)++] = (uint8_t)extra;
}

/* A block of random sequences decoding to a page: literal runs of 0 to 20
 * bytes, offsets of 1 to 40 (every short period the decoder's shortcuts
 * serve, and overlapping copies), matches of 4 to 40 bytes, ending with
 * literals as the format asks. Returns its length. */
static size_t lz4_test_random_block(uint8_t *block, uint64_t *seed)
{
	size_t at = 0, position = 0;

	while (position + 12 + 40 + 20 + 5 < PAGE) {
		/* the first sequence has a literal, so its match has bytes
		 * behind it */
		size_t literals = test_codec_rng(seed) % 21 + (position == 0);
		size_t before = position + literals;
		size_t offset = 1 + test_codec_rng(seed) % (before < 40 ? before : 40);
		size_t match = 4 + test_codec_rng(seed) % 37;

		block[at++] = (uint8_t)((literals < 15 ? literals : 15) << 4 |
					(match - 4 < 15 ? match - 4 : 15));
		if (literals >= 15)
			lz4_test_put_length(block, &at, literals - 15);
		for (size_t k = 0; k < literals; k++)
			block[at++] = (uint8_t)test_codec_rng(seed);
		block[at++] = (uint8_t)offset;
		block[at++] = (uint8_t)(offset >> 8);
		if (match - 4 >= 15)
			lz4_test_put_length(block, &at, match - 4 - 15);
		position = before + match;
	}
	size_t last = PAGE - position;
	block[at++] = 15 << 4;
	lz4_test_put_length(block, &at, last - 15);
	for (size_t k = 0; k < last; k++)
		block[at++] = (uint8_t)test_codec_rng(seed);
	return at;
}

/* Short matches at every offset from 1 to 40 (the fast loop's shortcuts,
 * among them the stores of a period's word for offsets under 8) decode as
 * liblz4 decodes them, into an exact-size page. */
HTEST(lz4_short_periods_decode_as_liblz4)
{
	uint8_t *block = malloc(2 * PAGE), *ours = malloc(PAGE), *theirs = malloc(PAGE);
	uint64_t seed = 12345;
	size_t failures = 0;

	for (unsigned round = 0; round < 2000; round++) {
		size_t length = lz4_test_random_block(block, &seed), decoded = 0;
		uint8_t *exact = malloc(length);

		memcpy(exact, block, length);
		failures += LZ4_decompress_safe((const char *)exact, (char *)theirs,
						(int)length, PAGE) != PAGE;
		failures += codec_lz4_decode(exact, length, ours, PAGE, &decoded) != XF_OK ||
			    decoded != PAGE || memcmp(ours, theirs, PAGE) != 0;
		free(exact);
	}
	HCHECK_EQ(failures, 0);
	free(block);
	free(ours);
	free(theirs);
}

/* Decodes a block given as bytes, from its own exact-size heap copy, into
 * an exact-size heap buffer of capacity bytes. */
static int decode_bytes(const struct codec_ops *codec, const uint8_t *bytes,
			size_t length, size_t capacity, size_t *decoded)
{
	uint8_t *in = malloc(length ? length : 1);
	uint8_t *out = malloc(capacity ? capacity : 1);
	int result;

	memcpy(in, bytes, length);
	*decoded = 0;
	result = codec->decode(in, length, out, capacity, decoded);
	if (result == XF_OK && *decoded > capacity)
		result = 99;	/* a decoder that lies about its length */
	free(in);
	free(out);
	return result;
}

HTEST(lz4_malformed)
{
	size_t decoded;
	/* token 0x00 ends with no literals: valid, empty */
	static const uint8_t empty[] = { 0x00 };
	/* 2 literals announced, 1 present */
	static const uint8_t short_literals[] = { 0x20, 'a' };
	/* 15 + 255 + ... literals: the extension runs off the end */
	static const uint8_t open_extension[] = { 0xf0, 0xff, 0xff };
	/* a huge literal length against a tiny input */
	static const uint8_t long_literals[] = { 0xf0, 0xff, 0xff, 0xff, 0x10, 'a', 'b' };
	/* 4 literals then offset 0 */
	static const uint8_t offset_zero[] = { 0x40, 'a', 'b', 'c', 'd', 0x00, 0x00, 0x00 };
	/* 4 literals then offset 5: before the start */
	static const uint8_t offset_before[] = { 0x40, 'a', 'b', 'c', 'd', 0x05, 0x00, 0x10, 'x' };
	/* offset cut in half */
	static const uint8_t offset_cut[] = { 0x40, 'a', 'b', 'c', 'd', 0x04 };
	/* a match ending the block (no final literals) */
	static const uint8_t match_last[] = { 0x40, 'a', 'b', 'c', 'd', 0x04, 0x00 };
	/* match length extension cut off */
	static const uint8_t match_cut[] = { 0x4f, 'a', 'b', 'c', 'd', 0x04, 0x00, 0xff };
	/* a valid block of 4 + 4000 + 1 bytes */
	static const uint8_t long_match[] = { 0x4f, 'a', 'b', 'c', 'd', 0x01, 0x00,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0x9c, 0x10, 'z' };

	HCHECK_EQ(decode_bytes(&codec_lz4, empty, sizeof(empty), PAGE, &decoded), XF_OK);
	HCHECK_EQ(decoded, 0);
	HCHECK_EQ(decode_bytes(&codec_lz4, empty, 0, PAGE, &decoded), XF_CORRUPT);
	HCHECK_EQ(decode_bytes(&codec_lz4, short_literals, sizeof(short_literals), PAGE, &decoded), XF_CORRUPT);
	HCHECK_EQ(decode_bytes(&codec_lz4, open_extension, sizeof(open_extension), PAGE, &decoded), XF_CORRUPT);
	HCHECK_EQ(decode_bytes(&codec_lz4, long_literals, sizeof(long_literals), PAGE, &decoded), XF_CORRUPT);
	HCHECK_EQ(decode_bytes(&codec_lz4, offset_zero, sizeof(offset_zero), PAGE, &decoded), XF_CORRUPT);
	HCHECK_EQ(decode_bytes(&codec_lz4, offset_before, sizeof(offset_before), PAGE, &decoded), XF_CORRUPT);
	HCHECK_EQ(decode_bytes(&codec_lz4, offset_cut, sizeof(offset_cut), PAGE, &decoded), XF_CORRUPT);
	HCHECK_EQ(decode_bytes(&codec_lz4, match_last, sizeof(match_last), PAGE, &decoded), XF_CORRUPT);
	HCHECK_EQ(decode_bytes(&codec_lz4, match_cut, sizeof(match_cut), PAGE, &decoded), XF_CORRUPT);
	HCHECK_EQ(decode_bytes(&codec_lz4, long_match, sizeof(long_match), PAGE, &decoded), XF_OK);
	HCHECK_EQ(decoded, 4 + 19 + 15 * 255 + 0x9c + 1);
	/* the same block into an output one byte short: overrun refused */
	HCHECK_EQ(decode_bytes(&codec_lz4, long_match, sizeof(long_match), decoded - 1, &decoded), XF_CORRUPT);
	HCHECK_EQ(decode_bytes(&codec_lz4, long_match, sizeof(long_match), 100, &decoded), XF_CORRUPT);
	HCHECK_EQ(decode_bytes(&codec_lz4, long_match, sizeof(long_match), 0, &decoded), XF_CORRUPT);
}

/* Every strict prefix of valid blocks and random corruptions of them:
 * rejected or decoded within bounds, never out of bounds (ASan). */
static void corrupt_blocks(const struct codec_ops *codec, unsigned kind_mask,
			   bool prefixes_rejected)
{
	uint8_t *page = malloc(PAGE), *block = malloc(CODEC_BOUND(PAGE));
	uint64_t rng = 12345;
	size_t rejected_prefixes = 0, prefixes = 0, accepted_corrupt = 0;

	for (unsigned kind = 0; kind < TEST_CODEC_KINDS; kind++) {
		size_t length = 0, decoded;

		if (!(kind_mask & (1u << kind)))
			continue;
		test_codec_page(page, PAGE, kind, kind + 100);
		if (codec->encode(&workspace, page, PAGE, block, CODEC_BOUND(PAGE),
				  &length) != XF_OK)
			continue;
		for (size_t cut = 0; cut < length; cut++) {
			int result = decode_bytes(codec, block, cut, PAGE, &decoded);

			HCHECK(result == XF_OK || result == XF_CORRUPT || result == XF_NO_SPACE);
			prefixes++;
			rejected_prefixes += result != XF_OK || decoded != PAGE;
		}
		for (unsigned round = 0; round < 3000; round++) {
			uint8_t *copy = malloc(length);
			int result;

			memcpy(copy, block, length);
			for (unsigned flips = 1 + round % 4; flips--;)
				copy[test_codec_rng(&rng) % length] ^=
					(uint8_t)(1u << (test_codec_rng(&rng) % 8));
			result = decode_bytes(codec, copy, length,
					      round % 2 ? PAGE : PAGE / 2 + round % 512,
					      &decoded);
			HCHECK(result == XF_OK || result == XF_CORRUPT || result == XF_NO_SPACE);
			accepted_corrupt += result == XF_OK;
			free(copy);
		}
	}
	if (prefixes_rejected)
		HCHECK_EQ(rejected_prefixes, prefixes);
	htest_log("%s: %zu/%zu prefixes rejected, %zu corruptions decoded in bounds",
		  codec->name, rejected_prefixes, prefixes, accepted_corrupt);
	free(page);
	free(block);
}

HTEST(decoders_truncated_and_corrupted)
{
	/* a prefix of an LZ4 block may be a valid shorter block; it must
	 * still never decode to the whole page */
	corrupt_blocks(&codec_lz4, 0xff, true);
	corrupt_blocks(&codec_wkdm, 0xff, true);
	corrupt_blocks(&codec_samefill, 0x03, true);
	corrupt_blocks(&codec_adaptive, 0xff, true);
	corrupt_blocks(&codec_dense, 0xff, true);
}

HTEST(wkdm_malformed)
{
	uint8_t *page = malloc(PAGE), block[CODEC_BOUND(PAGE)];
	size_t length, decoded;

	test_codec_page(page, PAGE, 4, 9);
	HCHECK_EQ(codec_wkdm_encode(&workspace, page, PAGE, block, sizeof(block), &length), XF_OK);
	/* one byte more or less than the tags imply */
	HCHECK_EQ(decode_bytes(&codec_wkdm, block, length - 1, PAGE, &decoded), XF_CORRUPT);
	block[length] = 0;
	HCHECK_EQ(decode_bytes(&codec_wkdm, block, length + 1, PAGE, &decoded), XF_CORRUPT);
	/* tags saying every word misses: 4096 more bytes than present */
	memset(block, 0xff, 256);
	HCHECK_EQ(decode_bytes(&codec_wkdm, block, length, PAGE, &decoded), XF_CORRUPT);
	/* all zero tags: exactly the 256 tag bytes */
	memset(block, 0, 256);
	HCHECK_EQ(decode_bytes(&codec_wkdm, block, 256, PAGE, &decoded), XF_OK);
	HCHECK_EQ(decode_bytes(&codec_wkdm, block, 255, PAGE, &decoded), XF_CORRUPT);
	/* output smaller than a page */
	HCHECK(decode_bytes(&codec_wkdm, block, 256, PAGE - 1, &decoded) != XF_OK);
	HCHECK(codec_wkdm_encode(&workspace, page, PAGE - 4, block, sizeof(block), &length) == XF_REFUSED);
	/* samefill: exactly 8 bytes into a page */
	HCHECK_EQ(decode_bytes(&codec_samefill, block, 7, PAGE, &decoded), XF_CORRUPT);
	HCHECK_EQ(decode_bytes(&codec_samefill, block, 9, PAGE, &decoded), XF_CORRUPT);
	HCHECK(decode_bytes(&codec_samefill, block, 8, PAGE - 1, &decoded) != XF_OK);
	free(page);
}

HTEST(sealed_format)
{
	uint8_t *page = malloc(PAGE), sealed[CODEC_SEALED_MAX], *out = malloc(PAGE);
	uint8_t block[CODEC_BOUND(PAGE)], legacy[CODEC_BOUND(PAGE) + 1];
	size_t length, decoded, block_length;
	static const uint8_t unknown[] = { CODEC_ID_COUNT, 1, 2, 3 };
	static const uint8_t adaptive_id[] = { CODEC_ID_ADAPTIVE, 1, 2, 3 };

	/* incompressible: raw, exactly page + header, and the bound holds
	 * with a capacity of exactly CODEC_SEALED_MAX */
	test_codec_page(page, PAGE, 2, 1);
	HCHECK_EQ(codec_seal(&workspace, CODEC_ALLOW_ALL, page, PAGE, sealed,
			     sizeof(sealed), &length), XF_OK);
	HCHECK_EQ(length, CODEC_SEALED_MAX);
	HCHECK_EQ(sealed[0], CODEC_ID_RAW);
	HCHECK_EQ(codec_seal(&workspace, CODEC_ALLOW_ALL, page, PAGE, sealed,
			     sizeof(sealed) - 1, &length), XF_NO_SPACE);
	/* each codec's header, and every form unseals through codec_unseal */
	test_codec_page(page, PAGE, 1, 1);
	HCHECK_EQ(codec_seal(&workspace, CODEC_ALLOW_ALL, page, PAGE, sealed, sizeof(sealed), &length), XF_OK);
	HCHECK_EQ(sealed[0], CODEC_ID_SAMEFILL);
	HCHECK_EQ(length, 9);
	/* LZ4: the bare block, byte for byte what codec_lz4 writes, its first
	 * byte above every header value */
	test_codec_page(page, PAGE, 5, 1);
	HCHECK_EQ(codec_seal(&workspace, CODEC_ALLOW(CODEC_ID_LZ4), page, PAGE, sealed, sizeof(sealed), &length), XF_OK);
	HCHECK(sealed[0] >= CODEC_SEALED_LZ4_FIRST);
	HCHECK_EQ(codec_lz4_encode(&workspace, page, PAGE, block, sizeof(block), &block_length), XF_OK);
	HCHECK(length == block_length && memcmp(sealed, block, length) == 0);
	HCHECK_EQ(codec_unseal(sealed, length, out, PAGE, &decoded), XF_OK);
	HCHECK(decoded == PAGE && memcmp(out, page, PAGE) == 0);
	/* the older form, header CODEC_ID_LZ4 then the block, still unseals;
	 * cut short it does not */
	legacy[0] = CODEC_ID_LZ4;
	memcpy(legacy + 1, block, block_length);
	HCHECK_EQ(decode_bytes(&codec_adaptive, legacy, block_length + 1, PAGE, &decoded), XF_OK);
	HCHECK_EQ(decoded, PAGE);
	memset(out, 0, PAGE);
	HCHECK_EQ(codec_unseal(legacy, block_length + 1, out, PAGE, &decoded), XF_OK);
	HCHECK(decoded == PAGE && memcmp(out, page, PAGE) == 0);
	HCHECK_EQ(decode_bytes(&codec_adaptive, legacy, block_length, PAGE, &decoded), XF_CORRUPT);
	HCHECK_EQ(decode_bytes(&codec_adaptive, legacy, 1, PAGE, &decoded), XF_CORRUPT);
	/* a bare block into an output one byte short */
	HCHECK(decode_bytes(&codec_adaptive, sealed, length, PAGE - 1, &decoded) != XF_OK);
	test_codec_page(page, PAGE, 3, 1);
	HCHECK_EQ(codec_seal(&workspace, CODEC_ALLOW(CODEC_ID_WKDM), page, PAGE, sealed, sizeof(sealed), &length), XF_OK);
	HCHECK_EQ(sealed[0], CODEC_ID_WKDM);
	HCHECK_EQ(codec_unseal(sealed, length, out, PAGE, &decoded), XF_OK);
	HCHECK(decoded == PAGE && memcmp(out, page, PAGE) == 0);
	/* unknown header ids (every reserved value below the bare LZ4 range),
	 * the adaptive table id (a bare block of 8 literals, 3 present), empty
	 * input, raw longer than the output */
	HCHECK_EQ(decode_bytes(&codec_adaptive, unknown, sizeof(unknown), PAGE, &decoded), XF_CORRUPT);
	for (unsigned id = CODEC_ID_COUNT; id < CODEC_SEALED_LZ4_FIRST; id++) {
		uint8_t reserved[] = { (uint8_t)id, 0x10, 'a' };

		HCHECK_EQ(decode_bytes(&codec_adaptive, reserved, sizeof(reserved), PAGE, &decoded), XF_CORRUPT);
		HCHECK_EQ(decode_bytes(&codec_adaptive, reserved, 1, PAGE, &decoded), XF_CORRUPT);
	}
	HCHECK_EQ(decode_bytes(&codec_adaptive, adaptive_id, sizeof(adaptive_id), PAGE, &decoded), XF_CORRUPT);
	HCHECK_EQ(decode_bytes(&codec_adaptive, unknown, 0, PAGE, &decoded), XF_CORRUPT);
	sealed[0] = CODEC_ID_RAW;
	HCHECK_EQ(decode_bytes(&codec_adaptive, sealed, 10, 8, &decoded), XF_CORRUPT);
	free(page);
	free(out);
}

/* Every sealed form: the first byte is a written header (raw, same-filled,
 * WKdm) or starts a bare LZ4 block, which is then exactly codec_lz4's block
 * and no longer than the input; the bound holds; it unseals. */
static size_t check_sealed_form(const uint8_t *data, size_t length, unsigned allowed)
{
	size_t capacity = length + CODEC_HEADER_BYTES, sealed_length = 0;
	size_t block_length = 0, decoded = 0, failures = 0;
	uint8_t *sealed = malloc(capacity ? capacity : 1);
	uint8_t *block = malloc(CODEC_BOUND(length));
	uint8_t *out = malloc(length ? length : 1);

	failures += codec_seal(&workspace, allowed, data, length, sealed,
			       capacity, &sealed_length) != XF_OK;
	failures += sealed_length > capacity || sealed_length == 0;
	if (!failures && sealed[0] >= CODEC_SEALED_LZ4_FIRST) {
		failures += !(allowed & CODEC_ALLOW(CODEC_ID_LZ4));
		failures += sealed_length > length;
		failures += codec_lz4_encode(&workspace, data, length, block,
					     CODEC_BOUND(length), &block_length) != XF_OK;
		failures += block_length != sealed_length ||
			    memcmp(block, sealed, sealed_length) != 0;
	} else if (!failures) {
		failures += sealed[0] != CODEC_ID_RAW &&
			    !(allowed & CODEC_ALLOW(sealed[0]));
		failures += sealed[0] != CODEC_ID_RAW &&
			    sealed[0] != CODEC_ID_SAMEFILL && sealed[0] != CODEC_ID_WKDM;
		failures += sealed[0] == CODEC_ID_RAW &&
			    (sealed_length != length + CODEC_HEADER_BYTES ||
			     memcmp(sealed + 1, data, length) != 0);
	}
	if (!failures)
		failures += decode_bytes(&codec_adaptive, sealed, sealed_length,
					 length, &decoded) != XF_OK ||
			    decoded != length;
	if (!failures)
		failures += codec_unseal(sealed, sealed_length, out, length,
					 &decoded) != XF_OK ||
			    decoded != length || memcmp(out, data, length) != 0;
	free(sealed);
	free(block);
	free(out);
	return failures;
}

HTEST(sealed_forms)
{
	static const unsigned allowed[] = {
		CODEC_ALLOW_ALL, CODEC_ALLOW(CODEC_ID_LZ4), CODEC_ALLOW(CODEC_ID_WKDM),
		CODEC_ALLOW(CODEC_ID_SAMEFILL), 0 };
	size_t lengths[] = { 0, 1, 2, 12, 13, 14, 100, 4095, 4096, 4097, 65536 };
	const char *const *names;
	uint8_t *const *pages;
	const size_t *counts;
	size_t files = test_codec_corpus(&names, &pages, &counts), failures = 0;
	size_t forms[256] = { 0 };
	uint8_t *buffer = malloc(65536);

	for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++)
		for (unsigned kind = 0; kind < TEST_CODEC_KINDS; kind++)
			for (uint64_t seed = 1; seed <= 3; seed++) {
				test_codec_page(buffer, lengths[l], kind, seed);
				for (size_t a = 0; a < sizeof(allowed) / sizeof(allowed[0]); a++)
					failures += check_sealed_form(buffer, lengths[l], allowed[a]);
			}
	HCHECK_EQ(failures, 0);
	for (size_t f = 0; f < files; f++)
		for (size_t i = 0; i < counts[f]; i++) {
			uint8_t sealed[CODEC_SEALED_MAX];
			size_t length = 0;

			failures += check_sealed_form(pages[f] + i * PAGE, PAGE, CODEC_ALLOW_ALL);
			if (codec_seal(&workspace, CODEC_ALLOW_ALL, pages[f] + i * PAGE,
				       PAGE, sealed, sizeof(sealed), &length) == XF_OK)
				forms[sealed[0] >= CODEC_SEALED_LZ4_FIRST ? CODEC_ID_LZ4 : sealed[0]]++;
		}
	HCHECK_EQ(failures, 0);
	htest_log("corpus pages sealed: %zu raw, %zu same-filled, %zu wkdm, %zu bare lz4",
		  forms[CODEC_ID_RAW], forms[CODEC_ID_SAMEFILL], forms[CODEC_ID_WKDM],
		  forms[CODEC_ID_LZ4]);
	free(buffer);
}

HTEST(xf_transforms)
{
	static const char *const names[] = { "samefill", "wkdm", "lz4", "adaptive", "dense" };
	struct xf_page_id id = { 1, 2 };
	uint8_t *page = malloc(PAGE), *out = malloc(PAGE);
	uint8_t sealed[XF_BUFFER_BYTES];

	HCHECK(xf_codec_cpu_prepare(0));	/* this thread is CPU 0 */
	HCHECK(xf_codec_cpu_prepare(0));	/* twice is harmless */
	HCHECK(!xf_codec_cpu_prepare(CONFIG_MAX_CPUS));
	xf_codec_register();
	xf_codec_register();	/* twice is harmless */
	for (unsigned kind = 0; kind < TEST_CODEC_KINDS; kind++) {
		test_codec_page(page, PAGE, kind, 77);
		for (size_t s = 0; s < sizeof(names) / sizeof(names[0]); s++) {
			struct xf_transform *sealer = xf_lookup(names[s]);
			size_t length = 0, decoded = 0;

			HCHECK(sealer != NULL);
			if (!sealer)
				continue;
			HCHECK(!sealer->ops->in_place);
			HCHECK_EQ(xf_seal(sealer, &id, page, PAGE, sealed, sizeof(sealed), &length), XF_OK);
			HCHECK(length <= PAGE + sealer->ops->max_growth);
			/* any codec transform unseals any other's page */
			for (size_t u = 0; u < sizeof(names) / sizeof(names[0]); u++) {
				struct xf_transform *unsealer = xf_lookup(names[u]);

				memset(out, 0x5a, PAGE);
				HCHECK_EQ(xf_unseal(unsealer, &id, sealed, length, out, PAGE, &decoded), XF_OK);
				HCHECK(decoded == PAGE && memcmp(out, page, PAGE) == 0);
			}
		}
	}
	sealed[0] = CODEC_SEALED_LZ4_FIRST - 1;	/* reserved header value */
	HCHECK_EQ(xf_unseal(xf_lookup("adaptive"), &id, sealed, 100, out, PAGE,
			    &(size_t){ 0 }), XF_CORRUPT);
	free(page);
	free(out);
}
