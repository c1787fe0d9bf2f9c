/*
 * logstore internals, shared by the files of the log-structured page store
 * (mm/logstore.h says what it is). Only mm/logstore*.c include this.
 *
 * Layout. Data frames are named by a frame id, an index in the frame
 * descriptor table; an object's place (its slot's `where`) is the frame id
 * in bits 12..31 and the byte offset in bits 0..11. Objects lie end to end
 * in the log: an object continues in the frame its frame's descriptor names
 * as `next` (the frame that followed it as head), across two frames or, for
 * one longer than a page starting near a frame's end, three. Objects carry
 * no header: compaction finds the objects of a frame by a walk of the slot
 * table.
 *
 * Handles. bits 0..29 slot index (0 never used), bits 30..41 the slot's
 * generation (bumped at every free), bits 42..49 a check value mixing
 * index, generation and a per-store salt (the layout zstore uses).
 *
 * Tables. The slot table (8-byte slots) and the frame descriptor table
 * (16-byte descriptors) each start inline in the store's header frame, then
 * grow a frame at a time: the first LOGSTORE_TABLE_DIRECT frames hang from
 * the header, later ones from directory frames of 512 pointers. Table
 * frames are kept once taken (their entries are reused) and returned at
 * destroy; all of them count as metadata frames.
 *
 * Locking: one spinlock per store, `lock`, protects everything in struct
 * logstore but the fields marked atomic, every slot, every descriptor and
 * the bytes of every data frame. It is taken with interrupts off (the fault
 * path calls the store with interrupts off) and the provider is called
 * under it (as zstore calls it under a class lock). Compaction drops it
 * every LOGSTORE_COMPACT_BATCH slots.
 */
#ifndef VEIL_MM_LOGSTORE_INTERNAL_H
#define VEIL_MM_LOGSTORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/spinlock.h"
#include "mm/logstore.h"

#define LOGSTORE_FRAME_SIZE		4096u
#define LOGSTORE_OFFSET_BITS		12u
#define LOGSTORE_OFFSET_MASK		(LOGSTORE_FRAME_SIZE - 1)
#define LOGSTORE_FRAME_IDS		(1u << 20)	/* ids fit bits 12..31 of `where` */
#define LOGSTORE_FRAME_NONE		0xffffffffu

#define LOGSTORE_INDEX_BITS		30u
#define LOGSTORE_GENERATION_BITS	12u
#define LOGSTORE_CHECK_BITS		8u
#define LOGSTORE_INDEX_MASK		((1ull << LOGSTORE_INDEX_BITS) - 1)
#define LOGSTORE_GENERATION_MASK	((1u << LOGSTORE_GENERATION_BITS) - 1)
#define LOGSTORE_CHECK_MASK		((1u << LOGSTORE_CHECK_BITS) - 1)

_Static_assert(LOGSTORE_INDEX_BITS + LOGSTORE_GENERATION_BITS + LOGSTORE_CHECK_BITS ==
	       STORE_HANDLE_BITS, "handle layout must fill the PTE's handle field");

/* A slot's tag: generation bits 0..11, live 12, pins 13..18, length 19..31. */
#define LOGSTORE_TAG_LIVE		(1u << 12)
#define LOGSTORE_TAG_PINS_SHIFT		13u
#define LOGSTORE_TAG_PINS_MAX		63u
#define LOGSTORE_TAG_LENGTH_SHIFT	19u

_Static_assert(STORE_OBJECT_MAX < (1u << (32 - LOGSTORE_TAG_LENGTH_SHIFT)),
	       "an object's length fits the tag");

/* Inline entries in the header frame, then table frames. */
#define LOGSTORE_INLINE_SLOTS		256u
#define LOGSTORE_INLINE_FRAMES		64u
#define LOGSTORE_TABLE_DIRECT		8u
#define LOGSTORE_TABLE_DIRECTORY	16u
#define LOGSTORE_POINTERS_PER_FRAME	(LOGSTORE_FRAME_SIZE / sizeof(void *))

/* Compaction: frames with at most this many live bytes are emptied (at
 * least an eighth of the frame is dead); the slot walk drops the lock
 * every LOGSTORE_COMPACT_BATCH slots; a run makes up to
 * LOGSTORE_COMPACT_PASSES passes (each marks victims anew). */
#define LOGSTORE_VICTIM_LIVE_MAX	(LOGSTORE_FRAME_SIZE * 7 / 8)
#define LOGSTORE_COMPACT_BATCH		32u
#define LOGSTORE_COMPACT_PASSES		3u

/* One entry of the indirection table a handle names. Live: tag has
 * LOGSTORE_TAG_LIVE and where is the object's place. Free: where is the
 * index of the next free slot (0 ends the list). */
struct logstore_slot {
	uint32_t tag;
	uint32_t where;
};

enum logstore_frame_state {
	LOGSTORE_FRAME_UNUSED = 0,	/* id on the free list; next links it */
	LOGSTORE_FRAME_DATA   = 1,
};

/* A data frame's descriptor. */
struct logstore_frame {
	void *page;
	uint32_t next;		/* the frame the log continues in, or the next
				 * free id while unused; LOGSTORE_FRAME_NONE */
	uint16_t live;		/* bytes of live objects in this frame */
	uint8_t state;
	uint8_t victim;		/* chosen by the running compaction */
};

_Static_assert(sizeof(struct logstore_slot) == 8, "slot size");
_Static_assert(sizeof(struct logstore_frame) == 16, "frame descriptor size");

/* A table of fixed-size entries: inline ones first, then frames of them. */
struct logstore_table {
	void *inline_entries;
	uint32_t entry_size;
	uint32_t per_frame;
	uint32_t inline_count;
	uint64_t count;		/* entries that exist (inline ones included) */
	uint64_t limit;		/* entries it may ever have */
	void *direct[LOGSTORE_TABLE_DIRECT];
	void **directory[LOGSTORE_TABLE_DIRECTORY];
};

struct logstore {
	struct store base;		/* first: ops see a struct store */
	struct store_page_provider provider;
	uint32_t salt;			/* set at creation, read-only */

	/* Protects everything below but the atomics, all slots, descriptors
	 * and data bytes (see the file comment). */
	struct spinlock lock;

	/* Frames: held counts all of them (the header too) against the
	 * limit; data and metadata split it. */
	uint64_t frame_limit;
	uint64_t frames_held, data_frames, metadata_frames;

	/* Statistics. */
	uint64_t pages_stored, bytes_stored, puts, frees, refusals;
	uint64_t bad_handles, compactions, objects_moved, frames_compacted;

	/* Automatic compaction, atomics (read by compact_wanted and stats
	 * without the lock): the threshold (percent), whether a free asked
	 * since the last run, the waste that run left (bytes), counters. */
	uint32_t compact_threshold;
	uint32_t compact_pending;
	uint64_t compact_waste_after;
	uint64_t compaction_requests, compactions_auto;
	bool compacting;		/* a compaction run is under way */

	/* The log: where the next object goes. head is LOGSTORE_FRAME_NONE
	 * when the store holds no data frame; head_offset may be the frame's
	 * size (full: the next put takes a new frame). */
	uint32_t head;
	uint32_t head_offset;
	uint32_t frame_free;		/* first unused frame id, or NONE */
	uint64_t slot_free;		/* first free slot, 0: none */

	struct logstore_table slots;
	struct logstore_table frames;
	struct logstore_slot inline_slots[LOGSTORE_INLINE_SLOTS];
	struct logstore_frame inline_frames[LOGSTORE_INLINE_FRAMES];
};

_Static_assert(sizeof(struct logstore) <= LOGSTORE_FRAME_SIZE, "store header frame");

/* Where a copy is in the log: a frame id and an offset (which may be the
 * frame's size: the next byte is in the next frame). */
struct logstore_cursor {
	uint32_t frame;
	uint32_t offset;
};

enum logstore_copy {
	LOGSTORE_COPY_IN,	/* buffer to the log; counts the bytes live */
	LOGSTORE_COPY_OUT,	/* the log to buffer */
	LOGSTORE_COPY_ZERO,	/* zeros over the log's bytes */
};

static inline struct logstore *logstore_of(struct store *store)
{
	return (struct logstore *)store;
}

/* ---- tags and places ---------------------------------------------------- */

static inline unsigned logstore_tag_generation(uint32_t tag)
{
	return tag & LOGSTORE_GENERATION_MASK;
}

static inline unsigned logstore_tag_pins(uint32_t tag)
{
	return (tag >> LOGSTORE_TAG_PINS_SHIFT) & LOGSTORE_TAG_PINS_MAX;
}

static inline size_t logstore_tag_length(uint32_t tag)
{
	return tag >> LOGSTORE_TAG_LENGTH_SHIFT;
}

static inline uint32_t logstore_tag_live(unsigned generation, size_t length)
{
	return generation | LOGSTORE_TAG_LIVE |
	       (uint32_t)length << LOGSTORE_TAG_LENGTH_SHIFT;
}

static inline uint32_t logstore_where(struct logstore_cursor place)
{
	return place.frame << LOGSTORE_OFFSET_BITS | place.offset;
}

static inline struct logstore_cursor logstore_place(uint32_t where)
{
	struct logstore_cursor place = {
		.frame = where >> LOGSTORE_OFFSET_BITS,
		.offset = where & LOGSTORE_OFFSET_MASK,
	};

	return place;
}

/* ---- tables, frames, handles (mm/logstore_table.c) ------------------------ */

void *logstore_table_entry(const struct logstore_table *table, uint64_t index);
int logstore_table_grow(struct logstore *ls, struct logstore_table *table,
			uint64_t *first, uint64_t *count);
void logstore_table_release(struct logstore *ls, struct logstore_table *table);

static inline struct logstore_slot *logstore_slot_at(const struct logstore *ls,
						     uint64_t index)
{
	return logstore_table_entry(&ls->slots, index);
}

static inline struct logstore_frame *logstore_frame_at(const struct logstore *ls,
						       uint32_t id)
{
	return logstore_table_entry(&ls->frames, id);
}

int logstore_metadata_frame(struct logstore *ls, void **frame);
int logstore_frame_take(struct logstore *ls, uint32_t *id);
void logstore_frame_release(struct logstore *ls, uint32_t id);
int logstore_slot_take(struct logstore *ls, uint64_t *index);
void logstore_slot_release(struct logstore *ls, uint64_t index);
int logstore_slot_reserve(struct logstore *ls);
store_handle_t logstore_handle_make(const struct logstore *ls, uint64_t index,
				    unsigned generation);
int logstore_handle_check(struct logstore *ls, store_handle_t handle,
			  struct logstore_slot **slot);

/* ---- the log (mm/logstore_log.c) ------------------------------------------ */

int logstore_append_begin(struct logstore *ls, size_t length,
			  struct logstore_cursor *cursor);
void logstore_append_end(struct logstore *ls, struct logstore_cursor cursor);
void logstore_copy(struct logstore *ls, struct logstore_cursor *cursor,
		   void *buffer, size_t length, enum logstore_copy how);
int64_t logstore_live_drop(struct logstore *ls, uint32_t where, size_t length);
bool logstore_touches_victim(const struct logstore *ls, uint32_t where,
			     size_t length);
bool logstore_in_one_frame(uint32_t where, size_t length);

/* ---- compaction (mm/logstore_compact.c) ----------------------------------- */

size_t logstore_compact(struct store *store);
bool logstore_compact_wanted(struct store *store);
int logstore_set_compact_threshold(struct store *store, unsigned percent);
uint64_t logstore_wasted_bytes(const struct logstore *ls);
bool logstore_compact_check(struct logstore *ls);

#endif
