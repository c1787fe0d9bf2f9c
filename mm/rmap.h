/*
 * The reverse map: for a frame that several address spaces map (a page
 * shared copy-on-write after fork), which page-table entries map it. A
 * frame it does not know is mapped by one region page at most: its owner
 * may write to it, seal it in place or free it. A frame it knows is read
 * only everywhere, and whoever drops one of its mappings asks the map
 * whether it was the last (rmap_remove) before freeing it.
 *
 * Locking: rmap_lock (irqsave) protects the whole map; it nests inside a
 * region's lock and takes no other lock (allocations are made before).
 */
#ifndef VEIL_MM_RMAP_H
#define VEIL_MM_RMAP_H

#include <stdbool.h>
#include <stdint.h>

struct vmm_space;

enum rmap_result {
	RMAP_OK = 0,
	RMAP_NO_MEMORY = -1,
};

/*
 * Records that frame, mapped at va in from (the page being shared), is
 * now also mapped at the same va in to: a frame not yet known gets both
 * mappings. RMAP_OK, or RMAP_NO_MEMORY with nothing changed.
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
/* Frames the map knows now (tests check it comes back to its start). */
uint64_t rmap_frames(void);

#endif
