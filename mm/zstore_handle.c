/*
 * zstore handles: the indirection table of slots a handle names, its growth
 * a frame at a time, the slots' free list (slot_lock), and the checks that
 * refuse a stale, forged or corrupted handle before anything follows it
 * (range, check value, state, generation, then again under the class lock).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "mm/zstore_internal.h"

/* Adds a frame of slots to the free list; slot_lock held. */
static int zstore_slots_grow(struct zstore *z)
{
	uint64_t first = z->slots_created;
	uint64_t page = first / ZSTORE_SLOTS_PER_FRAME;
	struct zstore_slot **where;
	struct zstore_slot *slots;
	int result;

	if (first >= z->max_slots)
		return STORE_FULL;
	if (page < ZSTORE_DIRECT_SLOT_FRAMES) {
		where = &z->slot_frames[page];
	} else {
		uint64_t beyond = page - ZSTORE_DIRECT_SLOT_FRAMES;
		uint64_t directory_index = beyond / ZSTORE_POINTERS_PER_FRAME;
		struct zstore_slot ***root = z->directory;
		struct zstore_slot **pages;

		if (!root) {
			result = zstore_metadata_frame(z, (void **)&root);
			if (result != STORE_OK)
				return result;
			__atomic_store_n(&z->directory, root, __ATOMIC_RELEASE);
		}
		pages = root[directory_index];
		if (!pages) {
			result = zstore_metadata_frame(z, (void **)&pages);
			if (result != STORE_OK)
				return result;
			__atomic_store_n(&root[directory_index], pages,
					 __ATOMIC_RELEASE);
		}
		where = &pages[beyond % ZSTORE_POINTERS_PER_FRAME];
	}
	result = zstore_metadata_frame(z, (void **)&slots);
	if (result != STORE_OK)
		return result;	/* empty directory frames stay for later */
	/* link the new slots in index order; slot 0 is never handed out */
	for (uint64_t i = ZSTORE_SLOTS_PER_FRAME; i-- > 0;) {
		uint64_t index = first + i;

		if (index == 0 || index >= z->max_slots)
			continue;
		slots[i].next_free = z->slot_free;
		z->slot_free = index;
	}
	__atomic_store_n(where, slots, __ATOMIC_RELEASE);
	__atomic_store_n(&z->slots_created, first + ZSTORE_SLOTS_PER_FRAME,
			 __ATOMIC_RELEASE);
	return STORE_OK;
}

/* Takes a free slot and marks it reserved; its generation is kept. */
int zstore_slot_take(struct zstore *z, uint64_t *index)
{
	unsigned long flags = spin_lock_irqsave(&z->slot_lock);
	struct zstore_slot *slot;
	int result = STORE_OK;

	if (!z->slot_free)
		result = zstore_slots_grow(z);
	if (result == STORE_OK) {
		*index = z->slot_free;
		slot = zstore_slot_at(z, *index);
		z->slot_free = slot->next_free;
		KASSERT(zstore_tag_state(slot->tag) == ZSTORE_SLOT_FREE);
		zstore_tag_write(slot, zstore_tag(ZSTORE_SLOT_RESERVED, 0,
				 zstore_tag_generation(slot->tag), 0));
	}
	spin_unlock_irqrestore(&z->slot_lock, flags);
	return result;
}

/* Returns a slot to the free list with the next generation, so every
 * handle that named it is refused from now on. */
void zstore_slot_release(struct zstore *z, uint64_t index)
{
	struct zstore_slot *slot = zstore_slot_at(z, index);
	unsigned generation = (zstore_tag_generation(slot->tag) + 1) &
			      ZSTORE_GENERATION_MASK;
	unsigned long flags = spin_lock_irqsave(&z->slot_lock);

	zstore_tag_write(slot, zstore_tag(ZSTORE_SLOT_FREE, 0, generation, 0));
	slot->next_free = z->slot_free;
	z->slot_free = index;
	spin_unlock_irqrestore(&z->slot_lock, flags);
}

static int zstore_bad_handle(struct zstore *z, store_handle_t handle,
			     const char *why)
{
	uint64_t count = __atomic_add_fetch(&z->bad_handles, 1, __ATOMIC_RELAXED);

	/* every one is counted; messages thin out so a flood stays readable */
	if (count <= 8 || (count & (count - 1)) == 0)
		log_warn("store %s: refused handle 0x%llx: %s (%llu refused so far)",
			 z->base.name, (unsigned long long)handle, why,
			 (unsigned long long)count);
	return STORE_BAD_HANDLE;
}

/*
 * Checks a handle and locks the class of its object. On success the slot is
 * live (ZSTORE_SLOT_LIVE, or ZSTORE_SLOT_ADOPTED: the caller tells them
 * apart) with the handle's generation and *class is locked (flags in
 * *flags).
 */
int zstore_handle_lock(struct zstore *z, store_handle_t handle,
		       struct zstore_slot **slot_out,
		       struct zstore_class **class_out,
		       unsigned long *flags)
{
	uint64_t index = handle & ZSTORE_INDEX_MASK;
	unsigned generation = (handle >> ZSTORE_INDEX_BITS) & ZSTORE_GENERATION_MASK;
	unsigned check = (handle >> (ZSTORE_INDEX_BITS + ZSTORE_GENERATION_BITS)) &
			 ZSTORE_CHECK_MASK;
	struct zstore_class *class;
	struct zstore_slot *slot;
	uint32_t tag;

	if (handle >> STORE_HANDLE_BITS)
		return zstore_bad_handle(z, handle, "above the handle limit");
	if (check != zstore_check_value(z, index, generation))
		return zstore_bad_handle(z, handle, "check value does not match");
	if (index == 0 || index >= zstore_atomic_load(&z->slots_created))
		return zstore_bad_handle(z, handle, "slot out of range");
	slot = zstore_slot_at(z, index);
	tag = zstore_tag_read(slot);
	if (zstore_tag_state(tag) < ZSTORE_SLOT_LIVE)
		return zstore_bad_handle(z, handle, "slot not in use (freed?)");
	if (zstore_tag_generation(tag) != generation)
		return zstore_bad_handle(z, handle, "stale generation");
	class = z->classes[zstore_tag_class(tag)];
	*flags = spin_lock_irqsave(&class->lock);
	/* the slot may have been freed and reused since the unlocked look */
	tag = zstore_tag_read(slot);
	if (zstore_tag_state(tag) < ZSTORE_SLOT_LIVE ||
	    zstore_tag_generation(tag) != generation ||
	    zstore_tag_class(tag) != class->index) {
		spin_unlock_irqrestore(&class->lock, *flags);
		return zstore_bad_handle(z, handle, "slot freed meanwhile");
	}
	*slot_out = slot;
	*class_out = class;
	return STORE_OK;
}
