/*
 * Interrupt masking (kernel/irq.h) and the CPU index (kernel/cpu.h) on x86.
 * Veil runs on one CPU so far: cpu_current() is 0 until the SMP start-up
 * gives each CPU an index (then it will read it from a per-CPU segment).
 */
#include "arch/x86/x86.h"
#include "kernel/cpu.h"
#include "kernel/irq.h"

unsigned long irq_save(void)
{
	unsigned long flags = read_rflags();

	interrupts_disable();
	return flags & X86_RFLAGS_IF;
}

void irq_restore(unsigned long flags)
{
	if (flags & X86_RFLAGS_IF)
		interrupts_enable();
}

unsigned cpu_current(void)
{
	return 0;
}
