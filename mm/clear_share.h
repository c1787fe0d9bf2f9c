/*
 * A clear set shared by several regions (a process's mappings): one bound
 * on the pages present over all of them, and one replacement policy that
 * orders them all, so a hot page of one mapping (an interpreter's loop in
 * its code) stays present while a cold page of another (its heap) leaves.
 *
 * Each member region keeps its own clear set for membership (which of its
 * pages are present) but with the share's proxy policy, which hands every
 * admission, reference and removal to the share's clear set. The share's
 * set is a clear set over slots: a slot names one present page of one
 * member (region, page), so the policies of mm/policy.h order pages of
 * several regions without knowing it. A member's own limit is its page
 * count: it never evicts by itself; a fault in a member first makes room
 * in the share (clear_share_make_room), evicting the share policy's
 * victims from whichever members hold them, one invalidation round per
 * member and batch.
 *
 * Locking: the share's lock protects its set, its slots and budget, and
 * is taken before any member region's lock (region_lock in
 * mm/region_internal.h takes both); so whoever holds a member's lock holds
 * the share's, and the share may take any member's lock to evict from it.
 */
#ifndef VEIL_MM_CLEAR_SHARE_H
#define VEIL_MM_CLEAR_SHARE_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/lib/spinlock.h"
#include "mm/clearset.h"
#include "mm/policy.h"

struct region;
struct region_group;

/* One present page of a member, or a free slot (region NULL, page the
 * next free slot). */
struct clear_share_slot {
	struct region *region;
	uint32_t page;
};

struct clear_share {
	struct spinlock lock;		/* protects all below and the members'
					 * clear sets; before a member's lock */
	struct clearset set;		/* over slots; its limit is the budget */
	struct clear_share_slot *slots;	/* capacity of them */
	uint32_t capacity;		/* slots: the members' pages, at least */
	uint32_t free_slot;		/* first free slot, or POLICY_NO_PAGE */
	uint32_t member_pages;		/* pages of the member regions */
	uint32_t members;
	uint32_t floor;			/* the budget's least (pages) */
	uint32_t percent;		/* 1..100: the budget follows this share
					 * of the populated pages; 0: fixed */
	uint32_t evict_batch;		/* victims per round */
	struct region_group *group;	/* the members' sealed pages (percent) */
	uint64_t evictions;		/* pages the share evicted */
	uint64_t cross_evictions;	/* of them, for a fault in another member */
};

/* The proxy each member's clear set uses as its policy (mm/policy.h). */
extern const struct policy_ops policy_clear_share;

/*
 * A share of budget pages (percent 0) or of percent of the members'
 * populated pages (clear and sealed, counted with group; never below
 * budget), ordered by policy. 0, or -1 when an argument is unusable or
 * memory is short.
 */
int clear_share_init(struct clear_share *share, const struct policy_ops *policy,
		     uint32_t budget, uint32_t percent,
		     struct region_group *group);
/* Frees the share; it must have no member left. */
void clear_share_destroy(struct clear_share *share);

/* Called by region_create/region_destroy: a member joins (the share grows
 * its slots to cover the member's pages; -1 when memory is short) or
 * leaves (after its pages were dropped). */
int clear_share_join(struct clear_share *share, struct region *region);
void clear_share_leave(struct clear_share *share, struct region *region);

/*
 * Before a fault in a member brings a page in (share's lock held, no
 * member's lock): follows the percentage (incoming: the page comes from
 * unpopulated), then evicts until the share has room for one page. A
 * member's victims go in batches under that member's lock. When nothing
 * more can leave (seals refused) the share stays over its budget for now,
 * as a region's own set does: no page is lost.
 */
void clear_share_make_room(struct clear_share *share, struct region *faulting,
			   bool incoming);

/* Raises the budget to limit pages when it is lower (a forked process's
 * share starts with its parent's budget). */
void clear_share_raise_limit(struct clear_share *share, uint32_t limit);

/* The budget now (pages) and the pages present over the members. */
static inline uint32_t clear_share_limit(const struct clear_share *share)
{
	return share->set.limit;
}

static inline uint32_t clear_share_resident(const struct clear_share *share)
{
	return share->set.resident;
}

#endif
