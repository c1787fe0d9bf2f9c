/*
 * Between the TLB primitives (arch/x86/tlb.c) and the shootdowns that
 * carry them to other CPUs (arch/x86/tlb_shootdown.c): what a request
 * says to invalidate, and each CPU's view of the spaces it holds.
 */
#ifndef VEIL_ARCH_X86_TLB_INTERNAL_H
#define VEIL_ARCH_X86_TLB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

struct vmm_space;

enum tlb_request_kind {
	TLB_REQUEST_PAGES,	/* pages[0..count) of space (INVLPG each) */
	TLB_REQUEST_SPACE,	/* every non-global entry of space */
	TLB_REQUEST_ALL,	/* everything, global entries too */
	TLB_REQUEST_LEAVE,	/* a lazy CPU stops holding space loaded */
};

/* One invalidation, made on the sender's CPU and carried to the others.
 * Lives on the sender's stack until every target answered. */
struct tlb_request {
	enum tlb_request_kind kind;
	struct vmm_space *space;	/* PAGES, SPACE, LEAVE */
	const uintptr_t *pages;		/* PAGES: page addresses */
	unsigned count;			/* PAGES: how many (<= TLB_BATCH_PAGES) */
	/* Every online CPU is asked: kernel-half pages, the kernel space. */
	bool everywhere;
	/* Page-table pages were unlinked: lazy CPUs are asked too. */
	bool tables_freed;
	uint64_t answered;		/* bit i: CPU i carried it out (atomic) */
};

/* Carries out request on this CPU for another one (interrupts off). */
void tlb_request_apply(const struct tlb_request *request);
/* The space in CPU cpu's CR3, and the one it uses non-lazily (NULL while
 * it runs a kernel thread on the loaded space). Read by senders. */
struct vmm_space *tlb_cpu_loaded(unsigned cpu);
struct vmm_space *tlb_cpu_using(unsigned cpu);
/* A flush of space owed by CPU cpu (a deferred flush), counted. */
void tlb_mark_stale(struct vmm_space *space, unsigned cpu);

/* After this CPU carried out request, every other CPU that may hold what
 * it invalidates does too (or owes a flush of it before it next uses the
 * space), and this returns once all did. Free with one CPU online.
 * Interrupts off (the caller must not move to another CPU). */
void tlb_shootdown(struct tlb_request *request);
/* The TLB vector's handler (arch/x86/lapic.c). */
void tlb_shootdown_interrupt(void);
/* Figures since boot: rounds sent, requests CPUs carried out for others,
 * TLB interrupts sent, CPUs skipped as lazy or not running the space,
 * and answers that folded several requests into one full flush. */
struct tlb_shootdown_figures {
	uint64_t rounds, answered, ipis, lazy_skips, folds;
};
void tlb_shootdown_figures(struct tlb_shootdown_figures *figures);
/* TLB interrupts CPU cpu received since boot. */
uint64_t tlb_shootdown_received(unsigned cpu);
/* Requests CPU cpu was left out of since boot, owing a flush instead. */
uint64_t tlb_shootdown_skipped(unsigned cpu);

#endif
