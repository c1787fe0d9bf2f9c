/*
 * The log of the log-structured store: appending an object at the head
 * (taking the frames it will continue into before a byte is written, so a
 * refused append changes nothing), copying an object's bytes in, out or to
 * zeros across the frames it covers, and dropping its bytes from the live
 * counts, which releases every frame left without a live byte. All under
 * the store's lock.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "mm/logstore_internal.h"

/* At most two frames beyond the head: an object is at most a page and a
 * tag, so it covers at most three frames. */
#define LOGSTORE_APPEND_FRAMES_MAX \
	((STORE_OBJECT_MAX + LOGSTORE_FRAME_SIZE - 1) / LOGSTORE_FRAME_SIZE)

/*
 * Makes room for length bytes at the head: takes the frames the object
 * will continue into and links them after the head. *cursor is where the
 * object starts (its offset is below the frame size). The caller copies
 * the object in (logstore_copy, LOGSTORE_COPY_IN) and ends with
 * logstore_append_end. A failure (STORE_FULL, STORE_NO_MEMORY) gives back
 * every frame taken and changes nothing else.
 */
int logstore_append_begin(struct logstore *ls, size_t length,
			  struct logstore_cursor *cursor)
{
	uint32_t ids[LOGSTORE_APPEND_FRAMES_MAX];
	size_t room = ls->head == LOGSTORE_FRAME_NONE ? 0 :
		      LOGSTORE_FRAME_SIZE - ls->head_offset;
	unsigned need = length <= room ? 0 :
			(unsigned)((length - room + LOGSTORE_FRAME_SIZE - 1) /
				   LOGSTORE_FRAME_SIZE);

	KASSERT(length > 0 && need <= LOGSTORE_APPEND_FRAMES_MAX);
	for (unsigned k = 0; k < need; k++) {
		int result = logstore_frame_take(ls, &ids[k]);

		if (result != STORE_OK) {
			while (k--)
				logstore_frame_release(ls, ids[k]);
			return result;
		}
	}
	for (unsigned k = 0; k + 1 < need; k++)
		logstore_frame_at(ls, ids[k])->next = ids[k + 1];
	if (room) {
		if (need)
			logstore_frame_at(ls, ls->head)->next = ids[0];
		cursor->frame = ls->head;
		cursor->offset = ls->head_offset;
	} else {
		cursor->frame = ids[0];
		cursor->offset = 0;
	}
	return STORE_OK;
}

/* The head moves to where the copy of an appended object ended. */
void logstore_append_end(struct logstore *ls, struct logstore_cursor cursor)
{
	ls->head = cursor.frame;
	ls->head_offset = cursor.offset;
}

/*
 * Copies length bytes between buffer and the log from *cursor on, a frame
 * at a time, following each frame's next; the cursor ends after the last
 * byte. A copy in counts its bytes live in their frames.
 */
void logstore_copy(struct logstore *ls, struct logstore_cursor *cursor,
		   void *buffer, size_t length, enum logstore_copy how)
{
	char *bytes = buffer;

	while (length) {
		struct logstore_frame *frame;
		size_t chunk;
		char *at;

		if (cursor->offset == LOGSTORE_FRAME_SIZE) {
			cursor->frame = logstore_frame_at(ls, cursor->frame)->next;
			cursor->offset = 0;
		}
		frame = logstore_frame_at(ls, cursor->frame);
		KASSERT(frame->state == LOGSTORE_FRAME_DATA);
		chunk = LOGSTORE_FRAME_SIZE - cursor->offset;
		if (chunk > length)
			chunk = length;
		at = (char *)frame->page + cursor->offset;
		switch (how) {
		case LOGSTORE_COPY_IN:
			memcpy(at, bytes, chunk);
			frame->live = (uint16_t)(frame->live + chunk);
			break;
		case LOGSTORE_COPY_OUT:
			memcpy(bytes, at, chunk);
			break;
		case LOGSTORE_COPY_ZERO:
			memset(at, 0, chunk);
			break;
		}
		if (bytes)
			bytes += chunk;
		cursor->offset += (uint32_t)chunk;
		length -= chunk;
	}
}

/*
 * Drops the length bytes of the object at where from the live counts of
 * the frames it covers; a frame left with no live byte goes back to the
 * provider at once (the head too: the next put takes a new one). Returns
 * the frames released.
 */
int64_t logstore_live_drop(struct logstore *ls, uint32_t where, size_t length)
{
	struct logstore_cursor place = logstore_place(where);
	uint32_t id = place.frame;
	size_t offset = place.offset;
	int64_t released = 0;

	while (length) {
		struct logstore_frame *frame = logstore_frame_at(ls, id);
		size_t chunk = LOGSTORE_FRAME_SIZE - offset;
		uint32_t next = frame->next;

		if (chunk > length)
			chunk = length;
		KASSERT(frame->state == LOGSTORE_FRAME_DATA && frame->live >= chunk);
		frame->live = (uint16_t)(frame->live - chunk);
		if (!frame->live) {
			logstore_frame_release(ls, id);
			released++;
		}
		length -= chunk;
		id = next;
		offset = 0;
	}
	return released;
}

/* Whether any frame the object at where covers is a compaction victim. */
bool logstore_touches_victim(const struct logstore *ls, uint32_t where,
			     size_t length)
{
	struct logstore_cursor place = logstore_place(where);
	uint32_t id = place.frame;
	size_t offset = place.offset;

	while (length) {
		const struct logstore_frame *frame = logstore_frame_at(ls, id);
		size_t chunk = LOGSTORE_FRAME_SIZE - offset;

		if (frame->victim)
			return true;
		if (chunk >= length)
			break;
		length -= chunk;
		id = frame->next;
		offset = 0;
	}
	return false;
}

/* Whether the object at where lies in one frame (map points into it). */
bool logstore_in_one_frame(uint32_t where, size_t length)
{
	return (where & LOGSTORE_OFFSET_MASK) + length <= LOGSTORE_FRAME_SIZE;
}
