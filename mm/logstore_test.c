/*
 * ktest suite "logstore": the log-structured page store (mm/logstore.c) on
 * the kernel's own frames, through the frame allocator as the default
 * store's provider is (mm/region_boot.c). Objects split across frames read
 * back and every frame goes back to the allocator; the background
 * compaction thread (mm/store_compactd.c) answers the store's waste
 * threshold and leaves every object intact, on a store of the test's own
 * and on the default store (a logstore unless the boot says store=zs),
 * whose thread the boot started.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/sched/sched.h"
#include "mm/direct_map.h"
#include "mm/frame.h"
#include "mm/logstore.h"
#include "mm/store.h"

/* The frame allocator through the direct map, counting its frames in
 * *context (a thread's stack may keep a page-table frame, so the free
 * frame count is not the measure of what the store gave back). */
static void *logstore_test_alloc(void *context)
{
	uint64_t frame = frame_alloc();

	if (frame == FRAME_NONE)
		return NULL;
	__atomic_add_fetch((int64_t *)context, 1, __ATOMIC_RELAXED);
	return frame_address(frame);
}

static void logstore_test_free(void *context, void *page)
{
	__atomic_sub_fetch((int64_t *)context, 1, __ATOMIC_RELAXED);
	frame_free(virt_to_phys(page));
}

#define LOGSTORE_TEST_OBJECTS 600u

/* Lengths from 1 to a page and a tag, so many objects span frames. */
static unsigned logstore_test_length(unsigned i)
{
	return 1 + (i * 2654435761u) % STORE_OBJECT_MAX;
}

static void logstore_test_fill(uint8_t *buffer, unsigned length, unsigned seed)
{
	for (unsigned i = 0; i < length; i++)
		buffer[i] = (uint8_t)(i * 13 + seed * 29 + (i >> 8));
}

/* Whether the object of handle holds the bytes of seed i. */
static bool logstore_test_reads_back(struct store *store, store_handle_t handle,
				     unsigned i)
{
	static uint8_t buffer[STORE_OBJECT_MAX], expect[STORE_OBJECT_MAX];
	size_t length = 0;

	logstore_test_fill(expect, logstore_test_length(i), i);
	return store_read(store, handle, buffer, sizeof(buffer), &length) == STORE_OK &&
	       length == logstore_test_length(i) &&
	       memcmp(buffer, expect, length) == 0;
}

static struct store *logstore_test_store(int64_t *frames_live, unsigned threshold)
{
	struct logstore_config config = {
		.name = "ktest-logstore",
		.provider = { logstore_test_alloc, logstore_test_free, frames_live },
		.frame_limit = 4096,
		.compact_threshold = threshold,
	};

	return logstore_create(&config);
}

/* Objects of every length class, many split across frames, read back and
 * map (in place or through the bounce buffer); freeing them all returns
 * every data frame; destroy returns the rest. */
KTEST(logstore, objects_on_kernel_frames_round_trip)
{
	static store_handle_t handles[LOGSTORE_TEST_OBJECTS];
	static uint8_t buffer[STORE_OBJECT_MAX], bounce[STORE_OBJECT_MAX];
	static int64_t frames_live;
	struct store *store = logstore_test_store(&frames_live, 0);
	struct store_stats stats;
	unsigned bad = 0, bounced = 0;

	KTEST_ASSERT(t, store != NULL);
	KTEST_EXPECT(t, strcmp(store->ops->name, "logstore") == 0);
	for (unsigned i = 0; i < LOGSTORE_TEST_OBJECTS; i++) {
		logstore_test_fill(buffer, logstore_test_length(i), i);
		KTEST_ASSERT(t, store_put(store, buffer, logstore_test_length(i),
					  &handles[i]) == STORE_OK);
	}
	for (unsigned i = 0; i < LOGSTORE_TEST_OBJECTS; i++) {
		struct store_view view;

		bad += !logstore_test_reads_back(store, handles[i], i);
		if (store_map(store, handles[i], bounce, &view) != STORE_OK) {
			bad++;
			continue;
		}
		logstore_test_fill(buffer, logstore_test_length(i), i);
		bad += view.length != logstore_test_length(i) ||
		       memcmp(view.data, buffer, view.length) != 0;
		bounced += view.data == bounce;
		store_unmap(store, &view);
	}
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT(t, bounced > 0);
	for (unsigned i = 0; i < LOGSTORE_TEST_OBJECTS; i++)
		KTEST_EXPECT_EQ(t, store_free(store, handles[i]), STORE_OK);
	store_stats(store, &stats);
	KTEST_EXPECT_EQ(t, stats.frames_used, 0);
	store_destroy(store);
	KTEST_EXPECT_EQ(t, frames_live, 0);
}

/*
 * The background compaction thread on a logstore of kernel frames: frees
 * past the waste threshold ask, the thread answers within a few of its
 * intervals, frames come back, every object left reads back intact. Then
 * the thread stops and the store goes.
 */
KTEST(logstore, background_compaction_answers_the_waste_threshold)
{
	static store_handle_t handles[LOGSTORE_TEST_OBJECTS];
	static uint8_t buffer[STORE_OBJECT_MAX];
	static int64_t frames_live;
	struct store *store = logstore_test_store(&frames_live, 20);
	struct store_stats before, after;
	unsigned bad = 0, waited = 0;

	KTEST_ASSERT(t, store != NULL);
	for (unsigned i = 0; i < LOGSTORE_TEST_OBJECTS; i++) {
		logstore_test_fill(buffer, logstore_test_length(i), i);
		KTEST_ASSERT(t, store_put(store, buffer, logstore_test_length(i),
					  &handles[i]) == STORE_OK);
	}
	/* Counted before the thread starts: it may answer a request while
	 * the frees below still run (it is woken at the next tick). */
	store_stats(store, &before);
	KTEST_EXPECT_EQ(t, store_compactd_start(store), STORE_OK);
	for (unsigned i = 0; i < LOGSTORE_TEST_OBJECTS; i++)
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
	for (unsigned i = 0; i < LOGSTORE_TEST_OBJECTS; i += 4)
		bad += !logstore_test_reads_back(store, handles[i], i);
	KTEST_EXPECT_EQ(t, bad, 0);
	store_destroy(store);
	KTEST_EXPECT_EQ(t, frames_live, 0);
}

/*
 * The default store (logstore unless the boot says store=zs) compacts by
 * itself: the thread region_boot started for it answers frees past the
 * store's own waste threshold (its boot setting, not changed here), frames
 * come back (frames_compacted grows) and every object left reads back.
 * Other users of the default store may put and free meanwhile, so only
 * growth of its counters is asserted, never their values.
 */
KTEST(logstore, default_store_compacts_by_itself)
{
	static store_handle_t handles[LOGSTORE_TEST_OBJECTS];
	static uint8_t buffer[STORE_OBJECT_MAX];
	struct store *store = store_default();
	struct store_stats before, after;
	unsigned bad = 0, waited = 0;

	if (!store)
		ktest_skip(t, "no default store");
	if (strcmp(store->ops->name, "logstore") != 0)
		ktest_skip(t, "the default store is not a logstore (store=zs)");
	for (unsigned i = 0; i < LOGSTORE_TEST_OBJECTS; i++) {
		logstore_test_fill(buffer, logstore_test_length(i), i);
		KTEST_ASSERT(t, store_put(store, buffer, logstore_test_length(i),
					  &handles[i]) == STORE_OK);
	}
	store_stats(store, &before);
	/* three objects in four go: some 240 of 320 frames' bytes dead */
	for (unsigned i = 0; i < LOGSTORE_TEST_OBJECTS; i++)
		if (i % 4 != 0)
			KTEST_EXPECT_EQ(t, store_free(store, handles[i]), STORE_OK);
	do {
		thread_sleep_ms(STORE_COMPACTD_INTERVAL_MS);
		store_stats(store, &after);
	} while (after.compactions_auto == before.compactions_auto && ++waited < 50);
	KTEST_EXPECT(t, after.compaction_requests > before.compaction_requests);
	KTEST_EXPECT(t, after.compactions_auto > before.compactions_auto);
	KTEST_EXPECT(t, after.frames_compacted > before.frames_compacted);
	for (unsigned i = 0; i < LOGSTORE_TEST_OBJECTS; i += 4) {
		bad += !logstore_test_reads_back(store, handles[i], i);
		KTEST_EXPECT_EQ(t, store_free(store, handles[i]), STORE_OK);
	}
	KTEST_EXPECT_EQ(t, bad, 0);
}
