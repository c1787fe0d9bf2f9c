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
#include "kernel/build_config.h"

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

/*
 * A batch of invalidations of one space sent as one shootdown round, as
 * Linux's mmu_gather: the PTE changes are made first (vmm_exchange_batched
 * adds each page), then tlb_batch_finish invalidates all of them on this
 * CPU and on every other CPU that may hold them, and returns once every
 * one has. Until it returns, a page of the batch may still be reached
 * through some CPU's TLB: nothing of it may be sealed, freed or reused
 * before. Above TLB_BATCH_PAGES pages the batch becomes a flush of the
 * whole space (of everything, for the kernel half), as Linux's
 * tlb_single_page_flush_ceiling does. A batch lives on the caller's stack
 * and belongs to one space; it is not shared between threads.
 */
#define TLB_BATCH_PAGES 32u
struct tlb_batch {
	struct vmm_space *space;
	unsigned count;			/* pages recorded (<= TLB_BATCH_PAGES) */
	bool whole;			/* past the ceiling: flush everything */
	bool kernel_half;		/* the pages are kernel-half ones */
	uintptr_t pages[TLB_BATCH_PAGES];
};
/* Starts an empty batch for space. */
void tlb_batch_begin(struct tlb_batch *batch, struct vmm_space *space);
/* Records page va (any address inside it) to be invalidated. */
void tlb_batch_add(struct tlb_batch *batch, uintptr_t va);
/* Invalidates every recorded page everywhere, in one round; the batch is
 * empty afterwards and may be reused. Nothing recorded: nothing sent. */
void tlb_batch_finish(struct tlb_batch *batch);

struct tlb_stats {
	bool pcid;		/* spaces are tagged: a switch keeps their entries */
	bool invpcid;		/* a non-running space can be invalidated directly */
	/* The invalidating CPUs' own flushes (answers to other CPUs count
	 * in shootdown_flushes): */
	uint64_t page_flushes;	/* INVLPG or INVPCID of one address */
	uint64_t space_flushes;	/* CR3 reloads or INVPCID of one space */
	uint64_t full_flushes;	/* global flushes */
	uint64_t deferred;	/* flushes left to the space's next switch */
	uint64_t shootdown_rounds;	/* invalidations that asked other CPUs */
	uint64_t shootdown_flushes;	/* requests CPUs carried out when asked */
	uint64_t shootdown_ipis;	/* TLB interrupts sent, all rounds */
	uint64_t lazy_skips;	/* CPUs of a space's set not sent a request
				 * (lazy or running another space): they owe
				 * a flush instead */
	uint64_t switch_flushes;	/* owed flushes made as a CPU went
					 * back to a space */
	uint64_t shootdown_folds;	/* answers that made one full flush
					 * for several requests */
};
void tlb_get_stats(struct tlb_stats *stats);
/* TLB interrupts CPU cpu has received since boot (for tests). */
uint64_t tlb_interrupts_received(unsigned cpu);
/* Shootdown requests CPU cpu was left out of since boot, lazy or running
 * another space, a flush owed instead (for tests: the lazy_skips of
 * tlb_get_stats counts every CPU's, which other CPUs' work raises too). */
uint64_t tlb_lazy_skips_of(unsigned cpu);

/*
 * Who may hold a space's translations (docs/tlb-events.md). The
 * scheduler's switch calls tlb_thread_switch with the next thread's space:
 * a thread with a space loads it (with the flush it owes, if any); NULL, a
 * kernel thread, keeps whatever space is loaded, lazily. Interrupts off.
 */
void tlb_thread_switch(struct vmm_space *space);
/* For tests and reports: the CPUs in space's set (bit i: CPU i). */
uint64_t tlb_space_cpus(const struct vmm_space *space);
/* For tests: the space CPU cpu has loaded, and in *lazy whether it
 * holds it lazily (runs a kernel thread). */
struct vmm_space *tlb_cpu_space(unsigned cpu, bool *lazy);

#if CONFIG_KTEST
/* Test builds only: while false, no shootdown is sent (each CPU still
 * invalidates its own TLB), so a test can show that its detector catches
 * the stale translations other CPUs then keep. True at boot. */
void tlb_shootdown_set_enabled(bool enabled);
#endif

#endif
