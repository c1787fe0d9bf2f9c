/*
 * ktest suite "region": the four events on real page tables, with real
 * INVLPGs and real page faults. What the host tests (tests/host/
 * test_region.c) cannot show is here: that an evicted or protected page's
 * TLB entry is really gone, because the next access faults.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/smp.h"
#include "kernel/trap.h"
#include "mm/frame.h"
#include "mm/hooks.h"
#include "mm/mm.h"
#include "mm/region.h"
#include "mm/region_test_util.h"
#include "mm/slab.h"
#include "mm/store.h"
#include "mm/vmm.h"

static void region_test_flush_here(void *argument)
{
	(void)argument;
	slab_cpu_flush();
}

uint64_t region_test_free_frames(void)
{
	struct store_stats stats;

	for (unsigned cpu = 0; cpu < cpu_count(); cpu++)
		smp_call_on(cpu, region_test_flush_here, NULL);
	slab_reap();
	store_compact(store_default());
	store_stats(store_default(), &stats);
	return frame_free_count() + stats.metadata_frames;
}

struct region *region_test_create(struct ktest *t, const char *scheme,
				  uint32_t pages, uint32_t limit)
{
	struct region_config config = {
		.name = "ktest", .pages = pages, .clear_limit = limit,
		.scheme = scheme, .store = store_default(),
	};
	struct region *region = NULL;

	KTEST_ASSERT(t, region_create(&config, &region) == REGION_OK);
	return region;
}

void region_test_fill(void *page, uint64_t seed)
{
	uint64_t *words = page;
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	/* half a pattern (compressible), half noise */
	for (unsigned i = 0; i < 512; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		words[i] = i < 256 ? (seed << 16) | (i & 0xf0) : x;
	}
}

uint64_t region_test_checksum(const void *page)
{
	const uint64_t *words = page;
	uint64_t hash = 0xcbf29ce484222325ull;

	for (unsigned i = 0; i < 512; i++)
		hash = (hash ^ words[i]) * 0x100000001b3ull;
	return hash;
}

static uint64_t faults_of(struct region *region)
{
	struct region_stats stats;

	region_get_stats(region, &stats);
	return stats.faults;
}

KTEST(region, first_touch_reads_zeros)
{
	struct region *region = region_test_create(t, "fifo:identity", 8, 2);
	const uint64_t *page = region_page_address(region, 5);
	uint64_t sum = 0;

	for (unsigned i = 0; i < 512; i++)
		sum |= page[i];
	KTEST_EXPECT_EQ(t, sum, 0);
	KTEST_EXPECT_EQ(t, region_page_state(region, 5), REGION_CLEAR);
	region_destroy(region);
}

/* EVICT: limit + 1 distinct pages evict exactly one page, the one the
 * policy names; the victim is not present, and the next access to it
 * faults: its TLB entry went with the PTE (else the access would reach the
 * freed frame without a fault). */
KTEST(region, evict_invalidates_the_victim)
{
	struct region *region = region_test_create(t, "fifo:identity", 16, 4);
	struct region_stats stats;
	volatile uint8_t *pages[5];

	for (unsigned i = 0; i < 5; i++) {
		pages[i] = region_page_address(region, i);
		pages[i][0] = (uint8_t)(i + 1);	/* loads the TLB entry */
	}
	region_get_stats(region, &stats);
	KTEST_EXPECT_EQ(t, stats.evictions, 1);
	KTEST_EXPECT_EQ(t, region_page_state(region, 0), REGION_SEALED);
	KTEST_EXPECT(t, !vmm_translate(vmm_kernel_space(),
				       (uintptr_t)pages[0], NULL, NULL));
	uint64_t before = faults_of(region);
	KTEST_EXPECT_EQ(t, pages[0][0], 1);
	KTEST_EXPECT_EQ(t, faults_of(region), before + 1);
	/* page 1 was next in FIFO order: it is the one evicted now */
	KTEST_EXPECT_EQ(t, region_page_state(region, 1), REGION_SEALED);
	region_destroy(region);
}

static const char *const region_test_chains[] = {
	"fifo:identity", "fifo:xor-debug", "clock:samefill", "clock:wkdm",
	"clock:lz4", "clock:adaptive", "2q:xor-debug,adaptive",
};

/* FAULT: a sealed page restores to exactly its content, every transform. */
KTEST(region, fault_restores_every_transform)
{
	for (unsigned c = 0; c < sizeof(region_test_chains) / sizeof(char *); c++) {
		struct region *region =
			region_test_create(t, region_test_chains[c], 32, 3);
		uint8_t expected[4096];
		unsigned mismatches = 0;

		for (uint32_t page = 0; page < 32; page++)
			region_test_fill(region_page_address(region, page), page);
		for (uint32_t page = 0; page < 32; page++) {
			region_test_fill(expected, page);
			mismatches += memcmp(region_page_address(region, page),
					     expected, 4096) != 0;
		}
		if (mismatches)
			ktest_log(t, "%s: %u mismatches", region_test_chains[c],
				  mismatches);
		KTEST_EXPECT_EQ(t, mismatches, 0);
		region_destroy(region);
	}
}

/* INVALIDATE: a protection change takes effect at once (a stale writable
 * TLB entry would let the write through); unmap drops the page and frees
 * its frame; destroy returns every frame and slab object. */
KTEST(region, invalidate_protect_unmap_destroy)
{
	struct pmm_stats before, after;
	struct ktest_trap trap;

	slab_reap();
	pmm_get_stats(&pmm_kernel, &before);
	struct region *region = region_test_create(t, "clock:identity", 8, 4);
	uint8_t *page = region_page_address(region, 2);
	page[0] = 5;	/* writable TLB entry loaded */
	KTEST_EXPECT_EQ(t, region_protect(region, VMM_READ), REGION_OK);
	KTEST_ASSERT(t, ktest_catch(ktest_write_byte, page, &trap));
	KTEST_EXPECT_EQ(t, trap.fault_address, (uint64_t)page);
	KTEST_EXPECT_EQ(t, page[0], 5);
	region_protect(region, VMM_READ | VMM_WRITE);
	page[0] = 6;
	KTEST_EXPECT_EQ(t, region_unmap_page(region, 2), REGION_OK);
	KTEST_EXPECT_EQ(t, region_page_state(region, 2), REGION_UNPOPULATED);
	KTEST_EXPECT_EQ(t, page[0], 0);	/* faulted in again, zero-filled */
	for (uint32_t i = 0; i < 8; i++)
		region_test_fill(region_page_address(region, i), i);
	region_destroy(region);
	slab_reap();
	pmm_get_stats(&pmm_kernel, &after);
	KTEST_EXPECT_EQ(t, after.free_frames, before.free_frames);
}

/* A sealed PTE whose handle was altered is reported, not followed: the
 * fault stays unresolved and the region counts it. */
KTEST(region, corrupt_handle_is_detected)
{
	struct region *region = region_test_create(t, "fifo:identity", 4, 1);
	uint8_t *page0 = region_page_address(region, 0);
	struct ktest_trap trap;
	struct region_stats stats;
	uint64_t handle;

	page0[0] = 42;
	*(volatile uint8_t *)region_page_address(region, 1) = 1;	/* evicts 0 */
	KTEST_ASSERT(t, vmm_get_handle(vmm_kernel_space(), (uintptr_t)page0, &handle));
	vmm_clear_handle(vmm_kernel_space(), (uintptr_t)page0);
	vmm_set_handle(vmm_kernel_space(), (uintptr_t)page0, handle ^ 0x100);
	KTEST_ASSERT(t, ktest_catch(ktest_read_byte, page0, &trap));
	KTEST_EXPECT_EQ(t, trap.fault_address, (uint64_t)page0);
	region_get_stats(region, &stats);
	KTEST_EXPECT_EQ(t, stats.corrupt, 1);
	vmm_clear_handle(vmm_kernel_space(), (uintptr_t)page0);
	vmm_set_handle(vmm_kernel_space(), (uintptr_t)page0, handle);
	KTEST_EXPECT_EQ(t, page0[0], 42);
	region_destroy(region);
}

/* A hot page survives a scan of cold pages under CLOCK, not under FIFO. */
static uint64_t hot_page_faults(struct ktest *t, const char *scheme)
{
	struct region *region = region_test_create(t, scheme, 64, 8);
	volatile uint8_t *hot = region_page_address(region, 0);

	/* One victim at a time: CLOCK's second chance needs the hot page's
	 * access between two picks, which a batch does not wait for. */
	KTEST_ASSERT(t, region_set_evict_batch(region, 1) == REGION_OK);
	uint64_t before = 0;

	hot[0] = 1;
	/* One scan to warm up: while every Accessed bit is still set from
	 * admission, CLOCK's first sweep degenerates to FIFO. */
	for (uint32_t round = 0; round < 4; round++) {
		if (round == 1)
			before = faults_of(region);
		for (uint32_t page = 1; page < 64; page++) {
			*(volatile uint8_t *)region_page_address(region, page) = 1;
			hot[0]++;
		}
	}
	uint64_t hot_faults = faults_of(region) - before - 3 * 63;
	region_destroy(region);
	return hot_faults;
}

KTEST(region, clock_keeps_hot_page_fifo_does_not)
{
	uint64_t clock = hot_page_faults(t, "clock:identity");
	uint64_t fifo = hot_page_faults(t, "fifo:identity");

	ktest_log(t, "faults of the hot page: clock=%llu fifo=%llu",
		  (unsigned long long)clock, (unsigned long long)fifo);
	KTEST_EXPECT_EQ(t, clock, 0);
	KTEST_EXPECT(t, fifo > 8);
}

static const char *map_subscriber_scheme;
static unsigned map_events, map_not_clear;

/* MAP: at the moment a page becomes present it is in clear form: every
 * page the stress writes keeps a checksum in its own last 8 bytes, so a
 * sealed (scrambled, compressed) page cannot pass. */
static void check_clear_on_map(struct tlb_subscriber *s, struct region *r,
			       uintptr_t address, uint64_t frame)
{
	const uint64_t *words = frame_address(frame);
	uint64_t stored = words[511];
	uint64_t hash = 0xcbf29ce484222325ull;

	(void)s, (void)r, (void)address;
	for (unsigned i = 0; i < 511; i++)
		hash = (hash ^ words[i]) * 0x100000001b3ull;
	map_events++;
	/* a zero page (first touch) is clear too */
	if (hash != stored && !(stored == 0 && words[0] == 0 && words[255] == 0))
		map_not_clear++;
}

static const struct tlb_subscriber_ops map_checker_ops = {
	.name = "map-checker", .priority = 0, .on_map = check_clear_on_map,
};

static void stamp(uint64_t *words, uint64_t seed)
{
	uint64_t hash = 0xcbf29ce484222325ull;

	region_test_fill(words, seed);
	for (unsigned i = 0; i < 511; i++)
		hash = (hash ^ words[i]) * 0x100000001b3ull;
	words[511] = hash;
}

/* Random and skewed reads and writes over a region 16 times its clear
 * set; every read is checked against the page's last written version. */
static unsigned region_stress(struct ktest *t, const char *scheme,
			      unsigned accesses, struct region_stats *out)
{
	enum { PAGES = 256, LIMIT = 16 };
	static uint32_t versions[PAGES];
	static uint64_t stamps[PAGES];	/* each page's words[511] */
	struct region *region = region_test_create(t, scheme, PAGES, LIMIT);
	uint64_t x = 88172645463325252ull;
	unsigned mismatches = 0;

	memset(versions, 0, sizeof(versions));
	memset(stamps, 0, sizeof(stamps));
	for (unsigned i = 0; i < accesses; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t r = (uint32_t)x % 1000u;
		/* skewed: four in five accesses go to 12 hot pages (fewer
		 * than the clear set holds), the rest anywhere */
		uint32_t page = r < 800 ? (uint32_t)(x >> 20) % 12 :
					  (uint32_t)(x >> 20) % PAGES;
		uint64_t *words = region_page_address(region, page);
		uint64_t seed = (uint64_t)versions[page] * PAGES + page;
		uint64_t first = versions[page] ? seed << 16 : 0;
		/* the MAP checker verifies whole pages as they come back;
		 * here the version (first word) and the stamp (last) */
		if (words[0] != first || words[511] != stamps[page])
			mismatches++;
		if ((x >> 40) % 3 == 0) {
			versions[page]++;
			stamp(words, (uint64_t)versions[page] * PAGES + page);
			stamps[page] = words[511];
		}
	}
	region_get_stats(region, out);
	region_destroy(region);
	return mismatches;
}

void region_stress_case(struct ktest *t, const char *scheme,
			unsigned accesses)
{
	struct tlb_subscriber checker = { &map_checker_ops, NULL };
	struct region_stats stats;

	map_subscriber_scheme = scheme;
	map_events = map_not_clear = 0;
	KTEST_ASSERT(t, tlb_subscribe(&checker) == TLB_HOOKS_OK);
	unsigned mismatches = region_stress(t, scheme, accesses, &stats);
	tlb_unsubscribe(&checker);
	ktest_log(t, "%s: %u accesses, %llu faults, %llu evictions, %u maps, "
		  "%u mismatches, %u not clear at MAP", scheme, accesses,
		  (unsigned long long)stats.faults,
		  (unsigned long long)stats.evictions, map_events, mismatches,
		  map_not_clear);
	KTEST_EXPECT_EQ(t, mismatches, 0);
	KTEST_EXPECT_EQ(t, map_not_clear, 0);
	KTEST_EXPECT(t, stats.evictions > 0);
}

KTEST_SLOW(region, stress_million_clock_identity, 120000)
{
	region_stress_case(t, "clock:identity", 1000000);
}

KTEST_SLOW(region, stress_every_policy_and_transform, 120000)
{
	static const char *const schemes[] = {
		"fifo:identity", "2q:identity", "clock:xor-debug",
		"fifo:samefill", "2q:wkdm", "clock:lz4", "clock:adaptive",
	};

	for (unsigned i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		region_stress_case(t, schemes[i], 100000);
}

/* Long runs only on request (ktest_long on the command line, or make
 * test-long): 10^6 accesses for every policy with every transform, which
 * under QEMU's TCG takes a quarter of an hour; make test runs the 10^6 run
 * above and 10^5 for each combination. */
static bool region_test_long;

/* A switch: ktest_long, ktest_long=on or =1 turn the long runs on,
 * ktest_long=off or =0 leave them off; anything else is refused. */
static bool region_set_test_long(const char *value)
{
	return cmdline_parse_bool(value, &region_test_long);
}
CMDLINE_OPTION(ktest_long, "ktest_long",
	       "[on|off] run the long ktest cases (make test-long)",
	       region_set_test_long);

KTEST_SLOW(region, stress_million_every_policy_and_transform, 3600000)
{
	static const char *const policies[] = { "fifo", "clock", "2q" };
	static const char *const transforms[] = {
		"identity", "xor-debug", "samefill", "wkdm", "lz4", "adaptive",
		"adaptive,aes128-xts-mac", "dense",
	};
	char scheme[48];

	if (!region_test_long)
		ktest_skip(t, "long: ktest_long on the command line (make test-long)");
	for (unsigned p = 0; p < 3; p++) {
		for (unsigned x = 0; x < sizeof(transforms) / sizeof(transforms[0]); x++) {
			ksnprintf(scheme, sizeof(scheme), "%s:%s", policies[p],
				  transforms[x]);
			region_stress_case(t, scheme, 1000000);
		}
	}
}

/* A region whose clear set is sized in percent: after every page was
 * touched once the limit is that share of the populated pages (never
 * below the floor given as clear_limit), and the rest are sealed; at
 * 100 % nothing is ever sealed; above 100 % the region is refused. */
static struct region *region_test_percent(struct ktest *t, uint32_t percent)
{
	struct region_config config = {
		.name = "ktest-percent", .pages = 64, .clear_limit = 2,
		.scheme = "fifo:identity", .store = store_default(),
		.clear_percent = percent,
	};
	struct region *region = NULL;

	KTEST_ASSERT(t, region_create(&config, &region) == REGION_OK);
	for (uint32_t page = 0; page < 64; page++)
		KTEST_ASSERT(t, region_fault_page(region, page) == REGION_OK);
	return region;
}

KTEST(region, clear_limit_follows_a_percentage_of_populated_pages)
{
	struct region_stats stats;
	struct region *region = region_test_percent(t, 25);

	region_get_stats(region, &stats);
	KTEST_EXPECT_EQ(t, region->clear.limit, 16);
	KTEST_EXPECT_EQ(t, stats.sealed_pages, 48);
	region_destroy(region);

	region = region_test_percent(t, 100);
	region_get_stats(region, &stats);
	KTEST_EXPECT_EQ(t, region->clear.limit, 64);
	KTEST_EXPECT_EQ(t, stats.sealed_pages, 0);
	region_destroy(region);

	struct region_config too_much = {
		.name = "ktest-percent", .pages = 64, .clear_limit = 2,
		.scheme = "fifo:identity", .store = store_default(),
		.clear_percent = 101,
	};
	KTEST_EXPECT_EQ(t, region_create(&too_much, &region), REGION_BAD_ARGUMENT);
}
