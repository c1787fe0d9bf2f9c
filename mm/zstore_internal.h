/*
 * zstore internals, shared by the files of the size-class page store (see
 * mm/zstore.h for what it is, docs/page-store.md for the file map). Only
 * mm/zstore*.c include this.
 *
 * Layout. Stored size = length + a 4-byte header (the owning slot's index,
 * which lets compaction find whom to update), rounded up to 16; 256 classes
 * from 16 to 4096 bytes. A class whose zspage holds a single object (raw
 * pages, near-incompressible pages) needs no header: such zspages are never
 * compacted. Each class picks the zspage size (1..4 frames) that wastes the
 * least, and classes with the same (frames, objects) per zspage are merged,
 * as zsmalloc does, so fewer half-empty zspages exist. Objects start at
 * multiples of 16 inside a zspage, so a header never spans a frame. The
 * objects of a class with few live ones go to mixed zspages instead
 * (mm/zstore_mixed.c), packed end to end whatever their size; a put of a
 * whole page takes a frame of its own (mm/zstore_adopt.c).
 *
 * Handles. bits 0..29 slot index (0 never used), bits 30..41 the slot's
 * generation (bumped at every free), bits 42..49 a check value mixing index,
 * generation and a per-store salt. A handle passes only when all three agree
 * with the slot, so a stale, forged or flipped handle is refused.
 *
 * Metadata (the store header, class and zspage descriptors, the slot table)
 * comes from frames of the same provider, and counts against the limit. The
 * header frame's tail holds the first zspage descriptors.
 *
 * The locks and their order are written atop mm/zstore.c.
 */
#ifndef VEIL_MM_ZSTORE_INTERNAL_H
#define VEIL_MM_ZSTORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/spinlock.h"
#include "mm/zstore.h"


#define ZSTORE_FRAME_SIZE		4096u
#define ZSTORE_CLASS_STEP		16u
#define ZSTORE_CLASS_COUNT		(ZSTORE_FRAME_SIZE / ZSTORE_CLASS_STEP)
/* The tag's class field of an object in a mixed zspage (mm/zstore_mixed.c) */
#define ZSTORE_CLASS_MIXED		ZSTORE_CLASS_COUNT
#define ZSTORE_MIXED_FRAMES		4u
#define ZSTORE_MIXED_GRANULES		(ZSTORE_MIXED_FRAMES * ZSTORE_FRAME_SIZE / ZSTORE_CLASS_STEP)
/* A size class packs its own zspages once this many of its zspages' worth
 * of objects are live; below, its objects go to mixed zspages. */
#define ZSTORE_MIXED_ZSPAGES		8u
#define ZSTORE_HEADER_SIZE		4u
#define ZSTORE_ZSPAGE_FRAMES_MAX	4u
#define ZSTORE_ZSPAGE_OBJECTS_MAX	256u
#define ZSTORE_GROUPS			5u	/* 4 partial quarters, then full */
#define ZSTORE_GROUP_FULL		4u
#define ZSTORE_CHUNK_SIZE		64u	/* zspage descriptor allocation unit */
#define ZSTORE_CHUNKS_PER_FRAME		(ZSTORE_FRAME_SIZE / ZSTORE_CHUNK_SIZE)
#define ZSTORE_SLOTS_PER_FRAME		(ZSTORE_FRAME_SIZE / sizeof(struct zstore_slot))
#define ZSTORE_POINTERS_PER_FRAME	(ZSTORE_FRAME_SIZE / sizeof(void *))
#define ZSTORE_DIRECTORY_FRAMES		160u
/* Slot frames the header points to itself, before the directory's: a store
 * of up to 4095 objects needs no directory frame. */
#define ZSTORE_DIRECT_SLOT_FRAMES	16u
#define ZSTORE_CLASSES_PER_FRAME	(ZSTORE_FRAME_SIZE / sizeof(struct zstore_class))
#define ZSTORE_CLASS_FRAMES		8u
#define ZSTORE_OBJECT_NONE		0xffffu	/* ends a zspage's free list */
#define ZSTORE_HEADER_LIVE		0x80000000u	/* header of a live object */

#define ZSTORE_INDEX_BITS	30u
#define ZSTORE_GENERATION_BITS	12u
#define ZSTORE_CHECK_BITS	8u
#define ZSTORE_INDEX_MASK	((1ull << ZSTORE_INDEX_BITS) - 1)
#define ZSTORE_GENERATION_MASK	((1u << ZSTORE_GENERATION_BITS) - 1)
#define ZSTORE_CHECK_MASK	((1u << ZSTORE_CHECK_BITS) - 1)

_Static_assert(ZSTORE_INDEX_BITS + ZSTORE_GENERATION_BITS + ZSTORE_CHECK_BITS ==
	       STORE_HANDLE_BITS, "handle layout must fill the PTE's handle field");

/*
 * A slot's tag, read without a lock by handle checks and written with
 * atomics: generation bits 0..11, class 12..20 (ZSTORE_CLASS_MIXED included),
 * state 21..22, pins 23..31.
 */
#define ZSTORE_TAG_CLASS_SHIFT	12u
#define ZSTORE_TAG_CLASS_MASK	0x1ffu
#define ZSTORE_TAG_STATE_SHIFT	21u
#define ZSTORE_TAG_PINS_SHIFT	23u
#define ZSTORE_TAG_PINS_MAX	511u

enum zstore_slot_state {
	ZSTORE_SLOT_FREE     = 0,
	ZSTORE_SLOT_RESERVED = 1,	/* taken by a put that has not finished */
	ZSTORE_SLOT_LIVE     = 2,
	ZSTORE_SLOT_ADOPTED  = 3,	/* a whole page in a frame of its own */
};

/* The `object` field of a ZSTORE_SLOT_ADOPTED slot: whose frame it is. */
enum zstore_whole_kind {
	ZSTORE_WHOLE_ADOPTED = 0,	/* the caller's, taken by adopt_page */
	ZSTORE_WHOLE_COPIED  = 1,	/* the store's: a put of 4096 bytes */
};

struct zstore_zspage;

/* One entry of the indirection table a handle names. While the slot is
 * live, zspage/object/length are protected by its class's lock; while free,
 * next_free is protected by the store's slot_lock. An adopted page's slot
 * names the raw-page class in its tag, whose lock protects page. */
struct zstore_slot {
	uint32_t tag;
	uint16_t length;
	uint16_t object;		/* index of the object in its zspage */
	union {
		struct zstore_zspage *zspage;
		void *page;		/* an adopted page (ZSTORE_SLOT_ADOPTED) */
		uint64_t next_free;	/* index of the next free slot, 0 ends */
	};
};

/*
 * A zspage: 1..4 frames packed with objects of one class. Protected by its
 * class's lock. In a mixed zspage (mm/zstore_mixed.c) "objects" are 16-byte
 * granules: in_use counts live granules, fresh is the next unused granule,
 * and a dead object's header holds its granule count instead. The objects below `fresh` have a header word: a live one
 * holds ZSTORE_HEADER_LIVE | its slot's index, a freed one the index of the
 * next freed object (the free list lives in the objects themselves, so a
 * descriptor fits 64 bytes). Objects from `fresh` on were never used.
 */
struct zstore_zspage {
	struct zstore_zspage *prev, *next;	/* in its class's group list */
	void *frames[ZSTORE_ZSPAGE_FRAMES_MAX];
	uint16_t in_use;
	uint16_t pins;			/* objects mapped in place right now */
	uint16_t free_head;		/* first freed object, or ZSTORE_OBJECT_NONE */
	uint16_t fresh;
	uint8_t group;
};

struct zstore_class {
	/* Protects this class's group lists and counters, its zspages (the
	 * descriptors and the object bytes in their frames), and the location
	 * fields of every slot whose tag names this class. */
	struct spinlock lock;
	uint16_t size;			/* bytes per object, header included */
	uint16_t objects_per_zspage;	/* granules, in the mixed class */
	uint8_t frames_per_zspage;
	bool headerless;		/* one object per zspage: no header */
	bool mixed;			/* the mixed class: objects of any size */
	uint16_t index;			/* the tag's class field */
	struct zstore_zspage *groups[ZSTORE_GROUPS];
	/* Mixed class: the zspages puts append to, the open one and the one
	 * opened before it, kept while its room may take a smaller object. */
	struct zstore_zspage *open, *spare;
	uint64_t zspages;
	uint64_t objects;		/* live granules, in the mixed class */
	/* Live objects of this size wherever they are (here or in mixed
	 * zspages); atomic, read without the lock to pick the place. */
	uint64_t demand;
};

_Static_assert(sizeof(struct zstore_zspage) <= ZSTORE_CHUNK_SIZE, "zspage chunk");
_Static_assert(ZSTORE_CLASSES_PER_FRAME * ZSTORE_CLASS_FRAMES >= ZSTORE_CLASS_COUNT + 1,
	       "class frames");
_Static_assert(sizeof(struct zstore_slot) == 16, "slot size");

/* The first chunk of every metadata frame links the frames together. */
struct zstore_meta_frame {
	struct zstore_meta_frame *next;
};

struct zstore {
	struct store base;		/* first: ops see a struct store */
	struct store_page_provider provider;
	uint64_t frame_limit;
	uint64_t max_slots;
	uint32_t salt;

	/* Frame accounting, atomics: frames_held is what the limit checks
	 * (reserved before the provider is asked), the two others split it. */
	uint64_t frames_held;
	uint64_t data_frames;
	uint64_t metadata_frames;

	/* Statistics, atomics. */
	uint64_t pages_stored, bytes_stored, puts, frees, refusals;
	uint64_t bad_handles, compactions, objects_moved, frames_compacted;
	uint64_t pages_adopted;
	uint64_t pages_whole;		/* slots in ZSTORE_SLOT_ADOPTED, both kinds */

	/* Automatic compaction, atomics: the threshold (percent), whether a
	 * free asked for a run since the last one, the waste that run left
	 * (bytes), and the counters of requests and of runs that answered. */
	uint32_t compact_threshold;
	uint32_t compact_pending;
	uint64_t compact_waste_after;
	uint64_t compaction_requests, compactions_auto;

	/* Protects meta_free and meta_frames (the chunk allocator). Taken
	 * inside a class lock, never the other way round. */
	struct spinlock meta_lock;
	void *meta_free;		/* free chunks, linked through their first word */
	struct zstore_meta_frame *meta_frames;

	/* Protects slot_free, the directory's growth and slots_created's
	 * increase; slots_created and the directory are read with atomics.
	 * The directory is a frame of pointers to directory frames, taken
	 * when the slots outgrow slot_frames: kept out of the header, whose
	 * tail holds zspage descriptors instead (zstore_chunks_seed). */
	struct spinlock slot_lock;
	uint64_t slot_free;
	uint64_t slots_created;
	struct zstore_slot *slot_frames[ZSTORE_DIRECT_SLOT_FRAMES];
	struct zstore_slot ***directory;

	/* Filled at creation, read-only afterwards; merged classes share one.
	 * The descriptors themselves fill class_frames in order. */
	struct zstore_class *classes[ZSTORE_CLASS_COUNT + 1];	/* + mixed */
	struct zstore_class *class_frames[ZSTORE_CLASS_FRAMES];
	unsigned class_descriptors;
};

/* The header frame's 64-byte chunks past struct zstore: the first zspage
 * descriptors, so a small store needs no chunk frame. */
#define ZSTORE_HEADER_CHUNK_FIRST \
	((sizeof(struct zstore) + ZSTORE_CHUNK_SIZE - 1) / ZSTORE_CHUNK_SIZE)
_Static_assert(ZSTORE_HEADER_CHUNK_FIRST + 16 <= ZSTORE_CHUNKS_PER_FRAME,
	       "store header frame: room for 16 zspage descriptors at least");
_Static_assert(ZSTORE_DIRECTORY_FRAMES <= ZSTORE_POINTERS_PER_FRAME,
	       "the directory's root fills one frame at most");

/* The class whose lock guards objects longer than a frame's heads and
 * adopted pages: the raw-page class, never compacted. */
static inline struct zstore_class *zstore_head_class(struct zstore *z)
{
	return z->classes[ZSTORE_CLASS_COUNT - 1];
}

static inline int zstore_refuse(struct zstore *z, int result)
{
	__atomic_add_fetch(&z->refusals, 1, __ATOMIC_RELAXED);
	return result;
}

/* ---- small helpers every part uses --------------------------------------- */

static inline struct zstore *zstore_of(struct store *store)
{
	return (struct zstore *)store;
}

static inline uint64_t zstore_atomic_load(const uint64_t *value)
{
	return __atomic_load_n(value, __ATOMIC_ACQUIRE);
}

static inline void zstore_count(uint64_t *counter, int64_t delta)
{
	__atomic_add_fetch(counter, (uint64_t)delta, __ATOMIC_RELAXED);
}

static inline uint32_t zstore_tag(unsigned state, unsigned class_index,
				  unsigned generation, unsigned pins)
{
	return generation | class_index << ZSTORE_TAG_CLASS_SHIFT |
	       state << ZSTORE_TAG_STATE_SHIFT | pins << ZSTORE_TAG_PINS_SHIFT;
}

static inline unsigned zstore_tag_generation(uint32_t tag)
{
	return tag & ZSTORE_GENERATION_MASK;
}

static inline unsigned zstore_tag_class(uint32_t tag)
{
	return (tag >> ZSTORE_TAG_CLASS_SHIFT) & ZSTORE_TAG_CLASS_MASK;
}

static inline unsigned zstore_tag_state(uint32_t tag)
{
	return (tag >> ZSTORE_TAG_STATE_SHIFT) & 3;
}

static inline unsigned zstore_tag_pins(uint32_t tag)
{
	return tag >> ZSTORE_TAG_PINS_SHIFT;
}

static inline uint32_t zstore_tag_read(const struct zstore_slot *slot)
{
	return __atomic_load_n(&slot->tag, __ATOMIC_ACQUIRE);
}

static inline void zstore_tag_write(struct zstore_slot *slot, uint32_t tag)
{
	__atomic_store_n(&slot->tag, tag, __ATOMIC_RELEASE);
}

/* The slot of an index below slots_created (its page exists): the first
 * slot frames hang from the header, the others from directory frames,
 * which hang from the directory's root frame. */
static inline struct zstore_slot *zstore_slot_at(struct zstore *z, uint64_t index)
{
	uint64_t page = index / ZSTORE_SLOTS_PER_FRAME;
	struct zstore_slot ***root;
	struct zstore_slot **pages;
	struct zstore_slot *slots;

	if (page < ZSTORE_DIRECT_SLOT_FRAMES) {
		slots = __atomic_load_n(&z->slot_frames[page], __ATOMIC_ACQUIRE);
	} else {
		page -= ZSTORE_DIRECT_SLOT_FRAMES;
		root = __atomic_load_n(&z->directory, __ATOMIC_ACQUIRE);
		pages = __atomic_load_n(&root[page / ZSTORE_POINTERS_PER_FRAME],
					__ATOMIC_ACQUIRE);
		slots = __atomic_load_n(&pages[page % ZSTORE_POINTERS_PER_FRAME],
					__ATOMIC_ACQUIRE);
	}
	return &slots[index % ZSTORE_SLOTS_PER_FRAME];
}

static inline size_t zstore_object_offset(const struct zstore_class *class,
					  unsigned object)
{
	return (size_t)object * class->size;
}

static inline size_t zstore_data_offset(const struct zstore_class *class,
					unsigned object)
{
	return zstore_object_offset(class, object) +
	       (class->headerless ? 0 : ZSTORE_HEADER_SIZE);
}

static inline bool zstore_oversize(size_t length)
{
	return length > ZSTORE_FRAME_SIZE;
}

/* ---- hot helpers, inline: handles, object bytes, class of a length ----- */

static inline unsigned zstore_check_value(const struct zstore *z, uint64_t index,
					  unsigned generation)
{
	uint64_t mix = (index | (uint64_t)generation << 32) ^ z->salt;

	mix *= 0x9e3779b97f4a7c15ull;
	mix ^= mix >> 29;
	mix *= 0xbf58476d1ce4e5b9ull;
	return (unsigned)(mix >> 56) & ZSTORE_CHECK_MASK;
}

static inline store_handle_t zstore_handle_make(const struct zstore *z, uint64_t index,
						unsigned generation)
{
	return index | (uint64_t)generation << ZSTORE_INDEX_BITS |
	       (uint64_t)zstore_check_value(z, index, generation)
		       << (ZSTORE_INDEX_BITS + ZSTORE_GENERATION_BITS);
}

/* Copies between a buffer and the bytes at offset in a zspage, a frame at
 * a time (an object may span a frame boundary). */
static inline void zstore_copy_in(struct zstore_zspage *zspage, size_t offset,
				  const void *source, size_t length)
{
	const char *from = source;

	while (length) {
		size_t within = offset % ZSTORE_FRAME_SIZE;
		size_t chunk = ZSTORE_FRAME_SIZE - within;

		if (chunk > length)
			chunk = length;
		memcpy((char *)zspage->frames[offset / ZSTORE_FRAME_SIZE] + within,
		       from, chunk);
		from += chunk;
		offset += chunk;
		length -= chunk;
	}
}

static inline void zstore_copy_out(const struct zstore_zspage *zspage, size_t offset,
				   void *destination, size_t length)
{
	char *to = destination;

	while (length) {
		size_t within = offset % ZSTORE_FRAME_SIZE;
		size_t chunk = ZSTORE_FRAME_SIZE - within;

		if (chunk > length)
			chunk = length;
		memcpy(to, (const char *)zspage->frames[offset / ZSTORE_FRAME_SIZE] +
			   within, chunk);
		to += chunk;
		offset += chunk;
		length -= chunk;
	}
}

/* Where an object's header word is: objects start at multiples of 16, so
 * the word never spans a frame and is reached without the copy loop. */
static inline uint32_t *zstore_header_at(const struct zstore_class *class,
					 const struct zstore_zspage *zspage,
					 unsigned object)
{
	size_t offset = zstore_object_offset(class, object);

	return (uint32_t *)((char *)zspage->frames[offset / ZSTORE_FRAME_SIZE] +
			    offset % ZSTORE_FRAME_SIZE);
}

/* The header word of an object of a class that has headers (none is
 * written in a headerless class). */
static inline void zstore_header_write(struct zstore_class *class,
				       struct zstore_zspage *zspage,
				       unsigned object, uint32_t header)
{
	if (!class->headerless)
		*zstore_header_at(class, zspage, object) = header;
}

static inline uint32_t zstore_header_read(const struct zstore_class *class,
					  const struct zstore_zspage *zspage,
					  unsigned object)
{
	KASSERT(!class->headerless);
	return *zstore_header_at(class, zspage, object);
}

static inline unsigned zstore_class_index_for(size_t length)
{
	size_t stored = length + ZSTORE_HEADER_SIZE;

	if (stored > ZSTORE_FRAME_SIZE)
		stored = ZSTORE_FRAME_SIZE;	/* the headerless raw-page class */
	return (unsigned)((stored + ZSTORE_CLASS_STEP - 1) / ZSTORE_CLASS_STEP) - 1;
}

/* ---- frames and metadata chunks (mm/zstore_frame.c) ---------------------- */

bool zstore_reserve(struct zstore *z, uint64_t n);
void zstore_unreserve(struct zstore *z, uint64_t n);
void *zstore_frame_get(struct zstore *z, uint64_t *kind);
void zstore_frame_put(struct zstore *z, void *frame, uint64_t *kind);
int zstore_metadata_frame(struct zstore *z, void **frame);
void zstore_chunks_seed(struct zstore *z);
int zstore_chunk_alloc(struct zstore *z, void **chunk);
void zstore_chunk_free(struct zstore *z, void *chunk);

/* ---- handles and slots (mm/zstore_handle.c) ------------------------------ */

int zstore_slot_take(struct zstore *z, uint64_t *index);
void zstore_slot_release(struct zstore *z, uint64_t index);
int zstore_handle_lock(struct zstore *z, store_handle_t handle,
		       struct zstore_slot **slot_out,
		       struct zstore_class **class_out,
		       unsigned long *flags);

/* ---- classes, zspages and objects (mm/zstore_class.c) -------------------- */

void zstore_list_remove(struct zstore_class *class,
			struct zstore_zspage *zspage);
unsigned zstore_zspage_release(struct zstore *z, struct zstore_class *class,
			       struct zstore_zspage *zspage);
unsigned zstore_zspage_regroup(struct zstore *z, struct zstore_class *class,
			       struct zstore_zspage *zspage);
unsigned zstore_object_take(struct zstore_class *class,
			    struct zstore_zspage *zspage);
void zstore_object_drop(struct zstore_class *class,
			struct zstore_zspage *zspage, unsigned object,
			uint64_t slot_index, size_t length);
int zstore_classes_create(struct zstore *z);
int zstore_class_take(struct zstore *z, struct zstore_class *class,
		      struct zstore_zspage **zspage_out, unsigned *object);
void zstore_class_drop(struct zstore *z, struct zstore_class *class,
		       struct zstore_zspage *zspage, unsigned object,
		       uint64_t slot_index, size_t length);
int zstore_zspage_create(struct zstore *z, struct zstore_class *class,
			 struct zstore_zspage **out);
int zstore_head_put(struct zstore *z, const void *data,
		    struct zstore_zspage **head);
void zstore_head_free(struct zstore *z, struct zstore_zspage *head);
struct zstore_zspage *zstore_head_of(const struct zstore_class *class,
				     const struct zstore_slot *slot);
void zstore_object_read(const struct zstore_class *class,
			const struct zstore_slot *slot, void *buffer);
void zstore_object_wipe(const struct zstore_class *class,
			const struct zstore_slot *slot);

/* ---- mixed zspages (mm/zstore_mixed.c) ---------------------------------- */

/* Bytes an object of length takes in a zspage before its header: the whole
 * object, or for one longer than a frame its tail and the head's address. */
static inline size_t zstore_stored_length(size_t length)
{
	return zstore_oversize(length) ?
	       length - ZSTORE_FRAME_SIZE + sizeof(struct zstore_zspage *) : length;
}

/* Granules (16 bytes) an object of length takes in a mixed zspage. */
static inline unsigned zstore_mixed_granules(size_t length)
{
	return (unsigned)((zstore_stored_length(length) + ZSTORE_HEADER_SIZE +
			   ZSTORE_CLASS_STEP - 1) / ZSTORE_CLASS_STEP);
}

int zstore_object_place(struct zstore *z, size_t length,
			struct zstore_class **class_out, unsigned long *flags,
			struct zstore_zspage **zspage, unsigned *object);
void zstore_demand_count(struct zstore *z, size_t length, int delta);
bool zstore_mixed_compact_step(struct zstore *z, struct zstore_class *mixed,
			       int64_t *released);

/* ---- adopted pages (mm/zstore_adopt.c) ---------------------------------- */

int zstore_adopt_page(struct store *store, void *page, store_handle_t *handle);
int zstore_raw_put(struct zstore *z, const void *data, store_handle_t *handle);
int zstore_release_page(struct store *store, store_handle_t handle,
			void **page);
void zstore_adopted_drop(struct zstore *z, struct zstore_slot *slot,
			 uint64_t index, struct zstore_class *class,
			 unsigned long flags);
void zstore_adopted_release_all(struct zstore *z);

/* ---- compaction (mm/zstore_compact.c) ------------------------------------ */

size_t zstore_compact(struct store *store);
bool zstore_compact_wanted(struct store *store);
int zstore_set_compact_threshold(struct store *store, unsigned percent);
uint64_t zstore_wasted_bytes(struct zstore *z);
void zstore_compact_check(struct zstore *z);

#endif
