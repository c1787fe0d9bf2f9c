/*
 * Several CPUs: what the scheduler needs of CPU start-up and IPIs.
 * Placeholder of the sched branch: the smp worker's kernel/smp.h (CPU
 * start-up, IPIs, smp_secondary_idle) replaces this file at the merge.
 */
#ifndef VEIL_KERNEL_SMP_H
#define VEIL_KERNEL_SMP_H

/* Ends a halt on cpu (an IPI that does nothing else), so its idle thread
 * looks at its run queue again. */
void smp_kick(unsigned cpu);

#endif
