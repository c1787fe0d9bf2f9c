/*
 * Tiers of a region (mm/region_tier.h): where a tiered scheme's two chains
 * go, the age of a sealed page, and the walk that moves old pages of the
 * fast slot to the dense one by the RECOMPRESS transition. No thread here
 * (mm/region_tierd.c runs the walk in the kernel), so host tests drive it.
 * Every function but the hooks' callers runs under the region's lock or
 * takes it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "mm/region_internal.h"
#include "mm/region_tier.h"

static const struct region_tier_hooks *region_tier_hooks;

void region_set_tier_hooks(const struct region_tier_hooks *hooks)
{
	region_tier_hooks = hooks;
}

void region_tier_changed(struct region *region)
{
	if (region_tier_hooks)
		region_tier_hooks->changed(region);
}

void region_tier_destroying(struct region *region)
{
	if (region_tier_hooks)
		region_tier_hooks->destroying(region);
}

/* The epoch size (a shift) that puts threshold in at most
 * REGION_TIER_EPOCHS_MAX epochs, and the threshold in epochs (rounded
 * up: a page is never moved before threshold evictions, give or take an
 * epoch's phase). */
static void region_tier_set_epochs(struct region_tier *tier, uint32_t threshold)
{
	uint8_t shift = 0;

	while ((threshold >> shift) > REGION_TIER_EPOCHS_MAX)
		shift++;
	tier->threshold = threshold;
	tier->shift = shift;
	tier->threshold_epochs = (threshold + (1u << shift) - 1) >> shift;
}

void region_tier_init(struct region *region)
{
	struct region_tier *tier = &region->tier;

	memset(tier, 0, sizeof(*tier));
	tier->slot = REGION_TIER_NONE;
	tier->batch = REGION_TIER_BATCH_DEFAULT;
	tier->pause_ms = REGION_TIER_PAUSE_DEFAULT_MS;
	region_tier_set_epochs(tier, REGION_TIER_THRESHOLD_DEFAULT);
}

int region_tier_free_slot(const struct region *region,
			  const struct scheme *scheme, unsigned slot)
{
	if (!scheme_tiered(scheme))
		return REGION_TIER_NONE;
	for (unsigned i = 0; i < REGION_SCHEMES_MAX; i++) {
		if (i != slot && region->scheme_pages[i] == 0)
			return (int)i;
	}
	return -1;
}

void region_tier_place(struct region *region, const struct scheme *scheme,
		       unsigned slot, int dense_slot)
{
	region->schemes[slot] = *scheme;
	region->current_scheme = (uint8_t)slot;
	region->tier.slot = REGION_TIER_NONE;
	if (dense_slot >= 0 && dense_slot != REGION_TIER_NONE) {
		scheme_dense_tier(scheme, &region->schemes[dense_slot]);
		region->tier.slot = (uint8_t)dense_slot;
	}
	region->tier.cursor = 0;
	region->tier.sweep_work = 0;
	region->tier.idle = false;
}

int region_tier_drain_cause(const struct region *region, unsigned slot)
{
	if (region->tier.slot != REGION_TIER_NONE &&
	    region->schemes[slot].dense_tier)
		return REGION_CAUSE_RECOMPRESS;
	return REGION_CAUSE_RESEAL;
}

/* The region's eviction clock in epochs. */
static uint32_t region_tier_epoch(const struct region *region)
{
	return (uint32_t)(region->stats.evictions >> region->tier.shift);
}

unsigned region_tier_stamp(const struct region *region)
{
	return region_tier_epoch(region) & 0xffu;
}

/* Whether page is a candidate: sealed by the fast chain, not left by an
 * earlier try, sealed threshold evictions ago or more. */
static bool region_tier_cold(const struct region *region,
			     const struct region_page *record)
{
	if (region_record_state(record) != REGION_SEALED ||
	    region_record_slot(record) != region->current_scheme ||
	    region_record_tier_kept(record))
		return false;
	uint32_t age = (region_tier_epoch(region) -
			region_record_tier_stamp(record)) & 0xffu;
	return age >= region->tier.threshold_epochs;
}

/* Moves one cold page; a copy that fails its check is poisoned, as a
 * fault would. true when the page was moved, kept or poisoned. */
static bool region_tier_page(struct region *region, uint32_t page)
{
	int result = region_transition(region, page, REGION_CAUSE_RECOMPRESS);

	if (result == REGION_OK)
		return true;
	if (result == REGION_INTEGRITY &&
	    region_transition(region, page, REGION_CAUSE_POISON) == REGION_OK) {
		region->tier.poisoned++;
		return true;
	}
	region->tier.failed++;	/* no memory, store full: it stays */
	return false;
}

unsigned region_tier_hold(struct region *region)
{
	struct region_tier *tier = &region->tier;
	unsigned moved = 0;

	tier->holds++;
	if (tier->slot == REGION_TIER_NONE) {
		tier->idle = true;
		return 0;
	}
	for (uint32_t scanned = 0; scanned < REGION_TIER_SCAN &&
				   moved < tier->batch; scanned++) {
		uint32_t page = tier->cursor;
		tier->cursor = page + 1 == region->pages ? 0 : page + 1;
		if (tier->cursor == 0) {	/* a sweep ends */
			tier->idle = tier->sweep_work == 0;
			tier->sweep_work = 0;
		}
		if (!region_tier_cold(region, region_page_record(region, page)))
			continue;
		tier->sweep_work++;
		tier->idle = false;
		moved += region_tier_page(region, page);
	}
	return moved;
}

uint64_t region_tier_settle(struct region *region)
{
	uint64_t moved = 0, holds = 0;

	/* The sweep under way counts as one with work: idle then says that
	 * a whole sweep from now on found nothing (with the clock still, no
	 * page turns cold meanwhile). A hold scans a record at least, so
	 * four sweeps' worth of holds bound the loop under a workload. */
	unsigned long flags = region_lock(region);
	region->tier.idle = false;
	region->tier.sweep_work = 1;
	uint64_t bound = 4ull * region->pages + 8;
	region_unlock(region, flags);
	for (bool idle = false; !idle && holds < bound; holds++) {
		flags = region_lock(region);
		moved += region_tier_hold(region);
		idle = region->tier.idle;
		region_unlock(region, flags);
	}
	return moved;
}

int region_tier_set(struct region *region, uint32_t threshold,
		    uint32_t batch, uint32_t pause_ms)
{
	if (batch == 0 || batch > REGION_TIER_BATCH_MAX || pause_ms > 60000u)
		return REGION_BAD_ARGUMENT;
	unsigned long flags = region_lock(region);
	region_tier_set_epochs(&region->tier, threshold);
	region->tier.batch = batch;
	region->tier.pause_ms = pause_ms;
	region->tier.idle = false;
	region_unlock(region, flags);
	return REGION_OK;
}

void region_tier_get_status(struct region *region,
			    struct region_tier_status *status)
{
	memset(status, 0, sizeof(*status));
	unsigned long flags = spin_lock_irqsave(&region->lock);	/* reads */
	const struct region_tier *tier = &region->tier;
	status->tiered = tier->slot != REGION_TIER_NONE;
	status->fast_slot = region->current_scheme;
	status->dense_slot = tier->slot;
	status->fast_pages = region->scheme_pages[region->current_scheme];
	if (status->tiered)
		status->dense_pages = region->scheme_pages[tier->slot];
	status->recompressed = region->stats.recompressed;
	status->kept = region->stats.tier_kept;
	status->failed = tier->failed;
	status->poisoned = tier->poisoned;
	status->holds = tier->holds;
	status->threshold = tier->threshold;
	status->batch = tier->batch;
	status->pause_ms = tier->pause_ms;
	status->running = tier->started;
	spin_unlock_irqrestore(&region->lock, flags);
}
