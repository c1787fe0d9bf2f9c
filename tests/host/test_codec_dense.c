/*
 * Host tests of the dense codec (transforms/codec_dense*.c) beyond the
 * round trips every codec gets in test_codec.c: adversarial pages (all
 * zero, one word repeated, random, alternating, page-long runs, one byte
 * changed), every input length, the exact output size (the encoder counts
 * its bits before writing), its place in the sealed format, and blocks
 * written by hand that break one rule each, which the decoder must reject
 * (ASan and UBSan watch its reads and writes); blocks with two and four
 * streams of literals, and four-stream blocks with their sizes changed;
 * corpus blocks with the default distance code and with their own;
 * and the bucket tables of the format against the functions that define
 * them.
 */
#include <stdlib.h>
#include <string.h>
#include "transforms/codec.h"
#include "transforms/codec_dense_format.h"
#include "transforms/codec_dense_distance_table.h"
#include "tests/host/htest.h"
#include "tests/host/test_codec_util.h"

#define PAGE CODEC_PAGE_BYTES

static struct codec_workspace dense_workspace;

/* Decodes from an exact-size heap copy into an exact-size heap buffer. */
static int dense_decode_copy(const uint8_t *bytes, size_t length,
			     size_t capacity, uint8_t *result, size_t *decoded)
{
	uint8_t *in = malloc(length ? length : 1);
	uint8_t *out = malloc(capacity ? capacity : 1);
	int status;

	memcpy(in, bytes, length);
	*decoded = 0;
	status = codec_dense_decode(in, length, out, capacity, decoded);
	if (status == XF_OK && *decoded > capacity)
		status = 99;
	if (status == XF_OK && result)
		memcpy(result, out, *decoded);
	free(in);
	free(out);
	return status;
}

/* Encodes length bytes, decodes them back; the encoded size, or 0 when
 * the encoder found no room (with a capacity of length - 1). */
static bool dense_round_trip(const uint8_t *data, size_t length,
			     size_t *encoded)
{
	static uint8_t block[CODEC_BOUND(PAGE)], back[PAGE];
	size_t decoded;
	int status;

	status = codec_dense_encode(&dense_workspace, data, length, block,
				    sizeof(block), encoded);
	if (status != XF_OK)
		return false;
	return dense_decode_copy(block, *encoded, length, back, &decoded) == XF_OK &&
	       decoded == length && memcmp(back, data, length) == 0;
}

enum { DENSE_ZERO, DENSE_WORD, DENSE_RANDOM, DENSE_ALTERNATING_BYTES,
       DENSE_ALTERNATING_WORDS, DENSE_TWO_RUNS, DENSE_RUN_ONE_OFF,
       DENSE_PERIOD_3, DENSE_MANY_MATCHES, DENSE_KINDS };

static const char *const dense_kind_names[DENSE_KINDS] = {
	"all zero", "one word repeated", "random", "alternating bytes",
	"alternating words", "two page-long runs", "run with one byte off",
	"period 3", "a short match every 4 bytes",
};

static void dense_adversarial(uint8_t *page, unsigned kind)
{
	uint64_t rng = 99 + kind, word = 0x00007f12345678a0ull;

	for (size_t i = 0; i < PAGE; i++) {
		switch (kind) {
		case DENSE_ZERO:
			page[i] = 0;
			break;
		case DENSE_WORD:
			page[i] = (uint8_t)(word >> (i % 8 * 8));
			break;
		case DENSE_RANDOM:
			page[i] = (uint8_t)test_codec_rng(&rng);
			break;
		case DENSE_ALTERNATING_BYTES:
			page[i] = i % 2 ? 0xff : 0x00;
			break;
		case DENSE_ALTERNATING_WORDS:
			page[i] = (uint8_t)((i / 8) % 2 ? word >> (i % 8 * 8) : 0);
			break;
		case DENSE_TWO_RUNS:
			page[i] = i < PAGE / 2 ? 0xaa : 0x55;
			break;
		case DENSE_RUN_ONE_OFF:
			page[i] = i == PAGE - 1 ? 0x01 : 0xcc;
			break;
		case DENSE_PERIOD_3:
			page[i] = (uint8_t)("xyz"[i % 3]);
			break;
		default:	/* more sequences than the parse has room for */
			page[i] = i % 4 ? 0 : (uint8_t)test_codec_rng(&rng);
			break;
		}
	}
}

HTEST(dense_adversarial_pages)
{
	uint8_t *page = malloc(PAGE);
	size_t encoded;

	for (unsigned kind = 0; kind < DENSE_KINDS; kind++) {
		bool ok;

		dense_adversarial(page, kind);
		ok = dense_round_trip(page, PAGE, &encoded);
		htest_log("%s: %zu bytes", dense_kind_names[kind], encoded);
		HCHECK(ok);
		if (kind == DENSE_RANDOM)
			HCHECK(encoded > PAGE - PAGE / 64);	/* no gain to find */
		else if (kind == DENSE_MANY_MATCHES)
			HCHECK(encoded < PAGE / 2);
		else
			HCHECK(encoded < 64);	/* a header and a few symbols */
		/* each byte changed in turn (a sample): still round trips */
		for (size_t at = kind; at < PAGE; at += 397) {
			page[at] ^= 0x10;
			HCHECK(dense_round_trip(page, PAGE, &encoded));
			page[at] ^= 0x10;
		}
	}
	free(page);
}

HTEST(dense_corpus_one_byte_changed)
{
	const char *const *names;
	uint8_t *const *pages;
	const size_t *counts;
	size_t files = test_codec_corpus(&names, &pages, &counts), failures = 0;
	uint8_t *page = malloc(PAGE);
	uint64_t rng = 5;

	HCHECK(files > 0);
	for (size_t f = 0; f < files; f++)
		for (size_t i = 0; i < counts[f]; i += 7) {
			size_t encoded;

			memcpy(page, pages[f] + i * PAGE, PAGE);
			page[test_codec_rng(&rng) % PAGE] ^= 0x40;
			failures += !dense_round_trip(page, PAGE, &encoded);
		}
	HCHECK_EQ(failures, 0);
	free(page);
}

HTEST(dense_any_length)
{
	uint8_t *data = malloc(PAGE + 1), block[CODEC_BOUND(PAGE)];
	size_t encoded, failures = 0, tried = 0;

	for (unsigned kind = 0; kind < TEST_CODEC_KINDS; kind++) {
		test_codec_page(data, PAGE, kind, 3);
		for (size_t length = 1; length <= PAGE; length += length < 40 ? 1 : 97) {
			failures += !dense_round_trip(data, length, &encoded);
			tried++;
		}
		failures += !dense_round_trip(data, PAGE - 1, &encoded);
		tried++;
	}
	htest_log("%zu lengths, %zu failures", tried, failures);
	HCHECK_EQ(failures, 0);
	HCHECK_EQ(codec_dense_encode(&dense_workspace, data, 0, block, sizeof(block),
				     &encoded), XF_REFUSED);
	HCHECK_EQ(codec_dense_encode(&dense_workspace, data, PAGE + 1, block,
				     sizeof(block), &encoded), XF_REFUSED);
	free(data);
}

/* The encoder counts the bits before writing: with exactly the size it
 * reports it succeeds with the same bytes, with one byte less it refuses
 * (XF_NO_SPACE) and writes nothing past the capacity. */
HTEST(dense_exact_capacity)
{
	const char *const *names;
	uint8_t *const *pages;
	const size_t *counts;
	size_t files = test_codec_corpus(&names, &pages, &counts), checked = 0;
	static uint8_t first[CODEC_BOUND(PAGE)];

	HCHECK(files > 0);
	for (size_t f = 0; f < files; f++)
		for (size_t i = 0; i < counts[f]; i += 31) {
			const uint8_t *page = pages[f] + i * PAGE;
			size_t length, again;
			uint8_t *exact;

			HCHECK_EQ(codec_dense_encode(&dense_workspace, page, PAGE, first,
						     sizeof(first), &length), XF_OK);
			exact = malloc(length);
			HCHECK_EQ(codec_dense_encode(&dense_workspace, page, PAGE, exact,
						     length, &again), XF_OK);
			HCHECK(again == length && memcmp(exact, first, length) == 0);
			HCHECK_EQ(codec_dense_encode(&dense_workspace, page, PAGE, exact,
						     length - 1, &again), XF_NO_SPACE);
			free(exact);
			checked++;
		}
	HCHECK(checked > 0);
}

/* The bucket tables agree with the functions that define them (the
 * encoder's dense_bucket_of with dense_bucket for every value, and the
 * code-length symbols' extra bits with the zero runs'), and every value
 * 0..4096 (4096: a literal run of a whole page) lies in its bucket's
 * range. */
HTEST(dense_bucket_tables)
{
	for (unsigned b = 0; b < DENSE_RUN_BUCKETS; b++) {
		HCHECK_EQ(dense_bucket_bases[b], dense_bucket_base(b));
		HCHECK_EQ(dense_bucket_extras[b], dense_bucket_extra_bits(b));
		HCHECK(dense_bucket_extras[b] <= DENSE_BUCKET_EXTRA_MAX);
	}
	for (unsigned s = 0; s < DENSE_CLC_SYMBOLS; s++)
		HCHECK_EQ(dense_clc_extra_bits[s],
			  s < DENSE_CLC_ZERO_FIRST ? 0 :
			  dense_zero_run_extra[s - DENSE_CLC_ZERO_FIRST]);
	for (unsigned v = 0; v <= 4096; v++) {
		unsigned b = dense_bucket(v);

		HCHECK(b < (v < 4096 ? DENSE_BUCKETS : DENSE_RUN_BUCKETS));
		HCHECK_EQ(dense_bucket_of[v], b);
		HCHECK(v >= dense_bucket_bases[b]);
		HCHECK(v - dense_bucket_bases[b] < (1u << dense_bucket_extras[b]));
		HCHECK_EQ(dense_value_extra_bits(v), dense_bucket_extra_bits(b));
	}
}

HTEST(dense_sealed_form)
{
	uint8_t *page = malloc(PAGE), sealed[CODEC_SEALED_MAX], *out = malloc(PAGE);
	unsigned allowed = CODEC_ALLOW(CODEC_ID_SAMEFILL) | CODEC_ALLOW(CODEC_ID_DENSE);
	size_t length, decoded;

	/* a compressible page: header 4, then the dense block */
	test_codec_page(page, PAGE, 4, 8);
	HCHECK_EQ(codec_seal(&dense_workspace, allowed, page, PAGE, sealed,
			     sizeof(sealed), &length), XF_OK);
	HCHECK_EQ(sealed[0], CODEC_ID_DENSE);
	HCHECK(length < PAGE / 2);
	HCHECK_EQ(codec_unseal(sealed, length, out, PAGE, &decoded), XF_OK);
	HCHECK(decoded == PAGE && memcmp(out, page, PAGE) == 0);
	/* same-filled: the word, not a dense block */
	test_codec_page(page, PAGE, 1, 8);
	HCHECK_EQ(codec_seal(&dense_workspace, allowed, page, PAGE, sealed,
			     sizeof(sealed), &length), XF_OK);
	HCHECK_EQ(sealed[0], CODEC_ID_SAMEFILL);
	/* incompressible: raw */
	test_codec_page(page, PAGE, 2, 8);
	HCHECK_EQ(codec_seal(&dense_workspace, allowed, page, PAGE, sealed,
			     sizeof(sealed), &length), XF_OK);
	HCHECK_EQ(sealed[0], CODEC_ID_RAW);
	HCHECK_EQ(length, PAGE + CODEC_HEADER_BYTES);
	/* the adaptive choice never takes dense */
	test_codec_page(page, PAGE, 4, 8);
	HCHECK_EQ(codec_seal(&dense_workspace, CODEC_ALLOW_ALL, page, PAGE, sealed,
			     sizeof(sealed), &length), XF_OK);
	HCHECK(sealed[0] != CODEC_ID_DENSE);
	free(page);
	free(out);
}

/* A wide entry gives back every field packed into it, for every bucket
 * of every alphabet (the largest base is a literal run's last bucket) and
 * every code length a table may hold, with and without the repeat flag;
 * the total is the reader's shift, code and extra bits together. */
HTEST(dense_wide_entry_fields)
{
	for (unsigned bucket = 0; bucket < DENSE_RUN_BUCKETS; bucket++) {
		unsigned extra = dense_bucket_extra_bits(bucket);
		unsigned base = DENSE_MIN_MATCH + dense_bucket_base(bucket);

		for (unsigned length = 1; length <= 15; length++) {
			for (unsigned repeat = 0; repeat < 2; repeat++) {
				uint32_t e = DENSE_WIDE_ENTRY(DENSE_PAYLOAD(base, extra) |
							      (repeat ? DENSE_WIDE_REPEAT : 0),
							      length);

				HCHECK_EQ(DENSE_WIDE_TOTAL(e), length + extra);
				HCHECK_EQ(DENSE_WIDE_LENGTH(e), length);
				HCHECK_EQ(DENSE_WIDE_EXTRA(e), extra);
				HCHECK_EQ(DENSE_WIDE_BASE(e), base);
				HCHECK_EQ((e & DENSE_WIDE_REPEAT) != 0, repeat);
				HCHECK_EQ(e >> DENSE_CLC_VALUE_SHIFT, 0);
			}
		}
	}
}

/* The prebuilt table of the default distance code is what the decoder's
 * builder makes of the default lengths (make dense-distance-table writes
 * it again), and every index has a code (the default code is complete). */
HTEST(dense_default_distance_table_prebuilt)
{
	uint32_t built[DENSE_DISTANCE_TABLE];
	unsigned differ = 0;

	HCHECK(codec_dense_build_default_distances(built));
	for (unsigned i = 0; i < DENSE_DISTANCE_TABLE; i++) {
		differ += built[i] != dense_default_distance_table[i];
		HCHECK(DENSE_WIDE_LENGTH(dense_default_distance_table[i]) != 0);
	}
	if (differ)
		htest_log("%u entries differ: run make dense-distance-table", differ);
	HCHECK_EQ(differ, 0);
}

/* The decoder's code-length-code entries agree with the format's
 * zero-run buckets. */
HTEST(dense_code_length_tables)
{
	for (unsigned s = 0; s < DENSE_CLC_ZERO_FIRST; s++) {
		uint32_t e = dense_clc_payloads[s];

		HCHECK_EQ(e >> DENSE_CLC_VALUE_SHIFT, s + 1);
		HCHECK_EQ(DENSE_WIDE_BASE(e), 1);
		HCHECK_EQ(DENSE_WIDE_EXTRA(e), 0);
		HCHECK_EQ(DENSE_WIDE_LENGTH(e), 0);
	}
	for (unsigned k = 0; k < DENSE_CLC_ZERO_BUCKETS; k++) {
		uint32_t e = dense_clc_payloads[DENSE_CLC_ZERO_FIRST + k];

		HCHECK_EQ(e >> DENSE_CLC_VALUE_SHIFT, 0);
		HCHECK_EQ(DENSE_WIDE_BASE(e), dense_zero_run_base[k]);
		HCHECK_EQ(DENSE_WIDE_EXTRA(e), dense_zero_run_extra[k]);
		HCHECK_EQ(DENSE_WIDE_LENGTH(e), 0);
	}
	/* the longest run is the last bucket's top */
	HCHECK_EQ(dense_zero_run_base[DENSE_CLC_ZERO_BUCKETS - 1] +
		  (1u << dense_zero_run_extra[DENSE_CLC_ZERO_BUCKETS - 1]) - 1,
		  DENSE_ZERO_RUN_MAX);
}

/* An LSB-first bit writer for blocks made by hand. */
struct dense_bits {
	uint8_t bytes[64];
	size_t count;	/* bits */
};

static void bits_put(struct dense_bits *b, unsigned value, unsigned length)
{
	for (unsigned i = 0; i < length; i++, b->count++)
		if (value >> i & 1)
			b->bytes[b->count / 8] |= (uint8_t)(1u << (b->count % 8));
}

/* A Huffman code, first bit first (the stream reads codes that way). */
static void bits_code(struct dense_bits *b, unsigned code, unsigned length)
{
	for (unsigned i = length; i-- > 0;)
		bits_put(b, code >> i & 1, 1);
}

static size_t bits_bytes(const struct dense_bits *b)
{
	return (b->count + 7) / 8;
}

/* What a hand-made block breaks (DENSE_HAND_VALID: nothing). */
enum dense_hand_flaw {
	DENSE_HAND_VALID,
	DENSE_HAND_RUN_COUNT_OVER,	/* 26 literal-run symbols */
	DENSE_HAND_CLC_OVER_FULL,	/* 21 code-length codes of 1 bit */
	DENSE_HAND_LITERALS_OVER,	/* more literals than the length */
	DENSE_HAND_OFFSET_OVER,		/* stream B after the input's end */
	DENSE_HAND_GAP,			/* a byte between stream A and B */
	DENSE_HAND_LITERAL_NO_CODE,	/* literals sent as a bit no code has */
};

/* The header field of stream B's offset starts here for a length other
 * than a page. */
#define DENSE_HAND_OFFSET_AT (1 + DENSE_HEADER_LENGTH_BITS)

/* Writes a block by hand: length bytes of output, literal_count in the
 * header, that many literals 'A' (code 0 of 1 bit; the code is
 * incomplete, 1 has no symbol) alternating between stream A and B, then
 * the sequences given as (run symbol, match
 * symbol, distance symbol) triples, each symbol a 1-bit code (run
 * symbols 0 and 1: runs of 0 and 1; match symbols 0: length 2 with a
 * distance symbol, 1: stands for match symbol 24, length 2 at rep0;
 * distance symbols 0: rep1, 1: distance 1; a distance of -1 is left out,
 * a match symbol of -1 ends the block after the run). The code-length
 * code gives symbols 0 (length 1), 17, 18 and 20 (zero runs of 18 + 4
 * bits, 34 + 5, 130 + 7 bits) 2-bit codes: 00, 01, 10, 11. */
static void dense_hand_block(struct dense_bits *b, unsigned length,
			     unsigned literal_count, const int (*sequences)[3],
			     size_t sequence_count, enum dense_hand_flaw flaw)
{
	struct dense_bits odd = { { 0 }, 0 };
	unsigned offset;

	memset(b, 0, sizeof(*b));
	bits_put(b, 0, 1);
	bits_put(b, length, DENSE_HEADER_LENGTH_BITS);
	bits_put(b, 0, DENSE_HEADER_OFFSET_BITS);	/* set below */
	bits_put(b, flaw == DENSE_HAND_LITERALS_OVER ? length + 1 : literal_count,
		 DENSE_HEADER_LITERAL_COUNT_BITS);
	bits_put(b, flaw == DENSE_HAND_RUN_COUNT_OVER ? DENSE_RUN_SYMBOLS + 1 : 2,
		 DENSE_HEADER_RUN_COUNT_BITS);
	bits_put(b, DENSE_MATCH_REP0_FIRST + 1, DENSE_HEADER_MATCH_COUNT_BITS);
	bits_put(b, 2, DENSE_HEADER_DISTANCE_COUNT_BITS);
	bits_put(b, DENSE_CLC_SYMBOLS, DENSE_HEADER_CLC_COUNT_BITS);
	for (unsigned i = 0; i < DENSE_CLC_SYMBOLS; i++) {
		unsigned symbol = dense_clc_order[i];

		bits_put(b, flaw == DENSE_HAND_CLC_OVER_FULL ? 1 :
			    symbol == 0 || symbol == 17 || symbol == 18 ||
			    symbol == 20 ? 2 : 0,
			 DENSE_CLC_LENGTH_BITS);
	}
	/* literals: 65 zeros (34 + 31), 'A' (length 1, or 2 for the flaw),
	 * 190 zeros (130 + 60); runs: 1, 1; matches: 1, 23 zeros (18 + 5),
	 * 1; distances: 1, 1 */
	bits_code(b, 2, 2);
	bits_put(b, 31, 5);
	bits_code(b, 0, 2);
	bits_code(b, 3, 2);
	bits_put(b, 60, 7);
	bits_code(b, 0, 2);
	bits_code(b, 0, 2);
	bits_code(b, 0, 2);
	bits_code(b, 1, 2);
	bits_put(b, 5, 4);
	bits_code(b, 0, 2);
	bits_code(b, 0, 2);
	bits_code(b, 0, 2);
	/* the literals alternate between stream A and B; then the
	 * sequences in A. 'A' alone has a code (0): 1 reaches none. */
	for (unsigned i = 0; i < literal_count; i++)
		bits_code(i % 2 ? &odd : b, flaw == DENSE_HAND_LITERAL_NO_CODE, 1);
	for (size_t q = 0; q < sequence_count; q++) {
		bits_code(b, (unsigned)sequences[q][0], 1);
		if (sequences[q][1] < 0)
			break;
		bits_code(b, (unsigned)sequences[q][1], 1);
		if (sequences[q][2] >= 0)
			bits_code(b, (unsigned)sequences[q][2], 1);
	}
	offset = (unsigned)bits_bytes(b);
	if (flaw == DENSE_HAND_GAP)
		b->count = 8 * (size_t)++offset;
	if (flaw == DENSE_HAND_OFFSET_OVER)
		offset += 2;
	for (unsigned i = 0; i < DENSE_HEADER_OFFSET_BITS; i++) {
		size_t at = DENSE_HAND_OFFSET_AT + i;

		b->bytes[at / 8] = (uint8_t)((b->bytes[at / 8] & ~(1u << at % 8)) |
					     (offset >> i & 1) << at % 8);
	}
	/* stream B from the offset */
	b->count = 8 * (size_t)offset;
	for (size_t i = 0; i < odd.count; i++)
		bits_put(b, odd.bytes[i / 8] >> i % 8 & 1, 1);
}

HTEST(dense_malformed)
{
	/* 'A', then 2 bytes from 1 back */
	static const int valid[][3] = { { 1, 0, 1 } };
	static const int before_output[][3] = { { 0, 0, 1 } };
	static const int rep1_before_output[][3] = { { 1, 0, 0 } };
	static const int run_over_literals[][3] = { { 1, -1, -1 } };
	/* 'A' (stream A), "AA" from 1 back, 'A' (stream B) */
	static const int two_runs[][3] = { { 1, 0, 1 }, { 1, -1, -1 } };
	struct dense_bits b;
	uint8_t out[PAGE];
	size_t decoded;

	/* the hand-made block is valid: "A", then 2 bytes from 1 back */
	dense_hand_block(&b, 3, 1, valid, 1, DENSE_HAND_VALID);
	HCHECK_EQ(dense_decode_copy(b.bytes, bits_bytes(&b), PAGE, out, &decoded), XF_OK);
	HCHECK(decoded == 3 && memcmp(out, "AAA", 3) == 0);
	/* into an output one byte short: no space */
	HCHECK_EQ(dense_decode_copy(b.bytes, bits_bytes(&b), 2, NULL, &decoded), XF_NO_SPACE);
	/* a byte after the streams' end */
	HCHECK_EQ(dense_decode_copy(b.bytes, bits_bytes(&b) + 1, PAGE, NULL, &decoded), XF_CORRUPT);
	/* every strict prefix */
	for (size_t cut = 0; cut < bits_bytes(&b); cut++)
		HCHECK_EQ(dense_decode_copy(b.bytes, cut, PAGE, NULL, &decoded), XF_CORRUPT);

	/* a match longer than the output left (length 2 announced) */
	dense_hand_block(&b, 2, 1, valid, 1, DENSE_HAND_VALID);
	HCHECK_EQ(dense_decode_copy(b.bytes, bits_bytes(&b), PAGE, NULL, &decoded), XF_CORRUPT);
	/* a match into the literals not yet used: 2 literals in an output of
	 * 3, a run of 1, then a match of 2 */
	dense_hand_block(&b, 3, 2, valid, 1, DENSE_HAND_VALID);
	HCHECK_EQ(dense_decode_copy(b.bytes, bits_bytes(&b), PAGE, NULL, &decoded), XF_CORRUPT);
	/* two literals, one from each stream, in two runs: "AAAA" */
	dense_hand_block(&b, 4, 2, two_runs, 2, DENSE_HAND_VALID);
	HCHECK_EQ(dense_decode_copy(b.bytes, bits_bytes(&b), PAGE, out, &decoded), XF_OK);
	HCHECK(decoded == 4 && memcmp(out, "AAAA", 4) == 0);
	for (size_t cut = 0; cut < bits_bytes(&b); cut++)
		HCHECK_EQ(dense_decode_copy(b.bytes, cut, PAGE, NULL, &decoded), XF_CORRUPT);
	/* a literal with no code */
	dense_hand_block(&b, 3, 1, valid, 1, DENSE_HAND_LITERAL_NO_CODE);
	HCHECK_EQ(dense_decode_copy(b.bytes, bits_bytes(&b), PAGE, NULL, &decoded), XF_CORRUPT);
	/* a match before any output: distance 1 from position 0 */
	dense_hand_block(&b, 2, 0, before_output, 1, DENSE_HAND_VALID);
	HCHECK_EQ(dense_decode_copy(b.bytes, bits_bytes(&b), PAGE, NULL, &decoded), XF_CORRUPT);
	/* rep1 (16 at the start) reaching before the output */
	dense_hand_block(&b, 3, 1, rep1_before_output, 1, DENSE_HAND_VALID);
	HCHECK_EQ(dense_decode_copy(b.bytes, bits_bytes(&b), PAGE, NULL, &decoded), XF_CORRUPT);
	/* a literal run longer than the literals decoded (none) */
	dense_hand_block(&b, 1, 0, run_over_literals, 1, DENSE_HAND_VALID);
	HCHECK_EQ(dense_decode_copy(b.bytes, bits_bytes(&b), PAGE, NULL, &decoded), XF_CORRUPT);
	/* ...which is valid with its literal */
	dense_hand_block(&b, 1, 1, run_over_literals, 1, DENSE_HAND_VALID);
	HCHECK_EQ(dense_decode_copy(b.bytes, bits_bytes(&b), PAGE, out, &decoded), XF_OK);
	HCHECK(decoded == 1 && out[0] == 'A');
	/* more literal-run symbols than the alphabet has */
	dense_hand_block(&b, 3, 1, valid, 1, DENSE_HAND_RUN_COUNT_OVER);
	HCHECK_EQ(dense_decode_copy(b.bytes, sizeof(b.bytes), PAGE, NULL, &decoded), XF_CORRUPT);
	/* a code-length code with 21 codes of 1 bit */
	dense_hand_block(&b, 3, 1, valid, 1, DENSE_HAND_CLC_OVER_FULL);
	HCHECK_EQ(dense_decode_copy(b.bytes, sizeof(b.bytes), PAGE, NULL, &decoded), XF_CORRUPT);
	/* more literals than the output */
	dense_hand_block(&b, 3, 1, valid, 1, DENSE_HAND_LITERALS_OVER);
	HCHECK_EQ(dense_decode_copy(b.bytes, bits_bytes(&b), PAGE, NULL, &decoded), XF_CORRUPT);
	/* stream B starting after the input */
	dense_hand_block(&b, 3, 1, valid, 1, DENSE_HAND_OFFSET_OVER);
	HCHECK_EQ(dense_decode_copy(b.bytes, bits_bytes(&b), PAGE, NULL, &decoded), XF_CORRUPT);
	/* a byte between the streams (stream A ends before the offset) */
	dense_hand_block(&b, 3, 1, valid, 1, DENSE_HAND_GAP);
	HCHECK_EQ(dense_decode_copy(b.bytes, bits_bytes(&b), PAGE, NULL, &decoded), XF_CORRUPT);
	/* length 0 in the header */
	memset(&b, 0, sizeof(b));
	HCHECK_EQ(dense_decode_copy(b.bytes, 8, PAGE, NULL, &decoded), XF_CORRUPT);
	/* nothing at all */
	HCHECK_EQ(dense_decode_copy(b.bytes, 0, PAGE, NULL, &decoded), XF_CORRUPT);
}

/* A header field of a block (length bits at bit position at, low bit
 * first), read and written. */
static unsigned dense_field_get(const uint8_t *block, size_t at, unsigned length)
{
	unsigned value = 0;

	for (unsigned i = 0; i < length; i++)
		value |= (unsigned)(block[(at + i) / 8] >> (at + i) % 8 & 1) << i;
	return value;
}

static void dense_field_set(uint8_t *block, size_t at, unsigned length,
			    unsigned value)
{
	for (unsigned i = 0; i < length; i++) {
		size_t bit = at + i;

		block[bit / 8] = (uint8_t)((block[bit / 8] & ~(1u << bit % 8)) |
					   (value >> i & 1) << bit % 8);
	}
}

/* Where a whole page's header fields start: after the whole-page bit,
 * the offset, then the literal count and, with four streams, the sizes
 * of B and C. */
#define DENSE_PAGE_LITERALS_AT (1 + DENSE_HEADER_OFFSET_BITS)
#define DENSE_PAGE_SIZE_B_AT (DENSE_PAGE_LITERALS_AT + DENSE_HEADER_LITERAL_COUNT_BITS)
#define DENSE_PAGE_SIZE_C_AT (DENSE_PAGE_SIZE_B_AT + DENSE_HEADER_LANE_BYTES_BITS)

/* Pages of k random bytes then zeros, k around DENSE_FOUR_LANES_FROM:
 * blocks with two and with four streams both round trip, and a four-stream
 * block whose stream sizes are off by one, or put a stream past the
 * block's end, is rejected (as is every prefix of it). */
HTEST(dense_four_lanes)
{
	static uint8_t page[PAGE], block[CODEC_BOUND(PAGE)], changed[CODEC_BOUND(PAGE)];
	unsigned seen_two = 0, seen_four = 0, size_b;
	size_t encoded = 0, decoded;
	uint32_t seed = 16;

	for (unsigned k = DENSE_FOUR_LANES_FROM - 24; k < DENSE_FOUR_LANES_FROM + 24; k++) {
		unsigned literals;

		memset(page, 0, sizeof(page));
		for (unsigned i = 0; i < k; i++) {
			seed = seed * 1103515245u + 12345u;
			page[i] = (uint8_t)(seed >> 16);
		}
		HCHECK(dense_round_trip(page, PAGE, &encoded));
		HCHECK_EQ(codec_dense_encode(&dense_workspace, page, PAGE, block,
					     sizeof(block), &encoded), XF_OK);
		literals = dense_field_get(block, DENSE_PAGE_LITERALS_AT,
					   DENSE_HEADER_LITERAL_COUNT_BITS);
		if (dense_lane_count(literals) == 2)
			seen_two++;
		else
			seen_four++;
	}
	/* both kinds were made (the last block has four streams) */
	HCHECK(seen_two > 0 && seen_four > 0);
	HCHECK_EQ(dense_lane_count(dense_field_get(block, DENSE_PAGE_LITERALS_AT,
						   DENSE_HEADER_LITERAL_COUNT_BITS)), 4);
	size_b = dense_field_get(block, DENSE_PAGE_SIZE_B_AT, DENSE_HEADER_LANE_BYTES_BITS);
	HCHECK(size_b > 0);
	/* stream B one byte longer or shorter: C starts elsewhere */
	for (int delta = -1; delta <= 1; delta += 2) {
		memcpy(changed, block, encoded);
		dense_field_set(changed, DENSE_PAGE_SIZE_B_AT, DENSE_HEADER_LANE_BYTES_BITS,
				size_b + (unsigned)delta);
		HCHECK_EQ(dense_decode_copy(changed, encoded, PAGE, NULL, &decoded), XF_CORRUPT);
	}
	/* stream D would start past the block's end */
	memcpy(changed, block, encoded);
	dense_field_set(changed, DENSE_PAGE_SIZE_C_AT, DENSE_HEADER_LANE_BYTES_BITS,
			(1u << DENSE_HEADER_LANE_BYTES_BITS) - 1);
	HCHECK_EQ(dense_decode_copy(changed, encoded, PAGE, NULL, &decoded), XF_CORRUPT);
	/* every strict prefix */
	for (size_t cut = 0; cut < encoded; cut++)
		HCHECK_EQ(dense_decode_copy(block, cut, PAGE, NULL, &decoded), XF_CORRUPT);
	/* and the block itself */
	HCHECK_EQ(dense_decode_copy(block, encoded, PAGE, changed, &decoded), XF_OK);
	HCHECK(decoded == PAGE && memcmp(changed, page, PAGE) == 0);
}

/* Where a whole page's distance count is: after the literal count, the
 * lane sizes of a four-stream block, the run and match counts. */
static size_t dense_page_distance_count_at(const uint8_t *block)
{
	unsigned literals = dense_field_get(block, DENSE_PAGE_LITERALS_AT,
					    DENSE_HEADER_LITERAL_COUNT_BITS);

	return DENSE_PAGE_LITERALS_AT + DENSE_HEADER_LITERAL_COUNT_BITS +
	       (dense_lane_count(literals) == 4 ? 2 * DENSE_HEADER_LANE_BYTES_BITS : 0) +
	       DENSE_HEADER_RUN_COUNT_BITS + DENSE_HEADER_MATCH_COUNT_BITS;
}

/* The default distance code: the in-tree corpus has pages whose blocks
 * name it and pages whose blocks send their own, both round trip, and a
 * block whose distance count is above the alphabet but not the default's
 * mark is rejected. */
HTEST(dense_default_distance_code)
{
	static uint8_t block[CODEC_BOUND(PAGE)], changed[CODEC_BOUND(PAGE)], out[PAGE];
	const char *const *names;
	uint8_t *const *pages;
	const size_t *counts;
	size_t files = test_codec_corpus(&names, &pages, &counts), encoded, decoded;
	size_t with_default = 0, with_own = 0;

	HCHECK(files > 0);
	for (size_t f = 0; f < files; f++) {
		for (size_t p = 0; p < counts[f]; p++) {
			const uint8_t *page = pages[f] + p * PAGE;
			size_t at;
			unsigned field;

			if (codec_dense_encode(&dense_workspace, page, PAGE, block,
					       sizeof(block), &encoded) != XF_OK)
				continue;
			HCHECK_EQ(dense_decode_copy(block, encoded, PAGE, out, &decoded), XF_OK);
			HCHECK(decoded == PAGE && memcmp(out, page, PAGE) == 0);
			at = dense_page_distance_count_at(block);
			field = dense_field_get(block, at, DENSE_HEADER_DISTANCE_COUNT_BITS);
			HCHECK(field <= DENSE_DISTANCE_SYMBOLS || field == DENSE_DISTANCE_DEFAULT);
			if (field != DENSE_DISTANCE_DEFAULT) {
				with_own++;
				continue;
			}
			/* the first few default blocks: every other count above
			 * the alphabet is rejected */
			if (with_default++ < 4) {
				for (unsigned bad = DENSE_DISTANCE_SYMBOLS + 1;
				     bad < DENSE_DISTANCE_DEFAULT; bad++) {
					memcpy(changed, block, encoded);
					dense_field_set(changed, at, DENSE_HEADER_DISTANCE_COUNT_BITS,
							bad);
					HCHECK_EQ(dense_decode_copy(changed, encoded, PAGE, NULL,
								    &decoded), XF_CORRUPT);
				}
			}
		}
	}
	htest_log("%zu blocks with the default distance code, %zu with their own",
		  with_default, with_own);
	HCHECK(with_default > 0 && with_own > 0);
}
