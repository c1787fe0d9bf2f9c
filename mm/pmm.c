/*
 * pmm: the buddy frame allocator (interface and contract in mm/pmm.h).
 *
 * Free blocks of each order sit on a doubly linked list threaded through
 * their first frame's descriptor (32-bit indices into the span, so a
 * descriptor stays at 24 bytes). A block's buddy is found by flipping bit
 * `order` of its absolute frame number, which keeps every block naturally
 * aligned in physical memory whatever min_pfn is. Freeing merges with the
 * buddy while the buddy is a free block of the same order.
 *
 * One lock per instance (pmm->lock, see its declaration); no function calls
 * out of this file while holding it, except the report hook (after unlock).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "mm/pmm.h"

#define PMM_LINK_NONE UINT32_MAX

size_t pmm_descriptor_bytes(uint64_t min_pfn, uint64_t max_pfn)
{
	if (max_pfn <= min_pfn)
		return 0;
	return (size_t)(max_pfn - min_pfn) * sizeof(struct pmm_frame);
}

int pmm_init(struct pmm *pmm, uint64_t min_pfn, uint64_t max_pfn,
	     void *storage, size_t storage_bytes)
{
	uint64_t span = max_pfn - min_pfn;

	if (max_pfn <= min_pfn || span > PMM_MAX_SPAN_FRAMES || !storage ||
	    storage_bytes < pmm_descriptor_bytes(min_pfn, max_pfn) ||
	    (uintptr_t)storage % 8 != 0)
		return PMM_BAD_ARGUMENT;
	memset(pmm, 0, sizeof(*pmm));
	spin_init(&pmm->lock, "pmm");
	pmm->min_pfn = min_pfn;
	pmm->max_pfn = max_pfn;
	pmm->frames = storage;
	for (uint64_t i = 0; i < span; i++) {
		struct pmm_frame *frame = &pmm->frames[i];

		memset(frame, 0, sizeof(*frame));
		frame->next = frame->prev = PMM_LINK_NONE;
		frame->flags = PMM_FRAME_RESERVED;
	}
	for (unsigned order = 0; order < PMM_MAX_ORDER; order++)
		pmm->free_head[order] = PMM_LINK_NONE;
	return PMM_OK;
}

/* ---- free lists (pmm->lock held) ------------------------------------- */

static uint32_t pmm_index(const struct pmm *pmm, uint64_t pfn)
{
	return (uint32_t)(pfn - pmm->min_pfn);
}

static bool pmm_in_span(const struct pmm *pmm, uint64_t pfn)
{
	return pfn >= pmm->min_pfn && pfn < pmm->max_pfn;
}

static void pmm_list_push(struct pmm *pmm, uint64_t pfn, unsigned order)
{
	uint32_t index = pmm_index(pmm, pfn);
	struct pmm_frame *frame = &pmm->frames[index];
	uint32_t head = pmm->free_head[order];

	frame->flags = PMM_FRAME_FREE;
	frame->order = (uint8_t)order;
	frame->prev = PMM_LINK_NONE;
	frame->next = head;
	if (head != PMM_LINK_NONE)
		pmm->frames[head].prev = index;
	pmm->free_head[order] = index;
	pmm->free_blocks[order]++;
}

static void pmm_list_remove(struct pmm *pmm, uint32_t index)
{
	struct pmm_frame *frame = &pmm->frames[index];
	unsigned order = frame->order;

	if (frame->prev != PMM_LINK_NONE)
		pmm->frames[frame->prev].next = frame->next;
	else
		pmm->free_head[order] = frame->next;
	if (frame->next != PMM_LINK_NONE)
		pmm->frames[frame->next].prev = frame->prev;
	frame->next = frame->prev = PMM_LINK_NONE;
	frame->flags = 0;
	pmm->free_blocks[order]--;
}

/* Puts a block on the free lists, merging it with free buddies. */
static void pmm_release_block(struct pmm *pmm, uint64_t pfn, unsigned order)
{
	while (order + 1 < PMM_MAX_ORDER) {
		uint64_t buddy = pfn ^ (1ull << order);
		struct pmm_frame *frame;

		if (!pmm_in_span(pmm, buddy))
			break;
		frame = &pmm->frames[pmm_index(pmm, buddy)];
		if (frame->flags != PMM_FRAME_FREE || frame->order != order)
			break;
		pmm_list_remove(pmm, pmm_index(pmm, buddy));
		if (buddy < pfn) {
			pmm->frames[pmm_index(pmm, pfn)].flags = 0;
			pfn = buddy;
		}
		order++;
	}
	pmm_list_push(pmm, pfn, order);
}

/* ---- adding RAM ------------------------------------------------------ */

/* The largest order a block starting at pfn may have within [pfn, end). */
static unsigned pmm_fit_order(uint64_t pfn, uint64_t end)
{
	unsigned order = 0;

	while (order + 1 < PMM_MAX_ORDER && (pfn & ((1ull << (order + 1)) - 1)) == 0 &&
	       pfn + (1ull << (order + 1)) <= end)
		order++;
	return order;
}

int pmm_add_free_range(struct pmm *pmm, uint64_t phys_start, uint64_t phys_end)
{
	uint64_t first, end;
	unsigned long flags;

	if (phys_start > UINT64_MAX - (PMM_FRAME_SIZE - 1))
		return PMM_OK;
	first = (phys_start + PMM_FRAME_SIZE - 1) >> PMM_FRAME_SHIFT;
	end = phys_end >> PMM_FRAME_SHIFT;
	if (first < pmm->min_pfn)
		first = pmm->min_pfn;
	if (end > pmm->max_pfn)
		end = pmm->max_pfn;
	if (first >= end)
		return PMM_OK;

	flags = spin_lock_irqsave(&pmm->lock);
	for (uint64_t pfn = first; pfn < end; pfn++) {
		if (pmm->frames[pmm_index(pmm, pfn)].flags != PMM_FRAME_RESERVED) {
			spin_unlock_irqrestore(&pmm->lock, flags);
			return PMM_OVERLAP;
		}
	}
	for (uint64_t pfn = first; pfn < end; pfn++)
		pmm->frames[pmm_index(pmm, pfn)].flags = 0;
	for (uint64_t pfn = first; pfn < end;) {
		unsigned order = pmm_fit_order(pfn, end);

		pmm_release_block(pmm, pfn, order);
		pfn += 1ull << order;
	}
	pmm->usable_frames += end - first;
	pmm->free_frames += end - first;
	spin_unlock_irqrestore(&pmm->lock, flags);
	return PMM_OK;
}

/* ---- allocation ------------------------------------------------------ */

uint64_t pmm_alloc(struct pmm *pmm, unsigned order)
{
	unsigned long flags;
	unsigned found = order;
	uint32_t index;
	uint64_t pfn;
	struct pmm_frame *frame;

	if (order >= PMM_MAX_ORDER)
		return PMM_NO_FRAME;
	flags = spin_lock_irqsave(&pmm->lock);
	while (found < PMM_MAX_ORDER && pmm->free_head[found] == PMM_LINK_NONE)
		found++;
	if (found == PMM_MAX_ORDER) {
		pmm->failures++;
		spin_unlock_irqrestore(&pmm->lock, flags);
		return PMM_NO_FRAME;
	}
	index = pmm->free_head[found];
	pmm_list_remove(pmm, index);
	pfn = pmm->min_pfn + index;
	/* Split: the upper halves go back on the lists, the lower is kept. */
	while (found > order) {
		found--;
		pmm_list_push(pmm, pfn + (1ull << found), found);
	}
	frame = &pmm->frames[index];
	frame->flags = PMM_FRAME_ALLOCATED;
	frame->order = (uint8_t)order;
	/* Atomics: other CPUs read owner (pmm_owner) and refcount without
	 * the lock; these stores must not tear for them. */
	__atomic_store_n(&frame->refcount, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&frame->owner, 0, __ATOMIC_RELAXED);
	pmm->free_frames -= 1ull << order;
	pmm->allocations++;
	spin_unlock_irqrestore(&pmm->lock, flags);
	return pfn << PMM_FRAME_SHIFT;
}

/* ---- freeing --------------------------------------------------------- */

const char *pmm_result_name(int result)
{
	switch (result) {
	case PMM_OK:		return "ok";
	case PMM_BAD_ARGUMENT:	return "bad argument";
	case PMM_OVERLAP:	return "range overlaps frames added before";
	case PMM_UNALIGNED:	return "address not aligned to the order";
	case PMM_FOREIGN:	return "address not managed by this allocator";
	case PMM_DOUBLE_FREE:	return "double free (not the start of an allocated block)";
	case PMM_WRONG_ORDER:	return "freed with another order than allocated";
	case PMM_BAD_ORDER:	return "order out of range";
	default:		return "unknown result";
	}
}

/* Why freeing (phys, order) would be wrong, or PMM_OK. Lock held. */
static int pmm_check_free(struct pmm *pmm, uint64_t phys, unsigned order)
{
	uint64_t pfn = phys >> PMM_FRAME_SHIFT;
	const struct pmm_frame *frame;

	if (order >= PMM_MAX_ORDER)
		return PMM_BAD_ORDER;
	if (phys & ((PMM_FRAME_SIZE << order) - 1))
		return PMM_UNALIGNED;
	if (!pmm_in_span(pmm, pfn))
		return PMM_FOREIGN;
	frame = &pmm->frames[pmm_index(pmm, pfn)];
	if (frame->flags & PMM_FRAME_RESERVED)
		return PMM_FOREIGN;
	if (!(frame->flags & PMM_FRAME_ALLOCATED))
		return PMM_DOUBLE_FREE;
	if (frame->order != order)
		return PMM_WRONG_ORDER;
	return PMM_OK;
}

static void pmm_report(struct pmm *pmm, int result, uint64_t phys, unsigned order)
{
	if (!pmm->report)
		panic("pmm: bad free of 0x%llx order %u: %s",
		      (unsigned long long)phys, order, pmm_result_name(result));
	pmm->report(pmm, result, phys, order, pmm_result_name(result));
}

int pmm_free(struct pmm *pmm, uint64_t phys, unsigned order)
{
	unsigned long flags = spin_lock_irqsave(&pmm->lock);
	int result = pmm_check_free(pmm, phys, order);

	if (result != PMM_OK) {
		pmm->bad_frees++;
		spin_unlock_irqrestore(&pmm->lock, flags);
		pmm_report(pmm, result, phys, order);
		return result;
	}
	pmm->frames[pmm_index(pmm, phys >> PMM_FRAME_SHIFT)].flags = 0;
	pmm_release_block(pmm, phys >> PMM_FRAME_SHIFT, order);
	pmm->free_frames += 1ull << order;
	pmm->frees++;
	spin_unlock_irqrestore(&pmm->lock, flags);
	return PMM_OK;
}

/* ---- descriptors for the block's holder ------------------------------ */

struct pmm_frame *pmm_frame_of(struct pmm *pmm, uint64_t phys)
{
	uint64_t pfn = phys >> PMM_FRAME_SHIFT;

	if (!pmm_in_span(pmm, pfn))
		return NULL;
	return &pmm->frames[pmm_index(pmm, pfn)];
}

void pmm_set_owner(struct pmm *pmm, uint64_t phys, unsigned order, uintptr_t owner)
{
	uint64_t pfn = phys >> PMM_FRAME_SHIFT;

	KASSERT(order < PMM_MAX_ORDER);
	KASSERT(pmm_in_span(pmm, pfn) && pfn + (1ull << order) <= pmm->max_pfn);
	for (uint64_t i = 0; i < (1ull << order); i++)
		__atomic_store_n(&pmm->frames[pmm_index(pmm, pfn + i)].owner,
				 owner, __ATOMIC_RELEASE);
}

uintptr_t pmm_owner(struct pmm *pmm, uint64_t phys)
{
	struct pmm_frame *frame = pmm_frame_of(pmm, phys);

	/* Any CPU may ask about any address (kfree of a foreign pointer): an
	 * atomic load, paired with pmm_set_owner's release. */
	return frame ? __atomic_load_n(&frame->owner, __ATOMIC_ACQUIRE) : 0;
}

void pmm_frame_get(struct pmm *pmm, uint64_t phys)
{
	struct pmm_frame *frame = pmm_frame_of(pmm, phys);

	KASSERT(frame && __atomic_load_n(&frame->refcount, __ATOMIC_RELAXED) > 0);
	__atomic_add_fetch(&frame->refcount, 1, __ATOMIC_RELAXED);
}

bool pmm_frame_put(struct pmm *pmm, uint64_t phys, unsigned order)
{
	struct pmm_frame *frame = pmm_frame_of(pmm, phys);

	KASSERT(frame && __atomic_load_n(&frame->refcount, __ATOMIC_RELAXED) > 0);
	if (__atomic_sub_fetch(&frame->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return false;
	return pmm_free(pmm, phys, order) == PMM_OK;
}

/* ---- figures --------------------------------------------------------- */

void pmm_get_stats(struct pmm *pmm, struct pmm_stats *stats)
{
	unsigned long flags = spin_lock_irqsave(&pmm->lock);

	stats->span_frames = pmm->max_pfn - pmm->min_pfn;
	stats->usable_frames = pmm->usable_frames;
	stats->reserved_frames = stats->span_frames - pmm->usable_frames;
	stats->free_frames = pmm->free_frames;
	stats->allocated_frames = pmm->usable_frames - pmm->free_frames;
	for (unsigned order = 0; order < PMM_MAX_ORDER; order++)
		stats->free_blocks[order] = pmm->free_blocks[order];
	stats->allocations = pmm->allocations;
	stats->frees = pmm->frees;
	stats->failures = pmm->failures;
	stats->bad_frees = pmm->bad_frees;
	spin_unlock_irqrestore(&pmm->lock, flags);
}

void pmm_dump(struct pmm *pmm)
{
	struct pmm_stats stats;

	pmm_get_stats(pmm, &stats);
	printk("pmm: span 0x%llx-0x%llx frames=%llu usable=%llu reserved=%llu "
	       "free=%llu allocated=%llu\n",
	       (unsigned long long)(pmm->min_pfn << PMM_FRAME_SHIFT),
	       (unsigned long long)(pmm->max_pfn << PMM_FRAME_SHIFT),
	       (unsigned long long)stats.span_frames,
	       (unsigned long long)stats.usable_frames,
	       (unsigned long long)stats.reserved_frames,
	       (unsigned long long)stats.free_frames,
	       (unsigned long long)stats.allocated_frames);
	printk("pmm: free blocks by order:");
	for (unsigned order = 0; order < PMM_MAX_ORDER; order++)
		printk(" %u:%llu", order, (unsigned long long)stats.free_blocks[order]);
	printk("\npmm: allocations=%llu frees=%llu failures=%llu bad_frees=%llu\n",
	       (unsigned long long)stats.allocations,
	       (unsigned long long)stats.frees,
	       (unsigned long long)stats.failures,
	       (unsigned long long)stats.bad_frees);
}
