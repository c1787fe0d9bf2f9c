/*
 * The per-CPU area on x86 (kernel/lib/cpu.h): the GS base of each CPU
 * points at its struct cpu_local, so one GS-relative load finds a field
 * without knowing which CPU runs, and cannot be split by a migration.
 */
#ifndef VEIL_ARCH_X86_CPU_LOCAL_H
#define VEIL_ARCH_X86_CPU_LOCAL_H

#include <stddef.h>

static inline struct cpu_local *arch_cpu_local_self(void)
{
	struct cpu_local *self;

	__asm__ __volatile__("movq %%gs:%c1, %0"
			     : "=r"(self)
			     : "i"(offsetof(struct cpu_local, self)));
	return self;
}

static inline unsigned arch_cpu_local_index(void)
{
	unsigned index;

	__asm__ __volatile__("movl %%gs:%c1, %0"
			     : "=r"(index)
			     : "i"(offsetof(struct cpu_local, index)));
	return index;
}

/* Points this CPU's GS base at the area of CPU index (arch/x86/cpu_local.c);
 * the first thing each CPU does in C. */
void arch_cpu_local_install(unsigned index);

#endif
