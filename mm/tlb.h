/*
 * TLB primitives: every invalidation of a translation the kernel makes goes
 * through these (arch/x86/tlb.c), so the TLB event layer can observe them at
 * one place. mm/vmm.h's operations call them; other code rarely needs to.
 *
 * Each primitive also reaches the other CPUs that may hold the
 * translations (a shootdown) before it returns: with several CPUs online,
 * a translation invalidated here is in no TLB once the call returns.
 *
 * A space that is not running on this CPU may still have translations
 * cached under its address-space tag (PCID); the primitives take the space
 * so they can reach those too (or arrange a flush at its next switch).
 */
#ifndef VEIL_MM_TLB_H
#define VEIL_MM_TLB_H

#include <stdbool.h>
#include <stdint.h>

struct vmm_space;

/* Ranges longer than this many pages reload the whole space instead of
 * invalidating page by page. */
#define TLB_RANGE_THRESHOLD_PAGES 32u

/* Once, from vmm_init: detects address-space tags (PCID/INVPCID). */
void tlb_init(void);

/* One page of space (kernel-half pages: in every space). */
void tlb_flush_page(struct vmm_space *space, uintptr_t va);
/* The pages of [start, end), or the whole space above the threshold. */
void tlb_flush_range(struct vmm_space *space, uintptr_t start, uintptr_t end);
/* Every non-global translation of space (kernel-half ones stay). */
void tlb_flush_space(struct vmm_space *space);
/* Everything, global (kernel) translations and every space included. */
void tlb_flush_all(void);

struct tlb_stats {
	bool pcid;		/* spaces are tagged: a switch keeps their entries */
	bool invpcid;		/* a non-running space can be invalidated directly */
	uint64_t page_flushes;	/* INVLPG or INVPCID of one address */
	uint64_t space_flushes;	/* CR3 reloads or INVPCID of one space */
	uint64_t full_flushes;	/* global flushes */
	uint64_t deferred;	/* flushes left to the space's next switch */
	uint64_t shootdown_rounds;	/* invalidations that asked other CPUs */
	uint64_t shootdown_flushes;	/* flushes CPUs made when asked */
};
void tlb_get_stats(struct tlb_stats *stats);

#endif
