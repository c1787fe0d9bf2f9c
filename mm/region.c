/*
 * Transformed regions (mm/region.h): creation, destruction, the registry,
 * scheme changes and statistics. The fault path, eviction and the explicit
 * purges are in mm/region_fault.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "mm/region.h"
#include "mm/fault.h"
#include "mm/region_internal.h"
#include "mm/slab.h"
#include "mm/vmm.h"

#define REGION_MAX 512	/* kernel regions and every process mapping */

/* Protects region_table, region_count, region_next_base, region_next_id
 * and the registration of region_fault_owner. Lock order: the registry
 * first, then a region's lock (region_for_each's callbacks take it) or the
 * fault-owner table's lock; a region's lock is never held when the
 * registry is taken (region_find drops it before the fault takes one). */
/* The active migration's hooks (mm/region_internal.h), set once at boot. */
static const struct region_migrate_hooks *region_migrate_hooks;

void region_set_migrate_hooks(const struct region_migrate_hooks *hooks)
{
	region_migrate_hooks = hooks;
}

static struct spinlock region_registry_lock = SPINLOCK_INIT("region_registry");
static struct region *region_table[REGION_MAX];
static unsigned region_count;
static uintptr_t region_next_base;
static uint64_t region_next_id = 1;

void *region_env_alloc(void *context, size_t bytes)
{
	void *memory = kmalloc(bytes);

	(void)context;
	if (memory)
		memset(memory, 0, bytes);
	return memory;
}

void region_env_free(void *context, void *memory, size_t bytes)
{
	(void)context;
	(void)bytes;
	kfree(memory);
}

static bool region_env_referenced(void *context, uint32_t page)
{
	struct region *region = context;

	return vmm_test_and_clear_accessed(region->space,
					   (uintptr_t)region_page_address(region, page));
}

static const struct fault_owner_ops region_fault_owner_ops = {
	.name = "regions",
	.handle = region_handle_fault,
};

/* The owner of the whole region area: one for every region, registered
 * with the first (registry lock held). */
static struct fault_owner region_fault_owner = {
	.ops = &region_fault_owner_ops,
};

static int region_own_area(uintptr_t area_base, uintptr_t area_size)
{
	if (region_fault_owner.end)
		return REGION_OK;
	region_fault_owner.start = area_base;
	region_fault_owner.end = area_base + area_size;
	if (fault_owner_register(&region_fault_owner) != FAULT_OWNER_OK) {
		region_fault_owner.end = 0;
		return REGION_NO_SPACE;
	}
	return REGION_OK;
}

/* Reserves virtual space (with an unmapped page after it, so an overrun
 * of one region faults instead of reaching the next) and an id. */
static int region_register(struct region *region)
{
	uintptr_t area_base, area_size;
	unsigned long flags = spin_lock_irqsave(&region_registry_lock);
	int result = REGION_OK;

	vmm_region_area(&area_base, &area_size);
	if (region_next_base == 0)
		region_next_base = area_base;
	uint64_t bytes = ((uint64_t)region->pages + 1) * 4096u;
	if (region->space != vmm_kernel_space()) {
		/* Placed by its owner (a process): listed, not in the area. */
		if (region_count == REGION_MAX) {
			result = REGION_NO_SPACE;
		} else {
			region->id = region_next_id++;
			region_table[region_count++] = region;
		}
	} else if (region_own_area(area_base, area_size) != REGION_OK)
		result = REGION_NO_SPACE;
	else if (region_count == REGION_MAX ||
	    bytes > area_base + area_size - region_next_base) {
		result = REGION_NO_SPACE;
	} else {
		region->base = region_next_base;
		region->id = region_next_id++;
		region_next_base += bytes;
		region_table[region_count++] = region;
	}
	spin_unlock_irqrestore(&region_registry_lock, flags);
	return result;
}

static void region_unregister(struct region *region)
{
	unsigned long flags = spin_lock_irqsave(&region_registry_lock);

	for (unsigned i = 0; i < region_count; i++) {
		if (region_table[i] == region) {
			region_table[i] = region_table[--region_count];
			break;
		}
	}
	spin_unlock_irqrestore(&region_registry_lock, flags);
}

struct region *region_find(uintptr_t address)
{
	unsigned long flags = spin_lock_irqsave(&region_registry_lock);
	struct region *found = NULL;

	struct vmm_space *kernel = vmm_kernel_space();

	/* Processes' regions are listed too: their user addresses never
	 * hold a kernel fault's address, and another space's never count. */
	for (unsigned i = 0; i < region_count; i++) {
		struct region *r = region_table[i];
		if (address >= r->base &&
		    address - r->base < (uint64_t)r->pages * 4096u &&
		    r->space == kernel) {
			found = r;
			break;
		}
	}
	spin_unlock_irqrestore(&region_registry_lock, flags);
	return found;
}

/* Zeroed records: every page starts UNPOPULATED. */
static int region_alloc_records(struct region *region)
{
	region->records = region_env_alloc(NULL, (size_t)region->pages *
						   sizeof(*region->records));
	return region->records ? REGION_OK : REGION_NO_MEMORY;
}

static int region_init(struct region *region, const struct region_config *config)
{
	struct policy_env env = {
		.alloc = region_env_alloc,
		.free = region_env_free,
		.test_and_clear_referenced = region_env_referenced,
		.context = region,
	};

	ksnprintf(region->name, sizeof(region->name), "%s",
		  config->name ? config->name : "region");
	region->pages = config->pages;
	region->space = config->space ? config->space : vmm_kernel_space();
	region->base = config->space ? config->base : 0;
	region->group = config->group;
	region->store = config->store;
	region_stores_init(region);
	region->protection = config->protection ? config->protection :
						  VMM_READ | VMM_WRITE;
	region->poisoned = config->poisoned;
	region->owner_context = config->owner_context;
	region->evict_batch = config->evict_batch ? config->evict_batch :
						    REGION_EVICT_BATCH_DEFAULT;
	region->share = config->share;
	/* In a share, the share bounds and orders the pages: the region's
	 * own set only keeps membership and never fills. */
	region->clear_percent = config->share ? 0 : config->clear_percent;
	region->clear_floor = config->clear_limit;
	spin_init(&region->lock, "region");
	region_tier_init(region);
	struct scheme scheme;
	if (scheme_parse(config->scheme, &scheme) != 0)
		return REGION_BAD_SCHEME;
	region_tier_place(region, &scheme, 0,
			  region_tier_free_slot(region, &scheme, 0));
	if (region_alloc_records(region) != REGION_OK)
		return REGION_NO_MEMORY;
	if (clearset_init(&region->clear,
			  config->share ? &policy_clear_share :
					  region->schemes[0].policy,
			  &env, region->pages,
			  config->share ? region->pages : config->clear_limit) != 0)
		return REGION_NO_MEMORY;
	return REGION_OK;
}

int region_create(const struct region_config *config, struct region **out)
{
	struct region *region;
	int result;

	if (!config || !config->scheme || !config->store || config->pages == 0 ||
	    config->clear_limit == 0 || config->clear_limit > config->pages ||
	    config->evict_batch > REGION_EVICT_BATCH_MAX ||
	    config->clear_percent > 100)
		return REGION_BAD_ARGUMENT;
	region = region_env_alloc(NULL, sizeof(*region));
	if (!region)
		return REGION_NO_MEMORY;
	result = region_init(region, config);
	if (result == REGION_OK && region->share &&
	    clear_share_join(region->share, region) != 0)
		result = REGION_NO_MEMORY;
	else if (result == REGION_OK && (result = region_register(region)) !=
						REGION_OK && region->share)
		clear_share_leave(region->share, region);
	if (result != REGION_OK) {
		if (region->clear.member)
			clearset_destroy(&region->clear);
		kfree(region->records);
		kfree(region);
		return result;
	}
	*out = region;
	region_tier_changed(region);
	return REGION_OK;
}

/* No new hold from now on; then the holds taken before are waited for. */
static void region_wait_unheld(struct region *region)
{
	unsigned long flags = spin_lock_irqsave(&region_registry_lock);

	region->dying = true;
	spin_unlock_irqrestore(&region_registry_lock, flags);
	if (region_migrate_hooks && region_migrate_hooks->wait_unheld)
		region_migrate_hooks->wait_unheld(region);
}

unsigned region_hold_all(struct region **regions, unsigned max)
{
	unsigned long flags = spin_lock_irqsave(&region_registry_lock);
	unsigned count = 0;

	for (unsigned i = 0; i < region_count && count < max; i++) {
		if (region_table[i]->dying)
			continue;
		__atomic_add_fetch(&region_table[i]->holders, 1, __ATOMIC_ACQUIRE);
		regions[count++] = region_table[i];
	}
	spin_unlock_irqrestore(&region_registry_lock, flags);
	return count;
}

void region_release_held(struct region **regions, unsigned count)
{
	for (unsigned i = 0; i < count; i++)
		__atomic_sub_fetch(&regions[i]->holders, 1, __ATOMIC_RELEASE);
}

void region_destroy(struct region *region)
{
	region_wait_unheld(region);	/* a system-wide change is done with it */
	region_tier_destroying(region);	/* its tier walk stopped first */
	if (region_migrate_hooks)	/* its walk stopped first */
		region_migrate_hooks->destroying(region);
	region_unregister(region);
	region_release_pages(region);
	region_stores_destroy(region);	/* every page has left them */
	if (region->share)
		clear_share_leave(region->share, region);
	clearset_destroy(&region->clear);
	kfree(region->records);
	kfree(region);
}

/* A slot for a new scheme: the current one if it seals nothing, else one
 * without sealed pages; -1 when every slot still holds pages. */
static int region_free_scheme_slot(struct region *region)
{
	if (region->scheme_pages[region->current_scheme] == 0)
		return region->current_scheme;
	for (int i = 0; i < REGION_SCHEMES_MAX; i++) {
		if (region->scheme_pages[i] == 0)
			return i;
	}
	return -1;
}

/*
 * A change to a scheme with a cipher: pages sealed by an older chain
 * without one are brought back and sealed again by the new chain, their
 * old copies wiped as they are freed, so that no page of a region that
 * says it is confidential stays readable in RAM. One page per hold of the
 * region's lock (at most REGION_RESEAL_SCAN records looked at), so that
 * faults on other CPUs wait at most one reseal, never the whole walk. A
 * page that cannot be moved now (no memory, the store full) stays under
 * its old chain and is counted (region_chains). Called without the lock.
 */
#define REGION_RESEAL_SCAN 64u

static void region_reseal_unencrypted(struct region *region)
{
	for (uint32_t page = 0; page < region->pages;) {
		unsigned long flags = region_lock(region);
		uint32_t end = region->pages - page > REGION_RESEAL_SCAN ?
				       page + REGION_RESEAL_SCAN : region->pages;
		for (; page < end; page++) {
			const struct region_page *record =
				region_page_record(region, page);
			if (region_record_state(record) != REGION_SEALED ||
			    scheme_confidential(&region->schemes[
				    region_record_slot(record)]))
				continue;
			/* an old dense tier's page to the new one, if any */
			region_transition(region, page, region_tier_drain_cause(
				region, region_record_slot(record)));
			page++;
			break;	/* one reseal per hold */
		}
		region_unlock(region, flags);
	}
}

/* The new sealing slot (and its dense tier) seal into store, or into the
 * store the sealing slot used until now; a store given is the region's.
 * Region lock held, after region_tier_place. */
static void region_place_store(struct region *region, struct store *store,
			       struct store *sealing_before)
{
	struct store *sealing = store ? store : sealing_before;

	region->slot_stores[region->current_scheme] = sealing;
	if (region->tier.slot != REGION_TIER_NONE)
		region->slot_stores[region->tier.slot] = sealing;
	if (store)
		region_stores_take(region, store);	/* room checked */
	region_stores_retire_idle(region);
}

int region_set_scheme(struct region *region, const char *text)
{
	return region_set_scheme_store(region, text, NULL);
}

int region_set_scheme_store(struct region *region, const char *text,
			    struct store *store)
{
	struct scheme scheme;
	int result = REGION_OK;
	bool policy_only;

	if (scheme_parse(text, &scheme) != 0)
		return REGION_BAD_SCHEME;
	unsigned long flags = region_lock(region);
	struct store *sealing_before = region_slot_store(region,
							 region->current_scheme);
	int slot = region_free_scheme_slot(region);
	/* The chain stays: only the policy changes, in the sealing slot, and
	 * no page has anything to move (docs/live-swap.md, "Policy
	 * hand-over"). Tiered schemes, before or after, take the general
	 * path: their second slot is placed with the chain. */
	policy_only = !store && !scheme_tiered(&scheme) &&
		      region->tier.slot == REGION_TIER_NONE &&
		      scheme_same_chain(&scheme,
					&region->schemes[region->current_scheme]);
	if (policy_only)
		slot = region->current_scheme;
	int dense_slot = slot < 0 ? -1 :
			 region_tier_free_slot(region, &scheme, (unsigned)slot);
	if (store)	/* the slot being replaced may have held the last */
		region_stores_retire_idle(region);
	if (slot < 0 || dense_slot < 0 || (store && !region_stores_room(region))) {
		result = REGION_NO_SPACE;
	} else if (!region->share &&
		   clearset_set_policy(&region->clear, scheme.policy) != 0) {
		result = REGION_NO_MEMORY;
	} else {
		region_tier_place(region, &scheme, (unsigned)slot, dense_slot);
		region_place_store(region, store, sealing_before);
	}
	region_unlock(region, flags);
	if (result == REGION_OK && policy_only)
		return REGION_OK;
	if (result == REGION_OK && scheme_confidential(&scheme))
		region_reseal_unencrypted(region);
	if (result == REGION_OK && region_migrate_hooks)
		region_migrate_hooks->scheme_changed(region);
	if (result == REGION_OK)
		region_tier_changed(region);
	return result;
}

void region_chains(struct region *region, char *buffer, size_t size,
		   uint32_t *unencrypted)
{
	unsigned long flags = spin_lock_irqsave(&region->lock);
	size_t used = 0;

	*unencrypted = 0;
	buffer[0] = '\0';
	for (unsigned slot = 0; slot < REGION_SCHEMES_MAX; slot++) {
		char name[96];
		if (!region_slot_sealing(region, slot) &&
		    region->scheme_pages[slot] == 0)
			continue;
		if (!scheme_confidential(&region->schemes[slot]))
			*unencrypted += region->scheme_pages[slot];
		scheme_format(&region->schemes[slot], name, sizeof(name));
		/* a slot on a store of its own (a store swap) names it */
		struct store *store = region->slot_stores[slot];
		used += ksnprintf(buffer + used, used < size ? size - used : 0,
				  "%s%s%s%s%s=%u", used ? "," : "", name,
				  slot == region->current_scheme ? "(sealing)" :
				  slot == region->tier.slot ? "(dense tier)" :
				  region->schemes[slot].dense_tier ? "(old dense tier)" : "",
				  store == region->store ? "" : "@",
				  store == region->store ? "" : store->ops->name,
				  region->scheme_pages[slot]);
	}
	spin_unlock_irqrestore(&region->lock, flags);
}

void region_scheme_name(struct region *region, char *buffer, size_t size)
{
	unsigned long flags = spin_lock_irqsave(&region->lock);

	scheme_format(&region->schemes[region->current_scheme], buffer, size);
	spin_unlock_irqrestore(&region->lock, flags);
}

enum region_page_state region_page_state(struct region *region, uint32_t page)
{
	return page < region->pages ?
		       region_record_state(region_page_record(region, page)) :
		       REGION_UNPOPULATED;
}

void region_get_stats(struct region *region, struct region_stats *stats)
{
	unsigned long flags = spin_lock_irqsave(&region->lock);

	*stats = region->stats;
	stats->clear_pages = region->clear.resident;
	spin_unlock_irqrestore(&region->lock, flags);
}

void region_for_each(void (*fn)(struct region *region, void *arg), void *arg)
{
	unsigned long flags = spin_lock_irqsave(&region_registry_lock);

	for (unsigned i = 0; i < region_count; i++)
		fn(region_table[i], arg);
	spin_unlock_irqrestore(&region_registry_lock, flags);
}

void region_print(struct region *region)
{
	struct region_stats s;
	char scheme[96], chains[256];
	uint32_t unencrypted;

	region_get_stats(region, &s);
	region_scheme_name(region, scheme, sizeof(scheme));
	region_chains(region, chains, sizeof(chains), &unencrypted);
	printk("region id=%llu name=%s base=0x%llx pages=%u limit=%u batch=%u "
	       "scheme=%s "
	       "clear=%llu sealed=%llu bytes_stored=%llu faults=%llu "
	       "zero_fills=%llu restores=%llu evictions=%llu invalidations=%llu "
	       "seal_failures=%llu corrupt=%llu restore_failures=%llu "
	       "no_memory=%llu poisoned=%llu reseals=%llu migrated=%llu "
	       "recompressed=%llu tier_kept=%llu "
	       "chains=%s "
	       "unencrypted=%u stores_retired=%llu same_filled=%llu "
	       "parked=%llu\n",
	       (unsigned long long)region->id, region->name,
	       (unsigned long long)region->base, region->pages,
	       region->clear.limit, region->evict_batch, scheme,
	       (unsigned long long)s.clear_pages,
	       (unsigned long long)s.sealed_pages,
	       (unsigned long long)s.bytes_stored, (unsigned long long)s.faults,
	       (unsigned long long)s.zero_fills, (unsigned long long)s.restores,
	       (unsigned long long)s.evictions,
	       (unsigned long long)s.invalidations,
	       (unsigned long long)s.seal_failures,
	       (unsigned long long)s.corrupt,
	       (unsigned long long)s.restore_failures,
	       (unsigned long long)s.no_memory,
	       (unsigned long long)s.poisoned, (unsigned long long)s.reseals,
	       (unsigned long long)s.migrated,
	       (unsigned long long)s.recompressed,
	       (unsigned long long)s.tier_kept,
	       chains, unencrypted, (unsigned long long)s.stores_retired,
	       (unsigned long long)s.same_filled_pages,
	       (unsigned long long)s.parked_pages);
}

void region_stats_add(struct region_stats *sum, const struct region_stats *add)
{
	sum->faults += add->faults;
	sum->zero_fills += add->zero_fills;
	sum->restores += add->restores;
	sum->evictions += add->evictions;
	sum->invalidations += add->invalidations;
	sum->seal_failures += add->seal_failures;
	sum->corrupt += add->corrupt;
	sum->reseals += add->reseals;
	sum->migrated += add->migrated;
	sum->recompressed += add->recompressed;
	sum->tier_kept += add->tier_kept;
	sum->stores_retired += add->stores_retired;
	sum->restore_failures += add->restore_failures;
	sum->no_memory += add->no_memory;
	sum->shares += add->shares;
	sum->shared_copies += add->shared_copies;
	sum->parks += add->parks;
}

void region_group_snapshot(const struct region_group *group,
			   struct region_group *out)
{
	*out = (struct region_group){
		.sealed_pages = __atomic_load_n(&group->sealed_pages,
						__ATOMIC_RELAXED),
		.sealed_peak = __atomic_load_n(&group->sealed_peak,
					       __ATOMIC_RELAXED),
		.seals = __atomic_load_n(&group->seals, __ATOMIC_RELAXED),
		.seal_bytes = __atomic_load_n(&group->seal_bytes,
					      __ATOMIC_RELAXED),
		.faults = __atomic_load_n(&group->faults, __ATOMIC_RELAXED),
	};
}

void region_group_add(struct region_group *sum, const struct region_group *add)
{
	if (add->sealed_peak > sum->sealed_peak)
		sum->sealed_peak = add->sealed_peak;
	sum->sealed_pages += add->sealed_pages;
	sum->seals += add->seals;
	sum->seal_bytes += add->seal_bytes;
	sum->faults += add->faults;
}
