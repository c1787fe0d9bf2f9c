/*
 * The entry points of a region page's life (mm/region.h): the fault owner
 * of the region area, the eviction the clear set asks for, and the explicit
 * purges. Each is a few lines around region_transition()
 * (mm/region_transition.c), where every change of a page's state happens.
 *
 * Nothing here loses a page: a seal that fails leaves the page clear and
 * mapped (the eviction is skipped and counted), and a sealed copy is freed
 * only after the page it held has been restored and mapped.
 *
 * Lock order: a region's clear share when it has one (mm/clear_share.h),
 * then the region's lock, then what region_transition takes (see the top
 * of mm/region_transition.c). The registry lock (region_find) is taken
 * and dropped before a region's lock.
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "mm/clearset.h"
#include "mm/frame.h"
#include "mm/region_internal.h"
#include "mm/trace.h"
#include "mm/vmm.h"

/* Evicts the policy's victim; on a failed seal the victim stays clear.
 * True when it was sealed. */
static bool region_evict_one(struct region *region)
{
	uint32_t victim = clearset_pick_victim(&region->clear);

	if (victim == POLICY_NO_PAGE)
		return false;
	return region_transition(region, victim, REGION_CAUSE_EVICT) == REGION_OK;
}

unsigned region_evict_pages(struct region *region, const uint32_t *pages,
			    unsigned count)
{
	int results[REGION_BATCH_MAX];

	KASSERT(count <= REGION_BATCH_MAX);
	spin_lock(&region->lock);
	unsigned sealed = region_transition_batch(region, pages, count,
						  REGION_CAUSE_EVICT, results);
	spin_unlock(&region->lock);
	return sealed;
}

/* Pages a full clear set gives up at once: the region's batch, but at
 * most a quarter of the set's limit (at least 1), so that a batch never
 * empties a small set. */
static uint32_t region_evict_count(const struct region *region)
{
	return region_evict_round(region->evict_batch, region->clear.limit);
}

/* Evicts the policy's next region_evict_count victims with one invalidation
 * round (docs/tlb-events.md, "Batching"); a victim whose seal fails stays
 * clear (mapped again), one whose PTE did not change stays in the set.
 * True when at least one was sealed. */
static bool region_evict_batch(struct region *region)
{
	uint32_t victims[REGION_BATCH_MAX];
	int results[REGION_BATCH_MAX];
	unsigned count = clearset_take_victims(&region->clear, victims,
					       region_evict_count(region));

	if (count == 0)
		return false;
	unsigned sealed = region_transition_batch(region, victims, count,
						  REGION_CAUSE_EVICT, results);
	for (unsigned i = 0; i < count; i++) {
		if (results[i] != REGION_OK &&
		    clearset_leaving(&region->clear, victims[i]))
			clearset_keep(&region->clear, victims[i]);
	}
	return sealed > 0;
}

/* A clear set sized in percent follows the region's populated pages, the
 * page coming in included: its limit grows as the program touches more
 * memory (and never shrinks below what the region was created with). */
static void region_follow_clear_percent(struct region *region, uint32_t page)
{
	if (region->clear_percent == 0)
		return;
	uint64_t populated = region->clear.resident + region->stats.sealed_pages +
			     (region_record_state(region_page_record(region, page)) ==
			      REGION_UNPOPULATED);
	uint64_t limit = populated * region->clear_percent / 100;
	if (limit < region->clear_floor)
		limit = region->clear_floor;
	if (limit > region->pages)
		limit = region->pages;
	if (limit > region->clear.limit)
		region->clear.limit = (uint32_t)limit;
}

/* Makes room in the clear set, then brings the page in; a copy that
 * fails its integrity check poisons the page. */
static int region_fault_in(struct region *region, uint32_t page)
{
	region_follow_clear_percent(region, page);
	while (clearset_full(&region->clear)) {
		bool evicted = region_evict_count(region) > 1 ?
				       region_evict_batch(region) :
				       region_evict_one(region);
		if (!evicted)
			break;	/* over the limit for now: nothing is lost */
	}
	int result = region_transition(region, page, REGION_CAUSE_FAULT);
	if (result == REGION_OK) {
		region->stats.faults++;
		if (region->group)
			__atomic_add_fetch(&region->group->faults, 1,
					   __ATOMIC_RELAXED);
	}
	else if (result == REGION_INTEGRITY &&
		 region_transition(region, page, REGION_CAUSE_POISON) != REGION_OK)
		log_error("region %s: page %u: could not be marked poisoned",
			  region->name, page);
	return result;
}

/* A short reason for a fault the region could not serve. */
static const char *region_fault_error_reason(int result)
{
	switch (result) {
	case REGION_NO_MEMORY:
		return "the region could not bring the page in now (no frame, "
		       "no page-table page, or the store refused the read)";
	case REGION_INTEGRITY:
	case REGION_PAGE_POISONED:
		return "the page is poisoned: its sealed copy failed its "
		       "integrity check";
	default:
		return "the region could not bring the page in (its sealed "
		       "copy is not in the store, or its PTE is corrupt)";
	}
}

/* Whether a write to page, present, needs a frame of its own: its frame
 * is shared copy-on-write and the region allows writes. */
static bool region_fault_wants_private(struct region *region, uint32_t page,
				       bool write)
{
	return write && (region->protection & VMM_WRITE) &&
	       region_record_shared(region_page_record(region, page));
}

/* Brings page in unless it is present (touched) or poisoned; a write to a
 * present page shared copy-on-write gives it a frame of its own. Lock
 * held. */
static int region_fault_locked(struct region *region, uint32_t page, bool write)
{
	enum region_page_state state =
		region_record_state(region_page_record(region, page));

	if (state == REGION_CLEAR) {
		clearset_touch(&region->clear, page);
		if (region_fault_wants_private(region, page, write))
			return region_transition(region, page, REGION_CAUSE_WRITE);
		return REGION_OK;
	}
	if (state == REGION_POISONED)
		return REGION_PAGE_POISONED;
	return region_fault_in(region, page);
}

/* Why a fault in the region area is not the region's to serve, or NULL. */
static const char *region_fault_refusal(const struct fault *fault)
{
	if (fault->user)
		return "user-mode access to a kernel region";
	if (fault->reserved)
		return "reserved bit set in a region's page-table entry";
	if (fault->present)
		return "protection violation on a present region page";
	return NULL;
}

/* How a fault found its page. */
struct region_fault_before {
	enum region_page_state state;
	bool private_copy;	/* clear and shared, written: made its own */
};

/* Brings page in as region_fault_locked does, taking the region's lock;
 * *before gets the page's state before. */
static int region_fault_under_lock(struct region *region, uint32_t page,
				   bool write, struct region_fault_before *before)
{
	unsigned long flags;

	if (region->share) {
		/* Room first, the share's victims taken from any member under
		 * that member's lock; then this region's lock for the page. */
		flags = spin_lock_irqsave(&region->share->lock);
		enum region_page_state state =
			region_record_state(region_page_record(region, page));
		if (state == REGION_UNPOPULATED || state == REGION_SEALED)
			clear_share_make_room(region->share, region,
					      state == REGION_UNPOPULATED);
		spin_lock(&region->lock);
	} else {
		flags = spin_lock_irqsave(&region->lock);
	}
	before->state = region_record_state(region_page_record(region, page));
	before->private_copy = before->state == REGION_CLEAR &&
			       region_fault_wants_private(region, page, write);
	int result = region_fault_locked(region, page, write);
	region_unlock(region, flags);
	return result;
}

/* What the trap layer does after a served fault: a page found present
 * had been mapped meanwhile (retry), unless this fault changed it. */
static enum fault_response region_fault_served(
	const struct region_fault_before *before)
{
	return before->state == REGION_CLEAR && !before->private_copy ?
		       FAULT_RETRY : FAULT_HANDLED;
}

/* What a fault came to, for the trace, from its result and the page's
 * state before it: sealed pages are restored, unpopulated ones
 * zero-filled, clear ones were present already (mapped meanwhile). */
static enum trace_fault_outcome region_fault_outcome(int result,
						     enum region_page_state before)
{
	if (result != REGION_OK)
		return TRACE_OUTCOME_REFUSED;
	if (before == REGION_CLEAR)
		return TRACE_OUTCOME_PRESENT;
	return before == REGION_SEALED ? TRACE_OUTCOME_RESTORED :
					 TRACE_OUTCOME_ZERO_FILLED;
}

/* Serves a fault in the region area; the trace brackets it with
 * FAULT_ENTER and FAULT_RETURN (mm/trace.h) while tracing is on. */
enum fault_response region_handle_fault(struct fault_owner *owner,
					const struct fault *fault,
					const char **reason)
{
	struct region *region = region_find(fault->address);
	uint32_t region_id = region ? (uint32_t)region->id : 0;
	uint64_t page_address = fault->address & ~(uint64_t)(FRAME_BYTES - 1);
	struct region_fault_before before = { REGION_UNPOPULATED, false };
	int result = REGION_BAD_ARGUMENT;	/* until the region serves it */

	(void)owner;
	trace_fault_enter(region_id, page_address);
	*reason = region ? region_fault_refusal(fault) :
			   "no region at this address (a gap or a guard page)";
	if (!*reason) {
		result = region_fault_under_lock(region, (uint32_t)(
			(fault->address - region->base) / FRAME_BYTES), false,
			&before);
		if (result != REGION_OK)
			*reason = region_fault_error_reason(result);
	}
	trace_fault_return(region_id, page_address,
			   region_fault_outcome(result, before.state));
	if (result != REGION_OK)
		return FAULT_ERROR;
	return region_fault_served(&before);
}

/* Brings page in as a traced fault: FAULT_ENTER, the fault under the
 * region's lock, FAULT_RETURN with its outcome. The region's result;
 * *before says how the page was found. */
static int region_fault_traced(struct region *region, uint32_t page,
			       bool write, struct region_fault_before *before)
{
	uint64_t address = (uint64_t)(uintptr_t)region_page_address(region, page);

	trace_fault_enter((uint32_t)region->id, address);
	int result = region_fault_under_lock(region, page, write, before);
	trace_fault_return((uint32_t)region->id, address,
			   region_fault_outcome(result, before->state));
	return result;
}

enum fault_response region_serve_fault(struct region *region, uint32_t page,
				       enum fault_access access,
				       const char **reason, int *result)
{
	struct region_fault_before before;

	*result = region_fault_traced(region, page, access == FAULT_ACCESS_WRITE,
				      &before);
	if (*result != REGION_OK) {
		*reason = region_fault_error_reason(*result);
		return FAULT_ERROR;
	}
	return region_fault_served(&before);
}

/* The fault of a workload that takes no trap (the demo's): traced as one. */
int region_fault_page(struct region *region, uint32_t page)
{
	struct region_fault_before before;

	if (page >= region->pages)
		return REGION_BAD_ARGUMENT;
	return region_fault_traced(region, page, false, &before);
}

int region_unmap_page(struct region *region, uint32_t page)
{
	if (page >= region->pages)
		return REGION_BAD_ARGUMENT;
	unsigned long flags = region_lock(region);
	int result = REGION_OK;
	if (region_record_state(region_page_record(region, page)) != REGION_UNPOPULATED)
		result = region_transition(region, page, REGION_CAUSE_UNMAP);
	region_unlock(region, flags);
	return result;
}

int region_purge_page(struct region *region, uint32_t page)
{
	if (page >= region->pages)
		return REGION_BAD_ARGUMENT;
	unsigned long flags = region_lock(region);
	int result = REGION_OK;
	if (region_record_state(region_page_record(region, page)) == REGION_CLEAR)
		result = region_transition(region, page, REGION_CAUSE_PURGE);
	region_unlock(region, flags);
	return result;
}

/* Whether a page in state takes part in a range operation for cause. */
static bool region_range_wants(enum region_page_state state,
			       enum region_cause cause)
{
	if (cause == REGION_CAUSE_UNMAP)
		return state != REGION_UNPOPULATED;
	return state == REGION_CLEAR;	/* purge, protection change */
}

/*
 * Runs the pages [first, first + count) that cause concerns through their
 * rows, REGION_BATCH_MAX at a time with one invalidation round each. The
 * region's lock is held. The first failure, or REGION_OK; a failure does
 * not stop the rest.
 */
static int region_range_locked(struct region *region, uint32_t first,
			       uint32_t count, enum region_cause cause)
{
	uint32_t pages[REGION_BATCH_MAX];
	int results[REGION_BATCH_MAX];
	unsigned gathered = 0;
	int result = REGION_OK;

	for (uint32_t page = first; page - first < count; page++) {
		if (region_range_wants(region_record_state(
				region_page_record(region, page)), cause))
			pages[gathered++] = page;
		if (gathered < REGION_BATCH_MAX && page - first + 1 < count)
			continue;
		region_transition_batch(region, pages, gathered, cause, results);
		for (unsigned i = 0; i < gathered && result == REGION_OK; i++)
			result = results[i];
		gathered = 0;
	}
	return result;
}

/* region_range_locked under the region's lock, with its arguments checked. */
static int region_range(struct region *region, uint32_t first, uint32_t count,
			enum region_cause cause)
{
	if (first > region->pages || count > region->pages - first)
		return REGION_BAD_ARGUMENT;
	unsigned long flags = region_lock(region);
	int result = region_range_locked(region, first, count, cause);
	region_unlock(region, flags);
	return result;
}

int region_purge_range(struct region *region, uint32_t first, uint32_t count)
{
	return region_range(region, first, count, REGION_CAUSE_PURGE);
}

int region_unmap_range(struct region *region, uint32_t first, uint32_t count)
{
	return region_range(region, first, count, REGION_CAUSE_UNMAP);
}

int region_protect(struct region *region, unsigned protection)
{
	unsigned long flags = region_lock(region);

	region->protection = protection;
	int result = region_range_locked(region, 0, region->pages,
					 REGION_CAUSE_PROTECT);
	region_unlock(region, flags);
	return result;
}

/* Dropping never allocates; a failure is a PTE that does not match the
 * record (logged and counted there): its frame or copy is left where it
 * is rather than freed twice. */
void region_release_pages(struct region *region)
{
	(void)region_range(region, 0, region->pages, REGION_CAUSE_UNMAP);
}

int region_set_evict_batch(struct region *region, uint32_t batch)
{
	if (batch == 0 || batch > REGION_BATCH_MAX)
		return REGION_BAD_ARGUMENT;
	unsigned long flags = spin_lock_irqsave(&region->lock);
	region->evict_batch = batch;
	spin_unlock_irqrestore(&region->lock, flags);
	return REGION_OK;
}
