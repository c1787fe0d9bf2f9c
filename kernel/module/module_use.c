/*
 * Who uses a module: the scheme slots of every region that name one of its
 * transforms or its policy, or keep their pages in a store of its kind
 * (the store's ops table lies in the module), while the slot seals (it is
 * the current one) or still holds sealed pages. This is the module's reference count,
 * counted where the references are instead of kept beside them: a slot
 * takes its reference when a scheme change installs it, and drops it when
 * the migration has moved its last page away (scheme_pages reaches 0, under
 * the region's lock), so no increment can be forgotten on any of the paths
 * that change slots. A transform or policy "belongs" to a module when its
 * structure or its ops table lies in the module's image.
 *
 * Locking: callers hold module_mutex; the walk takes the region
 * registry's lock, then each region's lock (mm/region.c's order).
 */
#include <string.h>
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "kernel/module/module_internal.h"
#include "mm/policy.h"
#include "mm/region.h"
#include "mm/store_kind.h"
#include "transforms/xf.h"

struct module_use_range {
	uintptr_t base;
	size_t size;
};

static bool module_use_inside(const struct module_use_range *range,
			      const void *pointer)
{
	return (uintptr_t)pointer - range->base < range->size;
}

static bool module_use_transform(const struct module_use_range *range,
				 const struct xf_transform *transform)
{
	return module_use_inside(range, transform) ||
	       module_use_inside(range, transform->ops);
}

/* Whether a scheme names something of the range. */
static bool module_use_scheme(const struct module_use_range *range,
			      const struct scheme *scheme)
{
	if (scheme->policy && module_use_inside(range, scheme->policy))
		return true;
	for (unsigned i = 0; i < scheme->length && i < XF_CHAIN_MAX; i++)
		if (module_use_transform(range, scheme->chain[i]))
			return true;
	return false;
}

struct module_use_walk {
	struct module_use_range range;
	unsigned count;
	char *names;
	size_t names_size, used;
};

static void module_use_region(struct region *region, void *arg)
{
	struct module_use_walk *walk = arg;
	unsigned long flags = spin_lock_irqsave(&region->lock);

	for (unsigned slot = 0; slot < REGION_SCHEMES_MAX; slot++) {
		if (slot != region->current_scheme && region->scheme_pages[slot] == 0)
			continue;	/* a free slot holds no reference */
		if (!module_use_scheme(&walk->range, &region->schemes[slot]) &&
		    !module_use_inside(&walk->range, region->slot_stores[slot]->ops))
			continue;
		walk->count++;
		if (walk->names_size > walk->used)
			walk->used += ksnprintf(walk->names + walk->used,
						walk->names_size - walk->used,
						"%s%s(slot %u, %u pages)",
						walk->used ? "," : "", region->name,
						slot, region->scheme_pages[slot]);
	}
	spin_unlock_irqrestore(&region->lock, flags);
}

unsigned module_use_count(uintptr_t base, size_t size, char *names,
			  size_t names_size)
{
	struct module_use_walk walk = {
		.range = { base, size }, .names = names, .names_size = names_size,
	};

	if (names_size)
		names[0] = '\0';
	region_for_each(module_use_region, &walk);
	return walk.count;
}

struct module_use_collect {
	struct module_use_range range;
	void **found;
	uint8_t *provided;
	unsigned max, count;
	char *names;
	size_t names_size, used;
};

static void module_use_note(struct module_use_collect *collect, void *what,
			    enum module_provided provided, const char *name)
{
	static const char *const prefixes[] = {
		[MODULE_PROVIDES_TRANSFORM] = "",
		[MODULE_PROVIDES_POLICY] = "policy ",
		[MODULE_PROVIDES_STORE_KIND] = "store ",
	};

	if (collect->found && collect->count < collect->max) {
		collect->found[collect->count] = what;
		collect->provided[collect->count] = (uint8_t)provided;
	}
	collect->count++;
	if (collect->names && collect->names_size > collect->used)
		collect->used += ksnprintf(collect->names + collect->used,
					   collect->names_size - collect->used,
					   "%s%s%s", collect->used ? "," : "",
					   prefixes[provided], name);
}

static void module_use_collect_transform(struct xf_transform *transform, void *arg)
{
	struct module_use_collect *collect = arg;

	if (module_use_transform(&collect->range, transform))
		module_use_note(collect, transform, MODULE_PROVIDES_TRANSFORM,
				transform->ops->name);
}

static void module_use_collect_policy(const struct policy_ops *ops, void *arg)
{
	struct module_use_collect *collect = arg;

	if (module_use_inside(&collect->range, ops))
		module_use_note(collect, (void *)ops, MODULE_PROVIDES_POLICY, ops->name);
}

static void module_use_collect_store_kind(const struct store_kind *kind, void *arg)
{
	struct module_use_collect *collect = arg;

	if (module_use_inside(&collect->range, kind) ||
	    module_use_inside(&collect->range, (const void *)(uintptr_t)kind->create))
		module_use_note(collect, (void *)kind, MODULE_PROVIDES_STORE_KIND,
				kind->name);
}

unsigned module_use_hide(uintptr_t base, size_t size, void **hidden,
			 uint8_t *provided, unsigned max)
{
	struct module_use_collect collect = {
		.range = { base, size }, .found = hidden,
		.provided = provided, .max = max,
	};

	xf_for_each(module_use_collect_transform, &collect);
	policy_for_each_registered(module_use_collect_policy, &collect);
	store_kind_for_each(module_use_collect_store_kind, &collect);
	if (collect.count > max)
		collect.count = max;	/* the rest stays registered */
	for (unsigned i = 0; i < collect.count; i++) {
		if (provided[i] == MODULE_PROVIDES_POLICY)
			policy_unregister(hidden[i]);
		else if (provided[i] == MODULE_PROVIDES_STORE_KIND)
			store_kind_unregister(hidden[i]);
		else
			xf_unregister(hidden[i]);
	}
	return collect.count;
}

void module_use_restore(void *const *hidden, const uint8_t *provided,
			unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		if (provided[i] == MODULE_PROVIDES_POLICY)
			policy_register(hidden[i]);
		else if (provided[i] == MODULE_PROVIDES_STORE_KIND)
			store_kind_register(hidden[i]);
		else
			xf_register(hidden[i]);
	}
}

void module_use_provides(uintptr_t base, size_t size, char *names,
			 size_t names_size)
{
	struct module_use_collect collect = {
		.range = { base, size }, .names = names, .names_size = names_size,
	};

	if (names_size)
		names[0] = '\0';
	xf_for_each(module_use_collect_transform, &collect);
	policy_for_each_registered(module_use_collect_policy, &collect);
	store_kind_for_each(module_use_collect_store_kind, &collect);
}
