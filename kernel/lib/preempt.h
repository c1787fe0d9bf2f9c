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

/* Switches if this CPU asked for it (need_resched) and may: count 0,
 * interrupts on (kernel/sched). Called by preempt_enable when the count
 * reached 0; out of line, so that each of the many inlined spin_unlock
 * sites carries only a decrement, a branch and a call. */
void preempt_schedule(void);

static inline void preempt_disable(void)
{
	arch_preempt_count_inc();
}

static inline void preempt_enable(void)
{
	if (arch_preempt_count_dec_is_zero())
		preempt_schedule();
}

/* This CPU's count (for assertions and reports). */
static inline unsigned preempt_count(void)
{
	return arch_preempt_count();
}
#endif

#endif
