/*
 * TLB shootdowns (mm/tlb.h, kernel/lib/cpu.h): an invalidation made on one
 * CPU reaches every other CPU that may hold the translation before the
 * invalidating code goes on, so a page is never sealed, freed or reused
 * while another CPU's TLB still reaches it.
 *
 * Who is asked (arch/x86/tlb.c, "who may hold a translation"): for
 * kernel-half pages (regions, kernel stacks, the direct map: in every
 * space), the kernel space and full flushes, every other online CPU; for
 * another space, the CPUs of its set that use it. A CPU of the set that
 * holds it lazily or runs another space is not asked: it is marked as
 * owing a flush of the space, made before it uses the space again —
 * unless page-table pages were freed, when the CPUs that have the space
 * loaded, lazily or not, are asked too (their speculative walks may go
 * through the freed table).
 *
 * What they do: what the request says (struct tlb_request): INVLPG of
 * each of its pages, a reload of the space, or a global flush. An answer
 * that finds several requests with more than TLB_BATCH_PAGES pages in all
 * folds them into one global flush.
 *
 * Each CPU has a mailbox: one slot per sender, where a sender posts a
 * pointer to its request (on its stack), and a mask of senders with a
 * posted request. A sender posts, sets its bit, sends the TLB vector if
 * the mask was empty (else an interrupt is already on its way), and waits
 * until each target set its bit in the request's `answered`. A sender has
 * one round in flight at a time (interrupts off from post to last answer),
 * so its slot is free again when it returns. A CPU answers in the
 * interrupt, and also from every busy wait that may run with interrupts
 * off (spinlock waits, a shootdown's own wait: cpu_answer_requests), so
 * two CPUs that shoot each other, or one that spins on a lock the sender
 * holds, still make progress.
 */
#include <stdbool.h>
#include <stdint.h>
#include "arch/x86/lapic.h"
#include "arch/x86/tlb_internal.h"
#include "arch/x86/vmm_internal.h"
#include "arch/x86/x86.h"
#include "kernel/build_config.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/time.h"
#include "mm/tlb.h"
#include "mm/vmm.h"

/* A CPU that has not answered after this long is reported: a hung CPU, or
 * a wait somewhere that neither takes interrupts nor answers. */
#define TLB_SHOOTDOWN_TIMEOUT_NS 2000000000ull

struct tlb_mailbox {
	uint64_t pending;	/* bit s: sender s posted in requests[s] */
	/* Written by sender s only, while its bit is clear; read by the
	 * owning CPU after it took the bit. */
	struct tlb_request *requests[CONFIG_MAX_CPUS];
	uint64_t answered;	/* requests carried out (a figure; owner) */
	uint64_t interrupts;	/* TLB interrupts received (owner) */
	uint64_t folds;		/* answers folded into one flush (owner) */
	/* Requests this CPU was left out of, a flush owed instead (senders,
	 * atomically): a per-CPU figure tests can read while other CPUs
	 * skip each other for spaces of their own. */
	uint64_t lazy_skipped;
} __attribute__((aligned(64)));

static struct tlb_mailbox tlb_mailboxes[CONFIG_MAX_CPUS];
/* Figures, updated atomically (relaxed): rounds that reached other CPUs,
 * the TLB interrupts they sent, and CPUs left a deferred flush. */
static uint64_t tlb_shootdown_rounds, tlb_shootdown_ipis, tlb_lazy_skips;
#if CONFIG_KTEST
/* The negative control's switch (mm/tlb.h). */
static bool tlb_shootdown_enabled = true;

void tlb_shootdown_set_enabled(bool enabled)
{
	__atomic_store_n(&tlb_shootdown_enabled, enabled, __ATOMIC_SEQ_CST);
}
#endif

static uint64_t tlb_cpu_bit(unsigned cpu)
{
	return 1ull << cpu;
}

/* Whether the answer to requests[0..count) is one global flush: one of
 * them asks for it, or together they name more pages than a batch. */
static bool tlb_answer_folds(struct tlb_request *const *requests,
			     unsigned count)
{
	unsigned pages = 0;

	for (unsigned i = 0; i < count; i++) {
		if (requests[i]->kind == TLB_REQUEST_ALL)
			return true;
		if (requests[i]->kind == TLB_REQUEST_PAGES)
			pages += requests[i]->count;
	}
	return count > 1 && pages > TLB_BATCH_PAGES;
}

/* Carries out the requests posted to this CPU, if any. Interrupts off. */
static void tlb_answer(void)
{
	unsigned self = cpu_current();
	struct tlb_mailbox *box = &tlb_mailboxes[self];
	struct tlb_request *requests[CONFIG_MAX_CPUS];
	unsigned count = 0;

	if (!__atomic_load_n(&box->pending, __ATOMIC_RELAXED))
		return;
	uint64_t senders = __atomic_exchange_n(&box->pending, 0,
					       __ATOMIC_ACQUIRE);
	for (; senders; senders &= senders - 1)
		requests[count++] = box->requests[__builtin_ctzll(senders)];
	bool folded = tlb_answer_folds(requests, count);
	if (folded) {
		struct tlb_request all = { .kind = TLB_REQUEST_ALL };
		tlb_request_apply(&all);
		box->folds += count > 1;
	}
	for (unsigned i = 0; i < count; i++) {
		/* A global flush covers every invalidation, not a LEAVE. */
		if (!folded || requests[i]->kind == TLB_REQUEST_LEAVE)
			tlb_request_apply(requests[i]);
		/* The last touch of the request: its sender may return. */
		__atomic_fetch_or(&requests[i]->answered, tlb_cpu_bit(self),
				  __ATOMIC_RELEASE);
	}
	box->answered += count;
}

void cpu_answer_requests(void)
{
	struct tlb_mailbox *box = &tlb_mailboxes[cpu_current()];

	if (__atomic_load_n(&box->pending, __ATOMIC_RELAXED)) {
		unsigned long flags = irq_save();
		tlb_answer();
		irq_restore(flags);
	}
}

void tlb_shootdown_interrupt(void)
{
	tlb_mailboxes[cpu_current()].interrupts++;
	tlb_answer();
}

static bool tlb_cpu_online(unsigned index)
{
	return __atomic_load_n(&cpu_local_of(index)->state, __ATOMIC_ACQUIRE) ==
	       CPU_ONLINE;
}

/* Whether CPU index (online, not this one) must carry out request; when
 * it is in the space's set but does not use the space, it is marked as
 * owing a flush instead (file comment of arch/x86/tlb.c for the order). */
static bool tlb_cpu_is_target(unsigned index, const struct tlb_request *request)
{
	struct vmm_space *space = request->space;

	if (request->kind == TLB_REQUEST_LEAVE)
		return tlb_cpu_loaded(index) == space;
	if (request->everywhere || request->kind == TLB_REQUEST_ALL)
		return true;
	if (!(__atomic_load_n(&space->tlb_cpus, __ATOMIC_SEQ_CST) &
	      tlb_cpu_bit(index)))
		return false;	/* never loaded it, or dropped it with CR3 */
	if (tlb_cpu_using(index) == space)
		return true;
	if (request->tables_freed && tlb_cpu_loaded(index) == space)
		return true;	/* lazy, its walks may reach a freed table */
	tlb_mark_stale(space, index);
	if (tlb_cpu_using(index) == space)
		return true;	/* it started using the space meanwhile */
	__atomic_fetch_add(&tlb_lazy_skips, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&tlb_mailboxes[index].lazy_skipped, 1, __ATOMIC_RELAXED);
	return false;
}

/* Waits until CPU index answered request. */
static void tlb_wait_for(unsigned index, const struct tlb_request *request)
{
	uint64_t start = time_uptime_ns();

	while (!(__atomic_load_n(&request->answered, __ATOMIC_ACQUIRE) &
		 tlb_cpu_bit(index))) {
		tlb_answer();	/* it may be waiting on this CPU too */
		cpu_pause();
		if (!tlb_cpu_online(index))
			return;	/* stopped meanwhile (a panic) */
		if (time_uptime_ns() - start > TLB_SHOOTDOWN_TIMEOUT_NS)
			panic("tlb: CPU %u did not answer a TLB shootdown in "
			      "%llu ms", index,
			      TLB_SHOOTDOWN_TIMEOUT_NS / 1000000u);
	}
}

/* Posts request in CPU index's mailbox; true when an interrupt was sent. */
static bool tlb_post(unsigned index, unsigned self, struct tlb_request *request)
{
	struct tlb_mailbox *box = &tlb_mailboxes[index];

	box->requests[self] = request;
	uint64_t before = __atomic_fetch_or(&box->pending, tlb_cpu_bit(self),
					    __ATOMIC_ACQ_REL);
	if (before)
		return false;	/* the first poster's interrupt covers it */
	lapic_send_ipi(cpu_local_of(index)->apic_id, LAPIC_IPI_FIXED,
		       LAPIC_VECTOR_TLB);
	return true;
}

void tlb_shootdown(struct tlb_request *request)
{
	unsigned cpus = cpu_count(), self = cpu_current();
	uint64_t targets = 0;
	unsigned sent = 0;

	if (cpus < 2)
		return;
#if CONFIG_KTEST
	/* A LEAVE is no invalidation: the negative control keeps it. */
	if (request->kind != TLB_REQUEST_LEAVE &&
	    !__atomic_load_n(&tlb_shootdown_enabled, __ATOMIC_RELAXED))
		return;
#endif
	request->answered = 0;
	/* The caller's page-table changes before any read of who holds
	 * them (arch/x86/tlb.c's file comment). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < cpus; i++)
		if (i != self && tlb_cpu_online(i) &&
		    tlb_cpu_is_target(i, request))
			targets |= tlb_cpu_bit(i);
	for (uint64_t left = targets; left; left &= left - 1)
		sent += tlb_post((unsigned)__builtin_ctzll(left), self, request);
	for (uint64_t left = targets; left; left &= left - 1)
		tlb_wait_for((unsigned)__builtin_ctzll(left), request);
	if (targets) {
		__atomic_fetch_add(&tlb_shootdown_rounds, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&tlb_shootdown_ipis, sent, __ATOMIC_RELAXED);
	}
}

void tlb_shootdown_figures(struct tlb_shootdown_figures *figures)
{
	figures->rounds = __atomic_load_n(&tlb_shootdown_rounds, __ATOMIC_RELAXED);
	figures->ipis = __atomic_load_n(&tlb_shootdown_ipis, __ATOMIC_RELAXED);
	figures->lazy_skips = __atomic_load_n(&tlb_lazy_skips, __ATOMIC_RELAXED);
	figures->answered = 0;
	figures->folds = 0;
	for (unsigned i = 0; i < CONFIG_MAX_CPUS; i++) {
		figures->answered += __atomic_load_n(&tlb_mailboxes[i].answered,
						     __ATOMIC_RELAXED);
		figures->folds += __atomic_load_n(&tlb_mailboxes[i].folds,
						  __ATOMIC_RELAXED);
	}
}

uint64_t tlb_shootdown_received(unsigned cpu)
{
	return __atomic_load_n(&tlb_mailboxes[cpu].interrupts, __ATOMIC_RELAXED);
}

uint64_t tlb_shootdown_skipped(unsigned cpu)
{
	return __atomic_load_n(&tlb_mailboxes[cpu].lazy_skipped, __ATOMIC_RELAXED);
}
