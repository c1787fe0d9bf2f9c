/*
 * logstore tables and frames: the two growable tables (slots, frame
 * descriptors) that start inline in the header frame, every frame taken
 * from the provider against the limit, the free lists of slots and frame
 * ids, and the handle checks that refuse a stale, forged or corrupted
 * handle before anything follows it. Everything here runs under the
 * store's lock (see mm/logstore_internal.h), but creation and destroy.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "mm/logstore_internal.h"

/* The entry at index (below table->count): inline, in a direct frame, or
 * in a frame a directory frame points to. */
void *logstore_table_entry(const struct logstore_table *table, uint64_t index)
{
	uint64_t page;

	if (index < table->inline_count)
		return (char *)table->inline_entries + index * table->entry_size;
	index -= table->inline_count;
	page = index / table->per_frame;
	index %= table->per_frame;
	if (page < LOGSTORE_TABLE_DIRECT)
		return (char *)table->direct[page] + index * table->entry_size;
	page -= LOGSTORE_TABLE_DIRECT;
	return (char *)table->directory[page / LOGSTORE_POINTERS_PER_FRAME]
		       [page % LOGSTORE_POINTERS_PER_FRAME] +
	       index * table->entry_size;
}

/* Frames against the limit (the header's included). */
static bool logstore_reserve(struct logstore *ls)
{
	if (ls->frames_held >= ls->frame_limit)
		return false;
	ls->frames_held++;
	return true;
}

/* Reserves and takes one metadata frame, zeroed; a result code on failure. */
int logstore_metadata_frame(struct logstore *ls, void **frame)
{
	if (!logstore_reserve(ls))
		return STORE_FULL;
	*frame = ls->provider.alloc_page(ls->provider.context);
	if (!*frame) {
		ls->frames_held--;
		return STORE_NO_MEMORY;
	}
	KASSERT(((uintptr_t)*frame & LOGSTORE_OFFSET_MASK) == 0);
	memset(*frame, 0, LOGSTORE_FRAME_SIZE);
	ls->metadata_frames++;
	return STORE_OK;
}

static void logstore_metadata_put(struct logstore *ls, void *frame)
{
	ls->provider.free_page(ls->provider.context, frame);
	ls->metadata_frames--;
	ls->frames_held--;
}

/*
 * Adds one frame of entries to table (and a directory frame first when the
 * new frame needs one); the entries to hand out are [*first, *first +
 * *count), zeroed (fewer than a frame's when the table's limit cuts it). STORE_FULL at the table's or the store's limit. A directory frame
 * taken when the entry frame then fails stays for the next growth.
 */
int logstore_table_grow(struct logstore *ls, struct logstore_table *table,
			uint64_t *first, uint64_t *count)
{
	uint64_t page = (table->count - table->inline_count) / table->per_frame;
	void **where;
	void *frame;
	int result;

	if (table->count >= table->limit)
		return STORE_FULL;
	if (page < LOGSTORE_TABLE_DIRECT) {
		where = &table->direct[page];
	} else {
		uint64_t beyond = page - LOGSTORE_TABLE_DIRECT;
		uint64_t directory = beyond / LOGSTORE_POINTERS_PER_FRAME;

		if (directory >= LOGSTORE_TABLE_DIRECTORY)
			return STORE_FULL;
		if (!table->directory[directory]) {
			result = logstore_metadata_frame(ls, &frame);
			if (result != STORE_OK)
				return result;
			table->directory[directory] = frame;
		}
		where = &table->directory[directory][beyond % LOGSTORE_POINTERS_PER_FRAME];
	}
	result = logstore_metadata_frame(ls, &frame);
	if (result != STORE_OK)
		return result;
	*where = frame;
	*first = table->count;
	/* entries past the limit exist but are never handed out */
	*count = table->limit - table->count < table->per_frame ?
		 table->limit - table->count : table->per_frame;
	table->count += table->per_frame;
	return STORE_OK;
}

/* Returns every frame of table to the provider (destroy). */
void logstore_table_release(struct logstore *ls, struct logstore_table *table)
{
	for (unsigned p = 0; p < LOGSTORE_TABLE_DIRECT; p++)
		if (table->direct[p])
			logstore_metadata_put(ls, table->direct[p]);
	for (unsigned d = 0; d < LOGSTORE_TABLE_DIRECTORY; d++) {
		if (!table->directory[d])
			continue;
		for (unsigned p = 0; p < LOGSTORE_POINTERS_PER_FRAME; p++)
			if (table->directory[d][p])
				logstore_metadata_put(ls, table->directory[d][p]);
		logstore_metadata_put(ls, table->directory[d]);
	}
}

/* ---- data frames --------------------------------------------------------- */

/* Puts ids [first, first + count) on the free list, in index order. */
static void logstore_frame_ids_add(struct logstore *ls, uint64_t first,
				   uint64_t count)
{
	for (uint64_t i = first + count; i-- > first;) {
		struct logstore_frame *frame = logstore_frame_at(ls, (uint32_t)i);

		frame->state = LOGSTORE_FRAME_UNUSED;
		frame->next = ls->frame_free;
		ls->frame_free = (uint32_t)i;
	}
}

/*
 * Takes a data frame: an id (the descriptor table grows when none is
 * free), a frame against the limit and from the provider. The descriptor
 * is fresh: no live byte, no next, not a victim. A failure changes nothing
 * but a table frame that stays for later.
 */
int logstore_frame_take(struct logstore *ls, uint32_t *id)
{
	struct logstore_frame *frame;
	uint64_t first, count;
	void *page;
	int result;

	if (ls->frame_free == LOGSTORE_FRAME_NONE) {
		result = logstore_table_grow(ls, &ls->frames, &first, &count);
		if (result != STORE_OK)
			return result;
		logstore_frame_ids_add(ls, first, count);
	}
	if (!logstore_reserve(ls))
		return STORE_FULL;
	page = ls->provider.alloc_page(ls->provider.context);
	if (!page) {
		ls->frames_held--;
		return STORE_NO_MEMORY;
	}
	KASSERT(((uintptr_t)page & LOGSTORE_OFFSET_MASK) == 0);
	*id = ls->frame_free;
	frame = logstore_frame_at(ls, *id);
	ls->frame_free = frame->next;
	frame->page = page;
	frame->next = LOGSTORE_FRAME_NONE;
	frame->live = 0;
	frame->victim = 0;
	frame->state = LOGSTORE_FRAME_DATA;
	ls->data_frames++;
	return STORE_OK;
}

/* Gives a data frame back to the provider and its id to the free list; the
 * head is forgotten if it was this frame. */
void logstore_frame_release(struct logstore *ls, uint32_t id)
{
	struct logstore_frame *frame = logstore_frame_at(ls, id);

	KASSERT(frame->state == LOGSTORE_FRAME_DATA);
	ls->provider.free_page(ls->provider.context, frame->page);
	frame->page = NULL;
	frame->victim = 0;
	frame->live = 0;
	frame->state = LOGSTORE_FRAME_UNUSED;
	frame->next = ls->frame_free;
	ls->frame_free = id;
	ls->data_frames--;
	ls->frames_held--;
	if (ls->head == id) {
		ls->head = LOGSTORE_FRAME_NONE;
		ls->head_offset = 0;
	}
}

/* ---- slots and handles --------------------------------------------------- */

/* Links slots [first, first + count) into the free list (slot 0 never). */
static void logstore_slots_add(struct logstore *ls, uint64_t first, uint64_t count)
{
	for (uint64_t i = first + count; i-- > first;) {
		if (i == 0)
			continue;
		logstore_slot_at(ls, i)->where = (uint32_t)ls->slot_free;
		ls->slot_free = i;
	}
}

/* Makes sure a free slot exists (growing the table), without taking it. */
int logstore_slot_reserve(struct logstore *ls)
{
	uint64_t first, count;
	int result;

	if (ls->slot_free)
		return STORE_OK;
	result = logstore_table_grow(ls, &ls->slots, &first, &count);
	if (result != STORE_OK)
		return result;
	logstore_slots_add(ls, first, count);
	return STORE_OK;
}

/* Takes the first free slot (logstore_slot_reserve made sure of one); the
 * slot keeps its generation. */
int logstore_slot_take(struct logstore *ls, uint64_t *index)
{
	int result = logstore_slot_reserve(ls);

	if (result != STORE_OK)
		return result;
	*index = ls->slot_free;
	ls->slot_free = logstore_slot_at(ls, *index)->where;
	return STORE_OK;
}

/* Returns a slot to the free list with the next generation, so every
 * handle that named it is refused from now on. */
void logstore_slot_release(struct logstore *ls, uint64_t index)
{
	struct logstore_slot *slot = logstore_slot_at(ls, index);

	slot->tag = (logstore_tag_generation(slot->tag) + 1) & LOGSTORE_GENERATION_MASK;
	slot->where = (uint32_t)ls->slot_free;
	ls->slot_free = index;
}

static unsigned logstore_check_value(const struct logstore *ls, uint64_t index,
				     unsigned generation)
{
	uint64_t mix = (index | (uint64_t)generation << 32) ^ ls->salt;

	mix *= 0x9e3779b97f4a7c15ull;
	mix ^= mix >> 31;
	mix *= 0x94d049bb133111ebull;
	return (unsigned)(mix >> 56) & LOGSTORE_CHECK_MASK;
}

store_handle_t logstore_handle_make(const struct logstore *ls, uint64_t index,
				    unsigned generation)
{
	return index | (uint64_t)generation << LOGSTORE_INDEX_BITS |
	       (uint64_t)logstore_check_value(ls, index, generation)
		       << (LOGSTORE_INDEX_BITS + LOGSTORE_GENERATION_BITS);
}

static int logstore_bad_handle(struct logstore *ls, store_handle_t handle,
			       const char *why)
{
	uint64_t count = ++ls->bad_handles;

	/* every one is counted; messages thin out so a flood stays readable */
	if (count <= 8 || (count & (count - 1)) == 0)
		log_warn("store %s: refused handle 0x%llx: %s (%llu refused so far)",
			 ls->base.name, (unsigned long long)handle, why,
			 (unsigned long long)count);
	return STORE_BAD_HANDLE;
}

/*
 * Checks a handle, lock held: its range, check value, the slot's state and
 * generation. On success *slot is the live slot the handle names.
 */
int logstore_handle_check(struct logstore *ls, store_handle_t handle,
			  struct logstore_slot **slot)
{
	uint64_t index = handle & LOGSTORE_INDEX_MASK;
	unsigned generation = (handle >> LOGSTORE_INDEX_BITS) & LOGSTORE_GENERATION_MASK;
	unsigned check = (handle >> (LOGSTORE_INDEX_BITS + LOGSTORE_GENERATION_BITS)) &
			 LOGSTORE_CHECK_MASK;
	uint32_t tag;

	if (handle >> STORE_HANDLE_BITS)
		return logstore_bad_handle(ls, handle, "above the handle limit");
	if (check != logstore_check_value(ls, index, generation))
		return logstore_bad_handle(ls, handle, "check value does not match");
	if (index == 0 || index >= ls->slots.count)
		return logstore_bad_handle(ls, handle, "slot out of range");
	*slot = logstore_slot_at(ls, index);
	tag = (*slot)->tag;
	if (!(tag & LOGSTORE_TAG_LIVE))
		return logstore_bad_handle(ls, handle, "slot not in use (freed?)");
	if (logstore_tag_generation(tag) != generation)
		return logstore_bad_handle(ls, handle, "stale generation");
	return STORE_OK;
}
