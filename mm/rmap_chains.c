/*
 * Reverse-map design "chains" (mm/rmap_ops.h): a hash table from a shared
 * frame to the list of (space, address) pairs that map it. Finding who
 * maps a frame is a walk of its own list; each mapping costs one block.
 *
 * Locking: the front's rmap_lock is held in every op; blocks come from
 * the front's spare and go back to it as garbage.
 */
#include <stddef.h>
#include <stdint.h>
#include "mm/rmap.h"
#include "mm/rmap_ops.h"

#define RMAP_CHAINS_BUCKETS 1024u

struct rmap_chains_mapping {
	struct rmap_chains_mapping *next;
	const struct vmm_space *space;
	uintptr_t va;
};

struct rmap_chains_frame {
	struct rmap_chains_frame *next;	/* in its bucket */
	uint64_t frame;
	unsigned count;			/* mappings in the list, >= 2 */
	struct rmap_chains_mapping *mappings;
};

_Static_assert(sizeof(struct rmap_chains_mapping) <= RMAP_BLOCK_SIZE &&
	       sizeof(struct rmap_chains_frame) <= RMAP_BLOCK_SIZE,
	       "a chains record fits a block");

static struct rmap_chains_frame *rmap_chains_buckets[RMAP_CHAINS_BUCKETS];
static uint64_t rmap_chains_frame_count;

static struct rmap_chains_frame **rmap_chains_bucket(uint64_t frame)
{
	return &rmap_chains_buckets[(frame ^ (frame >> 10)) % RMAP_CHAINS_BUCKETS];
}

/* The record of frame, or NULL. */
static struct rmap_chains_frame *rmap_chains_lookup(uint64_t frame)
{
	for (struct rmap_chains_frame *record = *rmap_chains_bucket(frame);
	     record; record = record->next) {
		if (record->frame == frame)
			return record;
	}
	return NULL;
}

/* The link that points at space's mapping in record, or at the NULL
 * ending the list when it has none. */
static struct rmap_chains_mapping **
rmap_chains_find(struct rmap_chains_frame *record, const struct vmm_space *space)
{
	struct rmap_chains_mapping **link = &record->mappings;

	while (*link && (*link)->space != space)
		link = &(*link)->next;
	return link;
}

/* Adds a mapping of space (block from spare) to record. */
static void rmap_chains_add(struct rmap_chains_frame *record,
			    const struct vmm_space *space, uintptr_t va,
			    struct rmap_spare *spare)
{
	struct rmap_chains_mapping *mapping = rmap_spare_take(spare);

	mapping->space = space;
	mapping->va = va;
	mapping->next = record->mappings;
	record->mappings = mapping;
	record->count++;
}

/* A new record for frame (block from spare), in its bucket, no mapping. */
static struct rmap_chains_frame *rmap_chains_insert(uint64_t frame,
						    struct rmap_spare *spare)
{
	struct rmap_chains_frame *record = rmap_spare_take(spare);

	record->frame = frame;
	record->next = *rmap_chains_bucket(frame);
	*rmap_chains_bucket(frame) = record;
	rmap_chains_frame_count++;
	return record;
}

/* Unlinks record from its bucket and gives it and its mappings to spare's
 * garbage. */
static void rmap_chains_drop(struct rmap_chains_frame *record,
			     struct rmap_spare *spare)
{
	struct rmap_chains_frame **link = rmap_chains_bucket(record->frame);

	while (*link != record)
		link = &(*link)->next;
	*link = record->next;
	rmap_chains_frame_count--;
	while (record->mappings) {
		struct rmap_chains_mapping *mapping = record->mappings;
		record->mappings = mapping->next;
		rmap_spare_discard(spare, mapping);
	}
	rmap_spare_discard(spare, record);
}

/* Contract: mm/rmap_ops.h, share. */
static int rmap_chains_share(uint64_t frame, const struct vmm_space *from,
			     const struct vmm_space *to, uintptr_t va,
			     struct rmap_spare *spare)
{
	struct rmap_chains_frame *record = rmap_chains_lookup(frame);
	unsigned need = record ? 1 : 3;

	if (record ? record->mappings->va != va || *rmap_chains_find(record, to)
		   : from == to)
		return RMAP_REFUSED;
	if (spare->count < need) {
		spare->need = need;
		return RMAP_AGAIN;
	}
	if (!record) {
		record = rmap_chains_insert(frame, spare);
		rmap_chains_add(record, from, va, spare);
	}
	rmap_chains_add(record, to, va, spare);
	return RMAP_OK;
}

/* Contract: mm/rmap_ops.h, remove. */
static unsigned rmap_chains_remove(uint64_t frame, const struct vmm_space *space,
				   uintptr_t va, struct rmap_spare *spare)
{
	struct rmap_chains_frame *record = rmap_chains_lookup(frame);

	if (!record)
		return 0;
	struct rmap_chains_mapping **link = rmap_chains_find(record, space);
	if (*link && (*link)->va == va) {
		struct rmap_chains_mapping *gone = *link;
		*link = gone->next;
		record->count--;
		rmap_spare_discard(spare, gone);
	}
	unsigned left = record->count;
	if (left == 1)		/* its last mapper owns it alone */
		rmap_chains_drop(record, spare);
	return left;
}

static unsigned rmap_chains_mappings(uint64_t frame)
{
	struct rmap_chains_frame *record = rmap_chains_lookup(frame);

	return record ? record->count : 0;
}

static bool rmap_chains_maps(uint64_t frame, const struct vmm_space *space,
			     uintptr_t va)
{
	struct rmap_chains_frame *record = rmap_chains_lookup(frame);
	struct rmap_chains_mapping *mapping =
		record ? *rmap_chains_find(record, space) : NULL;

	return mapping && mapping->va == va;
}

static uint64_t rmap_chains_frames(void)
{
	return rmap_chains_frame_count;
}

/* Contract: mm/rmap_ops.h, pick. */
static bool rmap_chains_pick(unsigned *cursor, uint64_t *frame)
{
	for (unsigned i = 0; i < RMAP_PICK_BUCKETS; i++) {
		unsigned bucket = (*cursor + i) % RMAP_CHAINS_BUCKETS;
		if (rmap_chains_buckets[bucket]) {
			*cursor = bucket;
			*frame = rmap_chains_buckets[bucket]->frame;
			return true;
		}
	}
	*cursor = (*cursor + RMAP_PICK_BUCKETS) % RMAP_CHAINS_BUCKETS;
	return false;
}

/* Contract: mm/rmap_ops.h, peek. */
static bool rmap_chains_peek(uint64_t frame, struct rmap_entry *entry)
{
	struct rmap_chains_frame *record = rmap_chains_lookup(frame);

	if (!record)
		return false;
	entry->frame = frame;
	entry->va = record->mappings->va;
	entry->count = record->count;
	if (entry->capacity >= record->count) {
		unsigned i = 0;
		for (struct rmap_chains_mapping *m = record->mappings; m; m = m->next)
			entry->spaces[i++] = m->space;
	}
	return true;
}

static void rmap_chains_take(uint64_t frame, struct rmap_spare *spare)
{
	struct rmap_chains_frame *record = rmap_chains_lookup(frame);

	if (record)
		rmap_chains_drop(record, spare);
}

static unsigned rmap_chains_put_need(unsigned count)
{
	return 1 + count;
}

/* Contract: mm/rmap_ops.h, put. */
static void rmap_chains_put(const struct rmap_entry *entry,
			    struct rmap_spare *spare)
{
	struct rmap_chains_frame *record = rmap_chains_insert(entry->frame, spare);

	for (unsigned i = entry->count; i-- > 0;)	/* keeps the order */
		rmap_chains_add(record, entry->spaces[i], entry->va, spare);
}

const struct rmap_ops rmap_chains_ops = {
	.name = "chains",
	.share_blocks = 3,
	.share = rmap_chains_share,
	.remove = rmap_chains_remove,
	.mappings = rmap_chains_mappings,
	.maps = rmap_chains_maps,
	.frames = rmap_chains_frames,
	.pick = rmap_chains_pick,
	.peek = rmap_chains_peek,
	.take = rmap_chains_take,
	.put_need = rmap_chains_put_need,
	.put = rmap_chains_put,
};
