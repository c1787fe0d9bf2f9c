/*
 * Host tests of the page store's density (mm/zstore_mixed.c) and of its
 * automatic compaction (zstore_compact_check, store_compact_wanted): sparse
 * size classes share mixed zspages, mixed zspages compact and keep every
 * object, a dense class packs its own zspages, the waste threshold asks
 * for compaction once and can be moved or turned off, a background
 * compactor answering requests under concurrent puts and frees keeps every
 * object intact, and the store's efficiency (store ratio over the codec's
 * ratio) on the in-tree corpus at 64, 1000 and 10^5 pages.
 *
 * Part of build/host/test-store (mk/store.mk). Frames come from a pool:
 * one lazily backed reservation with a free list and a live count.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <lz4.h>
#include "mm/store.h"
#include "mm/zstore.h"
#include "mm/zstore_internal.h"
#include "tests/host/htest.h"

extern __thread unsigned host_cpu_index;

/* ---- a pool of frames -------------------------------------------------- */

#define POOL_FRAMES (1u << 18)

struct pool {
	pthread_mutex_t lock;	/* protects everything below */
	char *base;
	unsigned used;		/* frames ever handed out from base */
	void *free_list;
	long live;
};

static void *pool_alloc(void *context)
{
	struct pool *pool = context;
	void *page = NULL;

	pthread_mutex_lock(&pool->lock);
	if (pool->free_list) {
		page = pool->free_list;
		pool->free_list = *(void **)page;
	} else if (pool->used < POOL_FRAMES) {
		page = pool->base + (size_t)pool->used++ * 4096;
	}
	if (page) {
		memset(page, 0x5a, 4096);	/* stale bytes, as a reused frame */
		pool->live++;
	}
	pthread_mutex_unlock(&pool->lock);
	return page;
}

static void pool_free(void *context, void *page)
{
	struct pool *pool = context;

	pthread_mutex_lock(&pool->lock);
	*(void **)page = pool->free_list;
	pool->free_list = page;
	pool->live--;
	pthread_mutex_unlock(&pool->lock);
}

static struct store *pool_store(struct pool *pool, unsigned threshold)
{
	struct zstore_config config = {
		.name = "density",
		.provider = { pool_alloc, pool_free, pool },
		.frame_limit = POOL_FRAMES,
		.compact_threshold = threshold,
	};

	pthread_mutex_init(&pool->lock, NULL);
	pool->base = mmap(NULL, (size_t)POOL_FRAMES * 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	HCHECK(pool->base != MAP_FAILED);
	pool->used = 0;
	pool->free_list = NULL;
	pool->live = 0;
	return zstore_create(&config);
}

static void pool_store_destroy(struct store *store, struct pool *pool)
{
	store_destroy(store);
	HCHECK_EQ(pool->live, 0);
	munmap(pool->base, (size_t)POOL_FRAMES * 4096);
}

/* ---- objects with content from a seed ---------------------------------- */

struct density_object {
	store_handle_t handle;
	uint64_t seed;
	uint16_t length;
	bool live;
};

static uint64_t density_rng(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static void density_fill(uint8_t *buffer, size_t length, uint64_t seed)
{
	uint64_t state = seed * 0x9e3779b97f4a7c15ull + 3;

	for (size_t i = 0; i < length; i++)
		buffer[i] = (uint8_t)(i % 8 == 0 ? density_rng(&state) :
				      state >> (i % 8 * 8));
}

static int density_put(struct store *store, struct density_object *o,
		       size_t length, uint64_t seed)
{
	uint8_t buffer[STORE_OBJECT_MAX];
	int result;

	density_fill(buffer, length, seed);
	result = store_put(store, buffer, length, &o->handle);
	if (result == STORE_OK) {
		o->seed = seed;
		o->length = (uint16_t)length;
		o->live = true;
	}
	return result;
}

/* Reads the object and maps it; both must give its bytes. */
static bool density_intact(struct store *store, const struct density_object *o)
{
	uint8_t buffer[STORE_OBJECT_MAX], expect[STORE_OBJECT_MAX];
	static __thread uint8_t bounce[STORE_OBJECT_MAX];
	struct store_view view;
	size_t length = 0;
	bool ok;

	density_fill(expect, o->length, o->seed);
	if (store_read(store, o->handle, buffer, sizeof(buffer), &length) != STORE_OK ||
	    length != o->length || memcmp(buffer, expect, length) != 0)
		return false;
	if (store_map(store, o->handle, bounce, &view) != STORE_OK)
		return false;
	ok = view.length == o->length && memcmp(view.data, expect, view.length) == 0;
	store_unmap(store, &view);
	return ok;
}

static uint64_t mixed_granules(struct store *store)
{
	return zstore_of(store)->classes[ZSTORE_CLASS_MIXED]->objects;
}

/* ---- cases ------------------------------------------------------------- */

/* 64 objects of 64 different size classes: without mixed zspages each
 * class would hold a zspage of its own (64 zspages of 1..4 frames). */
HTEST(sparse_classes_share_mixed_zspages)
{
	enum { COUNT = 64 };
	static struct density_object objects[COUNT];
	struct pool pool;
	struct store *store = pool_store(&pool, 0);
	struct store_stats stats;
	uint64_t bytes = 0;
	unsigned bad = 0;

	for (unsigned i = 0; i < COUNT; i++) {
		size_t length = 40 + i * 41;	/* 40..2623: a class each */

		HCHECK_EQ(density_put(store, &objects[i], length, i + 1), STORE_OK);
		bytes += length;
	}
	store_stats(store, &stats);
	htest_log("%u objects, %llu bytes in %llu data frames", COUNT,
		  (unsigned long long)bytes, (unsigned long long)stats.frames_used);
	HCHECK(mixed_granules(store) > 0);
	/* packed end to end: the headers and 16-byte rounding, the open
	 * frame, and the room closed zspages left (objects grow here, so none
	 * fits there); a zspage per class would take 64 frames and more */
	HCHECK(stats.frames_used <= (bytes + COUNT * 20) / 4096 + 3);
	for (unsigned i = 0; i < COUNT; i++)
		bad += !density_intact(store, &objects[i]);
	HCHECK_EQ(bad, 0);
	for (unsigned i = 0; i < COUNT; i++)
		HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
	store_stats(store, &stats);
	HCHECK_EQ(stats.frames_used, 0);
	HCHECK_EQ(mixed_granules(store), 0);
	pool_store_destroy(store, &pool);
}

/* The header frame's tail holds the first zspage descriptors: a store of
 * a few mixed zspages takes a slot frame and no descriptor frame; past
 * the header's chunks a descriptor frame comes, and all go back at
 * destroy. */
HTEST(a_small_store_keeps_its_zspage_descriptors_in_the_header)
{
	enum { SMALL = 64, LARGE = 600, LARGE_LENGTH = 3000 };
	static struct density_object objects[SMALL + LARGE];
	struct pool pool;
	struct store *store = pool_store(&pool, 0);
	struct zstore *z = zstore_of(store);
	struct store_stats before, stats;
	unsigned header_chunks = ZSTORE_CHUNKS_PER_FRAME - ZSTORE_HEADER_CHUNK_FIRST;
	unsigned bad = 0;

	store_stats(store, &before);
	for (unsigned i = 0; i < SMALL; i++)
		HCHECK_EQ(density_put(store, &objects[i], 40 + i * 41, i + 1), STORE_OK);
	store_stats(store, &stats);
	htest_log("%u header chunks; %llu mixed zspages, %llu metadata frames",
		  header_chunks, (unsigned long long)z->classes[ZSTORE_CLASS_MIXED]->zspages,
		  (unsigned long long)stats.metadata_frames);
	HCHECK(z->classes[ZSTORE_CLASS_MIXED]->zspages >= 2);
	HCHECK(z->classes[ZSTORE_CLASS_MIXED]->zspages <= header_chunks);
	HCHECK_EQ(stats.metadata_frames - before.metadata_frames, 1);	/* slots */
	for (unsigned i = SMALL; i < SMALL + LARGE; i++)
		HCHECK_EQ(density_put(store, &objects[i], LARGE_LENGTH, i + 1), STORE_OK);
	store_stats(store, &stats);
	HCHECK(z->classes[zstore_class_index_for(LARGE_LENGTH)]->zspages > header_chunks);
	/* three slot frames, and descriptor frames for what the header lacks */
	HCHECK(stats.metadata_frames - before.metadata_frames >= 4);
	for (unsigned i = 0; i < SMALL + LARGE; i++)
		bad += !density_intact(store, &objects[i]);
	HCHECK_EQ(bad, 0);
	pool_store_destroy(store, &pool);	/* every frame back */
}

/* A class with many live objects packs zspages of its own; its first
 * objects stay where they were put (in mixed zspages) and read back. */
HTEST(a_dense_class_packs_its_own_zspages)
{
	enum { COUNT = 1000 };
	static struct density_object objects[COUNT];
	struct pool pool;
	struct store *store = pool_store(&pool, 0);
	struct zstore *z = zstore_of(store);
	struct zstore_class *class = z->classes[zstore_class_index_for(500)];
	unsigned bad = 0;

	for (unsigned i = 0; i < COUNT; i++)
		HCHECK_EQ(density_put(store, &objects[i], 500, i + 9), STORE_OK);
	HCHECK(mixed_granules(store) > 0);
	HCHECK(class->objects > 0);
	HCHECK_EQ(class->objects + mixed_granules(store) /
		  zstore_mixed_granules(500), COUNT);
	HCHECK_EQ(class->demand, COUNT);
	HCHECK(class->objects >= COUNT - ZSTORE_MIXED_ZSPAGES * class->objects_per_zspage);
	for (unsigned i = 0; i < COUNT; i++)
		bad += !density_intact(store, &objects[i]);
	HCHECK_EQ(bad, 0);
	pool_store_destroy(store, &pool);
}

/* Mixed zspages left sparse by frees give their frames back to compaction;
 * every object keeps its handle and bytes. */
HTEST(mixed_zspages_compact)
{
	enum { COUNT = 400 };
	static struct density_object objects[COUNT];
	struct pool pool;
	struct store *store = pool_store(&pool, 101);
	struct store_stats before, after;
	uint64_t rng = 5;
	size_t released;
	unsigned bad = 0;

	for (unsigned i = 0; i < COUNT; i++)
		HCHECK_EQ(density_put(store, &objects[i], 1 + density_rng(&rng) % 3000,
				      i + 100), STORE_OK);
	HCHECK(mixed_granules(store) > 0);
	for (unsigned i = 0; i < COUNT; i++)
		if (i % 4 != 0) {
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
	HCHECK(after.objects_moved > 0);
	/* a quarter of the bytes stays: well under half the frames */
	HCHECK(after.frames_used * 2 < before.frames_used);
	HCHECK(after.wasted_bytes < before.wasted_bytes);
	for (unsigned i = 0; i < COUNT; i++)
		if (objects[i].live)
			bad += !density_intact(store, &objects[i]);
	HCHECK_EQ(bad, 0);
	HCHECK(store_compact(store) <= released / 10);
	pool_store_destroy(store, &pool);
}

/* Frees that leave more than the threshold wasted ask for compaction once;
 * a run answers it; the threshold can be raised past 100 (off). */
HTEST(waste_past_the_threshold_asks_for_compaction)
{
	enum { COUNT = 3000 };
	static struct density_object objects[COUNT];
	struct pool pool;
	struct store *store = pool_store(&pool, 0);
	struct store_stats stats;
	uint64_t rng = 11;
	unsigned bad = 0;

	store_stats(store, &stats);
	HCHECK_EQ(stats.compact_threshold, ZSTORE_COMPACT_THRESHOLD);
	HCHECK_EQ(store_set_compact_threshold(store, 0), STORE_BAD_LENGTH);
	for (unsigned i = 0; i < COUNT; i++)
		HCHECK_EQ(density_put(store, &objects[i], 1 + density_rng(&rng) % 3000,
				      i + 7), STORE_OK);
	HCHECK(!store_compact_wanted(store));
	/* one in two freed: half the bytes gone, compaction wanted */
	for (unsigned i = 0; i < COUNT; i += 2) {
		HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
		objects[i].live = false;
	}
	store_stats(store, &stats);
	HCHECK(store_compact_wanted(store));
	HCHECK_EQ(stats.compaction_requests, 1);
	HCHECK(stats.wasted_bytes * 100 > stats.frames_used * 4096 * ZSTORE_COMPACT_THRESHOLD);
	HCHECK(store_compact(store) > 0);
	store_stats(store, &stats);
	HCHECK(!store_compact_wanted(store));
	HCHECK_EQ(stats.compactions_auto, 1);
	HCHECK(stats.wasted_bytes * 100 <= stats.frames_used * 4096 * ZSTORE_COMPACT_THRESHOLD);
	/* off: frees of most of the rest ask nothing */
	HCHECK_EQ(store_set_compact_threshold(store, 101), STORE_OK);
	for (unsigned i = 1; i < COUNT; i += 2)
		if (i % 8 != 1) {
			HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
			objects[i].live = false;
		}
	store_stats(store, &stats);
	HCHECK(!store_compact_wanted(store));
	HCHECK_EQ(stats.compaction_requests, 1);
	/* on again, low: the next free asks */
	HCHECK_EQ(store_set_compact_threshold(store, 5), STORE_OK);
	HCHECK_EQ(store_free(store, objects[1].handle), STORE_OK);
	objects[1].live = false;
	HCHECK(store_compact_wanted(store));
	store_compact(store);
	store_stats(store, &stats);
	HCHECK_EQ(stats.compactions_auto, 2);
	HCHECK_EQ(stats.compactions, 2);
	for (unsigned i = 0; i < COUNT; i++)
		if (objects[i].live)
			bad += !density_intact(store, &objects[i]);
	HCHECK_EQ(bad, 0);
	pool_store_destroy(store, &pool);
}

/* ---- a background compactor under concurrent puts and frees ------------ */

struct churn_worker {
	struct store *store;
	unsigned cpu;
	unsigned errors;
	struct density_object objects[500];
};

static void *churn_run(void *argument)
{
	struct churn_worker *w = argument;
	uint64_t rng = 1234 + w->cpu;

	host_cpu_index = w->cpu;
	for (unsigned op = 0; op < 30000; op++) {
		struct density_object *o = &w->objects[density_rng(&rng) % 500];
		uint64_t r = density_rng(&rng);

		if (!o->live) {
			size_t length = r % 16 == 0 ? 4096 + r / 16 % 64 :
					1 + r / 16 % 3500;

			w->errors += density_put(w->store, o, length,
						 (uint64_t)w->cpu << 32 | op) != STORE_OK;
		} else {
			/* read it, then free it: what the fault path does */
			w->errors += !density_intact(w->store, o);
			w->errors += store_free(w->store, o->handle) != STORE_OK;
			o->live = false;
		}
	}
	return NULL;
}

static volatile bool daemon_stop;

/* What mm/store_compactd.c does in the kernel, polling faster. */
static void *daemon_run(void *argument)
{
	host_cpu_index = 5;
	while (!__atomic_load_n(&daemon_stop, __ATOMIC_ACQUIRE)) {
		if (store_compact_wanted(argument))
			store_compact(argument);
		else
			usleep(100);
	}
	return NULL;
}

HTEST(background_compaction_under_concurrent_puts_and_frees)
{
	enum { WORKERS = 3 };
	static struct churn_worker workers[WORKERS];
	struct pool pool;
	struct store *store = pool_store(&pool, 10);
	pthread_t threads[WORKERS], daemon;
	struct store_stats stats;
	uint64_t live = 0;
	unsigned bad = 0;

	daemon_stop = false;
	pthread_create(&daemon, NULL, daemon_run, store);
	for (unsigned i = 0; i < WORKERS; i++) {
		memset(&workers[i], 0, sizeof(workers[i]));
		workers[i].store = store;
		workers[i].cpu = i;
		pthread_create(&threads[i], NULL, churn_run, &workers[i]);
	}
	for (unsigned i = 0; i < WORKERS; i++)
		pthread_join(threads[i], NULL);
	__atomic_store_n(&daemon_stop, true, __ATOMIC_RELEASE);
	pthread_join(daemon, NULL);
	for (unsigned i = 0; i < WORKERS; i++) {
		HCHECK_EQ(workers[i].errors, 0);
		for (unsigned j = 0; j < 500; j++)
			if (workers[i].objects[j].live) {
				live++;
				bad += !density_intact(store, &workers[i].objects[j]);
			}
	}
	HCHECK_EQ(bad, 0);
	store_stats(store, &stats);
	htest_log("%llu requests, %llu runs answered, %llu objects moved, "
		  "%llu frames released", (unsigned long long)stats.compaction_requests,
		  (unsigned long long)stats.compactions_auto,
		  (unsigned long long)stats.objects_moved,
		  (unsigned long long)stats.frames_compacted);
	HCHECK(stats.compactions_auto > 0);
	HCHECK(stats.objects_moved > 0);
	HCHECK(stats.compaction_requests >= stats.compactions_auto);
	HCHECK_EQ(stats.pages_stored, live);
	HCHECK_EQ(stats.bad_handles, 0);
	pool_store_destroy(store, &pool);
}

/* ---- efficiency on the corpus ------------------------------------------ */

/*
 * Stores `population` pages of the in-tree corpus, compressed alone with
 * liblz4 (raw when they do not shrink), and gives the store's ratio (data
 * and metadata frames) over the codec's.
 */
static double corpus_efficiency(const char (*blobs)[LZ4_COMPRESSBOUND(4096)],
				const int *lengths, unsigned count,
				unsigned population)
{
	struct pool pool;
	struct store *store = pool_store(&pool, 0);
	store_handle_t handle;
	struct store_stats stats;
	double codec, ratio;
	unsigned refused = 0;

	for (unsigned i = 0; i < population; i++)
		refused += store_put(store, blobs[i % count], (size_t)lengths[i % count],
				     &handle) != STORE_OK;
	HCHECK_EQ(refused, 0);
	store_stats(store, &stats);
	codec = stats.pages_stored * 4096.0 / stats.bytes_stored;
	ratio = (double)stats.pages_stored / (stats.frames_used + stats.metadata_frames);
	htest_log("pages=%u codec_ratio=%.3f store_ratio=%.3f efficiency=%.3f "
		  "(%llu data + %llu metadata frames)", population, codec, ratio,
		  ratio / codec, (unsigned long long)stats.frames_used,
		  (unsigned long long)stats.metadata_frames);
	pool_store_destroy(store, &pool);
	return ratio / codec;
}

HTEST(efficiency_on_the_tree_corpus)
{
	static char pages[1024][4096];
	static char blobs[1024][LZ4_COMPRESSBOUND(4096)];
	static int lengths[1024];
	FILE *f = fopen("build/corpus/python.pages", "rb");
	unsigned count;

	HCHECK(f != NULL);
	if (!f)
		return;
	count = (unsigned)fread(pages, 4096, 1024, f);
	fclose(f);
	HCHECK(count > 0);
	for (unsigned i = 0; i < count; i++) {
		lengths[i] = LZ4_compress_default(pages[i], blobs[i], 4096,
						  sizeof(blobs[i]));
		if (lengths[i] <= 0 || lengths[i] >= 4096) {
			memcpy(blobs[i], pages[i], 4096);
			lengths[i] = 4096;
		}
	}
	/* the goal is 0.90 everywhere; small stores pay the fixed metadata
	 * frames (store header, class descriptors, first slot frames) */
	HCHECK(corpus_efficiency(blobs, lengths, count, 64) >= 0.65);
	HCHECK(corpus_efficiency(blobs, lengths, count, 1000) >= 0.90);
	HCHECK(corpus_efficiency(blobs, lengths, count, 100000) >= 0.90);
}

/* A put of exactly a page takes a frame of its own and no descriptor; it
 * is a copied object to release_page (refused quietly) and to the
 * statistics (not an adopted page); free and free_wipe give the frame back. */
HTEST(raw_pages_need_no_descriptor)
{
	enum { COUNT = 300 };
	static struct density_object objects[COUNT];
	struct pool pool;
	struct store *store = pool_store(&pool, 0);
	struct store_stats before, stats;
	void *page = NULL;
	size_t length = 0;
	unsigned bad = 0;

	store_stats(store, &before);
	for (unsigned i = 0; i < COUNT; i++)
		HCHECK_EQ(density_put(store, &objects[i], 4096, i + 40), STORE_OK);
	store_stats(store, &stats);
	HCHECK_EQ(stats.frames_used, COUNT);
	/* two frames of slots, nothing else */
	HCHECK_EQ(stats.metadata_frames - before.metadata_frames, 2);
	HCHECK_EQ(stats.pages_adopted, 0);
	HCHECK_EQ(stats.bytes_stored, COUNT * 4096ull);
	HCHECK_EQ(store_release_page(store, objects[0].handle, &page), STORE_BAD_HANDLE);
	HCHECK(page == NULL);
	HCHECK_EQ(stats.bad_handles, 0);
	for (unsigned i = 0; i < COUNT; i++)
		bad += !density_intact(store, &objects[i]);
	HCHECK_EQ(bad, 0);
	HCHECK_EQ(store_compact(store), 0);
	HCHECK_EQ(store_free_wipe(store, objects[0].handle, &length), STORE_OK);
	HCHECK_EQ(length, 4096);
	for (unsigned i = 1; i < COUNT / 2; i++)
		HCHECK_EQ(store_free(store, objects[i].handle), STORE_OK);
	store_stats(store, &stats);
	HCHECK_EQ(stats.frames_used, COUNT - COUNT / 2);
	HCHECK_EQ(stats.pages_stored, COUNT - COUNT / 2);
	/* the rest go back at destroy */
	pool_store_destroy(store, &pool);
}
