/*
 * Active migration (mm/region_migrate.h): one kernel thread per region
 * moves the pages sealed under older chains to the sealing chain, a
 * batch per hold of the region's lock, until no older slot holds a page.
 *
 * Lock order: region_migrate_mutex, then a region's lock (region_lock:
 * its clear share's first). The thread takes only the region's lock, and
 * never sleeps or yields with it held.
 *
 * Destruction: region_destroy calls region_migrate_release (its hook)
 * before it frees anything: the thread is asked to stop, between two
 * holds it sees the request and returns, and it is joined; only then is
 * its state freed and the region torn down. So no walk can touch a freed
 * region or record.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"
#include "mm/region_internal.h"
#include "mm/region_migrate.h"
#include "mm/slab.h"

/* A region's migration: made at its first start (or rate), freed when
 * the region is destroyed. */
struct region_migration {
	struct region *region;
	/* The walking thread, or the finished one not joined yet; NULL when
	 * none. region_migrate_mutex. */
	struct thread *thread;
	bool stop;			/* atomic: asked to stop */
	/* The rest: the region's lock. */
	enum region_migrate_state state;
	uint32_t cursor;		/* next page the walk looks at */
	uint32_t scanned_idle;		/* pages looked at since one left */
	uint32_t batch, pause_ms;	/* the rate */
	uint64_t affinity;		/* CPUs the next thread may run on */
	uint64_t moved, failed, poisoned, holds;
	uint64_t max_hold_ns;		/* the longest hold of the walk */
};

static struct mutex region_migrate_mutex =
	MUTEX_INIT(region_migrate_mutex, "region_migrate");

/* Pages sealed under a slot other than the sealing one. Region lock held. */
static uint32_t region_migrate_left(const struct region *region)
{
	uint32_t left = 0;

	for (unsigned slot = 0; slot < REGION_SCHEMES_MAX; slot++) {
		if (!region_slot_sealing(region, slot))	/* its tier too */
			left += region->scheme_pages[slot];
	}
	return left;
}

/* Moves page (sealed under an older slot) to the sealing chain; a copy
 * that fails its check is poisoned, as a fault would (it leaves its slot
 * either way). true when the page left its slot. Region lock held. */
static bool region_migrate_page(struct region_migration *migration,
				uint32_t page)
{
	struct region *region = migration->region;
	/* an old dense tier's page goes to the new dense tier, if any */
	int result = region_transition(region, page, region_tier_drain_cause(
		region, region_record_slot(region_page_record(region, page))));

	if (result == REGION_OK) {
		migration->moved++;
		region->stats.migrated++;
		return true;
	}
	if (result == REGION_INTEGRITY &&
	    region_transition(region, page, REGION_CAUSE_POISON) == REGION_OK) {
		migration->poisoned++;
		return true;
	}
	migration->failed++;	/* no memory, store full: the page stays */
	return false;
}

/* One hold's worth of the walk: up to batch pages moved, at most
 * REGION_MIGRATE_SCAN records looked at. Sets the final state and
 * returns false once nothing is left, or when a whole sweep of the
 * region moved nothing (STALLED). Region lock held. */
static bool region_migrate_hold(struct region_migration *migration)
{
	struct region *region = migration->region;
	uint32_t moved = 0;

	migration->holds++;
	for (uint32_t scanned = 0; scanned < REGION_MIGRATE_SCAN &&
				   moved < migration->batch; scanned++) {
		if (region_migrate_left(region) == 0)
			break;
		uint32_t page = migration->cursor;
		migration->cursor = page + 1 == region->pages ? 0 : page + 1;
		const struct region_page *record = region_page_record(region, page);
		if (region_record_state(record) == REGION_SEALED &&
		    !region_slot_sealing(region, region_record_slot(record)) &&
		    region_migrate_page(migration, page)) {
			moved++;
			migration->scanned_idle = 0;
		} else if (++migration->scanned_idle > region->pages) {
			migration->state = REGION_MIGRATE_STALLED;
			return false;
		}
	}
	if (region_migrate_left(region) != 0)
		return true;
	/* the old stores of a store swap are empty now: they go */
	region_stores_retire_idle(region);
	migration->state = REGION_MIGRATE_DONE;
	return false;
}

/* The thread: holds, each followed by the pause, until done or asked to
 * stop. It returns (and so exits) right after it set the final state. */
static void region_migrate_thread(void *argument)
{
	struct region_migration *migration = argument;
	struct region *region = migration->region;

	for (;;) {
		unsigned long flags = region_lock(region);
		uint64_t start = time_uptime_ns();
		bool more = !__atomic_load_n(&migration->stop, __ATOMIC_ACQUIRE);
		if (!more)
			migration->state = REGION_MIGRATE_STOPPED;
		else
			more = region_migrate_hold(migration);
		uint64_t held = time_uptime_ns() - start;
		if (held > migration->max_hold_ns)
			migration->max_hold_ns = held;
		uint32_t pause_ms = migration->pause_ms;
		region_unlock(region, flags);
		if (!more)
			return;
		if (pause_ms)
			thread_sleep_ms(pause_ms);
		else
			thread_yield();
	}
}

/* The region's migration, made on first use. Mutex held. */
static struct region_migration *region_migrate_get(struct region *region)
{
	if (region->migration)
		return region->migration;
	struct region_migration *migration = kmalloc(sizeof(*migration));
	if (!migration)
		return NULL;
	memset(migration, 0, sizeof(*migration));
	migration->region = region;
	migration->batch = 1;
	migration->affinity = THREAD_AFFINITY_ALL;
	unsigned long flags = region_lock(region);
	region->migration = migration;
	region_unlock(region, flags);
	return migration;
}

/* Joins a thread that has set its final state (it has returned or is
 * about to). Mutex held. */
static void region_migrate_join(struct region_migration *migration)
{
	if (migration->thread) {
		thread_join(migration->thread);
		migration->thread = NULL;
	}
}

int region_migrate_start(struct region *region)
{
	int result = REGION_OK;

	if (!thread_current())
		return REGION_OK;	/* before the scheduler: lazy */
	mutex_lock(&region_migrate_mutex);
	struct region_migration *migration = region_migrate_get(region);
	if (!migration) {
		mutex_unlock(&region_migrate_mutex);
		return REGION_NO_MEMORY;
	}
	unsigned long flags = region_lock(region);
	bool running = migration->state == REGION_MIGRATE_RUNNING;
	bool work = region_migrate_left(region) != 0;
	region_unlock(region, flags);
	if (!running) {
		region_migrate_join(migration);
		if (work) {
			flags = region_lock(region);
			migration->state = REGION_MIGRATE_RUNNING;
			migration->scanned_idle = 0;
			region_unlock(region, flags);
			__atomic_store_n(&migration->stop, false, __ATOMIC_RELEASE);
			migration->thread = thread_create_on(
				"migrate", region_migrate_thread, migration,
				migration->affinity);
			if (!migration->thread) {
				flags = region_lock(region);
				migration->state = REGION_MIGRATE_STOPPED;
				region_unlock(region, flags);
				result = REGION_NO_MEMORY;
			}
		}
	}
	mutex_unlock(&region_migrate_mutex);
	return result;
}

void region_migrate_stop(struct region *region)
{
	mutex_lock(&region_migrate_mutex);
	if (region->migration) {
		__atomic_store_n(&region->migration->stop, true, __ATOMIC_RELEASE);
		region_migrate_join(region->migration);
	}
	mutex_unlock(&region_migrate_mutex);
}

enum region_migrate_state region_migrate_wait(struct region *region)
{
	enum region_migrate_state state = REGION_MIGRATE_IDLE;

	mutex_lock(&region_migrate_mutex);
	if (region->migration) {
		region_migrate_join(region->migration);	/* it ends by itself */
		state = region->migration->state;
	}
	mutex_unlock(&region_migrate_mutex);
	return state;
}

int region_migrate_set_rate(struct region *region, uint32_t batch,
			    uint32_t pause_ms)
{
	if (batch == 0 || batch > REGION_MIGRATE_BATCH_MAX)
		return REGION_BAD_ARGUMENT;
	mutex_lock(&region_migrate_mutex);
	struct region_migration *migration = region_migrate_get(region);
	if (migration) {
		unsigned long flags = region_lock(region);
		migration->batch = batch;
		migration->pause_ms = pause_ms;
		region_unlock(region, flags);
	}
	mutex_unlock(&region_migrate_mutex);
	return migration ? REGION_OK : REGION_NO_MEMORY;
}

int region_migrate_set_affinity(struct region *region, uint64_t affinity)
{
	if (affinity == 0)
		return REGION_BAD_ARGUMENT;
	mutex_lock(&region_migrate_mutex);
	struct region_migration *migration = region_migrate_get(region);
	if (migration)
		migration->affinity = affinity;
	mutex_unlock(&region_migrate_mutex);
	return migration ? REGION_OK : REGION_NO_MEMORY;
}

void region_migrate_get_status(struct region *region,
			       struct region_migrate_status *status)
{
	memset(status, 0, sizeof(*status));
	status->batch = 1;
	unsigned long flags = spin_lock_irqsave(&region->lock);	/* reads */
	const struct region_migration *migration = region->migration;
	status->sealing = region->current_scheme;
	for (unsigned slot = 0; slot < REGION_SCHEMES_MAX; slot++) {
		if (!region_slot_sealing(region, slot))
			status->pages_left[slot] = region->scheme_pages[slot];
		status->left += status->pages_left[slot];
	}
	if (migration) {
		status->state = migration->state;
		status->moved = migration->moved;
		status->failed = migration->failed;
		status->poisoned = migration->poisoned;
		status->holds = migration->holds;
		status->max_hold_ns = migration->max_hold_ns;
		status->batch = migration->batch;
		status->pause_ms = migration->pause_ms;
	}
	spin_unlock_irqrestore(&region->lock, flags);
}

const char *region_migrate_state_name(enum region_migrate_state state)
{
	switch (state) {
	case REGION_MIGRATE_IDLE: return "idle";
	case REGION_MIGRATE_RUNNING: return "running";
	case REGION_MIGRATE_DONE: return "done";
	case REGION_MIGRATE_STALLED: return "stalled";
	case REGION_MIGRATE_STOPPED: return "stopped";
	}
	return "?";
}

/* region_destroy's hook: the thread stopped and joined, then its state
 * freed (see the top). */
static void region_migrate_release(struct region *region)
{
	if (!region->migration)
		return;
	region_migrate_stop(region);
	kfree(region->migration);
	region->migration = NULL;
}

static void region_migrate_changed(struct region *region)
{
	if (region_migrate_start(region) != REGION_OK)
		log_warn("region %s: no migration started (no memory or "
			 "thread); old chains drain as pages fault",
			 region->name);
}

/* region_destroy's wait for the holds of region_hold_all: they last one
 * scheme change and its migration (a system-wide swap, a key rotation). */
static void region_migrate_wait_unheld(struct region *region)
{
	while (__atomic_load_n(&region->holders, __ATOMIC_ACQUIRE))
		thread_sleep_ms(1);
}

static const struct region_migrate_hooks region_migrate_hooks_kernel = {
	.scheme_changed = region_migrate_changed,
	.destroying = region_migrate_release,
	.wait_unheld = region_migrate_wait_unheld,
};

void region_migrate_init(void)
{
	region_set_migrate_hooks(&region_migrate_hooks_kernel);
}
