/*
 * Host tests of the log-structured page store (mm/logstore.c). The cases of
 * tests/host/test_store.c that hold for any store run here on logstore (the
 * file is included with TEST_STORE_LOGSTORE defined, which also gives its
 * provider and content helpers); the cases below are logstore's own: exact
 * packing, objects split across two and three frames, the header frame
 * holding a small store's tables, table growth, compaction, the waste
 * threshold, wiping, and the corpus efficiency the store is for.
 */
#define TEST_STORE_LOGSTORE 1
#include "tests/host/test_store.c"

#include <sched.h>
#include "mm/logstore_internal.h"

static uint64_t frames_for_bytes(uint64_t bytes)
{
	return (bytes + 4095) / 4096;
}

/* Frames of a table of `entries` entries (beyond the inline ones), with
 * the directory frames it needs: the layout of mm/logstore_internal.h. */
static uint64_t table_frames(uint64_t entries, uint64_t inline_count,
			     uint64_t per_frame)
{
	uint64_t frames, beyond;

	if (entries <= inline_count)
		return 0;
	frames = (entries - inline_count + per_frame - 1) / per_frame;
	beyond = frames > LOGSTORE_TABLE_DIRECT ? frames - LOGSTORE_TABLE_DIRECT : 0;
	return frames + (beyond + LOGSTORE_POINTERS_PER_FRAME - 1) /
			LOGSTORE_POINTERS_PER_FRAME;
}

/*
 * The store's invariants, read from its tables (no other thread running):
 * the frames' live bytes add up to the bytes stored, no data frame but the
 * head is without a live byte, every live slot's object lies in data
 * frames, and the frame counters match the descriptors.
 */
static bool logstore_invariants_hold(struct store *store)
{
	struct logstore *ls = logstore_of(store);
	uint64_t live = 0, frames = 0, objects = 0, bytes = 0;
	bool ok = true;

	for (uint64_t id = 0; id < ls->frames.count; id++) {
		const struct logstore_frame *frame = logstore_frame_at(ls, (uint32_t)id);

		if (frame->state != LOGSTORE_FRAME_DATA)
			continue;
		frames++;
		live += frame->live;
		ok &= frame->live > 0 && !frame->victim;
	}
	for (uint64_t index = 1; index < ls->slots.count; index++) {
		const struct logstore_slot *slot = logstore_slot_at(ls, index);
		struct logstore_cursor place = logstore_place(slot->where);

		if (!(slot->tag & LOGSTORE_TAG_LIVE))
			continue;
		objects++;
		bytes += logstore_tag_length(slot->tag);
		ok &= place.frame < ls->frames.count &&
		      logstore_frame_at(ls, place.frame)->state == LOGSTORE_FRAME_DATA;
	}
	ok &= live == ls->bytes_stored && bytes == ls->bytes_stored &&
	      objects == ls->pages_stored && frames == ls->data_frames &&
	      ls->frames_held == ls->data_frames + ls->metadata_frames;
	return ok;
}

HTEST(logstore_create_refuses_and_fails_cleanly)
{
	struct test_provider provider;
	struct logstore_config config = {
		.name = "dry",
		.provider = { test_alloc_page, test_free_page, &provider },
		.frame_limit = 1024,
	};
	struct store *store;

	provider_init(&provider);
	provider.budget = 0;
	HCHECK(logstore_create(&config) == NULL);
	HCHECK_EQ(provider.live, 0);
	/* one frame is all a new store takes */
	provider.budget = 1;
	store = logstore_create(&config);
	HCHECK(store != NULL);
	HCHECK_EQ(provider.live, 1);
	if (store)
		destroy_and_check_leaks(store, &provider);
	provider.budget = -1;
	config.frame_limit = LOGSTORE_FRAME_LIMIT_MIN - 1;
	HCHECK(logstore_create(&config) == NULL);
	config.frame_limit = 1024;
	config.provider.alloc_page = NULL;
	HCHECK(logstore_create(&config) == NULL);
	HCHECK_EQ(provider.live, 0);
}

/* A small store's slots and descriptors live in its header frame, and its
 * objects fill the data frames byte for byte. */
HTEST(logstore_small_store_is_one_metadata_frame)
{
	enum { COUNT = 64 };
	static struct model_object objects[COUNT];
	struct test_provider provider;
	struct store *store = store_new(&provider, 1024, 0);
	struct store_stats stats;
	uint64_t rng = 5, bytes = 0;

	for (unsigned i = 0; i < COUNT; i++) {
		size_t length = 600 + rng_next(&rng) % 1800;

		HCHECK_EQ(object_put(store, &objects[i], length, i + 3), STORE_OK);
		bytes += length;
	}
	store_stats(store, &stats);
	HCHECK_EQ(stats.metadata_frames, 1);
	HCHECK_EQ(stats.frames_used, frames_for_bytes(bytes));
	HCHECK_EQ(stats.wasted_bytes, stats.frames_used * 4096 - bytes);
	HCHECK_EQ(provider.live, (long)(stats.frames_used + 1));
	for (unsigned i = 0; i < COUNT; i++) {
		HCHECK(object_reads_back(store, &objects[i]));
		HCHECK(object_maps_back(store, &objects[i]));
	}
	check_stats_match(store, objects, COUNT);
	for (unsigned i = 0; i < COUNT; i++) {
		HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
		objects[i].live = false;
	}
	store_stats(store, &stats);
	HCHECK_EQ(stats.frames_used, 0);	/* the head went back too */
	destroy_and_check_leaks(store, &provider);
}

/* An object that starts at a frame's last byte and is a page and a tag
 * long covers three frames: read gathers it, map copies it to the bounce
 * buffer (and refuses without one), and the frames go back as their last
 * live byte does. */
HTEST(logstore_split_objects_over_two_and_three_frames)
{
	static uint8_t bounce[STORE_OBJECT_MAX];
	struct model_object first = { 0 }, spanning = { 0 }, next = { 0 };
	struct test_provider provider;
	struct store *store = store_new(&provider, 64, 0);
	struct store_view view;
	struct store_stats stats;

	HCHECK_EQ(object_put(store, &first, 4095, 1), STORE_OK);
	HCHECK_EQ(object_put(store, &spanning, STORE_OBJECT_MAX, 2), STORE_OK);
	store_stats(store, &stats);
	HCHECK_EQ(stats.frames_used, 3);
	HCHECK(object_reads_back(store, &spanning));
	HCHECK_EQ(store_map(store, spanning.handle, NULL, &view), STORE_SHORT_BUFFER);
	HCHECK_EQ(store_map(store, spanning.handle, bounce, &view), STORE_OK);
	HCHECK(view.data == bounce && !view.pinned);
	HCHECK(view.length == STORE_OBJECT_MAX &&
	       content_ok(view.data, view.length, spanning.seed));
	store_unmap(store, &view);
	/* the first frame keeps one live byte, the spanning object's */
	HCHECK_EQ(store_free(store, first.handle), STORE_OK);
	store_stats(store, &stats);
	HCHECK_EQ(stats.frames_used, 3);
	/* a one-byte object after it shares the third frame; then one split
	 * in two */
	HCHECK_EQ(object_put(store, &next, 1, 3), STORE_OK);
	HCHECK(object_maps_back(store, &next));
	HCHECK_EQ(object_put(store, &first, 4000, 4), STORE_OK);
	store_stats(store, &stats);
	HCHECK_EQ(stats.frames_used, 4);
	HCHECK(object_reads_back(store, &first));
	HCHECK(object_reads_back(store, &spanning));
	HCHECK(object_reads_back(store, &next));
	/* freeing the spanning object releases its first frame and its
	 * middle one: nothing live is left in either */
	HCHECK_EQ(store_free(store, spanning.handle), STORE_OK);
	store_stats(store, &stats);
	HCHECK_EQ(stats.frames_used, 2);
	HCHECK(object_reads_back(store, &next));
	HCHECK(object_reads_back(store, &first));
	HCHECK_EQ(store_free(store, next.handle), STORE_OK);
	HCHECK_EQ(store_free(store, first.handle), STORE_OK);
	store_stats(store, &stats);
	HCHECK_EQ(stats.frames_used, 0);
	destroy_and_check_leaks(store, &provider);
}

/* Objects are packed byte for byte, lengths 1 and STORE_OBJECT_MAX and
 * random ones between: the data frames are exactly what their bytes need. */
HTEST(logstore_packs_byte_for_byte)
{
	enum { COUNT = 3000 };
	static struct model_object objects[COUNT];
	struct test_provider provider;
	struct store *store = store_new(&provider, 1 << 16, 0);
	struct store_stats stats;
	uint64_t rng = 17, bytes = 0;
	unsigned bad = 0;

	for (unsigned i = 0; i < COUNT; i++) {
		size_t length = i % 3 == 0 ? 1 : i % 3 == 1 ? STORE_OBJECT_MAX :
				1 + rng_next(&rng) % STORE_OBJECT_MAX;

		HCHECK_EQ(object_put(store, &objects[i], length, i * 5 + 1), STORE_OK);
		bytes += length;
	}
	store_stats(store, &stats);
	HCHECK_EQ(stats.frames_used, frames_for_bytes(bytes));
	for (unsigned i = 0; i < COUNT; i++) {
		bad += !object_reads_back(store, &objects[i]);
		bad += !object_maps_back(store, &objects[i]);
	}
	HCHECK_EQ(bad, 0);
	check_stats_match(store, objects, COUNT);
	destroy_and_check_leaks(store, &provider);
}

/* Past the header frame the tables grow a frame at a time, then through
 * directory frames; every one is counted and goes back at destroy, with
 * the objects still in the store. */
HTEST(logstore_tables_grow_and_are_counted)
{
	enum { COUNT = 20000, LENGTH = 500 };
	static struct model_object objects[COUNT];
	struct test_provider provider;
	struct store *store = store_new(&provider, 1 << 16, 0);
	struct store_stats stats;
	uint64_t data, metadata;
	unsigned bad = 0;

	for (unsigned i = 0; i < COUNT; i++)
		HCHECK_EQ(object_put(store, &objects[i], LENGTH, i), STORE_OK);
	store_stats(store, &stats);
	data = frames_for_bytes((uint64_t)COUNT * LENGTH);
	metadata = 1 + table_frames(COUNT + 1, LOGSTORE_INLINE_SLOTS, 4096 / 8) +
		   table_frames(data, LOGSTORE_INLINE_FRAMES, 4096 / 16);
	htest_log("%u objects: %llu data + %llu metadata frames", COUNT,
		  (unsigned long long)stats.frames_used,
		  (unsigned long long)stats.metadata_frames);
	HCHECK_EQ(stats.frames_used, data);
	HCHECK_EQ(stats.metadata_frames, metadata);
	HCHECK(metadata > 1 + LOGSTORE_TABLE_DIRECT * 2);	/* directories used */
	for (unsigned i = 0; i < COUNT; i += 7)
		bad += !object_reads_back(store, &objects[i]);
	HCHECK_EQ(bad, 0);
	destroy_and_check_leaks(store, &provider);	/* objects still in it */
}

/* Frees release frames whose bytes are all dead at once; compaction moves
 * the rest out of sparse frames to the head, keeps every handle and
 * content, says what it released, and a second run finds nothing. */
HTEST(logstore_compaction_moves_to_the_head)
{
	enum { COUNT = 8000 };
	static struct model_object objects[COUNT];
	struct test_provider provider;
	struct store *store = store_new(&provider, 1 << 16, 0);
	struct store_stats full, before, after;
	uint64_t rng = 123, live_bytes = 0;
	size_t released, released_again;
	unsigned bad = 0;

	for (unsigned i = 0; i < COUNT; i++)
		HCHECK_EQ(object_put(store, &objects[i], 1 + rng_next(&rng) % 3000,
				     i + 77), STORE_OK);
	store_stats(store, &full);
	for (unsigned i = 0; i < COUNT; i++) {
		if (rng_next(&rng) % 3 != 0) {
			HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
			objects[i].live = false;
		} else {
			live_bytes += objects[i].length;
		}
	}
	store_stats(store, &before);
	HCHECK(before.frames_used < full.frames_used);	/* dead frames went */
	released = store_compact(store);
	store_stats(store, &after);
	htest_log("data frames %llu, after frees %llu, compacted %llu (%llu moved)",
		  (unsigned long long)full.frames_used,
		  (unsigned long long)before.frames_used,
		  (unsigned long long)after.frames_used,
		  (unsigned long long)after.objects_moved);
	HCHECK_EQ(before.frames_used - after.frames_used, released);
	HCHECK_EQ(after.frames_compacted, released);
	HCHECK(after.objects_moved > 0);
	/* every frame left is at least 7/8 live, but the head and the frames
	 * the moves filled last */
	HCHECK(after.frames_used <= live_bytes * 8 / 7 / 4096 + 3);
	for (unsigned i = 0; i < COUNT; i++)
		if (objects[i].live) {
			bad += !object_reads_back(store, &objects[i]);
			bad += !object_maps_back(store, &objects[i]);
		}
	HCHECK_EQ(bad, 0);
	HCHECK(logstore_invariants_hold(store));
	check_stats_match(store, objects, COUNT);
	/* a second run finds little: frames that kept 7/8 live but lost an
	 * object spanning into a victim */
	released_again = store_compact(store);
	htest_log("a second run released %zu frames", released_again);
	HCHECK(released_again <= released / 10);
	for (unsigned i = 0; i < COUNT; i++)
		if (objects[i].live)
			HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
	store_stats(store, &after);
	HCHECK_EQ(after.frames_used, 0);
	destroy_and_check_leaks(store, &provider);
}

/* A full store compacts as far as its headroom lets and loses nothing. */
HTEST(logstore_compaction_at_the_limit_loses_nothing)
{
	enum { COUNT = 400 };
	static struct model_object objects[COUNT];
	struct test_provider provider;
	struct store *store = store_new(&provider, 40, 0);
	struct store_stats stats;
	unsigned stored = 0, bad = 0;

	for (unsigned i = 0; i < COUNT; i++)
		stored += object_put(store, &objects[i], 1000 + i % 500, i) == STORE_OK;
	for (unsigned i = 0; i < COUNT; i += 2)
		if (objects[i].live) {
			HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
			objects[i].live = false;
		}
	store_compact(store);
	store_stats(store, &stats);
	htest_log("%u stored at a limit of 40 frames, %llu data frames after "
		  "compaction", stored, (unsigned long long)stats.frames_used);
	HCHECK(stats.frames_used + stats.metadata_frames <= 40);
	for (unsigned i = 0; i < COUNT; i++)
		if (objects[i].live)
			bad += !object_reads_back(store, &objects[i]);
	HCHECK_EQ(bad, 0);
	check_stats_match(store, objects, COUNT);
	destroy_and_check_leaks(store, &provider);
}

/* free_wipe overwrites the object's bytes before they are dropped. */
HTEST(logstore_free_wipe_zeroes_the_bytes)
{
	struct model_object a = { 0 }, b = { 0 };
	struct test_provider provider;
	struct store *store = store_new(&provider, 64, 0);
	struct store_view view;
	const uint8_t *where;
	size_t length = 0;
	bool zero = true;

	HCHECK_EQ(object_put(store, &a, 1000, 1), STORE_OK);
	HCHECK_EQ(object_put(store, &b, 1000, 2), STORE_OK);	/* keeps the frame */
	HCHECK_EQ(store_map(store, a.handle, NULL, &view), STORE_OK);
	where = view.data;
	store_unmap(store, &view);
	HCHECK_EQ(store_free_wipe(store, a.handle, &length), STORE_OK);
	HCHECK_EQ(length, 1000);
	for (unsigned i = 0; i < 1000; i++)
		zero &= where[i] == 0;
	HCHECK(zero);
	HCHECK(object_reads_back(store, &b));
	destroy_and_check_leaks(store, &provider);
}

/* Compaction zeroes the bytes it moves an object from, so a copy that
 * free_wipe must not leave in RAM leaves nothing where it was either. A
 * pinned object keeps the victim frame in the store, so its old bytes can
 * be looked at. */
HTEST(logstore_compaction_zeroes_what_it_moves_from)
{
	struct model_object a = { 0 }, f1 = { 0 }, f2 = { 0 }, g = { 0 }, f3 = { 0 };
	struct model_object tail[6] = { 0 };
	struct test_provider provider;
	struct store *store = store_new(&provider, 64, 0);
	struct store_view pin, view;
	const uint8_t *old_a, *old_f3;
	bool zero = true;

	/* frame 0: a [0,1000) f1 [1000,2000) f2 [2000,3000) g [3000,3500)
	 * f3 [3500,4500) into frame 1, then frames of fillers */
	HCHECK_EQ(object_put(store, &a, 1000, 1), STORE_OK);
	HCHECK_EQ(object_put(store, &f1, 1000, 2), STORE_OK);
	HCHECK_EQ(object_put(store, &f2, 1000, 3), STORE_OK);
	HCHECK_EQ(object_put(store, &g, 500, 4), STORE_OK);
	HCHECK_EQ(object_put(store, &f3, 1000, 5), STORE_OK);
	for (unsigned i = 0; i < 6; i++)
		HCHECK_EQ(object_put(store, &tail[i], 1000, 6 + i), STORE_OK);
	HCHECK_EQ(store_map(store, a.handle, NULL, &view), STORE_OK);
	old_a = view.data;
	store_unmap(store, &view);
	old_f3 = old_a + 3500;
	HCHECK_EQ(store_map(store, g.handle, NULL, &pin), STORE_OK);
	HCHECK_EQ(store_free(store, f1.handle), STORE_OK);
	HCHECK_EQ(store_free(store, f2.handle), STORE_OK);
	store_compact(store);
	HCHECK_EQ(store_map(store, a.handle, NULL, &view), STORE_OK);
	HCHECK(view.data != old_a);	/* a moved; g, pinned, kept frame 0 */
	store_unmap(store, &view);
	for (unsigned i = 0; i < 1000; i++)
		zero &= old_a[i] == 0;
	for (unsigned i = 0; i < 596; i++)
		zero &= old_f3[i] == 0;
	HCHECK(zero);
	store_unmap(store, &pin);
	HCHECK(object_reads_back(store, &a));
	HCHECK(object_reads_back(store, &g));
	HCHECK(object_reads_back(store, &f3));
	for (unsigned i = 0; i < 6; i++)
		HCHECK(object_reads_back(store, &tail[i]));
	destroy_and_check_leaks(store, &provider);
}

static unsigned notifications;

static void count_notification(void *context)
{
	HCHECK(context == &notifications);
	__atomic_add_fetch(&notifications, 1, __ATOMIC_RELAXED);
}

/* The waste threshold asks once (and notifies), a run answers, above 100
 * nothing asks, 0 is refused. */
HTEST(logstore_waste_threshold_asks_for_compaction)
{
	enum { COUNT = 2000 };
	static struct model_object objects[COUNT];
	struct test_provider provider;
	struct store *store = store_new(&provider, 1 << 14, 0);
	struct store_stats stats;
	unsigned asked_at = COUNT;

	notifications = 0;
	store_set_compact_notify(store, count_notification, &notifications);
	HCHECK_EQ(store_set_compact_threshold(store, 0), STORE_BAD_LENGTH);
	HCHECK_EQ(store_set_compact_threshold(store, 20), STORE_OK);
	for (unsigned i = 0; i < COUNT; i++)
		HCHECK_EQ(object_put(store, &objects[i], 1500, i), STORE_OK);
	HCHECK(!store_compact_wanted(store));
	/* three in four freed, in order: frames keep a live object each */
	for (unsigned i = 0; i < COUNT; i++) {
		if (i % 4 == 0)
			continue;
		HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
		objects[i].live = false;
		if (store_compact_wanted(store) && asked_at == COUNT)
			asked_at = i;
	}
	store_stats(store, &stats);
	htest_log("asked at free %u; waste %llu bytes of %llu frames", asked_at,
		  (unsigned long long)stats.wasted_bytes,
		  (unsigned long long)stats.frames_used);
	HCHECK(asked_at < COUNT);
	HCHECK_EQ(stats.compaction_requests, 1);
	HCHECK_EQ(notifications, 1);
	HCHECK(store_compact(store) > 0);
	store_stats(store, &stats);
	HCHECK(!store_compact_wanted(store));
	HCHECK_EQ(stats.compactions_auto, 1);
	HCHECK(stats.wasted_bytes < 2 * 4096);
	/* off: frees of everything ask nothing */
	HCHECK_EQ(store_set_compact_threshold(store, 101), STORE_OK);
	for (unsigned i = 0; i < COUNT; i += 4)
		if (i % 8 == 0) {
			HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
			objects[i].live = false;
		}
	HCHECK(!store_compact_wanted(store));
	HCHECK_EQ(notifications, 1);
	for (unsigned i = 0; i < COUNT; i++)
		if (objects[i].live)
			HCHECK(object_reads_back(store, &objects[i]));
	store_set_compact_notify(store, NULL, NULL);
	destroy_and_check_leaks(store, &provider);
}

/* Random puts, reads, maps, frees and wipes with compaction runs between,
 * against a model: every object reads back and the invariants hold after
 * each run. */
HTEST(logstore_random_operations_with_compaction_keep_the_invariants)
{
	enum { SLOTS = 2000, OPERATIONS = 40000 };
	static struct model_object objects[SLOTS];
	struct test_provider provider;
	struct store *store = store_new(&provider, 1 << 14, 0);
	uint64_t rng = 0xfeed, seed = 1;
	unsigned bad = 0, broken = 0;
	size_t length;

	memset(objects, 0, sizeof(objects));
	for (unsigned op = 0; op < OPERATIONS; op++) {
		struct model_object *o = &objects[rng_next(&rng) % SLOTS];

		if (!o->live) {
			bad += object_put(store, o, random_length(&rng), seed++) != STORE_OK;
		} else if (rng_next(&rng) % 3 == 0) {
			bad += !object_reads_back(store, o);
			bad += !object_maps_back(store, o);
		} else {
			bad += !object_reads_back(store, o);
			bad += (rng_next(&rng) % 4 ? store_free(store, o->handle) :
				store_free_wipe(store, o->handle, &length)) != STORE_OK;
			o->live = false;
		}
		if (op % 2000 == 1999) {
			store_compact(store);
			broken += !logstore_invariants_hold(store);
			for (unsigned i = 0; i < SLOTS; i++)
				if (objects[i].live)
					bad += !object_reads_back(store, &objects[i]);
		}
	}
	HCHECK_EQ(bad, 0);
	HCHECK_EQ(broken, 0);
	HCHECK(logstore_invariants_hold(store));
	check_stats_match(store, objects, SLOTS);
	HCHECK_EQ(provider.live, (long)logstore_of(store)->frames_held);
	destroy_and_check_leaks(store, &provider);
}

/* ---- several CPUs, compaction on request --------------------------------- */

struct requested_compactor {
	struct store *store;
	volatile bool stop;
	unsigned runs;
};

/* Compacts whenever the store asks, as mm/store_compactd.c does. */
static void *requested_compactor_run(void *argument)
{
	struct requested_compactor *c = argument;

	host_cpu_index = 6;
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		if (store_compact_wanted(c->store)) {
			store_compact(c->store);
			c->runs++;
		}
		sched_yield();
	}
	return NULL;
}

HTEST(logstore_several_cpus_with_requested_compaction)
{
	enum { WORKERS = 3 };
	static struct worker workers[WORKERS];
	struct requested_compactor compactor = { 0 };
	struct test_provider provider;
	struct store *store = store_new(&provider, 1 << 16, 0);
	pthread_t threads[WORKERS], thread;
	struct store_stats stats;
	uint64_t live = 0;

	store_set_compact_threshold(store, 10);
	compactor.store = store;
	pthread_create(&thread, NULL, requested_compactor_run, &compactor);
	for (unsigned i = 0; i < WORKERS; i++) {
		memset(&workers[i], 0, sizeof(workers[i]));
		workers[i].store = store;
		workers[i].cpu = i;
		pthread_create(&threads[i], NULL, worker_run, &workers[i]);
	}
	for (unsigned i = 0; i < WORKERS; i++)
		pthread_join(threads[i], NULL);
	__atomic_store_n(&compactor.stop, true, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	for (unsigned i = 0; i < WORKERS; i++) {
		HCHECK_EQ(workers[i].errors, 0);
		for (unsigned j = 0; j < 400; j++)
			if (workers[i].objects[j].live) {
				live++;
				HCHECK(object_reads_back(store, &workers[i].objects[j]));
			}
	}
	store_stats(store, &stats);
	htest_log("%u requested runs, %llu requests, %llu objects moved, %llu "
		  "frames released", compactor.runs,
		  (unsigned long long)stats.compaction_requests,
		  (unsigned long long)stats.objects_moved,
		  (unsigned long long)stats.frames_compacted);
	HCHECK(compactor.runs > 0);
	HCHECK(logstore_invariants_hold(store));
	HCHECK_EQ(stats.pages_stored, live);
	HCHECK_EQ(stats.bad_handles, 0);
	destroy_and_check_leaks(store, &provider);
}

/* ---- the corpus: round trips and efficiency ------------------------------ */

/*
 * The pages of a corpus file compressed with liblz4 (raw when they do not
 * shrink), stored `population` times over in a new store: the store ratio
 * (pages over data and metadata frames) over the codec's ratio must be
 * 0.90 at least. With round_trip, half are freed at random, the store is
 * compacted and every page left decompresses to its original.
 */
static void logstore_corpus_run(const char *file, unsigned population,
				 bool round_trip)
{
	enum { PAGES_MAX = 2048 };
	static uint8_t pages[PAGES_MAX][4096];
	static char blobs[PAGES_MAX][LZ4_COMPRESSBOUND(4096)];
	static size_t lengths[PAGES_MAX];
	struct test_provider provider;
	struct store_stats stats;
	store_handle_t *handles = calloc(population, sizeof(*handles));
	bool *live = calloc(population, sizeof(*live));
	struct store *store;
	uint8_t buffer[4096], page[4096];
	unsigned count, bad = 0;
	uint64_t rng = 99;
	double codec, ratio;
	FILE *f = fopen(file, "rb");

	if (!f || !handles || !live) {
		HCHECK(f != NULL);
		goto out;
	}
	count = (unsigned)fread(pages, 4096, PAGES_MAX, f);
	fclose(f);
	HCHECK(count > 0);
	if (!count)
		goto out;
	for (unsigned i = 0; i < count; i++) {
		int length = LZ4_compress_default((const char *)pages[i], blobs[i],
						  4096, sizeof(blobs[i]));

		if (length <= 0 || length >= 4096) {
			memcpy(blobs[i], pages[i], 4096);
			length = 4096;
		}
		lengths[i] = (size_t)length;
	}
	store = store_new(&provider, 1 << 20, population);
	for (unsigned i = 0; i < population; i++) {
		live[i] = store_put(store, blobs[i % count], lengths[i % count],
				    &handles[i]) == STORE_OK;
		bad += !live[i];
	}
	store_stats(store, &stats);
	codec = stats.pages_stored * 4096.0 / stats.bytes_stored;
	ratio = (double)stats.pages_stored / (stats.frames_used + stats.metadata_frames);
	htest_log("%s pages=%u data_frames=%llu metadata_frames=%llu "
		  "codec_ratio=%.3f store_ratio=%.3f efficiency=%.3f", file,
		  population, (unsigned long long)stats.frames_used,
		  (unsigned long long)stats.metadata_frames, codec, ratio,
		  ratio / codec);
	HCHECK(ratio / codec >= 0.90);
	if (round_trip) {
		for (unsigned i = 0; i < population; i++)
			if (rng_next(&rng) % 2) {
				bad += store_free(store, handles[i]) != STORE_OK;
				live[i] = false;
			}
		store_compact(store);
		for (unsigned i = 0; i < population; i++) {
			size_t length;

			if (!live[i])
				continue;
			if (store_read(store, handles[i], buffer, sizeof(buffer),
				       &length) != STORE_OK) {
				bad++;
				continue;
			}
			if (length == 4096)
				memcpy(page, buffer, 4096);
			else if (LZ4_decompress_safe((const char *)buffer, (char *)page,
						     (int)length, 4096) != 4096)
				bad++;
			bad += memcmp(page, pages[i % count], 4096) != 0;
		}
	}
	HCHECK_EQ(bad, 0);
	destroy_and_check_leaks(store, &provider);
out:
	free(handles);
	free(live);
}

static bool logstore_file_exists(const char *path)
{
	FILE *f = fopen(path, "rb");

	if (f)
		fclose(f);
	return f != NULL;
}

/* The folder of the larger corpora: $VEIL_CORPUS (make test VEIL_CORPUS=
 * ../shared/corpus), else none: a test run reads nothing beside the tree
 * unless asked. */
static bool logstore_corpus_path(char *path, size_t size, const char *name)
{
	const char *directory = getenv("VEIL_CORPUS");

	if (!directory || !*directory)
		return false;
	snprintf(path, size, "%s/%s", directory, name);
	return logstore_file_exists(path);
}

/* Efficiency at 64, 1000 and 10^5 pages on every corpus there is (the
 * in-tree one always expected), round trips at 1000. */
HTEST(logstore_corpus_efficiency)
{
	static const char *files[] = { "python.pages", "node.pages", "sqlite.pages" };
	static const unsigned populations[] = { 64, 1000, 100000 };
	static const char tree_file[] = "build/corpus/python.pages";
	char path[512];
	unsigned runs = 0;

	for (unsigned i = 0; i <= 3; i++) {
		if (i < 3 && !logstore_corpus_path(path, sizeof(path), files[i]))
			continue;
		if (i == 3) {
			if (!logstore_file_exists(tree_file)) {
				htest_log("%s missing (make corpus)", tree_file);
				continue;
			}
			snprintf(path, sizeof(path), "%s", tree_file);
		}
		for (unsigned p = 0; p < 3; p++)
			logstore_corpus_run(path, populations[p], populations[p] == 1000);
		runs++;
	}
	HCHECK(runs > 0);
}
