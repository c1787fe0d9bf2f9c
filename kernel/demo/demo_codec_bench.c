/*
 * Benchmark codec (bench=codec, make bench-codec-kernel): each page codec
 * as the kernel built it, on the demo's pages (the corpus module, or the
 * synthetic pages without one). The host's make bench-codec times the
 * same sources built for the host, with the C library's memcpy and vector
 * registers; this one runs the kernel's build (its own memcpy, no vector
 * registers), which is what seals and restores pages. Each page is encoded
 * and decoded alone and the result compared with the page. One line per
 * codec:
 *
 *   codec=<name> pages=<n> ratio=<x> encode_ticks=<e> decode_ticks=<d>
 *   mismatches=<m>
 *
 * ticks are TSC ticks a page, which under QEMU -icount shift=0 (as
 * tools/bench-codec-kernel runs it) are instructions; ratio counts a page
 * the codec refused or did not shrink as 4096 bytes (a store keeps it
 * raw), as bench-codec does. A mismatch fails the benchmark.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/demo/demo_internal.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "transforms/codec.h"
#include "transforms/xf.h"

#define CODEC_BENCH_PAGE 4096u
/* Pages of the corpus timed: enough for a corpus's mix, few enough for a
 * minute of TCG with the dense codec. */
#define CODEC_BENCH_PAGES 512u

static struct codec_workspace codec_bench_workspace;
static uint8_t codec_bench_page[CODEC_BENCH_PAGE];
static uint8_t codec_bench_encoded[CODEC_BOUND(CODEC_BENCH_PAGE)];
static uint8_t codec_bench_decoded[CODEC_BENCH_PAGE];

struct codec_bench_result {
	uint64_t stored_bytes;
	uint64_t encode_ticks, decode_ticks;
	unsigned mismatches;
};

/* Encodes and decodes the page in codec_bench_page with codec, adding
 * to result; a page not shrunk counts 4096 bytes and no decode. */
static void codec_bench_page_once(const struct codec_ops *codec,
				  struct codec_bench_result *result)
{
	size_t length = 0, decoded = 0;
	uint64_t start = time_cycles();
	int status = codec->encode(&codec_bench_workspace, codec_bench_page,
				   CODEC_BENCH_PAGE, codec_bench_encoded,
				   sizeof(codec_bench_encoded), &length);

	result->encode_ticks += time_cycles() - start;
	if (status != XF_OK || length >= CODEC_BENCH_PAGE) {
		result->stored_bytes += CODEC_BENCH_PAGE;
		return;
	}
	result->stored_bytes += length;
	start = time_cycles();
	status = codec->decode(codec_bench_encoded, length, codec_bench_decoded,
			       CODEC_BENCH_PAGE, &decoded);
	result->decode_ticks += time_cycles() - start;
	if (status != XF_OK || decoded != CODEC_BENCH_PAGE ||
	    memcmp(codec_bench_decoded, codec_bench_page, CODEC_BENCH_PAGE) != 0)
		result->mismatches++;
}

/* Runs codec over pages pages of corpus and prints its line; false on a
 * mismatch. */
static bool codec_bench_one(const struct codec_ops *codec,
			    const struct demo_corpus *corpus, unsigned pages)
{
	struct codec_bench_result result = { 0 };
	char ratio[24];

	for (unsigned i = 0; i < pages; i++) {
		demo_corpus_fill(corpus, i, codec_bench_page);
		codec_bench_page_once(codec, &result);
	}
	demo_format_milli(ratio, sizeof(ratio),
			  result.stored_bytes ? (uint64_t)pages * CODEC_BENCH_PAGE *
						1000 / result.stored_bytes : 0, 3);
	printk("codec=%s pages=%u ratio=%s encode_ticks=%llu decode_ticks=%llu "
	       "mismatches=%u\n", codec->name, pages, ratio,
	       (unsigned long long)(result.encode_ticks / pages),
	       (unsigned long long)(result.decode_ticks / pages),
	       result.mismatches);
	return result.mismatches == 0;
}

KBENCH(codec)
{
	struct demo_corpus corpus;
	bool found = demo_corpus_find(&corpus);
	unsigned pages = found && corpus.pages < CODEC_BENCH_PAGES ?
			 corpus.pages : CODEC_BENCH_PAGES;
	bool ok = true;

	printk("# codec pages=%u source=%s\n", pages,
	       found ? corpus.name : "synthetic");
	for (unsigned c = 0; codec_table[c]; c++)
		ok = codec_bench_one(codec_table[c], &corpus, pages) && ok;
	if (!ok)
		ktest_bench_fail("a codec's decoded page differs from the page");
}
