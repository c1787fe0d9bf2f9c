/*
 * TLB shootdowns (mm/tlb.h, kernel/lib/cpu.h): an invalidation made on one
 * CPU reaches every other CPU that may hold the translation before the
 * invalidating code goes on, so a page is never sealed, freed or reused
 * while another CPU's TLB still reaches it.
 *
 * Who is asked: for a kernel-half address (the shared kernel half: regions,
 * kernel stacks, the direct map) every other online CPU; for another space,
 * the CPUs whose running space it is. What they do: a full flush (CR4.PGE
 * toggled: global kernel entries too), whatever the address, so requests
 * from several senders fold into one flush. Batching ranges and the
 * lazy-TLB sets of spaces are the next step (docs/tlb-events.md).
 *
 * Each CPU has a mailbox of two counters: `requested`, raised by senders
 * (atomically), and `done`, the last request it has flushed for. A sender
 * raises the count, sends the TLB vector and waits until `done` reaches
 * its number. A CPU answers in the interrupt, and also from every busy
 * wait that may run with interrupts off (spinlock waits, a shootdown's own
 * wait: cpu_answer_requests), so two CPUs that shoot each other, or one
 * that spins on a lock the sender holds, still make progress.
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

/* A CPU that has not flushed after this long is reported: a hung CPU, or
 * a wait somewhere that neither takes interrupts nor answers. */
#define TLB_SHOOTDOWN_TIMEOUT_NS 2000000000ull

struct tlb_mailbox {
	uint64_t requested;	/* raised by senders */
	uint64_t done;		/* written by the owning CPU only */
	uint64_t answered;	/* flushes made for others (a figure) */
} __attribute__((aligned(64)));

static struct tlb_mailbox tlb_mailboxes[CONFIG_MAX_CPUS];
/* Rounds sent (a figure): one per invalidation that reached other CPUs;
 * and the TLB interrupts they sent. */
static uint64_t tlb_shootdown_rounds, tlb_shootdown_ipis;
#if CONFIG_KTEST
/* The negative control's switch (mm/tlb.h). */
static bool tlb_shootdown_enabled = true;

void tlb_shootdown_set_enabled(bool enabled)
{
	__atomic_store_n(&tlb_shootdown_enabled, enabled, __ATOMIC_SEQ_CST);
}
#endif

/* Flushes this CPU's TLB when a request is pending. Interrupts off. */
static void tlb_answer(void)
{
	struct tlb_mailbox *box = &tlb_mailboxes[cpu_current()];
	uint64_t requested = __atomic_load_n(&box->requested, __ATOMIC_ACQUIRE);

	if (requested == __atomic_load_n(&box->done, __ATOMIC_RELAXED))
		return;
	uint64_t cr4 = read_cr4();
	write_cr4(cr4 & ~X86_CR4_PGE);	/* every entry, global ones too */
	write_cr4(cr4);
	box->answered++;
	__atomic_store_n(&box->done, requested, __ATOMIC_RELEASE);
}

void cpu_answer_requests(void)
{
	struct tlb_mailbox *box = &tlb_mailboxes[cpu_current()];

	if (__atomic_load_n(&box->requested, __ATOMIC_RELAXED) !=
	    __atomic_load_n(&box->done, __ATOMIC_RELAXED)) {
		unsigned long flags = irq_save();
		tlb_answer();
		irq_restore(flags);
	}
}

void tlb_shootdown_interrupt(void)
{
	tlb_answer();
}

/* Whether CPU index may hold translations of space (NULL: kernel half).
 * Every CPU runs the kernel's space when it runs no other (the
 * application processors load its root without a switch), so all of them
 * are asked for it. */
static bool tlb_cpu_may_hold(unsigned index, const struct vmm_space *space)
{
	const struct cpu_local *cpu = cpu_local_of(index);

	if (__atomic_load_n(&cpu->state, __ATOMIC_ACQUIRE) != CPU_ONLINE)
		return false;	/* stopped or never started: nothing to ask */
	if (!space || space == vmm_kernel_space())
		return true;
	struct vmm_space *running = tlb_running_space(index);
	return !running || running == space;
}

/* Waits for CPU index to have flushed request `ticket`. */
static void tlb_wait_for(unsigned index, uint64_t ticket)
{
	struct tlb_mailbox *box = &tlb_mailboxes[index];
	uint64_t start = time_uptime_ns();

	while (__atomic_load_n(&box->done, __ATOMIC_ACQUIRE) < ticket) {
		tlb_answer();	/* it may be waiting on this CPU too */
		cpu_pause();
		if (__atomic_load_n(&cpu_local_of(index)->state,
				    __ATOMIC_ACQUIRE) != CPU_ONLINE)
			return;	/* stopped meanwhile (a panic) */
		if (time_uptime_ns() - start > TLB_SHOOTDOWN_TIMEOUT_NS)
			panic("tlb: CPU %u did not answer a TLB shootdown in "
			      "%llu ms", index,
			      TLB_SHOOTDOWN_TIMEOUT_NS / 1000000u);
	}
}

void tlb_shootdown(const struct vmm_space *space)
{
	uint64_t tickets[CONFIG_MAX_CPUS];
	unsigned cpus = cpu_count(), self;
	unsigned sent = 0;

	if (cpus < 2)
		return;
#if CONFIG_KTEST
	if (!__atomic_load_n(&tlb_shootdown_enabled, __ATOMIC_RELAXED))
		return;
#endif
	unsigned long flags = irq_save();	/* stay on this CPU */
	self = cpu_current();
	for (unsigned i = 0; i < cpus; i++) {
		tickets[i] = 0;
		if (i == self || !tlb_cpu_may_hold(i, space))
			continue;
		tickets[i] = __atomic_add_fetch(&tlb_mailboxes[i].requested, 1,
						__ATOMIC_ACQ_REL);
		lapic_send_ipi(cpu_local_of(i)->apic_id, LAPIC_IPI_FIXED,
			       LAPIC_VECTOR_TLB);
		sent++;
	}
	for (unsigned i = 0; i < cpus; i++)
		if (tickets[i])
			tlb_wait_for(i, tickets[i]);
	irq_restore(flags);
	if (sent) {
		__atomic_fetch_add(&tlb_shootdown_rounds, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&tlb_shootdown_ipis, sent, __ATOMIC_RELAXED);
	}
}

void tlb_shootdown_stats(uint64_t *rounds, uint64_t *answered,
			 uint64_t *ipis)
{
	*rounds = __atomic_load_n(&tlb_shootdown_rounds, __ATOMIC_RELAXED);
	*ipis = __atomic_load_n(&tlb_shootdown_ipis, __ATOMIC_RELAXED);
	*answered = 0;
	for (unsigned i = 0; i < CONFIG_MAX_CPUS; i++)
		*answered += __atomic_load_n(&tlb_mailboxes[i].answered,
					     __ATOMIC_RELAXED);
}
