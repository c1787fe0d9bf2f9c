/*
 * Tiers of a region (docs/compression.md, "Tiers"). A tiered scheme
 * ("clock:adaptive>dense,aes128-xts-mac", mm/scheme.h) takes two of the
 * region's chain slots: the sealing slot holds the fast chain, which every
 * eviction uses, and the tier slot its dense chain. A page that stays
 * sealed in the fast slot for threshold evictions of the region is moved
 * to the dense slot by the RECOMPRESS transition (mm/region_transition.c:
 * restored with the fast chain, sealed with the dense one, the handle
 * swapped in the PTE and the record) when the dense copy is smaller;
 * otherwise the page is marked and left (tier_kept). A fault restores
 * a page with the chain of its slot, as for any slot.
 *
 * Age is counted in the region's evictions, not in time: a region that
 * evicts nothing has no pressure to answer, a page's age then says how
 * much of the working set went past it, and the walk behaves the same
 * under an emulator's clock. The record keeps 8 bits of stamp: the clock
 * in epochs of 2^shift evictions, shift chosen so that the threshold is
 * at most 32 epochs; ages wrap at 256 epochs, so a page the walk misses
 * for 8 thresholds waits one more wrap (a delay, never a wrong move).
 *
 * The walk (region_tier_hold) looks at REGION_TIER_SCAN records and moves
 * up to batch pages per hold of the region's lock. In the kernel a thread
 * per region with a tiered scheme runs it (mm/region_tierd.c), pausing
 * pause_ms between holds and REGION_TIER_IDLE_MS once a whole sweep found
 * nothing to move; host tests call the hold directly.
 *
 * Locking: the region's lock protects everything here but thread and
 * stop (the thread's own: see mm/region_tierd.c).
 */
#ifndef VEIL_MM_REGION_TIER_H
#define VEIL_MM_REGION_TIER_H

#include <stdbool.h>
#include <stdint.h>

struct region;
struct scheme;
struct thread;

/* tier slot of a region whose sealing scheme has no tiers */
#define REGION_TIER_NONE 0xffu
/* Records looked at per hold at most. */
#define REGION_TIER_SCAN 64u
#define REGION_TIER_BATCH_MAX 8u
/* The threshold's epochs at most (the stamp wraps at 256). */
#define REGION_TIER_EPOCHS_MAX 32u
/* Defaults: a page sealed for 1024 evictions of its region is cold. */
#define REGION_TIER_THRESHOLD_DEFAULT 1024u
#define REGION_TIER_BATCH_DEFAULT 2u
#define REGION_TIER_PAUSE_DEFAULT_MS 1u
#define REGION_TIER_IDLE_MS 20u

struct region_tier {
	uint8_t slot;		/* the sealing scheme's dense slot, or NONE */
	uint8_t shift;		/* an epoch is 2^shift evictions */
	uint32_t threshold;	/* evictions a page stays sealed before it
				 * is recompressed (0: at the next sweep) */
	uint32_t threshold_epochs;
	uint32_t batch, pause_ms;	/* the rate */
	uint32_t cursor;	/* next page the walk looks at */
	uint32_t sweep_work;	/* pages tried since the cursor wrapped */
	bool idle;		/* the last whole sweep tried nothing */
	uint64_t holds, failed, poisoned;
	/* the tier thread (mm/region_tierd.c) */
	struct thread *thread;
	bool stop;		/* atomic */
	bool started;		/* a thread was made (region lock) */
};

/* What `scheme` and `regions` show. */
struct region_tier_status {
	bool tiered;
	uint8_t fast_slot, dense_slot;
	uint32_t fast_pages, dense_pages;	/* sealed in each tier now */
	uint64_t recompressed, kept, failed, poisoned, holds;
	uint32_t threshold, batch, pause_ms;
	bool running;		/* a tier thread runs for the region */
};

/* The defaults (not tiered). region_init calls it. */
void region_tier_init(struct region *region);

/* The slot for the dense chain of scheme when it becomes the sealing one
 * in slot: a slot other than slot that holds no page; REGION_TIER_NONE
 * when scheme has no tiers; -1 when it has and no slot is free. Region
 * lock held. */
int region_tier_free_slot(const struct region *region,
			  const struct scheme *scheme, unsigned slot);
/* Makes scheme the sealing scheme in slot, and its dense chain the tier
 * in dense_slot (region_tier_free_slot's answer, not -1). Region lock
 * held. */
void region_tier_place(struct region *region, const struct scheme *scheme,
		       unsigned slot, int dense_slot);

/* The cause that drains a page sealed in old slot `slot` into the sealing
 * scheme's slots: RECOMPRESS (into the dense tier) for a page of an old
 * dense tier when the sealing scheme has one, RESEAL otherwise. An int
 * (enum region_cause is mm/region_internal.h's). Region lock held. */
int region_tier_drain_cause(const struct region *region, unsigned slot);

/* The stamp a page sealed now gets. Region lock held. */
unsigned region_tier_stamp(const struct region *region);

/* One hold of the walk: up to batch pages of the fast slot older than the
 * threshold recompressed, at most REGION_TIER_SCAN records looked at.
 * Returns the pages moved or kept. Region lock held. */
unsigned region_tier_hold(struct region *region);

/* Runs holds (each under the region's lock, taken here) until a whole
 * sweep finds no cold page: the walk caught up now, beside the thread or
 * without one (benchmarks that measure the store once it has, tests).
 * Returns the pages moved or kept. */
uint64_t region_tier_settle(struct region *region);

/* Sets the threshold (evictions) and the rate (1..REGION_TIER_BATCH_MAX
 * pages per hold, then pause_ms). REGION_OK or REGION_BAD_ARGUMENT. Takes
 * the region's lock. */
int region_tier_set(struct region *region, uint32_t threshold,
		    uint32_t batch, uint32_t pause_ms);

/* A snapshot (takes the region's lock). */
void region_tier_get_status(struct region *region,
			    struct region_tier_status *status);

/* What region_create, region_set_scheme and region_destroy tell the tier
 * thread (mm/region_tierd.c registers them at boot; host tests run
 * without: the walk is theirs to call). changed: no lock held, the
 * region's scheme may now be tiered; destroying: first in region_destroy,
 * the thread is joined before it returns. */
struct region_tier_hooks {
	void (*changed)(struct region *region);
	void (*destroying)(struct region *region);
};
void region_set_tier_hooks(const struct region_tier_hooks *hooks);
/* Kernel (mm/region_tierd.c): registers the hooks that give each tiered
 * region its thread. Once, at boot (region_boot_init). */
void region_tierd_init(void);
/* Call the hooks when registered (region.c). */
void region_tier_changed(struct region *region);
void region_tier_destroying(struct region *region);

#endif
