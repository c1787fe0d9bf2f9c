/*
 * logstore: a log-structured page store, the second implementation of
 * struct store_ops (mm/store.h) beside zstore. Objects are appended end to
 * end to the current head frame, byte for byte with no header and no
 * rounding; an object that does not fit the head's room continues in the
 * next frame, so only the head frame is partly empty and a small store
 * needs barely more frames than its bytes. Handles name slots of an
 * indirection table; a free marks the object's bytes dead in the frames it
 * covers (a frame with no live byte left goes back at once); compaction
 * moves the live objects of sparse frames to the head and releases the
 * emptied frames, every handle staying valid.
 *
 * Everything (data, the slot table, the frame descriptors, the store
 * itself) lives in frames of the page provider given at creation, counted
 * in the statistics and against the limit; a small store's tables fit in
 * its header frame. See docs/page-store.md, "The log-structured store".
 */
#ifndef VEIL_MM_LOGSTORE_H
#define VEIL_MM_LOGSTORE_H

#include <stdint.h>
#include "mm/store.h"

struct logstore_config {
	const char *name;			/* for messages and stats */
	struct store_page_provider provider;
	/* Frames the store may hold in all (data and metadata); put refuses
	 * beyond. At least LOGSTORE_FRAME_LIMIT_MIN. */
	uint64_t frame_limit;
	/* Objects the store may hold at once; 0 picks 16 per frame of the
	 * limit. Put refuses beyond. */
	uint64_t max_objects;
	/* Automatic compaction: a free asks for it (store_compact_wanted) when
	 * more than this percent of the data frames' bytes hold no live
	 * object, LOGSTORE_COMPACT_MIN_WASTE frames at least, and the waste
	 * grew by that much since the last run. 0 takes
	 * LOGSTORE_COMPACT_THRESHOLD; above 100 turns it off. */
	unsigned compact_threshold;
};

#define LOGSTORE_FRAME_LIMIT_MIN	4u
#define LOGSTORE_COMPACT_THRESHOLD	25u
#define LOGSTORE_COMPACT_MIN_WASTE	16u	/* frames */

/* Creates a store; NULL when the configuration is unusable or the provider
 * cannot give the header frame (a message says which). */
struct store *logstore_create(const struct logstore_config *config);

#endif
