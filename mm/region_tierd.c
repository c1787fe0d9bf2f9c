/*
 * The tier thread of a region (kernel only; mm/region_tier.h): made the
 * first time the region's sealing scheme is tiered (at its creation or a
 * scheme change), it runs region_tier_hold under the region's lock, then
 * sleeps the pause (REGION_TIER_IDLE_MS once a whole sweep found nothing
 * cold, or while the scheme has no tiers), until region_destroy stops and
 * joins it.
 *
 * Locking: the region's lock protects tier->started (one thread per
 * region is made); tier->thread is written by the one caller that set
 * started, and read by region_destroy's hook, which no other call on the
 * region runs beside. tier->stop is atomic. The thread takes only the
 * region's lock, and never sleeps with it held.
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/lib/printk.h"
#include "kernel/sched/sched.h"
#include "mm/region_internal.h"
#include "mm/region_tier.h"

/* The thread: holds and pauses until asked to stop. */
static void region_tierd_run(void *argument)
{
	struct region *region = argument;
	struct region_tier *tier = &region->tier;

	while (!__atomic_load_n(&tier->stop, __ATOMIC_ACQUIRE)) {
		unsigned long flags = region_lock(region);
		region_tier_hold(region);
		uint32_t pause_ms = tier->idle ? REGION_TIER_IDLE_MS :
						 tier->pause_ms;
		region_unlock(region, flags);
		if (pause_ms)
			thread_sleep_ms(pause_ms);
		else
			thread_yield();
	}
}

/* A scheme change or a creation: starts the thread when the scheme is
 * tiered and none runs. Thread context; before the scheduler nothing
 * starts (the walk begins at the next change). */
static void region_tierd_changed(struct region *region)
{
	struct region_tier *tier = &region->tier;

	if (!thread_current())
		return;
	unsigned long flags = region_lock(region);
	bool start = tier->slot != REGION_TIER_NONE && !tier->started;
	if (start)
		tier->started = true;
	region_unlock(region, flags);
	if (!start)
		return;
	__atomic_store_n(&tier->stop, false, __ATOMIC_RELEASE);
	struct thread *thread = thread_create("tier", region_tierd_run, region);
	if (!thread) {
		log_warn("region %s: no tier thread (no memory); pages stay "
			 "in the fast tier", region->name);
		flags = region_lock(region);
		tier->started = false;
		region_unlock(region, flags);
		return;
	}
	tier->thread = thread;
}

/* region_destroy's hook: the thread stopped and joined. */
static void region_tierd_destroying(struct region *region)
{
	struct region_tier *tier = &region->tier;

	if (!tier->thread)
		return;
	__atomic_store_n(&tier->stop, true, __ATOMIC_RELEASE);
	thread_join(tier->thread);
	tier->thread = NULL;
	unsigned long flags = region_lock(region);
	tier->started = false;
	region_unlock(region, flags);
}

static const struct region_tier_hooks region_tierd_hooks = {
	.changed = region_tierd_changed,
	.destroying = region_tierd_destroying,
};

/* Registers the hooks: from then on, tiered regions get a thread. Once,
 * at boot (region_boot_init). */
void region_tierd_init(void)
{
	region_set_tier_hooks(&region_tierd_hooks);
}
