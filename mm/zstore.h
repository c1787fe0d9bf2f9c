/*
 * zstore: a page store in the manner of zsmalloc. Objects of 1..4096 bytes
 * are sorted into size classes of 16-byte steps; each class packs its
 * objects into "zspages" of 1 to 4 frames (the count that wastes least), and
 * an object may span a frame boundary inside its zspage. Objects longer than
 * a page (up to STORE_OBJECT_MAX: a page and a tag) take a frame plus a small
 * tail object. Size classes with few live objects share "mixed" zspages,
 * packed end to end, so a small store keeps what the codec saved; a free
 * past a waste threshold asks for compaction (store_compact_wanted), which
 * a kernel thread runs (mm/store_compactd.c). Handles name slots
 * of an indirection table, so compaction can move objects between zspages
 * of a class and release frames while every handle stays valid.
 *
 * Everything (data, descriptors, the slot table, the store itself) lives in
 * frames taken from the page provider given at creation; destroy returns
 * them all. See docs/page-store.md for the layout and the locking.
 */
#ifndef VEIL_MM_ZSTORE_H
#define VEIL_MM_ZSTORE_H

#include <stdint.h>
#include "mm/store.h"

struct zstore_config {
	const char *name;			/* for messages and stats */
	struct store_page_provider provider;
	/* Frames the store may hold in all (data and metadata); put refuses
	 * beyond. store_frames_for_share() turns a share of RAM into this. */
	uint64_t frame_limit;
	/* Objects the store may hold at once (size of the slot table); 0
	 * picks 16 per frame of the limit. Put refuses beyond. */
	uint64_t max_objects;
	/* Automatic compaction: a free asks for it (store_compact_wanted)
	 * when the data frames hold more than this percent of bytes no object
	 * fills, ZSTORE_COMPACT_MIN_WASTE frames at least, and the waste grew
	 * by that much since the last run. 0 takes ZSTORE_COMPACT_THRESHOLD;
	 * above 100 turns it off. store_set_compact_threshold changes it. */
	unsigned compact_threshold;
};

#define ZSTORE_COMPACT_THRESHOLD	25u
#define ZSTORE_COMPACT_MIN_WASTE	16u	/* frames */

/* Creates a store; NULL when the configuration is unusable or the provider
 * cannot give the first frames (a message says which). */
struct store *zstore_create(const struct zstore_config *config);

#endif
