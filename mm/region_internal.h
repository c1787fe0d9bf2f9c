/*
 * What the files of a region (mm/region.c, region_transition.c,
 * region_seal.c, region_fault.c) share and nobody else needs.
 */
#ifndef VEIL_MM_REGION_INTERNAL_H
#define VEIL_MM_REGION_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/spinlock.h"
#include "mm/clear_share.h"
#include "mm/region.h"

/* Why a page changes state: with the page's state, it picks the row of
 * the transition table (mm/region_transition.c, docs/tlb-events.md). */
enum region_cause {
	REGION_CAUSE_FAULT,	/* an access: unpopulated or sealed -> clear */
	REGION_CAUSE_EVICT,	/* the clear set pushed it out: clear -> sealed */
	REGION_CAUSE_PURGE,	/* explicit purge: clear -> sealed */
	REGION_CAUSE_UNMAP,	/* explicit unmap: clear or sealed -> unpopulated */
	REGION_CAUSE_PROTECT,	/* protection change: clear -> clear */
	REGION_CAUSE_RESEAL,	/* scheme change: sealed -> sealed by the new chain */
	REGION_CAUSE_POISON,	/* the sealed copy failed its integrity
				 * check: sealed -> poisoned */
	/* fork (mm/region_fork.c): a clear page's frame becomes shared
	 * copy-on-write: clear -> clear read only in the parent,
	 * unpopulated -> clear read only in the child */
	REGION_CAUSE_SHARE,
	REGION_CAUSE_COPY,	/* fork: the child's copy of a sealed page,
				 * given restored in a frame: unpopulated ->
				 * sealed by the child's chain */
	REGION_CAUSE_INHERIT_POISON,	/* fork: unpopulated -> poisoned */
	REGION_CAUSE_WRITE,	/* a write to a shared page: clear -> clear
				 * in a frame of its own, writable */
	REGION_CAUSE_RECOMPRESS,	/* tiers (mm/region_tier.h): sealed ->
					 * sealed by the dense tier's chain */
	REGION_CAUSES,
};

/*
 * Takes page from its state to the next one for cause: the one place a
 * region page changes state. Does the content step, the PTE change with
 * its invalidation and the hook calls in the order of the table, and on a
 * failure puts the page back as it was (nothing lost). The region's lock
 * is held. REGION_OK, or why not (REGION_BAD_ARGUMENT when the state has
 * no transition for cause: the page is left alone).
 */
int region_transition(struct region *region, uint32_t page,
		      enum region_cause cause);

/*
 * region_transition for the causes that start from a frame the caller
 * gives: SHARE in the child (frame: the parent's, shared; it stays the
 * parent's on a failure) and COPY (frame: the page's content, the
 * region's to seal and free from then on, freed on a failure too).
 */
int region_transition_with_frame(struct region *region, uint32_t page,
				 enum region_cause cause, uint64_t frame);

/* Pages one batch may hold: one invalidation round covers them page by
 * page (mm/tlb.h: TLB_BATCH_PAGES). */
#define REGION_BATCH_MAX REGION_EVICT_BATCH_MAX

/*
 * region_transition for count (<= REGION_BATCH_MAX) pages of one region
 * with one invalidation round for all of them: each page's first half
 * (prepare, before, PTE change with its invalidation recorded, clear set),
 * then the round, then each page's second half (after, finish, undo); see
 * the top of mm/region_transition.c. results[i]: page i's result, as
 * region_transition's. Returns how many pages reached their new state.
 */
unsigned region_transition_batch(struct region *region, const uint32_t *pages,
				 unsigned count, enum region_cause cause,
				 int *results);

/* The page's virtual address. */
static inline uintptr_t region_va(const struct region *region, uint32_t page)
{
	return (uintptr_t)region_page_address(region, page);
}

/* Content steps (mm/region_seal.c); the PTE is not touched there. */

/* A copy just sealed, and what finishing it needs. */
struct region_sealed_copy {
	store_handle_t handle;	/* in the store; or the word (same_filled) */
	size_t length;		/* store bytes: 0 when same_filled */
	bool adopted;		/* the store kept the frame itself */
	bool same_filled;	/* no store copy: handle is the page's word */
	uint64_t checksum;	/* of the content sealed (debug builds) */
};

/* Seals the clear page in frame with the chain of slot (the sealing one,
 * or its dense tier) and puts it into the store: copy's handle and
 * length. copy->adopted: the store kept the frame itself as the copy (a
 * chain whose sealed form is the page); else the frame is still the
 * caller's, to free once the PTE names the handle. Under a chain without
 * a cipher, a same-filled page whose word fits the record is not given to
 * the chain or the store at all (copy->same_filled; mm/region_page.h):
 * zswap's same-filled pages, at no store bytes. A chain with a cipher
 * seals it as any page: a record or PTE must not hold a page's content in
 * clear. On failure the frame holds the clear page, as before. */
int region_seal_frame(struct region *region, uint32_t page, uint64_t frame,
		      unsigned slot, struct region_sealed_copy *copy);
/* The seal under region_seal_frame, for any chain, binding and store (a
 * shared copy's too, mm/region_shared_copy.c): seals the page in frame
 * and puts it into store (copy's handle, length, adopted; the rest left).
 * REGION_STORE_REFUSED: the frame holds the page as before;
 * REGION_CORRUPT: the chain could not undo its own in-place seal (the
 * page's content is lost: the caller says so). */
int region_seal_bytes(const struct scheme *scheme, const struct xf_page_id *id,
		      struct store *store, uint64_t frame,
		      struct region_sealed_copy *copy);
/* The restore under region_restore_frame: unseals the copy handle names
 * in store into frame, wiping the bounce buffer after when wipe_bounce.
 * Results as region_restore_frame's, without the checksum. */
int region_unseal_bytes(const struct scheme *scheme,
			const struct xf_page_id *id, struct store *store,
			store_handle_t handle, bool wipe_bounce, uint64_t frame);
/* Whether a seal by slot's chain would keep the page in frame as its
 * word (same-filled: no store copy, nothing to share). */
bool region_frame_same_filled(struct region *region, unsigned slot,
			      uint64_t frame);
/* Whether seals keep same-filled pages in their record (true; the
 * command line's same_filled=off, or a test, clears it). Read with a
 * relaxed atomic at each seal: a change applies to the next seals. */
extern bool region_same_filled_kept;
/* Restores the page's sealed copy (its record names it) into frame, read
 * in place from the store; debug builds compare the checksum. REGION_OK;
 * REGION_NO_MEMORY when the store read or the unseal lacked a resource
 * (try again later); REGION_INTEGRITY when the copy failed its MAC or
 * checksum; REGION_CORRUPT when the store does not know the handle. */
int region_restore_frame(struct region *region, uint32_t page, uint64_t frame);
/* The checksum of frame's content a seal records (debug builds; else 0). */
uint64_t region_content_checksum(uint64_t frame);
/* Frees the page's sealed copy, counting it out of bytes_stored (a
 * STORE_FREE trace record while tracing is on); returns its stored length. */
size_t region_release_sealed(struct region *region, uint32_t page);
/* Frees the copy at handle that slot's chain sealed, wiped first when it
 * must not stay in RAM (a chain with a cipher made it, or the region now
 * seals with one); *length gets its length. A store result. */
int region_free_copy(struct region *region, unsigned slot,
		     store_handle_t handle, size_t *length);
/* Frees a frame that held a clear page, wiped first when the region is
 * or was confidential. */
void region_free_clear_frame(struct region *region, uint64_t frame);

/*
 * Takes the region's lock, and before it its clear share's when it has
 * one (mm/clear_share.h): every path that changes a member's pages holds
 * the share's lock, so the share may look at and evict any member's pages.
 * Interrupts off until region_unlock.
 */
static inline unsigned long region_lock(struct region *region)
{
	if (!region->share)
		return spin_lock_irqsave(&region->lock);
	unsigned long flags = spin_lock_irqsave(&region->share->lock);
	spin_lock(&region->lock);
	return flags;
}

static inline void region_unlock(struct region *region, unsigned long flags)
{
	spin_unlock(&region->lock);
	if (region->share)
		spin_unlock_irqrestore(&region->share->lock, flags);
	else
		irq_restore(flags);
}

/* fork's two regions (mm/region_fork.c): both shares first (the parent's,
 * then the child's, a share is never taken after a region's lock), then
 * the parent's lock and the child's. */
static inline unsigned long region_lock_pair(struct region *parent,
					     struct region *child)
{
	unsigned long flags = irq_save();

	if (parent->share)
		spin_lock(&parent->share->lock);
	if (child->share && child->share != parent->share)
		spin_lock(&child->share->lock);
	spin_lock(&parent->lock);
	spin_lock(&child->lock);
	return flags;
}

static inline void region_unlock_pair(struct region *parent,
				      struct region *child, unsigned long flags)
{
	spin_unlock(&child->lock);
	spin_unlock(&parent->lock);
	if (child->share && child->share != parent->share)
		spin_unlock(&child->share->lock);
	if (parent->share)
		spin_unlock(&parent->share->lock);
	irq_restore(flags);
}

/* Pages one eviction round takes from a set of limit pages with the given
 * batch: the batch, at most a quarter of the limit (so a round never
 * empties a small set) and REGION_BATCH_MAX, at least 1. The regions' own
 * sets and clear shares both size their rounds so. */
static inline unsigned region_evict_round(uint32_t batch, uint32_t limit)
{
	uint32_t count = batch;

	if (count > limit / 4)
		count = limit / 4;
	if (count > REGION_BATCH_MAX)
		count = REGION_BATCH_MAX;
	return count ? count : 1;
}

/* Evicts pages[0..count) (clear, count <= REGION_BATCH_MAX) of a member
 * of a clear share with one invalidation round, taking the region's own
 * lock (the share's is held): the share's eviction. A page whose seal
 * fails stays clear. Returns the pages sealed. */
unsigned region_evict_pages(struct region *region, const uint32_t *pages,
			    unsigned count);

/* What a scheme change and a destruction tell the active migration
 * (mm/region_migrate.c registers them at boot; without them, as in the
 * host tests, a change stays lazy). scheme_changed: after a change, no
 * lock held; destroying: first thing in region_destroy, which frees the
 * region only once it returns (no walk may touch the region after). */
struct region_migrate_hooks {
	void (*scheme_changed)(struct region *region);
	void (*destroying)(struct region *region);
	/* Waits (sleeping) until nobody holds region (region_hold_all);
	 * first thing in region_destroy, once no new hold can be taken. */
	void (*wait_unheld)(struct region *region);
};
void region_set_migrate_hooks(const struct region_migrate_hooks *hooks);

/* Zeroed kmalloc memory for policies and clear sets (context unused),
 * and its free: the policy_env memory of regions and clear shares. */
void *region_env_alloc(void *context, size_t bytes);
void region_env_free(void *context, void *memory, size_t bytes);

/* The region containing address, or NULL. */
struct region *region_find(uintptr_t address);
/* Drops every page (destroy): frames freed, sealed copies released. */
void region_release_pages(struct region *region);

/* A page of region became sealed (pages 1, its store bytes) or left the
 * store (pages -1): its group's totals follow. Region lock held. */
static inline void region_group_count(struct region *region, int pages,
				      uint64_t bytes)
{
	struct region_group *group = region->group;

	if (!group)
		return;
	if (pages > 0) {
		uint64_t now = __atomic_add_fetch(&group->sealed_pages, 1,
						  __ATOMIC_RELAXED);
		uint64_t peak = __atomic_load_n(&group->sealed_peak,
						__ATOMIC_RELAXED);
		while (now > peak &&
		       !__atomic_compare_exchange_n(&group->sealed_peak, &peak,
						    now, true, __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED))
			;
		__atomic_add_fetch(&group->seals, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&group->seal_bytes, bytes, __ATOMIC_RELAXED);
	} else {
		__atomic_sub_fetch(&group->sealed_pages, 1, __ATOMIC_RELAXED);
	}
}

/* A shared copy (mm/region_shared_copy.c) was sealed once, of bytes, as
 * region let its frame go last: its group counts the bytes (the pages
 * naming it were counted as seals when they left, with no bytes), so the
 * group's store ratio counts each shared copy's bytes once. */
static inline void region_group_count_shared_seal(struct region *region,
						  uint64_t bytes)
{
	if (region->group)
		__atomic_add_fetch(&region->group->seal_bytes, bytes,
				   __ATOMIC_RELAXED);
}

/* The stores of a region's slots (mm/region_store.c), region lock held:
 * every slot on the config's store, nothing owned (region_init). */
void region_stores_init(struct region *region);
/* Destroys the owned stores no slot that holds pages or seals uses. */
void region_stores_retire_idle(struct region *region);
/* Whether the region can own one more store. */
bool region_stores_room(const struct region *region);
/* The region owns store from now on (true), or has no room (false). */
bool region_stores_take(struct region *region, struct store *store);
/* Destroys every owned store: the region's pages are all released. */
void region_stores_destroy(struct region *region);

#endif
