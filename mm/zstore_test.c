/*
 * ktest suite "zstore": the page store on the kernel's own frames. Adopted
 * pages are frames from frame_alloc() (mm/frame.h), handed to a store whose
 * provider is the frame allocator through the direct map, as the default
 * store's is (mm/region_boot.c): release gives the same frame back with its
 * bytes, free and destroy return it to the frame allocator (the free frame
 * count comes back), and the default store takes one and gives it back.
 * The background compaction thread answers a store past its waste
 * threshold and leaves every object intact.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "mm/direct_map.h"
#include "mm/frame.h"
#include "mm/store.h"
#include "mm/zstore.h"
#include "kernel/sched/sched.h"

static void *zstore_test_page_alloc(void *context)
{
	uint64_t frame = frame_alloc();

	(void)context;
	return frame == FRAME_NONE ? NULL : frame_address(frame);
}

static void zstore_test_page_free(void *context, void *page)
{
	(void)context;
	frame_free(virt_to_phys(page));
}

/* A frame filled from seed, at its direct-map address; NULL when none. */
static uint8_t *zstore_test_frame(unsigned seed)
{
	uint64_t frame = frame_alloc();
	uint8_t *page;

	if (frame == FRAME_NONE)
		return NULL;
	page = frame_address(frame);
	for (unsigned i = 0; i < FRAME_BYTES; i++)
		page[i] = (uint8_t)(i * 13 + seed);
	return page;
}

static bool zstore_test_holds(const uint8_t *page, unsigned seed)
{
	for (unsigned i = 0; i < FRAME_BYTES; i++)
		if (page[i] != (uint8_t)(i * 13 + seed))
			return false;
	return true;
}

KTEST(zstore, adopted_kernel_frames_go_back_to_the_frame_allocator)
{
	uint64_t free_before = frame_free_count();
	struct zstore_config config = {
		.name = "ktest-adopt",
		.provider = { zstore_test_page_alloc, zstore_test_page_free, NULL },
		.frame_limit = 64,
	};
	struct store *store = zstore_create(&config);
	struct store_stats stats;
	struct store_view view;
	store_handle_t kept, freed, left;
	uint8_t *page = zstore_test_frame(1);
	void *back = NULL;

	KTEST_ASSERT(t, store != NULL && page != NULL);
	KTEST_EXPECT_EQ(t, store_adopt_page(store, page, &kept), STORE_OK);
	KTEST_EXPECT_EQ(t, store_map(store, kept, NULL, &view), STORE_OK);
	KTEST_EXPECT(t, view.data == page && view.length == FRAME_BYTES);
	store_unmap(store, &view);
	KTEST_EXPECT_EQ(t, store_release_page(store, kept, &back), STORE_OK);
	KTEST_EXPECT(t, back == page && zstore_test_holds(back, 1));

	/* the same frame again, freed by the store this time */
	KTEST_EXPECT_EQ(t, store_adopt_page(store, page, &freed), STORE_OK);
	KTEST_EXPECT_EQ(t, store_free(store, freed), STORE_OK);
	/* and one left for destroy to return */
	page = zstore_test_frame(2);
	KTEST_ASSERT(t, page != NULL);
	KTEST_EXPECT_EQ(t, store_adopt_page(store, page, &left), STORE_OK);
	store_stats(store, &stats);
	KTEST_EXPECT_EQ(t, stats.pages_adopted, 1);
	KTEST_EXPECT_EQ(t, stats.frames_used, 1);
	store_destroy(store);
	KTEST_EXPECT_EQ(t, frame_free_count(), free_before);
}

KTEST(zstore, default_store_adopts_and_releases_a_frame)
{
	struct store *store = store_default();
	struct store_stats before, during, after;
	store_handle_t handle;
	uint8_t *page, buffer[64];
	size_t length = 0;
	void *back = NULL;

	if (!store)
		ktest_skip(t, "no default store");
	/* logstore, the default unless store=zs, adopts no page; the runner's
	 * step ktest-zstore boots with store=zs and requires this case */
	if (strcmp(store->ops->name, "zstore") != 0)
		ktest_skip(t, "the default store is not a zstore (boot with store=zs)");
	page = zstore_test_frame(3);
	KTEST_ASSERT(t, page != NULL);
	store_stats(store, &before);
	KTEST_EXPECT_EQ(t, store_adopt_page(store, page, &handle), STORE_OK);
	store_stats(store, &during);
	KTEST_EXPECT_EQ(t, during.pages_adopted, before.pages_adopted + 1);
	/* a read sees the frame's bytes; one too short is refused */
	KTEST_EXPECT_EQ(t, store_read(store, handle, buffer, sizeof(buffer), &length),
			STORE_SHORT_BUFFER);
	KTEST_EXPECT_EQ(t, length, FRAME_BYTES);
	KTEST_EXPECT_EQ(t, store_release_page(store, handle, &back), STORE_OK);
	KTEST_EXPECT(t, back == page && zstore_test_holds(back, 3));
	store_stats(store, &after);
	KTEST_EXPECT_EQ(t, after.pages_adopted, before.pages_adopted);
	/* the caller's again: the slot table it may have grown stays */
	frame_free(virt_to_phys(back));
}

/* The frame allocator's provider, counting its frames in *context (a
 * thread's stack may keep a page-table frame, so the free frame count is
 * not the measure of what the store gave back). */
static void *zstore_test_counted_alloc(void *context)
{
	void *page = zstore_test_page_alloc(NULL);

	if (page)
		__atomic_add_fetch((int64_t *)context, 1, __ATOMIC_RELAXED);
	return page;
}

static void zstore_test_counted_free(void *context, void *page)
{
	__atomic_sub_fetch((int64_t *)context, 1, __ATOMIC_RELAXED);
	zstore_test_page_free(NULL, page);
}

/* Objects of the compaction ktest: length and seed of each. */
#define ZSTORE_TEST_OBJECTS 600u

static unsigned zstore_test_length(unsigned i)
{
	return 1 + (i * 2654435761u) % 3000;
}

static void zstore_test_fill(uint8_t *buffer, unsigned length, unsigned seed)
{
	for (unsigned i = 0; i < length; i++)
		buffer[i] = (uint8_t)(i * 7 + seed * 31 + (i >> 8));
}

/*
 * The background compaction thread (mm/store_compactd.c) on a store of the
 * kernel's frames: frees past the waste threshold ask, the thread answers
 * within a few of its intervals, frames come back, and every object left
 * reads back intact. Then the thread stops and the store goes.
 */
KTEST(zstore, background_compaction_answers_the_waste_threshold)
{
	static store_handle_t handles[ZSTORE_TEST_OBJECTS];
	static uint8_t buffer[STORE_OBJECT_MAX], expect[STORE_OBJECT_MAX];
	static int64_t frames_live;
	struct zstore_config config = {
		.name = "ktest-compactd",
		.provider = { zstore_test_counted_alloc, zstore_test_counted_free,
			      &frames_live },
		.frame_limit = 4096,
		.compact_threshold = 20,
	};
	struct store *store = zstore_create(&config);
	struct store_stats before, after;
	unsigned bad = 0, waited = 0;

	KTEST_ASSERT(t, store != NULL);
	for (unsigned i = 0; i < ZSTORE_TEST_OBJECTS; i++) {
		zstore_test_fill(buffer, zstore_test_length(i), i);
		KTEST_ASSERT(t, store_put(store, buffer, zstore_test_length(i),
					  &handles[i]) == STORE_OK);
	}
	/* Counted before the thread starts: it may answer a request while
	 * the frees below still run (it is woken at the next tick). */
	store_stats(store, &before);
	KTEST_EXPECT_EQ(t, store_compactd_start(store), STORE_OK);
	for (unsigned i = 0; i < ZSTORE_TEST_OBJECTS; i++)
		if (i % 4 != 0)
			KTEST_EXPECT_EQ(t, store_free(store, handles[i]), STORE_OK);
	while (store_compact_wanted(store) && waited < 50) {
		thread_sleep_ms(STORE_COMPACTD_INTERVAL_MS);
		waited++;
	}
	store_compactd_stop(store);
	store_stats(store, &after);
	KTEST_EXPECT(t, after.compaction_requests > before.compaction_requests);
	KTEST_EXPECT(t, !store_compact_wanted(store));
	KTEST_EXPECT(t, after.compactions_auto > before.compactions_auto);
	KTEST_EXPECT(t, after.frames_compacted > before.frames_compacted);
	KTEST_EXPECT(t, after.frames_used < before.frames_used);
	for (unsigned i = 0; i < ZSTORE_TEST_OBJECTS; i += 4) {
		size_t length = 0;

		zstore_test_fill(expect, zstore_test_length(i), i);
		bad += store_read(store, handles[i], buffer, sizeof(buffer),
				  &length) != STORE_OK ||
		       length != zstore_test_length(i) ||
		       memcmp(buffer, expect, length) != 0;
	}
	KTEST_EXPECT_EQ(t, bad, 0);
	store_destroy(store);
	KTEST_EXPECT_EQ(t, frames_live, 0);
}
