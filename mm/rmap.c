/*
 * The reverse map (mm/rmap.h): a hash table from a shared frame to the
 * list of (space, address) pairs that map it. Only frames shared after a
 * fork are in it, so the common case (a frame of one region page) costs
 * nothing; a frame leaves the table when one mapping is left.
 *
 * Locking: rmap_lock protects the buckets and every record; records are
 * allocated before it is taken and freed after it is dropped.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/spinlock.h"
#include "mm/rmap.h"
#include "mm/slab.h"

#define RMAP_BUCKETS 1024u

struct rmap_mapping {
	struct rmap_mapping *next;
	const struct vmm_space *space;
	uintptr_t va;
};

struct rmap_frame {
	struct rmap_frame *next;	/* in its bucket */
	uint64_t frame;
	unsigned count;			/* mappings in the list, >= 2 */
	struct rmap_mapping *mappings;
};

static struct spinlock rmap_lock = SPINLOCK_INIT("rmap");
static struct rmap_frame *rmap_buckets[RMAP_BUCKETS];
static uint64_t rmap_frame_count;

static struct rmap_frame **rmap_bucket(uint64_t frame)
{
	return &rmap_buckets[(frame ^ (frame >> 10)) % RMAP_BUCKETS];
}

/* The record of frame, or NULL. Lock held. */
static struct rmap_frame *rmap_lookup(uint64_t frame)
{
	for (struct rmap_frame *record = *rmap_bucket(frame); record;
	     record = record->next) {
		if (record->frame == frame)
			return record;
	}
	return NULL;
}

/* What rmap_share may need, allocated before the lock. */
struct rmap_spare {
	struct rmap_frame *record;
	struct rmap_mapping *first, *second;
};

static void rmap_spare_free(struct rmap_spare *spare)
{
	kfree(spare->record);
	kfree(spare->first);
	kfree(spare->second);
}

static struct rmap_mapping *rmap_take(struct rmap_mapping **slot,
				      const struct vmm_space *space,
				      uintptr_t va)
{
	struct rmap_mapping *mapping = *slot;

	*slot = NULL;
	mapping->space = space;
	mapping->va = va;
	return mapping;
}

/* Adds the second mapping to a known frame, or makes the record with
 * both. Lock held. */
static void rmap_share_locked(uint64_t frame, struct rmap_spare *spare,
			      const struct vmm_space *from,
			      const struct vmm_space *to, uintptr_t va)
{
	struct rmap_frame *record = rmap_lookup(frame);

	if (!record) {
		record = spare->record;
		spare->record = NULL;
		*record = (struct rmap_frame){ .frame = frame };
		record->mappings = rmap_take(&spare->first, from, va);
		record->mappings->next = NULL;
		record->count = 1;
		record->next = *rmap_bucket(frame);
		*rmap_bucket(frame) = record;
		rmap_frame_count++;
	}
	struct rmap_mapping *mapping = rmap_take(&spare->second, to, va);
	mapping->next = record->mappings;
	record->mappings = mapping;
	record->count++;
}

int rmap_share(uint64_t frame, struct vmm_space *from, struct vmm_space *to,
	       uintptr_t va)
{
	struct rmap_spare spare = {
		.record = kmalloc(sizeof(struct rmap_frame)),
		.first = kmalloc(sizeof(struct rmap_mapping)),
		.second = kmalloc(sizeof(struct rmap_mapping)),
	};

	if (!spare.record || !spare.first || !spare.second) {
		rmap_spare_free(&spare);
		return RMAP_NO_MEMORY;
	}
	unsigned long flags = spin_lock_irqsave(&rmap_lock);
	rmap_share_locked(frame, &spare, from, to, va);
	spin_unlock_irqrestore(&rmap_lock, flags);
	rmap_spare_free(&spare);	/* what a known frame did not need */
	return RMAP_OK;
}

/* Unlinks record from its bucket. Lock held. */
static void rmap_unlink(struct rmap_frame *record)
{
	struct rmap_frame **link = rmap_bucket(record->frame);

	while (*link != record)
		link = &(*link)->next;
	*link = record->next;
	rmap_frame_count--;
}

unsigned rmap_remove(uint64_t frame, struct vmm_space *space, uintptr_t va)
{
	struct rmap_mapping *gone = NULL, *last = NULL;
	struct rmap_frame *dropped = NULL;
	unsigned left = 0;
	unsigned long flags = spin_lock_irqsave(&rmap_lock);
	struct rmap_frame *record = rmap_lookup(frame);

	if (record) {
		struct rmap_mapping **link = &record->mappings;
		while (*link && ((*link)->space != space || (*link)->va != va))
			link = &(*link)->next;
		if (*link) {
			gone = *link;
			*link = gone->next;
			record->count--;
		}
		left = record->count;
		if (left == 1) {	/* its last mapper owns it alone */
			last = record->mappings;
			rmap_unlink(record);
			dropped = record;
		}
	}
	spin_unlock_irqrestore(&rmap_lock, flags);
	kfree(gone);
	kfree(last);
	kfree(dropped);
	return left;
}

unsigned rmap_mappings(uint64_t frame)
{
	unsigned long flags = spin_lock_irqsave(&rmap_lock);
	struct rmap_frame *record = rmap_lookup(frame);
	unsigned count = record ? record->count : 0;

	spin_unlock_irqrestore(&rmap_lock, flags);
	return count;
}

bool rmap_maps(uint64_t frame, const struct vmm_space *space, uintptr_t va)
{
	bool found = false;
	unsigned long flags = spin_lock_irqsave(&rmap_lock);
	struct rmap_frame *record = rmap_lookup(frame);

	for (struct rmap_mapping *m = record ? record->mappings : NULL;
	     m && !found; m = m->next)
		found = m->space == space && m->va == va;
	spin_unlock_irqrestore(&rmap_lock, flags);
	return found;
}

uint64_t rmap_frames(void)
{
	return __atomic_load_n(&rmap_frame_count, __ATOMIC_RELAXED);
}
