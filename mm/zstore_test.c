/*
 * ktest suite "zstore": the page store on the kernel's own frames. Adopted
 * pages are frames from frame_alloc() (mm/frame.h), handed to a store whose
 * provider is the frame allocator through the direct map, as the default
 * store's is (mm/region_boot.c): release gives the same frame back with its
 * bytes, free and destroy return it to the frame allocator (the free frame
 * count comes back), and the default store takes one and gives it back.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "mm/direct_map.h"
#include "mm/frame.h"
#include "mm/store.h"
#include "mm/zstore.h"

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
