/*
 * zstore: the size-class page store (see mm/zstore.h and docs/page-store.md).
 *
 * Layout. Stored size = length + a 4-byte header (the owning slot's index,
 * which lets compaction find whom to update), rounded up to 16; 256 classes
 * from 16 to 4096 bytes. A class whose zspage holds a single object (raw
 * pages, near-incompressible pages) needs no header: such zspages are never
 * compacted. Each class picks the zspage size (1..4 frames) that wastes the
 * least, and classes with the same (frames, objects) per zspage are merged,
 * as zsmalloc does, so fewer half-empty zspages exist. Objects start at
 * multiples of 16 inside a zspage, so a header never spans a frame.
 *
 * Handles. bits 0..29 slot index (0 never used), bits 30..41 the slot's
 * generation (bumped at every free), bits 42..49 a check value mixing index,
 * generation and a per-store salt. A handle passes only when all three agree
 * with the slot, so a stale, forged or flipped handle is refused.
 *
 * Metadata (the store header, class and zspage descriptors, the slot table)
 * comes from frames of the same provider, and counts against the limit.
 *
 * Locks (each declaration says what it protects): one per class, plus
 * slot_lock and meta_lock in the store. Order: a class lock, then meta_lock,
 * then whatever the provider takes; slot_lock is never held together with a
 * class lock. Compaction holds one class lock at a time.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "mm/zstore.h"

#define ZSTORE_FRAME_SIZE		4096u
#define ZSTORE_CLASS_STEP		16u
#define ZSTORE_CLASS_COUNT		(ZSTORE_FRAME_SIZE / ZSTORE_CLASS_STEP)
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
 * atomics: generation bits 0..11, class 12..19, state 20..21, pins 22..31.
 */
#define ZSTORE_TAG_CLASS_SHIFT	12u
#define ZSTORE_TAG_STATE_SHIFT	20u
#define ZSTORE_TAG_PINS_SHIFT	22u
#define ZSTORE_TAG_PINS_MAX	1023u

enum zstore_slot_state {
	ZSTORE_SLOT_FREE     = 0,
	ZSTORE_SLOT_RESERVED = 1,	/* taken by a put that has not finished */
	ZSTORE_SLOT_LIVE     = 2,
};

struct zstore_zspage;

/* One entry of the indirection table a handle names. While the slot is
 * live, zspage/object/length are protected by its class's lock; while free,
 * next_free is protected by the store's slot_lock. */
struct zstore_slot {
	uint32_t tag;
	uint16_t length;
	uint16_t object;		/* index of the object in its zspage */
	union {
		struct zstore_zspage *zspage;
		uint64_t next_free;	/* index of the next free slot, 0 ends */
	};
};

/*
 * A zspage: 1..4 frames packed with objects of one class. Protected by its
 * class's lock. The objects below `fresh` have a header word: a live one
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
	uint16_t objects_per_zspage;
	uint8_t frames_per_zspage;
	uint8_t index;			/* the tag's class field */
	bool headerless;		/* one object per zspage: no header */
	struct zstore_zspage *groups[ZSTORE_GROUPS];
	uint64_t zspages;
	uint64_t objects;
};

_Static_assert(sizeof(struct zstore_zspage) <= ZSTORE_CHUNK_SIZE, "zspage chunk");
_Static_assert(ZSTORE_CLASSES_PER_FRAME * ZSTORE_CLASS_FRAMES >= ZSTORE_CLASS_COUNT,
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

	/* Protects meta_free and meta_frames (the chunk allocator). Taken
	 * inside a class lock, never the other way round. */
	struct spinlock meta_lock;
	void *meta_free;		/* free chunks, linked through their first word */
	struct zstore_meta_frame *meta_frames;

	/* Protects slot_free, the directory's growth and slots_created's
	 * increase; slots_created and the directory are read with atomics. */
	struct spinlock slot_lock;
	uint64_t slot_free;
	uint64_t slots_created;
	struct zstore_slot **directory[ZSTORE_DIRECTORY_FRAMES];

	/* Filled at creation, read-only afterwards; merged classes share one.
	 * The descriptors themselves fill class_frames in order. */
	struct zstore_class *classes[ZSTORE_CLASS_COUNT];
	struct zstore_class *class_frames[ZSTORE_CLASS_FRAMES];
	unsigned class_descriptors;
};

_Static_assert(sizeof(struct zstore) <= ZSTORE_FRAME_SIZE, "store header frame");

static const struct store_ops zstore_ops;

static struct zstore *zstore_of(struct store *store)
{
	return (struct zstore *)store;
}

static uint64_t zstore_atomic_load(const uint64_t *value)
{
	return __atomic_load_n(value, __ATOMIC_ACQUIRE);
}

static void zstore_count(uint64_t *counter, int64_t delta)
{
	__atomic_add_fetch(counter, (uint64_t)delta, __ATOMIC_RELAXED);
}

/* ---- frames ---------------------------------------------------------- */

/* Reserves n frames against the limit; false when that would exceed it. */
static bool zstore_reserve(struct zstore *z, uint64_t n)
{
	uint64_t held = __atomic_load_n(&z->frames_held, __ATOMIC_RELAXED);

	do {
		if (held + n > z->frame_limit)
			return false;
	} while (!__atomic_compare_exchange_n(&z->frames_held, &held, held + n,
					      true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

static void zstore_unreserve(struct zstore *z, uint64_t n)
{
	__atomic_sub_fetch(&z->frames_held, n, __ATOMIC_RELAXED);
}

/* One frame from the provider, already reserved by the caller. */
static void *zstore_frame_get(struct zstore *z, uint64_t *kind)
{
	void *frame = z->provider.alloc_page(z->provider.context);

	if (!frame)
		return NULL;
	KASSERT(((uintptr_t)frame & (ZSTORE_FRAME_SIZE - 1)) == 0);
	zstore_count(kind, 1);
	return frame;
}

static void zstore_frame_put(struct zstore *z, void *frame, uint64_t *kind)
{
	z->provider.free_page(z->provider.context, frame);
	zstore_count(kind, -1);
	zstore_unreserve(z, 1);
}

/* Reserves and takes one metadata frame, zeroed; result code on failure. */
static int zstore_metadata_frame(struct zstore *z, void **frame)
{
	if (!zstore_reserve(z, 1))
		return STORE_FULL;
	*frame = zstore_frame_get(z, &z->metadata_frames);
	if (!*frame) {
		zstore_unreserve(z, 1);
		return STORE_NO_MEMORY;
	}
	memset(*frame, 0, ZSTORE_FRAME_SIZE);
	return STORE_OK;
}

/* ---- metadata chunks (zspage descriptors) ---------------------------- */

static int zstore_chunk_alloc(struct zstore *z, void **chunk)
{
	unsigned long flags = spin_lock_irqsave(&z->meta_lock);
	int result = STORE_OK;

	if (!z->meta_free) {
		struct zstore_meta_frame *meta;
		char *frame;

		result = zstore_metadata_frame(z, (void **)&frame);
		if (result != STORE_OK)
			goto out;
		meta = (struct zstore_meta_frame *)frame;
		meta->next = z->meta_frames;
		z->meta_frames = meta;
		/* chunk 0 is the frame's link; the rest become free chunks */
		for (unsigned i = ZSTORE_CHUNKS_PER_FRAME - 1; i >= 1; i--) {
			void **free_chunk = (void **)(frame + i * ZSTORE_CHUNK_SIZE);
			*free_chunk = z->meta_free;
			z->meta_free = free_chunk;
		}
	}
	*chunk = z->meta_free;
	z->meta_free = *(void **)*chunk;
	memset(*chunk, 0, ZSTORE_CHUNK_SIZE);
out:
	spin_unlock_irqrestore(&z->meta_lock, flags);
	return result;
}

static void zstore_chunk_free(struct zstore *z, void *chunk)
{
	unsigned long flags = spin_lock_irqsave(&z->meta_lock);

	*(void **)chunk = z->meta_free;
	z->meta_free = chunk;
	spin_unlock_irqrestore(&z->meta_lock, flags);
}

/* ---- handles and slots ----------------------------------------------- */

static unsigned zstore_check_value(const struct zstore *z, uint64_t index,
				   unsigned generation)
{
	uint64_t mix = (index | (uint64_t)generation << 32) ^ z->salt;

	mix *= 0x9e3779b97f4a7c15ull;
	mix ^= mix >> 29;
	mix *= 0xbf58476d1ce4e5b9ull;
	return (unsigned)(mix >> 56) & ZSTORE_CHECK_MASK;
}

static store_handle_t zstore_handle_make(const struct zstore *z, uint64_t index,
					 unsigned generation)
{
	return index | (uint64_t)generation << ZSTORE_INDEX_BITS |
	       (uint64_t)zstore_check_value(z, index, generation)
		       << (ZSTORE_INDEX_BITS + ZSTORE_GENERATION_BITS);
}

static uint32_t zstore_tag(unsigned state, unsigned class_index,
			   unsigned generation, unsigned pins)
{
	return generation | class_index << ZSTORE_TAG_CLASS_SHIFT |
	       state << ZSTORE_TAG_STATE_SHIFT | pins << ZSTORE_TAG_PINS_SHIFT;
}

static unsigned zstore_tag_generation(uint32_t tag)
{
	return tag & ZSTORE_GENERATION_MASK;
}

static unsigned zstore_tag_class(uint32_t tag)
{
	return (tag >> ZSTORE_TAG_CLASS_SHIFT) & 0xff;
}

static unsigned zstore_tag_state(uint32_t tag)
{
	return (tag >> ZSTORE_TAG_STATE_SHIFT) & 3;
}

static unsigned zstore_tag_pins(uint32_t tag)
{
	return tag >> ZSTORE_TAG_PINS_SHIFT;
}

static uint32_t zstore_tag_read(const struct zstore_slot *slot)
{
	return __atomic_load_n(&slot->tag, __ATOMIC_ACQUIRE);
}

static void zstore_tag_write(struct zstore_slot *slot, uint32_t tag)
{
	__atomic_store_n(&slot->tag, tag, __ATOMIC_RELEASE);
}

/* The slot of an index below slots_created (its page exists). */
static struct zstore_slot *zstore_slot_at(struct zstore *z, uint64_t index)
{
	uint64_t page = index / ZSTORE_SLOTS_PER_FRAME;
	struct zstore_slot **pages;
	struct zstore_slot *slots;

	pages = __atomic_load_n(&z->directory[page / ZSTORE_POINTERS_PER_FRAME],
				__ATOMIC_ACQUIRE);
	slots = __atomic_load_n(&pages[page % ZSTORE_POINTERS_PER_FRAME],
				__ATOMIC_ACQUIRE);
	return &slots[index % ZSTORE_SLOTS_PER_FRAME];
}

/* Adds a frame of slots to the free list; slot_lock held. */
static int zstore_slots_grow(struct zstore *z)
{
	uint64_t first = z->slots_created;
	uint64_t page = first / ZSTORE_SLOTS_PER_FRAME;
	uint64_t directory_index = page / ZSTORE_POINTERS_PER_FRAME;
	struct zstore_slot **pages = z->directory[directory_index];
	struct zstore_slot *slots;
	int result;

	if (first >= z->max_slots)
		return STORE_FULL;
	if (!pages) {
		result = zstore_metadata_frame(z, (void **)&pages);
		if (result != STORE_OK)
			return result;
		__atomic_store_n(&z->directory[directory_index], pages,
				 __ATOMIC_RELEASE);
	}
	result = zstore_metadata_frame(z, (void **)&slots);
	if (result != STORE_OK)
		return result;	/* an empty directory frame stays for later */
	/* link the new slots in index order; slot 0 is never handed out */
	for (uint64_t i = ZSTORE_SLOTS_PER_FRAME; i-- > 0;) {
		uint64_t index = first + i;

		if (index == 0 || index >= z->max_slots)
			continue;
		slots[i].next_free = z->slot_free;
		z->slot_free = index;
	}
	__atomic_store_n(&pages[page % ZSTORE_POINTERS_PER_FRAME], slots,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&z->slots_created, first + ZSTORE_SLOTS_PER_FRAME,
			 __ATOMIC_RELEASE);
	return STORE_OK;
}

/* Takes a free slot and marks it reserved; its generation is kept. */
static int zstore_slot_take(struct zstore *z, uint64_t *index)
{
	unsigned long flags = spin_lock_irqsave(&z->slot_lock);
	struct zstore_slot *slot;
	int result = STORE_OK;

	if (!z->slot_free)
		result = zstore_slots_grow(z);
	if (result == STORE_OK) {
		*index = z->slot_free;
		slot = zstore_slot_at(z, *index);
		z->slot_free = slot->next_free;
		KASSERT(zstore_tag_state(slot->tag) == ZSTORE_SLOT_FREE);
		zstore_tag_write(slot, zstore_tag(ZSTORE_SLOT_RESERVED, 0,
				 zstore_tag_generation(slot->tag), 0));
	}
	spin_unlock_irqrestore(&z->slot_lock, flags);
	return result;
}

/* Returns a slot to the free list with the next generation, so every
 * handle that named it is refused from now on. */
static void zstore_slot_release(struct zstore *z, uint64_t index)
{
	struct zstore_slot *slot = zstore_slot_at(z, index);
	unsigned generation = (zstore_tag_generation(slot->tag) + 1) &
			      ZSTORE_GENERATION_MASK;
	unsigned long flags = spin_lock_irqsave(&z->slot_lock);

	zstore_tag_write(slot, zstore_tag(ZSTORE_SLOT_FREE, 0, generation, 0));
	slot->next_free = z->slot_free;
	z->slot_free = index;
	spin_unlock_irqrestore(&z->slot_lock, flags);
}

static int zstore_bad_handle(struct zstore *z, store_handle_t handle,
			     const char *why)
{
	uint64_t count = __atomic_add_fetch(&z->bad_handles, 1, __ATOMIC_RELAXED);

	/* every one is counted; messages thin out so a flood stays readable */
	if (count <= 8 || (count & (count - 1)) == 0)
		log_warn("store %s: refused handle 0x%llx: %s (%llu refused so far)",
			 z->base.name, (unsigned long long)handle, why,
			 (unsigned long long)count);
	return STORE_BAD_HANDLE;
}

/*
 * Checks a handle and locks the class of its object. On success the slot is
 * live with the handle's generation and *class is locked (flags in *flags).
 */
static int zstore_handle_lock(struct zstore *z, store_handle_t handle,
			      struct zstore_slot **slot_out,
			      struct zstore_class **class_out,
			      unsigned long *flags)
{
	uint64_t index = handle & ZSTORE_INDEX_MASK;
	unsigned generation = (handle >> ZSTORE_INDEX_BITS) & ZSTORE_GENERATION_MASK;
	unsigned check = (handle >> (ZSTORE_INDEX_BITS + ZSTORE_GENERATION_BITS)) &
			 ZSTORE_CHECK_MASK;
	struct zstore_class *class;
	struct zstore_slot *slot;
	uint32_t tag;

	if (handle >> STORE_HANDLE_BITS)
		return zstore_bad_handle(z, handle, "above the handle limit");
	if (check != zstore_check_value(z, index, generation))
		return zstore_bad_handle(z, handle, "check value does not match");
	if (index == 0 || index >= zstore_atomic_load(&z->slots_created))
		return zstore_bad_handle(z, handle, "slot out of range");
	slot = zstore_slot_at(z, index);
	tag = zstore_tag_read(slot);
	if (zstore_tag_state(tag) != ZSTORE_SLOT_LIVE)
		return zstore_bad_handle(z, handle, "slot not in use (freed?)");
	if (zstore_tag_generation(tag) != generation)
		return zstore_bad_handle(z, handle, "stale generation");
	class = z->classes[zstore_tag_class(tag)];
	*flags = spin_lock_irqsave(&class->lock);
	/* the slot may have been freed and reused since the unlocked look */
	tag = zstore_tag_read(slot);
	if (zstore_tag_state(tag) != ZSTORE_SLOT_LIVE ||
	    zstore_tag_generation(tag) != generation ||
	    zstore_tag_class(tag) != class->index) {
		spin_unlock_irqrestore(&class->lock, *flags);
		return zstore_bad_handle(z, handle, "slot freed meanwhile");
	}
	*slot_out = slot;
	*class_out = class;
	return STORE_OK;
}

/* ---- zspages ----------------------------------------------------------- */

static unsigned zstore_group_of(const struct zstore_class *class,
				const struct zstore_zspage *zspage)
{
	if (zspage->in_use == class->objects_per_zspage)
		return ZSTORE_GROUP_FULL;
	return zspage->in_use * 4u / class->objects_per_zspage;
}

static void zstore_list_remove(struct zstore_class *class,
			       struct zstore_zspage *zspage)
{
	if (zspage->prev)
		zspage->prev->next = zspage->next;
	else
		class->groups[zspage->group] = zspage->next;
	if (zspage->next)
		zspage->next->prev = zspage->prev;
	zspage->prev = zspage->next = NULL;
}

static void zstore_list_insert(struct zstore_class *class,
			       struct zstore_zspage *zspage)
{
	zspage->group = (uint8_t)zstore_group_of(class, zspage);
	zspage->prev = NULL;
	zspage->next = class->groups[zspage->group];
	if (zspage->next)
		zspage->next->prev = zspage;
	class->groups[zspage->group] = zspage;
}

static void zstore_zspage_release(struct zstore *z, struct zstore_class *class,
				  struct zstore_zspage *zspage)
{
	for (unsigned i = 0; i < class->frames_per_zspage; i++)
		zstore_frame_put(z, zspage->frames[i], &z->data_frames);
	class->zspages--;
	zstore_chunk_free(z, zspage);
}

/* Moves a zspage to the group its fullness calls for, or releases it when
 * it holds nothing. Class lock held. */
static void zstore_zspage_regroup(struct zstore *z, struct zstore_class *class,
				  struct zstore_zspage *zspage)
{
	zstore_list_remove(class, zspage);
	if (zspage->in_use == 0 && zspage->pins == 0)
		zstore_zspage_release(z, class, zspage);
	else
		zstore_list_insert(class, zspage);
}

/* A new empty zspage of the class, or a result code. Class lock held. */
static int zstore_zspage_create(struct zstore *z, struct zstore_class *class,
				struct zstore_zspage **out)
{
	struct zstore_zspage *zspage;
	unsigned frames = class->frames_per_zspage;
	int result;

	if (!zstore_reserve(z, frames))
		return STORE_FULL;
	result = zstore_chunk_alloc(z, (void **)&zspage);
	if (result != STORE_OK) {
		zstore_unreserve(z, frames);
		return result;
	}
	zspage->free_head = ZSTORE_OBJECT_NONE;
	for (unsigned i = 0; i < frames; i++) {
		zspage->frames[i] = zstore_frame_get(z, &z->data_frames);
		if (zspage->frames[i])
			continue;
		while (i-- > 0)
			zstore_frame_put(z, zspage->frames[i], &z->data_frames);
		zstore_unreserve(z, frames);
		zstore_chunk_free(z, zspage);
		return STORE_NO_MEMORY;
	}
	class->zspages++;
	zstore_list_insert(class, zspage);
	*out = zspage;
	return STORE_OK;
}

/* Copies between a buffer and the bytes at offset in a zspage, a frame at
 * a time (an object may span a frame boundary). */
static void zstore_copy_in(struct zstore_zspage *zspage, size_t offset,
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

static void zstore_copy_out(const struct zstore_zspage *zspage, size_t offset,
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

static size_t zstore_object_offset(const struct zstore_class *class,
				   unsigned object)
{
	return (size_t)object * class->size;
}

static size_t zstore_data_offset(const struct zstore_class *class,
				 unsigned object)
{
	return zstore_object_offset(class, object) +
	       (class->headerless ? 0 : ZSTORE_HEADER_SIZE);
}

/* The header word of an object of a class that has headers. */
static void zstore_header_write(struct zstore_class *class,
				struct zstore_zspage *zspage, unsigned object,
				uint32_t header)
{
	if (!class->headerless)
		zstore_copy_in(zspage, zstore_object_offset(class, object),
			       &header, sizeof(header));
}

static uint32_t zstore_header_read(const struct zstore_class *class,
				   const struct zstore_zspage *zspage,
				   unsigned object)
{
	uint32_t header;

	KASSERT(!class->headerless);
	zstore_copy_out(zspage, zstore_object_offset(class, object), &header,
			sizeof(header));
	return header;
}

/* Takes a free object of a non-full zspage: a freed one first, else a
 * fresh one. The caller writes its header. */
static unsigned zstore_object_take(struct zstore_class *class,
				   struct zstore_zspage *zspage)
{
	unsigned object;

	if (zspage->free_head != ZSTORE_OBJECT_NONE) {
		uint32_t link;

		object = zspage->free_head;
		link = zstore_header_read(class, zspage, object);
		KASSERT(!(link & ZSTORE_HEADER_LIVE));
		zspage->free_head = (uint16_t)link;
	} else {
		object = zspage->fresh++;
	}
	KASSERT(object < class->objects_per_zspage);
	zspage->in_use++;
	return object;
}

/* Returns a live object to its zspage's free list. */
static void zstore_object_drop(struct zstore_class *class,
			       struct zstore_zspage *zspage, unsigned object,
			       uint64_t slot_index)
{
	if (!class->headerless) {
		/* a header that does not name the slot means corruption */
		KASSERT(zstore_header_read(class, zspage, object) ==
			(ZSTORE_HEADER_LIVE | slot_index));
		zstore_header_write(class, zspage, object, zspage->free_head);
		zspage->free_head = (uint16_t)object;
	}
	KASSERT(zspage->in_use > 0);
	zspage->in_use--;
}

/* ---- classes ------------------------------------------------------------ */

static unsigned zstore_class_index_for(size_t length)
{
	size_t stored = length + ZSTORE_HEADER_SIZE;

	if (stored > ZSTORE_FRAME_SIZE)
		stored = ZSTORE_FRAME_SIZE;	/* the headerless raw-page class */
	return (unsigned)((stored + ZSTORE_CLASS_STEP - 1) / ZSTORE_CLASS_STEP) - 1;
}

/* The zspage size (in frames) that wastes the smallest share for a size. */
static unsigned zstore_best_frames(unsigned size)
{
	unsigned best = 1;
	unsigned best_waste = ZSTORE_FRAME_SIZE % size;	/* per 1 frame */

	for (unsigned frames = 2; frames <= ZSTORE_ZSPAGE_FRAMES_MAX; frames++) {
		unsigned waste = frames * ZSTORE_FRAME_SIZE % size;

		/* compare waste / frames without division */
		if (waste * best < best_waste * frames) {
			best = frames;
			best_waste = waste;
		}
	}
	return best;
}

static int zstore_classes_create(struct zstore *z)
{
	struct zstore_class *larger = NULL;

	for (unsigned i = ZSTORE_CLASS_COUNT; i-- > 0;) {
		unsigned size = (i + 1) * ZSTORE_CLASS_STEP;
		unsigned frames = zstore_best_frames(size);
		unsigned objects = frames * ZSTORE_FRAME_SIZE / size;
		struct zstore_class *class;
		int result;

		KASSERT(objects <= ZSTORE_ZSPAGE_OBJECTS_MAX);
		/* same packing as the next larger class: share it */
		if (larger && larger->frames_per_zspage == frames &&
		    larger->objects_per_zspage == objects) {
			z->classes[i] = larger;
			continue;
		}
		if (z->class_descriptors % ZSTORE_CLASSES_PER_FRAME == 0) {
			unsigned frame = z->class_descriptors / ZSTORE_CLASSES_PER_FRAME;

			result = zstore_metadata_frame(z, (void **)&z->class_frames[frame]);
			if (result != STORE_OK)
				return result;
		}
		class = &z->class_frames[z->class_descriptors / ZSTORE_CLASSES_PER_FRAME]
				       [z->class_descriptors % ZSTORE_CLASSES_PER_FRAME];
		z->class_descriptors++;
		spin_init(&class->lock, "zstore class");
		class->size = (uint16_t)size;
		class->frames_per_zspage = (uint8_t)frames;
		class->objects_per_zspage = (uint16_t)objects;
		class->index = (uint8_t)i;
		class->headerless = objects == 1;
		z->classes[i] = class;
		larger = class;
	}
	return STORE_OK;
}

/* ---- ops ------------------------------------------------------------ */

static int zstore_refuse(struct zstore *z, int result)
{
	zstore_count(&z->refusals, 1);
	return result;
}

/*
 * Takes an object of the class, in the fullest zspage that has room (so
 * sparse ones drain) or a new one; the caller writes it. Class lock held.
 */
static int zstore_class_take(struct zstore *z, struct zstore_class *class,
			     struct zstore_zspage **zspage_out, unsigned *object)
{
	struct zstore_zspage *zspage = NULL;
	int result;

	for (unsigned group = ZSTORE_GROUP_FULL; group-- > 0 && !zspage;)
		zspage = class->groups[group];
	if (!zspage) {
		result = zstore_zspage_create(z, class, &zspage);
		if (result != STORE_OK)
			return result;
	}
	*object = zstore_object_take(class, zspage);
	class->objects++;
	zstore_zspage_regroup(z, class, zspage);
	*zspage_out = zspage;
	return STORE_OK;
}

/* Gives an object back; an emptied zspage returns its frames. Class lock
 * held. */
static void zstore_class_drop(struct zstore *z, struct zstore_class *class,
			      struct zstore_zspage *zspage, unsigned object,
			      uint64_t slot_index)
{
	zstore_object_drop(class, zspage, object, slot_index);
	class->objects--;
	zstore_zspage_regroup(z, class, zspage);
}

/*
 * Objects longer than a frame (a page plus a MAC tag or a header, up to
 * STORE_OBJECT_MAX) are kept in two parts: the first 4096 bytes in a frame
 * of the raw-page class (never moved: that class is not compacted), the
 * rest as a small "tail" object that starts with the head zspage's address.
 * The slot names the tail, so handle checks, locking and compaction treat
 * the object like any other; the head is reached only through the tail,
 * under the tail class's lock, and is freed after the slot is dead.
 */
static struct zstore_class *zstore_head_class(struct zstore *z)
{
	return z->classes[ZSTORE_CLASS_COUNT - 1];
}

static int zstore_head_put(struct zstore *z, const void *data,
			   struct zstore_zspage **head)
{
	struct zstore_class *class = zstore_head_class(z);
	unsigned long flags = spin_lock_irqsave(&class->lock);
	unsigned object;
	int result = zstore_class_take(z, class, head, &object);

	if (result == STORE_OK)
		zstore_copy_in(*head, 0, data, ZSTORE_FRAME_SIZE);
	spin_unlock_irqrestore(&class->lock, flags);
	return result;
}

static void zstore_head_free(struct zstore *z, struct zstore_zspage *head)
{
	struct zstore_class *class = zstore_head_class(z);
	unsigned long flags = spin_lock_irqsave(&class->lock);

	zstore_class_drop(z, class, head, 0, 0);
	spin_unlock_irqrestore(&class->lock, flags);
}

static bool zstore_oversize(size_t length)
{
	return length > ZSTORE_FRAME_SIZE;
}

/* The head of an oversize object; its class lock held. */
static struct zstore_zspage *zstore_head_of(const struct zstore_class *class,
					    const struct zstore_slot *slot)
{
	struct zstore_zspage *head;

	zstore_copy_out(slot->zspage, zstore_data_offset(class, slot->object),
			&head, sizeof(head));
	return head;
}

/* Copies a live object out; its class lock held. */
static void zstore_object_read(const struct zstore_class *class,
			       const struct zstore_slot *slot, void *buffer)
{
	size_t offset = zstore_data_offset(class, slot->object);

	if (!zstore_oversize(slot->length)) {
		zstore_copy_out(slot->zspage, offset, buffer, slot->length);
		return;
	}
	zstore_copy_out(zstore_head_of(class, slot), 0, buffer, ZSTORE_FRAME_SIZE);
	zstore_copy_out(slot->zspage, offset + sizeof(struct zstore_zspage *),
			(char *)buffer + ZSTORE_FRAME_SIZE,
			slot->length - ZSTORE_FRAME_SIZE);
}

static int zstore_put(struct store *store, const void *data, size_t length,
		      store_handle_t *handle)
{
	struct zstore *z = zstore_of(store);
	struct zstore_zspage *zspage, *head = NULL;
	bool oversize = zstore_oversize(length);
	size_t stored = oversize ? length - ZSTORE_FRAME_SIZE + sizeof(head) : length;
	struct zstore_class *class;
	struct zstore_slot *slot;
	unsigned long flags;
	unsigned object, generation;
	size_t offset;
	uint64_t index;
	int result;

	if (length == 0 || length > STORE_OBJECT_MAX)
		return STORE_BAD_LENGTH;
	class = z->classes[zstore_class_index_for(stored)];
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

	flags = spin_lock_irqsave(&class->lock);
	result = zstore_class_take(z, class, &zspage, &object);
	if (result != STORE_OK) {
		spin_unlock_irqrestore(&class->lock, flags);
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
	offset = zstore_data_offset(class, slot->object);
	view->handle = handle;
	view->length = slot->length;
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

static void zstore_unmap(struct store *store, struct store_view *view)
{
	struct zstore *z = zstore_of(store);
	struct zstore_class *class;
	struct zstore_slot *slot;
	unsigned long flags;
	int result;

	if (!view->pinned)
		return;
	/* a pinned handle cannot be freed, so it must still be valid */
	result = zstore_handle_lock(z, view->handle, &slot, &class, &flags);
	KASSERT(result == STORE_OK);
	KASSERT(zstore_tag_pins(slot->tag) > 0 && slot->zspage->pins > 0);
	zstore_tag_write(slot, slot->tag - (1u << ZSTORE_TAG_PINS_SHIFT));
	slot->zspage->pins--;
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

static int zstore_free(struct store *store, store_handle_t handle)
{
	struct zstore *z = zstore_of(store);
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
	head = zstore_oversize(length) ? zstore_head_of(class, slot) : NULL;
	zstore_class_drop(z, class, slot->zspage, slot->object,
			  handle & ZSTORE_INDEX_MASK);
	/* no handle reaches the slot now: only the free list will */
	zstore_tag_write(slot, zstore_tag(ZSTORE_SLOT_RESERVED, 0,
					  zstore_tag_generation(slot->tag), 0));
	spin_unlock_irqrestore(&class->lock, flags);
	if (head)
		zstore_head_free(z, head);
	zstore_slot_release(z, handle & ZSTORE_INDEX_MASK);

	zstore_count(&z->pages_stored, -1);
	zstore_count(&z->bytes_stored, -(int64_t)length);
	zstore_count(&z->frees, 1);
	return STORE_OK;
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
}

/* ---- compaction ------------------------------------------------------ */

/* The sparsest partial zspage with nothing mapped in place, if any. */
static struct zstore_zspage *zstore_compact_source(struct zstore_class *class)
{
	for (unsigned group = 0; group < ZSTORE_GROUP_FULL; group++)
		for (struct zstore_zspage *zspage = class->groups[group]; zspage;
		     zspage = zspage->next)
			if (!zspage->pins)
				return zspage;
	return NULL;
}

/* The fullest partial zspage other than source, if any. */
static struct zstore_zspage *zstore_compact_target(struct zstore_class *class,
						   struct zstore_zspage *source)
{
	for (unsigned group = ZSTORE_GROUP_FULL; group-- > 0;)
		for (struct zstore_zspage *zspage = class->groups[group]; zspage;
		     zspage = zspage->next)
			if (zspage != source)
				return zspage;
	return NULL;
}

/* Moves one live object (its slot's index given) from source to target and
 * points its slot there. */
static void zstore_object_move(struct zstore *z, struct zstore_class *class,
			       struct zstore_zspage *source, unsigned object,
			       uint32_t index, struct zstore_zspage *target)
{
	struct zstore_slot *slot;
	unsigned moved;
	char bounce[256];
	size_t done = 0;

	KASSERT(index != 0 && index < zstore_atomic_load(&z->slots_created));
	slot = zstore_slot_at(z, index);
	KASSERT(zstore_tag_state(slot->tag) == ZSTORE_SLOT_LIVE &&
		zstore_tag_class(slot->tag) == class->index &&
		slot->zspage == source && slot->object == object);
	moved = zstore_object_take(class, target);
	/* header and data, through a small buffer: either side may span */
	while (done < class->size) {
		size_t chunk = class->size - done;

		if (chunk > sizeof(bounce))
			chunk = sizeof(bounce);
		zstore_copy_out(source, zstore_object_offset(class, object) + done,
				bounce, chunk);
		zstore_copy_in(target, zstore_object_offset(class, moved) + done,
			       bounce, chunk);
		done += chunk;
	}
	zstore_object_drop(class, source, object, index);
	slot->zspage = target;
	slot->object = (uint16_t)moved;
}

/*
 * One compaction step in a class: objects move from the sparsest unpinned
 * zspage into the fullest other one until the source is empty (its frames
 * are released, counted in *released) or the target is full. False when
 * the class has nothing worth moving. Class lock held.
 */
static bool zstore_compact_step(struct zstore *z, struct zstore_class *class,
				size_t *released)
{
	uint64_t capacity = class->zspages * class->objects_per_zspage;
	struct zstore_zspage *source, *target;

	/* worth it only if the free space could empty a whole zspage */
	if (class->headerless ||
	    capacity - class->objects < class->objects_per_zspage)
		return false;
	source = zstore_compact_source(class);
	target = source ? zstore_compact_target(class, source) : NULL;
	if (!target)
		return false;
	for (unsigned object = 0; object < source->fresh && source->in_use &&
	     target->in_use < class->objects_per_zspage; object++) {
		uint32_t header = zstore_header_read(class, source, object);

		if (!(header & ZSTORE_HEADER_LIVE))
			continue;
		zstore_object_move(z, class, source, object,
				   header & ~ZSTORE_HEADER_LIVE, target);
		zstore_count(&z->objects_moved, 1);
	}
	zstore_zspage_regroup(z, class, target);
	if (source->in_use == 0)
		*released += class->frames_per_zspage;
	zstore_zspage_regroup(z, class, source);
	return true;
}

/*
 * Compacts class by class. The class lock is dropped between steps, so a
 * put or read waits for one step (at most one zspage of moves), not for a
 * whole class. Each step empties a zspage or fills one, so the zspages
 * counted at the start bound the steps even under concurrent puts.
 */
static size_t zstore_compact(struct store *store)
{
	struct zstore *z = zstore_of(store);
	size_t released = 0;

	for (unsigned i = 0; i < ZSTORE_CLASS_COUNT; i++) {
		struct zstore_class *class = z->classes[i];
		unsigned long flags;
		uint64_t steps;
		bool more = true;

		if (class->index != i)
			continue;	/* a merged class: visited at its own index */
		flags = spin_lock_irqsave(&class->lock);
		steps = class->zspages;
		while (more && steps--) {
			more = zstore_compact_step(z, class, &released);
			spin_unlock_irqrestore(&class->lock, flags);
			flags = spin_lock_irqsave(&class->lock);
		}
		spin_unlock_irqrestore(&class->lock, flags);
	}
	zstore_count(&z->compactions, 1);
	zstore_count(&z->frames_compacted, (int64_t)released);
	return released;
}

/* ---- creation and destruction ------------------------------------------ */

static void zstore_release_all(struct zstore *z)
{
	for (unsigned i = 0; i < ZSTORE_CLASS_COUNT; i++) {
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
	for (unsigned d = 0; d < ZSTORE_DIRECTORY_FRAMES && z->directory[d]; d++) {
		for (unsigned p = 0; p < ZSTORE_POINTERS_PER_FRAME; p++)
			if (z->directory[d][p])
				zstore_frame_put(z, z->directory[d][p],
						 &z->metadata_frames);
		zstore_frame_put(z, z->directory[d], &z->metadata_frames);
	}
	for (unsigned i = 0; i < ZSTORE_CLASS_FRAMES && z->class_frames[i]; i++)
		zstore_frame_put(z, z->class_frames[i], &z->metadata_frames);
	/* zspage descriptors live in the chunk frames */
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
	uint64_t capacity = (uint64_t)ZSTORE_DIRECTORY_FRAMES *
			    ZSTORE_POINTERS_PER_FRAME * ZSTORE_SLOTS_PER_FRAME;
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
	z->frames_held = 1;
	z->metadata_frames = 1;
	spin_init(&z->meta_lock, "zstore metadata");
	spin_init(&z->slot_lock, "zstore slots");
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
	.stats = zstore_stats,
	.compact = zstore_compact,
	.destroy = zstore_destroy,
};
