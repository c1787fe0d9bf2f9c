/*
 * The page store interface: where a transform keeps the sealed bytes of a
 * page that is not present. A store hands out a handle for each object it
 * keeps; the handle is what a sealed page's non-present PTE records (see
 * vmm_set_handle), so every handle is below VMM_HANDLE_LIMIT.
 *
 * Handles name a slot in the store's indirection table, not an address:
 * they stay valid while the store moves objects (compaction). A handle that
 * is out of range, already freed, or carries a wrong generation or check
 * value is reported with STORE_BAD_HANDLE and never followed.
 *
 * The interface is an ops table so that callers (the transforms of the TLB
 * event layer) never name an implementation; mm/zstore.c is the size-class
 * implementation in the manner of zsmalloc. All ops may be called from
 * several CPUs at once; each implementation documents its locks.
 */
#ifndef VEIL_MM_STORE_H
#define VEIL_MM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/failpoint.h"

/* A handle: 0 is never valid, every valid handle is below 2^50. */
typedef uint64_t store_handle_t;

#define STORE_HANDLE_NONE 0ull
#define STORE_HANDLE_BITS 50
/* The largest object: a raw page plus 256 bytes of headers and tags (what
 * a transform chain may add, XF_BUFFER_BYTES in transforms/xf.h). */
#define STORE_OBJECT_MAX (4096u + 256u)

/* Result codes; every failure is negative and leaves the store unchanged. */
enum store_result {
	STORE_OK           = 0,
	STORE_FULL         = -1,	/* limit reached: refused, keep the page clear */
	STORE_NO_MEMORY    = -2,	/* the frame provider had nothing left */
	STORE_BAD_HANDLE   = -3,	/* out of range, freed or forged: not followed */
	STORE_BAD_LENGTH   = -4,	/* put: length 0 or above STORE_OBJECT_MAX */
	STORE_SHORT_BUFFER = -5,	/* read: the buffer is smaller than the object */
	STORE_BUSY         = -6,	/* free: the object is mapped right now */
	STORE_UNSUPPORTED  = -7,	/* an optional op this store does not have */
};

/* Figures of one store, exact at the moment they were taken. */
struct store_stats {
	uint64_t pages_stored;		/* objects held (one per sealed page),
					 * adopted pages included */
	uint64_t bytes_stored;		/* sum of the objects' lengths */
	uint64_t frames_used;		/* frames holding object data (an
					 * adopted page is one) */
	uint64_t metadata_frames;	/* frames holding tables and descriptors */
	uint64_t frame_limit;		/* put refuses beyond this many frames in all */
	uint64_t ratio_milli;		/* pages_stored * 1000 / (data + metadata frames) */
	uint64_t puts;			/* successful puts since creation */
	uint64_t frees;			/* successful frees since creation */
	uint64_t refusals;		/* puts refused: limit reached or no memory */
	uint64_t bad_handles;		/* corrupt handles detected and reported */
	uint64_t compactions;		/* compaction runs */
	uint64_t objects_moved;		/* objects moved by compaction */
	uint64_t frames_compacted;	/* frames released by compaction */
	uint64_t pages_adopted;		/* adopted pages held now (in pages_stored) */
	/* Automatic compaction (compact_wanted, mm/store_compactd.c). */
	uint64_t wasted_bytes;		/* data-frame bytes no object fills */
	uint64_t compact_threshold;	/* percent of data-frame bytes wasted that
					 * asks for compaction; above 100: never */
	uint64_t compaction_requests;	/* times the waste passed the threshold */
	uint64_t compactions_auto;	/* compaction runs that answered a request */
};

/*
 * Read access without a copy: map() fills a view whose data stays valid and
 * unmoved until unmap(). An object that lies in one frame is pointed to in
 * place (and pinned against compaction); one that spans frames is copied to
 * the caller's bounce buffer (STORE_OBJECT_MAX bytes; with a NULL bounce such
 * an object gives STORE_SHORT_BUFFER). Views must be unmapped before the
 * handle is freed (free gives STORE_BUSY meanwhile).
 */
struct store_view {
	const void *data;
	size_t length;
	/* private to the implementation */
	store_handle_t handle;
	void *slot;			/* where unmap finds the pin again */
	bool pinned;
};

struct store;

struct store_ops {
	const char *name;
	/* Copies length bytes (1..STORE_OBJECT_MAX) in; *handle on success. */
	int (*put)(struct store *store, const void *data, size_t length,
		   store_handle_t *handle);
	/* Copies the object out; *length gets its size. */
	int (*read)(struct store *store, store_handle_t handle, void *buffer,
		    size_t buffer_size, size_t *length);
	int (*map)(struct store *store, store_handle_t handle, void *bounce,
		   struct store_view *view);
	void (*unmap)(struct store *store, struct store_view *view);
	/* The object's length in bytes. */
	int (*size)(struct store *store, store_handle_t handle, size_t *length);
	int (*free)(struct store *store, store_handle_t handle);
	/* Optional (NULL: store_free_length falls back to size + free). Frees
	 * like free and sets *length to the freed object's length, with one
	 * handle check instead of two. *length is left alone on failure. */
	int (*free_length)(struct store *store, store_handle_t handle,
			   size_t *length);
	/* Optional (NULL: store_free_wipe answers STORE_UNSUPPORTED and frees
	 * nothing). As free_length, after overwriting the object's bytes with
	 * zeros: for a copy whose bytes must not stay in RAM (clear or
	 * compressed-clear data of a region that became confidential). */
	int (*free_wipe)(struct store *store, store_handle_t handle,
			 size_t *length);
	void (*stats)(struct store *store, struct store_stats *stats);
	/* Moves objects out of sparse frames; returns the frames released. */
	size_t (*compact)(struct store *store);
	/* Releases every frame; outstanding handles become invalid. */
	void (*destroy)(struct store *store);

	/*
	 * Optional pair (NULL: never wanted / STORE_UNSUPPORTED): automatic
	 * compaction. A store notes, at a cheap check when an object is freed,
	 * that its wasted space passed its threshold; compact_wanted says so
	 * (without side effect) until the next compact run. Whoever compacts
	 * in the background (mm/store_compactd.c in the kernel) polls it: the
	 * free path itself never compacts. set_compact_threshold sets the
	 * threshold in percent of data-frame bytes; above 100 turns requests
	 * off, 0 is refused (STORE_BAD_LENGTH).
	 */
	bool (*compact_wanted)(struct store *store);
	int (*set_compact_threshold)(struct store *store, unsigned percent);

	/*
	 * Optional pair (NULL: the wrappers give STORE_UNSUPPORTED): whole
	 * pages kept without a copy, for a transform chain whose sealed form
	 * of a page is the page itself.
	 *
	 * adopt_page takes ownership of page as a 4096-byte object and sets
	 * *handle; no byte is copied. It counts as one object of 4096 bytes in
	 * one data frame, against frame_limit (STORE_FULL beyond it: the page
	 * stays the caller's). The caller guarantees: page is 4096-byte aligned
	 * (a NULL or misaligned page gives STORE_BAD_LENGTH) and is a frame
	 * the store's page provider can free (free_page gets it when the
	 * object is freed, or at destroy); in the kernel that is
	 * frame_address(frame_alloc()) for the default store, whose provider
	 * is the frame allocator through the direct map (mm/region_boot.c).
	 * From adoption until release_page gives it back, nobody else reads
	 * or writes the page through any mapping, and the caller has removed
	 * it from every address space and flushed the TLB.
	 *
	 * An adopted page is an object like any other to read, map (in place,
	 * pinned), unmap, size, free and free_length; free returns its frame
	 * to the provider. Compaction never moves it.
	 *
	 * release_page frees the object and gives its frame back in *page
	 * (the same address adopt_page took, the bytes as they were). A valid
	 * handle of a copied object gives STORE_BAD_HANDLE without counting a
	 * bad handle or changing anything, so a caller may try release_page
	 * first and fall back to read + free; a mapped page gives STORE_BUSY.
	 */
	int (*adopt_page)(struct store *store, void *page, store_handle_t *handle);
	int (*release_page)(struct store *store, store_handle_t handle,
			    void **page);
};

/* Every implementation's instance starts with this. */
struct store {
	const struct store_ops *ops;
	const char *name;
	/*
	 * Optional: called when compact_wanted turns true, in the context of
	 * the free that asked (any CPU, locks held, interrupts off), so it may
	 * only do atomics; whoever compacts in the background sets it
	 * (store_set_compact_notify) to be woken instead of polling.
	 */
	void (*compact_notify)(void *context);
	void *compact_notify_context;
};

/*
 * Where a store gets its frames: one page (4096 bytes, aligned, usable by
 * the CPU at the returned address) at a time. Kernel: the frame allocator
 * through the direct map; host tests: mmap.
 */
struct store_page_provider {
	void *(*alloc_page)(void *context);	/* NULL when nothing is left */
	void (*free_page)(void *context, void *page);
	void *context;
};

static inline int store_put(struct store *store, const void *data,
			    size_t length, store_handle_t *handle)
{
	if (FAILPOINT(FAILPOINT_STORE_PUT))
		return STORE_FULL;
	return store->ops->put(store, data, length, handle);
}

static inline int store_read(struct store *store, store_handle_t handle,
			     void *buffer, size_t buffer_size, size_t *length)
{
	if (FAILPOINT(FAILPOINT_STORE_MAP))
		return STORE_NO_MEMORY;
	return store->ops->read(store, handle, buffer, buffer_size, length);
}

static inline int store_map(struct store *store, store_handle_t handle,
			    void *bounce, struct store_view *view)
{
	if (FAILPOINT(FAILPOINT_STORE_MAP))
		return STORE_NO_MEMORY;
	return store->ops->map(store, handle, bounce, view);
}

static inline void store_unmap(struct store *store, struct store_view *view)
{
	store->ops->unmap(store, view);
}

static inline int store_size(struct store *store, store_handle_t handle,
			     size_t *length)
{
	return store->ops->size(store, handle, length);
}

static inline int store_free(struct store *store, store_handle_t handle)
{
	return store->ops->free(store, handle);
}

/* Frees the object and sets *length to its length; one handle check when
 * the store has the free_length op, else size then free (that fall-back
 * sets *length before the free, so also when the free then fails). */
static inline int store_free_length(struct store *store, store_handle_t handle,
				    size_t *length)
{
	int result;

	if (store->ops->free_length)
		return store->ops->free_length(store, handle, length);
	result = store->ops->size(store, handle, length);
	return result == STORE_OK ? store->ops->free(store, handle) : result;
}

/* See free_wipe in struct store_ops. */
static inline int store_free_wipe(struct store *store, store_handle_t handle,
				  size_t *length)
{
	if (!store->ops->free_wipe)
		return STORE_UNSUPPORTED;
	return store->ops->free_wipe(store, handle, length);
}

/* See adopt_page and release_page in struct store_ops. */
static inline int store_adopt_page(struct store *store, void *page,
				   store_handle_t *handle)
{
	if (!store->ops->adopt_page)
		return STORE_UNSUPPORTED;
	if (FAILPOINT(FAILPOINT_STORE_PUT))
		return STORE_FULL;
	return store->ops->adopt_page(store, page, handle);
}

static inline int store_release_page(struct store *store, store_handle_t handle,
				     void **page)
{
	if (!store->ops->release_page)
		return STORE_UNSUPPORTED;
	return store->ops->release_page(store, handle, page);
}

static inline void store_stats(struct store *store, struct store_stats *stats)
{
	store->ops->stats(store, stats);
}

static inline size_t store_compact(struct store *store)
{
	return store->ops->compact(store);
}

static inline void store_destroy(struct store *store)
{
	store->ops->destroy(store);
}

/* See compact_wanted and set_compact_threshold in struct store_ops. */
static inline bool store_compact_wanted(struct store *store)
{
	return store->ops->compact_wanted && store->ops->compact_wanted(store);
}

static inline int store_set_compact_threshold(struct store *store,
					      unsigned percent)
{
	if (!store->ops->set_compact_threshold)
		return STORE_UNSUPPORTED;
	return store->ops->set_compact_threshold(store, percent);
}

/*
 * Sets (notify non-NULL) or clears the compaction notification of store
 * (struct store's compact_notify). Context is published before the
 * function, so a free that sees the function sees its context.
 */
static inline void store_set_compact_notify(struct store *store,
					    void (*notify)(void *context),
					    void *context)
{
	if (notify)
		__atomic_store_n(&store->compact_notify_context, context,
				 __ATOMIC_RELAXED);
	__atomic_store_n(&store->compact_notify, notify, __ATOMIC_RELEASE);
}

/* Calls store's compaction notification, if one is set. */
static inline void store_notify_compact_wanted(struct store *store)
{
	void (*notify)(void *) = __atomic_load_n(&store->compact_notify,
						 __ATOMIC_ACQUIRE);

	if (notify)
		notify(__atomic_load_n(&store->compact_notify_context,
				       __ATOMIC_RELAXED));
}

/*
 * Kernel only (mm/store_compactd.c): starts a thread that compacts store
 * whenever store_compact_wanted() says so. It sleeps until the store's
 * compaction notification wakes it (at the timer tick after the free that
 * asked); while injected failures are armed it looks again every
 * STORE_COMPACTD_INTERVAL_MS instead. The default store gets one at boot
 * (mm_init). STORE_OK, STORE_UNSUPPORTED (the store has no compact_wanted)
 * or STORE_NO_MEMORY (no thread, or all daemons in use).
 */
#define STORE_COMPACTD_INTERVAL_MS 100u
int store_compactd_start(struct store *store);
/* Ends store's compaction thread, if it has one, and waits for it (a
 * thread may sleep here: never under a lock). Before destroying a store
 * that has one. */
void store_compactd_stop(struct store *store);

/* One console line of a store's figures, in a key=value format host tools
 * parse: "store name=... pages=... bytes=... frames=... metadata_frames=...
 * limit=... ratio=X.YYY refusals=... bad_handles=... compactions=...
 * frames_compacted=...". */
void store_print_stats(struct store *store);

/* A short name for a result code, for messages. */
const char *store_result_name(int result);

/* Frames that make up percent % of total_frames (at least 1). */
uint64_t store_frames_for_share(uint64_t total_frames, unsigned percent);

/*
 * The store the kernel's transforms use unless a scheme names another: set
 * once at start-up by whoever creates it, NULL until then.
 */
void store_set_default(struct store *store);
struct store *store_default(void);

#endif
