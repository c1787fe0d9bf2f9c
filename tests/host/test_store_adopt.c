/*
 * Host tests of the page store's optional ops (mm/store.h) in zstore:
 * adopted pages (adopt_page, release_page, and every other op on them),
 * free_length, and the wrappers' fall-backs for a store without them. The
 * page provider counts its frames, so a page the store failed to give back
 * or freed twice shows.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "mm/store.h"
#include "mm/zstore.h"
#include "tests/host/htest.h"

/* ---- a counting page provider ----------------------------------------- */

static long adopt_frames_live;	/* one test runs at a time: no lock */

static void *adopt_alloc_page(void *context)
{
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)context;
	if (page == MAP_FAILED)
		return NULL;
	adopt_frames_live++;
	return page;
}

static void adopt_free_page(void *context, void *page)
{
	(void)context;
	adopt_frames_live--;
	munmap(page, 4096);
}

static struct store *adopt_store_new(uint64_t frame_limit)
{
	struct zstore_config config = {
		.name = "adopt-test",
		.provider = { adopt_alloc_page, adopt_free_page, NULL },
		.frame_limit = frame_limit,
	};

	adopt_frames_live = 0;
	return zstore_create(&config);
}

/* A frame from the store's own provider, filled from seed. */
static uint8_t *adopt_page_new(unsigned seed)
{
	uint8_t *page = adopt_alloc_page(NULL);

	for (unsigned i = 0; page && i < 4096; i++)
		page[i] = (uint8_t)(i * 31 + seed);
	return page;
}

static bool adopt_page_holds(const uint8_t *page, unsigned seed)
{
	for (unsigned i = 0; i < 4096; i++)
		if (page[i] != (uint8_t)(i * 31 + seed))
			return false;
	return true;
}

static struct store_stats adopt_stats(struct store *store)
{
	struct store_stats stats;

	store_stats(store, &stats);
	return stats;
}

/* ---- cases ------------------------------------------------------------ */

HTEST(adopted_page_is_kept_without_a_copy)
{
	struct store *store = adopt_store_new(64);
	uint8_t *page = adopt_page_new(7), buffer[STORE_OBJECT_MAX];
	struct store_stats before, stats;
	store_handle_t handle = STORE_HANDLE_NONE;
	struct store_view view;
	size_t length = 0;
	void *back = NULL;

	HCHECK(store != NULL && page != NULL);
	if (!store || !page)
		return;
	before = adopt_stats(store);
	HCHECK_EQ(store_adopt_page(store, page, &handle), STORE_OK);
	HCHECK(handle != STORE_HANDLE_NONE && handle < (1ull << STORE_HANDLE_BITS));
	stats = adopt_stats(store);
	HCHECK_EQ(stats.pages_stored, 1);
	HCHECK_EQ(stats.pages_adopted, 1);
	HCHECK_EQ(stats.bytes_stored, 4096);
	HCHECK_EQ(stats.frames_used, before.frames_used + 1);
	/* a frame of slots (the first ones hang from the store header) */
	HCHECK_EQ(stats.metadata_frames, before.metadata_frames + 1);
	HCHECK_EQ(stats.puts, 1);

	HCHECK(store_size(store, handle, &length) == STORE_OK && length == 4096);
	HCHECK(store_read(store, handle, buffer, sizeof(buffer), &length) == STORE_OK &&
	       length == 4096 && memcmp(buffer, page, 4096) == 0);
	/* map points at the page itself and pins it */
	HCHECK_EQ(store_map(store, handle, NULL, &view), STORE_OK);
	HCHECK(view.data == page && view.length == 4096);
	HCHECK_EQ(store_free(store, handle), STORE_BUSY);
	HCHECK_EQ(store_release_page(store, handle, &back), STORE_BUSY);
	HCHECK(back == NULL);
	store_unmap(store, &view);

	HCHECK_EQ(store_release_page(store, handle, &back), STORE_OK);
	HCHECK(back == page);
	HCHECK(adopt_page_holds(back, 7));
	stats = adopt_stats(store);
	HCHECK_EQ(stats.pages_stored, 0);
	HCHECK_EQ(stats.pages_adopted, 0);
	HCHECK_EQ(stats.bytes_stored, 0);
	HCHECK_EQ(stats.frames_used, before.frames_used);
	HCHECK_EQ(stats.frees, 1);
	/* the handle died with the release */
	HCHECK_EQ(store_size(store, handle, &length), STORE_BAD_HANDLE);
	HCHECK_EQ(store_release_page(store, handle, &back), STORE_BAD_HANDLE);
	HCHECK_EQ(adopt_stats(store).bad_handles, 2);
	/* the page is the caller's again: the store's frames alone remain */
	HCHECK_EQ(adopt_frames_live, (long)(stats.metadata_frames + 1));
	adopt_free_page(NULL, back);
	store_destroy(store);
	HCHECK_EQ(adopt_frames_live, 0);
}

HTEST(free_of_adopted_page_returns_it_to_the_provider)
{
	struct store *store = adopt_store_new(64);
	uint8_t *page = adopt_page_new(3);
	store_handle_t first, second;
	size_t length = 0;
	long live;

	HCHECK(store != NULL && page != NULL);
	if (!store || !page)
		return;
	HCHECK_EQ(store_adopt_page(store, page, &first), STORE_OK);
	live = adopt_frames_live;
	HCHECK_EQ(store_free(store, first), STORE_OK);
	HCHECK_EQ(adopt_frames_live, live - 1);
	HCHECK_EQ(adopt_stats(store).frames_used, 0);
	HCHECK_EQ(adopt_stats(store).pages_adopted, 0);
	/* free_length gives the page's length */
	page = adopt_page_new(4);
	HCHECK_EQ(store_adopt_page(store, page, &second), STORE_OK);
	HCHECK(second != first);	/* the slot's generation moved on */
	HCHECK_EQ(store_free_length(store, second, &length), STORE_OK);
	HCHECK_EQ(length, 4096);
	HCHECK_EQ(adopt_frames_live, live - 1);
	store_destroy(store);
	HCHECK_EQ(adopt_frames_live, 0);
}

HTEST(release_of_a_copied_object_is_refused_quietly)
{
	struct store *store = adopt_store_new(64);
	uint8_t data[100], buffer[100];
	store_handle_t handle;
	void *page = NULL;
	size_t length = 0;

	HCHECK(store != NULL);
	if (!store)
		return;
	memset(data, 0x5c, sizeof(data));
	HCHECK_EQ(store_put(store, data, sizeof(data), &handle), STORE_OK);
	HCHECK_EQ(store_release_page(store, handle, &page), STORE_BAD_HANDLE);
	HCHECK(page == NULL);
	/* a valid handle of the other kind is not corruption */
	HCHECK_EQ(adopt_stats(store).bad_handles, 0);
	HCHECK(store_read(store, handle, buffer, sizeof(buffer), &length) == STORE_OK &&
	       length == sizeof(data) && memcmp(buffer, data, sizeof(data)) == 0);
	/* a forged one is */
	HCHECK_EQ(store_release_page(store, handle ^ (1ull << 31), &page),
		  STORE_BAD_HANDLE);
	HCHECK_EQ(adopt_stats(store).bad_handles, 1);
	HCHECK_EQ(store_free(store, handle), STORE_OK);
	store_destroy(store);
	HCHECK_EQ(adopt_frames_live, 0);
}

HTEST(adopt_refuses_a_misaligned_page_and_beyond_the_limit)
{
	/* the smallest store: 16 frames in all */
	struct store *store = adopt_store_new(16);
	uint8_t *pages[16];
	store_handle_t handle;
	unsigned adopted = 0, page_count = 0;
	struct store_stats stats;
	int result = STORE_OK;

	HCHECK(store != NULL);
	if (!store)
		return;
	pages[0] = adopt_page_new(0);
	HCHECK_EQ(store_adopt_page(store, pages[0] + 16, &handle), STORE_BAD_LENGTH);
	HCHECK_EQ(store_adopt_page(store, NULL, &handle), STORE_BAD_LENGTH);
	page_count = 1;
	while (result == STORE_OK && page_count <= 16) {
		result = store_adopt_page(store, pages[page_count - 1], &handle);
		if (result == STORE_OK) {
			adopted++;
			if (page_count < 16)
				pages[page_count] = adopt_page_new(page_count);
			page_count++;
		}
	}
	HCHECK_EQ(result, STORE_FULL);
	stats = adopt_stats(store);
	HCHECK(adopted > 0);
	HCHECK_EQ(stats.pages_adopted, adopted);
	HCHECK_EQ(stats.frames_used + stats.metadata_frames, stats.frame_limit);
	HCHECK_EQ(stats.refusals, 1);
	/* the refused page is still the caller's, untouched */
	HCHECK(adopt_page_holds(pages[page_count - 1], page_count - 1));
	adopt_free_page(NULL, pages[page_count - 1]);
	/* destroy gives every adopted page back to the provider */
	store_destroy(store);
	HCHECK_EQ(adopt_frames_live, 0);
}

HTEST(compaction_leaves_adopted_pages_alone)
{
	struct store *store = adopt_store_new(1024);
	static store_handle_t small[600];
	store_handle_t adopted[8];
	uint8_t *pages[8], data[300];
	size_t compacted;

	HCHECK(store != NULL);
	if (!store)
		return;
	memset(data, 0x11, sizeof(data));
	for (unsigned i = 0; i < 600; i++) {
		HCHECK_EQ(store_put(store, data, sizeof(data), &small[i]), STORE_OK);
		if (i % 75 == 0) {
			pages[i / 75] = adopt_page_new(i);
			HCHECK_EQ(store_adopt_page(store, pages[i / 75],
						   &adopted[i / 75]), STORE_OK);
		}
	}
	for (unsigned i = 0; i < 600; i += 2)
		HCHECK_EQ(store_free(store, small[i]), STORE_OK);
	compacted = store_compact(store);
	htest_log("compaction released %zu frames", compacted);
	HCHECK(compacted > 0);
	HCHECK_EQ(adopt_stats(store).pages_adopted, 8);
	for (unsigned i = 0; i < 8; i++) {
		struct store_view view;
		void *back = NULL;

		HCHECK(store_map(store, adopted[i], NULL, &view) == STORE_OK &&
		       view.data == pages[i]);
		store_unmap(store, &view);
		HCHECK_EQ(store_release_page(store, adopted[i], &back), STORE_OK);
		HCHECK(back == pages[i] && adopt_page_holds(back, i * 75));
		adopt_free_page(NULL, back);
	}
	for (unsigned i = 1; i < 600; i += 2) {
		uint8_t buffer[300];
		size_t length = 0;

		HCHECK(store_read(store, small[i], buffer, sizeof(buffer), &length) ==
			       STORE_OK && length == sizeof(data) &&
		       memcmp(buffer, data, sizeof(data)) == 0);
	}
	store_destroy(store);
	HCHECK_EQ(adopt_frames_live, 0);
}

HTEST(free_length_gives_every_kind_of_length)
{
	struct store *store = adopt_store_new(256);
	static uint8_t data[STORE_OBJECT_MAX];
	static const size_t lengths[] = { 1, 1331, 4093, 4096, 4096 + 16,
					  STORE_OBJECT_MAX };
	store_handle_t handle;
	size_t length;

	HCHECK(store != NULL);
	if (!store)
		return;
	memset(data, 0x42, sizeof(data));
	for (unsigned i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		HCHECK_EQ(store_put(store, data, lengths[i], &handle), STORE_OK);
		length = 0;
		HCHECK_EQ(store_free_length(store, handle, &length), STORE_OK);
		HCHECK_EQ(length, lengths[i]);
		/* freed: a second free is refused and leaves length alone */
		length = 77;
		HCHECK_EQ(store_free_length(store, handle, &length), STORE_BAD_HANDLE);
		HCHECK_EQ(length, 77);
	}
	HCHECK_EQ(adopt_stats(store).pages_stored, 0);
	HCHECK_EQ(adopt_stats(store).bytes_stored, 0);
	HCHECK_EQ(adopt_stats(store).frees, sizeof(lengths) / sizeof(lengths[0]));
	store_destroy(store);
	HCHECK_EQ(adopt_frames_live, 0);
}

HTEST(wrappers_fall_back_without_the_optional_ops)
{
	struct store *store = adopt_store_new(64);
	const struct store_ops *ops;
	struct store_ops without;
	uint8_t data[500];
	store_handle_t handle;
	void *page = NULL;
	size_t length = 0;

	HCHECK(store != NULL);
	if (!store)
		return;
	/* the same store seen through a table that lacks the optional ops */
	ops = store->ops;
	without = *ops;
	without.free_length = NULL;
	without.adopt_page = NULL;
	without.release_page = NULL;
	store->ops = &without;
	memset(data, 0x33, sizeof(data));
	HCHECK_EQ(store_put(store, data, sizeof(data), &handle), STORE_OK);
	HCHECK_EQ(store_free_length(store, handle, &length), STORE_OK);
	HCHECK_EQ(length, sizeof(data));
	HCHECK_EQ(store_free_length(store, handle, &length), STORE_BAD_HANDLE);
	page = adopt_page_new(1);
	HCHECK_EQ(store_adopt_page(store, page, &handle), STORE_UNSUPPORTED);
	HCHECK_EQ(store_release_page(store, handle, &page), STORE_UNSUPPORTED);
	HCHECK(strcmp(store_result_name(STORE_UNSUPPORTED), "unknown result") != 0);
	adopt_free_page(NULL, page);
	HCHECK_EQ(adopt_stats(store).pages_stored, 0);
	store->ops = ops;
	store_destroy(store);
	HCHECK_EQ(adopt_frames_live, 0);
}
