/*
 * The system-wide scheme swap (mm/region_migrate.h): one scheme for every
 * region at once, each region's older pages moved by its own migration
 * while it runs (docs/live-swap.md, "System-wide swap"). The regions are
 * held (region_hold_all) for the whole swap, so a process that exits
 * meanwhile waits in region_destroy instead of freeing a region this is
 * changing.
 *
 * Locks: none held here; region_set_scheme and the migration take the
 * region's own, region_hold_all the registry's.
 */
#include <stdbool.h>
#include <stdint.h>
#include "mm/region_migrate.h"
#include "mm/scheme.h"
#include "mm/slab.h"

/* Regions one swap can hold (the registry's own limit is the bound). */
#define REGION_SWAP_ALL_MAX 512u
/* Tries of a change refused for want of a free slot. */
#define REGION_SWAP_ALL_TRIES 8u

/* One region to scheme, waiting for its migration when four slots still
 * hold pages. */
static int region_swap_one(struct region *region, const char *text)
{
	int result = REGION_NO_SPACE;

	for (unsigned tries = 0; tries < REGION_SWAP_ALL_TRIES; tries++) {
		result = region_set_scheme(region, text);
		if (result != REGION_NO_SPACE)
			break;
		region_migrate_start(region);
		region_migrate_wait(region);
	}
	return result;
}

int region_set_scheme_all(const char *text, bool wait,
			  struct region_swap_all_report *report)
{
	struct region **regions;
	struct scheme scheme;
	int first_failure = REGION_OK;

	*report = (struct region_swap_all_report){ 0 };
	if (scheme_parse(text, &scheme) != 0)
		return REGION_BAD_SCHEME;
	regions = kmalloc(REGION_SWAP_ALL_MAX * sizeof(*regions));
	if (!regions)
		return REGION_NO_MEMORY;
	report->regions = region_hold_all(regions, REGION_SWAP_ALL_MAX);
	for (unsigned i = 0; i < report->regions; i++) {
		int result = region_swap_one(regions[i], text);

		if (result == REGION_OK)
			report->changed++;
		else if (report->failed++ == 0)
			first_failure = result;
	}
	for (unsigned i = 0; i < report->regions; i++) {
		struct region_migrate_status status;

		if (wait)
			region_migrate_wait(regions[i]);
		region_migrate_get_status(regions[i], &status);
		report->pages_left += status.left;
	}
	region_release_held(regions, report->regions);
	kfree(regions);
	return first_failure;
}
