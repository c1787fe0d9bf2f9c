/*
 * zstore classes: the size classes and their zspages. A class keeps its
 * zspages in five group lists by fullness; puts take from the fullest
 * partial zspage so sparse ones drain. Objects may span frames inside a
 * zspage; objects longer than a frame are split into a head (a raw-page
 * class frame) and a tail. Every function here runs under the class lock
 * of the class it is given unless its comment says it takes it (the head
 * functions) or it runs at creation, before anyone sees the store
 * (zstore_classes_create); the lock order is written atop mm/zstore.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "mm/zstore_internal.h"

static unsigned zstore_group_of(const struct zstore_class *class,
				const struct zstore_zspage *zspage)
{
	if (zspage->in_use == class->objects_per_zspage)
		return ZSTORE_GROUP_FULL;
	return zspage->in_use * 4u / class->objects_per_zspage;
}

void zstore_list_remove(struct zstore_class *class,
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

/* Puts a zspage (on no list) first in the given group's list. */
static void zstore_list_insert(struct zstore_class *class,
			       struct zstore_zspage *zspage, unsigned group)
{
	zspage->group = (uint8_t)group;
	zspage->prev = NULL;
	zspage->next = class->groups[group];
	if (zspage->next)
		zspage->next->prev = zspage;
	class->groups[group] = zspage;
}

/* Gives a zspage's frames (a mixed zspage may have fewer than its class
 * says: they come as it fills) and descriptor back; returns the frames. */
unsigned zstore_zspage_release(struct zstore *z, struct zstore_class *class,
			       struct zstore_zspage *zspage)
{
	unsigned frames = 0;

	for (unsigned i = 0; i < class->frames_per_zspage; i++)
		if (zspage->frames[i]) {
			zstore_frame_put(z, zspage->frames[i], &z->data_frames);
			frames++;
		}
	class->zspages--;
	zstore_chunk_free(z, zspage);
	return frames;
}

/* Moves a zspage to the head of the group its fullness calls for, or
 * releases it when it holds nothing; returns the frames released. Class
 * lock held. */
unsigned zstore_zspage_regroup(struct zstore *z, struct zstore_class *class,
			       struct zstore_zspage *zspage)
{
	unsigned group;

	if (zspage->in_use == 0 && zspage->pins == 0) {
		if (class->open == zspage)
			class->open = NULL;
		if (class->spare == zspage)
			class->spare = NULL;
		zstore_list_remove(class, zspage);
		return zstore_zspage_release(z, class, zspage);
	}
	group = zstore_group_of(class, zspage);
	/* already first in that group (a put or free that crosses no
	 * quarter of a zspage): the lists would come out the same */
	if (group == zspage->group && class->groups[group] == zspage)
		return 0;
	zstore_list_remove(class, zspage);
	zstore_list_insert(class, zspage, group);
	return 0;
}

/* A new empty zspage of the class, or a result code; a mixed zspage gets
 * its first frame only (zstore_mixed.c adds the others as it fills). Class
 * lock held. */
int zstore_zspage_create(struct zstore *z, struct zstore_class *class,
				struct zstore_zspage **out)
{
	struct zstore_zspage *zspage;
	unsigned frames = class->mixed ? 1 : class->frames_per_zspage;
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
		/* Each frame put back gives back its own reservation; the
		 * rest of the reservation (the frames never got) goes here. */
		zstore_unreserve(z, frames - i);
		while (i-- > 0)
			zstore_frame_put(z, zspage->frames[i], &z->data_frames);
		zstore_chunk_free(z, zspage);
		return STORE_NO_MEMORY;
	}
	class->zspages++;
	zstore_list_insert(class, zspage, zstore_group_of(class, zspage));
	*out = zspage;
	return STORE_OK;
}

/* Takes a free object of a non-full zspage: a freed one first, else a
 * fresh one. The caller writes its header. */
unsigned zstore_object_take(struct zstore_class *class,
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

/* Returns a live object (of length bytes) to its zspage's free list; in a
 * mixed zspage its header records its granules, for walks to step over. */
void zstore_object_drop(struct zstore_class *class,
			struct zstore_zspage *zspage, unsigned object,
			uint64_t slot_index, size_t length)
{
	if (class->mixed) {
		unsigned granules = zstore_mixed_granules(length);

		KASSERT(zstore_header_read(class, zspage, object) ==
			(ZSTORE_HEADER_LIVE | slot_index));
		zstore_header_write(class, zspage, object, granules);
		KASSERT(zspage->in_use >= granules);
		zspage->in_use = (uint16_t)(zspage->in_use - granules);
		return;
	}
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

/* The zspage size (in frames) that wastes the smallest share for a size;
 * of equal shares the larger, as it needs fewer descriptors a frame, when
 * a frame holds two objects or more (a class of one object a frame, the
 * raw-page class among them, stays headerless in one-frame zspages). */
static unsigned zstore_best_frames(unsigned size)
{
	bool larger_on_ties = ZSTORE_FRAME_SIZE / size >= 2;
	unsigned best = 1;
	unsigned best_waste = ZSTORE_FRAME_SIZE % size;	/* per 1 frame */

	for (unsigned frames = 2; frames <= ZSTORE_ZSPAGE_FRAMES_MAX; frames++) {
		unsigned waste = frames * ZSTORE_FRAME_SIZE % size;

		if (frames * ZSTORE_FRAME_SIZE / size > ZSTORE_ZSPAGE_OBJECTS_MAX)
			break;
		/* compare waste / frames without division */
		if (waste * best < best_waste * frames ||
		    (larger_on_ties && waste * best == best_waste * frames)) {
			best = frames;
			best_waste = waste;
		}
	}
	return best;
}

/* The next class descriptor of class_frames (a new frame every
 * ZSTORE_CLASSES_PER_FRAME), lock initialised; at creation only. */
static int zstore_class_descriptor(struct zstore *z, struct zstore_class **out)
{
	struct zstore_class *class;
	int result;

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
	*out = class;
	return STORE_OK;
}

/* The mixed class (mm/zstore_mixed.c): 16-byte granules in zspages of
 * ZSTORE_MIXED_FRAMES frames; tag class ZSTORE_CLASS_MIXED. */
static int zstore_mixed_class_create(struct zstore *z)
{
	struct zstore_class *class;
	int result = zstore_class_descriptor(z, &class);

	if (result != STORE_OK)
		return result;
	class->size = ZSTORE_CLASS_STEP;
	class->frames_per_zspage = ZSTORE_MIXED_FRAMES;
	class->objects_per_zspage = ZSTORE_MIXED_GRANULES;
	class->index = ZSTORE_CLASS_MIXED;
	class->mixed = true;
	z->classes[ZSTORE_CLASS_MIXED] = class;
	return STORE_OK;
}

int zstore_classes_create(struct zstore *z)
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
		result = zstore_class_descriptor(z, &class);
		if (result != STORE_OK)
			return result;
		class->size = (uint16_t)size;
		class->frames_per_zspage = (uint8_t)frames;
		class->objects_per_zspage = (uint16_t)objects;
		class->index = (uint16_t)i;
		class->headerless = objects == 1;
		z->classes[i] = class;
		larger = class;
	}
	/* heads of objects longer than a page fill one frame, no header */
	KASSERT(zstore_head_class(z)->headerless &&
		zstore_head_class(z)->frames_per_zspage == 1);
	return zstore_mixed_class_create(z);
}

/*
 * Takes an object of the class, in the fullest zspage that has room (so
 * sparse ones drain) or a new one; the caller writes it. Class lock held.
 */
int zstore_class_take(struct zstore *z, struct zstore_class *class,
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
void zstore_class_drop(struct zstore *z, struct zstore_class *class,
		       struct zstore_zspage *zspage, unsigned object,
		       uint64_t slot_index, size_t length)
{
	zstore_object_drop(class, zspage, object, slot_index, length);
	class->objects -= class->mixed ? zstore_mixed_granules(length) : 1;
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
int zstore_head_put(struct zstore *z, const void *data,
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

void zstore_head_free(struct zstore *z, struct zstore_zspage *head)
{
	struct zstore_class *class = zstore_head_class(z);
	unsigned long flags = spin_lock_irqsave(&class->lock);

	zstore_class_drop(z, class, head, 0, 0, ZSTORE_FRAME_SIZE);
	spin_unlock_irqrestore(&class->lock, flags);
}

/* The head of an oversize object; its class lock held. */
struct zstore_zspage *zstore_head_of(const struct zstore_class *class,
				     const struct zstore_slot *slot)
{
	struct zstore_zspage *head;

	zstore_copy_out(slot->zspage, zstore_data_offset(class, slot->object),
			&head, sizeof(head));
	return head;
}

/* Copies a live object out; its class lock held. */
void zstore_object_read(const struct zstore_class *class,
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

/* Overwrites a live object's bytes with zeros (a head frame included);
 * its class lock held. */
void zstore_object_wipe(const struct zstore_class *class,
			const struct zstore_slot *slot)
{
	static const uint8_t zeros[ZSTORE_FRAME_SIZE];
	size_t offset = zstore_data_offset(class, slot->object);

	if (!zstore_oversize(slot->length)) {
		zstore_copy_in(slot->zspage, offset, zeros, slot->length);
		return;
	}
	zstore_copy_in(zstore_head_of(class, slot), 0, zeros, ZSTORE_FRAME_SIZE);
	zstore_copy_in(slot->zspage, offset + sizeof(struct zstore_zspage *),
		       zeros, slot->length - ZSTORE_FRAME_SIZE);
}
