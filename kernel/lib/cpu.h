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
#ifdef VEIL_HOST
unsigned cpu_current(void);
/* How many CPUs run (indices 0 .. cpu_count() - 1): what reports of
 * per-CPU data should cover, not CONFIG_MAX_CPUS. */
unsigned cpu_count(void);
#else
/* Inline in the kernel: per-CPU data is indexed on hot paths. */
static inline unsigned cpu_current(void)
{
	return 0;	/* one CPU until SMP start-up gives each an index */
}

static inline unsigned cpu_count(void)
{
	return 1;	/* the boot CPU alone until SMP start-up */
}
#endif

#endif
