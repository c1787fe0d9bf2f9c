/*
 * The reverse map's front (mm/rmap.h): the API the region code calls,
 * passed through the ops of the design in use (mm/rmap_ops.h), and the
 * live swap from one design to another. During a swap two designs hold
 * the map: the right one (new frames) and the left one (frames not moved
 * yet); a frame is on one side only, and each call asks the right side,
 * then the left. The walk (rmap_swap_step) moves one frame per hold of
 * the lock. Only frames shared after a fork are in the map, so the common
 * case (a frame of one region page) costs nothing.
 *
 * Locking: rmap_lock (irqsave) protects both designs' tables, which side
 * is which and the swap's counters. The blocks a design needs are
 * allocated before it is taken and the blocks it lets go are freed after
 * it is dropped, so it is taken inside a region's lock and takes no other.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/spinlock.h"
#include "mm/rmap.h"
#include "mm/rmap_ops.h"
#include "mm/slab.h"

static struct spinlock rmap_lock = SPINLOCK_INIT("rmap");
/* Where new frames go; NULL until the first call, then the default. */
static const struct rmap_ops *rmap_right;
/* The design being emptied by a swap, NULL when none runs. */
static const struct rmap_ops *rmap_left;
/* The walk's bucket cursor in the left design, and its counters. */
static unsigned rmap_move_cursor;
static uint64_t rmap_left_at_start, rmap_moved, rmap_swaps;

/* The right design. Lock held. */
static const struct rmap_ops *rmap_current(void)
{
	if (!rmap_right)
		rmap_right = rmap_designs[0];
	return rmap_right;
}

/* The design holding frame: the left one when it does, else the right. */
static const struct rmap_ops *rmap_holder(uint64_t frame)
{
	if (rmap_left && rmap_left->mappings(frame) != 0)
		return rmap_left;
	return rmap_current();
}

void *rmap_spare_take(struct rmap_spare *spare)
{
	void **block = spare->blocks;

	if (!block)
		return NULL;
	spare->blocks = *block;
	spare->count--;
	memset(block, 0, RMAP_BLOCK_SIZE);
	return block;
}

void rmap_spare_discard(struct rmap_spare *spare, void *block)
{
	*(void **)block = spare->garbage;
	spare->garbage = block;
}

/* Tops spare up to need blocks (lock not held); false when out of memory. */
static bool rmap_spare_fill(struct rmap_spare *spare, unsigned need)
{
	while (spare->count < need) {
		void **block = kmalloc(RMAP_BLOCK_SIZE);
		if (!block)
			return false;
		*block = spare->blocks;
		spare->blocks = block;
		spare->count++;
	}
	return true;
}

static void rmap_block_list_free(void *list)
{
	while (list) {
		void *next = *(void **)list;
		kfree(list);
		list = next;
	}
}

/* Frees spare's unused blocks and its garbage (lock not held). */
static void rmap_spare_drain(struct rmap_spare *spare)
{
	rmap_block_list_free(spare->blocks);
	rmap_block_list_free(spare->garbage);
	*spare = (struct rmap_spare){ 0 };
}

/* The share under the lock: the limit, then the holder's op. */
static int rmap_share_locked(uint64_t frame, struct vmm_space *from,
			     struct vmm_space *to, uintptr_t va,
			     struct rmap_spare *spare)
{
	const struct rmap_ops *ops = rmap_holder(frame);

	if (ops->mappings(frame) >= RMAP_MAPPINGS_MAX)
		return RMAP_FULL;
	return ops->share(frame, from, to, va, spare);
}

int rmap_share(uint64_t frame, struct vmm_space *from, struct vmm_space *to,
	       uintptr_t va)
{
	struct rmap_spare spare = { 0 };
	const struct rmap_ops *guess = __atomic_load_n(&rmap_right, __ATOMIC_RELAXED);
	unsigned need = guess ? guess->share_blocks : rmap_designs[0]->share_blocks;
	int result;

	do {
		if (!rmap_spare_fill(&spare, need)) {
			result = RMAP_NO_MEMORY;
			break;
		}
		unsigned long flags = spin_lock_irqsave(&rmap_lock);
		result = rmap_share_locked(frame, from, to, va, &spare);
		need = spare.need;
		spin_unlock_irqrestore(&rmap_lock, flags);
	} while (result == RMAP_AGAIN);
	rmap_spare_drain(&spare);	/* what the share did not need */
	return result;
}

unsigned rmap_remove(uint64_t frame, struct vmm_space *space, uintptr_t va)
{
	struct rmap_spare spare = { 0 };
	unsigned long flags = spin_lock_irqsave(&rmap_lock);
	unsigned left = rmap_holder(frame)->remove(frame, space, va, &spare);

	spin_unlock_irqrestore(&rmap_lock, flags);
	rmap_spare_drain(&spare);
	return left;
}

unsigned rmap_mappings(uint64_t frame)
{
	unsigned long flags = spin_lock_irqsave(&rmap_lock);
	unsigned count = rmap_holder(frame)->mappings(frame);

	spin_unlock_irqrestore(&rmap_lock, flags);
	return count;
}

bool rmap_maps(uint64_t frame, const struct vmm_space *space, uintptr_t va)
{
	unsigned long flags = spin_lock_irqsave(&rmap_lock);
	bool found = rmap_holder(frame)->maps(frame, space, va);

	spin_unlock_irqrestore(&rmap_lock, flags);
	return found;
}

uint64_t rmap_frames(void)
{
	unsigned long flags = spin_lock_irqsave(&rmap_lock);
	uint64_t frames = rmap_current()->frames() +
			  (rmap_left ? rmap_left->frames() : 0);

	spin_unlock_irqrestore(&rmap_lock, flags);
	return frames;
}

int rmap_swap_begin(const char *design)
{
	const struct rmap_ops *ops = rmap_design_find(design);
	int result = RMAP_OK;

	if (!ops)
		return RMAP_UNKNOWN;
	unsigned long flags = spin_lock_irqsave(&rmap_lock);
	if (rmap_left) {
		result = RMAP_BUSY;
	} else if (ops == rmap_current()) {
		result = RMAP_SAME;
	} else {
		rmap_left = rmap_right;
		rmap_right = ops;
		rmap_move_cursor = 0;
		rmap_moved = 0;
		rmap_left_at_start = rmap_left->frames();
		if (rmap_left_at_start == 0) {	/* nothing to move: done now */
			rmap_left = NULL;
			rmap_swaps++;
		}
	}
	spin_unlock_irqrestore(&rmap_lock, flags);
	return result;
}

/* One move under the lock: the left design retired when empty, else one
 * frame moved, or RMAP_AGAIN when entry or spare is short (their needs
 * set), or RMAP_OK with nothing moved when the buckets looked at were
 * empty. *more: whether a swap is still under way afterwards. */
static int rmap_move_locked(struct rmap_entry *entry, struct rmap_spare *spare,
			    bool *more)
{
	uint64_t frame;

	*more = rmap_left != NULL;
	if (!rmap_left)
		return RMAP_OK;
	if (rmap_left->frames() == 0) {
		rmap_left = NULL;	/* retired: nothing consults it now */
		rmap_swaps++;
		*more = false;
		return RMAP_OK;
	}
	if (!rmap_left->pick(&rmap_move_cursor, &frame))
		return RMAP_OK;
	(void)rmap_left->peek(frame, entry);
	unsigned need = rmap_right->put_need(entry->count);
	if (entry->capacity < entry->count || spare->count < need) {
		spare->need = need;
		return RMAP_AGAIN;
	}
	rmap_left->take(frame, spare);
	rmap_right->put(entry, spare);
	rmap_moved++;
	return RMAP_OK;
}

/* Gives entry room for count spaces (lock not held). */
static bool rmap_entry_grow(struct rmap_entry *entry, unsigned count)
{
	if (entry->capacity >= count)
		return true;
	kfree(entry->spaces);
	entry->spaces = kmalloc(count * sizeof(entry->spaces[0]));
	entry->capacity = entry->spaces ? count : 0;
	return entry->spaces != NULL;
}

bool rmap_swap_step(void)
{
	struct rmap_spare spare = { 0 };
	struct rmap_entry entry = { 0 };
	bool more = true;

	for (;;) {
		unsigned long flags = spin_lock_irqsave(&rmap_lock);
		int result = rmap_move_locked(&entry, &spare, &more);
		spin_unlock_irqrestore(&rmap_lock, flags);
		if (result != RMAP_AGAIN)
			break;
		/* out of memory: the walk tries again at its next step */
		if (!rmap_entry_grow(&entry, entry.count) ||
		    !rmap_spare_fill(&spare, spare.need))
			break;
	}
	rmap_spare_drain(&spare);
	kfree(entry.spaces);
	return more;
}

void rmap_get_status(struct rmap_status *status)
{
	unsigned long flags = spin_lock_irqsave(&rmap_lock);

	status->right = rmap_current()->name;
	status->right_frames = rmap_current()->frames();
	status->left = rmap_left ? rmap_left->name : NULL;
	status->left_frames = rmap_left ? rmap_left->frames() : 0;
	status->left_at_start = rmap_left_at_start;
	status->moved = rmap_moved;
	status->swaps = rmap_swaps;
	spin_unlock_irqrestore(&rmap_lock, flags);
}

const char *rmap_design_name(unsigned index)
{
	return index < rmap_design_count ? rmap_designs[index]->name : NULL;
}
