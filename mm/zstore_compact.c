/*
 * zstore compaction: moves objects out of the sparsest zspages of a class
 * into its fullest ones and releases the emptied frames; handles stay valid
 * because only the slots' locations change. Takes one class lock at a time
 * (and meta_lock inside it when a zspage descriptor is freed).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "mm/zstore_internal.h"

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
	zstore_object_drop(class, source, object, index, slot->length);
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
				int64_t *released)
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
	*released += zstore_zspage_regroup(z, class, source);
	return true;
}

/*
 * Compacts class by class. The class lock is dropped between steps, so a
 * put or read waits for one step (at most one zspage of moves), not for a
 * whole class. Each step empties a zspage or fills one, so the zspages
 * counted at the start bound the steps even under concurrent puts.
 */
size_t zstore_compact(struct store *store)
{
	struct zstore *z = zstore_of(store);
	int64_t released = 0;	/* net: a mixed step may open a zspage */
	bool asked = __atomic_exchange_n(&z->compact_pending, 0, __ATOMIC_ACQ_REL);

	for (unsigned i = 0; i <= ZSTORE_CLASS_MIXED; i++) {
		struct zstore_class *class = z->classes[i];
		unsigned long flags;
		uint64_t steps;
		bool more = true;

		if (class->index != i)
			continue;	/* a merged class: visited at its own index */
		flags = spin_lock_irqsave(&class->lock);
		steps = class->zspages;
		while (more && steps--) {
			more = class->mixed ?
			       zstore_mixed_compact_step(z, class, &released) :
			       zstore_compact_step(z, class, &released);
			spin_unlock_irqrestore(&class->lock, flags);
			flags = spin_lock_irqsave(&class->lock);
		}
		spin_unlock_irqrestore(&class->lock, flags);
	}
	if (released < 0)
		released = 0;
	zstore_count(&z->compactions, 1);
	zstore_count(&z->frames_compacted, released);
	if (asked)
		zstore_count(&z->compactions_auto, 1);
	__atomic_store_n(&z->compact_waste_after, zstore_wasted_bytes(z),
			 __ATOMIC_RELAXED);
	return (size_t)released;
}

/* Bytes of the data frames no object fills (a moment's view of two
 * counters: a put or free between the loads may skew it by one object). */
uint64_t zstore_wasted_bytes(struct zstore *z)
{
	uint64_t capacity = zstore_atomic_load(&z->data_frames) * ZSTORE_FRAME_SIZE;
	uint64_t bytes = zstore_atomic_load(&z->bytes_stored);

	return capacity > bytes ? capacity - bytes : 0;
}

/*
 * After a free: asks for compaction when the waste passed the threshold
 * (percent of the data frames' bytes), is ZSTORE_COMPACT_MIN_WASTE frames
 * at least, and grew by that much since the last run (so waste compaction
 * cannot remove, such as the tails of class zspages, does not ask again
 * and again). A few atomic loads; no lock, no compaction here: the free
 * runs on the fault path, and a background thread does the work.
 */
void zstore_compact_check(struct zstore *z)
{
	uint32_t threshold = __atomic_load_n(&z->compact_threshold, __ATOMIC_RELAXED);
	uint64_t data = zstore_atomic_load(&z->data_frames) * ZSTORE_FRAME_SIZE;
	uint64_t minimum = (uint64_t)ZSTORE_COMPACT_MIN_WASTE * ZSTORE_FRAME_SIZE;
	uint64_t waste, after;
	uint32_t idle = 0;

	if (threshold > 100 || __atomic_load_n(&z->compact_pending, __ATOMIC_RELAXED))
		return;
	waste = zstore_wasted_bytes(z);
	after = __atomic_load_n(&z->compact_waste_after, __ATOMIC_RELAXED);
	if (waste < after)	/* the store shrank: so does the baseline */
		__atomic_store_n(&z->compact_waste_after, waste, __ATOMIC_RELAXED);
	if (waste < minimum || waste < after + minimum ||
	    waste * 100 <= data * threshold)
		return;
	if (__atomic_compare_exchange_n(&z->compact_pending, &idle, 1, false,
					__ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		zstore_count(&z->compaction_requests, 1);
		store_notify_compact_wanted(&z->base);
	}
}

/* Whether a free asked for compaction since the last run. */
bool zstore_compact_wanted(struct store *store)
{
	return __atomic_load_n(&zstore_of(store)->compact_pending, __ATOMIC_ACQUIRE);
}

/* Sets the threshold (percent of data-frame bytes wasted); above 100 turns
 * requests off, 0 is refused (it would ask at every free). */
int zstore_set_compact_threshold(struct store *store, unsigned percent)
{
	if (percent == 0)
		return STORE_BAD_LENGTH;
	__atomic_store_n(&zstore_of(store)->compact_threshold, percent,
			 __ATOMIC_RELAXED);
	return STORE_OK;
}
