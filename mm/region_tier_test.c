/*
 * ktest suite "region_tier": tiers in the kernel (mm/region_tier.h,
 * mm/region_tierd.c). One CPU: the tier thread of a tiered region moves
 * the pages sealed for the threshold to the dense chain by itself, every
 * page reads back, and the store holds fewer bytes (the figures, tiers on
 * and off, are logged). Every CPU: workers fault their slices in and out
 * with a shadow checksum per page while the tier thread recompresses and
 * a swapper changes among tiered and plain schemes (so migrations drain
 * both tiers of old schemes at the same time): no mismatch, every old
 * slot drained, frames and the store back once the region is destroyed.
 * With the corpus module: the store ratio of corpus pages by frames with
 * tiers off and on, each in a store of its own.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/bootinfo.h"
#include "kernel/cmdline.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/smp.h"
#include "mm/direct_map.h"
#include "mm/frame.h"
#include "mm/region.h"
#include "mm/region_migrate.h"
#include "mm/region_test_util.h"
#include "mm/slab.h"
#include "mm/store.h"
#include "mm/zstore.h"

#define TIER_TEST_PAGES 256u
#define TIER_TEST_WORKERS_MAX 4u

/* Text-like content: compressible by both chains, more by the dense
 * one (a Huffman code over a small alphabet), different per seed. */
static void tier_test_fill(void *page, uint64_t seed)
{
	static const char *const words[] = { "region ", "page ", "sealed ",
					     "tier ", "dense ", "clock ",
					     "adaptive ", "store " };
	uint8_t *bytes = page;
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (unsigned i = 0; i < 4096;) {
		const char *word = words[region_test_random(&x) % 8];
		size_t length = strlen(word);
		if (length > 4096 - i)
			length = 4096 - i;
		memcpy(bytes + i, word, length);
		i += (unsigned)length;
	}
}

/* Pages of the fast slot the walk should still move (none when the
 * scheme has no tiers). */
static uint32_t tier_test_cold(struct region *region)
{
	uint32_t cold = 0;
	unsigned long flags = spin_lock_irqsave(&region->lock);
	uint32_t pages = region->tier.slot == REGION_TIER_NONE ? 0 : region->pages;
	uint32_t now = (uint32_t)(region->stats.evictions >> region->tier.shift);

	for (uint32_t page = 0; page < pages; page++) {
		const struct region_page *record = region_page_record(region, page);
		cold += region_record_state(record) == REGION_SEALED &&
			region_record_slot(record) == region->current_scheme &&
			!region_record_tier_kept(record) &&
			((now - region_record_tier_stamp(record)) & 0xffu) >=
				region->tier.threshold_epochs;
	}
	spin_unlock_irqrestore(&region->lock, flags);
	return cold;
}

/* Waits (up to limit_ms) until the thread has no cold page left. */
static bool tier_test_wait_walk(struct region *region, unsigned limit_ms)
{
	for (unsigned waited = 0; waited < limit_ms; waited += 5) {
		if (tier_test_cold(region) == 0)
			return true;
		thread_sleep_ms(5);
	}
	return tier_test_cold(region) == 0;
}

static unsigned tier_test_mismatches(struct region *region, uint64_t seed)
{
	static uint8_t expected[4096];
	unsigned bad = 0;

	for (uint32_t page = 0; page < region->pages; page++) {
		tier_test_fill(expected, seed + page);
		bad += memcmp(region_page_address(region, page), expected,
			      sizeof(expected)) != 0;
	}
	return bad;
}

/* Store frames (data and metadata) now. */
static uint64_t tier_test_store_frames(void)
{
	struct store_stats stats;

	store_compact(store_default());
	store_stats(store_default(), &stats);
	return stats.frames_used + stats.metadata_frames;
}

/* The same pages under a plain and a tiered scheme: the tiered one's
 * thread moves the cold pages by itself; the store's bytes and frames
 * are logged for both. */
KTEST_SLOW(region_tier, cold_pages_recompressed_by_the_thread, 120000)
{
	static const char *const schemes[] = {
		"clock:adaptive,aes128-xts-mac",
		"clock:adaptive>dense,aes128-xts-mac",
	};
	const uint32_t pages = 512, limit = 16;

	for (unsigned s = 0; s < 2; s++) {
		uint64_t frames_before = tier_test_store_frames();
		struct region *region = region_test_create(t, schemes[s], pages,
							   limit);
		struct region_tier_status status;
		struct region_stats stats;

		KTEST_EXPECT_EQ(t, region_tier_set(region, 64, 8, 0), REGION_OK);
		for (uint32_t page = 0; page < pages; page++)
			tier_test_fill(region_page_address(region, page), 7 + page);
		uint64_t start = time_uptime_ns();
		bool walked = tier_test_wait_walk(region, 60000);
		uint64_t ms = (time_uptime_ns() - start) / 1000000u;
		region_get_stats(region, &stats);
		region_tier_get_status(region, &status);
		uint64_t frames = tier_test_store_frames() - frames_before;
		ktest_log(t, "%s: %llu sealed (%u fast, %u dense), %llu "
			  "recompressed, %llu kept, %llu store bytes, %llu store "
			  "frames: store ratio %llu.%02llu by frames, walk %llu ms",
			  schemes[s], (unsigned long long)stats.sealed_pages,
			  status.fast_pages, status.dense_pages,
			  (unsigned long long)status.recompressed,
			  (unsigned long long)status.kept,
			  (unsigned long long)stats.bytes_stored,
			  (unsigned long long)frames,
			  (unsigned long long)(frames ? stats.sealed_pages / frames : 0),
			  (unsigned long long)(frames ? stats.sealed_pages * 100 / frames % 100 : 0),
			  (unsigned long long)ms);
		KTEST_EXPECT(t, walked);
		KTEST_EXPECT_EQ(t, status.tiered, s == 1);
		if (s == 1) {
			KTEST_EXPECT(t, status.running);
			KTEST_EXPECT(t, status.recompressed > 0);
			KTEST_EXPECT_EQ(t, status.dense_pages, status.recompressed);
		} else {
			KTEST_EXPECT_EQ(t, status.recompressed + status.dense_pages, 0);
		}
		KTEST_EXPECT_EQ(t, tier_test_mismatches(region, 7), 0);
		region_get_stats(region, &stats);
		KTEST_EXPECT_EQ(t, stats.corrupt + stats.poisoned, 0);
		region_print(region);
		region_destroy(region);
	}
}

/* ---- corpus pages: the store ratio with tiers off and on -------------- */

/* The corpus module's pages, or NULL. */
static const uint8_t *tier_test_corpus(uint32_t *count)
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

static void *tier_test_page_alloc(void *context)
{
	uint64_t frame = frame_alloc();

	(void)context;
	return frame == FRAME_NONE ? NULL : frame_address(frame);
}

static void tier_test_page_free(void *context, void *page)
{
	(void)context;
	frame_free(virt_to_phys(page));
}

#define TIER_TEST_CORPUS_PAGES 1024u

/* pages corpus pages through a region of scheme over a store of its own,
 * the walk settled, read back twice; logs bytes and frames. Returns the
 * store ratio by frames in thousandths (sealed pages per frame). */
static uint64_t tier_test_corpus_run(struct ktest *t, const char *scheme,
				     const uint8_t *corpus, uint32_t pages)
{
	struct zstore_config store_config = {
		.name = "tier-corpus",
		.provider = { tier_test_page_alloc, tier_test_page_free, NULL },
		.frame_limit = 4 * TIER_TEST_CORPUS_PAGES,
	};
	struct store *store = zstore_create(&store_config);
	struct region_config config = {
		.name = "tier-corpus", .pages = pages, .clear_limit = 32,
		.scheme = scheme, .store = store,
	};
	struct region *region = NULL;
	struct region_stats stats;
	struct region_tier_status tier;
	struct store_stats held;
	unsigned bad = 0;

	KTEST_ASSERT(t, store && region_create(&config, &region) == REGION_OK);
	KTEST_EXPECT_EQ(t, region_tier_set(region, 64, 8, 0), REGION_OK);
	for (uint32_t p = 0; p < pages; p++)
		memcpy(region_page_address(region, p), corpus + (uint64_t)p * 4096, 4096);
	region_tier_settle(region);
	store_compact(store);
	region_get_stats(region, &stats);
	region_tier_get_status(region, &tier);
	store_stats(store, &held);
	uint64_t frames = held.frames_used + held.metadata_frames;
	uint64_t frame_milli = frames ? stats.sealed_pages * 1000u / frames : 0;
	uint64_t byte_milli = stats.bytes_stored ?
		stats.sealed_pages * 4096000u / stats.bytes_stored : 0;
	ktest_log(t, "%s: %llu corpus pages sealed (%u fast, %u dense, %llu "
		  "kept fast), %llu bytes (codec ratio %llu.%03llu), %llu store "
		  "frames with %llu of metadata: store ratio %llu.%03llu by frames",
		  scheme, (unsigned long long)stats.sealed_pages, tier.fast_pages,
		  tier.dense_pages, (unsigned long long)tier.kept,
		  (unsigned long long)stats.bytes_stored,
		  (unsigned long long)(byte_milli / 1000),
		  (unsigned long long)(byte_milli % 1000),
		  (unsigned long long)frames,
		  (unsigned long long)held.metadata_frames,
		  (unsigned long long)(frame_milli / 1000),
		  (unsigned long long)(frame_milli % 1000));
	for (unsigned pass = 0; pass < 2; pass++)
		for (uint32_t p = 0; p < pages; p++)
			bad += memcmp(region_page_address(region, p),
				      corpus + (uint64_t)p * 4096, 4096) != 0;
	KTEST_EXPECT_EQ(t, bad, 0);
	region_get_stats(region, &stats);
	KTEST_EXPECT_EQ(t, stats.corrupt + stats.poisoned, 0);
	region_destroy(region);
	store_destroy(store);
	return frame_milli;
}

/* Corpus pages with tiers off and on: the dense tier holds them in fewer
 * frames. */
KTEST_SLOW(region_tier, corpus_store_ratio_tiers_off_and_on, 300000)
{
	uint32_t pages = 0;
	const uint8_t *corpus = tier_test_corpus(&pages);

	if (!corpus)
		ktest_skip(t, "no corpus module");
	if (pages > TIER_TEST_CORPUS_PAGES)
		pages = TIER_TEST_CORPUS_PAGES;
	uint64_t off = tier_test_corpus_run(t, "clock:adaptive,aes128-xts-mac",
					    corpus, pages);
	uint64_t on = tier_test_corpus_run(
		t, "clock:adaptive>dense,aes128-xts-mac", corpus, pages);
	ktest_log(t, "store ratio by frames: tiers off %llu.%03llu, on "
		  "%llu.%03llu (%u pages, clear set 32, threshold 64 evictions, "
		  "walk settled, store compacted)",
		  (unsigned long long)(off / 1000), (unsigned long long)(off % 1000),
		  (unsigned long long)(on / 1000), (unsigned long long)(on % 1000),
		  pages);
	KTEST_EXPECT(t, on > off);
}

/* ---- every CPU: faults, the tier walk and scheme swaps together ------- */

static const char *const tier_test_schemes[] = {
	"clock:adaptive>dense,aes128-xts-mac", "clock:lz4>dense",
	"clock:adaptive", "clock:lz4>dense,aes128-xts-mac",
};
#define TIER_TEST_SCHEMES 4u

struct tier_load {
	struct region *region;
	unsigned workers;
	bool done;		/* atomic: the swapper finished */
	unsigned ready;		/* atomic: workers that wrote their slice */
	uint64_t swaps_wanted, swaps, refused;
};

struct tier_worker {
	struct tier_load *load;
	unsigned index;
	uint64_t accesses, writes, mismatches;
	uint64_t shadow[TIER_TEST_PAGES];
};

/* A worker: its own slice, 3 of 4 accesses to its first eighth, a third
 * of them writes, every read checked against the shadow checksum. */
static void tier_worker_thread(void *argument)
{
	struct tier_worker *worker = argument;
	struct tier_load *load = worker->load;
	uint32_t count = TIER_TEST_PAGES / load->workers;
	uint32_t first = worker->index * count;
	uint64_t random = 0x9e3779b97f4a7c15ull * (worker->index + 1);
	uint64_t version = 1;

	for (uint32_t page = first; page < first + count; page++) {
		void *address = region_page_address(load->region, page);
		tier_test_fill(address, page);
		worker->shadow[page] = region_test_checksum(address);
	}
	__atomic_add_fetch(&load->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&load->done, __ATOMIC_ACQUIRE)) {
		uint64_t r = region_test_random(&random);
		uint32_t hot = count / 8 ? count / 8 : 1;
		uint32_t page = first + (uint32_t)((r & 3) ? (r >> 2) % hot :
							     (r >> 2) % count);
		void *address = region_page_address(load->region, page);
		if (region_test_random(&random) % 3 == 0) {
			tier_test_fill(address, (version++ << 16) ^ page);
			worker->shadow[page] = region_test_checksum(address);
			worker->writes++;
		} else if (region_test_checksum(address) != worker->shadow[page]) {
			worker->mismatches++;
		}
		if (++worker->accesses % 32 == 0)
			thread_yield();
	}
	for (uint32_t page = first; page < first + count; page++)
		worker->mismatches += region_test_checksum(region_page_address(
			load->region, page)) != worker->shadow[page];
}

/* The swapper: another scheme every few milliseconds (a change refused
 * while four slots hold pages waits for the migration). */
static void tier_swapper_thread(void *argument)
{
	struct tier_load *load = argument;
	uint64_t random = 0x2545f4914f6cdd1dull;
	unsigned current = 0;

	while (__atomic_load_n(&load->ready, __ATOMIC_ACQUIRE) < load->workers)
		thread_yield();
	while (load->swaps < load->swaps_wanted) {
		thread_sleep_ms(2 + (unsigned)(region_test_random(&random) % 8));
		unsigned next = (current + 1 + (unsigned)(region_test_random(
						 &random) % 3)) % TIER_TEST_SCHEMES;
		int result = region_set_scheme(load->region, tier_test_schemes[next]);
		if (result == REGION_NO_SPACE) {
			load->refused++;
			continue;
		}
		if (result != REGION_OK)
			break;
		current = next;
		load->swaps++;
	}
	/* the last scheme keeps working a moment, the walk with it */
	thread_sleep_ms(50);
	__atomic_store_n(&load->done, true, __ATOMIC_RELEASE);
}

struct tier_load_result {
	uint64_t swaps, refused, accesses, writes, mismatches, ms;
	struct region_stats stats;
	struct region_tier_status tier;
	struct region_migrate_status migration;
	enum region_migrate_state state;
	bool ran;
};

static void tier_load_run(struct ktest *t, uint64_t swaps,
			  struct tier_load_result *result)
{
	static struct tier_worker workers[TIER_TEST_WORKERS_MAX];
	struct thread *threads[TIER_TEST_WORKERS_MAX] = { 0 };
	struct tier_load load = { .swaps_wanted = swaps };
	unsigned made = 0;

	memset(result, 0, sizeof(*result));
	load.workers = cpu_count() > 1 ? cpu_count() - 1 : 1;
	if (load.workers > TIER_TEST_WORKERS_MAX)
		load.workers = TIER_TEST_WORKERS_MAX;
	load.region = region_test_create(t, tier_test_schemes[0],
					 TIER_TEST_PAGES, 64);
	KTEST_EXPECT_EQ(t, region_tier_set(load.region, 16, 4, 0), REGION_OK);
	KTEST_EXPECT_EQ(t, region_migrate_set_affinity(load.region, 1), REGION_OK);
	uint64_t start = time_uptime_ns();
	for (; made < load.workers; made++) {
		workers[made] = (struct tier_worker){ .load = &load, .index = made };
		unsigned cpu = cpu_count() > 1 ? made + 1 : 0;
		threads[made] = thread_create_on("tier_load", tier_worker_thread,
						 &workers[made], 1ull << cpu);
		if (!threads[made])
			break;
	}
	struct thread *swapper = made == load.workers ?
		thread_create_on("tier_swap", tier_swapper_thread, &load, 1) : NULL;
	if (!swapper)
		__atomic_store_n(&load.done, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < made; i++)
		thread_join(threads[i]);
	if (swapper)
		thread_join(swapper);
	result->state = region_migrate_wait(load.region);
	result->ms = (time_uptime_ns() - start) / 1000000u;
	region_get_stats(load.region, &result->stats);
	region_tier_get_status(load.region, &result->tier);
	region_migrate_get_status(load.region, &result->migration);
	for (unsigned i = 0; i < made; i++) {
		result->accesses += workers[i].accesses;
		result->writes += workers[i].writes;
		result->mismatches += workers[i].mismatches;
	}
	result->swaps = load.swaps;
	result->refused = load.refused;
	result->ran = made == load.workers && swapper;
	ktest_log(t, "%u workers on %u CPUs, %llu swaps (%llu refused for a "
		  "while), %llu accesses (%llu writes) in %llu ms: %llu "
		  "mismatches; %llu recompressed, %llu kept, %llu migrated, "
		  "%llu faults; now %u fast, %u dense, %u left in older slots "
		  "(%s)", load.workers, cpu_count(),
		  (unsigned long long)load.swaps, (unsigned long long)load.refused,
		  (unsigned long long)result->accesses,
		  (unsigned long long)result->writes,
		  (unsigned long long)result->ms,
		  (unsigned long long)result->mismatches,
		  (unsigned long long)result->stats.recompressed,
		  (unsigned long long)result->stats.tier_kept,
		  (unsigned long long)result->stats.migrated,
		  (unsigned long long)result->stats.faults,
		  result->tier.fast_pages, result->tier.dense_pages,
		  result->migration.left,
		  region_migrate_state_name(result->state));
	region_print(load.region);
	region_destroy(load.region);
}

/* Swaps by CPU count: under TCG on a shared two-core host the vCPUs take
 * turns (20 swaps took 37 s on four CPUs, 40 took 21 s on two, 60 took
 * 5 to 12 s on one), and the smp boots run every suite in one budget. */
static unsigned long long tier_test_swaps_option;

static bool tier_test_set_swaps(const char *value)
{
	return cmdline_parse_range(value, 1, 100000, &tier_test_swaps_option);
}
CMDLINE_OPTION(tier_swaps, "tier_swaps",
	       "N scheme swaps of the region_tier load case (default 60 on one "
	       "CPU, 30 on two, 10 on three or four, 5 on more)", tier_test_set_swaps);

static uint64_t tier_test_swaps(void)
{
	unsigned cpus = cpu_count();

	if (tier_test_swaps_option)
		return tier_test_swaps_option;
	return cpus == 1 ? 60 : cpus == 2 ? 30 : cpus <= 4 ? 10 : 5;
}

/* A short run first (per-CPU state made on first use stays), then the
 * run that is checked. */
KTEST_SLOW(region_tier, recompress_under_faults_and_swaps, 600000)
{
	struct tier_load_result warm, run;
	struct store_stats store_before, store_after;

	tier_load_run(t, 2, &warm);
	KTEST_EXPECT_EQ(t, warm.mismatches, 0);
	uint64_t frames_before = region_test_free_frames();
	store_stats(store_default(), &store_before);
	tier_load_run(t, tier_test_swaps(), &run);
	store_stats(store_default(), &store_after);
	KTEST_ASSERT(t, warm.ran && run.ran);
	KTEST_EXPECT_EQ(t, run.swaps, tier_test_swaps());
	KTEST_EXPECT_EQ(t, run.mismatches, 0);
	KTEST_EXPECT(t, run.stats.recompressed > 0);
	KTEST_EXPECT_EQ(t, run.stats.corrupt + run.stats.poisoned, 0);
	KTEST_EXPECT(t, run.state == REGION_MIGRATE_DONE ||
			run.state == REGION_MIGRATE_IDLE);
	KTEST_EXPECT_EQ(t, run.migration.left, 0);
	KTEST_EXPECT_EQ(t, store_after.pages_stored, store_before.pages_stored);
	KTEST_EXPECT_EQ(t, store_after.bytes_stored, store_before.bytes_stored);
	KTEST_EXPECT_EQ(t, region_test_free_frames(), frames_before);
}
