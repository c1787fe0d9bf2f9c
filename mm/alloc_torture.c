/*
 * The allocator torture worker (mm/alloc_torture.h). What a CPU holds is
 * in a table on its stack; patterns make every byte of an object say which
 * object it is, so an object handed to two holders at once, or written by
 * another, is found when it is checked before its free.
 */
#include <stddef.h>
#include <string.h>
#include "mm/alloc_torture.h"
#include "mm/pmm.h"
#include "mm/slab.h"

enum alloc_torture_kind { TORTURE_NONE, TORTURE_KMALLOC, TORTURE_SLAB, TORTURE_FRAME };

struct alloc_torture_item {
	enum alloc_torture_kind kind;
	void *object;		/* kmalloc and slab */
	uint64_t phys;		/* frame */
	unsigned size;		/* bytes, or the frame block's order */
};

static uint64_t alloc_torture_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* The byte at offset i of an object at address: its address and size mixed,
 * so two live objects never share a pattern at the same place. */
static uint8_t alloc_torture_byte(const void *address, unsigned size, size_t i)
{
	uintptr_t mix = (uintptr_t)address ^ ((uintptr_t)size << 3) ^ (i * 0x9d);

	return (uint8_t)(mix ^ (mix >> 8) ^ (mix >> 16));
}

/* kmalloc objects carry their size in the first word (they may be freed by
 * another CPU); the rest, and all of a slab object, is the pattern. */
static void alloc_torture_fill(void *object, unsigned size, bool sized)
{
	uint8_t *bytes = object;
	size_t start = 0;

	if (sized) {
		uint32_t word = size;

		memcpy(bytes, &word, sizeof(word));
		start = sizeof(word);
	}
	for (size_t i = start; i < size; i++)
		bytes[i] = alloc_torture_byte(object, size, i);
}

static bool alloc_torture_intact(const void *object, unsigned size, bool sized)
{
	const uint8_t *bytes = object;
	size_t start = 0;

	if (sized) {
		uint32_t word;

		memcpy(&word, bytes, sizeof(word));
		if (word != size)
			return false;
		start = sizeof(word);
	}
	for (size_t i = start; i < size; i++)
		if (bytes[i] != alloc_torture_byte(object, size, i))
			return false;
	return true;
}

/* The owner tag of a frame block: the CPU holding it. Small, so that it
 * reads as an owner kind and never as a slab pointer (mm/mm.h, enum
 * mm_owner_kind: values below 4096). A block handed to two CPUs at once
 * shows the other's tag. */
static uintptr_t alloc_torture_frame_tag(uint64_t phys, unsigned cpu)
{
	(void)phys;
	return 16 + cpu;
}

static void alloc_torture_count(uint64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

/* A kmalloc size: mostly small classes, now and then a large block. */
static unsigned alloc_torture_kmalloc_size(uint64_t *state)
{
	uint64_t r = alloc_torture_random(state);

	if (r % 32 == 0)
		return 8192 + (unsigned)(r >> 8) % (3 * 4096);
	return 4 + (unsigned)(r >> 8) % ((r & 16) ? 256 : 4000);
}

static void alloc_torture_take(unsigned cpu, struct alloc_torture *t,
			       struct alloc_torture_item *item, uint64_t *state)
{
	uint64_t r = alloc_torture_random(state);

	item->kind = TORTURE_NONE;
	switch (r % 4) {
	case 0:
	case 1:
		item->size = alloc_torture_kmalloc_size(state);
		item->object = kmalloc(item->size);
		if (item->object) {
			alloc_torture_fill(item->object, item->size, true);
			item->kind = TORTURE_KMALLOC;
		}
		break;
	case 2:
		if (!t->cache)
			return;
		item->size = t->cache_size;
		item->object = slab_alloc(t->cache);
		if (item->object) {
			alloc_torture_fill(item->object, item->size, false);
			item->kind = TORTURE_SLAB;
		}
		break;
	default:
		item->size = (unsigned)(r >> 8) % 3;	/* order 0..2 */
		item->phys = pmm_alloc(t->pmm, item->size);
		if (item->phys != PMM_NO_FRAME) {
			pmm_set_owner(t->pmm, item->phys, item->size,
				      alloc_torture_frame_tag(item->phys, cpu));
			if (t->frame_address)
				alloc_torture_fill(t->frame_address(item->phys),
						   4096u << item->size, false);
			item->kind = TORTURE_FRAME;
		}
		break;
	}
	if (item->kind == TORTURE_NONE)
		alloc_torture_count(&t->failures);
}

/* Checks a kmalloc object (from any CPU) and frees it. */
static void alloc_torture_kfree_checked(struct alloc_torture *t, void *object)
{
	uint32_t size;

	memcpy(&size, object, sizeof(size));
	if (size < sizeof(size) || !alloc_torture_intact(object, size, true)) {
		alloc_torture_count(&t->corruptions);
		return;	/* not ours to free any more: leave it */
	}
	kfree(object);
}

static void alloc_torture_give(unsigned cpu, struct alloc_torture *t,
			       struct alloc_torture_item *item, uint64_t *state)
{
	switch (item->kind) {
	case TORTURE_KMALLOC:
		if (alloc_torture_random(state) % 4 == 0) {
			/* Leave it for another CPU; free what was there. */
			unsigned slot = (unsigned)(alloc_torture_random(state) %
						   ALLOC_TORTURE_EXCHANGE);
			void *other = __atomic_exchange_n(&t->exchange[slot],
							  item->object,
							  __ATOMIC_ACQ_REL);
			if (other) {
				alloc_torture_count(&t->handed_over);
				alloc_torture_kfree_checked(t, other);
			}
			break;
		}
		alloc_torture_kfree_checked(t, item->object);
		break;
	case TORTURE_SLAB:
		if (!alloc_torture_intact(item->object, item->size, false))
			alloc_torture_count(&t->corruptions);
		else
			slab_free(t->cache, item->object);
		break;
	case TORTURE_FRAME:
		if (pmm_owner(t->pmm, item->phys) !=
			    alloc_torture_frame_tag(item->phys, cpu) ||
		    (t->frame_address &&
		     !alloc_torture_intact(t->frame_address(item->phys),
					   4096u << item->size, false))) {
			alloc_torture_count(&t->corruptions);
			break;
		}
		pmm_set_owner(t->pmm, item->phys, item->size, 0);
		pmm_free(t->pmm, item->phys, item->size);
		break;
	case TORTURE_NONE:
		break;
	}
	item->kind = TORTURE_NONE;
}

void alloc_torture_worker(unsigned cpu, struct alloc_torture *t)
{
	struct alloc_torture_item live[ALLOC_TORTURE_LIVE];
	uint64_t state = t->seed * 0x9e3779b97f4a7c15ull + cpu * 2 + 1;

	memset(live, 0, sizeof(live));
	for (unsigned i = 0; i < t->operations; i++) {
		struct alloc_torture_item *item =
			&live[alloc_torture_random(&state) % ALLOC_TORTURE_LIVE];

		if (item->kind == TORTURE_NONE)
			alloc_torture_take(cpu, t, item, &state);
		else
			alloc_torture_give(cpu, t, item, &state);
	}
	for (unsigned i = 0; i < ALLOC_TORTURE_LIVE; i++)
		alloc_torture_give(cpu, t, &live[i], &state);
}

void alloc_torture_drain(struct alloc_torture *t)
{
	for (unsigned slot = 0; slot < ALLOC_TORTURE_EXCHANGE; slot++) {
		void *object = __atomic_exchange_n(&t->exchange[slot], NULL,
						   __ATOMIC_ACQ_REL);

		if (object)
			alloc_torture_kfree_checked(t, object);
	}
}
