/*
 * Benchmark fault_path (bench=fault_path): what a fault of a transformed
 * region costs, and its two halves. Figures are TSC ticks, which under
 * QEMU's -icount shift=0 are instructions (tools/bench-faults runs it so),
 * and cycles elsewhere. Every page is filled from the page corpus, the
 * multiboot2 module "corpus" (real program memory, so codecs see what they
 * would see); without that module, or when a region cannot be made, the
 * benchmark fails (ktest_bench_fail) and prints no figure.
 *
 * One line per transform and event setting:
 *   events=<off|on|on-subscribed> build=<debug|release> transform=<name>
 *   insns_per_fault=<x> [insns_per_restore=<r> insns_per_seal=<s>]
 * where
 *   insns_per_fault    a FIFO region of BENCH_FAULT_PAGES pages with a
 *                      clear limit one smaller, scanned cyclically by reads:
 *                      every access faults, restores the page and evicts
 *                      (unmaps, invalidates, seals) the oldest, in the
 *                      region's eviction rounds (several victims per
 *                      invalidation). Ticks of the timed scans over the
 *                      faults they caused.
 *   insns_per_restore  (all but xor-debug) a region whose clear limit
 *                      equals its size, every page sealed: a read of each
 *                      page faults and restores it with room in the clear
 *                      set, so nothing is evicted. Ticks of the reads over
 *                      the restores (checked: no eviction happened).
 *   insns_per_seal     the same region, every page clear: the ticks of
 *                      region_purge_page() on each page over the pages
 *                      sealed. A purge of a clear page does what an
 *                      eviction does (clear the PTE, invalidate, seal into
 *                      the store, free the frame) plus the public call's
 *                      lock and argument check, which an eviction (already
 *                      under the lock in the fault) does not pay.
 * Only the public region API (mm/region.h) is used.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/arch.h"
#include "kernel/bootinfo.h"
#include "kernel/build_config.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "mm/event_counts.h"
#include "mm/hooks.h"
#include "mm/region.h"
#include "mm/store.h"

#define BENCH_PAGE_BYTES 4096u
/* The reference measurement: 257 pages, 256 clear. */
#define BENCH_FAULT_PAGES 257u
#define BENCH_FAULT_ROUNDS 8u
/* Restore and seal: a region that holds every page clear. */
#define BENCH_HALF_PAGES 256u
#define BENCH_HALF_ROUNDS 8u

struct bench_corpus {
	const uint8_t *bytes;
	uint32_t pages;
};

/* The module "corpus" GRUB loaded (raw 4096-byte pages); false if none. */
static bool bench_corpus_find(struct bench_corpus *corpus)
{
	for (unsigned i = 0; i < boot_info.module_count; i++) {
		const struct boot_module *m = &boot_info.modules[i];
		uint64_t length = m->end - m->start;
		if (strcmp(m->name, "corpus") != 0 || length < BENCH_PAGE_BYTES)
			continue;
		corpus->bytes = arch_early_phys_to_virt(m->start);
		corpus->pages = (uint32_t)(length / BENCH_PAGE_BYTES);
		return true;
	}
	return false;
}

/* A region of pages under "fifo:TRANSFORM" with every page written from
 * the corpus (page i holds corpus page i); NULL (the bench failed) if it
 * cannot be made. */
static struct region *bench_region(const struct bench_corpus *corpus,
				   const char *transform, uint32_t pages,
				   uint32_t clear_limit)
{
	char scheme[48];
	struct region *region;

	ksnprintf(scheme, sizeof(scheme), "fifo:%s", transform);
	struct region_config config = {
		.name = "bench", .pages = pages, .clear_limit = clear_limit,
		.scheme = scheme, .store = store_default(),
	};
	int result = region_create(&config, &region);
	if (result != REGION_OK) {
		ktest_bench_fail("region_create(%s, %u pages) gave %d", scheme,
				 pages, result);
		return NULL;
	}
	for (uint32_t page = 0; page < pages; page++)
		memcpy(region_page_address(region, page),
		       corpus->bytes + (uint64_t)(page % corpus->pages) *
		       BENCH_PAGE_BYTES, BENCH_PAGE_BYTES);
	return region;
}

/* Reads one byte of each page, in order. */
static void bench_scan(struct region *region, uint32_t pages)
{
	for (uint32_t page = 0; page < pages; page++)
		(void)*(volatile uint8_t *)region_page_address(region, page);
}

static struct region_stats bench_stats(struct region *region)
{
	struct region_stats stats;

	region_get_stats(region, &stats);
	return stats;
}

/* Ticks per fault of the cyclic scan (see the top); 0 on failure. */
static uint64_t bench_ticks_per_fault(const struct bench_corpus *corpus,
				      const char *transform)
{
	struct region *region = bench_region(corpus, transform,
					     BENCH_FAULT_PAGES,
					     BENCH_FAULT_PAGES - 1);
	if (!region)
		return 0;
	bench_scan(region, BENCH_FAULT_PAGES);	/* warm-up round */
	struct region_stats before = bench_stats(region);
	uint64_t start = time_cycles();
	for (unsigned round = 0; round < BENCH_FAULT_ROUNDS; round++)
		bench_scan(region, BENCH_FAULT_PAGES);
	uint64_t ticks = time_cycles() - start;
	struct region_stats after = bench_stats(region);
	region_destroy(region);
	uint64_t faults = after.faults - before.faults;
	uint64_t evictions = after.evictions - before.evictions;
	/* Victims leave in rounds of up to REGION_EVICT_BATCH_MAX, so the
	 * timed scans may start or end inside a round: the evictions they
	 * saw match their faults to within one round. */
	uint64_t spread = evictions > faults ? evictions - faults : faults - evictions;
	if (faults != (uint64_t)BENCH_FAULT_ROUNDS * BENCH_FAULT_PAGES ||
	    spread > REGION_EVICT_BATCH_MAX) {
		ktest_bench_fail("%s: %llu faults, %llu evictions, expected %u "
				 "of each (evictions within a round)", transform,
				 (unsigned long long)faults,
				 (unsigned long long)(after.evictions -
						      before.evictions),
				 BENCH_FAULT_ROUNDS * BENCH_FAULT_PAGES);
		return 0;
	}
	return ticks / faults;
}

struct bench_halves {
	uint64_t restore, seal;	/* ticks per restore, per seal */
};

/* Ticks of region_purge_page() over every clear page; false on failure. */
static bool bench_time_seals(struct region *region, uint64_t *ticks)
{
	uint64_t start = time_cycles();

	for (uint32_t page = 0; page < BENCH_HALF_PAGES; page++) {
		if (region_purge_page(region, page) != REGION_OK)
			return false;
	}
	*ticks += time_cycles() - start;
	return true;
}

/* The restore and the seal apart (see the top); false on failure. */
static bool bench_halves(const struct bench_corpus *corpus,
			 const char *transform, struct bench_halves *halves)
{
	struct region *region = bench_region(corpus, transform,
					     BENCH_HALF_PAGES, BENCH_HALF_PAGES);
	uint64_t seal_ticks = 0, restore_ticks = 0;

	if (!region)
		return false;
	/* Warm-up round, untimed: the store and the slab grow to their
	 * steady size here rather than in the first timed round. */
	if (bench_time_seals(region, &seal_ticks))
		bench_scan(region, BENCH_HALF_PAGES);
	seal_ticks = 0;
	struct region_stats before = bench_stats(region);
	for (unsigned round = 0; round < BENCH_HALF_ROUNDS; round++) {
		if (!bench_time_seals(region, &seal_ticks))
			break;
		uint64_t start = time_cycles();
		bench_scan(region, BENCH_HALF_PAGES);
		restore_ticks += time_cycles() - start;
	}
	struct region_stats after = bench_stats(region);
	region_destroy(region);
	uint64_t expected = (uint64_t)BENCH_HALF_ROUNDS * BENCH_HALF_PAGES;
	uint64_t restores = after.restores - before.restores;
	uint64_t seals = after.invalidations - before.invalidations;
	if (restores != expected || seals != expected ||
	    after.evictions != before.evictions ||
	    after.seal_failures != before.seal_failures) {
		ktest_bench_fail("%s: %llu restores, %llu purges, %llu evictions, "
				 "%llu failed seals; expected %llu restores and "
				 "purges, nothing else", transform,
				 (unsigned long long)restores,
				 (unsigned long long)seals,
				 (unsigned long long)(after.evictions -
						      before.evictions),
				 (unsigned long long)(after.seal_failures -
						      before.seal_failures),
				 (unsigned long long)expected);
		return false;
	}
	halves->restore = restore_ticks / restores;
	halves->seal = seal_ticks / seals;
	return true;
}

/* One figure line; nothing when a measurement failed. */
static void bench_print(const struct bench_corpus *corpus, const char *events,
			const char *transform, bool with_halves)
{
	const char *build = BUILD_CONFIG_NAME;
	struct bench_halves halves;
	uint64_t per_fault = bench_ticks_per_fault(corpus, transform);

	if (!per_fault)
		return;
	if (!with_halves) {
		printk("events=%s build=%s transform=%s insns_per_fault=%llu\n",
		       events, build, transform, (unsigned long long)per_fault);
		return;
	}
	if (!bench_halves(corpus, transform, &halves))
		return;
	printk("events=%s build=%s transform=%s insns_per_fault=%llu "
	       "insns_per_restore=%llu insns_per_seal=%llu\n", events, build,
	       transform, (unsigned long long)per_fault,
	       (unsigned long long)halves.restore,
	       (unsigned long long)halves.seal);
}

KBENCH(fault_path)
{
	static const struct {
		const char *name;
		bool halves;
	} transforms[] = {
		{ "identity", true }, { "xor-debug", false },
		{ "lz4", true }, { "adaptive", true },
		{ "aes128-xts", true }, { "aes128-xts-mac", true },
		{ "lz4,aes128-xts", true }, { "lz4,aes128-xts-mac", true },
	};
	const char *events = CONFIG_TLB_HOOKS ? "on" : "off";
	struct bench_corpus corpus;

	if (!bench_corpus_find(&corpus)) {
		ktest_bench_fail("no multiboot2 module \"corpus\" (raw 4096-byte "
				 "pages): the pages are filled from it");
		return;
	}
	for (unsigned i = 0; i < sizeof(transforms) / sizeof(transforms[0]); i++)
		bench_print(&corpus, events, transforms[i].name,
			    transforms[i].halves);
	if (CONFIG_TLB_HOOKS && event_counts_start() == TLB_HOOKS_OK) {
		bench_print(&corpus, "on-subscribed", "identity", true);
		event_counts_stop();
	}
}
