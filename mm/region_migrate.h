/*
 * Active migration of a region's sealed pages to its sealing chain
 * (docs/live-swap.md, "Active migration"). After a scheme change, a
 * kernel thread of the region walks its pages and moves each one still
 * sealed under an older chain (slot) to the sealing one by the RESEAL
 * transition (mm/region_transition.c: restore with the old chain, seal
 * with the new, the handle swapped in the PTE and the record, the old
 * copy freed), a few pages per hold of the region's lock, so a fault on
 * another CPU waits at most that long. A slot is free again once its last
 * page has left (scheme_pages[slot] == 0). A change while a migration runs
 * only moves its goal: every slot but the sealing one drains.
 *
 * region_set_scheme starts one (through the hooks of mm/region_internal.h,
 * registered by region_migrate_init; host tests run without them and the
 * change stays lazy); region_destroy stops and joins it before anything
 * of the region is freed.
 *
 * Locking: region_migrate_mutex (a sleeping mutex) serialises the
 * starts, stops and waits of every region; a region's lock protects its
 * migration's state, cursor and counters, which the thread changes only
 * under it. Order: the mutex, then a region's lock (region_lock).
 */
#ifndef VEIL_MM_REGION_MIGRATE_H
#define VEIL_MM_REGION_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/region.h"

/* Pages moved per hold of the region's lock at most. */
#define REGION_MIGRATE_BATCH_MAX 8u
/* Records looked at per hold at most (the walk's bound when few pages
 * of the stretch are in old slots). */
#define REGION_MIGRATE_SCAN 64u

enum region_migrate_state {
	REGION_MIGRATE_IDLE,	/* never started, or nothing was left */
	REGION_MIGRATE_RUNNING,	/* its thread walks the pages */
	REGION_MIGRATE_DONE,	/* every older slot drained */
	REGION_MIGRATE_STALLED,	/* a whole sweep moved nothing: pages whose
				 * reseal failed (no memory, store full)
				 * remain; the next change or start retries */
	REGION_MIGRATE_STOPPED,	/* stopped before it drained */
};

/* What `scheme` shows. */
struct region_migrate_status {
	enum region_migrate_state state;
	uint32_t pages_left[REGION_SCHEMES_MAX];	/* sealed per slot now
							 * (0 for the sealing) */
	uint32_t left;		/* their sum */
	uint8_t sealing;	/* the sealing slot */
	uint64_t moved;		/* pages this region's migrations moved */
	uint64_t failed;	/* reseals that failed (the page stayed) */
	uint64_t poisoned;	/* old copies that failed their check */
	uint64_t holds;		/* lock holds the walks took */
	uint64_t max_hold_ns;	/* the longest of them (uptime clock) */
	uint32_t batch, pause_ms;	/* the rate */
};

/* Registers the hooks that make region_set_scheme start a migration and
 * region_destroy stop it. Once, at boot (region_boot_init). */
void region_migrate_init(void);

/* Starts the region's migration when a slot other than the sealing one
 * holds pages and none runs (a finished one is joined first). Thread
 * context, no lock held. REGION_OK (also when nothing is to do or one
 * runs already), REGION_NO_MEMORY (no memory or no thread). */
int region_migrate_start(struct region *region);
/* Stops the region's migration (if any) and joins its thread: on return
 * no thread of it touches the region. Thread context, no lock held. */
void region_migrate_stop(struct region *region);
/* Sleeps until the region's migration is no longer RUNNING, then joins
 * its thread; returns its final state (IDLE when there was none). */
enum region_migrate_state region_migrate_wait(struct region *region);
/* Sets the rate of the region's migrations, now and later: batch pages
 * (1 .. REGION_MIGRATE_BATCH_MAX) per hold of its lock, then pause_ms
 * milliseconds of sleep (0: a yield). REGION_BAD_ARGUMENT otherwise. */
int region_migrate_set_rate(struct region *region, uint32_t batch,
			    uint32_t pause_ms);
/* The CPUs (bit i: CPU i) the region's next migration thread may run on,
 * for example away from the workload's; THREAD_AFFINITY_ALL by default.
 * A thread running now keeps its CPUs. REGION_BAD_ARGUMENT for 0. */
int region_migrate_set_affinity(struct region *region, uint64_t affinity);
/* A snapshot of the region's migration (under its lock). */
void region_migrate_get_status(struct region *region,
			       struct region_migrate_status *status);
const char *region_migrate_state_name(enum region_migrate_state state);

/* What a system-wide scheme swap did. */
struct region_swap_all_report {
	unsigned regions;	/* registered (and not being destroyed) */
	unsigned changed;	/* now sealing with the new scheme */
	unsigned failed;	/* refused (four slots held pages even after
				 * their migration, or no memory) */
	uint32_t pages_left;	/* in older slots when it returned */
};

/*
 * The system-wide swap (mm/region_swap_all.c): every region registered now
 * changes to scheme, its older pages migrating as for one region; a
 * region whose four slots still hold pages first waits for its running
 * migration. With wait, returns once every migration is done. Thread
 * context, no lock held. REGION_OK when every region changed,
 * REGION_BAD_SCHEME for text that is not a scheme (nothing changed),
 * REGION_NO_MEMORY without memory for the list, else the first failure.
 */
int region_set_scheme_all(const char *scheme, bool wait,
			  struct region_swap_all_report *report);

#endif
