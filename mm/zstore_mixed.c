/*
 * zstore mixed zspages: objects of any size packed end to end, for the size
 * classes that hold too few objects to fill zspages of their own. A size
 * class with few live objects would keep a partly used zspage of 1 to 4
 * frames for a handful of them; at small populations (tens to thousands of
 * sealed pages, spread over some 70 classes) that partial zspage per class
 * costs more than the objects. Objects of such a class go instead to the
 * mixed class: zspages of ZSTORE_MIXED_FRAMES frames cut in 16-byte
 * granules, filled in order from the `fresh` mark of the open zspage (or of
 * the one opened before it, the spare, when the object fits there: so the
 * room a large object left behind takes a smaller one). A class
 * packs its own zspages again once ZSTORE_MIXED_ZSPAGES zspages' worth of
 * its objects are live (its `demand`), so large stores keep the classes'
 * free-list reuse.
 *
 * A mixed object has the same 4-byte header as any (the owner slot's index
 * with ZSTORE_HEADER_LIVE); a freed one's header holds its granule count, so
 * a walk from granule 0 to fresh steps over both (a live one's size comes
 * from its slot's length). Freed granules are not reused in place: the
 * zspage's frames return when its last object goes, and compaction moves
 * the live objects of sparse mixed zspages into the open one.
 *
 * Locks: the mixed class's lock protects its zspages and the location of
 * every slot whose tag names ZSTORE_CLASS_MIXED, like any class lock; it is
 * never held together with another class lock. `demand` is an atomic.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/spinlock.h"
#include "mm/zstore_internal.h"

static struct zstore_class *zstore_mixed_class(struct zstore *z)
{
	return z->classes[ZSTORE_CLASS_MIXED];
}

/* The size class an object of length is counted in. */
static struct zstore_class *zstore_class_for(struct zstore *z, size_t length)
{
	return z->classes[zstore_class_index_for(zstore_stored_length(length))];
}

/* Adds delta to the live objects of length's size class. */
void zstore_demand_count(struct zstore *z, size_t length, int delta)
{
	zstore_count(&zstore_class_for(z, length)->demand, delta);
}

/* True when the class should keep its objects in zspages of its own: it
 * has one with room, or enough live objects to fill several. Class lock
 * held. */
static bool zstore_class_packs_alone(const struct zstore_class *class)
{
	uint64_t demand = zstore_atomic_load(&class->demand);

	if (class->headerless)
		return true;	/* one object per zspage: nothing to share */
	for (unsigned group = 0; group < ZSTORE_GROUP_FULL; group++)
		if (class->groups[group])
			return true;
	return demand >= (uint64_t)ZSTORE_MIXED_ZSPAGES * class->objects_per_zspage;
}

/* Granules left past a mixed zspage's fresh mark (0 for none). */
static unsigned zstore_mixed_left(const struct zstore_class *mixed,
				  const struct zstore_zspage *zspage)
{
	return zspage ? mixed->objects_per_zspage - zspage->fresh : 0;
}

/* Picks where the next `granules` go: the open zspage, else the spare,
 * else a new zspage that becomes the open one (the roomier of the two old
 * ones stays as the spare). Mixed class lock held. */
static int zstore_mixed_pick(struct zstore *z, struct zstore_class *mixed,
			     unsigned granules, struct zstore_zspage **out,
			     int64_t *taken)
{
	struct zstore_zspage *zspage;
	int result;

	if (zstore_mixed_left(mixed, mixed->open) >= granules) {
		*out = mixed->open;
		return STORE_OK;
	}
	if (zstore_mixed_left(mixed, mixed->spare) >= granules) {
		*out = mixed->spare;
		return STORE_OK;
	}
	result = zstore_zspage_create(z, mixed, &zspage);
	if (result != STORE_OK)
		return result;
	(*taken)++;
	if (zstore_mixed_left(mixed, mixed->open) > zstore_mixed_left(mixed, mixed->spare))
		mixed->spare = mixed->open;
	mixed->open = zspage;
	*out = zspage;
	return STORE_OK;
}

/* Finds a mixed zspage for the next `granules` (zstore_mixed_pick) and
 * gives it the frames under them from its fresh mark (a mixed zspage takes
 * its frames as it fills, so an open one holds less than a frame unused).
 * Frames taken are added to *taken. On failure no fresh mark moved; frames
 * already added stay for later puts. Mixed class lock held. */
static int zstore_mixed_room(struct zstore *z, struct zstore_class *mixed,
			     unsigned granules, struct zstore_zspage **out,
			     int64_t *taken)
{
	struct zstore_zspage *zspage;
	unsigned first, last;
	int result = zstore_mixed_pick(z, mixed, granules, &zspage, taken);

	if (result != STORE_OK)
		return result;
	*out = zspage;
	first = zspage->fresh * ZSTORE_CLASS_STEP / ZSTORE_FRAME_SIZE;
	last = ((zspage->fresh + granules) * ZSTORE_CLASS_STEP - 1) / ZSTORE_FRAME_SIZE;
	for (unsigned i = first; i <= last; i++) {
		if (zspage->frames[i])
			continue;
		if (!zstore_reserve(z, 1))
			return STORE_FULL;
		zspage->frames[i] = zstore_frame_get(z, &z->data_frames);
		if (!zspage->frames[i]) {
			zstore_unreserve(z, 1);
			return STORE_NO_MEMORY;
		}
		(*taken)++;
	}
	return STORE_OK;
}

/* Takes `granules` at the open mixed zspage's fresh mark. Mixed class lock
 * held. */
static int zstore_mixed_take(struct zstore *z, struct zstore_class *mixed,
			     unsigned granules, struct zstore_zspage **zspage_out,
			     unsigned *object)
{
	struct zstore_zspage *zspage = NULL;
	int64_t taken = 0;
	int result = zstore_mixed_room(z, mixed, granules, &zspage, &taken);

	if (result != STORE_OK) {
		/* a zspage opened for nothing goes back at once */
		if (mixed->open && mixed->open->in_use == 0)
			zstore_zspage_regroup(z, mixed, mixed->open);
		return result;
	}
	*object = zspage->fresh;
	zspage->fresh = (uint16_t)(zspage->fresh + granules);
	zspage->in_use = (uint16_t)(zspage->in_use + granules);
	mixed->objects += granules;
	zstore_zspage_regroup(z, mixed, zspage);
	*zspage_out = zspage;
	return STORE_OK;
}

/*
 * Finds a place for an object of length (1..STORE_OBJECT_MAX; for one longer
 * than a frame, the place of its tail): in its size class, or in the open
 * mixed zspage when the class holds too few objects to fill zspages of its
 * own. On success the chosen class (*class_out) is locked (flags in *flags)
 * and the object counted in its size class's demand; the caller writes
 * header and bytes. On failure nothing is held or changed.
 */
int zstore_object_place(struct zstore *z, size_t length,
			struct zstore_class **class_out, unsigned long *flags,
			struct zstore_zspage **zspage, unsigned *object)
{
	struct zstore_class *class = zstore_class_for(z, length);
	int result;

	*flags = spin_lock_irqsave(&class->lock);
	if (!zstore_class_packs_alone(class)) {
		spin_unlock_irqrestore(&class->lock, *flags);
		class = zstore_mixed_class(z);
		*flags = spin_lock_irqsave(&class->lock);
		result = zstore_mixed_take(z, class, zstore_mixed_granules(length),
					   zspage, object);
	} else {
		result = zstore_class_take(z, class, zspage, object);
	}
	if (result != STORE_OK) {
		spin_unlock_irqrestore(&class->lock, *flags);
		return result;
	}
	zstore_demand_count(z, length, 1);
	*class_out = class;
	return STORE_OK;
}

/* Granules of a mixed zspage's frames that hold no live object (a freed
 * object's, or past the fresh mark). */
static unsigned zstore_mixed_dead(const struct zstore_zspage *zspage)
{
	unsigned frames = 0;

	for (unsigned i = 0; i < ZSTORE_MIXED_FRAMES; i++)
		frames += zspage->frames[i] != NULL;
	return frames * (ZSTORE_FRAME_SIZE / ZSTORE_CLASS_STEP) - zspage->in_use;
}

/* The sparsest mixed zspage with nothing mapped, if moving its objects out
 * gives back a frame at least; the open and spare zspages count when they
 * are that sparse besides their room (their objects then move to others). */
static struct zstore_zspage *zstore_mixed_source(struct zstore_class *mixed)
{
	for (unsigned group = 0; group <= ZSTORE_GROUP_FULL; group++)
		for (struct zstore_zspage *zspage = mixed->groups[group]; zspage;
		     zspage = zspage->next) {
			unsigned room = zspage == mixed->open ||
					zspage == mixed->spare ?
					zstore_mixed_left(mixed, zspage) : 0;

			if (!zspage->pins && zstore_mixed_dead(zspage) >=
			    ZSTORE_FRAME_SIZE / ZSTORE_CLASS_STEP + room)
				return zspage;
		}
	return NULL;
}

/* Moves the live object at granule `object` of source (owner slot index,
 * `granules` long) to target's fresh mark (its frames are there). */
static void zstore_mixed_move(struct zstore *z, struct zstore_class *mixed,
			      struct zstore_zspage *source, unsigned object,
			      uint32_t index, unsigned granules,
			      struct zstore_zspage *target)
{
	struct zstore_slot *slot = zstore_slot_at(z, index);
	size_t bytes = (size_t)granules * ZSTORE_CLASS_STEP, done = 0;
	unsigned moved = target->fresh;
	char bounce[256];

	KASSERT(zstore_tag_state(slot->tag) == ZSTORE_SLOT_LIVE &&
		zstore_tag_class(slot->tag) == ZSTORE_CLASS_MIXED &&
		slot->zspage == source && slot->object == object);
	while (done < bytes) {
		size_t chunk = bytes - done < sizeof(bounce) ? bytes - done :
			       sizeof(bounce);

		zstore_copy_out(source, zstore_object_offset(mixed, object) + done,
				bounce, chunk);
		zstore_copy_in(target, zstore_object_offset(mixed, moved) + done,
			       bounce, chunk);
		done += chunk;
	}
	target->fresh = (uint16_t)(target->fresh + granules);
	target->in_use = (uint16_t)(target->in_use + granules);
	zstore_object_drop(mixed, source, object, index, slot->length);
	slot->zspage = target;
	slot->object = (uint16_t)moved;
}

/*
 * One compaction step of the mixed class: the live objects of the sparsest
 * mixed zspage (one whose dead granules fill a frame at least, not counting
 * an open or spare zspage's room) move where puts would put them, until the
 * source is empty and its frames are released. *released
 * gets the frames released less the frames taken. False when nothing is
 * worth moving. Mixed class lock held.
 */
bool zstore_mixed_compact_step(struct zstore *z, struct zstore_class *mixed,
			       int64_t *released)
{
	struct zstore_zspage *source = zstore_mixed_source(mixed);
	unsigned object = 0;

	if (!source)
		return false;
	/* its objects go elsewhere: it takes none of them back */
	if (source == mixed->open)
		mixed->open = NULL;
	if (source == mixed->spare)
		mixed->spare = NULL;
	while (object < source->fresh && source->in_use) {
		uint32_t header = zstore_header_read(mixed, source, object);
		struct zstore_zspage *target;
		unsigned granules;
		int64_t taken;
		int result;

		if (!(header & ZSTORE_HEADER_LIVE)) {
			object += header;	/* a freed object's granules */
			continue;
		}
		granules = zstore_mixed_granules(
			zstore_slot_at(z, header & ~ZSTORE_HEADER_LIVE)->length);
		taken = 0;
		result = zstore_mixed_room(z, mixed, granules, &target, &taken);
		*released -= taken;
		if (result != STORE_OK)
			break;	/* no frame: what moved stays moved */
		zstore_mixed_move(z, mixed, source, object,
				  header & ~ZSTORE_HEADER_LIVE, granules, target);
		zstore_count(&z->objects_moved, 1);
		zstore_zspage_regroup(z, mixed, target);
		object += granules;
	}
	*released += zstore_zspage_regroup(z, mixed, source);
	return true;
}
