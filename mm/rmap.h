/*
 * The reverse map: for a frame that several address spaces map (a page
 * shared copy-on-write after fork), which page-table entries map it. A
 * frame it does not know is mapped by one region page at most: its owner
 * may write to it, seal it in place or free it. A frame it knows is read
 * only everywhere, and whoever drops one of its mappings asks the map
 * whether it was the last (rmap_remove) before freeing it.
 *
 * Two designs hold the map (mm/rmap_ops.h): "chains" (per frame, the
 * list of its mappings) and "family" (per frame a record naming its fork
 * lineage's family, which lists the lineage's spaces), and the map can be
 * moved from one to the other while everything runs (rmap_swap_begin).
 *
 * Locking: rmap_lock (irqsave) protects the whole map, both designs and
 * the state of a swap; it nests inside a region's lock and takes no other
 * lock (allocations are made before it is taken, frees after).
 */
#ifndef VEIL_MM_RMAP_H
#define VEIL_MM_RMAP_H

#include <stdbool.h>
#include <stdint.h>

struct vmm_space;

enum rmap_result {
	RMAP_OK = 0,
	RMAP_NO_MEMORY = -1,
	RMAP_REFUSED = -2,	/* to maps it already, from == to, or another va */
	RMAP_FULL = -3,		/* the frame has RMAP_MAPPINGS_MAX mappings */
	RMAP_BUSY = -4,		/* a swap is under way */
	RMAP_UNKNOWN = -5,	/* no design of that name */
	RMAP_SAME = -6,		/* the map is in that design already */
};

/* Spaces one frame may be shared by: one more share is refused with
 * RMAP_FULL (fork then gives the child a copy of its own), so that a
 * frame always fits each design (the family design keeps one bit per
 * mapping space of a frame in a 64-bit word). */
#define RMAP_MAPPINGS_MAX 64u

/*
 * Records that frame, mapped at va in from (the page being shared), is
 * now also mapped at the same va in to: a frame not yet known gets both
 * mappings. Every mapping of a frame is at one address. RMAP_OK, or
 * with nothing changed RMAP_NO_MEMORY, RMAP_FULL or RMAP_REFUSED (to
 * maps the frame already, from is to, or the frame is known at another
 * address).
 */
int rmap_share(uint64_t frame, struct vmm_space *from, struct vmm_space *to,
	       uintptr_t va);
/*
 * Forgets the mapping of frame at va in space (its PTE no longer names the
 * frame). Returns the mappings left: 0 means nobody else maps the frame
 * and the caller may free it (also for a frame never shared); with 1 left
 * the map forgets the frame, whose last mapper now owns it alone.
 */
unsigned rmap_remove(uint64_t frame, struct vmm_space *space, uintptr_t va);
/* The mappings of frame: 0 for a frame the map does not know. */
unsigned rmap_mappings(uint64_t frame);
/* Whether space maps frame at va according to the map (tests). */
bool rmap_maps(uint64_t frame, const struct vmm_space *space, uintptr_t va);
/* Frames the map knows now, both sides of a swap together (tests check
 * it comes back to its start). */
uint64_t rmap_frames(void);

/*
 * Live swap of the design. rmap_swap_begin makes design the right side:
 * new frames go there, lookups and removals ask the right side, then the
 * left; a frame the left holds stays there (its new mappings too) until
 * the walk moves it. rmap_swap_step moves one frame from left to right,
 * under the lock for that frame only, and retires the left design once it
 * is empty. A map with no frame in it is swapped at once (no walk, so
 * what the map answers next does not depend on when a walk runs).
 * Returns RMAP_OK, RMAP_BUSY while a swap runs, RMAP_UNKNOWN or
 * RMAP_SAME.
 */
int rmap_swap_begin(const char *design);
/* Moves one frame (or looks through RMAP_PICK_BUCKETS buckets for one);
 * false once no swap is left to do (the left retired). */
bool rmap_swap_step(void);

struct rmap_status {
	const char *right;		/* the design new frames go to */
	const char *left;		/* the design being emptied, NULL if none */
	uint64_t right_frames, left_frames;
	uint64_t left_at_start;		/* frames the left held at the swap */
	uint64_t moved;			/* frames moved by the walk so far */
	uint64_t swaps;			/* swaps finished since boot */
};
void rmap_get_status(struct rmap_status *status);
/* The name of each design, in order; NULL past the last. */
const char *rmap_design_name(unsigned index);

/* Kernel only (mm/rmap_swap.c): begins a swap and runs its walk in a
 * kernel thread beside the workload (in the caller before the scheduler
 * runs, or when no thread can be made). Results as rmap_swap_begin. */
int rmap_swap(const char *design);
/* Waits until no swap is left to do (walks it here if no thread does). */
void rmap_swap_wait(void);

#endif
