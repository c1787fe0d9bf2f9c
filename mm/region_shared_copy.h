/*
 * Seal-once for frames shared after fork. A clear page whose frame other
 * spaces still map leaves its space (EVICT, PURGE) without being sealed:
 * its record names a shared copy instead of a store copy (mm/region_page.h,
 * region_record_shared_copy). The shared copy holds the frame while any
 * space still maps it; when the last mapper lets the frame go (evicts it,
 * unmaps it, copies it on a write), the frame is sealed once, and every
 * record that names the shared copy restores from that one sealed copy.
 * The copy goes once the last record naming it is gone.
 *
 * Only records of the same chain and store may name one shared copy: the
 * copy is sealed by the chain of the slot its first record was counted
 * in, and every record naming it is counted in a slot with that very
 * chain (the same transform instances) and store. So while a record names
 * it, a slot of some region holds the chain's keys and the store alive;
 * a migration or rekey of a slot moves its records off the copy as it
 * moves any sealed page (restore, seal anew, release), which the copy
 * sees as a record gone.
 *
 * Locking: region_shared_copy_lock (irqsave) protects the table of copies
 * and every field of every copy. It nests inside a region's lock (the
 * callers hold the lock of the region whose record they change; several
 * regions' records may name one copy, so the copy needs a lock of its
 * own) and takes, inside it, rmap_lock, the store's locks, the slab's and
 * the frame allocator's. Taking it is what makes "am I the last mapper,
 * and does a record still need this frame" one question: every removal
 * of a mapping of a frame a copy may hold goes through this file.
 */
#ifndef VEIL_MM_REGION_SHARED_COPY_H
#define VEIL_MM_REGION_SHARED_COPY_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/region.h"

/* Whether pages leave into shared copies (true; the command line's
 * seal_once=off, or a test, clears it: each space then seals its own copy
 * of a shared frame). Read with a relaxed atomic at each park: a change
 * applies to the next pages that leave; copies made stay until their
 * records go. */
extern bool region_shared_copy_enabled;

/* What region_shared_copy_park did with the page. */
enum region_shared_park {
	REGION_SHARED_PARKED,	/* *handle names a shared copy */
	REGION_SHARED_PRIVATE,	/* not for a shared copy: seal it privately */
};

/*
 * A shared clear page (region_record_shared) of region, whose PTE no
 * longer names frame (BUSY, after the invalidation round), leaving its
 * space for good. When other spaces still map frame, or records of other
 * spaces already name a shared copy of it, and the page's slot may share
 * (same chain and store as that copy, a store the region does not own):
 * the page's mapping is forgotten, the copy named by *handle (made now if
 * needed) counts one more record, and when this was the last mapping of
 * frame the copy is sealed now (its frame freed or kept by the store).
 * Returns REGION_SHARED_PARKED then. REGION_SHARED_PRIVATE (nothing
 * changed) for a page to seal as its own. A negative region result when
 * the copy could not be made or sealed: nothing changed either. Region
 * lock held.
 */
int region_shared_copy_park(struct region *region, unsigned slot,
			    uint64_t frame, uintptr_t va, store_handle_t *handle);

/*
 * A shared clear page of region stops mapping frame at va (its PTE no
 * longer names it): unmap, a write's copy, a seal of its own. When it was
 * the last mapping, the frame is sealed into the shared copy records
 * still name (kept clear, and counted, when that seal fails: nothing is
 * lost), or freed when none does. Region lock held.
 */
void region_shared_copy_leave(struct region *region, uint64_t frame,
			      uintptr_t va);

/* Whether a space that maps frame may take it as its own (a write): no
 * other space maps it and no record names a shared copy of it. */
bool region_shared_copy_frame_alone(uint64_t frame);

/*
 * Restores the content of the shared copy handle names into frame: a
 * copy of the frame it holds, or its sealed copy unsealed. Results as
 * region_restore_frame's (without the checksum: that is the record's).
 */
int region_shared_copy_restore(store_handle_t handle, uint64_t frame);

/* A record that named the shared copy handle names it no more: the copy
 * goes with its last record (its store copy freed, wiped when it was
 * confidential). */
void region_shared_copy_drop(store_handle_t handle);

/* The shared copy's store bytes (0 while it holds a frame). */
size_t region_shared_copy_length(store_handle_t handle);

/* The copies now, for `regions` and the tests. */
struct region_shared_copy_stats {
	uint64_t copies;	/* shared copies now */
	uint64_t holding_frame;	/* of them, holding a frame */
	uint64_t sealed;	/* of them, sealed once */
	uint64_t references;	/* records naming them */
	uint64_t bytes_stored;	/* store bytes of the sealed ones */
	uint64_t parks;		/* pages that left their space into one, ever */
	uint64_t seals;		/* copies sealed, ever */
	uint64_t seal_failures;	/* seals refused (the frame was kept) */
};
void region_shared_copy_get_stats(struct region_shared_copy_stats *stats);

#endif
