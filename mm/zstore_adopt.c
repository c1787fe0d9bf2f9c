/*
 * zstore adopted pages: whole pages kept without a copy (adopt_page and
 * release_page in mm/store.h). An adopted page is not in any zspage: its
 * slot (state ZSTORE_SLOT_ADOPTED) points at the caller's frame, and the tag
 * names the raw-page class, whose lock guards the slot like any slot of the
 * class. Compaction walks zspages only, so it never sees these pages. The
 * frame counts as one data frame against the limit from adoption until it
 * is released, freed (back to the provider) or the store is destroyed.
 *
 * A put of exactly 4096 bytes (a page stored raw) is kept the same way in a
 * frame the store takes from its provider (kind ZSTORE_WHOLE_COPIED in the
 * slot's object field): no zspage, no descriptor; release_page refuses it
 * as it refuses any copied object.
 *
 * Locks: slot_lock (taking and releasing the slot) and the raw-page class
 * lock, never together; the order is the one written atop mm/zstore.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/spinlock.h"
#include "mm/zstore_internal.h"

/* Makes page (a frame already counted as a data frame and reserved) the
 * object of a new slot, of the given kind (enum zstore_whole_kind). */
static int zstore_whole_hold(struct zstore *z, void *page, unsigned kind,
			     store_handle_t *handle)
{
	struct zstore_class *class = zstore_head_class(z);
	struct zstore_slot *slot;
	unsigned long flags;
	unsigned generation;
	uint64_t index;
	int result = zstore_slot_take(z, &index);

	if (result != STORE_OK)
		return result;
	slot = zstore_slot_at(z, index);
	flags = spin_lock_irqsave(&class->lock);
	slot->page = page;
	slot->object = (uint16_t)kind;
	slot->length = ZSTORE_FRAME_SIZE;
	generation = zstore_tag_generation(slot->tag);
	zstore_tag_write(slot, zstore_tag(ZSTORE_SLOT_ADOPTED, class->index,
					  generation, 0));
	spin_unlock_irqrestore(&class->lock, flags);

	zstore_count(&z->pages_whole, 1);
	if (kind == ZSTORE_WHOLE_ADOPTED)
		zstore_count(&z->pages_adopted, 1);
	zstore_count(&z->pages_stored, 1);
	zstore_count(&z->bytes_stored, ZSTORE_FRAME_SIZE);
	zstore_count(&z->puts, 1);
	*handle = zstore_handle_make(z, index, generation);
	return STORE_OK;
}

/* Takes page as a 4096-byte object; see adopt_page in mm/store.h. A page
 * that is not frame-aligned is a caller's bug: STORE_BAD_LENGTH. */
int zstore_adopt_page(struct store *store, void *page, store_handle_t *handle)
{
	struct zstore *z = zstore_of(store);
	int result;

	if (!page || ((uintptr_t)page & (ZSTORE_FRAME_SIZE - 1)))
		return STORE_BAD_LENGTH;
	if (!zstore_reserve(z, 1))
		return zstore_refuse(z, STORE_FULL);
	zstore_count(&z->data_frames, 1);
	result = zstore_whole_hold(z, page, ZSTORE_WHOLE_ADOPTED, handle);
	if (result != STORE_OK) {
		zstore_count(&z->data_frames, -1);
		zstore_unreserve(z, 1);
		return zstore_refuse(z, result);
	}
	return STORE_OK;
}

/*
 * A put of exactly a page (an incompressible page stored raw): a frame of
 * its own from the provider, held by its slot like an adopted page, so it
 * needs no zspage descriptor (64 bytes a page in the raw-page class). Its
 * kind, ZSTORE_WHOLE_COPIED, keeps release_page away from it.
 */
int zstore_raw_put(struct zstore *z, const void *data, store_handle_t *handle)
{
	void *frame;
	int result;

	if (!zstore_reserve(z, 1))
		return zstore_refuse(z, STORE_FULL);
	frame = zstore_frame_get(z, &z->data_frames);
	if (!frame) {
		zstore_unreserve(z, 1);
		return zstore_refuse(z, STORE_NO_MEMORY);
	}
	memcpy(frame, data, ZSTORE_FRAME_SIZE);
	result = zstore_whole_hold(z, frame, ZSTORE_WHOLE_COPIED, handle);
	if (result != STORE_OK) {
		zstore_frame_put(z, frame, &z->data_frames);
		return zstore_refuse(z, result);
	}
	return STORE_OK;
}

/*
 * Ends an adopted page's object: the slot dies (no handle reaches it), the
 * class lock (held on entry, flags from its taking) is dropped and the slot
 * goes back to the free list. The frame is still held and counted: the
 * caller frees it (zstore_frame_put) or hands it back (zstore_release_page).
 */
void zstore_adopted_drop(struct zstore *z, struct zstore_slot *slot,
			 uint64_t index, struct zstore_class *class,
			 unsigned long flags)
{
	unsigned kind = slot->object;

	KASSERT(zstore_tag_state(slot->tag) == ZSTORE_SLOT_ADOPTED &&
		zstore_tag_pins(slot->tag) == 0);
	zstore_tag_write(slot, zstore_tag(ZSTORE_SLOT_RESERVED, 0,
					  zstore_tag_generation(slot->tag), 0));
	spin_unlock_irqrestore(&class->lock, flags);
	zstore_slot_release(z, index);
	zstore_count(&z->pages_whole, -1);
	if (kind == ZSTORE_WHOLE_ADOPTED)
		zstore_count(&z->pages_adopted, -1);
	zstore_count(&z->pages_stored, -1);
	zstore_count(&z->bytes_stored, -(int64_t)ZSTORE_FRAME_SIZE);
	zstore_count(&z->frees, 1);
}

/* Frees an adopted page's object and gives the frame back in *page; see
 * release_page in mm/store.h. */
int zstore_release_page(struct store *store, store_handle_t handle, void **page)
{
	struct zstore *z = zstore_of(store);
	struct zstore_class *class;
	struct zstore_slot *slot;
	unsigned long flags;
	int result = zstore_handle_lock(z, handle, &slot, &class, &flags);

	if (result != STORE_OK)
		return result;
	if (zstore_tag_state(slot->tag) != ZSTORE_SLOT_ADOPTED ||
	    slot->object != ZSTORE_WHOLE_ADOPTED) {
		/* a valid handle of a copied object: the caller's fallback */
		spin_unlock_irqrestore(&class->lock, flags);
		return STORE_BAD_HANDLE;
	}
	if (zstore_tag_pins(slot->tag)) {
		spin_unlock_irqrestore(&class->lock, flags);
		return STORE_BUSY;
	}
	*page = slot->page;
	zstore_adopted_drop(z, slot, handle & ZSTORE_INDEX_MASK, class, flags);
	/* the frame leaves the store: no longer held against the limit */
	zstore_count(&z->data_frames, -1);
	zstore_unreserve(z, 1);
	return STORE_OK;
}

/* At destroy: every adopted page still held goes back to the provider.
 * Nobody else uses the store any more, so no lock is taken. */
void zstore_adopted_release_all(struct zstore *z)
{
	uint64_t slots = zstore_atomic_load(&z->slots_created);

	for (uint64_t index = 1; index < slots && z->pages_whole; index++) {
		struct zstore_slot *slot = zstore_slot_at(z, index);

		if (zstore_tag_state(slot->tag) != ZSTORE_SLOT_ADOPTED)
			continue;
		zstore_frame_put(z, slot->page, &z->data_frames);
		zstore_tag_write(slot, zstore_tag(ZSTORE_SLOT_FREE, 0, 0, 0));
		if (slot->object == ZSTORE_WHOLE_ADOPTED)
			z->pages_adopted--;
		z->pages_whole--;
	}
}
