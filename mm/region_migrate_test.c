/*
 * ktest suite "region_migrate": active migration (mm/region_migrate.h).
 * One CPU: a migration drains pages nobody touches; a fifth scheme change
 * is refused while four slots hold pages and accepted once they drained;
 * a region destroyed while it migrates is torn down safely. Several CPUs
 * (as many as are online, up to four workers): a read-write workload
 * with a shadow copy while another thread swaps the scheme at random
 * moments among identity, lz4, aes128-xts-mac and lz4 + aes128-xts-mac:
 * no mismatch, every old slot drained after the last swap, frames and
 * the store back to their start once the region is destroyed. The number
 * of swaps is migrate_swaps=N on the command line (default 1000 on one
 * CPU, 500 on two, 200 on four, 100 on eight; make test-long runs 5000 on
 * four).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/smp.h"
#include "mm/frame.h"
#include "mm/region.h"
#include "mm/region_boot.h"
#include "mm/region_migrate.h"
#include "mm/region_test_util.h"
#include "mm/slab.h"
#include "mm/store.h"

#define MIGRATE_TEST_WORKERS_MAX 4u
#define MIGRATE_TEST_PAGES 256u
#define MIGRATE_TEST_LIMIT 128u

/* 0: the default, fewer swaps the more vCPUs: under TCG on a shared
 * two-core host (load about 9), 1000 swaps took 21 s on one CPU, 250 took
 * 10 s on two, 95 to 120 s on four and 210 s on eight (the vCPUs spin on
 * the region's lock in turn, and the host runs them in turn). */
#define MIGRATE_TEST_SWAPS_ONE_CPU 1000u
static unsigned long long migrate_test_swaps_option;

static bool migrate_test_set_swaps(const char *value)
{
	return cmdline_parse_range(value, 1, ~0ull, &migrate_test_swaps_option);
}
CMDLINE_OPTION(migrate_swaps, "migrate_swaps",
	       "N scheme swaps of the region_migrate load case (default 1000 "
	       "on one CPU, 500 on two, 200 on three or four, 100 on more)",
	       migrate_test_set_swaps);

static uint64_t migrate_test_swaps(void)
{
	if (migrate_test_swaps_option)
		return migrate_test_swaps_option;
	unsigned cpus = cpu_count();
	return cpus == 1 ? MIGRATE_TEST_SWAPS_ONE_CPU :
	       cpus == 2 ? MIGRATE_TEST_SWAPS_ONE_CPU / 2 :
	       cpus <= 4 ? MIGRATE_TEST_SWAPS_ONE_CPU / 5 :
			   MIGRATE_TEST_SWAPS_ONE_CPU / 10;
}

static const char *const migrate_test_schemes[] = {
	"clock:identity", "clock:lz4", "clock:aes128-xts-mac",
	"clock:lz4,aes128-xts-mac",
};
#define MIGRATE_TEST_SCHEMES 4u

/* Pages sealed under a slot other than the sealing one. */
static uint32_t migrate_test_left(struct region *region)
{
	struct region_migrate_status status;

	region_migrate_get_status(region, &status);
	return status.left;
}

/* Every page written with region_test_fill(page, seed + page); most end
 * sealed (the clear set holds limit). */
static void migrate_test_fill(struct region *region, uint64_t seed)
{
	for (uint32_t page = 0; page < region->pages; page++)
		region_test_fill(region_page_address(region, page), seed + page);
}

/* Pages whose content is not region_test_fill(seed + page)'s. */
static unsigned migrate_test_mismatches(struct region *region, uint64_t seed)
{
	static uint8_t expected[4096];
	unsigned bad = 0;

	for (uint32_t page = 0; page < region->pages; page++) {
		region_test_fill(expected, seed + page);
		bad += memcmp(region_page_address(region, page), expected,
			      sizeof(expected)) != 0;
	}
	return bad;
}

/* ---- one region, no workload ------------------------------------------- */

/* Pages nobody touches after the change all move: the old slot drains,
 * each page counted as migrated, the content intact. Also the cost per
 * page migrated, for a few pairs. */
KTEST_SLOW(region_migrate, drains_untouched_pages, 120000)
{
	static const char *const pairs[][2] = {
		{ "clock:lz4", "clock:identity" },
		{ "clock:identity", "clock:lz4" },
		{ "clock:lz4,aes128-xts-mac", "clock:lz4" },
		{ "clock:aes128-xts-mac", "clock:lz4,aes128-xts-mac" },
	};

	for (unsigned i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct region *region = region_test_create(t, pairs[i][0], 128, 8);
		struct region_stats before, after;
		struct region_migrate_status status;

		migrate_test_fill(region, 11);
		region_get_stats(region, &before);
		uint64_t start = time_uptime_ns();
		KTEST_EXPECT_EQ(t, region_set_scheme(region, pairs[i][1]), REGION_OK);
		enum region_migrate_state state = region_migrate_wait(region);
		uint64_t ns = time_uptime_ns() - start;
		region_get_stats(region, &after);
		region_migrate_get_status(region, &status);
		uint64_t moved = after.migrated - before.migrated;
		ktest_log(t, "%s -> %s: %llu sealed pages, %llu migrated in %llu us "
			  "(%llu ns per page with the change, %u CPU(s) online), %llu "
			  "holds, longest %llu us, state %s", pairs[i][0],
			  pairs[i][1], (unsigned long long)before.sealed_pages,
			  (unsigned long long)moved,
			  (unsigned long long)(ns / 1000u),
			  (unsigned long long)(moved ? ns / moved : 0),
			  cpu_count(), (unsigned long long)status.holds,
			  (unsigned long long)(status.max_hold_ns / 1000u),
			  region_migrate_state_name(state));
		KTEST_EXPECT_EQ(t, state, REGION_MIGRATE_DONE);
		KTEST_EXPECT_EQ(t, status.left, 0);
		/* Every sealed page moved once: by the walk, or by the change
		 * itself when it brought a cipher to pages sealed without. */
		KTEST_EXPECT_EQ(t, after.reseals - before.reseals,
				before.sealed_pages);
		KTEST_EXPECT_EQ(t, after.sealed_pages, before.sealed_pages);
		KTEST_EXPECT_EQ(t, after.faults, before.faults);
		KTEST_EXPECT_EQ(t, migrate_test_mismatches(region, 11), 0);
		KTEST_EXPECT_EQ(t, after.corrupt + status.failed, 0);
		region_destroy(region);
	}
}

/* Four slots holding pages refuse a fifth scheme; once the migration
 * drains the older ones, the fifth change is taken. The walk is slowed
 * (one page per hold, a pause) and stopped after each change so that each
 * slot keeps most of its pages. */
KTEST_SLOW(region_migrate, fifth_change_once_older_slots_drained, 120000)
{
	/* No cipher among them: a change to a cipher moves the pages sealed
	 * without one at once (region_set_scheme), which would drain. */
	static const char *const schemes[] = { "clock:lz4", "clock:identity",
					       "clock:wkdm", "clock:adaptive" };
	const uint32_t group = 32;
	struct region *region = region_test_create(t, "clock:lz4", 4 * group, 4);
	struct region_migrate_status status;

	KTEST_EXPECT_EQ(t, region_migrate_set_rate(region, 1, 20), REGION_OK);
	migrate_test_fill(region, 5);
	KTEST_EXPECT_EQ(t, region_purge_range(region, 0, 4 * group), REGION_OK);
	for (unsigned k = 1; k < 4; k++) {
		KTEST_EXPECT_EQ(t, region_set_scheme(region, schemes[k]), REGION_OK);
		region_migrate_stop(region);
		/* group k is written again and sealed by the new chain */
		for (uint32_t page = k * group; page < (k + 1) * group; page++)
			region_test_fill(region_page_address(region, page), 5 + page);
		KTEST_EXPECT_EQ(t, region_purge_range(region, k * group, group),
				REGION_OK);
	}
	region_migrate_get_status(region, &status);
	unsigned holding = 0;
	for (unsigned slot = 0; slot < REGION_SCHEMES_MAX; slot++)
		holding += slot == status.sealing || status.pages_left[slot] > 0;
	ktest_log(t, "before the fifth: %u slots hold pages, %u left in older "
		  "ones, %llu moved", holding, status.left,
		  (unsigned long long)status.moved);
	KTEST_EXPECT_EQ(t, holding, REGION_SCHEMES_MAX);
	KTEST_EXPECT_EQ(t, region_set_scheme(region, "clock:dense"),
			REGION_NO_SPACE);
	KTEST_EXPECT_EQ(t, region_migrate_set_rate(region, 8, 0), REGION_OK);
	KTEST_EXPECT_EQ(t, region_migrate_start(region), REGION_OK);
	KTEST_EXPECT_EQ(t, region_migrate_wait(region), REGION_MIGRATE_DONE);
	KTEST_EXPECT_EQ(t, migrate_test_left(region), 0);
	KTEST_EXPECT_EQ(t, region_set_scheme(region, "clock:dense"), REGION_OK);
	KTEST_EXPECT_EQ(t, region_migrate_wait(region), REGION_MIGRATE_DONE);
	KTEST_EXPECT_EQ(t, migrate_test_left(region), 0);
	KTEST_EXPECT_EQ(t, migrate_test_mismatches(region, 5), 0);
	region_destroy(region);
}

/* A region destroyed while its walk runs (slow, and fast): the walk is
 * stopped and joined first; frames and the store come back. */
KTEST_SLOW(region_migrate, destroy_during_migration_is_safe, 120000)
{
	static const uint32_t rates[][2] = { { 1, 2 }, { 8, 0 }, { 1, 0 } };
	struct store_stats store_before, store_after;

	uint64_t frames_before = region_test_free_frames();
	store_stats(store_default(), &store_before);
	for (unsigned i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct region *region = region_test_create(t, "clock:lz4", 256, 8);
		struct region_migrate_status status;

		KTEST_EXPECT_EQ(t, region_migrate_set_rate(region, rates[i][0],
							   rates[i][1]),
				REGION_OK);
		migrate_test_fill(region, 3);
		KTEST_EXPECT_EQ(t, region_set_scheme(region, "clock:identity"),
				REGION_OK);
		thread_sleep_ms(3);
		region_migrate_get_status(region, &status);
		ktest_log(t, "rate %u/%u ms: destroyed while %s, %llu moved, "
			  "%u left", rates[i][0], rates[i][1],
			  region_migrate_state_name(status.state),
			  (unsigned long long)status.moved, status.left);
		KTEST_EXPECT(t, status.left > 0 || i > 0);	/* the slow one */
		region_destroy(region);
	}
	store_stats(store_default(), &store_after);
	KTEST_EXPECT_EQ(t, store_after.pages_stored, store_before.pages_stored);
	KTEST_EXPECT_EQ(t, store_after.bytes_stored, store_before.bytes_stored);
	KTEST_EXPECT_EQ(t, region_test_free_frames(), frames_before);
}

/* ---- several CPUs: swaps under load ------------------------------------ */

struct migrate_load {
	struct region *region;
	unsigned workers;
	bool done;			/* atomic: the swapper finished */
	unsigned ready;			/* atomic: workers that wrote their
					 * slice (the swaps start then) */
	uint64_t swaps_wanted;
	uint64_t swaps, refused;	/* the swapper's */
	/* Every other swap also moves the region to a new store, by turns
	 * a log-structured one and a zstore (region_set_scheme_store). */
	bool store_swaps;
	uint64_t stores_given;		/* the swapper's: stores the region took */
};

/* A worker: its own slice of the region, a shadow checksum per page. */
struct migrate_worker {
	struct migrate_load *load;
	unsigned index;
	uint64_t accesses, writes, mismatches;
	uint64_t shadow[MIGRATE_TEST_PAGES];	/* by page number */
};

/* Skewed choice in the slice: 3 of 4 accesses go to its first eighth
 * (the hot pages), the rest anywhere in it. */
static uint32_t migrate_worker_page(uint64_t *random, uint32_t first,
				    uint32_t count)
{
	uint64_t r = region_test_random(random);
	uint32_t hot = count / 8 ? count / 8 : 1;

	if ((r & 3) != 0)
		return first + (uint32_t)((r >> 2) % hot);
	return first + (uint32_t)((r >> 2) % count);
}

static void migrate_worker_thread(void *argument)
{
	struct migrate_worker *worker = argument;
	struct migrate_load *load = worker->load;
	uint32_t count = MIGRATE_TEST_PAGES / load->workers;
	uint32_t first = worker->index * count;
	uint64_t random = 0x9e3779b97f4a7c15ull * (worker->index + 1);
	uint64_t version = 1;

	for (uint32_t page = first; page < first + count; page++) {
		void *address = region_page_address(load->region, page);
		region_test_fill(address, page);
		worker->shadow[page] = region_test_checksum(address);
	}
	__atomic_add_fetch(&load->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&load->done, __ATOMIC_ACQUIRE)) {
		uint32_t page = migrate_worker_page(&random, first, count);
		void *address = region_page_address(load->region, page);
		if (region_test_random(&random) % 3 == 0) {
			region_test_fill(address, (version++ << 16) ^ page);
			worker->shadow[page] = region_test_checksum(address);
			worker->writes++;
		} else if (region_test_checksum(address) != worker->shadow[page]) {
			worker->mismatches++;
		}
		/* on a CPU shared with the swapper or the walk, let them run */
		if (++worker->accesses % 32 == 0)
			thread_yield();
	}
	/* a last check of every page of the slice */
	for (uint32_t page = first; page < first + count; page++) {
		worker->mismatches += region_test_checksum(region_page_address(
			load->region, page)) != worker->shadow[page];
	}
}

/* One swap to scheme: with a new store on every other swap when the load
 * asks for store swaps (the store destroyed here if refused). */
static int migrate_swap_once(struct migrate_load *load, const char *scheme)
{
	static const char *const kinds[] = { "log", "zs" };

	if (!load->store_swaps || load->swaps % 2)
		return region_set_scheme(load->region, scheme);
	int result = region_swap_store(load->region, scheme,
				       kinds[load->stores_given % 2], NULL);
	if (result == REGION_OK)
		load->stores_given++;
	return result;
}

/* The swapper: a random other scheme at a random moment, migrate_swaps
 * times; a change refused (four slots still hold pages) waits a moment
 * for the walk and is tried again. */
static void migrate_swapper_thread(void *argument)
{
	struct migrate_load *load = argument;
	uint64_t random = 0x2545f4914f6cdd1dull;
	unsigned current = 1;	/* the region starts under lz4 */

	while (__atomic_load_n(&load->ready, __ATOMIC_ACQUIRE) < load->workers)
		thread_yield();

	while (load->swaps < load->swaps_wanted) {
		unsigned next = (current + 1 + (unsigned)(region_test_random(
						 &random) % 3)) % MIGRATE_TEST_SCHEMES;
		int result = migrate_swap_once(load, migrate_test_schemes[next]);
		if (result == REGION_NO_SPACE) {
			load->refused++;
			thread_yield();
			continue;
		}
		if (result != REGION_OK)
			break;
		current = next;
		load->swaps++;
		/* a random moment: none, a few yields, or a short sleep */
		uint64_t r = region_test_random(&random) % 8;
		if (r >= 6)
			thread_sleep_ms(1);
		else
			for (uint64_t i = 0; i < r; i++)
				thread_yield();
	}
	__atomic_store_n(&load->done, true, __ATOMIC_RELEASE);
}

/* What one run of the load saw. */
struct migrate_load_result {
	uint64_t swaps, refused, accesses, writes, mismatches, ms;
	uint64_t stores_given;
	struct region_stats stats;
	struct region_migrate_status status;
	enum region_migrate_state state;
	bool ran;
};

/* Workers and the swapper on a new region for swaps swaps; the last
 * swap's migration waited for; the region destroyed. */
static void migrate_load_run(struct ktest *t, uint64_t swaps, bool store_swaps,
			     struct migrate_load_result *result)
{
	static struct migrate_worker workers[MIGRATE_TEST_WORKERS_MAX];
	struct thread *threads[MIGRATE_TEST_WORKERS_MAX] = { 0 };
	struct migrate_load load = { .swaps_wanted = swaps,
				     .store_swaps = store_swaps };
	unsigned made = 0;

	memset(result, 0, sizeof(*result));
	/* One CPU left to the swapper and the walk when there are several. */
	load.workers = cpu_count() > 1 ? cpu_count() - 1 : 1;
	if (load.workers > MIGRATE_TEST_WORKERS_MAX)
		load.workers = MIGRATE_TEST_WORKERS_MAX;
	load.region = region_test_create(t, "clock:lz4", MIGRATE_TEST_PAGES,
					 MIGRATE_TEST_LIMIT);
	/* the walk beside the swapper on CPU 0, not on a worker's CPU */
	KTEST_EXPECT_EQ(t, region_migrate_set_affinity(load.region, 1),
			REGION_OK);
	uint64_t start = time_uptime_ns();
	for (; made < load.workers; made++) {
		workers[made] = (struct migrate_worker){ .load = &load,
							 .index = made };
		/* worker i on CPU i + 1: CPU 0 keeps the swapper and the
		 * walk company (on one CPU, all share it) */
		unsigned cpu = cpu_count() > 1 ? made + 1 : 0;
		threads[made] = thread_create_on("migrate_load",
						 migrate_worker_thread,
						 &workers[made], 1ull << cpu);
		if (!threads[made])
			break;
	}
	struct thread *swapper = made == load.workers ?
		thread_create_on("migrate_swap", migrate_swapper_thread, &load,
				 1) : NULL;
	if (!swapper)
		__atomic_store_n(&load.done, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < made; i++)
		thread_join(threads[i]);
	if (swapper)
		thread_join(swapper);
	result->state = region_migrate_wait(load.region);
	result->ms = (time_uptime_ns() - start) / 1000000u;
	region_get_stats(load.region, &result->stats);
	region_migrate_get_status(load.region, &result->status);
	for (unsigned i = 0; i < made; i++) {
		result->accesses += workers[i].accesses;
		result->writes += workers[i].writes;
		result->mismatches += workers[i].mismatches;
	}
	result->swaps = load.swaps;
	result->refused = load.refused;
	result->stores_given = load.stores_given;
	result->ran = made == load.workers && swapper;
	ktest_log(t, "%u workers on %u CPUs, %llu swaps (%llu refused for a "
		  "while), %llu accesses (%llu writes) in %llu ms: %llu "
		  "mismatches; %llu pages migrated, %llu reseals, %llu faults, "
		  "%llu holds, longest %llu us; final %s, %u pages left in "
		  "older slots", load.workers, cpu_count(),
		  (unsigned long long)load.swaps, (unsigned long long)load.refused,
		  (unsigned long long)result->accesses,
		  (unsigned long long)result->writes,
		  (unsigned long long)result->ms,
		  (unsigned long long)result->mismatches,
		  (unsigned long long)result->stats.migrated,
		  (unsigned long long)result->stats.reseals,
		  (unsigned long long)result->stats.faults,
		  (unsigned long long)result->status.holds,
		  (unsigned long long)(result->status.max_hold_ns / 1000u),
		  region_migrate_state_name(result->state), result->status.left);
	region_print(load.region);
	region_destroy(load.region);
}

/* A short run first: the per-CPU state the workers' CPUs make on first
 * use (kept for good) and their stacks' page tables are there before
 * frames are counted; then the run of migrate_swaps swaps, checked. */
KTEST_SLOW(region_migrate, swaps_under_load_every_slot_drains, 600000)
{
	struct migrate_load_result warm, run;
	struct store_stats store_before, store_after;

	migrate_load_run(t, 10, false, &warm);
	KTEST_EXPECT_EQ(t, warm.mismatches, 0);
	uint64_t frames_before = region_test_free_frames();
	store_stats(store_default(), &store_before);
	migrate_load_run(t, migrate_test_swaps(), false, &run);
	store_stats(store_default(), &store_after);
	uint64_t frames_after = region_test_free_frames();
	ktest_log(t, "default store: %llu data and %llu metadata frames before, "
		  "%llu and %llu after; %llu frames free or store metadata "
		  "before, %llu after",
		  (unsigned long long)store_before.frames_used,
		  (unsigned long long)store_before.metadata_frames,
		  (unsigned long long)store_after.frames_used,
		  (unsigned long long)store_after.metadata_frames,
		  (unsigned long long)frames_before,
		  (unsigned long long)frames_after);
	KTEST_ASSERT(t, warm.ran && run.ran);
	KTEST_EXPECT_EQ(t, run.swaps, migrate_test_swaps());
	KTEST_EXPECT_EQ(t, run.mismatches, 0);
	KTEST_EXPECT(t, run.stats.migrated > 0);
	KTEST_EXPECT_EQ(t, run.stats.corrupt + run.stats.poisoned, 0);
	KTEST_EXPECT(t, run.state == REGION_MIGRATE_DONE ||
			run.state == REGION_MIGRATE_IDLE);
	for (unsigned slot = 0; slot < REGION_SCHEMES_MAX; slot++)
		KTEST_EXPECT_EQ(t, run.status.pages_left[slot], 0);
	KTEST_EXPECT_EQ(t, store_after.pages_stored, store_before.pages_stored);
	KTEST_EXPECT_EQ(t, store_after.bytes_stored, store_before.bytes_stored);
	KTEST_EXPECT_EQ(t, frames_after, frames_before);
}

/* Store swaps under the same load: every other swap also moves the region
 * to a new store (log-structured and zstore by turns), the migration moving
 * the sealed copies from the old store to the new. 0 mismatches; once the
 * last migration is done every store given but the sealing one was
 * destroyed (each ended empty: a store is destroyed only when no slot that
 * holds pages uses it); after the region is destroyed the last one too,
 * and frames and the default store are back to their start. A tenth of
 * migrate_swaps swaps, at least 4 (each store swap builds a store). */
KTEST_SLOW(region_migrate, store_swaps_under_load_old_stores_destroyed, 600000)
{
	struct migrate_load_result warm, run;
	struct store_stats store_before, store_after;
	/* at least 4: two of them store swaps, one store retired */
	uint64_t swaps = migrate_test_swaps() / 10 > 4 ? migrate_test_swaps() / 10 : 4;

	migrate_load_run(t, 4, true, &warm);
	KTEST_EXPECT_EQ(t, warm.mismatches, 0);
	uint64_t frames_before = region_test_free_frames();
	store_stats(store_default(), &store_before);
	migrate_load_run(t, swaps, true, &run);
	store_stats(store_default(), &store_after);
	KTEST_ASSERT(t, warm.ran && run.ran);
	ktest_log(t, "%llu stores given, %llu destroyed while the region ran",
		  (unsigned long long)run.stores_given,
		  (unsigned long long)run.stats.stores_retired);
	KTEST_EXPECT_EQ(t, run.swaps, swaps);
	KTEST_EXPECT_EQ(t, run.mismatches, 0);
	KTEST_EXPECT(t, run.stores_given >= 2);
	KTEST_EXPECT_EQ(t, run.stats.corrupt + run.stats.poisoned, 0);
	KTEST_EXPECT(t, run.state == REGION_MIGRATE_DONE ||
			run.state == REGION_MIGRATE_IDLE);
	for (unsigned slot = 0; slot < REGION_SCHEMES_MAX; slot++)
		KTEST_EXPECT_EQ(t, run.status.pages_left[slot], 0);
	/* all but the store the region seals into went while it ran */
	KTEST_EXPECT_EQ(t, run.stats.stores_retired, run.stores_given - 1);
	KTEST_EXPECT_EQ(t, store_after.pages_stored, store_before.pages_stored);
	KTEST_EXPECT_EQ(t, store_after.bytes_stored, store_before.bytes_stored);
	KTEST_EXPECT_EQ(t, region_test_free_frames(), frames_before);
}

/* The system-wide swap: three regions under three schemes, their pages
 * sealed, all changed to one scheme at once; with wait, every migration
 * is done on return: the pages left their old slots, each reads back. A
 * text that is not a scheme changes nothing. */
KTEST_SLOW(region_migrate, every_region_swaps_system_wide, 120000)
{
	static const char *const schemes[] = { "clock:identity", "fifo:lz4",
					       "2q:aes128-xts-mac" };
	static const char target[] = "clock:lz4,aes128-xts-mac";
	struct region *regions[3];
	struct region_swap_all_report report;
	char name[64];

	for (unsigned i = 0; i < 3; i++) {
		regions[i] = region_test_create(t, schemes[i], 64, 8);
		migrate_test_fill(regions[i], 100 * i);
		KTEST_EXPECT_EQ(t, region_purge_range(regions[i], 0, 64), REGION_OK);
	}
	KTEST_EXPECT_EQ(t, region_set_scheme_all("nonsense:lz4", true, &report),
			REGION_BAD_SCHEME);
	region_scheme_name(regions[0], name, sizeof(name));
	KTEST_EXPECT(t, strcmp(name, schemes[0]) == 0);

	KTEST_EXPECT_EQ(t, region_set_scheme_all(target, true, &report), REGION_OK);
	ktest_log(t, "%u regions, %u changed, %u refused, %u pages left",
		  report.regions, report.changed, report.failed,
		  (unsigned)report.pages_left);
	KTEST_EXPECT(t, report.changed >= 3);
	KTEST_EXPECT_EQ(t, report.failed, 0);
	for (unsigned i = 0; i < 3; i++) {
		struct region_migrate_status status;

		region_scheme_name(regions[i], name, sizeof(name));
		KTEST_EXPECT(t, strcmp(name, target) == 0);
		region_migrate_get_status(regions[i], &status);
		KTEST_EXPECT_EQ(t, status.left, 0);
		KTEST_EXPECT_EQ(t, migrate_test_mismatches(regions[i], 100 * i), 0);
		region_destroy(regions[i]);
	}
}

struct migrate_destroyer {
	struct region *region;
	bool done;	/* atomic */
};

static void migrate_destroyer_thread(void *argument)
{
	struct migrate_destroyer *destroyer = argument;

	region_destroy(destroyer->region);
	__atomic_store_n(&destroyer->done, true, __ATOMIC_RELEASE);
}

/* A held region (region_hold_all, as a system-wide swap holds them) is
 * not freed under the holder: its destroy waits for the release, and a
 * region being destroyed is not held again. */
KTEST(region_migrate, destroy_waits_for_a_hold)
{
	static struct region *held[512];
	struct migrate_destroyer destroyer = { 0 };

	destroyer.region = region_test_create(t, "clock:lz4", 16, 4);
	unsigned count = region_hold_all(held, 512);
	bool found = false;
	for (unsigned i = 0; i < count; i++)
		found = found || held[i] == destroyer.region;
	KTEST_EXPECT(t, found);
	struct thread *thread = thread_create("migrate_destroy",
					      migrate_destroyer_thread, &destroyer);
	KTEST_ASSERT(t, thread != NULL);
	thread_sleep_ms(30);
	KTEST_EXPECT(t, !__atomic_load_n(&destroyer.done, __ATOMIC_ACQUIRE));
	/* dying: a second hold leaves it out */
	static struct region *again[512];
	unsigned count_again = region_hold_all(again, 512);
	bool found_again = false;
	for (unsigned i = 0; i < count_again; i++)
		found_again = found_again || again[i] == destroyer.region;
	region_release_held(again, count_again);
	KTEST_EXPECT(t, !found_again);
	region_release_held(held, count);
	thread_join(thread);
	KTEST_EXPECT(t, __atomic_load_n(&destroyer.done, __ATOMIC_ACQUIRE));
}
