/*
 * ktest suite "region_failure": nothing is lost when something fails.
 *
 * stress_*: 10^5 accesses over a region sixteen times its clear set, with
 * every fault-injection point (kernel/lib/failpoint.h) failing about 1 % of
 * its calls. The workload reaches pages through region_fault_page(), the
 * accessor that brings a page in and returns an error instead of taking a
 * fault it cannot serve: an injected no-memory is seen as REGION_NO_MEMORY
 * and the access is retried (the page is as it was). Every page is
 * compared with its shadow copy whenever it comes back and once more at
 * the end; every injected failure must show up in the region's counters
 * (seal_failures + restore_failures + no_memory).
 *
 * bit_flip_*: one bit flipped in a sealed copy under each integrity-checking
 * scheme (the MAC of aes*-mac; the debug checksum of the others, in debug
 * builds): detected every time, the page poisoned and its owner told with
 * region and page, the other pages intact, the page usable after unmap.
 * Under a codec without a MAC a flipped bit may leave the decoded page as
 * it was (a match offset moved to equal bytes, an unused bit): such a flip
 * damages nothing; it is counted apart, and the page must then read back
 * exactly. Every flip that changes the page is detected.
 *
 * pressure_keeps_every_page: real pressure, no injection (see there).
 */
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/failpoint.h"
#include "kernel/lib/printk.h"
#include "mm/direct_map.h"
#include "mm/frame.h"
#include "mm/region.h"
#include "mm/region_test_util.h"
#include "mm/slab.h"
#include "mm/store.h"
#include "mm/vmm.h"
#include "mm/zstore.h"
#include "transforms/xf.h"

#define FAILURE_PAGES 128u
#define FAILURE_LIMIT 8u
#define FAILURE_PPM 10000u		/* 1 % of each point's calls */
#define FAILURE_RETRIES 1000u		/* in a row, before the case fails */

struct failure_run {
	struct ktest *t;
	struct region *region;
	uint8_t *shadow;		/* FAILURE_PAGES pages */
	uint64_t rng;
	uint64_t retries;		/* accesses refused for now, retried */
	uint64_t mismatches;
	uint64_t lost;			/* accesses that never got their page */
};

static uint64_t failure_random(struct failure_run *run)
{
	run->rng ^= run->rng << 13;
	run->rng ^= run->rng >> 7;
	run->rng ^= run->rng << 17;
	return run->rng;
}

static uint8_t *failure_shadow(struct failure_run *run, uint32_t page)
{
	return run->shadow + (size_t)page * 4096u;
}

/* Brings page in, retrying what is refused for now; false when it cannot
 * (a poisoned or corrupt page, or too many refusals in a row). */
static bool failure_bring_in(struct failure_run *run, uint32_t page)
{
	for (unsigned attempt = 0; attempt < FAILURE_RETRIES; attempt++) {
		int result = region_fault_page(run->region, page);
		if (result == REGION_OK)
			return true;
		if (result != REGION_NO_MEMORY) {
			ktest_log(run->t, "page %u: error %d", page, result);
			return false;
		}
		run->retries++;
	}
	ktest_log(run->t, "page %u: refused %u times in a row", page,
		  FAILURE_RETRIES);
	return false;
}

static void failure_check_page(struct failure_run *run, uint32_t page)
{
	if (memcmp(region_page_address(run->region, page),
		   failure_shadow(run, page), 4096) == 0)
		return;
	if (run->mismatches++ == 0)
		ktest_log(run->t, "page %u differs from its shadow copy", page);
}

/* One access: a skewed pick (seven in eight among 6 hot pages, which the
 * clear set of 8 holds; the rest anywhere), a read checked against the
 * shadow, a write in one of four. */
static void failure_access(struct failure_run *run)
{
	uint64_t r = failure_random(run);
	uint32_t page = (uint32_t)(r & 7 ? (r >> 8) % 6u : (r >> 8) % FAILURE_PAGES);
	uint32_t word = (uint32_t)((r >> 24) % 512u);
	uint64_t faults = run->region->stats.faults;

	if (!failure_bring_in(run, page)) {
		run->lost++;
		return;
	}
	volatile uint64_t *words = region_page_address(run->region, page);
	uint64_t *shadow = (uint64_t *)failure_shadow(run, page);
	if (run->region->stats.faults != faults)	/* it came back: all of it */
		failure_check_page(run, page);
	else if (words[word] != shadow[word] && run->mismatches++ == 0)
		ktest_log(run->t, "page %u word %u differs", page, word);
	if ((r >> 40) % 4 == 0) {
		uint64_t value = failure_random(run);
		words[word] = value;
		shadow[word] = value;
	}
	if ((r >> 48) % 512 == 0)	/* now and then a purge (INVALIDATE) */
		(void)region_purge_page(run->region, page);	/* may be refused */
}

/* Unmaps every page (their content goes: the shadow becomes zeros), so
 * the page-table page is freed and the next fault must make one again:
 * that allocation is made to fail (nth=1), the one place the workload
 * reaches the page-table point. */
static void failure_unmap_all(struct failure_run *run)
{
	for (uint32_t page = 0; page < FAILURE_PAGES; page++) {
		if (region_unmap_page(run->region, page) != REGION_OK &&
		    run->lost++ == 0)
			ktest_log(run->t, "page %u: unmap refused", page);
	}
	memset(run->shadow, 0, (size_t)FAILURE_PAGES * 4096u);
	failpoint_set(FAILPOINT_PAGE_TABLE_ALLOC, 1, FAILURE_PPM);
}

static void failure_arm_every_point(uint64_t seed)
{
	failpoint_clear_all();
	failpoint_reset_counts();
	failpoint_seed(seed);
	for (unsigned i = 0; i < FAILPOINTS; i++)
		failpoint_set((enum failpoint_id)i, 0, FAILURE_PPM);
}

/* Injected failures per point, as one log line. */
static uint64_t failure_log_injected(struct ktest *t, const char *scheme)
{
	char line[256];
	size_t used = 0;
	uint64_t total = 0;

	for (unsigned i = 0; i < FAILPOINTS; i++) {
		struct failpoint_counts counts;
		failpoint_get_counts((enum failpoint_id)i, &counts);
		total += counts.injected;
		used += (size_t)ksnprintf(line + used, sizeof(line) - used,
					  " %s=%llu/%llu",
					  failpoint_name((enum failpoint_id)i),
					  (unsigned long long)counts.injected,
					  (unsigned long long)counts.calls);
		if (used >= sizeof(line))
			break;
	}
	ktest_log(t, "%s injected/calls:%s", scheme, line);
	return total;
}

static void failure_stress(struct ktest *t, const char *scheme, unsigned accesses)
{
	struct failure_run run = { .t = t, .rng = 0x2545f4914f6cdd1dull };
	struct region_stats stats;

	run.shadow = kmalloc((size_t)FAILURE_PAGES * 4096u);
	KTEST_ASSERT(t, run.shadow != NULL);
	run.region = region_test_create(t, scheme, FAILURE_PAGES, FAILURE_LIMIT);
	for (uint32_t page = 0; page < FAILURE_PAGES; page++) {
		KTEST_ASSERT(t, region_fault_page(run.region, page) == REGION_OK);
		region_test_fill(failure_shadow(&run, page), page + 1);
		memcpy(region_page_address(run.region, page),
		       failure_shadow(&run, page), 4096);
	}
	failure_arm_every_point(0xfa11 + accesses);
	for (unsigned i = 0; i < accesses; i++) {
		if (i % 20000 == 10000)
			failure_unmap_all(&run);
		failure_access(&run);
	}
	failpoint_clear_all();
	uint64_t injected = failure_log_injected(t, scheme);
	for (uint32_t page = 0; page < FAILURE_PAGES; page++) {
		if (failure_bring_in(&run, page))
			failure_check_page(&run, page);
		else
			run.lost++;
	}
	region_get_stats(run.region, &stats);
	ktest_log(t, "%s: %u accesses, %llu retried, %llu faults, %llu "
		  "evictions, seal_failures=%llu restore_failures=%llu "
		  "no_memory=%llu corrupt=%llu poisoned=%llu injected=%llu "
		  "mismatches=%llu lost=%llu", scheme, accesses,
		  (unsigned long long)run.retries,
		  (unsigned long long)stats.faults,
		  (unsigned long long)stats.evictions,
		  (unsigned long long)stats.seal_failures,
		  (unsigned long long)stats.restore_failures,
		  (unsigned long long)stats.no_memory,
		  (unsigned long long)stats.corrupt,
		  (unsigned long long)stats.poisoned,
		  (unsigned long long)injected,
		  (unsigned long long)run.mismatches,
		  (unsigned long long)run.lost);
	KTEST_EXPECT_EQ(t, run.mismatches, 0);
	KTEST_EXPECT_EQ(t, run.lost, 0);
	KTEST_EXPECT_EQ(t, stats.corrupt, 0);
	KTEST_EXPECT_EQ(t, stats.poisoned, 0);
	KTEST_EXPECT(t, injected > 0);
	KTEST_EXPECT_EQ(t, stats.seal_failures + stats.restore_failures +
				   stats.no_memory, injected);
	region_destroy(run.region);
	kfree(run.shadow);
}

KTEST_SLOW(failure_stress, identity, 120000)
{
	failure_stress(t, "clock:identity", 100000);
}

KTEST_SLOW(failure_stress, lz4, 120000)
{
	failure_stress(t, "clock:lz4", 100000);
}

KTEST_SLOW(failure_stress, adaptive, 120000)
{
	failure_stress(t, "clock:adaptive", 100000);
}

KTEST_SLOW(failure_stress, adaptive_aes128_mac, 120000)
{
	if (!xf_lookup("aes128-xts-mac"))
		ktest_skip(t, "aes128-xts-mac is not registered");
	failure_stress(t, "clock:adaptive,aes128-xts-mac", 100000);
}

/* ---- bit flips --------------------------------------------------------- */

static struct region *bit_flip_region;
static uint32_t bit_flip_page;
static unsigned bit_flip_reports;

static void bit_flip_told(struct region *region, uint32_t page, int error,
			  void *context)
{
	(void)context;
	(void)error;
	bit_flip_region = region;
	bit_flip_page = page;
	bit_flip_reports++;
}

static uint8_t bit_flip_copy[XF_BUFFER_BYTES];
static uint8_t bit_flip_page_bytes[4096];

/* Replaces page's sealed copy by one with bit `bit` flipped (the PTE and
 * the record name it, so only the MAC or the checksum can object), then
 * frees the genuine copy. */
static void bit_flip_tamper(struct ktest *t, struct region *region,
			    uint32_t page, unsigned bit)
{
	struct region_page *record = region_page_record(region, page);
	uintptr_t va = (uintptr_t)region_page_address(region, page);
	store_handle_t genuine = region_record_handle(record), tampered;
	size_t length;

	KTEST_ASSERT(t, store_read(region->store, genuine, bit_flip_copy,
				   sizeof(bit_flip_copy), &length) == STORE_OK);
	bit %= (unsigned)length * 8u;
	bit_flip_copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	KTEST_ASSERT(t, store_put(region->store, bit_flip_copy, length,
				  &tampered) == STORE_OK);
	KTEST_ASSERT(t, vmm_clear_handle(vmm_kernel_space(), va) == VMM_OK);
	KTEST_ASSERT(t, vmm_set_handle(vmm_kernel_space(), va, tampered) == VMM_OK);
	region_record_replace_handle(record, tampered);
	KTEST_ASSERT(t, store_free(region->store, genuine) == STORE_OK);
}

/* mac: every flip must be detected (a MAC, or no codec: the checksum sees
 * every bit of the page). */
static void bit_flip_case(struct ktest *t, const char *scheme, bool mac)
{
	struct region_config config = {
		.name = "bitflip", .pages = 8, .clear_limit = 1, .scheme = scheme,
		.store = store_default(), .poisoned = bit_flip_told,
	};
	struct region *region;
	struct region_stats stats;
	unsigned flips = 16, detected = 0, harmless = 0;

	KTEST_ASSERT(t, region_create(&config, &region) == REGION_OK);
	bit_flip_reports = 0;
	for (unsigned flip = 0; flip < flips; flip++) {
		uint32_t page = flip % 4;	/* pages 4-7: never tampered */
		for (uint32_t p = 0; p < 8; p++) {
			KTEST_ASSERT(t, region_fault_page(region, p) == REGION_OK);
			region_test_fill(region_page_address(region, p), p + 1);
		}
		KTEST_ASSERT(t, region_fault_page(region, 7) == REGION_OK);
		KTEST_ASSERT(t, region_page_state(region, page) == REGION_SEALED);
		bit_flip_tamper(t, region, page, flip * 997u + 13u);
		int result = region_fault_page(region, page);
		region_test_fill(bit_flip_page_bytes, page + 1);
		if (result == REGION_INTEGRITY &&
		    region_page_state(region, page) == REGION_POISONED &&
		    bit_flip_region == region && bit_flip_page == page) {
			detected++;
			KTEST_EXPECT(t, region_fault_page(region, page) ==
					REGION_PAGE_POISONED);
		} else if (!mac && result == REGION_OK &&
			   memcmp(region_page_address(region, page),
				  bit_flip_page_bytes, 4096) == 0) {
			harmless++;	/* the page decoded exactly as it was */
		} else {
			ktest_log(t, "%s: flip %u on page %u: result %d, state %d",
				  scheme, flip, page, result,
				  region_page_state(region, page));
		}
		for (uint32_t p = 4; p < 8; p++) {	/* nothing else lost */
			KTEST_ASSERT(t, region_fault_page(region, p) == REGION_OK);
			region_test_fill(bit_flip_page_bytes, p + 1);
			KTEST_EXPECT(t, memcmp(region_page_address(region, p),
					       bit_flip_page_bytes, 4096) == 0);
		}
		KTEST_EXPECT_EQ(t, region_unmap_page(region, page), REGION_OK);
		KTEST_EXPECT_EQ(t, region_page_state(region, page), REGION_UNPOPULATED);
	}
	region_get_stats(region, &stats);
	ktest_log(t, "%s: %u of %u flipped bits detected, %u changed nothing, "
		  "%u reports, corrupt=%llu poisoned now=%llu", scheme, detected,
		  flips, harmless, bit_flip_reports,
		  (unsigned long long)stats.corrupt,
		  (unsigned long long)stats.poisoned);
	KTEST_EXPECT_EQ(t, detected + harmless, flips);
	KTEST_EXPECT(t, detected >= flips / 2);
	KTEST_EXPECT_EQ(t, bit_flip_reports, detected);
	KTEST_EXPECT_EQ(t, stats.corrupt, detected);
	KTEST_EXPECT_EQ(t, stats.poisoned, 0);
	region_destroy(region);
}

KTEST(region_failure, bit_flip_aes128_mac)
{
	if (!xf_lookup("aes128-xts-mac"))
		ktest_skip(t, "aes128-xts-mac is not registered");
	bit_flip_case(t, "fifo:aes128-xts-mac", true);
}

KTEST(region_failure, bit_flip_adaptive_aes256_mac)
{
	if (!xf_lookup("aes256-xts-mac"))
		ktest_skip(t, "aes256-xts-mac is not registered");
	bit_flip_case(t, "fifo:adaptive,aes256-xts-mac", true);
}

/* The debug checksum catches what a chain without a MAC lets through. */
KTEST(region_failure, bit_flip_identity_checksum)
{
	if (!CONFIG_MM_DEBUG)
		ktest_skip(t, "no per-page checksum in a release build");
	bit_flip_case(t, "fifo:identity", true);	/* no codec: every bit counts */
}

KTEST(region_failure, bit_flip_lz4_checksum)
{
	if (!CONFIG_MM_DEBUG)
		ktest_skip(t, "no per-page checksum in a release build");
	bit_flip_case(t, "fifo:lz4", false);
}

/* ---- real pressure: a small store, a nearly empty frame allocator ---- */

static void *pressure_page_alloc(void *context)
{
	uint64_t frame = frame_alloc();

	(void)context;
	return frame == FRAME_NONE ? NULL : frame_address(frame);
}

static void pressure_page_free(void *context, void *page)
{
	(void)context;
	frame_free(virt_to_phys(page));
}

/* Takes free frames until keep are left; they are chained through their
 * first word (no memory needed to hold them). Returns the chain. */
static uint64_t *pressure_hog(uint64_t keep)
{
	uint64_t *chain = NULL;

	while (frame_free_count() > keep) {
		uint64_t frame = frame_alloc();
		if (frame == FRAME_NONE)
			break;
		uint64_t *page = frame_address(frame);
		page[0] = (uint64_t)(uintptr_t)chain;
		chain = page;
	}
	return chain;
}

static void pressure_release(uint64_t *chain)
{
	while (chain) {
		uint64_t *next = (uint64_t *)(uintptr_t)chain[0];
		frame_free(virt_to_phys(chain));
		chain = next;
	}
}

/*
 * A store capped at 24 frames (8 for pages) and a frame allocator left
 * with 40 free: the
 * store fills, seals are refused (the pages stay clear beyond the limit),
 * then frames run out and bringing a page in is refused (REGION_NO_MEMORY,
 * no fault). Every page written is kept; the counters say what happened;
 * once memory is back every page comes in and reads right.
 */
KTEST(region_failure, pressure_keeps_every_page)
{
	enum { PAGES = 64 };
	struct zstore_config store_config = {
		.name = "ktest-small",
		.provider = { pressure_page_alloc, pressure_page_free, NULL },
		.frame_limit = 24,	/* 16 of them the store's own tables */
	};
	struct store *store = zstore_create(&store_config);
	KTEST_ASSERT(t, store != NULL);
	struct region_config config = {
		.name = "pressure", .pages = PAGES, .clear_limit = 4,
		.scheme = "clock:identity", .store = store,
	};
	struct region *region;
	struct region_stats stats;
	struct store_stats store_figures;
	static uint8_t expected[4096];
	bool written[PAGES] = { false };
	unsigned refused = 0, kept = 0;

	KTEST_ASSERT(t, region_create(&config, &region) == REGION_OK);
	uint64_t *hogged = pressure_hog(40);
	for (uint32_t page = 0; page < PAGES; page++) {
		int result = region_fault_page(region, page);
		if (result == REGION_OK) {
			region_test_fill(region_page_address(region, page), page + 7);
			written[page] = true;
			continue;
		}
		KTEST_EXPECT(t, result == REGION_NO_MEMORY);
		refused++;
	}
	region_get_stats(region, &stats);
	store_stats(store, &store_figures);
	region_print(region);
	store_print_stats(store);
	/* every page written so far reads back, with memory still short */
	for (uint32_t page = 0; page < PAGES; page++) {
		if (!written[page] || region_page_state(region, page) != REGION_CLEAR)
			continue;
		region_test_fill(expected, page + 7);
		kept += memcmp(region_page_address(region, page), expected, 4096) == 0;
	}
	pressure_release(hogged);
	for (uint32_t page = 0; page < PAGES; page++) {
		KTEST_ASSERT(t, region_fault_page(region, page) == REGION_OK);
		if (!written[page])
			continue;
		region_test_fill(expected, page + 7);
		KTEST_EXPECT(t, memcmp(region_page_address(region, page),
				       expected, 4096) == 0);
	}
	ktest_log(t, "store of 24 frames, 40 frames free: %u pages refused, "
		  "%llu clear (limit 4), seal_failures=%llu no_memory=%llu "
		  "store refusals=%llu; %u clear pages checked under pressure",
		  refused, (unsigned long long)stats.clear_pages,
		  (unsigned long long)stats.seal_failures,
		  (unsigned long long)stats.no_memory,
		  (unsigned long long)store_figures.refusals, kept);
	KTEST_EXPECT(t, refused > 0);
	KTEST_EXPECT(t, stats.clear_pages > 4);	/* beyond the limit */
	KTEST_EXPECT(t, stats.seal_failures > 0);
	KTEST_EXPECT_EQ(t, stats.no_memory, refused);
	KTEST_EXPECT(t, store_figures.refusals > 0);
	KTEST_EXPECT_EQ(t, stats.corrupt, 0);
	region_destroy(region);
	store_destroy(store);
}
