/*
 * The identity of the running CPU, for per-CPU data (slab magazines, trace
 * rings). Veil runs on one CPU today; code indexes per-CPU arrays with
 * cpu_current() so that it is already right when more CPUs start.
 */
#ifndef VEIL_KERNEL_CPU_H
#define VEIL_KERNEL_CPU_H

#define CONFIG_MAX_CPUS 16

/* Index of the running CPU, below CONFIG_MAX_CPUS. The caller must not
 * migrate while it uses the result (interrupts off or a lock held). */
unsigned cpu_current(void);

#endif
