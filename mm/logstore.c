/*
 * logstore: the log-structured page store (see mm/logstore.h and
 * docs/page-store.md). This file holds the ops (put, read, map, unmap,
 * size, free, stats), the ops table, and creation and destruction; the
 * parts live in mm/logstore_table.c (tables, frames, slots, handle checks),
 * mm/logstore_log.c (appending, copying, live counts) and
 * mm/logstore_compact.c (compaction), sharing mm/logstore_internal.h.
 *
 * Locks: one, the store's `lock` (what it protects: atop
 * mm/logstore_internal.h). Every op takes it with interrupts saved and
 * disabled and releases it before returning; the compaction notification
 * is called after it is released. The provider is called under it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "mm/logstore_internal.h"

static const struct store_ops logstore_ops;

/* Refusal of a put: counted, nothing changed. Lock held. */
static int logstore_refuse(struct logstore *ls, int result)
{
	ls->refusals++;
	return result;
}

static int logstore_put(struct store *store, const void *data, size_t length,
			store_handle_t *handle)
{
	struct logstore *ls = logstore_of(store);
	struct logstore_cursor cursor, start;
	struct logstore_slot *slot;
	unsigned long flags;
	unsigned generation;
	uint64_t index;
	int result;

	if (length == 0 || length > STORE_OBJECT_MAX)
		return STORE_BAD_LENGTH;
	flags = spin_lock_irqsave(&ls->lock);
	/* the slot table grows first: a table frame taken before frames
	 * fail stays for later, the log is not touched until both are there */
	result = logstore_slot_reserve(ls);
	if (result == STORE_OK)
		result = logstore_append_begin(ls, length, &cursor);
	if (result != STORE_OK) {
		result = logstore_refuse(ls, result);
		spin_unlock_irqrestore(&ls->lock, flags);
		return result;
	}
	result = logstore_slot_take(ls, &index);
	KASSERT(result == STORE_OK);
	slot = logstore_slot_at(ls, index);
	start = cursor;
	logstore_copy(ls, &cursor, (void *)data, length, LOGSTORE_COPY_IN);
	logstore_append_end(ls, cursor);
	generation = logstore_tag_generation(slot->tag);
	slot->tag = logstore_tag_live(generation, length);
	slot->where = logstore_where(start);
	ls->pages_stored++;
	ls->bytes_stored += length;
	ls->puts++;
	spin_unlock_irqrestore(&ls->lock, flags);
	*handle = logstore_handle_make(ls, index, generation);
	return STORE_OK;
}

static int logstore_read(struct store *store, store_handle_t handle,
			 void *buffer, size_t buffer_size, size_t *length)
{
	struct logstore *ls = logstore_of(store);
	unsigned long flags = spin_lock_irqsave(&ls->lock);
	struct logstore_cursor cursor;
	struct logstore_slot *slot;
	int result = logstore_handle_check(ls, handle, &slot);

	if (result == STORE_OK) {
		*length = logstore_tag_length(slot->tag);
		if (buffer_size < *length) {
			result = STORE_SHORT_BUFFER;
		} else {
			cursor = logstore_place(slot->where);
			logstore_copy(ls, &cursor, buffer, *length, LOGSTORE_COPY_OUT);
		}
	}
	spin_unlock_irqrestore(&ls->lock, flags);
	return result;
}

/* An object in one frame is pointed to in place and pinned (compaction
 * leaves it, free refuses it); one split across frames is gathered into
 * the bounce buffer, as is one whose pin count is at its maximum. */
static int logstore_map(struct store *store, store_handle_t handle,
			void *bounce, struct store_view *view)
{
	struct logstore *ls = logstore_of(store);
	unsigned long flags = spin_lock_irqsave(&ls->lock);
	struct logstore_cursor cursor;
	struct logstore_slot *slot;
	int result = logstore_handle_check(ls, handle, &slot);

	if (result != STORE_OK)
		goto out;
	view->handle = handle;
	view->slot = slot;
	view->length = logstore_tag_length(slot->tag);
	cursor = logstore_place(slot->where);
	if (logstore_in_one_frame(slot->where, view->length) &&
	    logstore_tag_pins(slot->tag) < LOGSTORE_TAG_PINS_MAX) {
		view->data = (const char *)logstore_frame_at(ls, cursor.frame)->page +
			     cursor.offset;
		view->pinned = true;
		slot->tag += 1u << LOGSTORE_TAG_PINS_SHIFT;
	} else if (!bounce) {
		result = STORE_SHORT_BUFFER;
	} else {
		logstore_copy(ls, &cursor, bounce, view->length, LOGSTORE_COPY_OUT);
		view->data = bounce;
		view->pinned = false;
	}
out:
	spin_unlock_irqrestore(&ls->lock, flags);
	return result;
}

/* Drops the pin map took. A pinned slot cannot be freed, so the view's
 * slot is followed without a second handle check. */
static void logstore_unmap(struct store *store, struct store_view *view)
{
	struct logstore *ls = logstore_of(store);
	struct logstore_slot *slot = view->slot;
	unsigned long flags;

	if (!view->pinned)
		return;
	flags = spin_lock_irqsave(&ls->lock);
	KASSERT((slot->tag & LOGSTORE_TAG_LIVE) && logstore_tag_pins(slot->tag) > 0 &&
		logstore_tag_generation(slot->tag) ==
		((view->handle >> LOGSTORE_INDEX_BITS) & LOGSTORE_GENERATION_MASK));
	slot->tag -= 1u << LOGSTORE_TAG_PINS_SHIFT;
	view->pinned = false;
	view->data = NULL;
	spin_unlock_irqrestore(&ls->lock, flags);
}

static int logstore_size(struct store *store, store_handle_t handle,
			 size_t *length)
{
	struct logstore *ls = logstore_of(store);
	unsigned long flags = spin_lock_irqsave(&ls->lock);
	struct logstore_slot *slot;
	int result = logstore_handle_check(ls, handle, &slot);

	if (result == STORE_OK)
		*length = logstore_tag_length(slot->tag);
	spin_unlock_irqrestore(&ls->lock, flags);
	return result;
}

/* Frees an object (overwriting its bytes with zeros first when wipe) and
 * gives its length; see free_length and free_wipe in mm/store.h. */
static int logstore_free_object(struct store *store, store_handle_t handle,
				size_t *length_out, bool wipe)
{
	struct logstore *ls = logstore_of(store);
	unsigned long flags = spin_lock_irqsave(&ls->lock);
	struct logstore_cursor cursor;
	struct logstore_slot *slot;
	bool notify;
	size_t length;
	int result = logstore_handle_check(ls, handle, &slot);

	if (result != STORE_OK) {
		spin_unlock_irqrestore(&ls->lock, flags);
		return result;
	}
	if (logstore_tag_pins(slot->tag)) {
		spin_unlock_irqrestore(&ls->lock, flags);
		log_warn("store %s: free of mapped handle 0x%llx refused",
			 ls->base.name, (unsigned long long)handle);
		return STORE_BUSY;
	}
	length = logstore_tag_length(slot->tag);
	if (wipe) {
		cursor = logstore_place(slot->where);
		logstore_copy(ls, &cursor, NULL, length, LOGSTORE_COPY_ZERO);
	}
	logstore_live_drop(ls, slot->where, length);
	logstore_slot_release(ls, handle & LOGSTORE_INDEX_MASK);
	ls->pages_stored--;
	ls->bytes_stored -= length;
	ls->frees++;
	notify = logstore_compact_check(ls);
	spin_unlock_irqrestore(&ls->lock, flags);
	if (notify)
		store_notify_compact_wanted(&ls->base);
	*length_out = length;
	return STORE_OK;
}

static int logstore_free(struct store *store, store_handle_t handle)
{
	size_t length;

	return logstore_free_object(store, handle, &length, false);
}

static int logstore_free_length(struct store *store, store_handle_t handle,
				size_t *length)
{
	return logstore_free_object(store, handle, length, false);
}

static int logstore_free_wipe(struct store *store, store_handle_t handle,
			      size_t *length)
{
	return logstore_free_object(store, handle, length, true);
}

static void logstore_stats(struct store *store, struct store_stats *stats)
{
	struct logstore *ls = logstore_of(store);
	unsigned long flags = spin_lock_irqsave(&ls->lock);
	uint64_t frames;

	memset(stats, 0, sizeof(*stats));
	stats->pages_stored = ls->pages_stored;
	stats->bytes_stored = ls->bytes_stored;
	stats->frames_used = ls->data_frames;
	stats->metadata_frames = ls->metadata_frames;
	stats->frame_limit = ls->frame_limit;
	frames = stats->frames_used + stats->metadata_frames;
	stats->ratio_milli = frames ? stats->pages_stored * 1000 / frames : 0;
	stats->puts = ls->puts;
	stats->frees = ls->frees;
	stats->refusals = ls->refusals;
	stats->bad_handles = ls->bad_handles;
	stats->compactions = ls->compactions;
	stats->objects_moved = ls->objects_moved;
	stats->frames_compacted = ls->frames_compacted;
	stats->wasted_bytes = logstore_wasted_bytes(ls);
	spin_unlock_irqrestore(&ls->lock, flags);
	stats->compact_threshold = __atomic_load_n(&ls->compact_threshold,
						   __ATOMIC_RELAXED);
	stats->compaction_requests = __atomic_load_n(&ls->compaction_requests,
						     __ATOMIC_RELAXED);
	stats->compactions_auto = __atomic_load_n(&ls->compactions_auto,
						  __ATOMIC_RELAXED);
}

/* Returns every frame but the header: data frames, then the tables'. */
static void logstore_release_all(struct logstore *ls)
{
	for (uint64_t id = 0; id < ls->frames.count; id++)
		if (logstore_frame_at(ls, (uint32_t)id)->state == LOGSTORE_FRAME_DATA)
			logstore_frame_release(ls, (uint32_t)id);
	logstore_table_release(ls, &ls->slots);
	logstore_table_release(ls, &ls->frames);
	KASSERT(ls->data_frames == 0 && ls->metadata_frames == 1 &&
		ls->frames_held == 1);
}

static void logstore_destroy(struct store *store)
{
	struct logstore *ls = logstore_of(store);
	struct store_page_provider provider = ls->provider;

	if (ls->pages_stored)
		log_info("store %s: destroyed with %llu objects still stored",
			 ls->base.name, (unsigned long long)ls->pages_stored);
	logstore_release_all(ls);
	provider.free_page(provider.context, ls);
}

/* A table whose first entries are the inline ones of the header frame. */
static void logstore_table_init(struct logstore_table *table, void *inline_entries,
				uint32_t entry_size, uint32_t inline_count,
				uint64_t limit)
{
	table->inline_entries = inline_entries;
	table->entry_size = entry_size;
	table->per_frame = LOGSTORE_FRAME_SIZE / entry_size;
	table->inline_count = inline_count;
	table->count = inline_count;
	table->limit = limit;
}

struct store *logstore_create(const struct logstore_config *config)
{
	const char *name = config->name ? config->name : "logstore";
	uint64_t capacity = LOGSTORE_INLINE_SLOTS +
			    (LOGSTORE_TABLE_DIRECT + (uint64_t)LOGSTORE_TABLE_DIRECTORY *
			     LOGSTORE_POINTERS_PER_FRAME) *
			    (LOGSTORE_FRAME_SIZE / sizeof(struct logstore_slot));
	uint64_t max_slots, first, count;
	struct logstore *ls;

	if (!config->provider.alloc_page || !config->provider.free_page) {
		log_error("store %s: no page provider", name);
		return NULL;
	}
	if (config->frame_limit < LOGSTORE_FRAME_LIMIT_MIN) {
		log_error("store %s: frame limit %llu below the %u needed", name,
			  (unsigned long long)config->frame_limit,
			  LOGSTORE_FRAME_LIMIT_MIN);
		return NULL;
	}
	ls = config->provider.alloc_page(config->provider.context);
	if (!ls) {
		log_error("store %s: no frame for the store header", name);
		return NULL;
	}
	memset(ls, 0, LOGSTORE_FRAME_SIZE);
	ls->base.ops = &logstore_ops;
	ls->base.name = name;
	ls->provider = config->provider;
	ls->frame_limit = config->frame_limit;
	/* a per-store salt: handles of one store do not pass in another */
	ls->salt = (uint32_t)(((uintptr_t)ls >> 12) * 0x9e3779b1u) ^ 0x5bd1e995u;
	ls->compact_threshold = config->compact_threshold ?
				config->compact_threshold : LOGSTORE_COMPACT_THRESHOLD;
	ls->frames_held = 1;
	ls->metadata_frames = 1;
	ls->head = LOGSTORE_FRAME_NONE;
	ls->frame_free = LOGSTORE_FRAME_NONE;
	spin_init(&ls->lock, "logstore");

	max_slots = config->max_objects ? config->max_objects + 1 :
		    config->frame_limit * 16;
	if (max_slots > capacity)
		max_slots = capacity;
	if (max_slots > LOGSTORE_INDEX_MASK + 1)
		max_slots = LOGSTORE_INDEX_MASK + 1;
	logstore_table_init(&ls->slots, ls->inline_slots, sizeof(struct logstore_slot),
			    LOGSTORE_INLINE_SLOTS, max_slots);
	logstore_table_init(&ls->frames, ls->inline_frames,
			    sizeof(struct logstore_frame), LOGSTORE_INLINE_FRAMES,
			    LOGSTORE_FRAME_IDS);
	/* the inline entries, up to the limits, on the free lists */
	count = max_slots < LOGSTORE_INLINE_SLOTS ? max_slots : LOGSTORE_INLINE_SLOTS;
	for (first = count; first-- > 1;) {
		ls->inline_slots[first].where = (uint32_t)ls->slot_free;
		ls->slot_free = first;
	}
	for (first = LOGSTORE_INLINE_FRAMES; first-- > 0;) {
		ls->inline_frames[first].next = ls->frame_free;
		ls->frame_free = (uint32_t)first;
	}
	return &ls->base;
}

static const struct store_ops logstore_ops = {
	.name = "logstore",
	.put = logstore_put,
	.read = logstore_read,
	.map = logstore_map,
	.unmap = logstore_unmap,
	.size = logstore_size,
	.free = logstore_free,
	.free_length = logstore_free_length,
	.free_wipe = logstore_free_wipe,
	.stats = logstore_stats,
	.compact = logstore_compact,
	.compact_wanted = logstore_compact_wanted,
	.set_compact_threshold = logstore_set_compact_threshold,
	.destroy = logstore_destroy,
	/* adopt_page, release_page: none (STORE_UNSUPPORTED); an adopted
	 * frame would break the log's frames-in-sequence accounting */
};
