/*
 * logstore compaction: frames with at least an eighth of their bytes dead
 * (not the head) are chosen as victims; a walk of the slot table moves
 * every live, unmapped object that covers a victim to the head, and each
 * victim goes back to the provider as its last live byte leaves. A frame
 * that was dense loses the object it shared with a victim, so a run makes
 * a few passes, while the last one released frames. Handles
 * stay valid: only the slots' places change. The walk drops the store's
 * lock every LOGSTORE_COMPACT_BATCH slots, so a put or a fault waits for
 * at most that many moves; objects put meanwhile go to the head, never to
 * a victim, so each object moves at most once a run and a run ends.
 * Also here: the waste check a free makes, which asks for compaction.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/spinlock.h"
#include "mm/logstore_internal.h"

/* Marks the victims of a run, lock held; returns how many. */
static uint64_t logstore_victims_mark(struct logstore *ls)
{
	uint64_t victims = 0;

	for (uint64_t id = 0; id < ls->frames.count; id++) {
		struct logstore_frame *frame = logstore_frame_at(ls, (uint32_t)id);

		if (frame->state == LOGSTORE_FRAME_DATA && id != ls->head &&
		    frame->live <= LOGSTORE_VICTIM_LIVE_MAX) {
			frame->victim = 1;
			victims++;
		}
	}
	return victims;
}

/* Ends a run's choice, lock held: victims still holding a pinned object
 * (or one a full store could not move) stay as they are. */
static void logstore_victims_clear(struct logstore *ls)
{
	for (uint64_t id = 0; id < ls->frames.count; id++)
		logstore_frame_at(ls, (uint32_t)id)->victim = 0;
}

/*
 * Moves one live object to the head, lock held: appended, copied a piece
 * (the part in one source frame) at a time, the slot pointed there, the old
 * bytes zeroed and dropped from their frames' live counts. *released gains the frames
 * that went back net of those the append took. False (nothing changed)
 * when the store could not take a frame for it.
 */
static bool logstore_object_move(struct logstore *ls, struct logstore_slot *slot,
				 int64_t *released)
{
	size_t length = logstore_tag_length(slot->tag);
	struct logstore_cursor from = logstore_place(slot->where);
	struct logstore_cursor to, start;
	uint64_t frames_before = ls->data_frames;
	size_t left = length;

	if (logstore_append_begin(ls, length, &to) != STORE_OK)
		return false;
	start = to;
	while (left) {
		struct logstore_frame *frame;
		size_t chunk;

		if (from.offset == LOGSTORE_FRAME_SIZE) {
			from.frame = logstore_frame_at(ls, from.frame)->next;
			from.offset = 0;
		}
		frame = logstore_frame_at(ls, from.frame);
		chunk = LOGSTORE_FRAME_SIZE - from.offset;
		if (chunk > left)
			chunk = left;
		logstore_copy(ls, &to, (char *)frame->page + from.offset, chunk,
			      LOGSTORE_COPY_IN);
		from.offset += (uint32_t)chunk;
		left -= chunk;
	}
	logstore_append_end(ls, to);
	/* The old bytes are zeroed before they are dropped: free_wipe zeroes
	 * an object where it is, so a copy that must not stay in RAM (a
	 * compressed-clear or old-key copy of a confidential region) must
	 * leave nothing where it was (the coldboot step scans for it). */
	from = logstore_place(slot->where);
	logstore_copy(ls, &from, NULL, length, LOGSTORE_COPY_ZERO);
	logstore_live_drop(ls, slot->where, length);
	slot->where = logstore_where(start);
	ls->objects_moved++;
	*released += (int64_t)frames_before - (int64_t)ls->data_frames;
	return true;
}

/* Moves the objects covering victims among slots [*index, its batch's
 * end), lock held; false when a move could not get a frame. */
static bool logstore_compact_batch(struct logstore *ls, uint64_t *index,
				   int64_t *released)
{
	uint64_t end = *index + LOGSTORE_COMPACT_BATCH;

	if (end > ls->slots.count)
		end = ls->slots.count;
	for (; *index < end; ++*index) {
		struct logstore_slot *slot = logstore_slot_at(ls, *index);

		if (!(slot->tag & LOGSTORE_TAG_LIVE) || logstore_tag_pins(slot->tag) ||
		    !logstore_touches_victim(ls, slot->where,
					     logstore_tag_length(slot->tag)))
			continue;
		if (!logstore_object_move(ls, slot, released))
			return false;
	}
	return true;
}

/*
 * One compaction run (ops->compact); returns the data frames released net
 * of those it took. A run asked for while another is under way returns 0
 * at once.
 */
size_t logstore_compact(struct store *store)
{
	struct logstore *ls = logstore_of(store);
	bool asked = __atomic_exchange_n(&ls->compact_pending, 0, __ATOMIC_ACQ_REL);
	unsigned long flags = spin_lock_irqsave(&ls->lock);
	uint64_t victims, index;
	int64_t released = 0;
	bool going = true;

	if (ls->compacting) {
		spin_unlock_irqrestore(&ls->lock, flags);
		return 0;
	}
	ls->compacting = true;
	/* a pass empties its victims, but frames that were dense may have
	 * lost an object that spanned into one: passes go on while the last
	 * one released frames, LOGSTORE_COMPACT_PASSES at most */
	for (unsigned pass = 0; going && pass < LOGSTORE_COMPACT_PASSES; pass++) {
		int64_t before = released;

		victims = logstore_victims_mark(ls);
		for (index = 1; victims && going && index < ls->slots.count;) {
			going = logstore_compact_batch(ls, &index, &released);
			spin_unlock_irqrestore(&ls->lock, flags);
			flags = spin_lock_irqsave(&ls->lock);
		}
		if (victims)
			logstore_victims_clear(ls);
		if (released <= before)
			break;
	}
	ls->compacting = false;
	if (released < 0)
		released = 0;
	ls->compactions++;
	ls->frames_compacted += (uint64_t)released;
	__atomic_store_n(&ls->compact_waste_after, logstore_wasted_bytes(ls),
			 __ATOMIC_RELAXED);
	spin_unlock_irqrestore(&ls->lock, flags);
	if (asked)
		__atomic_add_fetch(&ls->compactions_auto, 1, __ATOMIC_RELAXED);
	return (size_t)released;
}

/* Bytes of the data frames no live object fills: dead objects and the
 * head's room. Lock held. */
uint64_t logstore_wasted_bytes(const struct logstore *ls)
{
	uint64_t capacity = ls->data_frames * LOGSTORE_FRAME_SIZE;

	return capacity > ls->bytes_stored ? capacity - ls->bytes_stored : 0;
}

/*
 * After a free, lock held: asks for compaction when the waste passed the
 * threshold (percent of the data frames' bytes), is
 * LOGSTORE_COMPACT_MIN_WASTE frames at least, and grew by that much since
 * the last run (waste a run cannot remove, frames under an eighth dead,
 * does not ask again and again). True when it asked: the caller calls the
 * store's compaction notification once the lock is released.
 */
bool logstore_compact_check(struct logstore *ls)
{
	uint32_t threshold = __atomic_load_n(&ls->compact_threshold, __ATOMIC_RELAXED);
	uint64_t data = ls->data_frames * LOGSTORE_FRAME_SIZE;
	uint64_t minimum = (uint64_t)LOGSTORE_COMPACT_MIN_WASTE * LOGSTORE_FRAME_SIZE;
	uint64_t waste, after;
	uint32_t idle = 0;

	if (threshold > 100 || __atomic_load_n(&ls->compact_pending, __ATOMIC_RELAXED))
		return false;
	waste = logstore_wasted_bytes(ls);
	after = __atomic_load_n(&ls->compact_waste_after, __ATOMIC_RELAXED);
	if (waste < after) {	/* the store shrank: so does the baseline */
		__atomic_store_n(&ls->compact_waste_after, waste, __ATOMIC_RELAXED);
		after = waste;
	}
	if (waste < minimum || waste < after + minimum ||
	    waste * 100 <= data * threshold)
		return false;
	if (!__atomic_compare_exchange_n(&ls->compact_pending, &idle, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return false;
	__atomic_add_fetch(&ls->compaction_requests, 1, __ATOMIC_RELAXED);
	return true;
}

/* Whether a free asked for compaction since the last run. */
bool logstore_compact_wanted(struct store *store)
{
	return __atomic_load_n(&logstore_of(store)->compact_pending, __ATOMIC_ACQUIRE);
}

/* Sets the threshold (percent of data-frame bytes wasted); above 100 turns
 * requests off, 0 is refused (it would ask at every free). */
int logstore_set_compact_threshold(struct store *store, unsigned percent)
{
	if (percent == 0)
		return STORE_BAD_LENGTH;
	__atomic_store_n(&logstore_of(store)->compact_threshold, percent,
			 __ATOMIC_RELAXED);
	return STORE_OK;
}
