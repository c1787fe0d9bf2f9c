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

/* Lowers the count; true when it reached 0 (the flags of the decrement,
 * read through asm goto so the common path is two instructions). */
static inline bool arch_preempt_count_dec_is_zero(void)
{
	__asm__ goto("decl %%gs:%c0\n\tjz %l[zero]"
		     : : "i"(offsetof(struct cpu_local, preempt_count))
		     : "memory", "cc" : zero);
	return false;
zero:
	return true;
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

#endif
