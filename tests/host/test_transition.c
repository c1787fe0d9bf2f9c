/*
 * The order of the steps of every page transition, checked against the
 * table of docs/tlb-events.md ("Page transitions"). The expected sequences
 * below are written from that table, not from the code's output: each
 * step is a word the fake vmm (PTE changes, invalidations, frames), a
 * logging store (put, map, unmap, free) and an event recorder log.
 */
#include <stdio.h>
#include <string.h>
#include "mm/hooks.h"
#include "mm/region.h"
#include "mm/store.h"
#include "mm/vmm.h"
#include "tests/host/fake_vmm.h"
#include "tests/host/htest.h"
#include "transforms/xf.h"
#include "transforms/xf_codec.h"

/* ---- a store that logs what the region asks of it --------------------- */

struct logging_store {
	struct store base;
	struct store *inner;
	bool refuse_puts;	/* as a full store does */
};

static struct store *logging_inner(struct store *store)
{
	return ((struct logging_store *)store)->inner;
}

static int logging_put(struct store *store, const void *data, size_t length,
		       store_handle_t *handle)
{
	int result = ((struct logging_store *)store)->refuse_puts ? STORE_FULL :
		     store_put(logging_inner(store), data, length, handle);

	fake_log_add(result == STORE_OK ? "store-put" : "store-put-refused");
	return result;
}

static int logging_read(struct store *store, store_handle_t handle,
			void *buffer, size_t size, size_t *length)
{
	fake_log_add("store-read");
	return store_read(logging_inner(store), handle, buffer, size, length);
}

static int logging_map(struct store *store, store_handle_t handle, void *bounce,
		       struct store_view *view)
{
	int result = store_map(logging_inner(store), handle, bounce, view);

	fake_log_add(result == STORE_OK ? "store-map" : "store-map-refused");
	return result;
}

static void logging_unmap(struct store *store, struct store_view *view)
{
	fake_log_add("store-unmap");
	store_unmap(logging_inner(store), view);
}

static int logging_size(struct store *store, store_handle_t handle,
			size_t *length)
{
	return store_size(logging_inner(store), handle, length);
}

static int logging_free(struct store *store, store_handle_t handle)
{
	fake_log_add("store-free");
	return store_free(logging_inner(store), handle);
}

static int logging_free_length(struct store *store, store_handle_t handle,
			       size_t *length)
{
	fake_log_add("store-free");
	return store_free_length(logging_inner(store), handle, length);
}

static int logging_adopt(struct store *store, void *page,
			 store_handle_t *handle)
{
	int result = ((struct logging_store *)store)->refuse_puts ? STORE_FULL :
		     store_adopt_page(logging_inner(store), page, handle);

	fake_log_add(result == STORE_OK ? "store-adopt" : "store-adopt-refused");
	return result;
}

static int logging_release(struct store *store, store_handle_t handle,
			   void **page)
{
	fake_log_add("store-release");
	return store_release_page(logging_inner(store), handle, page);
}

static void logging_stats(struct store *store, struct store_stats *stats)
{
	store_stats(logging_inner(store), stats);
}

static size_t logging_compact(struct store *store)
{
	return store_compact(logging_inner(store));
}

static void logging_destroy(struct store *store)
{
	store_destroy(logging_inner(store));
}

static const struct store_ops logging_ops = {
	.name = "logging", .put = logging_put, .read = logging_read,
	.map = logging_map, .unmap = logging_unmap, .size = logging_size,
	.free = logging_free, .free_length = logging_free_length,
	.adopt_page = logging_adopt, .release_page = logging_release,
	.stats = logging_stats,
	.compact = logging_compact, .destroy = logging_destroy,
};

/* ---- events ------------------------------------------------------------ */

static void log_map(struct tlb_subscriber *s, struct region *r, uintptr_t va,
		    uint64_t frame)
{
	(void)s, (void)r, (void)va, (void)frame;
	fake_log_add("MAP");
}

static void log_fault(struct tlb_subscriber *s, struct region *r, uintptr_t va,
		      uint64_t frame)
{
	(void)s, (void)r, (void)va, (void)frame;
	fake_log_add("FAULT");
}

static void log_evict(struct tlb_subscriber *s, struct region *r, uintptr_t va,
		      uint64_t frame)
{
	(void)s, (void)r, (void)va, (void)frame;
	fake_log_add("EVICT");
}

static void log_invalidate(struct tlb_subscriber *s, struct region *r,
			   uintptr_t va, uint64_t frame)
{
	(void)s, (void)r, (void)va, (void)frame;
	fake_log_add("INVALIDATE");
}

static const struct tlb_subscriber_ops logging_subscriber_ops = {
	.name = "step-log", .on_map = log_map, .on_fault = log_fault,
	.on_evict = log_evict, .on_invalidate = log_invalidate,
};

static struct tlb_subscriber logging_subscriber = { &logging_subscriber_ops, NULL };

/* ---- the table, from docs/tlb-events.md -------------------------------- */

/* One row each; a fault with a full clear set is an eviction row then a
 * fault row. */
#define ROW_ZERO_FILL     "frame-alloc FAULT pte:none>present MAP"
/* restoring an adopted page: read in place, then the store frees it and
 * its frame goes back to the frame allocator */
#define ROW_RESTORE       "frame-alloc store-map store-unmap FAULT pte:handle>present MAP store-free frame-free"
#define ROW_RESTORE_COPY  "frame-alloc store-map store-unmap FAULT pte:handle>present MAP store-free"
/* the identity chain's sealed form is the page: the store adopts the frame */
#define ROW_EVICTION      "pte:present>busy flush EVICT store-adopt pte:busy>handle"
#define ROW_PURGE         "pte:present>busy flush INVALIDATE store-adopt pte:busy>handle"
/* a codec's sealed form is a copy elsewhere: put, and the frame freed */
#define ROW_EVICTION_COPY "pte:present>busy flush EVICT store-put pte:busy>handle frame-free"
#define ROW_UNMAP_CLEAR   "pte:present>none flush INVALIDATE frame-free"
#define ROW_UNMAP_SEALED  "pte:handle>none store-free frame-free"
#define ROW_PROTECT       "pte:present>present flush INVALIDATE"

/* Batches (docs/tlb-events.md, "Batching"): every page's first half (the
 * PTE change, its invalidation recorded), one round for all ("round:N"),
 * then every page's second half in the same order. */
#define ROWS_PROTECT_2    "pte:present>present pte:present>present round:2 " \
			  "INVALIDATE INVALIDATE"
#define HALF_SEAL_EVICT   "EVICT store-adopt pte:busy>handle"
#define ROWS_EVICTION_3   "pte:present>busy pte:present>busy pte:present>busy " \
			  "round:3 " HALF_SEAL_EVICT " " HALF_SEAL_EVICT " " \
			  HALF_SEAL_EVICT
#define HALF_PURGE        "INVALIDATE store-adopt pte:busy>handle"
#define ROWS_PURGE_2      "pte:present>busy pte:present>busy round:2 " \
			  HALF_PURGE " " HALF_PURGE
/* in a batch, an unmapped clear page is BUSY until the round is answered,
 * then none (its empty page-table pages freed then) */
#define HALF_UNMAP_CLEAR  "INVALIDATE pte:busy>none frame-free"
/* error paths */
#define ROW_SEAL_REFUSED  "pte:present>busy flush EVICT store-adopt-refused pte:busy>present MAP"
#define ROW_BAD_COPY      "frame-alloc store-map-refused frame-free"
#define ROW_NO_TABLE      "frame-alloc FAULT frame-free"
/* a copy that fails its checksum: the restore is undone, then the poison
 * row frees the copy (an adopted frame goes back); unmap drops the mark */
#define ROW_BAD_CHECKSUM  "frame-alloc store-map store-unmap frame-free"
#define ROW_POISON        "pte:handle>handle store-free frame-free"
#define ROW_UNMAP_POISONED "pte:handle>none"

struct fixture {
	struct logging_store store;
	struct region *region;
};

/* batch: the region's eviction batch (1: one victim per fault). */
static void fixture_start_batched(struct fixture *f, uint32_t pages,
				  uint32_t limit, const char *scheme,
				  uint32_t batch)
{
	f->store = (struct logging_store){ { .ops = &logging_ops, .name = "logging" },
					   fake_store_create(64), false };
	struct region_config config = {
		.name = "steps", .pages = pages, .clear_limit = limit,
		.scheme = scheme, .store = &f->store.base, .evict_batch = batch,
	};
	xf_register_builtin();
	xf_codec_register();
	HCHECK_EQ(region_create(&config, &f->region), REGION_OK);
	HCHECK_EQ(tlb_subscribe(&logging_subscriber), TLB_HOOKS_OK);
	fake_log_on = true;
}

static void fixture_start_with(struct fixture *f, uint32_t pages,
			       uint32_t limit, const char *scheme)
{
	fixture_start_batched(f, pages, limit, scheme, 1);
}

static void fixture_start(struct fixture *f, uint32_t pages, uint32_t limit)
{
	fixture_start_with(f, pages, limit, "fifo:identity");
}

static void fixture_stop(struct fixture *f)
{
	fake_log_on = false;
	tlb_unsubscribe(&logging_subscriber);
	region_destroy(f->region);
	store_destroy(&f->store.base);
	fake_release_quarantine();
}

static uint8_t *touch(struct fixture *f, uint32_t page)
{
	return fake_access((uintptr_t)region_page_address(f->region, page), true);
}

/* Runs nothing itself: compares the log of what just ran with want. */
static void expect_steps(const char *what, const char *want)
{
	if (strcmp(fake_log, want) != 0)
		htest_log("%s: want \"%s\", got \"%s\"", what, want, fake_log);
	HCHECK(strcmp(fake_log, want) == 0);
	fake_log_clear();
}

HTEST(every_transition_in_the_documented_order)
{
	struct fixture f;

	fixture_start(&f, 4, 2);
	fake_log_clear();
	touch(&f, 0)[0] = 1;
	expect_steps("zero-fill", ROW_ZERO_FILL);
	touch(&f, 1)[0] = 2;
	expect_steps("zero-fill", ROW_ZERO_FILL);
	touch(&f, 2)[0] = 3;	/* full: FIFO evicts page 0 first */
	expect_steps("fault with a full clear set", ROW_EVICTION " " ROW_ZERO_FILL);
	HCHECK_EQ(region_purge_page(f.region, 1), REGION_OK);
	expect_steps("purge", ROW_PURGE);
	HCHECK_EQ(touch(&f, 0)[0], 1);	/* room: a restore alone */
	expect_steps("restore", ROW_RESTORE);
	HCHECK_EQ(region_protect(f.region, VMM_READ), REGION_OK);
	/* every clear page's PTE, one round, then each one's event */
	expect_steps("protection change", ROWS_PROTECT_2);
	HCHECK_EQ(region_protect(f.region, VMM_READ | VMM_WRITE), REGION_OK);
	fake_log_clear();
	HCHECK_EQ(region_unmap_page(f.region, 2), REGION_OK);
	expect_steps("unmap of a clear page", ROW_UNMAP_CLEAR);
	HCHECK_EQ(region_unmap_page(f.region, 1), REGION_OK);
	expect_steps("unmap of a sealed page", ROW_UNMAP_SEALED);
	HCHECK_EQ(region_unmap_page(f.region, 3), REGION_OK);
	expect_steps("unmap of an unpopulated page", "");
	fixture_stop(&f);
}

/* A fault with a full clear set (12) and a batch of 3: three PTEs
 * changed, one invalidation round, three seals; then the fault's own row. */
HTEST(a_batched_eviction_is_n_unmaps_one_round_n_seals)
{
	struct fixture f;
	struct region_stats stats;

	fixture_start_batched(&f, 16, 12, "fifo:identity", 3);
	for (uint32_t page = 0; page < 12; page++)
		touch(&f, page)[0] = (uint8_t)(page + 1);
	fake_log_clear();
	uint64_t rounds = fake.rounds;
	touch(&f, 12)[0] = 13;
	expect_steps("batched eviction", ROWS_EVICTION_3 " " ROW_ZERO_FILL);
	HCHECK_EQ(fake.rounds, rounds + 1);
	region_get_stats(f.region, &stats);
	HCHECK_EQ(stats.evictions, 3);
	HCHECK_EQ(stats.clear_pages, 10);
	touch(&f, 13)[0] = 14;	/* room: no eviction */
	touch(&f, 14)[0] = 15;
	expect_steps("two faults with room", ROW_ZERO_FILL " " ROW_ZERO_FILL);
	for (uint32_t page = 0; page < 15; page++)
		HCHECK_EQ(touch(&f, page)[0], page + 1);
	fixture_stop(&f);
}

/* A refused seal in a batch: that page is mapped again after the round,
 * the others are sealed; the set is exact afterwards. */
HTEST(a_refused_seal_in_a_batch_maps_that_page_again)
{
	struct fixture f;
	struct region_stats stats;

	fixture_start_batched(&f, 16, 8, "fifo:identity", 2);
	for (uint32_t page = 0; page < 8; page++)
		touch(&f, page)[0] = (uint8_t)(page + 1);
	f.store.refuse_puts = true;
	fake_log_clear();
	touch(&f, 8)[0] = 9;
	expect_steps("refused seals in a batch",
		     "pte:present>busy pte:present>busy round:2 "
		     "EVICT store-adopt-refused pte:busy>present MAP "
		     "EVICT store-adopt-refused pte:busy>present MAP "
		     ROW_ZERO_FILL);
	region_get_stats(f.region, &stats);
	HCHECK_EQ(stats.seal_failures, 2);
	HCHECK_EQ(stats.clear_pages, 9);	/* over the limit: nothing lost */
	f.store.refuse_puts = false;
	for (uint32_t page = 0; page < 9; page++)
		HCHECK_EQ(touch(&f, page)[0], page + 1);
	fixture_stop(&f);
}

/* A range purge and a range unmap: one round for the range's present
 * pages, then each page's second half; pages the operation does not
 * concern are skipped. */
HTEST(a_range_purge_is_one_round)
{
	struct fixture f;
	struct region_stats stats;

	fixture_start(&f, 8, 8);
	for (uint32_t page = 0; page < 4; page++)
		touch(&f, page)[0] = (uint8_t)(page + 1);
	fake_log_clear();
	HCHECK_EQ(region_purge_range(f.region, 1, 2), REGION_OK);
	expect_steps("range purge", ROWS_PURGE_2);
	HCHECK_EQ(region_purge_range(f.region, 0, 9), REGION_BAD_ARGUMENT);
	HCHECK_EQ(region_purge_range(f.region, 9, 0), REGION_BAD_ARGUMENT);
	HCHECK_EQ(region_purge_range(f.region, 8, 0), REGION_OK);
	expect_steps("nothing to purge", "");
	region_get_stats(f.region, &stats);
	HCHECK_EQ(stats.invalidations, 2);
	HCHECK_EQ(stats.clear_pages, 2);
	HCHECK_EQ(stats.sealed_pages, 2);
	/* 0 clear, 1 sealed, 2 sealed, 3 clear, 4.. unpopulated */
	HCHECK_EQ(touch(&f, 1)[0], 2);	/* restored: 1 clear again */
	fake_log_clear();
	HCHECK_EQ(region_unmap_range(f.region, 0, 8), REGION_OK);
	/* page 2 is sealed: never present, nothing of it joins the round */
	expect_steps("range unmap", "pte:present>busy pte:present>busy "
		     "pte:handle>none pte:present>busy round:3 "
		     HALF_UNMAP_CLEAR " " HALF_UNMAP_CLEAR " "
		     "store-free frame-free " HALF_UNMAP_CLEAR);
	region_get_stats(f.region, &stats);
	HCHECK_EQ(stats.clear_pages, 0);
	HCHECK_EQ(stats.sealed_pages, 0);
	for (uint32_t page = 0; page < 8; page++)
		HCHECK_EQ(region_page_state(f.region, page), REGION_UNPOPULATED);
	HCHECK_EQ(touch(&f, 2)[0], 0);	/* dropped: zeros again */
	fixture_stop(&f);
}

/* More than a round's pages: rounds of REGION_EVICT_BATCH_MAX. */
HTEST(a_long_range_takes_a_round_per_batch)
{
	struct fixture f;
	enum { PAGES = REGION_EVICT_BATCH_MAX + 5 };	/* the store holds 64 */

	fixture_start(&f, PAGES, PAGES);
	for (uint32_t page = 0; page < PAGES; page++)
		touch(&f, page)[0] = 1;
	uint64_t rounds = fake.rounds;
	fake_log_on = false;
	HCHECK_EQ(region_purge_range(f.region, 0, PAGES), REGION_OK);
	HCHECK_EQ(fake.rounds, rounds + 2);
	for (uint32_t page = 0; page < PAGES; page++) {
		HCHECK_EQ(region_page_state(f.region, page), REGION_SEALED);
		HCHECK(!fake_pte_of((uintptr_t)region_page_address(f.region,
								   page))->cached);
	}
	fixture_stop(&f);
}

HTEST(a_sealed_copy_elsewhere_is_put_and_the_frame_freed)
{
	struct fixture f;

	fixture_start_with(&f, 2, 1, "fifo:lz4");
	touch(&f, 0)[0] = 1;
	fake_log_clear();
	touch(&f, 1)[0] = 2;
	expect_steps("eviction through a codec", ROW_EVICTION_COPY " " ROW_ZERO_FILL);
	HCHECK_EQ(touch(&f, 0)[0], 1);
	expect_steps("restore through a codec",
		     ROW_EVICTION_COPY " " ROW_RESTORE_COPY);
	fixture_stop(&f);
}

HTEST(a_refused_seal_maps_the_page_again)
{
	struct fixture f;
	struct region_stats stats;

	fixture_start(&f, 3, 1);
	touch(&f, 0)[0] = 1;
	touch(&f, 1)[0] = 2;		/* seals page 0 */
	f.store.refuse_puts = true;	/* the store is full from now on */
	fake_log_clear();
	touch(&f, 2)[0] = 3;		/* page 1 cannot be sealed */
	expect_steps("refused seal", ROW_SEAL_REFUSED " " ROW_ZERO_FILL);
	region_get_stats(f.region, &stats);
	HCHECK_EQ(stats.seal_failures, 1);
	HCHECK_EQ(region_page_state(f.region, 1), REGION_CLEAR);
	HCHECK_EQ(touch(&f, 1)[0], 2);	/* still there, still mapped */
	f.store.refuse_puts = false;
	fixture_stop(&f);
}

HTEST(a_copy_that_fails_to_restore_stays_sealed)
{
	struct fixture f;
	struct region_stats stats;

	fixture_start(&f, 2, 1);
	touch(&f, 0)[0] = 7;
	touch(&f, 1)[0] = 8;		/* page 0 sealed */
	struct region_page *record = region_page_record(f.region, 0);
	store_handle_t genuine = region_record_handle(record);
	region_record_replace_handle(record, genuine ^ 0x5a5a);	/* forged */
	fake_log_clear();
	HCHECK(touch(&f, 0) == NULL);	/* the fault is an error */
	/* the clear set was full: room is made first, as for any fault */
	expect_steps("a forged handle", ROW_EVICTION " " ROW_BAD_COPY);
	region_get_stats(f.region, &stats);
	HCHECK(stats.corrupt >= 1);
	HCHECK_EQ(region_page_state(f.region, 0), REGION_SEALED);
	region_record_replace_handle(record, genuine);
	HCHECK_EQ(touch(&f, 0)[0], 7);	/* the genuine copy was kept */
	fixture_stop(&f);
}

HTEST(no_page_table_page_leaves_the_page_unpopulated)
{
	struct fixture f;

	fixture_start(&f, 2, 2);
	fake.table_limit_hit = true;
	fake_log_clear();
	HCHECK(touch(&f, 0) == NULL);
	expect_steps("no page-table page", ROW_NO_TABLE);
	fake.table_limit_hit = false;
	HCHECK_EQ(region_page_state(f.region, 0), REGION_UNPOPULATED);
	fake_log_clear();
	touch(&f, 0)[0] = 1;
	expect_steps("zero-fill after the failure", ROW_ZERO_FILL);
	fixture_stop(&f);
}

static uint32_t poisoned_page = UINT32_MAX;
static struct region *poisoned_region;

static void record_poisoned(struct region *region, uint32_t page, int error,
			    void *context)
{
	(void)context;
	HCHECK_EQ(error, REGION_INTEGRITY);
	poisoned_region = region;
	poisoned_page = page;
}

/* A bit flipped in a sealed copy (the debug checksum catches it): the page
 * is poisoned, its owner told with region and page, every access an error
 * until it is unmapped; the other page is untouched. */
HTEST(a_flipped_bit_poisons_the_page_until_unmapped)
{
	struct fixture f;
	struct region_stats stats;
	struct store_view view;

	fixture_start(&f, 3, 1);
	f.region->poisoned = record_poisoned;
	touch(&f, 0)[0] = 7;
	touch(&f, 1)[0] = 8;		/* page 0 sealed */
	touch(&f, 2)[0] = 9;		/* page 1 sealed */
	store_handle_t handle = region_record_handle(region_page_record(f.region, 0));
	HCHECK_EQ(store_map(f.region->store, handle, NULL, &view), STORE_OK);
	((uint8_t *)view.data)[123] ^= 0x08;
	store_unmap(f.region->store, &view);
	fake_log_clear();
	HCHECK(touch(&f, 0) == NULL);
	expect_steps("a flipped bit", ROW_EVICTION " " ROW_BAD_CHECKSUM " " ROW_POISON);
	HCHECK_EQ(region_page_state(f.region, 0), REGION_POISONED);
	HCHECK(poisoned_region == f.region);
	HCHECK_EQ(poisoned_page, 0);
	region_get_stats(f.region, &stats);
	HCHECK_EQ(stats.corrupt, 1);
	HCHECK_EQ(stats.poisoned, 1);
	HCHECK(touch(&f, 0) == NULL);	/* still an error, nothing changes */
	HCHECK_EQ(region_fault_page(f.region, 0), REGION_PAGE_POISONED);
	HCHECK_EQ(touch(&f, 1)[0], 8);	/* the rest of the region is kept */
	HCHECK_EQ(touch(&f, 2)[0], 9);
	fake_log_clear();
	HCHECK_EQ(region_unmap_page(f.region, 0), REGION_OK);
	expect_steps("unmap of a poisoned page", ROW_UNMAP_POISONED);
	HCHECK_EQ(region_page_state(f.region, 0), REGION_UNPOPULATED);
	region_get_stats(f.region, &stats);
	HCHECK_EQ(stats.poisoned, 0);
	HCHECK_EQ(touch(&f, 0)[0], 0);	/* a fresh page again */
	fixture_stop(&f);
}
