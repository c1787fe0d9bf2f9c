/*
 * Slab debugging: red zones, poisoning and the findings they give, and the
 * report hook every finding goes through.
 *
 * A debug slab's object is laid out as
 *     [ object: size bytes | red zone up to trailer_offset | trailer ]
 * The red zone (SLAB_REDZONE bytes) starts where the caller's request ends
 * (kmalloc(20) from the 32-byte class gets a red zone from byte 20), so a
 * write past the requested end is caught at free. The trailer records the
 * object's state and who last allocated or freed it. A free object is
 * filled with SLAB_POISON (unless it must keep its constructed state, see
 * below), so a write after free is caught when the object is next handed
 * out.
 *
 * Constructed state and poison exclude each other: in debug mode a free
 * runs the dtor and poisons, and the next allocation checks the poison and
 * runs the ctor again. Outside debug mode objects of a ctor cache are kept
 * constructed, as the cache promises. (In debug mode the dtor therefore
 * runs with the cache's lock held: it must not use the same cache.)
 *
 * Reports are made only for what the checks can prove: state words tell a
 * double free; red zone and poison are reported only for objects handed
 * out while debug mode was on (a red zone from an older, smaller request
 * would otherwise give false alarms).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "mm/slab.h"
#include "mm/slab_internal.h"

#define SLAB_POISON		0x6b
#define SLAB_REDZONE_BYTE	0xbb
#define SLAB_REDZONE		16u

/* Trailer states: unlikely values, so a trailer hit by an overflow from
 * the object before it does not pass for a valid state. */
enum slab_debug_state {
	SLAB_STATE_ALLOCATED_CHECKED   = 0xa110ca7edc4ec4edull,	/* handed out in debug mode */
	SLAB_STATE_ALLOCATED_UNCHECKED = 0xa110ca7ed0000000ull,	/* handed out outside it */
	SLAB_STATE_FREE_POISONED       = 0xf4eed0000b0150edull,
	SLAB_STATE_FREE_CONSTRUCTED    = 0xf4eed000c0257ed0ull,
};

struct slab_debug_trailer {
	uint64_t state;
	const void *caller;	/* last allocation or free */
	uint64_t requested;	/* bytes the last allocation asked for */
};

static slab_report_hook_t slab_report_hook;	/* atomics; NULL: panic */

uint32_t slab_debug_trailer_offset(uint32_t size)
{
	return ((size + 7u) & ~7u) + SLAB_REDZONE;
}

uint32_t slab_debug_stride(uint32_t size, uint32_t align)
{
	uint32_t bytes = slab_debug_trailer_offset(size) +
			 (uint32_t)sizeof(struct slab_debug_trailer);

	return (bytes + align - 1) & ~(align - 1);
}

static struct slab_debug_trailer *slab_trailer(const struct slab_cache *cache,
					       const void *object)
{
	return (struct slab_debug_trailer *)((uintptr_t)object + cache->trailer_offset);
}

/* The first byte of [from, to) of object that is not `value`, or `to`. */
static size_t slab_first_mismatch(const void *object, size_t from, size_t to,
				  uint8_t value)
{
	const uint8_t *bytes = object;

	for (size_t i = from; i < to; i++)
		if (bytes[i] != value)
			return i;
	return to;
}

static void slab_fill_redzone(const struct slab_cache *cache, void *object, size_t from)
{
	memset((uint8_t *)object + from, SLAB_REDZONE_BYTE, cache->trailer_offset - from);
}

void slab_debug_prepare(struct slab_cache *cache, struct slab *slab, void *object)
{
	struct slab_debug_trailer *trailer = slab_trailer(cache, object);

	(void)slab;
	slab_fill_redzone(cache, object, cache->size);
	trailer->caller = NULL;
	trailer->requested = cache->size;
	if (cache->ctor) {
		trailer->state = SLAB_STATE_FREE_CONSTRUCTED;
	} else {
		memset(object, SLAB_POISON, cache->size);
		trailer->state = SLAB_STATE_FREE_POISONED;
	}
}

bool slab_debug_on_alloc(struct slab_cache *cache, struct slab *slab, void *object,
			 size_t requested, const void *caller, bool checking)
{
	struct slab_debug_trailer *trailer = slab_trailer(cache, object);
	bool construct = false;

	(void)slab;
	if (trailer->state == SLAB_STATE_FREE_POISONED) {
		size_t bad = slab_first_mismatch(object, 0, cache->size, SLAB_POISON);

		if (checking && bad < cache->size)
			slab_report(SLAB_WRITE_AFTER_FREE, cache, object, caller,
				    trailer->caller, bad);
		construct = cache->ctor != NULL;
	} else if (trailer->state != SLAB_STATE_FREE_CONSTRUCTED && checking) {
		/* the trailer of a free object was overwritten */
		slab_report(SLAB_WRITE_AFTER_FREE, cache, object, caller, NULL,
			    cache->trailer_offset);
	}
	if (requested > cache->size)
		requested = cache->size;
	trailer->state = checking ? SLAB_STATE_ALLOCATED_CHECKED
				  : SLAB_STATE_ALLOCATED_UNCHECKED;
	trailer->caller = caller;
	trailer->requested = requested;
	slab_fill_redzone(cache, object, requested);
	return construct;
}

bool slab_debug_on_free(struct slab_cache *cache, struct slab *slab, void *object,
			const void *caller, bool checking)
{
	struct slab_debug_trailer *trailer = slab_trailer(cache, object);
	uint64_t state = trailer->state;

	(void)slab;
	if (state == SLAB_STATE_FREE_POISONED || state == SLAB_STATE_FREE_CONSTRUCTED) {
		slab_report(SLAB_DOUBLE_FREE, cache, object, caller, trailer->caller, 0);
		return false;
	}
	if (state == SLAB_STATE_ALLOCATED_CHECKED) {
		size_t requested = trailer->requested <= cache->size ? trailer->requested
								       : cache->size;
		size_t bad = slab_first_mismatch(object, requested, cache->trailer_offset,
						 SLAB_REDZONE_BYTE);

		if (bad < cache->trailer_offset)
			slab_report(SLAB_WRITE_PAST_END, cache, object, caller,
				    trailer->caller, bad);
	} else if (state != SLAB_STATE_ALLOCATED_UNCHECKED && checking) {
		/* the trailer itself was overwritten from the object */
		slab_report(SLAB_WRITE_PAST_END, cache, object, caller, NULL,
			    cache->trailer_offset);
	}
	if (checking || !cache->ctor) {
		if (cache->ctor && cache->dtor)
			cache->dtor(object);
		memset(object, SLAB_POISON, cache->size);
		trailer->state = SLAB_STATE_FREE_POISONED;
	} else {
		trailer->state = SLAB_STATE_FREE_CONSTRUCTED;
	}
	trailer->caller = caller;
	slab_fill_redzone(cache, object, cache->size);
	return true;
}

bool slab_debug_constructed(const struct slab_cache *cache, const void *object)
{
	return !cache->ctor ||
	       slab_trailer(cache, object)->state != SLAB_STATE_FREE_POISONED;
}

bool slab_debug_index_free(const struct slab *slab, uint16_t index)
{
	for (uint32_t i = 0; i < slab->free_top; i++)
		if (slab->free_index[i] == index)
			return true;
	return false;
}

/* ---- reports --------------------------------------------------------- */

const char *slab_finding_name(enum slab_finding finding)
{
	switch (finding) {
	case SLAB_DOUBLE_FREE:		return "double free";
	case SLAB_FOREIGN_POINTER:	return "free of a foreign pointer";
	case SLAB_WRITE_PAST_END:	return "write past the end";
	case SLAB_WRITE_AFTER_FREE:	return "write after free";
	case SLAB_CACHE_BUSY:		return "destroy of a cache with live objects";
	default:			return "unknown finding";
	}
}

slab_report_hook_t slab_set_report_hook(slab_report_hook_t hook)
{
	return __atomic_exchange_n(&slab_report_hook, hook, __ATOMIC_ACQ_REL);
}

void slab_report(enum slab_finding finding, struct slab_cache *cache,
		 const void *object, const void *caller, const void *last_caller,
		 size_t offset)
{
	struct slab_report report = {
		.finding = finding,
		.cache = cache ? cache->name : "kmalloc",
		.object = object,
		.caller = caller,
		.last_caller = last_caller,
		.offset = offset,
	};
	slab_report_hook_t hook = __atomic_load_n(&slab_report_hook, __ATOMIC_ACQUIRE);

	if (cache)
		__atomic_add_fetch(&cache->findings, 1, __ATOMIC_RELAXED);
	if (!hook)
		panic("slab: %s in cache %s: object %p, caller %p, last alloc/free %p, "
		      "offset %zu", slab_finding_name(finding), report.cache, object,
		      caller, last_caller, offset);
	hook(&report);
}
