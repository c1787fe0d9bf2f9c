/*
 * Host tests of transformed regions (mm/region*.c, mm/scheme.c, mm/hooks.c)
 * over the fake address space of tests/host/fake_vmm.c, with the real
 * policies, transforms and page store. Each of the four events is checked
 * at its hook, and the stress runs compare every page with a shadow copy.
 */
#include <stdlib.h>
#include <string.h>
#include "mm/hooks.h"
#include "mm/region.h"
#include "mm/region_internal.h"
#include "mm/vmm.h"
#include "tests/host/fake_vmm.h"
#include "tests/host/htest.h"
#include "transforms/xf.h"
#include "transforms/xf_codec.h"

static struct region *make_region(const char *scheme, uint32_t pages,
				  uint32_t limit, struct store *store)
{
	struct region_config config = {
		.name = "test", .pages = pages, .clear_limit = limit,
		.scheme = scheme, .store = store,
	};
	struct region *region = NULL;

	xf_register_builtin();
	xf_codec_register();
	HCHECK_EQ(region_create(&config, &region), REGION_OK);
	return region;
}

/* Destroys what make_region and fake_store_create made, and frees the
 * frames the fake kept after release. */
static void teardown(struct region *region, struct store *store)
{
	region_destroy(region);
	store->ops->destroy(store);
	fake_release_quarantine();
}

static uintptr_t va_of(struct region *region, uint32_t page)
{
	return (uintptr_t)region_page_address(region, page);
}

static void fill_page(uint8_t *page, uint32_t seed)
{
	/* Half compressible, half noise, so every codec has work. */
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	for (unsigned i = 0; i < 4096; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t word = i < 2048 ? (uint64_t)seed << 8 | (i & 0xf0) : x;
		memcpy(page + i, &word, 8);
	}
}

HTEST(first_touch_reads_zeros)
{
	struct store *store = fake_store_create(64);
	struct region *region = make_region("fifo:identity", 8, 2, store);
	uint8_t *p = fake_access(va_of(region, 3), false);
	static const uint8_t zeros[4096];

	HCHECK(p != NULL);
	HCHECK(p && memcmp(p, zeros, 4096) == 0);
	HCHECK_EQ(region_page_state(region, 3), REGION_CLEAR);
	region_destroy(region);
	store->ops->destroy(store);
}

/* Records what each event saw. */
struct event_log {
	unsigned maps, faults, evicts, invalidates;
	uintptr_t last_evicted;
	bool evicted_was_present;	/* the PTE at EVICT time */
	bool evicted_was_cached;	/* a "TLB entry" at EVICT time */
	unsigned evicts_cached;		/* EVICTs that saw one (any) */
	uint64_t evicted_frame;
};

static struct event_log events;

static void on_map(struct tlb_subscriber *s, struct region *r, uintptr_t va,
		   uint64_t frame)
{
	(void)s;
	(void)r;
	(void)frame;
	HCHECK(fake_pte_of(va)->present);
	events.maps++;
}

static void on_fault(struct tlb_subscriber *s, struct region *r, uintptr_t va,
		     uint64_t frame)
{
	(void)s;
	(void)r;
	(void)frame;
	HCHECK(!fake_pte_of(va)->present);	/* restored before it is mapped */
	events.faults++;
}

static void on_evict(struct tlb_subscriber *s, struct region *r, uintptr_t va,
		     uint64_t frame)
{
	(void)s;
	(void)r;
	events.evicts++;
	events.last_evicted = va;
	events.evicted_was_present = fake_pte_of(va)->present;
	events.evicted_was_cached = fake_pte_of(va)->cached;
	events.evicts_cached += fake_pte_of(va)->cached;
	events.evicted_frame = frame;
}

static void on_invalidate(struct tlb_subscriber *s, struct region *r,
			  uintptr_t va, uint64_t frame)
{
	(void)s;
	(void)r;
	(void)frame;
	HCHECK(!fake_pte_of(va)->cached);
	events.invalidates++;
}

static const struct tlb_subscriber_ops recorder_ops = {
	.name = "recorder", .priority = 0, .on_map = on_map,
	.on_fault = on_fault, .on_evict = on_evict,
	.on_invalidate = on_invalidate,
};

/* A batch of 3 with a full set of 12 cached pages: the three oldest leave
 * at once, in FIFO order, each invalidated before its EVICT, and the set
 * holds 10 afterwards (9 left + the page brought in). A set of 8 takes
 * 2 at once (a quarter of its limit), one of 7 one at a time. */
HTEST(a_batched_eviction_takes_the_policy_victims_in_order)
{
	struct tlb_subscriber recorder = { &recorder_ops, NULL };
	struct store *store = fake_store_create(64);
	struct region *region = make_region("fifo:identity", 16, 12, store);
	struct region_stats stats;

	HCHECK_EQ(region_set_evict_batch(region, 3), REGION_OK);
	HCHECK_EQ(region_set_evict_batch(region, 0), REGION_BAD_ARGUMENT);
	HCHECK_EQ(region_set_evict_batch(region, REGION_EVICT_BATCH_MAX + 1),
		  REGION_BAD_ARGUMENT);
	memset(&events, 0, sizeof(events));
	HCHECK_EQ(tlb_subscribe(&recorder), TLB_HOOKS_OK);
	for (uint32_t page = 0; page < 12; page++)
		fake_access(va_of(region, page), true)[0] = (uint8_t)(page + 1);
	uint64_t rounds = fake.rounds;
	fake_access(va_of(region, 12), true);	/* limit + 1 */
	region_get_stats(region, &stats);
	HCHECK_EQ(stats.evictions, 3);
	HCHECK_EQ(events.evicts, 3);
	HCHECK_EQ(events.evicts_cached, 0);	/* the round came first */
	HCHECK_EQ(fake.rounds, rounds + 1);
	HCHECK_EQ(events.last_evicted, va_of(region, 2));
	for (uint32_t page = 0; page < 3; page++)
		HCHECK_EQ(region_page_state(region, page), REGION_SEALED);
	HCHECK_EQ(region_page_state(region, 3), REGION_CLEAR);
	HCHECK_EQ(stats.clear_pages, 10);
	HCHECK_EQ(stats.sealed_pages, 3);
	for (uint32_t page = 0; page < 12; page++)	/* nothing lost */
		HCHECK_EQ(fake_access(va_of(region, page), false)[0], page + 1);
	HCHECK_EQ(tlb_unsubscribe(&recorder), TLB_HOOKS_OK);
	region_destroy(region);
	for (uint32_t limit = 7; limit <= 8; limit++) {
		region = make_region("fifo:identity", 16, limit, store);
		HCHECK_EQ(region_set_evict_batch(region, 3), REGION_OK);
		for (uint32_t page = 0; page <= limit; page++)
			fake_access(va_of(region, page), true);
		region_get_stats(region, &stats);
		HCHECK_EQ(stats.evictions, limit / 4);
		region_destroy(region);
	}
	store->ops->destroy(store);
	fake_release_quarantine();
}

HTEST(evict_exactly_the_policy_victim)
{
	struct tlb_subscriber recorder = { &recorder_ops, NULL };
	struct store *store = fake_store_create(64);
	struct region *region = make_region("fifo:identity", 16, 4, store);
	struct region_stats stats;

	HCHECK_EQ(region_set_evict_batch(region, 1), REGION_OK);
	memset(&events, 0, sizeof(events));
	HCHECK_EQ(tlb_subscribe(&recorder), TLB_HOOKS_OK);
	for (uint32_t page = 0; page < 4; page++)
		fake_access(va_of(region, page), true)[0] = (uint8_t)page;
	HCHECK_EQ(events.evicts, 0);
	fake_access(va_of(region, 4), true);	/* limit + 1 */
	region_get_stats(region, &stats);
	HCHECK_EQ(stats.evictions, 1);
	HCHECK_EQ(events.evicts, 1);
	HCHECK_EQ(events.last_evicted, va_of(region, 0));	/* FIFO's victim */
	HCHECK(!events.evicted_was_present);
	HCHECK(!events.evicted_was_cached);	/* invalidated before EVICT */
	HCHECK_EQ(region_page_state(region, 0), REGION_SEALED);
	HCHECK(!fake_pte_of(va_of(region, 0))->present);
	/* Touching the victim again faults again and restores it. */
	uint64_t faults_before = events.faults;
	uint8_t *p = fake_access(va_of(region, 0), false);
	HCHECK(p && p[0] == 0);
	HCHECK_EQ(events.faults, faults_before + 1);
	HCHECK_EQ(events.maps, 6);
	HCHECK_EQ(tlb_unsubscribe(&recorder), TLB_HOOKS_OK);
	region_destroy(region);
	store->ops->destroy(store);
}

static const char *const every_chain[] = {
	"fifo:identity", "fifo:xor-debug", "clock:samefill", "clock:wkdm",
	"2q:lz4", "clock:adaptive", "clock:xor-debug,adaptive",
	"fifo:adaptive,identity",
};

HTEST(fault_restores_exact_content_every_transform)
{
	for (size_t c = 0; c < sizeof(every_chain) / sizeof(every_chain[0]); c++) {
		struct store *store = fake_store_create(4096);
		struct region *region = make_region(every_chain[c], 64, 4, store);
		uint8_t expected[4096];
		unsigned mismatches = 0;

		for (uint32_t page = 0; page < 64; page++)
			fill_page(fake_access(va_of(region, page), true), page);
		for (uint32_t page = 0; page < 64; page++) {
			fill_page(expected, page);
			uint8_t *p = fake_access(va_of(region, page), false);
			mismatches += !p || memcmp(p, expected, 4096) != 0;
		}
		if (mismatches)
			htest_log("%s: %u mismatches", every_chain[c], mismatches);
		HCHECK_EQ(mismatches, 0);
		teardown(region, store);
	}
}

/* Words of same-filled pages: the first four fit a record (zero, all
 * ones, a small integer, a user pointer), the fifth does not. */
static const uint64_t same_filled_words[] = {
	0, ~0ull, 42, 0x00007fffdeadbee8ull, 0x4141414141414141ull,
};
#define SAME_FILLED_FITTING 4
#define SAME_FILLED_PAGES 5

static void fill_word(uint8_t *page, uint64_t word)
{
	for (unsigned i = 0; i < 4096; i += 8)
		memcpy(page + i, &word, 8);
}

/* Same-filled pages whose word fits the record are sealed with no store
 * copy (same_filled_pages counts them, bytes_stored and the store's
 * objects leave them out) and come back exact; the others are stored. */
static void same_filled_under(const char *scheme)
{
	struct store *store = fake_store_create(64);
	struct region *region = make_region(scheme, 8, 1, store);
	struct region_stats stats;
	struct store_stats stored;
	uint8_t expected[4096];
	unsigned mismatches = 0;

	for (uint32_t page = 0; page < SAME_FILLED_PAGES; page++)
		fill_word(fake_access(va_of(region, page), true), same_filled_words[page]);
	fill_page(fake_access(va_of(region, 5), true), 5);
	fake_access(va_of(region, 6), true);	/* seals page 5 */
	region_get_stats(region, &stats);
	store_stats(store, &stored);
	htest_log("%s: sealed %llu, same-filled %llu, stored %llu bytes in %llu objects",
		  scheme, (unsigned long long)stats.sealed_pages,
		  (unsigned long long)stats.same_filled_pages,
		  (unsigned long long)stats.bytes_stored,
		  (unsigned long long)stored.pages_stored);
	HCHECK_EQ(stats.sealed_pages, 6);
	HCHECK_EQ(stats.same_filled_pages, SAME_FILLED_FITTING);
	HCHECK_EQ(stored.pages_stored, 6 - SAME_FILLED_FITTING);
	HCHECK_EQ(stored.bytes_stored, stats.bytes_stored);
	for (uint32_t page = 0; page < SAME_FILLED_PAGES; page++) {
		fill_word(expected, same_filled_words[page]);
		mismatches += memcmp(fake_access(va_of(region, page), false),
				     expected, 4096) != 0;
	}
	fill_page(expected, 5);
	mismatches += memcmp(fake_access(va_of(region, 5), false), expected, 4096) != 0;
	HCHECK_EQ(mismatches, 0);
	/* Page 5 is clear now; 0..3 sealed again, and 6 (a first touch,
	 * zeros) too: five without a copy, page 4 the only object. */
	region_get_stats(region, &stats);
	store_stats(store, &stored);
	HCHECK_EQ(stats.same_filled_pages, SAME_FILLED_FITTING + 1);
	HCHECK_EQ(stored.pages_stored, 1);
	teardown(region, store);
}

HTEST(same_filled_pages_cost_no_store_bytes)
{
	same_filled_under("fifo:lz4");
	same_filled_under("fifo:identity");
	same_filled_under("fifo:wkdm");
}

/* With same_filled=off every sealed page has a store copy. */
HTEST(same_filled_off_stores_every_page)
{
	struct store *store = fake_store_create(64);
	struct region *region = make_region("fifo:lz4", 4, 1, store);
	struct region_stats stats;
	struct store_stats stored;
	uint8_t expected[4096];

	region_same_filled_kept = false;
	fill_word(fake_access(va_of(region, 0), true), 0);
	fill_word(fake_access(va_of(region, 1), true), 42);
	fake_access(va_of(region, 2), true);
	region_get_stats(region, &stats);
	store_stats(store, &stored);
	HCHECK_EQ(stats.sealed_pages, 2);
	HCHECK_EQ(stats.same_filled_pages, 0);
	HCHECK_EQ(stored.pages_stored, 2);
	fill_word(expected, 42);
	HCHECK(memcmp(fake_access(va_of(region, 1), false), expected, 4096) == 0);
	region_same_filled_kept = true;
	teardown(region, store);
}

HTEST(xor_debug_scrambles_the_frame_a_stale_entry_would_reach)
{
	struct tlb_subscriber recorder = { &recorder_ops, NULL };
	struct store *store = fake_store_create(64);
	struct region *region = make_region("fifo:xor-debug", 4, 1, store);
	uint8_t original[4096];

	memset(&events, 0, sizeof(events));
	tlb_subscribe(&recorder);
	fill_page(original, 7);
	memcpy(fake_access(va_of(region, 0), true), original, 4096);
	fake_access(va_of(region, 1), false);	/* evicts page 0 */
	HCHECK_EQ(events.evicts, 1);
	/* The old frame (kept in quarantine) now holds scrambled bytes. */
	HCHECK(memcmp((void *)(uintptr_t)events.evicted_frame, original, 4096) != 0);
	HCHECK(memcmp(fake_access(va_of(region, 0), false), original, 4096) == 0);
	tlb_unsubscribe(&recorder);
	teardown(region, store);
}

HTEST(invalidate_unmap_protect_purge_destroy)
{
	struct tlb_subscriber recorder = { &recorder_ops, NULL };
	struct store *store = fake_store_create(64);
	uint64_t frames_before = fake.frames_allocated;
	uint64_t kmalloc_before = fake.kmalloc_live;
	struct region *region = make_region("clock:identity", 8, 4, store);
	struct store_stats store_stats_now;

	memset(&events, 0, sizeof(events));
	tlb_subscribe(&recorder);
	fake_access(va_of(region, 0), true)[0] = 1;
	fake_access(va_of(region, 1), true)[0] = 2;
	fake_access(va_of(region, 2), true)[0] = 3;
	/* unmap: the page is dropped and reads as zeros again */
	HCHECK_EQ(region_unmap_page(region, 0), REGION_OK);
	HCHECK_EQ(events.invalidates, 1);
	HCHECK(!fake_pte_of(va_of(region, 0))->present);
	HCHECK_EQ(fake_access(va_of(region, 0), false)[0], 0);
	/* protect: every present page is invalidated, writes then fault */
	unsigned before = events.invalidates;
	HCHECK_EQ(region_protect(region, VMM_READ), REGION_OK);
	HCHECK_EQ(events.invalidates, before + 3);
	HCHECK(fake_access(va_of(region, 1), true) == NULL);
	HCHECK_EQ(fake_access(va_of(region, 1), false)[0], 2);
	region_protect(region, VMM_READ | VMM_WRITE);
	/* purge: sealed now, content kept */
	HCHECK_EQ(region_purge_page(region, 2), REGION_OK);
	HCHECK_EQ(region_page_state(region, 2), REGION_SEALED);
	HCHECK_EQ(fake_access(va_of(region, 2), false)[0], 3);
	region_purge_page(region, 1);
	tlb_unsubscribe(&recorder);
	region_destroy(region);
	store_stats(store, &store_stats_now);
	HCHECK_EQ(store_stats_now.pages_stored, 0);
	HCHECK_EQ(fake.frames_allocated, frames_before);
	HCHECK_EQ(fake.kmalloc_live, kmalloc_before);
	store->ops->destroy(store);
	fake_release_quarantine();
}

HTEST(store_full_keeps_pages_clear_and_intact)
{
	/* A store (16 frames at least) too small for 64 raw sealed pages. */
	struct store *store = fake_store_create(16);
	struct region *region = make_region("fifo:identity", 64, 4, store);
	struct region_stats stats;
	uint8_t expected[4096];
	unsigned mismatches = 0;

	for (uint32_t page = 0; page < 64; page++)
		fill_page(fake_access(va_of(region, page), true), page + 100);
	region_get_stats(region, &stats);
	HCHECK(stats.seal_failures > 0);
	HCHECK(stats.clear_pages > 4);	/* over the limit, nothing lost */
	for (uint32_t page = 0; page < 64; page++) {
		fill_page(expected, page + 100);
		uint8_t *p = fake_access(va_of(region, page), false);
		mismatches += !p || memcmp(p, expected, 4096) != 0;
	}
	HCHECK_EQ(mismatches, 0);
	teardown(region, store);
}

HTEST(corrupt_handle_in_pte_is_detected_not_followed)
{
	struct store *store = fake_store_create(64);
	struct region *region = make_region("fifo:identity", 4, 1, store);
	struct region_stats stats;

	fake_access(va_of(region, 0), true)[0] = 9;
	fake_access(va_of(region, 1), true);	/* seals page 0 */
	HCHECK_EQ(region_page_state(region, 0), REGION_SEALED);
	fake_pte_of(va_of(region, 0))->handle ^= 0x40;	/* a flipped bit */
	HCHECK(fake_access(va_of(region, 0), false) == NULL);
	region_get_stats(region, &stats);
	HCHECK_EQ(stats.corrupt, 1);
	HCHECK_EQ(region_page_state(region, 0), REGION_SEALED);
	fake_pte_of(va_of(region, 0))->handle ^= 0x40;	/* repaired: readable */
	HCHECK_EQ(fake_access(va_of(region, 0), false)[0], 9);
	teardown(region, store);
}

HTEST(scheme_change_keeps_old_pages_readable)
{
	struct store *store = fake_store_create(256);
	struct region *region = make_region("fifo:xor-debug", 32, 2, store);
	uint8_t expected[4096];
	char name[64];
	unsigned mismatches = 0;

	for (uint32_t page = 0; page < 16; page++)
		fill_page(fake_access(va_of(region, page), true), page);
	HCHECK_EQ(region_set_scheme(region, "clock:adaptive"), REGION_OK);
	region_scheme_name(region, name, sizeof(name));
	HCHECK(strcmp(name, "clock:adaptive") == 0);
	HCHECK_EQ(region_set_scheme(region, "nonsense:lz4"), REGION_BAD_SCHEME);
	HCHECK_EQ(region_set_scheme(region, "clock:aes-nothing"), REGION_BAD_SCHEME);
	for (uint32_t page = 16; page < 32; page++)
		fill_page(fake_access(va_of(region, page), true), page);
	for (uint32_t page = 0; page < 32; page++) {
		fill_page(expected, page);
		uint8_t *p = fake_access(va_of(region, page), false);
		mismatches += !p || memcmp(p, expected, 4096) != 0;
	}
	HCHECK_EQ(mismatches, 0);
	teardown(region, store);
}

/* A skewed page choice: small indices far more often (about Zipf s=1). */
static uint32_t skewed_page(uint32_t pages)
{
	double u = (rand() + 1.0) / ((double)RAND_MAX + 2.0);
	uint32_t page = (uint32_t)(pages * u * u * u);
	return page < pages ? page : pages - 1;
}

static unsigned stress(const char *scheme, unsigned accesses)
{
	enum { PAGES = 256, LIMIT = 16 };
	struct store *store = fake_store_create(1024);
	struct region *region = make_region(scheme, PAGES, LIMIT, store);
	static uint32_t version[PAGES];
	unsigned mismatches = 0;
	uint8_t expected[4096];

	memset(version, 0, sizeof(version));
	for (unsigned i = 0; i < accesses; i++) {
		uint32_t page = i & 1 ? skewed_page(PAGES) : (uint32_t)rand() % PAGES;
		bool write = rand() % 3 == 0;
		uint8_t *p = fake_access(va_of(region, page), write);
		if (!p) {
			mismatches++;
			continue;
		}
		if (version[page] == 0)
			memset(expected, 0, sizeof(expected));
		else
			fill_page(expected, version[page] * PAGES + page);
		mismatches += memcmp(p, expected, 4096) != 0;
		if (write) {
			version[page]++;
			fill_page(p, version[page] * PAGES + page);
		}
		if (i % 4096 == 0)
			fake_release_quarantine();
	}
	teardown(region, store);
	return mismatches;
}

/* A store swap without a migration (none runs on the host): pages sealed
 * into the first store are read from there and sealed into the new one
 * when they fault; the old store goes once no slot with pages uses it
 * (at the next scheme change), the last one with the region. */
HTEST(store_swap_reads_old_store_then_retires_it)
{
	struct store *store = fake_store_create(256);
	struct store *swapped = fake_store_create(256);
	struct store *second = fake_store_create(256);
	struct region *region = make_region("fifo:lz4", 32, 2, store);
	struct store_stats before, stats;
	struct region_stats region_stats;
	uint8_t expected[4096];
	unsigned mismatches = 0;

	for (uint32_t page = 0; page < 32; page++)
		fill_page(fake_access(va_of(region, page), true), page);
	store_stats(store, &before);
	HCHECK(before.pages_stored >= 30);
	HCHECK_EQ(region_set_scheme_store(region, "fifo:lz4", swapped), REGION_OK);
	/* every page read back: each fault takes it out of the old store,
	 * the evictions seal into the new one */
	for (int round = 0; round < 2; round++) {
		for (uint32_t page = 0; page < 32; page++) {
			fill_page(expected, page);
			uint8_t *p = fake_access(va_of(region, page), false);
			mismatches += !p || memcmp(p, expected, 4096) != 0;
		}
	}
	HCHECK_EQ(mismatches, 0);
	store_stats(store, &stats);
	HCHECK_EQ(stats.pages_stored, 0);	/* the old store is empty */
	store_stats(swapped, &stats);
	HCHECK(stats.pages_stored >= 30);
	/* a plain change keeps the store: the swapped one still seals */
	HCHECK_EQ(region_set_scheme(region, "clock:lz4"), REGION_OK);
	region_get_stats(region, &region_stats);
	HCHECK_EQ(region_stats.stores_retired, 0);
	/* a second swap: once the first given store holds nothing, it goes */
	HCHECK_EQ(region_set_scheme_store(region, "clock:lz4", second), REGION_OK);
	for (uint32_t page = 0; page < 32; page++)
		fake_access(va_of(region, page), false);
	HCHECK_EQ(region_set_scheme(region, "fifo:lz4"), REGION_OK);
	region_get_stats(region, &region_stats);
	HCHECK_EQ(region_stats.stores_retired, 1);	/* swapped, destroyed */
	teardown(region, store);	/* and second with the region */
}

HTEST(stress_every_policy_and_transform)
{
	static const char *const schemes[] = {
		"fifo:identity", "clock:identity", "2q:identity",
		"clock:xor-debug", "2q:adaptive", "clock:lz4,xor-debug",
	};

	srand(1);
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		unsigned mismatches = stress(schemes[i], 40000);
		if (mismatches)
			htest_log("%s: %u mismatches", schemes[i], mismatches);
		HCHECK_EQ(mismatches, 0);
	}
}

HTEST(bad_arguments_are_refused)
{
	struct store *store = fake_store_create(16);
	struct region_config config = {
		.name = "bad", .pages = 4, .clear_limit = 8,
		.scheme = "fifo", .store = store,
	};
	struct region *region = NULL;

	HCHECK_EQ(region_create(&config, &region), REGION_BAD_ARGUMENT);
	config.clear_limit = 0;
	HCHECK_EQ(region_create(&config, &region), REGION_BAD_ARGUMENT);
	config.clear_limit = 2;
	config.scheme = "lru:lz4";
	HCHECK_EQ(region_create(&config, &region), REGION_BAD_SCHEME);
	config.scheme = "fifo:xor-debug,nothing";
	HCHECK_EQ(region_create(&config, &region), REGION_BAD_SCHEME);
	/* outside every region: nobody owns it */
	struct fault outside = { .address = 0x1000, .access = FAULT_ACCESS_READ };
	struct fault_outcome outcome;
	fault_dispatch(&outside, &outcome);
	HCHECK_EQ(outcome.response, FAULT_FATAL);
	HCHECK(outcome.owner == NULL);
	store->ops->destroy(store);
}
