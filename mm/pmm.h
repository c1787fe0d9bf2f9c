/*
 * pmm: the physical frame allocator, a binary buddy system over 4 KiB frames.
 *
 * The allocator never touches frame memory: every piece of bookkeeping (free
 * lists, flags, order, reference count, owner tag) lives in one descriptor
 * per frame, in an array whose storage the caller provides (the kernel carves
 * it from RAM before the allocator exists; pmm_descriptor_bytes says how
 * much). So frames need not be mapped while they are allocated or freed, and
 * host tests can use fake physical addresses.
 *
 * Physical addresses are uint64_t throughout: RAM above 4 GiB and holes in
 * the map are ordinary. A block of order k is 2^k frames, aligned to its own
 * size in physical memory (natural alignment); orders 0..PMM_MAX_ORDER-1.
 *
 * Bad frees (double free, wrong order, foreign or misaligned address) are
 * broken invariants: they are reported through the instance's report hook,
 * whose default panics with a message naming the address, the order and the
 * finding. A hook that returns (host tests) makes pmm_free return the
 * negative result code and leave the allocator unchanged. See docs/memory.md.
 */
#ifndef VEIL_MM_PMM_H
#define VEIL_MM_PMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/spinlock.h"

#define PMM_FRAME_SHIFT	12
#define PMM_FRAME_SIZE	(1ull << PMM_FRAME_SHIFT)
/* Orders 0..PMM_MAX_ORDER-1: the largest block is 4 MiB. */
#define PMM_MAX_ORDER	11
/* What pmm_alloc returns when no block of the order is free. Never a valid
 * frame address (it is not frame-aligned). */
#define PMM_NO_FRAME	UINT64_MAX
/* The free-list links are 32-bit frame indices, which bounds the span. */
#define PMM_MAX_SPAN_FRAMES	(UINT32_MAX - 1ull)

/* Result codes: 0 or negative. */
enum pmm_result {
	PMM_OK		 = 0,
	PMM_BAD_ARGUMENT = -1,	/* init: empty/too large span, storage too small */
	PMM_OVERLAP	 = -2,	/* add_free_range: part of the range was added before */
	PMM_UNALIGNED	 = -3,	/* free: address not aligned to its order's size */
	PMM_FOREIGN	 = -4,	/* free: outside the span, or a frame never added */
	PMM_DOUBLE_FREE	 = -5,	/* free: not the start of an allocated block */
	PMM_WRONG_ORDER	 = -6,	/* free: the block was allocated with another order */
	PMM_BAD_ORDER	 = -7,	/* alloc/free: order >= PMM_MAX_ORDER */
};

/* Descriptor flags. A frame inside a block (not its first frame) has none. */
enum pmm_frame_flags {
	PMM_FRAME_RESERVED  = 1u << 0,	/* never added: hole, firmware, kernel image */
	PMM_FRAME_FREE	    = 1u << 1,	/* first frame of a free block */
	PMM_FRAME_ALLOCATED = 1u << 2,	/* first frame of an allocated block */
};

/*
 * One per frame of the span. next/prev/flags/order belong to the allocator
 * (under pmm->lock). refcount and owner belong to whoever holds the block:
 * pmm_alloc sets refcount to 1 and owner to 0 on the block's first frame;
 * the holder may use owner as a tag or pointer (the slab's page provider
 * records the slab there, see pmm_set_owner) and refcount through
 * pmm_frame_get/pmm_frame_put.
 */
struct pmm_frame {
	uint32_t next;		/* free-list links: frame indices in the span */
	uint32_t prev;
	uint32_t refcount;
	uint16_t flags;
	uint8_t order;		/* order of the block this frame starts */
	uint8_t unused;
	uintptr_t owner;
};

struct pmm;
/* Called for a bad free before pmm_free returns its error; NULL = panic. */
typedef void (*pmm_report_hook_t)(struct pmm *pmm, int result, uint64_t phys,
				  unsigned order, const char *message);

/* Counters, exact at the moment they were taken. */
struct pmm_stats {
	uint64_t span_frames;		/* max_pfn - min_pfn */
	uint64_t usable_frames;		/* added by pmm_add_free_range */
	uint64_t reserved_frames;	/* span_frames - usable_frames */
	uint64_t free_frames;
	uint64_t allocated_frames;	/* usable_frames - free_frames */
	uint64_t free_blocks[PMM_MAX_ORDER];	/* free blocks of each order */
	uint64_t allocations, frees, failures, bad_frees;
};

/* An allocator instance; the kernel has one, tests make several. */
struct pmm {
	/* Protects the free lists, the counters below and the next, prev,
	 * flags and order fields of every descriptor. Taken with interrupts
	 * off: frames may be freed from interrupt handlers. */
	struct spinlock lock;
	uint64_t min_pfn, max_pfn;	/* the span [min_pfn, max_pfn) */
	struct pmm_frame *frames;	/* frames[pfn - min_pfn] */
	uint32_t free_head[PMM_MAX_ORDER];
	uint64_t free_blocks[PMM_MAX_ORDER];
	uint64_t usable_frames, free_frames;
	uint64_t allocations, frees, failures, bad_frees;
	pmm_report_hook_t report;	/* set before use; not locked */
};

/* Bytes of descriptor storage the span [min_pfn, max_pfn) needs. */
size_t pmm_descriptor_bytes(uint64_t min_pfn, uint64_t max_pfn);

/* Prepares pmm over [min_pfn, max_pfn) with every frame reserved (nothing
 * free yet). storage must hold pmm_descriptor_bytes() bytes, aligned to 8. */
int pmm_init(struct pmm *pmm, uint64_t min_pfn, uint64_t max_pfn,
	     void *storage, size_t storage_bytes);

/* Makes [phys_start, phys_end) free: the start is rounded up and the end
 * down to whole frames, and the range is clipped to the span (RAM outside it
 * is simply not managed). PMM_OVERLAP, adding nothing, when any frame of it
 * was added before. Adjacent ranges coalesce. */
int pmm_add_free_range(struct pmm *pmm, uint64_t phys_start, uint64_t phys_end);

/* A naturally aligned block of 2^order frames; PMM_NO_FRAME when none is
 * free or order >= PMM_MAX_ORDER. The frames' contents are whatever they were. */
uint64_t pmm_alloc(struct pmm *pmm, unsigned order);

/* Returns a block; order must be the one it was allocated with. Bad frees
 * are reported (see above) and return a negative code, changing nothing. */
int pmm_free(struct pmm *pmm, uint64_t phys, unsigned order);

/* The descriptor of the frame holding phys; NULL outside the span. */
struct pmm_frame *pmm_frame_of(struct pmm *pmm, uint64_t phys);

/* Records owner in every frame of the allocated block at phys, so that any
 * address inside it leads back to the owner (the slab does this). */
void pmm_set_owner(struct pmm *pmm, uint64_t phys, unsigned order, uintptr_t owner);
/* The owner recorded for the frame holding phys; 0 outside the span. */
uintptr_t pmm_owner(struct pmm *pmm, uint64_t phys);

/* Reference counting of an allocated block (first frame's refcount).
 * pmm_frame_put frees the block when the count drops to zero and says so. */
void pmm_frame_get(struct pmm *pmm, uint64_t phys);
bool pmm_frame_put(struct pmm *pmm, uint64_t phys, unsigned order);

void pmm_get_stats(struct pmm *pmm, struct pmm_stats *stats);
/* Prints the counters and the free blocks per order through printk. */
void pmm_dump(struct pmm *pmm);

/* A short name for a result code, for messages. */
const char *pmm_result_name(int result);

#endif
