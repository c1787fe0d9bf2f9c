/*
 * Which store holds each scheme slot's sealed copies, and the stores a
 * region owns: the store swap of docs/live-swap.md. A scheme change may
 * name a new store (region_set_scheme_store); from then on the new slot
 * seals into it while the older slots' pages are read from where they
 * are until the migration (or a fault) moves them. A store the region was
 * given is destroyed once no slot that holds pages or seals uses it, so
 * the old store of a swap ends empty and goes. Region lock held in all
 * of these (the store's own locks nest inside it, as for every seal).
 */
#include <stdbool.h>
#include <stddef.h>
#include "mm/region_internal.h"
#include "mm/store.h"

/* Whether a slot of region that holds pages or seals uses store. */
static bool region_store_in_use(const struct region *region,
				const struct store *store)
{
	for (unsigned slot = 0; slot < REGION_SCHEMES_MAX; slot++) {
		if (region->slot_stores[slot] != store)
			continue;
		if (region->scheme_pages[slot] || region_slot_sealing(region, slot))
			return true;
	}
	return false;
}

/* Points the idle slots that named store back at the config's store (they
 * hold no pages: nothing reads through them) and destroys store. */
static void region_store_retire(struct region *region, unsigned owned)
{
	struct store *store = region->owned_stores[owned];

	for (unsigned slot = 0; slot < REGION_SCHEMES_MAX; slot++)
		if (region->slot_stores[slot] == store)
			region->slot_stores[slot] = region->store;
	region->owned_stores[owned] = NULL;
	store_destroy(store);
	region->stats.stores_retired++;
}

void region_stores_retire_idle(struct region *region)
{
	for (unsigned i = 0; i < REGION_SCHEMES_MAX; i++) {
		struct store *store = region->owned_stores[i];

		if (store && !region_store_in_use(region, store))
			region_store_retire(region, i);
	}
}

bool region_stores_take(struct region *region, struct store *store)
{
	for (unsigned i = 0; i < REGION_SCHEMES_MAX; i++) {
		if (region->owned_stores[i] == store)
			return true;
		if (!region->owned_stores[i]) {
			region->owned_stores[i] = store;
			return true;
		}
	}
	return false;
}

bool region_stores_room(const struct region *region)
{
	for (unsigned i = 0; i < REGION_SCHEMES_MAX; i++)
		if (!region->owned_stores[i])
			return true;
	return false;
}

void region_stores_init(struct region *region)
{
	for (unsigned slot = 0; slot < REGION_SCHEMES_MAX; slot++) {
		region->slot_stores[slot] = region->store;
		region->owned_stores[slot] = NULL;
	}
}

void region_stores_destroy(struct region *region)
{
	for (unsigned i = 0; i < REGION_SCHEMES_MAX; i++)
		if (region->owned_stores[i])
			region_store_retire(region, i);
}
