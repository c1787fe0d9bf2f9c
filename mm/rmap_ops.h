/*
 * Between the reverse map's front (mm/rmap.c, the API of mm/rmap.h) and
 * its designs (mm/rmap_chains.c, mm/rmap_family.c): the ops table each
 * design fills, the spare blocks a design takes its memory from while
 * rmap_lock is held, and the neutral entry a live swap moves a frame
 * with. Every op is called by the front with rmap_lock held; a design
 * takes no lock of its own and never allocates or frees: it takes
 * blocks from the spare the front filled before the lock and hands the
 * blocks it unlinks back as garbage, which the front frees after it.
 */
#ifndef VEIL_MM_RMAP_OPS_H
#define VEIL_MM_RMAP_OPS_H

#include <stdbool.h>
#include <stdint.h>

struct vmm_space;

/* Every object of every design fits in one block (checked in each
 * design with a static assertion): one size lets the front allocate
 * before it knows which design will use the memory. */
#define RMAP_BLOCK_SIZE 64u

/* A locked op that lacks blocks (or room in an entry) changes nothing,
 * sets the need and returns this; the front allocates and calls again. */
#define RMAP_AGAIN (-100)

/* How many frame records a pick looks through at most per call, so the
 * walk of a live swap never loops over a whole table under the lock. */
#define RMAP_PICK_BUCKETS 64u

struct rmap_spare {
	void *blocks;		/* free blocks, linked through their first word */
	unsigned count;		/* blocks in that list */
	unsigned need;		/* set with RMAP_AGAIN: blocks the op needs */
	void *garbage;		/* blocks unlinked under the lock, freed after */
};

/* A zeroed block from spare, or NULL when it is empty. */
void *rmap_spare_take(struct rmap_spare *spare);
/* Hands a block no longer linked anywhere back, to be freed after the
 * lock is dropped. */
void rmap_spare_discard(struct rmap_spare *spare, void *block);

/* One frame and every mapping of it, in no design's form: what a move
 * takes from the left design and gives to the right one. */
struct rmap_entry {
	uint64_t frame;
	uintptr_t va;		/* every mapping of a frame is at one address */
	unsigned count;		/* mappings */
	unsigned capacity;	/* room in spaces */
	const struct vmm_space **spaces;
};

struct rmap_ops {
	const char *name;
	/* Blocks a share usually takes (the front allocates them first). */
	unsigned share_blocks;
	/* Adds the mapping of frame at va in to (from maps it too; a frame
	 * not known gets both). RMAP_OK, RMAP_REFUSED (to maps it already,
	 * from == to, or va is not the frame's) or RMAP_AGAIN. The front has
	 * checked the limit of RMAP_MAPPINGS_MAX. */
	int (*share)(uint64_t frame, const struct vmm_space *from,
		     const struct vmm_space *to, uintptr_t va,
		     struct rmap_spare *spare);
	/* As rmap_remove (mm/rmap.h); unlinked blocks go to spare. */
	unsigned (*remove)(uint64_t frame, const struct vmm_space *space,
			   uintptr_t va, struct rmap_spare *spare);
	/* Mappings of frame, 0 when the design does not hold it. */
	unsigned (*mappings)(uint64_t frame);
	bool (*maps)(uint64_t frame, const struct vmm_space *space,
		     uintptr_t va);
	uint64_t (*frames)(void);
	/* A frame it holds, looked for from bucket *cursor through at most
	 * RMAP_PICK_BUCKETS buckets (*cursor left at the one it found or
	 * after the last it looked at); false when those were empty. */
	bool (*pick)(unsigned *cursor, uint64_t *frame);
	/* Sets entry's frame, va and count for a frame it holds, and its
	 * spaces when capacity allows; false for a frame it does not hold. */
	bool (*peek)(uint64_t frame, struct rmap_entry *entry);
	/* Forgets a frame it holds, whole. */
	void (*take)(uint64_t frame, struct rmap_spare *spare);
	/* Blocks put takes at most for an entry of count mappings. */
	unsigned (*put_need)(unsigned count);
	/* Holds entry's frame (one it does not hold) with every mapping;
	 * spare has put_need(entry->count) blocks, so it cannot fail. */
	void (*put)(const struct rmap_entry *entry, struct rmap_spare *spare);
};

/* The designs (mm/rmap_designs.c), the first the boot's default. */
extern const struct rmap_ops *const rmap_designs[];
extern const unsigned rmap_design_count;
extern const struct rmap_ops rmap_chains_ops;
extern const struct rmap_ops rmap_family_ops;

/* The design named name, or NULL. */
const struct rmap_ops *rmap_design_find(const char *name);

#endif
