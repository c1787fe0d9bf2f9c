/*
 * Placeholder of the sched branch for kernel/smp.c: one CPU runs, so a
 * kick can only be for this CPU, which is awake already (it is running the
 * kicker). The smp worker's version (an IPI to end a hlt) replaces it.
 */
#include "kernel/lib/cpu.h"
#include "kernel/lib/panic.h"
#include "kernel/smp.h"

void smp_kick(unsigned cpu)
{
	if (cpu != cpu_current())
		panic("smp_kick: CPU %u, but this build starts no other CPU", cpu);
}
