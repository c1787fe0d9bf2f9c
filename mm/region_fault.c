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
 * Lock order: a region's lock, then what region_transition takes (see the
 * top of mm/region_transition.c). The registry lock (region_find) is taken
 * and dropped before a region's lock.
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/lib/printk.h"
#include "mm/clearset.h"
#include "mm/frame.h"
#include "mm/region_internal.h"

/* Evicts the policy's victim; on a failed seal the victim stays clear. */
static int region_evict_one(struct region *region)
{
	uint32_t victim = clearset_pick_victim(&region->clear);

	if (victim == POLICY_NO_PAGE)
		return REGION_BAD_ARGUMENT;
	return region_transition(region, victim, REGION_CAUSE_EVICT);
}

/* Makes room in the clear set, then brings the page in; a copy that
 * fails its integrity check poisons the page. */
static int region_fault_in(struct region *region, uint32_t page)
{
	while (clearset_full(&region->clear)) {
		if (region_evict_one(region) != REGION_OK)
			break;	/* over the limit for now: nothing is lost */
	}
	int result = region_transition(region, page, REGION_CAUSE_FAULT);
	if (result == REGION_OK)
		region->stats.faults++;
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

/* Brings page in unless it is present (touched) or poisoned. Lock held. */
static int region_fault_locked(struct region *region, uint32_t page)
{
	enum region_page_state state =
		region_record_state(region_page_record(region, page));

	if (state == REGION_CLEAR) {
		clearset_touch(&region->clear, page);
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

enum fault_response region_handle_fault(struct fault_owner *owner,
					const struct fault *fault,
					const char **reason)
{
	struct region *region = region_find(fault->address);

	(void)owner;
	*reason = region ? region_fault_refusal(fault) :
			   "no region at this address (a gap or a guard page)";
	if (*reason)
		return FAULT_ERROR;
	uint32_t page = (uint32_t)((fault->address - region->base) / FRAME_BYTES);
	unsigned long flags = spin_lock_irqsave(&region->lock);
	bool mapped_meanwhile = region_record_state(
		region_page_record(region, page)) == REGION_CLEAR;
	int result = region_fault_locked(region, page);
	spin_unlock_irqrestore(&region->lock, flags);
	if (result != REGION_OK) {
		*reason = region_fault_error_reason(result);
		return FAULT_ERROR;
	}
	return mapped_meanwhile ? FAULT_RETRY : FAULT_HANDLED;
}

int region_fault_page(struct region *region, uint32_t page)
{
	if (page >= region->pages)
		return REGION_BAD_ARGUMENT;
	unsigned long flags = spin_lock_irqsave(&region->lock);
	int result = region_fault_locked(region, page);
	spin_unlock_irqrestore(&region->lock, flags);
	return result;
}

int region_unmap_page(struct region *region, uint32_t page)
{
	if (page >= region->pages)
		return REGION_BAD_ARGUMENT;
	unsigned long flags = spin_lock_irqsave(&region->lock);
	int result = REGION_OK;
	if (region_record_state(region_page_record(region, page)) != REGION_UNPOPULATED)
		result = region_transition(region, page, REGION_CAUSE_UNMAP);
	spin_unlock_irqrestore(&region->lock, flags);
	return result;
}

int region_purge_page(struct region *region, uint32_t page)
{
	if (page >= region->pages)
		return REGION_BAD_ARGUMENT;
	unsigned long flags = spin_lock_irqsave(&region->lock);
	int result = REGION_OK;
	if (region_record_state(region_page_record(region, page)) == REGION_CLEAR)
		result = region_transition(region, page, REGION_CAUSE_PURGE);
	spin_unlock_irqrestore(&region->lock, flags);
	return result;
}

int region_protect(struct region *region, unsigned protection)
{
	unsigned long flags = spin_lock_irqsave(&region->lock);
	int result = REGION_OK;

	region->protection = protection;
	for (uint32_t page = 0; page < region->pages; page++) {
		if (region_record_state(region_page_record(region, page)) != REGION_CLEAR)
			continue;
		int changed = region_transition(region, page, REGION_CAUSE_PROTECT);
		if (result == REGION_OK)
			result = changed;	/* the first failure; the rest go on */
	}
	spin_unlock_irqrestore(&region->lock, flags);
	return result;
}

void region_release_pages(struct region *region)
{
	unsigned long flags = spin_lock_irqsave(&region->lock);

	for (uint32_t page = 0; page < region->pages; page++) {
		if (region_record_state(region_page_record(region, page)) ==
		    REGION_UNPOPULATED)
			continue;
		/* Dropping never allocates; a failure is a PTE that does not
		 * match the record (logged and counted there): its frame or
		 * copy is left where it is rather than freed twice. */
		(void)region_transition(region, page, REGION_CAUSE_UNMAP);
	}
	spin_unlock_irqrestore(&region->lock, flags);
}
