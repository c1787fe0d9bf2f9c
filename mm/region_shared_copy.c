/*
 * Shared copies: seal-once for frames shared after fork (the contract and
 * the lock are in mm/region_shared_copy.h). A copy lives in a table whose
 * index the records name (REGION_SHARED_COPY_TAG | index in the handle
 * field and the PTE); while it holds a frame it is also in a hash by
 * frame, so a space letting the frame go finds it.
 *
 * Lock order: a region's lock (the caller's), region_shared_copy_lock,
 * then rmap_lock, the store's locks, the slab's, the frame allocator's.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "mm/frame.h"
#include "mm/region_internal.h"
#include "mm/region_shared_copy.h"
#include "mm/rmap.h"
#include "mm/slab.h"

struct region_shared_copy {
	uint64_t frame;		/* while it holds one; FRAME_NONE once sealed */
	store_handle_t handle;	/* once sealed: its copy in store */
	size_t length;		/* once sealed: the copy's store bytes */
	struct store *store;
	struct scheme scheme;	/* the chain of the slots its records are in */
	uint64_t binding;	/* the cipher's region id for it, never reused */
	uint32_t references;	/* records naming it */
	uint32_t index;		/* in region_shared_copies */
	/* A seal at the last mapper's leave was refused: nobody maps the
	 * frame, the copy owns it (freed with the copy). */
	bool owns_frame;
	struct region_shared_copy *next_by_frame;
};

#define REGION_SHARED_COPY_BUCKETS 256u
/* Bindings of shared copies: above every region's id (regions count from
 * 1), so a cipher never sees one (id, page) pair for two pages, and below
 * the ids the ciphers refuse (transforms/xf_cipher.h: under 2^62). */
#define REGION_SHARED_COPY_BINDING (1ull << 61)

static struct spinlock region_shared_copy_lock =
	SPINLOCK_INIT("region_shared_copy");
/* The copies by index (NULL: a free index), capacity entries: the
 * initial table, then ones from kmalloc as it grows (a first fork's
 * copies then take no memory that stays after them). */
#define REGION_SHARED_COPY_INITIAL 64u
static struct region_shared_copy *region_shared_copy_initial[REGION_SHARED_COPY_INITIAL];
static struct region_shared_copy **region_shared_copies = region_shared_copy_initial;
static uint32_t region_shared_copy_capacity = REGION_SHARED_COPY_INITIAL;
static uint32_t region_shared_copy_used;
static uint32_t region_shared_copy_next_free;
static struct region_shared_copy *region_shared_copy_by_frame[REGION_SHARED_COPY_BUCKETS];
static uint64_t region_shared_copy_next_binding = 1;
static struct region_shared_copy_stats region_shared_copy_counts;

bool region_shared_copy_enabled = true;

static unsigned region_shared_copy_bucket(uint64_t frame)
{
	return (unsigned)((frame >> 12) * 0x9e3779b97f4a7c15ull >> 56);
}

static struct region_shared_copy *region_shared_copy_find_frame(uint64_t frame)
{
	struct region_shared_copy *copy =
		region_shared_copy_by_frame[region_shared_copy_bucket(frame)];

	while (copy && copy->frame != frame)
		copy = copy->next_by_frame;
	return copy;
}

static void region_shared_copy_unhash(struct region_shared_copy *copy)
{
	struct region_shared_copy **link =
		&region_shared_copy_by_frame[region_shared_copy_bucket(copy->frame)];

	while (*link && *link != copy)
		link = &(*link)->next_by_frame;
	if (*link)
		*link = copy->next_by_frame;
	copy->next_by_frame = NULL;
}

/* The copy a record's handle names, or NULL. */
static struct region_shared_copy *region_shared_copy_find(store_handle_t handle)
{
	uint64_t index = handle & ~REGION_SHARED_COPY_TAG;

	if (!(handle & REGION_SHARED_COPY_TAG) ||
	    index >= region_shared_copy_capacity)
		return NULL;
	return region_shared_copies[index];
}

/* A free index, the table grown (doubled) when full; false for no memory. */
static bool region_shared_copy_free_index(uint32_t *index)
{
	if (region_shared_copy_used == region_shared_copy_capacity) {
		uint32_t capacity = region_shared_copy_capacity * 2;
		struct region_shared_copy **table =
			kmalloc(capacity * sizeof(*table));
		if (!table)
			return false;
		memset(table, 0, capacity * sizeof(*table));
		memcpy(table, region_shared_copies,
		       region_shared_copy_capacity * sizeof(*table));
		if (region_shared_copies != region_shared_copy_initial)
			kfree(region_shared_copies);
		region_shared_copies = table;
		region_shared_copy_next_free = region_shared_copy_capacity;
		region_shared_copy_capacity = capacity;
	}
	uint32_t at = region_shared_copy_next_free % region_shared_copy_capacity;
	while (region_shared_copies[at])
		at = (at + 1) % region_shared_copy_capacity;
	*index = at;
	region_shared_copy_next_free = at + 1;
	return true;
}

/* A new copy holding frame, for records of region's slot; NULL for no
 * memory. */
static struct region_shared_copy *region_shared_copy_make(struct region *region,
							  unsigned slot,
							  uint64_t frame)
{
	struct region_shared_copy *copy = kmalloc(sizeof(*copy));
	uint32_t index;

	if (!copy)
		return NULL;
	if (!region_shared_copy_free_index(&index)) {
		kfree(copy);
		return NULL;
	}
	*copy = (struct region_shared_copy){
		.frame = frame, .store = region_slot_store(region, slot),
		.scheme = region->schemes[slot],
		.binding = REGION_SHARED_COPY_BINDING |
			   region_shared_copy_next_binding++,
		.index = index,
	};
	unsigned bucket = region_shared_copy_bucket(frame);
	copy->next_by_frame = region_shared_copy_by_frame[bucket];
	region_shared_copy_by_frame[bucket] = copy;
	region_shared_copies[index] = copy;
	region_shared_copy_used++;
	region_shared_copy_counts.copies++;
	region_shared_copy_counts.holding_frame++;
	return copy;
}

/* Frees a frame the copy held (wiped first under a chain with a cipher:
 * the frame allocator hands frames back as they are). */
static void region_shared_copy_free_frame(struct region_shared_copy *copy)
{
	if (scheme_confidential(&copy->scheme))
		memset(frame_address(copy->frame), 0, FRAME_BYTES);
	frame_free(copy->frame);
}

static void region_shared_copy_destroy(struct region_shared_copy *copy)
{
	if (copy->frame != FRAME_NONE) {
		region_shared_copy_unhash(copy);
		if (copy->owns_frame)
			region_shared_copy_free_frame(copy);
		region_shared_copy_counts.holding_frame--;
	} else {
		size_t length = 0;
		int result = scheme_confidential(&copy->scheme) ?
				     store_free_wipe(copy->store, copy->handle,
						     &length) :
				     STORE_UNSUPPORTED;
		if (result == STORE_UNSUPPORTED)
			result = store_free(copy->store, copy->handle);
		if (result != STORE_OK)
			log_error("shared copy %u: its sealed copy could not be "
				  "freed (%s)", copy->index,
				  store_result_name(result));
		region_shared_copy_counts.sealed--;
		region_shared_copy_counts.bytes_stored -= copy->length;
	}
	region_shared_copies[copy->index] = NULL;
	region_shared_copy_used--;
	region_shared_copy_counts.copies--;
	kfree(copy);
}

/* Seals the frame the copy holds, which nobody maps any more, as region
 * lets it go last (its group counts the bytes): the frame is freed (or
 * kept by the store as the copy). On failure the copy keeps the frame, as
 * it was. */
static int region_shared_copy_seal(struct region_shared_copy *copy,
				   struct region *region)
{
	struct xf_page_id id = { .region_id = copy->binding, .page_index = 0 };
	struct region_sealed_copy sealed = { 0 };
	int result = region_seal_bytes(&copy->scheme, &id, copy->store,
				       copy->frame, &sealed);

	if (result != REGION_OK) {
		region_shared_copy_counts.seal_failures++;
		if (result == REGION_CORRUPT)
			log_error("shared copy %u: the chain could not undo its "
				  "own seal; its content is lost", copy->index);
		return result;
	}
	region_shared_copy_unhash(copy);
	if (!sealed.adopted)
		region_shared_copy_free_frame(copy);
	copy->frame = FRAME_NONE;
	copy->owns_frame = false;
	copy->handle = sealed.handle;
	copy->length = sealed.length;
	region_shared_copy_counts.holding_frame--;
	region_shared_copy_counts.sealed++;
	region_shared_copy_counts.seals++;
	region_shared_copy_counts.bytes_stored += sealed.length;
	region_group_count_shared_seal(region, sealed.length);
	return REGION_OK;
}

/* Whether a record of region's slot may name copy (NULL: a new copy):
 * the copy must outlive the region's stores, so the slot's store must be
 * one the region was given, not one it owns (destroyed with it). */
static bool region_shared_copy_may_name(struct region *region, unsigned slot,
					const struct region_shared_copy *copy)
{
	struct store *store = region_slot_store(region, slot);

	for (unsigned i = 0; i < REGION_SCHEMES_MAX; i++)
		if (region->owned_stores[i] == store)
			return false;
	return !copy || (copy->store == store &&
			 scheme_same_chain(&copy->scheme,
					   &region->schemes[slot]));
}

int region_shared_copy_park(struct region *region, unsigned slot,
			    uint64_t frame, uintptr_t va, store_handle_t *handle)
{
	unsigned long flags = spin_lock_irqsave(&region_shared_copy_lock);
	struct region_shared_copy *copy = region_shared_copy_find_frame(frame);
	bool others = rmap_mappings(frame) >= 2;	/* the map knows us too */
	int result = REGION_SHARED_PRIVATE;

	if ((!others && !copy) || !region_shared_copy_may_name(region, slot, copy))
		goto out;
	if (!copy && !__atomic_load_n(&region_shared_copy_enabled,
				      __ATOMIC_RELAXED))
		goto out;	/* sealed privately; copies made stay usable */
	if (!copy)
		copy = region_shared_copy_make(region, slot, frame);
	if (!copy)
		goto out;	/* no memory for it: sealed privately */
	if (others) {
		(void)rmap_remove(frame, region->space, va);
	} else {
		result = region_shared_copy_seal(copy, region);	/* the last mapper */
		if (result != REGION_OK)
			goto out;
	}
	copy->references++;
	region_shared_copy_counts.references++;
	region_shared_copy_counts.parks++;
	*handle = REGION_SHARED_COPY_TAG | copy->index;
	result = REGION_SHARED_PARKED;
out:
	spin_unlock_irqrestore(&region_shared_copy_lock, flags);
	return result;
}

void region_shared_copy_leave(struct region *region, uint64_t frame,
			      uintptr_t va)
{
	unsigned long flags = spin_lock_irqsave(&region_shared_copy_lock);

	if (rmap_remove(frame, region->space, va) == 0) {
		struct region_shared_copy *copy =
			region_shared_copy_find_frame(frame);
		if (!copy)
			region_free_clear_frame(region, frame);
		else if (region_shared_copy_seal(copy, region) != REGION_OK) {
			copy->owns_frame = true;	/* kept clear: not lost */
			log_warn("shared copy %u: could not be sealed; its "
				 "frame is kept as it is", copy->index);
		}
	}
	spin_unlock_irqrestore(&region_shared_copy_lock, flags);
}

bool region_shared_copy_frame_alone(uint64_t frame)
{
	unsigned long flags = spin_lock_irqsave(&region_shared_copy_lock);
	bool alone = rmap_mappings(frame) < 2 &&
		     !region_shared_copy_find_frame(frame);

	spin_unlock_irqrestore(&region_shared_copy_lock, flags);
	return alone;
}

int region_shared_copy_restore(store_handle_t handle, uint64_t frame)
{
	unsigned long flags = spin_lock_irqsave(&region_shared_copy_lock);
	struct region_shared_copy *copy = region_shared_copy_find(handle);
	int result = REGION_CORRUPT;

	if (copy && copy->frame != FRAME_NONE) {
		memcpy(frame_address(frame), frame_address(copy->frame),
		       FRAME_BYTES);
		result = REGION_OK;
	} else if (copy) {
		struct xf_page_id id = { .region_id = copy->binding };
		result = region_unseal_bytes(&copy->scheme, &id, copy->store,
					     copy->handle,
					     scheme_confidential(&copy->scheme),
					     frame);
	}
	spin_unlock_irqrestore(&region_shared_copy_lock, flags);
	return result;
}

void region_shared_copy_drop(store_handle_t handle)
{
	unsigned long flags = spin_lock_irqsave(&region_shared_copy_lock);
	struct region_shared_copy *copy = region_shared_copy_find(handle);

	if (!copy || copy->references == 0) {
		log_error("shared copy: handle 0x%llx names no copy",
			  (unsigned long long)handle);
	} else {
		region_shared_copy_counts.references--;
		if (--copy->references == 0)
			region_shared_copy_destroy(copy);
	}
	spin_unlock_irqrestore(&region_shared_copy_lock, flags);
}

size_t region_shared_copy_length(store_handle_t handle)
{
	unsigned long flags = spin_lock_irqsave(&region_shared_copy_lock);
	struct region_shared_copy *copy = region_shared_copy_find(handle);
	size_t length = copy && copy->frame == FRAME_NONE ? copy->length : 0;

	spin_unlock_irqrestore(&region_shared_copy_lock, flags);
	return length;
}

void region_shared_copy_get_stats(struct region_shared_copy_stats *stats)
{
	unsigned long flags = spin_lock_irqsave(&region_shared_copy_lock);

	*stats = region_shared_copy_counts;
	spin_unlock_irqrestore(&region_shared_copy_lock, flags);
}
