/*
 * Address spaces: the arch-neutral interface mm/ code uses to build and
 * change page tables (the PTE bits themselves are known only to arch/x86/).
 * Every change that needs a TLB invalidation performs it through the TLB
 * primitives (mm/tlb.h) before returning, so the TLB event layer sees each.
 *
 * Locking: each space has a lock protecting its page-table pages; these
 * functions take it themselves.
 */
#ifndef VEIL_MM_VMM_H
#define VEIL_MM_VMM_H

#include <stdbool.h>
#include <stdint.h>

/* Protection of a mapping. */
enum vmm_prot {
	VMM_READ   = 1u << 0,
	VMM_WRITE  = 1u << 1,
	VMM_EXEC   = 1u << 2,
	VMM_USER   = 1u << 3,
	VMM_GLOBAL = 1u << 4,	/* kernel mappings shared by all spaces */
};

/* Result codes (negative on failure). */
enum vmm_result {
	VMM_OK          = 0,
	VMM_NO_MEMORY   = -1,	/* a page-table page could not be allocated */
	VMM_EXISTS      = -2,	/* map: something is already there */
	VMM_NOT_MAPPED  = -3,	/* unmap/protect: nothing present there */
	VMM_BAD_ADDRESS = -4,	/* non-canonical or unaligned */
	VMM_CHANGED     = -5,	/* exchange: the entry was not the expected one */
};

struct vmm_space;

struct vmm_space *vmm_kernel_space(void);
struct vmm_space *vmm_space_create(void);	/* shares the kernel half */
void vmm_space_destroy(struct vmm_space *space);
/* The calling thread runs in space from now on (the kernel space: it is
 * a kernel thread again, and the kernel space is loaded now); the
 * scheduler loads it wherever the thread runs (tlb_thread_switch). */
void vmm_space_switch(struct vmm_space *space);

/* 4 KiB pages. map fails with VMM_EXISTS over a present or handle entry. */
int vmm_map(struct vmm_space *space, uintptr_t va, uint64_t phys, unsigned prot);
/* Clears the entry, invalidates the TLB entry, frees page-table pages that
 * became empty; the old frame is returned in *phys (may be NULL). */
int vmm_unmap(struct vmm_space *space, uintptr_t va, uint64_t *phys);
int vmm_protect(struct vmm_space *space, uintptr_t va, unsigned prot);
/* True when va is present; fills *phys and *prot when not NULL. */
bool vmm_translate(struct vmm_space *space, uintptr_t va, uint64_t *phys,
		   unsigned *prot);

/* The hardware Accessed bit: read and clear it (with an invalidation on
 * this CPU, so its next access sets it again; other CPUs are not asked: a
 * stale Accessed bit only delays their accesses being seen). Used by
 * CLOCK-like replacement policies. */
bool vmm_test_and_clear_accessed(struct vmm_space *space, uintptr_t va);
/* The Dirty bit: read and clear it, invalidated on every CPU that may
 * hold it (a CPU that kept it set would write without setting it). */
bool vmm_test_and_clear_dirty(struct vmm_space *space, uintptr_t va);

/*
 * Non-present entries that carry a handle (as swap entries do): a sealed
 * page's PTE records where its transformed copy is. Handles are below
 * VMM_HANDLE_LIMIT. set_handle requires the entry to be non-present.
 */
#define VMM_HANDLE_LIMIT (1ull << 50)
int vmm_set_handle(struct vmm_space *space, uintptr_t va, uint64_t handle);
/* True, with *handle, when va's entry is a non-present handle entry. */
bool vmm_get_handle(struct vmm_space *space, uintptr_t va, uint64_t *handle);
/* Clears a handle entry (no invalidation needed: it was never present). */
int vmm_clear_handle(struct vmm_space *space, uintptr_t va);

/*
 * A leaf entry as mm/ sees it: nothing, a present page (its frame and
 * protection), or a non-present entry carrying a handle.
 */
enum vmm_entry_kind {
	VMM_ENTRY_NONE = 0,
	VMM_ENTRY_PRESENT,
	VMM_ENTRY_HANDLE,
};

struct vmm_entry {
	enum vmm_entry_kind kind;
	unsigned prot;		/* PRESENT: enum vmm_prot */
	uint64_t value;		/* PRESENT: the frame; HANDLE: the handle */
};

/* As the value of a PRESENT entry: in *expected, any frame matches; in
 * *replacement, the frame of the entry being replaced is kept (a change of
 * protection only). Never a frame: frames are page-aligned. */
#define VMM_FRAME_ANY (~0ull)

/* A handle entry that marks a page in transition (being sealed): it keeps
 * the page-table page alive and tells a fault that the page is busy. */
#define VMM_HANDLE_BUSY (VMM_HANDLE_LIMIT - 1)
/* A handle entry that marks a poisoned page (its content lost): keeps the
 * page-table page and tells a fault there is nothing to bring back. */
#define VMM_HANDLE_POISON (VMM_HANDLE_LIMIT - 2)

static inline struct vmm_entry vmm_entry_none(void)
{
	return (struct vmm_entry){ .kind = VMM_ENTRY_NONE };
}

static inline struct vmm_entry vmm_entry_present(uint64_t frame, unsigned prot)
{
	return (struct vmm_entry){ .kind = VMM_ENTRY_PRESENT, .prot = prot,
				   .value = frame };
}

static inline struct vmm_entry vmm_entry_handle(uint64_t handle)
{
	return (struct vmm_entry){ .kind = VMM_ENTRY_HANDLE, .value = handle };
}

/*
 * The one primitive page transitions use, as Linux's ptep_clear_flush:
 * under the space's lock, when va's leaf entry matches *expected (same
 * kind and value; protection is not compared; expected NULL matches
 * anything; VMM_FRAME_ANY above), replaces it with *replacement, invalidates every TLB that may
 * hold the old entry (it was present) before returning, and returns the
 * old entry in *old (may be NULL). Page-table pages are made when the
 * replacement needs them (VMM_NO_MEMORY: nothing changed) and freed, after
 * the invalidation, when a NONE replacement leaves them empty. Replacing a
 * present entry by a handle entry (BUSY, then the sealed page's handle)
 * never frees or allocates a table, so it cannot fail for memory.
 * VMM_CHANGED when the entry did not match (*old tells what it is).
 * "Every TLB": this CPU's, and every other online CPU's that may hold it
 * (all of them for the kernel half, those running the space otherwise),
 * through a shootdown that has been answered when this returns (mm/tlb.h).
 */
int vmm_exchange(struct vmm_space *space, uintptr_t va,
		 const struct vmm_entry *expected,
		 const struct vmm_entry *replacement, struct vmm_entry *old);

/*
 * vmm_exchange whose invalidation joins batch (mm/tlb.h) instead of being
 * made before returning: the caller must tlb_batch_finish(batch) before it
 * seals, frees or reuses what the old entry mapped. batch must belong to
 * space. Page-table pages are never freed here (a NONE replacement leaves
 * empty tables in place; vmm_exchange frees them), since a table may only
 * go after the invalidation.
 */
struct tlb_batch;
int vmm_exchange_batched(struct vmm_space *space, uintptr_t va,
			 const struct vmm_entry *expected,
			 const struct vmm_entry *replacement,
			 struct vmm_entry *old, struct tlb_batch *batch);

/* The range of kernel virtual addresses set aside for transformed regions
 * (mm/region.c hands out pieces of it). */
void vmm_region_area(uintptr_t *base, uintptr_t *size);
/* The range set aside for loadable modules (kernel/module/): within 2 GiB
 * of the kernel's text, so code built as the kernel's reaches it. */
void vmm_module_area(uintptr_t *base, uintptr_t *size);

#endif
