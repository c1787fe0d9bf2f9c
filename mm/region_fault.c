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

/* Makes room in the clear set, then brings the page in. */
static int region_fault_in(struct region *region, uint32_t page)
{
	while (clearset_full(&region->clear)) {
		if (region_evict_one(region) != REGION_OK)
			break;	/* over the limit for now: nothing is lost */
	}
	int result = region_transition(region, page, REGION_CAUSE_FAULT);
	if (result == REGION_OK)
		region->stats.faults++;
	return result;
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
	enum fault_response response = FAULT_HANDLED;
	if (region_record_state(region_page_record(region, page)) == REGION_CLEAR) {
		clearset_touch(&region->clear, page);	/* mapped meanwhile */
		response = FAULT_RETRY;
	} else if (region_fault_in(region, page) != REGION_OK) {
		*reason = "the region could not bring the page in "
			  "(sealed copy failed to restore, or no memory)";
		response = FAULT_ERROR;
	}
	spin_unlock_irqrestore(&region->lock, flags);
	return response;
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

	region->protection = protection;
	for (uint32_t page = 0; page < region->pages; page++) {
		if (region_record_state(region_page_record(region, page)) == REGION_CLEAR)
			region_transition(region, page, REGION_CAUSE_PROTECT);
	}
	spin_unlock_irqrestore(&region->lock, flags);
	return REGION_OK;
}

void region_release_pages(struct region *region)
{
	unsigned long flags = spin_lock_irqsave(&region->lock);

	for (uint32_t page = 0; page < region->pages; page++) {
		if (region_record_state(region_page_record(region, page)) != REGION_UNPOPULATED)
			region_transition(region, page, REGION_CAUSE_UNMAP);
	}
	spin_unlock_irqrestore(&region->lock, flags);
}
