/*
 * Preemption control. cpu_local()->preempt_count > 0 means no thread switch
 * on this CPU: the running thread cannot be preempted, and so cannot move
 * to another CPU, until the count is back to 0. Spinlocks raise it while
 * held (kernel/lib/spinlock.h), so code under a spinlock may use per-CPU
 * data indexed by cpu_current(). preempt_enable() that brings the count to
 * 0 switches at once when a tick or a wakeup asked for it (need_resched)
 * and interrupts are on; otherwise the next interrupt exit does.
 *
 * Each change is one instruction on the running CPU's area (GS on x86,
 * <arch/preempt.h>). Host builds (VEIL_HOST) have no scheduler: no-ops.
 */
#ifndef VEIL_KERNEL_LIB_PREEMPT_H
#define VEIL_KERNEL_LIB_PREEMPT_H

#include <stdbool.h>

#ifdef VEIL_HOST
static inline void preempt_disable(void) {}
static inline void preempt_enable(void) {}
static inline unsigned preempt_count(void) { return 0; }
#else
#include "kernel/lib/cpu.h"
#include <arch/preempt.h>

/* Switches if this CPU should and may (kernel/sched); called by
 * preempt_enable when the count reached 0 with need_resched set. */
void preempt_schedule(void);

static inline void preempt_disable(void)
{
	arch_preempt_count_inc();
}

static inline void preempt_enable(void)
{
	arch_preempt_count_dec();
	if (arch_need_resched() && arch_preempt_count() == 0)
		preempt_schedule();
}

/* This CPU's count (for assertions and reports). */
static inline unsigned preempt_count(void)
{
	return arch_preempt_count();
}
#endif

#endif
