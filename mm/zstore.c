/*
 * zstore: the size-class page store (see mm/zstore.h and docs/page-store.md).
 * This file holds the ops (put, read, map, unmap, size, free, stats), the
 * ops table, and creation and destruction; the parts live in
 * mm/zstore_frame.c (frames, metadata chunks), mm/zstore_handle.c (slots
 * and handle checks), mm/zstore_class.c (classes, zspages, objects),
 * mm/zstore_compact.c (compaction), mm/zstore_adopt.c (whole pages kept
 * without a copy), sharing mm/zstore_internal.h.
 *
 * Locks (each declaration says what it protects): one per class, plus
 * slot_lock and meta_lock in the store. Order: a class lock, then meta_lock,
 * then whatever the provider takes; slot_lock is never held together with a
 * class lock. A put of an object longer than a frame takes the head class's
 * lock and releases it before it takes the tail's. Compaction holds one
 * class lock at a time. Adopted pages are guarded by the raw-page class's
 * lock, taken like any class lock (never with slot_lock held). The mixed
 * class's lock is a class lock too: a put looks at its size class under
 * that class's lock, drops it, then takes the mixed one.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "mm/zstore_internal.h"

static const struct store_ops zstore_ops;

static int zstore_put(struct store *store, const void *data, size_t length,
		      store_handle_t *handle)
{
	struct zstore *z = zstore_of(store);
	struct zstore_zspage *zspage, *head = NULL;
	bool oversize = zstore_oversize(length);
	struct zstore_class *class;
	struct zstore_slot *slot;
	unsigned long flags;
	unsigned object, generation;
	size_t offset;
	uint64_t index;
	int result;

	if (length == 0 || length > STORE_OBJECT_MAX)
		return STORE_BAD_LENGTH;
	if (length == ZSTORE_FRAME_SIZE)
		return zstore_raw_put(z, data, handle);
	result = zstore_slot_take(z, &index);
	if (result != STORE_OK)
		return zstore_refuse(z, result);
	slot = zstore_slot_at(z, index);
	if (oversize) {
		result = zstore_head_put(z, data, &head);
		if (result != STORE_OK) {
			zstore_slot_release(z, index);
			return zstore_refuse(z, result);
		}
	}

	result = zstore_object_place(z, length, &class, &flags, &zspage, &object);
	if (result != STORE_OK) {
		if (head)
			zstore_head_free(z, head);
		zstore_slot_release(z, index);
		return zstore_refuse(z, result);
	}
	zstore_header_write(class, zspage, object, ZSTORE_HEADER_LIVE | (uint32_t)index);
	offset = zstore_data_offset(class, object);
	if (oversize) {
		zstore_copy_in(zspage, offset, &head, sizeof(head));
		zstore_copy_in(zspage, offset + sizeof(head),
			       (const char *)data + ZSTORE_FRAME_SIZE,
			       length - ZSTORE_FRAME_SIZE);
	} else {
		zstore_copy_in(zspage, offset, data, length);
	}
	slot->zspage = zspage;
	slot->object = (uint16_t)object;
	slot->length = (uint16_t)length;
	generation = zstore_tag_generation(slot->tag);
	zstore_tag_write(slot, zstore_tag(ZSTORE_SLOT_LIVE, class->index,
					  generation, 0));
	spin_unlock_irqrestore(&class->lock, flags);

	zstore_count(&z->pages_stored, 1);
	zstore_count(&z->bytes_stored, (int64_t)length);
	zstore_count(&z->puts, 1);
	*handle = zstore_handle_make(z, index, generation);
	return STORE_OK;
}

static int zstore_read(struct store *store, store_handle_t handle,
		       void *buffer, size_t buffer_size, size_t *length)
{
	struct zstore *z = zstore_of(store);
	struct zstore_class *class;
	struct zstore_slot *slot;
	unsigned long flags;
	int result = zstore_handle_lock(z, handle, &slot, &class, &flags);

	if (result != STORE_OK)
		return result;
	*length = slot->length;
	if (buffer_size < slot->length)
		result = STORE_SHORT_BUFFER;
	else if (zstore_tag_state(slot->tag) == ZSTORE_SLOT_ADOPTED)
		memcpy(buffer, slot->page, ZSTORE_FRAME_SIZE);
	else
		zstore_object_read(class, slot, buffer);
	spin_unlock_irqrestore(&class->lock, flags);
	return result;
}

static int zstore_map(struct store *store, store_handle_t handle, void *bounce,
		      struct store_view *view)
{
	struct zstore *z = zstore_of(store);
	struct zstore_class *class;
	struct zstore_slot *slot;
	unsigned long flags;
	size_t offset;
	int result = zstore_handle_lock(z, handle, &slot, &class, &flags);

	if (result != STORE_OK)
		return result;
	view->handle = handle;
	view->slot = slot;
	view->length = slot->length;
	if (zstore_tag_state(slot->tag) == ZSTORE_SLOT_ADOPTED) {
		if (zstore_tag_pins(slot->tag) < ZSTORE_TAG_PINS_MAX) {
			/* the page itself; the pin keeps free and release away */
			view->data = slot->page;
			view->pinned = true;
			zstore_tag_write(slot, slot->tag + (1u << ZSTORE_TAG_PINS_SHIFT));
		} else if (!bounce) {
			result = STORE_SHORT_BUFFER;
		} else {
			memcpy(bounce, slot->page, ZSTORE_FRAME_SIZE);
			view->data = bounce;
			view->pinned = false;
		}
		spin_unlock_irqrestore(&class->lock, flags);
		return result;
	}
	offset = zstore_data_offset(class, slot->object);
	if (!zstore_oversize(slot->length) &&
	    offset / ZSTORE_FRAME_SIZE ==
	    (offset + slot->length - 1) / ZSTORE_FRAME_SIZE &&
	    zstore_tag_pins(slot->tag) < ZSTORE_TAG_PINS_MAX) {
		/* in one frame: point to it and keep compaction away */
		view->data = (const char *)slot->zspage->frames[offset / ZSTORE_FRAME_SIZE] +
			     offset % ZSTORE_FRAME_SIZE;
		view->pinned = true;
		slot->zspage->pins++;
		zstore_tag_write(slot, slot->tag + (1u << ZSTORE_TAG_PINS_SHIFT));
	} else if (!bounce) {
		result = STORE_SHORT_BUFFER;	/* spans frames: a copy is needed */
	} else {
		zstore_object_read(class, slot, bounce);
		view->data = bounce;
		view->pinned = false;
	}
	spin_unlock_irqrestore(&class->lock, flags);
	return result;
}

/* Drops the pin map took. A pinned slot cannot be freed, so its tag's
 * state and class stay put: the view's slot pointer is followed without a
 * second handle check (the generation is still checked, under the lock). */
static void zstore_unmap(struct store *store, struct store_view *view)
{
	struct zstore *z = zstore_of(store);
	struct zstore_slot *slot = view->slot;
	struct zstore_class *class;
	unsigned long flags;
	uint32_t tag;

	if (!view->pinned)
		return;
	class = z->classes[zstore_tag_class(zstore_tag_read(slot))];
	flags = spin_lock_irqsave(&class->lock);
	tag = slot->tag;
	KASSERT(zstore_tag_state(tag) >= ZSTORE_SLOT_LIVE &&
		zstore_tag_pins(tag) > 0 &&
		zstore_tag_generation(tag) ==
		((view->handle >> ZSTORE_INDEX_BITS) & ZSTORE_GENERATION_MASK));
	zstore_tag_write(slot, tag - (1u << ZSTORE_TAG_PINS_SHIFT));
	if (zstore_tag_state(tag) == ZSTORE_SLOT_LIVE) {
		KASSERT(slot->zspage->pins > 0);
		slot->zspage->pins--;
	}
	view->pinned = false;
	view->data = NULL;
	spin_unlock_irqrestore(&class->lock, flags);
}

static int zstore_size(struct store *store, store_handle_t handle,
		       size_t *length)
{
	struct zstore *z = zstore_of(store);
	struct zstore_class *class;
	struct zstore_slot *slot;
	unsigned long flags;
	int result = zstore_handle_lock(z, handle, &slot, &class, &flags);

	if (result != STORE_OK)
		return result;
	*length = slot->length;
	spin_unlock_irqrestore(&class->lock, flags);
	return STORE_OK;
}

/* Frees an object and gives its length; see free_length in mm/store.h.
 * Inlined into both ops, so a plain free pays no extra call. */
static inline __attribute__((always_inline)) int
zstore_free_object(struct store *store, store_handle_t handle,
		   size_t *length_out, bool wipe)
{
	struct zstore *z = zstore_of(store);
	uint64_t index = handle & ZSTORE_INDEX_MASK;
	struct zstore_zspage *head;
	struct zstore_class *class;
	struct zstore_slot *slot;
	unsigned long flags;
	size_t length;
	int result = zstore_handle_lock(z, handle, &slot, &class, &flags);

	if (result != STORE_OK)
		return result;
	if (zstore_tag_pins(slot->tag)) {
		spin_unlock_irqrestore(&class->lock, flags);
		log_warn("store %s: free of mapped handle 0x%llx refused",
			 z->base.name, (unsigned long long)handle);
		return STORE_BUSY;
	}
	length = slot->length;
	if (zstore_tag_state(slot->tag) == ZSTORE_SLOT_ADOPTED) {
		void *page = slot->page;

		if (wipe)
			memset(page, 0, ZSTORE_FRAME_SIZE);

		zstore_adopted_drop(z, slot, index, class, flags);
		zstore_frame_put(z, page, &z->data_frames);
		*length_out = length;
		return STORE_OK;
	}
	if (wipe)
		zstore_object_wipe(class, slot);
	head = zstore_oversize(length) ? zstore_head_of(class, slot) : NULL;
	zstore_class_drop(z, class, slot->zspage, slot->object, index, length);
	/* no handle reaches the slot now: only the free list will */
	zstore_tag_write(slot, zstore_tag(ZSTORE_SLOT_RESERVED, 0,
					  zstore_tag_generation(slot->tag), 0));
	spin_unlock_irqrestore(&class->lock, flags);
	if (head)
		zstore_head_free(z, head);
	zstore_slot_release(z, index);

	zstore_demand_count(z, length, -1);
	zstore_count(&z->pages_stored, -1);
	zstore_count(&z->bytes_stored, -(int64_t)length);
	zstore_count(&z->frees, 1);
	zstore_compact_check(z);
	*length_out = length;
	return STORE_OK;
}

static int zstore_free_length(struct store *store, store_handle_t handle,
			      size_t *length)
{
	return zstore_free_object(store, handle, length, false);
}

static int zstore_free_wipe(struct store *store, store_handle_t handle,
			    size_t *length)
{
	return zstore_free_object(store, handle, length, true);
}

static int zstore_free(struct store *store, store_handle_t handle)
{
	size_t length;

	return zstore_free_object(store, handle, &length, false);
}

static void zstore_stats(struct store *store, struct store_stats *stats)
{
	struct zstore *z = zstore_of(store);
	uint64_t frames;

	stats->pages_stored = zstore_atomic_load(&z->pages_stored);
	stats->bytes_stored = zstore_atomic_load(&z->bytes_stored);
	stats->frames_used = zstore_atomic_load(&z->data_frames);
	stats->metadata_frames = zstore_atomic_load(&z->metadata_frames);
	stats->frame_limit = z->frame_limit;
	frames = stats->frames_used + stats->metadata_frames;
	stats->ratio_milli = frames ? stats->pages_stored * 1000 / frames : 0;
	stats->puts = zstore_atomic_load(&z->puts);
	stats->frees = zstore_atomic_load(&z->frees);
	stats->refusals = zstore_atomic_load(&z->refusals);
	stats->bad_handles = zstore_atomic_load(&z->bad_handles);
	stats->compactions = zstore_atomic_load(&z->compactions);
	stats->objects_moved = zstore_atomic_load(&z->objects_moved);
	stats->frames_compacted = zstore_atomic_load(&z->frames_compacted);
	stats->pages_adopted = zstore_atomic_load(&z->pages_adopted);
	stats->wasted_bytes = zstore_wasted_bytes(z);
	stats->compact_threshold = __atomic_load_n(&z->compact_threshold,
						   __ATOMIC_RELAXED);
	stats->compaction_requests = zstore_atomic_load(&z->compaction_requests);
	stats->compactions_auto = zstore_atomic_load(&z->compactions_auto);
}

static void zstore_release_all(struct zstore *z)
{
	zstore_adopted_release_all(z);	/* they need the slot table */
	for (unsigned i = 0; i <= ZSTORE_CLASS_MIXED; i++) {
		struct zstore_class *class = z->classes[i];

		if (!class || class->index != i)
			continue;
		for (unsigned group = 0; group < ZSTORE_GROUPS; group++)
			while (class->groups[group]) {
				struct zstore_zspage *zspage = class->groups[group];

				zstore_list_remove(class, zspage);
				zstore_zspage_release(z, class, zspage);
			}
	}
	for (unsigned p = 0; p < ZSTORE_DIRECT_SLOT_FRAMES; p++)
		if (z->slot_frames[p])
			zstore_frame_put(z, z->slot_frames[p], &z->metadata_frames);
	for (unsigned d = 0; z->directory && d < ZSTORE_DIRECTORY_FRAMES &&
			     z->directory[d]; d++) {
		for (unsigned p = 0; p < ZSTORE_POINTERS_PER_FRAME; p++)
			if (z->directory[d][p])
				zstore_frame_put(z, z->directory[d][p],
						 &z->metadata_frames);
		zstore_frame_put(z, z->directory[d], &z->metadata_frames);
	}
	if (z->directory)
		zstore_frame_put(z, z->directory, &z->metadata_frames);
	for (unsigned i = 0; i < ZSTORE_CLASS_FRAMES && z->class_frames[i]; i++)
		zstore_frame_put(z, z->class_frames[i], &z->metadata_frames);
	/* zspage descriptors live in the chunk frames and the header's tail */
	while (z->meta_frames) {
		struct zstore_meta_frame *meta = z->meta_frames;

		z->meta_frames = meta->next;
		zstore_frame_put(z, meta, &z->metadata_frames);
	}
	KASSERT(z->data_frames == 0 && z->metadata_frames == 1);
}

static void zstore_destroy(struct store *store)
{
	struct zstore *z = zstore_of(store);
	struct store_page_provider provider = z->provider;

	if (z->pages_stored)
		log_info("store %s: destroyed with %llu objects still stored",
			 z->base.name, (unsigned long long)z->pages_stored);
	zstore_release_all(z);
	provider.free_page(provider.context, z);
}

struct store *zstore_create(const struct zstore_config *config)
{
	const char *name = config->name ? config->name : "zstore";
	uint64_t capacity = ((uint64_t)ZSTORE_DIRECTORY_FRAMES *
			     ZSTORE_POINTERS_PER_FRAME + ZSTORE_DIRECT_SLOT_FRAMES) *
			    ZSTORE_SLOTS_PER_FRAME;
	struct zstore *z;

	if (!config->provider.alloc_page || !config->provider.free_page) {
		log_error("store %s: no page provider", name);
		return NULL;
	}
	/* the header, the class descriptors and a first zspage at least */
	if (config->frame_limit < 16) {
		log_error("store %s: frame limit %llu below the 16 needed", name,
			  (unsigned long long)config->frame_limit);
		return NULL;
	}
	z = config->provider.alloc_page(config->provider.context);
	if (!z) {
		log_error("store %s: no frame for the store header", name);
		return NULL;
	}
	memset(z, 0, ZSTORE_FRAME_SIZE);
	z->base.ops = &zstore_ops;
	z->base.name = name;
	z->provider = config->provider;
	z->frame_limit = config->frame_limit;
	if (capacity > ZSTORE_INDEX_MASK + 1)
		capacity = ZSTORE_INDEX_MASK + 1;
	z->max_slots = config->max_objects ? config->max_objects + 1 :
			config->frame_limit * (ZSTORE_FRAME_SIZE / ZSTORE_CLASS_STEP);
	if (z->max_slots > capacity)
		z->max_slots = capacity;
	/* a per-store salt: handles of one store do not pass in another */
	z->salt = (uint32_t)(((uintptr_t)z >> 12) * 0x2545f491u);
	z->compact_threshold = config->compact_threshold ?
			       config->compact_threshold : ZSTORE_COMPACT_THRESHOLD;
	z->frames_held = 1;
	z->metadata_frames = 1;
	spin_init(&z->meta_lock, "zstore metadata");
	spin_init(&z->slot_lock, "zstore slots");
	zstore_chunks_seed(z);
	if (zstore_classes_create(z) != STORE_OK) {
		log_error("store %s: no frames for the class descriptors", name);
		zstore_destroy(&z->base);
		return NULL;
	}
	return &z->base;
}

static const struct store_ops zstore_ops = {
	.name = "zstore",
	.put = zstore_put,
	.read = zstore_read,
	.map = zstore_map,
	.unmap = zstore_unmap,
	.size = zstore_size,
	.free = zstore_free,
	.free_length = zstore_free_length,
	.free_wipe = zstore_free_wipe,
	.stats = zstore_stats,
	.compact = zstore_compact,
	.compact_wanted = zstore_compact_wanted,
	.set_compact_threshold = zstore_set_compact_threshold,
	.destroy = zstore_destroy,
	.adopt_page = zstore_adopt_page,
	.release_page = zstore_release_page,
};
