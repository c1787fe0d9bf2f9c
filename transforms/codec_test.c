/*
 * ktest suite "codec": the page codecs in the kernel, on real memory: the
 * pages of the corpus module (a raw page file, ../shared/corpus/python.pages
 * or the in-tree corpus/, passed by GRUB as module "corpus") go through
 * every codec and back; the page store keeps every object through
 * compaction; a store that is full keeps the region's page clear; a
 * compressing region (clock:adaptive, clock:dense) gives every page back
 * and reports its ratio.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/bootinfo.h"
#include "kernel/ktest/ktest.h"
#include "mm/direct_map.h"
#include "mm/frame.h"
#include "mm/region.h"
#include "mm/region_test_util.h"
#include "mm/store.h"
#include "mm/zstore.h"
#include "transforms/codec.h"

/* The corpus module's pages, or NULL (then the case is skipped). */
static const uint8_t *corpus_pages(uint32_t *count)
{
	for (unsigned i = 0; i < boot_info.module_count; i++) {
		const struct boot_module *m = &boot_info.modules[i];
		if (strcmp(m->name, "corpus") == 0 && m->end - m->start >= 4096) {
			*count = (uint32_t)((m->end - m->start) / 4096);
			return phys_to_virt(m->start);
		}
	}
	return NULL;
}

/* Scratch for the codecs: too big for a stack. */
static struct codec_workspace codec_test_workspace;
static uint8_t codec_test_encoded[CODEC_BOUND(4096) + 64];
static uint8_t codec_test_decoded[4096];

KTEST_SLOW(codec, corpus_round_trip_every_codec, 60000)
{
	uint32_t pages;
	const uint8_t *corpus = corpus_pages(&pages);

	if (!corpus)
		ktest_skip(t, "no corpus module (tests/run passes the shared or the in-tree corpus)");
	for (unsigned c = 0; codec_table[c]; c++) {
		const struct codec_ops *codec = codec_table[c];
		unsigned failures = 0, refused = 0;
		uint64_t encoded_bytes = 0;

		for (uint32_t p = 0; p < pages; p++) {
			const uint8_t *page = corpus + (uint64_t)p * 4096;
			size_t length, decoded;
			int result = codec->encode(&codec_test_workspace, page, 4096,
						   codec_test_encoded,
						   sizeof(codec_test_encoded), &length);
			if (result == XF_REFUSED) {
				refused++;
				continue;
			}
			encoded_bytes += length;
			if (result != XF_OK ||
			    codec->decode(codec_test_encoded, length, codec_test_decoded,
					  4096, &decoded) != XF_OK ||
			    decoded != 4096 ||
			    memcmp(codec_test_decoded, page, 4096) != 0)
				failures++;
		}
		ktest_log(t, "%s: %u pages, %u refused, %llu bytes encoded",
			  codec->name, pages, refused,
			  (unsigned long long)encoded_bytes);
		KTEST_EXPECT_EQ(t, failures, 0);
	}
}

static void *codec_test_page_alloc(void *context)
{
	uint64_t frame = frame_alloc();

	(void)context;
	return frame == FRAME_NONE ? NULL : frame_address(frame);
}

static void codec_test_page_free(void *context, void *page)
{
	(void)context;
	frame_free(virt_to_phys(page));
}

static struct store *codec_test_store(uint64_t frame_limit)
{
	struct zstore_config config = {
		.name = "ktest",
		.provider = { codec_test_page_alloc, codec_test_page_free, NULL },
		.frame_limit = frame_limit,
	};

	return zstore_create(&config);
}

#define COMPACT_OBJECTS 600

KTEST(codec, store_compaction_keeps_handles_and_content)
{
	static store_handle_t handles[COMPACT_OBJECTS];
	static uint8_t object[4096], back[4352];
	struct store *store = codec_test_store(4096);
	struct store_stats before, stats;
	unsigned bad = 0;

	KTEST_ASSERT(t, store != NULL);
	for (unsigned i = 0; i < COMPACT_OBJECTS; i++) {
		size_t length = 200 + (i * 37) % 1800;
		memset(object, (int)i, length);
		KTEST_ASSERT(t, store_put(store, object, length, &handles[i]) == STORE_OK);
	}
	for (unsigned i = 0; i < COMPACT_OBJECTS; i += 3)	/* leave holes */
		store_free(store, handles[i]);
	store_stats(store, &before);
	size_t released = store_compact(store);
	store_stats(store, &stats);
	ktest_log(t, "compaction released %zu frames (%llu -> %llu data frames), "
		  "moved %llu objects", released,
		  (unsigned long long)before.frames_used,
		  (unsigned long long)stats.frames_used,
		  (unsigned long long)stats.objects_moved);
	KTEST_EXPECT(t, stats.objects_moved > 0);
	/* a third of the objects gone leaves whole zspages to give back, and
	 * the figure returned is the store's own drop */
	KTEST_EXPECT(t, released > 0);
	KTEST_EXPECT_EQ(t, released, before.frames_used - stats.frames_used);
	for (unsigned i = 0; i < COMPACT_OBJECTS; i++) {
		size_t length = 200 + (i * 37) % 1800, got = 0;
		if (i % 3 == 0)
			continue;
		memset(object, (int)i, length);
		if (store_read(store, handles[i], back, sizeof(back), &got) != STORE_OK ||
		    got != length || memcmp(back, object, length) != 0)
			bad++;
	}
	KTEST_EXPECT_EQ(t, bad, 0);
	store->ops->destroy(store);
}

KTEST(codec, full_store_keeps_pages_clear)
{
	struct store *store = codec_test_store(16);
	struct region_config config = {
		.name = "full", .pages = 64, .clear_limit = 4,
		.scheme = "fifo:identity", .store = store,
	};
	struct region *region;
	struct region_stats stats;
	uint8_t expected[4096];
	unsigned bad = 0;

	KTEST_ASSERT(t, store && region_create(&config, &region) == REGION_OK);
	for (uint32_t p = 0; p < 64; p++)
		region_test_fill(region_page_address(region, p), p);
	region_get_stats(region, &stats);
	KTEST_EXPECT(t, stats.seal_failures > 0);
	for (uint32_t p = 0; p < 64; p++) {
		region_test_fill(expected, p);
		bad += memcmp(region_page_address(region, p), expected, 4096) != 0;
	}
	KTEST_EXPECT_EQ(t, bad, 0);
	region_destroy(region);
	store->ops->destroy(store);
}

/* A region of corpus pages under a compressing scheme: every page comes
 * back exact, twice over (the second pass faults in pages the first pass
 * evicted again), and the store reports how much it saved; returns the
 * store's ratio in thousandths. */
static uint64_t codec_test_region(struct ktest *t, const char *scheme)
{
	uint32_t pages;
	const uint8_t *corpus = corpus_pages(&pages);
	struct store *store = codec_test_store(8192);
	struct region_config config = {
		.name = "corpus", .pages = 512, .clear_limit = 32,
		.scheme = scheme, .store = store,
	};
	struct region *region;
	struct store_stats stats;
	unsigned bad = 0;

	if (!corpus)
		ktest_skip(t, "no corpus module");
	if (pages > 512)
		pages = 512;
	KTEST_ASSERT(t, store && region_create(&config, &region) == REGION_OK);
	for (uint32_t p = 0; p < pages; p++)
		memcpy(region_page_address(region, p), corpus + (uint64_t)p * 4096, 4096);
	store_stats(store, &stats);
	ktest_log(t, "%s: %llu pages sealed in %llu bytes, %llu data frames: "
		  "effective ratio %llu.%03llu", scheme,
		  (unsigned long long)stats.pages_stored,
		  (unsigned long long)stats.bytes_stored,
		  (unsigned long long)stats.frames_used,
		  (unsigned long long)(stats.ratio_milli / 1000),
		  (unsigned long long)(stats.ratio_milli % 1000));
	KTEST_EXPECT(t, stats.ratio_milli > 1000);
	for (unsigned pass = 0; pass < 2; pass++)
		for (uint32_t p = 0; p < pages; p++)
			bad += memcmp(region_page_address(region, p),
				      corpus + (uint64_t)p * 4096, 4096) != 0;
	KTEST_EXPECT_EQ(t, bad, 0);
	region_destroy(region);
	store->ops->destroy(store);
	return stats.ratio_milli;
}

KTEST_SLOW(codec, compressing_region_of_corpus_pages, 60000)
{
	codec_test_region(t, "clock:adaptive");
}

/* The dense codec through the region (scheme clock:dense): pages sealed
 * by it, faulted back in and evicted again, all exact. */
KTEST_SLOW(codec, dense_region_of_corpus_pages, 120000)
{
	codec_test_region(t, "clock:dense");
}
