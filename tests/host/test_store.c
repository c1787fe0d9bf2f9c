/*
 * Host tests of the page store (mm/store.h) through its zsmalloc-like
 * implementation (mm/zstore.c), over an mmap-backed page provider that
 * counts its frames (so leaks show) and can be told to run dry.
 * tests/host/test_logstore.c includes this file with TEST_STORE_LOGSTORE
 * defined: the cases that hold for any store then run on the
 * log-structured store (mm/logstore.c), those about zstore's layout are
 * left out, and the helpers serve logstore's own cases.
 *
 * Every object's content is derived from a seed, so any read is checked
 * byte for byte; a model of what was stored gives the exact statistics.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <lz4.h>
#include "mm/store.h"
#ifdef TEST_STORE_LOGSTORE
#include "mm/logstore.h"
#define TEST_STORE_OPS_NAME "logstore"
#else
#include "mm/zstore.h"
#include "mm/zstore_internal.h"
#define TEST_STORE_OPS_NAME "zstore"
#endif
#include "tests/host/htest.h"

extern __thread unsigned host_cpu_index;

/* ---- the page provider ------------------------------------------------ */

struct test_provider {
	pthread_mutex_t lock;	/* protects the counters below */
	long live;		/* frames handed out and not yet returned */
	long allocations;
	long budget;		/* allocations that may still succeed; <0: any */
};

static void *test_alloc_page(void *context)
{
	struct test_provider *provider = context;
	void *page = NULL;

	pthread_mutex_lock(&provider->lock);
	if (provider->budget != 0) {
		page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED) {
			page = NULL;
		} else {
			/* stale bytes, as a reused frame would have */
			memset(page, 0xa5, 4096);
			provider->live++;
			provider->allocations++;
			if (provider->budget > 0)
				provider->budget--;
		}
	}
	pthread_mutex_unlock(&provider->lock);
	return page;
}

static void test_free_page(void *context, void *page)
{
	struct test_provider *provider = context;

	pthread_mutex_lock(&provider->lock);
	provider->live--;
	pthread_mutex_unlock(&provider->lock);
	munmap(page, 4096);
}

static void provider_init(struct test_provider *provider)
{
	pthread_mutex_init(&provider->lock, NULL);
	provider->live = 0;
	provider->allocations = 0;
	provider->budget = -1;
}

/* A store of the implementation under test over provider. */
static struct store *store_new(struct test_provider *provider, uint64_t limit,
			       uint64_t max_objects)
{
#ifdef TEST_STORE_LOGSTORE
	struct logstore_config config = {
#else
	struct zstore_config config = {
#endif
		.name = "test",
		.provider = { test_alloc_page, test_free_page, provider },
		.frame_limit = limit,
		.max_objects = max_objects,
	};

	provider_init(provider);
#ifdef TEST_STORE_LOGSTORE
	return logstore_create(&config);
#else
	return zstore_create(&config);
#endif
}

/* ---- content from seeds ---------------------------------------------- */

static uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static void fill(uint8_t *buffer, size_t length, uint64_t seed)
{
	uint64_t state = seed * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < length; i++) {
		if (i % 8 == 0)
			rng_next(&state);
		buffer[i] = (uint8_t)(state >> (i % 8 * 8));
	}
}

static bool content_ok(const uint8_t *data, size_t length, uint64_t seed)
{
	uint8_t expect[STORE_OBJECT_MAX];

	fill(expect, length, seed);
	return memcmp(expect, data, length) == 0;
}

/* One stored object and what it must contain. */
struct model_object {
	store_handle_t handle;
	uint64_t seed;
	uint16_t length;
	bool live;
};

static size_t random_length(uint64_t *rng)
{
	uint64_t r = rng_next(rng);

	switch (r % 8) {
	case 0:
		return 1 + r / 8 % 64;		/* tiny */
	case 1:
		return 4096;			/* raw page */
	case 2:
		return 4000 + r / 8 % 97;	/* near raw */
	case 3:
		return 4097 + r / 8 % 256;	/* a page and a tag */
	default:
		return 1 + r / 8 % 4096;	/* anything */
	}
}

static bool object_reads_back(struct store *store, const struct model_object *o)
{
	uint8_t buffer[STORE_OBJECT_MAX];
	size_t length = 0;

	if (store_read(store, o->handle, buffer, sizeof(buffer), &length) != STORE_OK)
		return false;
	return length == o->length && content_ok(buffer, length, o->seed);
}

static bool object_maps_back(struct store *store, const struct model_object *o)
{
	static uint8_t bounce[STORE_OBJECT_MAX];
	struct store_view view;
	bool ok;

	if (store_map(store, o->handle, bounce, &view) != STORE_OK)
		return false;
	ok = view.length == o->length && content_ok(view.data, view.length, o->seed);
	store_unmap(store, &view);
	return ok;
}

static int object_put(struct store *store, struct model_object *o, size_t length,
		      uint64_t seed)
{
	uint8_t buffer[STORE_OBJECT_MAX];
	int result;

	fill(buffer, length, seed);
	result = store_put(store, buffer, length, &o->handle);
	if (result == STORE_OK) {
		o->seed = seed;
		o->length = (uint16_t)length;
		o->live = true;
	}
	return result;
}

/* Stats that follow from the model alone. */
static void check_stats_match(struct store *store, const struct model_object *objects,
			      size_t count)
{
	struct store_stats stats;
	uint64_t pages = 0, bytes = 0;

	for (size_t i = 0; i < count; i++)
		if (objects[i].live) {
			pages++;
			bytes += objects[i].length;
		}
	store_stats(store, &stats);
	HCHECK_EQ(stats.pages_stored, pages);
	HCHECK_EQ(stats.bytes_stored, bytes);
	HCHECK(stats.frames_used * 4096 >= bytes);
	HCHECK(stats.frames_used + stats.metadata_frames <= stats.frame_limit);
	if (stats.frames_used + stats.metadata_frames)
		HCHECK_EQ(stats.ratio_milli,
			  pages * 1000 / (stats.frames_used + stats.metadata_frames));
}

static void destroy_and_check_leaks(struct store *store,
				    struct test_provider *provider)
{
	store_destroy(store);
	HCHECK_EQ(provider->live, 0);
}

/* ---- cases ------------------------------------------------------------ */

HTEST(every_length_round_trips)
{
	struct test_provider provider;
	struct store *store = store_new(&provider, 1 << 16, 0);
	static struct model_object objects[STORE_OBJECT_MAX];
	struct store_stats stats;

	HCHECK(store != NULL);
	if (!store)
		return;
	for (size_t length = 1; length <= STORE_OBJECT_MAX; length++)
		HCHECK_EQ(object_put(store, &objects[length - 1], length, length),
			  STORE_OK);
	for (size_t i = 0; i < STORE_OBJECT_MAX; i++) {
		size_t length = 0;

		HCHECK(objects[i].handle != STORE_HANDLE_NONE);
		HCHECK(objects[i].handle < (1ull << 50));
		HCHECK(store_size(store, objects[i].handle, &length) == STORE_OK &&
		       length == i + 1);
		HCHECK(object_reads_back(store, &objects[i]));
		HCHECK(object_maps_back(store, &objects[i]));
	}
	check_stats_match(store, objects, STORE_OBJECT_MAX);
	for (size_t i = 0; i < STORE_OBJECT_MAX; i++) {
		HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
		objects[i].live = false;
	}
	store_stats(store, &stats);
	HCHECK_EQ(stats.frames_used, 0);
	HCHECK_EQ(stats.puts, STORE_OBJECT_MAX);
	HCHECK_EQ(stats.frees, STORE_OBJECT_MAX);
	check_stats_match(store, objects, STORE_OBJECT_MAX);
	destroy_and_check_leaks(store, &provider);
}

HTEST(bad_lengths_refused)
{
	struct test_provider provider;
	struct store *store = store_new(&provider, 64, 0);
	uint8_t page[STORE_OBJECT_MAX + 1] = { 0 };
	store_handle_t handle = STORE_HANDLE_NONE;

	HCHECK_EQ(store_put(store, page, 0, &handle), STORE_BAD_LENGTH);
	HCHECK_EQ(store_put(store, page, STORE_OBJECT_MAX + 1, &handle),
		  STORE_BAD_LENGTH);
	HCHECK_EQ(handle, STORE_HANDLE_NONE);
	destroy_and_check_leaks(store, &provider);
}

HTEST(random_put_read_free)
{
	enum { SLOTS = 3000, OPERATIONS = 60000 };
	static struct model_object objects[SLOTS];
	struct test_provider provider;
	struct store *store = store_new(&provider, 1 << 16, 0);
	uint64_t rng = 0x1234567;
	uint64_t seed = 1;
	unsigned bad = 0;

	memset(objects, 0, sizeof(objects));
	for (unsigned op = 0; op < OPERATIONS; op++) {
		struct model_object *o = &objects[rng_next(&rng) % SLOTS];

		if (!o->live) {
			if (object_put(store, o, random_length(&rng), seed++) != STORE_OK)
				bad++;
		} else if (rng_next(&rng) % 3 == 0) {
			bad += !object_reads_back(store, o);
			bad += !object_maps_back(store, o);
		} else {
			bad += !object_reads_back(store, o);
			bad += store_free(store, o->handle) != STORE_OK;
			o->live = false;
		}
		if (op % 10000 == 0)
			check_stats_match(store, objects, SLOTS);
	}
	HCHECK_EQ(bad, 0);
	check_stats_match(store, objects, SLOTS);
	for (unsigned i = 0; i < SLOTS; i++)
		if (objects[i].live)
			HCHECK(object_reads_back(store, &objects[i]));
	destroy_and_check_leaks(store, &provider);
}

HTEST(raw_pages_take_one_frame_each)
{
	enum { PAGES = 200 };
	static struct model_object objects[PAGES];
	struct test_provider provider;
	struct store *store = store_new(&provider, 1024, 0);
	struct store_stats before, after;

	store_stats(store, &before);
	for (unsigned i = 0; i < PAGES; i++)
		HCHECK_EQ(object_put(store, &objects[i], 4096, i + 7), STORE_OK);
	store_stats(store, &after);
	HCHECK_EQ(after.frames_used, PAGES);
	/* zstore: one slot frame of 256 slots, a raw page has a frame of its
	 * own and no zspage descriptor; logstore: the slots fit its header
	 * frame, the frame descriptors past its 64 take one frame of 256 */
	HCHECK_EQ(after.metadata_frames - before.metadata_frames, 1);
	HCHECK(after.ratio_milli >= 900);
	for (unsigned i = 0; i < PAGES; i++)
		HCHECK(object_reads_back(store, &objects[i]));
	destroy_and_check_leaks(store, &provider);
}

HTEST(small_objects_share_frames)
{
	enum { COUNT = 2048 };
	static struct model_object objects[COUNT];
	struct test_provider provider;
	struct store *store = store_new(&provider, 4096, 0);
	struct store_stats stats;
	uint64_t bytes = 0;

	for (unsigned i = 0; i < COUNT; i++) {
		size_t length = 1000 + i % 400;	/* typical compressed sizes */

		HCHECK_EQ(object_put(store, &objects[i], length, i), STORE_OK);
		bytes += length;
	}
	store_stats(store, &stats);
	/* packed: less than 10 % waste over the bytes themselves */
	htest_log("%u objects, %llu bytes in %llu data frames (+%llu metadata)",
		  COUNT, (unsigned long long)bytes,
		  (unsigned long long)stats.frames_used,
		  (unsigned long long)stats.metadata_frames);
	HCHECK(stats.frames_used * 4096 < bytes + bytes / 10);
	HCHECK(stats.ratio_milli > 2500);
	for (unsigned i = 0; i < COUNT; i++)
		HCHECK(object_reads_back(store, &objects[i]));
	destroy_and_check_leaks(store, &provider);
}

#ifndef TEST_STORE_LOGSTORE
/* zstore's layout: a frame and a small tail object per page and tag. */
HTEST(page_and_tag_objects)
{
	enum { COUNT = 300 };
	static struct model_object objects[COUNT];
	struct test_provider provider;
	struct store *store = store_new(&provider, 4096, 0);
	struct store_stats stats;
	unsigned bad = 0;

	/* a sealed page with a 16-byte MAC tag: a frame and a small tail */
	for (unsigned i = 0; i < COUNT; i++)
		HCHECK_EQ(object_put(store, &objects[i], 4096 + 16, i * 3), STORE_OK);
	store_stats(store, &stats);
	/* tails of 8 + 16 bytes and a header fill 32-byte objects, 128 a frame */
	HCHECK_EQ(stats.frames_used, COUNT + (COUNT + 127) / 128);
	/* free most, so the tails' zspages become sparse, and compact */
	for (unsigned i = 0; i < COUNT; i++)
		if (i % 8 != 0) {
			HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
			objects[i].live = false;
		}
	store_compact(store);
	store_stats(store, &stats);
	HCHECK_EQ(stats.frames_used, COUNT / 8 + 1 + 1);
	for (unsigned i = 0; i < COUNT; i++)
		if (objects[i].live) {
			bad += !object_reads_back(store, &objects[i]);
			bad += !object_maps_back(store, &objects[i]);
		}
	HCHECK_EQ(bad, 0);
	check_stats_match(store, objects, COUNT);
	for (unsigned i = 0; i < COUNT; i++)
		if (objects[i].live)
			HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
	store_stats(store, &stats);
	HCHECK_EQ(stats.frames_used, 0);
	destroy_and_check_leaks(store, &provider);
}
#endif

HTEST(page_and_tag_refused_part_way_keeps_nothing)
{
	struct model_object o = { 0 };
	struct test_provider provider;
	struct store_stats stats;
	bool stored = false;

	/* every budget from nothing up to enough: a refusal leaves no part */
	for (long budget = 0; budget < 16 && !stored; budget++) {
		struct store *store = store_new(&provider, 1024, 0);
		int result;

		provider.budget = budget;
		result = object_put(store, &o, 4096 + 16, 9);
		store_stats(store, &stats);
		if (result == STORE_OK) {
			stored = true;
			HCHECK(object_reads_back(store, &o));
			HCHECK_EQ(stats.frames_used, 2);
		} else {
			HCHECK_EQ(result, STORE_NO_MEMORY);
			HCHECK_EQ(stats.frames_used, 0);
			HCHECK_EQ(stats.pages_stored, 0);
			HCHECK_EQ(stats.refusals, 1);
		}
		destroy_and_check_leaks(store, &provider);
	}
	HCHECK(stored);
}

HTEST(compaction_keeps_handles_and_releases_frames)
{
	enum { COUNT = 6000 };
	static struct model_object objects[COUNT];
	struct test_provider provider;
	struct store *store = store_new(&provider, 1 << 16, 0);
	struct store_stats before, after;
	uint64_t rng = 99;
	size_t released;
	unsigned bad = 0;

	for (unsigned i = 0; i < COUNT; i++)
		HCHECK_EQ(object_put(store, &objects[i], 1 + rng_next(&rng) % 3000,
				     i + 1000), STORE_OK);
	/* free three in four at random: zspages become sparse */
	for (unsigned i = 0; i < COUNT; i++)
		if (rng_next(&rng) % 4 != 0) {
			HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
			objects[i].live = false;
		}
	store_stats(store, &before);
	released = store_compact(store);
	store_stats(store, &after);
	htest_log("data frames %llu -> %llu, %llu objects moved",
		  (unsigned long long)before.frames_used,
		  (unsigned long long)after.frames_used,
		  (unsigned long long)after.objects_moved);
	HCHECK(released > 0);
	HCHECK_EQ(before.frames_used - after.frames_used, released);
	HCHECK_EQ(after.frames_compacted, released);
	HCHECK_EQ(after.compactions, before.compactions + 1);
	HCHECK(after.objects_moved > 0);
	/* most of the freed space comes back */
	HCHECK(after.frames_used * 2 < before.frames_used);
	for (unsigned i = 0; i < COUNT; i++)
		if (objects[i].live) {
			bad += !object_reads_back(store, &objects[i]);
			bad += !object_maps_back(store, &objects[i]);
		}
	HCHECK_EQ(bad, 0);
	check_stats_match(store, objects, COUNT);
	/* a second pass finds little or nothing left to do */
	HCHECK(store_compact(store) <= released / 10);
	for (unsigned i = 0; i < COUNT; i++)
		if (objects[i].live)
			HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
	store_stats(store, &after);
	HCHECK_EQ(after.frames_used, 0);
	destroy_and_check_leaks(store, &provider);
}

HTEST(limit_refuses_and_keeps_everything)
{
	enum { COUNT = 400 };
	static struct model_object objects[COUNT];
	struct test_provider provider;
	struct store *store = store_new(&provider, 64, 0);
	struct store_stats stats, after;
	unsigned stored = 0, refused = 0;
	int result;

	for (unsigned i = 0; i < COUNT; i++) {
		result = object_put(store, &objects[i], 1500, i);
		if (result == STORE_OK) {
			stored++;
			HCHECK_EQ(refused, 0);	/* no success after the first refusal */
		} else {
			HCHECK_EQ(result, STORE_FULL);
			refused++;
		}
	}
	store_stats(store, &stats);
	htest_log("limit 64 frames: %u stored, %u refused, %llu+%llu frames",
		  stored, refused, (unsigned long long)stats.frames_used,
		  (unsigned long long)stats.metadata_frames);
	HCHECK(stored > 0 && refused > 0);
	HCHECK_EQ(stats.refusals, refused);
	HCHECK(stats.frames_used + stats.metadata_frames <= 64);
	HCHECK_EQ(provider.live, (long)(stats.frames_used + stats.metadata_frames));
	check_stats_match(store, objects, COUNT);
	for (unsigned i = 0; i < COUNT; i++)
		if (objects[i].live)
			HCHECK(object_reads_back(store, &objects[i]));
	/* room again after frees */
	for (unsigned i = 0; i < COUNT; i++)
		if (objects[i].live) {
			HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
			objects[i].live = false;
		}
	HCHECK_EQ(object_put(store, &objects[0], 1500, 1), STORE_OK);
	store_stats(store, &after);
	HCHECK_EQ(after.refusals, refused);
	destroy_and_check_leaks(store, &provider);
}

HTEST(object_count_limit_refuses)
{
	static struct model_object objects[40];
	struct test_provider provider;
	struct store *store = store_new(&provider, 1024, 30);
	struct store_stats stats;

	for (unsigned i = 0; i < 30; i++)
		HCHECK_EQ(object_put(store, &objects[i], 100, i), STORE_OK);
	HCHECK_EQ(object_put(store, &objects[30], 100, 30), STORE_FULL);
	store_stats(store, &stats);
	HCHECK_EQ(stats.refusals, 1);
	HCHECK_EQ(stats.pages_stored, 30);
	destroy_and_check_leaks(store, &provider);
}

HTEST(provider_running_dry_refuses_without_leak)
{
	static struct model_object objects[300];
	struct test_provider provider;
	struct store *store = store_new(&provider, 1 << 16, 0);
	struct store_stats stats;
	unsigned stored = 0;
	int result = STORE_OK;

	provider.budget = 40;
	for (unsigned i = 0; i < 300 && result == STORE_OK; i++) {
		result = object_put(store, &objects[i], 3000, i);
		stored += result == STORE_OK;
	}
	HCHECK_EQ(result, STORE_NO_MEMORY);
	store_stats(store, &stats);
	HCHECK_EQ(stats.refusals, 1);
	HCHECK_EQ(stats.pages_stored, stored);
	HCHECK_EQ(provider.live, (long)(stats.frames_used + stats.metadata_frames));
	for (unsigned i = 0; i < stored; i++)
		HCHECK(object_reads_back(store, &objects[i]));
	destroy_and_check_leaks(store, &provider);
}

#ifndef TEST_STORE_LOGSTORE
/* zstore's configuration and minimum (test_logstore.c has logstore's). */
HTEST(create_with_no_frames_fails_cleanly)
{
	struct test_provider provider;
	struct zstore_config config = {
		.name = "dry",
		.provider = { test_alloc_page, test_free_page, &provider },
		.frame_limit = 1024,
	};

	struct store *store = NULL;
	long budget;

	provider_init(&provider);
	/* every shortfall on the way to a working store is clean */
	for (budget = 0; budget < 16 && !store; budget++) {
		provider.budget = budget;
		store = zstore_create(&config);
		if (!store)
			HCHECK_EQ(provider.live, 0);
	}
	HCHECK(store != NULL && budget > 1);
	if (store)
		destroy_and_check_leaks(store, &provider);
	config.frame_limit = 3;
	provider.budget = -1;
	HCHECK(zstore_create(&config) == NULL);
	HCHECK_EQ(provider.live, 0);
}
#endif

HTEST(corrupt_handles_detected)
{
	struct test_provider provider;
	struct store *store = store_new(&provider, 256, 0);
	struct model_object a = { 0 }, b = { 0 };
	struct store_stats stats;
	uint8_t buffer[STORE_OBJECT_MAX];
	size_t length;
	unsigned expected_bad = 0, accepted = 0;
	store_handle_t stale;

	HCHECK_EQ(object_put(store, &a, 700, 1), STORE_OK);
	/* freed: the slot's generation moves on */
	stale = a.handle;
	HCHECK_EQ(store_free(store, stale), STORE_OK);
	HCHECK_EQ(store_read(store, stale, buffer, sizeof(buffer), &length),
		  STORE_BAD_HANDLE);
	HCHECK_EQ(store_free(store, stale), STORE_BAD_HANDLE);
	expected_bad += 2;
	/* the slot is reused: the old handle still names nothing */
	HCHECK_EQ(object_put(store, &b, 900, 2), STORE_OK);
	HCHECK((b.handle & ((1ull << 30) - 1)) == (stale & ((1ull << 30) - 1)));
	HCHECK(b.handle != stale);
	HCHECK_EQ(store_size(store, stale, &length), STORE_BAD_HANDLE);
	HCHECK_EQ(store_free(store, stale), STORE_BAD_HANDLE);
	expected_bad += 2;
	HCHECK(object_reads_back(store, &b));
	/* zero, above 2^50, out of range */
	HCHECK_EQ(store_size(store, STORE_HANDLE_NONE, &length), STORE_BAD_HANDLE);
	HCHECK_EQ(store_size(store, 1ull << 50, &length), STORE_BAD_HANDLE);
	HCHECK_EQ(store_size(store, b.handle | 1ull << 55, &length), STORE_BAD_HANDLE);
	expected_bad += 3;
	/* every other generation and check value of b's slot, and every
	 * single-bit flip of b's handle: all refused */
	for (uint64_t high = 0; high < (1u << 20); high++) {
		store_handle_t forged = (b.handle & ((1ull << 30) - 1)) | high << 30;

		if (forged == b.handle)
			continue;
		accepted += store_size(store, forged, &length) != STORE_BAD_HANDLE;
		expected_bad++;
	}
	for (unsigned bit = 0; bit < 64; bit++) {
		accepted += store_size(store, b.handle ^ 1ull << bit, &length) !=
			    STORE_BAD_HANDLE;
		expected_bad++;
	}
	/* indexes beyond the table with every check value */
	for (uint64_t check = 0; check < 256; check++) {
		accepted += store_size(store, (1ull << 29) | check << 42, &length) !=
			    STORE_BAD_HANDLE;
		expected_bad++;
	}
	HCHECK_EQ(accepted, 0);
	store_stats(store, &stats);
	HCHECK_EQ(stats.bad_handles, expected_bad);
	/* b is untouched by all this */
	HCHECK(object_reads_back(store, &b));
	HCHECK_EQ(stats.pages_stored, 1);
	destroy_and_check_leaks(store, &provider);
}

HTEST(random_handles_never_followed)
{
	enum { COUNT = 1000, TRIES = 200000 };
	static struct model_object objects[COUNT];
	struct test_provider provider;
	struct store *store = store_new(&provider, 1024, 0);
	struct store_stats stats;
	uint64_t rng = 31337;
	unsigned accepted = 0, refused = 0, live_hits = 0;
	size_t length;

	for (unsigned i = 0; i < COUNT; i++)
		HCHECK_EQ(object_put(store, &objects[i], 1 + i % 2000, i), STORE_OK);
	/* free every other one: their handles are stale now */
	for (unsigned i = 0; i < COUNT; i += 2) {
		HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
		objects[i].live = false;
	}
	for (unsigned i = 0; i < TRIES; i++) {
		uint64_t value = rng_next(&rng);
		int result;

		switch (i % 4) {
		case 0:
			break;				/* anything at all */
		case 1:
			value &= (1ull << 50) - 1;	/* in the PTE's range */
			break;
		case 2:					/* a small index */
			value = (value & ~((1ull << 30) - 1) & ((1ull << 50) - 1)) |
				(value % 2048);
			break;
		default:				/* a stale handle, altered */
			value = objects[(value % (COUNT / 2)) * 2].handle ^
				(1ull << (value >> 58));
			break;
		}
		result = store_size(store, value, &length);
		if (result == STORE_OK) {
			bool live = false;

			for (unsigned j = 1; j < COUNT; j += 2)
				live |= objects[j].handle == value;
			accepted += !live;	/* only a live handle may pass */
			live_hits += live;
		} else {
			refused += result == STORE_BAD_HANDLE;
		}
	}
	HCHECK_EQ(accepted, 0);
	HCHECK_EQ(refused + live_hits, TRIES);
	store_stats(store, &stats);
	HCHECK_EQ(stats.bad_handles, refused);
	for (unsigned i = 1; i < COUNT; i += 2)
		HCHECK(object_reads_back(store, &objects[i]));
	destroy_and_check_leaks(store, &provider);
}

HTEST(mapped_objects_are_pinned)
{
	enum { COUNT = 64 };
	static struct model_object objects[COUNT];
	static uint8_t bounce[STORE_OBJECT_MAX];
	struct test_provider provider;
	struct store *store = store_new(&provider, 1024, 0);
	struct store_view in_place = { 0 }, spanning = { 0 };
	unsigned found_in_place = COUNT, found_spanning = COUNT;

	/* 1376-byte objects (1380 stored, class 1392): some span frames */
	for (unsigned i = 0; i < COUNT; i++)
		HCHECK_EQ(object_put(store, &objects[i], 1376, i), STORE_OK);
	for (unsigned i = 0; i < COUNT; i++) {
		struct store_view view;

		HCHECK_EQ(store_map(store, objects[i].handle, bounce, &view), STORE_OK);
		if (view.data == bounce && found_spanning == COUNT)
			found_spanning = i;
		if (view.data != bounce && found_in_place == COUNT)
			found_in_place = i;
		store_unmap(store, &view);
	}
	HCHECK(found_in_place < COUNT && found_spanning < COUNT);
	if (found_in_place == COUNT || found_spanning == COUNT)
		goto out;
	/* a spanning object needs the bounce buffer */
	HCHECK_EQ(store_map(store, objects[found_spanning].handle, NULL, &spanning),
		  STORE_SHORT_BUFFER);
	HCHECK_EQ(store_map(store, objects[found_in_place].handle, NULL, &in_place),
		  STORE_OK);
	/* free everything else: the pinned object's zspage must not move */
	for (unsigned i = 0; i < COUNT; i++)
		if (i != found_in_place) {
			HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
			objects[i].live = false;
		}
	HCHECK_EQ(store_free(store, objects[found_in_place].handle), STORE_BUSY);
	store_compact(store);
	HCHECK(content_ok(in_place.data, in_place.length, objects[found_in_place].seed));
	store_unmap(store, &in_place);
	HCHECK(object_reads_back(store, &objects[found_in_place]));
	HCHECK_EQ(store_free(store, objects[found_in_place].handle), STORE_OK);
	objects[found_in_place].live = false;
	check_stats_match(store, objects, COUNT);
out:
	destroy_and_check_leaks(store, &provider);
}

HTEST(read_into_short_buffer_refused)
{
	struct test_provider provider;
	struct store *store = store_new(&provider, 64, 0);
	struct model_object o = { 0 };
	uint8_t buffer[STORE_OBJECT_MAX];
	size_t length = 0;

	HCHECK_EQ(object_put(store, &o, 2000, 5), STORE_OK);
	HCHECK_EQ(store_read(store, o.handle, buffer, 1999, &length),
		  STORE_SHORT_BUFFER);
	HCHECK_EQ(length, 2000);
	HCHECK(object_reads_back(store, &o));
	destroy_and_check_leaks(store, &provider);
}

HTEST(ops_table_and_helpers)
{
	struct test_provider provider;
	struct store *store = store_new(&provider, 64, 0);

	HCHECK(strcmp(store->ops->name, TEST_STORE_OPS_NAME) == 0);
	HCHECK(strcmp(store->name, "test") == 0);
	HCHECK(store_default() == NULL);
	store_set_default(store);
	HCHECK(store_default() == store);
	store_set_default(NULL);
	HCHECK_EQ(store_frames_for_share(1000, 25), 250);
	HCHECK_EQ(store_frames_for_share(32768, 50), 16384);
	HCHECK_EQ(store_frames_for_share(3, 10), 1);
	HCHECK_EQ(store_frames_for_share(1000, 150), 1000);
	HCHECK(strcmp(store_result_name(STORE_FULL), "store full") == 0);
	HCHECK(strcmp(store_result_name(STORE_BAD_HANDLE), "bad handle") == 0);
	destroy_and_check_leaks(store, &provider);
}

/* ---- several CPUs ----------------------------------------------------- */

struct worker {
	struct store *store;
	unsigned cpu;
	unsigned errors;
	struct model_object objects[400];
};

static void *worker_run(void *argument)
{
	struct worker *w = argument;
	uint64_t rng = 77 + w->cpu;

	host_cpu_index = w->cpu;
	for (unsigned op = 0; op < 20000; op++) {
		struct model_object *o = &w->objects[rng_next(&rng) % 400];

		if (!o->live) {
			w->errors += object_put(w->store, o, random_length(&rng),
						(uint64_t)w->cpu << 32 | op) != STORE_OK;
		} else if (rng_next(&rng) % 2) {
			w->errors += !object_reads_back(w->store, o);
		} else {
			w->errors += !object_reads_back(w->store, o);
			w->errors += store_free(w->store, o->handle) != STORE_OK;
			o->live = false;
		}
	}
	return NULL;
}

static volatile bool compactor_stop;

static void *compactor_run(void *argument)
{
	host_cpu_index = 7;
	while (!__atomic_load_n(&compactor_stop, __ATOMIC_ACQUIRE))
		store_compact(argument);
	return NULL;
}

HTEST(several_cpus_with_compaction)
{
	enum { WORKERS = 3 };
	static struct worker workers[WORKERS];
	struct test_provider provider;
	struct store *store = store_new(&provider, 1 << 16, 0);
	pthread_t threads[WORKERS], compactor;
	struct store_stats stats;
	uint64_t live = 0;

	compactor_stop = false;
	pthread_create(&compactor, NULL, compactor_run, store);
	for (unsigned i = 0; i < WORKERS; i++) {
		memset(&workers[i], 0, sizeof(workers[i]));
		workers[i].store = store;
		workers[i].cpu = i;
		pthread_create(&threads[i], NULL, worker_run, &workers[i]);
	}
	for (unsigned i = 0; i < WORKERS; i++)
		pthread_join(threads[i], NULL);
	__atomic_store_n(&compactor_stop, true, __ATOMIC_RELEASE);
	pthread_join(compactor, NULL);
	for (unsigned i = 0; i < WORKERS; i++) {
		HCHECK_EQ(workers[i].errors, 0);
		for (unsigned j = 0; j < 400; j++)
			if (workers[i].objects[j].live) {
				live++;
				HCHECK(object_reads_back(store, &workers[i].objects[j]));
			}
	}
	store_stats(store, &stats);
	htest_log("%llu compaction runs moved %llu objects, released %llu frames",
		  (unsigned long long)stats.compactions,
		  (unsigned long long)stats.objects_moved,
		  (unsigned long long)stats.frames_compacted);
	HCHECK_EQ(stats.pages_stored, live);
	HCHECK_EQ(stats.bad_handles, 0);
	destroy_and_check_leaks(store, &provider);
}

/* ---- real page sizes -------------------------------------------------- */

#ifndef TEST_STORE_LOGSTORE
/* (zstore's class geometry; test_logstore.c runs the corpus on logstore) */

/*
 * The data frames a fully compacted store needs for the live objects of
 * objects[0..count): per size class, ceil(objects / objects per zspage)
 * zspages of its frames (a headerless class holds one object per zspage,
 * so its figure is one zspage per object). Derived from the objects'
 * lengths and the class geometry alone, not from the store's counters.
 */
static uint64_t compacted_frames_expected(struct store *store,
					  const struct model_object *objects,
					  const size_t *lengths, unsigned count)
{
	struct zstore *z = zstore_of(store);
	uint64_t per_class[ZSTORE_CLASS_COUNT] = { 0 }, frames = 0;

	for (unsigned i = 0; i < count; i++)
		if (objects[i].live)
			per_class[z->classes[zstore_class_index_for(lengths[i])]->index]++;
	for (unsigned c = 0; c < ZSTORE_CLASS_COUNT; c++) {
		const struct zstore_class *class = z->classes[c];

		if (class->index != c || per_class[c] == 0)
			continue;
		frames += (per_class[c] + class->objects_per_zspage - 1) /
			  class->objects_per_zspage * class->frames_per_zspage;
	}
	return frames;
}

/*
 * Stores the pages of a corpus file compressed with liblz4 (as a transform
 * would), checks each decompresses to the page, frees a random half,
 * compacts and checks again. Figures go to the log.
 */
static void corpus_run(const char *file)
{
	enum { PAGES_MAX = 2048 };
	static struct model_object objects[PAGES_MAX];
	static size_t lengths[PAGES_MAX];
	static uint8_t pages[PAGES_MAX][4096];
	static char compressed[LZ4_COMPRESSBOUND(4096)];
	struct test_provider provider;
	struct store *store;
	struct store_stats full, half, compacted;
	uint8_t buffer[4096], page[4096];
	unsigned count, bad = 0;
	uint64_t rng = 4242, expected;
	size_t released;
	FILE *f = fopen(file, "rb");

	if (!f)
		return;
	count = (unsigned)fread(pages, 4096, PAGES_MAX, f);
	fclose(f);
	store = store_new(&provider, 1 << 16, 0);
	for (unsigned i = 0; i < count; i++) {
		int length = LZ4_compress_default((const char *)pages[i], compressed,
						  4096, sizeof(compressed));

		/* a page that does not shrink is stored raw, as transforms do */
		lengths[i] = length <= 0 || length >= 4096 ? 4096 : (size_t)length;
		bad += store_put(store, lengths[i] == 4096 ? (const void *)pages[i] :
				 (const void *)compressed, lengths[i],
				 &objects[i].handle) != STORE_OK;
		objects[i].live = true;
	}
	store_stats(store, &full);
	for (unsigned i = 0; i < count; i++)
		if (rng_next(&rng) % 2) {
			bad += store_free(store, objects[i].handle) != STORE_OK;
			objects[i].live = false;
		}
	store_stats(store, &half);
	expected = compacted_frames_expected(store, objects, lengths, count);
	released = store_compact(store);
	store_stats(store, &compacted);
	for (unsigned i = 0; i < count; i++) {
		size_t length;

		if (!objects[i].live)
			continue;
		if (store_read(store, objects[i].handle, buffer, sizeof(buffer),
			       &length) != STORE_OK) {
			bad++;
			continue;
		}
		if (length == 4096)
			memcpy(page, buffer, 4096);
		else if (LZ4_decompress_safe((const char *)buffer, (char *)page,
					     (int)length, 4096) != 4096)
			bad++;
		bad += memcmp(page, pages[i], 4096) != 0;
	}
	HCHECK_EQ(bad, 0);
	/* compaction frees at least the frames above the classes' minimum
	 * (objects of sparse classes pack tighter, in mixed zspages), and says
	 * so in its result and counters */
	HCHECK(compacted.frames_used <= expected);
	HCHECK_EQ(released, half.frames_used - compacted.frames_used);
	HCHECK_EQ(compacted.frames_compacted - half.frames_compacted, released);
	HCHECK(released > 0);
	htest_log("%s: compaction freed %zu data frames: %llu -> %llu, at or "
		  "below the classes' minimum for the live pages", file, released,
		  (unsigned long long)half.frames_used,
		  (unsigned long long)compacted.frames_used);
	htest_log("%s: %u pages, %llu bytes: %llu data + %llu metadata frames, "
		  "ratio %llu.%03llu (codec alone %llu.%03llu)", file, count,
		  (unsigned long long)full.bytes_stored,
		  (unsigned long long)full.frames_used,
		  (unsigned long long)full.metadata_frames,
		  (unsigned long long)full.ratio_milli / 1000,
		  (unsigned long long)full.ratio_milli % 1000,
		  (unsigned long long)(full.pages_stored * 4096 * 1000 /
				       (full.bytes_stored ? full.bytes_stored : 1)) / 1000,
		  (unsigned long long)(full.pages_stored * 4096 * 1000 /
				       (full.bytes_stored ? full.bytes_stored : 1)) % 1000);
	htest_log("  half freed: %llu data frames; after compaction %llu "
		  "(%llu objects moved), ratio %llu.%03llu -> %llu.%03llu",
		  (unsigned long long)half.frames_used,
		  (unsigned long long)compacted.frames_used,
		  (unsigned long long)(compacted.objects_moved - half.objects_moved),
		  (unsigned long long)half.ratio_milli / 1000,
		  (unsigned long long)half.ratio_milli % 1000,
		  (unsigned long long)compacted.ratio_milli / 1000,
		  (unsigned long long)compacted.ratio_milli % 1000);
	destroy_and_check_leaks(store, &provider);
}

/* The folder of the larger corpora: $VEIL_CORPUS (make test VEIL_CORPUS=
 * ../shared/corpus), else none: a test run reads nothing beside the tree
 * unless asked. */
static const char *corpus_directory(void)
{
	const char *directory = getenv("VEIL_CORPUS");

	return directory && *directory ? directory : NULL;
}

/* True when the file can be opened for reading. */
static bool corpus_file_exists(const char *path)
{
	FILE *f = fopen(path, "rb");

	if (f)
		fclose(f);
	return f != NULL;
}

/* Every corpus file there is: the larger ones $VEIL_CORPUS names when
 * set, and the in-tree one the build unpacks (always expected: with
 * none at all the case fails rather than pass on nothing). */
HTEST(corpus_lz4_pages)
{
	static const char *files[] = { "python.pages", "node.pages", "sqlite.pages" };
	static const char tree_file[] = "build/corpus/python.pages";
	char path[512];
	unsigned runs = 0;

	for (unsigned i = 0; i < 3 && corpus_directory(); i++) {
		snprintf(path, sizeof(path), "%s/%s", corpus_directory(), files[i]);
		if (corpus_file_exists(path)) {
			corpus_run(path);
			runs++;
		}
	}
	if (corpus_file_exists(tree_file)) {
		corpus_run(tree_file);
		runs++;
	} else {
		htest_log("%s missing (make corpus)", tree_file);
	}
	HCHECK(runs > 0);
}
#endif

/* A zspage of several frames whose provider runs dry half-way gives back
 * exactly the frames it reserved: frames it got back were given back once
 * by each frame's put and once more by the whole reservation, so the store
 * came to count fewer frames than it held and went past its limit. */
HTEST(a_half_made_zspage_gives_back_its_reservation)
{
	struct test_provider provider;
	struct store_stats stats;
	struct store *store;
	static uint8_t data[4096];
	static store_handle_t handles[4096];
	unsigned count = 0, refused = 0;

	provider_init(&provider);
	store = store_new(&provider, 48, 0);
	HCHECK(store != NULL);
	if (!store)
		return;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	/* dry spells: the provider gives 1 to 3 frames, then nothing */
	for (unsigned round = 0; round < 60; round++) {
		store_handle_t handle;
		size_t length = 1500 + (round % 10) * 250;
		provider.budget = 1 + round % 3;
		while (count < 4096 && store_put(store, data, length, &handle) == STORE_OK)
			handles[count++] = handle;
		refused++;
	}
	provider.budget = -1;
	store_handle_t handle;
	while (count < 4096 && store_put(store, data, 3000, &handle) == STORE_OK)
		handles[count++] = handle;
	store_stats(store, &stats);
	htest_log("%u dry spells, %u objects, %llu frames used of %llu", refused,
		  count, (unsigned long long)stats.frames_used,
		  (unsigned long long)stats.frame_limit);
	HCHECK(stats.frames_used <= stats.frame_limit);
	for (unsigned i = 0; i < count; i++)
		HCHECK_EQ(store_free(store, handles[i]), STORE_OK);
	destroy_and_check_leaks(store, &provider);
}
