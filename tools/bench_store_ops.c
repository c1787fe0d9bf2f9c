/*
 * bench-store-ops: the page store's hot paths as the fault path uses them
 * (put of a ~1.3 KiB object and of a 4096-byte page, read, map+unmap, size,
 * free, free_length, adopt and release of a whole page), each in its own non-inlined wrapper so that an instruction counter
 * can attribute the cost of one call. Run under
 *   valgrind --tool=callgrind build/host/bench-store-ops
 * and divide each wrapper's inclusive count by OPS_ROUNDS (tools/
 * bench-store-ops.sh does it). Run alone it prints the wall time per op,
 * which is noisy on a shared machine; the instruction counts are not.
 *
 * The store is warmed first (a zspage of each class exists), so the figures
 * are those of a steady state, not of the first put that takes a frame.
 * With the argument "log" the store is a logstore (mm/logstore.c), which
 * has no adopt or release of whole pages: those two are not measured, and
 * its puts take a new head frame now and then (the log moves on).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mm/logstore.h"
#include "mm/store.h"
#include "mm/zstore.h"

#define OPS_ROUNDS	10000u
#define OPS_SMALL	1331u	/* a page that compresses about 3:1 */
#define OPS_PAGE	4096u

static void *bench_frame_alloc(void *context)
{
	(void)context;
	return aligned_alloc(4096, 4096);
}

static void bench_frame_free(void *context, void *page)
{
	(void)context;
	free(page);
}

/* Kept apart: not inlined, cloned or merged with a twin, so that each
 * wrapper is one function in the profile. */
#if defined(__clang__)
#define OPS_APART __attribute__((noinline))
#else
#define OPS_APART __attribute__((noipa))
#endif

/* One wrapper per measured op and object size: callgrind reports each
 * one's inclusive instructions; noinline keeps them apart. Every wrapper
 * is called exactly OPS_ROUNDS times. */
#define OPS_WRAPPERS(kind, bytes)						\
static OPS_APART store_handle_t				\
ops_put_##kind(struct store *store, const void *data)			\
{									\
	store_handle_t handle;						\
									\
	if (store_put(store, data, bytes, &handle) != STORE_OK)		\
		abort();						\
	return handle;							\
}									\
									\
static OPS_APART size_t					\
ops_read_##kind(struct store *store, store_handle_t handle, void *buffer) \
{									\
	size_t length;							\
									\
	if (store_read(store, handle, buffer, STORE_OBJECT_MAX,		\
		       &length) != STORE_OK)				\
		abort();						\
	return length;							\
}									\
									\
static OPS_APART size_t					\
ops_map_unmap_##kind(struct store *store, store_handle_t handle,	\
		     void *bounce)					\
{									\
	struct store_view view;						\
	size_t length;							\
									\
	if (store_map(store, handle, bounce, &view) != STORE_OK)	\
		abort();						\
	length = view.length + ((const uint8_t *)view.data)[0];		\
	store_unmap(store, &view);					\
	return length;							\
}									\
									\
static OPS_APART size_t					\
ops_size_##kind(struct store *store, store_handle_t handle)		\
{									\
	size_t length;							\
									\
	if (store_size(store, handle, &length) != STORE_OK)		\
		abort();						\
	return length;							\
}									\
									\
static OPS_APART void					\
ops_free_##kind(struct store *store, store_handle_t handle)		\
{									\
	if (store_free(store, handle) != STORE_OK)			\
		abort();						\
}									\
									\
/* What the fault path needs to drop a sealed copy: its length and the	\
 * free, in one call. */						\
static OPS_APART size_t					\
ops_free_length_##kind(struct store *store, store_handle_t handle)	\
{									\
	size_t length = 0;						\
									\
	if (store_free_length(store, handle, &length) != STORE_OK)	\
		abort();						\
	return length;							\
}

/* A whole page kept without a copy, and given back. */
static OPS_APART store_handle_t ops_adopt_page(struct store *store, void *page)
{
	store_handle_t handle;

	if (store_adopt_page(store, page, &handle) != STORE_OK)
		abort();
	return handle;
}

static OPS_APART void *ops_release_page(struct store *store,
					store_handle_t handle)
{
	void *page;

	if (store_release_page(store, handle, &page) != STORE_OK)
		abort();
	return page;
}

OPS_WRAPPERS(small, OPS_SMALL)
OPS_WRAPPERS(page, OPS_PAGE)

static double ops_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void ops_report(const char *name, double seconds)
{
	printf("%-14s %8.1f ns/op (wall time, noisy)\n", name,
	       seconds * 1e9 / OPS_ROUNDS);
}

int main(int argc, char **argv)
{
	static uint8_t small[OPS_SMALL], page[OPS_PAGE], buffer[STORE_OBJECT_MAX];
	struct zstore_config config = {
		.name = "bench-ops",
		.provider = { bench_frame_alloc, bench_frame_free, NULL },
		.frame_limit = 1u << 16,
	};
	struct logstore_config log_config = {
		.name = config.name,
		.provider = config.provider,
		.frame_limit = config.frame_limit,
	};
	bool log = argc > 1 && strcmp(argv[1], "log") == 0;
	struct store *store = log ? logstore_create(&log_config) :
				    zstore_create(&config);
	store_handle_t keep[2];
	void *frame = bench_frame_alloc(NULL);
	size_t sink = 0;
	double t;

	if (!store)
		return 1;
	for (unsigned i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i * 7 + 3);
	memcpy(small, page, sizeof(small));
	/* one object of each kind stays, so no zspage is created or released
	 * inside the loop: the steady state of a busy store */
	if (store_put(store, small, OPS_SMALL, &keep[0]) != STORE_OK ||
	    store_put(store, page, OPS_PAGE, &keep[1]) != STORE_OK)
		return 1;

	t = ops_now();
	for (unsigned i = 0; i < OPS_ROUNDS; i++) {
		store_handle_t a = ops_put_small(store, small);
		store_handle_t b = ops_put_page(store, page);

		sink += ops_read_small(store, a, buffer);
		sink += ops_read_page(store, b, buffer);
		sink += ops_map_unmap_small(store, a, buffer);
		sink += ops_map_unmap_page(store, b, buffer);
		sink += ops_size_small(store, a) + ops_size_page(store, b);
		ops_free_small(store, a);
		ops_free_page(store, b);
		/* not through the wrappers: each is counted OPS_ROUNDS times */
		if (store_put(store, small, OPS_SMALL, &a) != STORE_OK ||
		    store_put(store, page, OPS_PAGE, &b) != STORE_OK)
			abort();
		sink += ops_free_length_small(store, a);
		sink += ops_free_length_page(store, b);
		if (!log) {
			b = ops_adopt_page(store, frame);
			frame = ops_release_page(store, b);
		}
	}
	ops_report("mixed round", ops_now() - t);
	store_free(store, keep[0]);
	store_free(store, keep[1]);
	store_destroy(store);
	bench_frame_free(NULL, frame);
	printf("rounds=%u small=%u page=%u checksum=%zu store=%s\n", OPS_ROUNDS,
	       OPS_SMALL, OPS_PAGE, sink, log ? "logstore" : "zstore");
	return 0;
}
