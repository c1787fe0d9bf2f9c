/*
 * fork of a region (mm/region.h: region_fork). The child region, at the
 * same addresses in the child's space, gets every page of the parent, each
 * through a row of the transition table (mm/region_transition.c):
 *   clear     the frame is shared copy-on-write: read only in both spaces,
 *             recorded in the reverse map (mm/rmap.h); the first write in
 *             either space gives that page a frame of its own (WRITE row);
 *             a frame already shared by RMAP_MAPPINGS_MAX spaces is
 *             copied instead, the copy sealed in the child (COPY row);
 *   sealed    restored with the parent's chain into a frame and sealed by
 *             the child's (a cipher binds the copy to its region and page,
 *             so bytes are not shared between regions);
 *   poisoned  poisoned in the child too.
 * The work goes REGION_BATCH_MAX pages at a time: the parent's clear pages
 * of a batch become read only with one invalidation round, then each page
 * of the batch is given to the child, and both locks are dropped between
 * batches so interrupts are not held off for a whole region.
 *
 * Lock order: the parent's clear share and the child's when they have
 * them (mm/clear_share.h), then the parent's lock, then the child's (same
 * class; the child is new and no other path takes its lock first), then
 * what region_transition takes (mm/region_transition.c).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/printk.h"
#include "mm/frame.h"
#include "mm/region_internal.h"
#include "mm/rmap.h"
#include "mm/vmm.h"

/* The child must mirror the parent and hold nothing yet. */
static bool region_fork_compatible(struct region *parent, struct region *child)
{
	return parent != child && parent->pages == child->pages &&
	       parent->base == child->base &&
	       parent->protection == child->protection &&
	       parent->space != child->space &&
	       child->clear.resident == 0 && child->stats.sealed_pages == 0 &&
	       child->stats.poisoned == 0;
}

/* The parent's clear pages of [first, first + count) that are not shared
 * yet become read only, with one invalidation round. Locks held. */
static int region_fork_share_parent(struct region *parent, uint32_t first,
				    uint32_t count)
{
	uint32_t pages[REGION_BATCH_MAX];
	int results[REGION_BATCH_MAX];
	unsigned gathered = 0;

	for (uint32_t page = first; page < first + count; page++) {
		const struct region_page *record = region_page_record(parent, page);
		if (region_record_state(record) == REGION_CLEAR &&
		    !region_record_shared(record))
			pages[gathered++] = page;
	}
	if (gathered == 0)
		return REGION_OK;
	if (region_transition_batch(parent, pages, gathered, REGION_CAUSE_SHARE,
				    results) == gathered)
		return REGION_OK;
	for (unsigned i = 0; i < gathered; i++) {
		if (results[i] != REGION_OK)
			return results[i];
	}
	return REGION_CORRUPT;
}

/* The child's own sealed copy of a clear page whose frame is shared by
 * as many spaces as the reverse map allows (RMAP_FULL). */
static int region_fork_copy_clear(struct region *child, uint32_t page,
				  uint64_t shared)
{
	uint64_t frame = frame_alloc();

	if (frame == FRAME_NONE) {
		child->stats.no_memory++;
		return REGION_NO_MEMORY;
	}
	memcpy(frame_address(frame), frame_address(shared), 4096);
	return region_transition_with_frame(child, page, REGION_CAUSE_COPY,
					    frame);
}

/* The child maps the parent's (now read-only) frame of a clear page. */
static int region_fork_share(struct region *parent, struct region *child,
			     uint32_t page)
{
	uintptr_t va = region_va(parent, page);
	uint64_t frame;

	if (!vmm_translate(parent->space, va, &frame, NULL))
		return REGION_CORRUPT;
	int shared = rmap_share(frame, parent->space, child->space, va);
	if (shared == RMAP_FULL)
		return region_fork_copy_clear(child, page, frame);
	if (shared == RMAP_NO_MEMORY) {
		child->stats.no_memory++;
		return REGION_NO_MEMORY;
	}
	if (shared != RMAP_OK)
		return REGION_CORRUPT;	/* the child mapped it already */
	int result = region_transition_with_frame(child, page,
						  REGION_CAUSE_SHARE, frame);
	if (result != REGION_OK)
		(void)rmap_remove(frame, child->space, va);
	return result;
}

/* The child's own sealed copy of a sealed page. */
static int region_fork_copy(struct region *parent, struct region *child,
			    uint32_t page)
{
	uint64_t frame = frame_alloc();

	if (frame == FRAME_NONE) {
		child->stats.no_memory++;
		return REGION_NO_MEMORY;
	}
	int result = region_restore_frame(parent, page, frame);
	if (result != REGION_OK) {
		region_free_clear_frame(parent, frame);
		return result;
	}
	return region_transition_with_frame(child, page, REGION_CAUSE_COPY,
					    frame);
}

/* Gives the child its copy of one page of the parent. Locks held. */
static int region_fork_page(struct region *parent, struct region *child,
			    uint32_t page)
{
	const struct region_page *record = region_page_record(parent, page);

	switch (region_record_state(record)) {
	case REGION_UNPOPULATED:
		return REGION_OK;
	case REGION_CLEAR:
		if (!region_record_shared(record))
			return REGION_CORRUPT;	/* the batch left it writable */
		return region_fork_share(parent, child, page);
	case REGION_SEALED:
		return region_fork_copy(parent, child, page);
	case REGION_POISONED:
		return region_transition(child, page,
					 REGION_CAUSE_INHERIT_POISON);
	}
	return REGION_CORRUPT;
}

/* One batch of pages, under both locks. */
static int region_fork_batch(struct region *parent, struct region *child,
			     uint32_t first, uint32_t count)
{
	unsigned long flags = region_lock_pair(parent, child);
	int result = region_fork_share_parent(parent, first, count);
	for (uint32_t page = first; result == REGION_OK && page < first + count;
	     page++)
		result = region_fork_page(parent, child, page);
	region_unlock_pair(parent, child, flags);
	return result;
}

int region_fork(struct region *parent, struct region *child)
{
	if (!region_fork_compatible(parent, child))
		return REGION_BAD_ARGUMENT;
	for (uint32_t first = 0; first < parent->pages; first += REGION_BATCH_MAX) {
		uint32_t count = parent->pages - first < REGION_BATCH_MAX ?
					 parent->pages - first : REGION_BATCH_MAX;
		int result = region_fork_batch(parent, child, first, count);
		if (result != REGION_OK) {
			log_warn("region %s: fork: page %u could not be given to "
				 "the child (%d)", parent->name, first, result);
			return result;
		}
	}
	return REGION_OK;
}
