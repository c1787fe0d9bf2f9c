/*
 * The preemption counter on x86 (kernel/lib/preempt.h): one GS-relative
 * instruction per change, so the update cannot be split by an interrupt
 * and a migration between loading the per-CPU pointer and storing through
 * it (there is no pointer: GS names the running CPU's area at the moment
 * of the instruction). Included after struct cpu_local is complete.
 */
#ifndef VEIL_ARCH_X86_PREEMPT_H
#define VEIL_ARCH_X86_PREEMPT_H

#include <stdbool.h>
#include <stddef.h>

static inline void arch_preempt_count_inc(void)
{
	__asm__ __volatile__("incl %%gs:%c0"
			     : : "i"(offsetof(struct cpu_local, preempt_count))
			     : "memory", "cc");
}

static inline void arch_preempt_count_dec(void)
{
	__asm__ __volatile__("decl %%gs:%c0"
			     : : "i"(offsetof(struct cpu_local, preempt_count))
			     : "memory", "cc");
}

static inline unsigned arch_preempt_count(void)
{
	unsigned count;

	__asm__ __volatile__("movl %%gs:%c1, %0"
			     : "=r"(count)
			     : "i"(offsetof(struct cpu_local, preempt_count))
			     : "memory");
	return count;
}

static inline bool arch_need_resched(void)
{
	unsigned char flag;

	__asm__ __volatile__("movb %%gs:%c1, %0"
			     : "=q"(flag)
			     : "i"(offsetof(struct cpu_local, need_resched))
			     : "memory");
	return flag != 0;
}

#endif
