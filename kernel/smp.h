/*
 * Several CPUs (kernel/smp.c): starting the CPUs ACPI lists, running a
 * function on another CPU, waking one, and stopping all but the caller.
 * The architecture does the CPU-specific part (kernel/arch_smp.h).
 */
#ifndef VEIL_KERNEL_SMP_H
#define VEIL_KERNEL_SMP_H

#include <stdbool.h>
#include <stdint.h>

/* Once, from kmain after mm_init and acpi_boot_init: starts every enabled
 * CPU of the MADT (up to CONFIG_MAX_CPUS and the smp_max option) and logs
 * "smp: <n> of <m> CPUs online" plus one line per CPU that did not come up.
 * Without a MADT the boot CPU runs alone. */
void smp_boot(void);

/* Runs function(argument) on CPU cpu (an online index) in interrupt
 * context, and returns once it returned. The caller must have interrupts
 * enabled (two CPUs calling each other then both make progress); for the
 * caller's own CPU the function runs directly, with interrupts off. */
void smp_call_on(unsigned cpu, void (*function)(void *), void *argument);

/* Sends CPU cpu a wake-up interrupt: it ends a hlt, and the return from it
 * is where a pending need_resched is seen. No effect on an offline CPU. */
void smp_kick(unsigned cpu);

/* Stops every other online CPU with an NMI: each marks itself CPU_STOPPED
 * and halts for good. Waits (briefly, bounded) until they did and, when
 * there were others, prints how many stopped. For panic. */
void smp_stop_others(void);


/* Called by the architecture on an application processor once its
 * descriptor tables, APIC and timer are set up: gives it its run queue and
 * idle thread (kernel/sched), marks it online and enters the idle loop. */
void smp_secondary_start(void) __attribute__((noreturn));

/* The architecture's hooks: the call and wake-up vectors' handlers, and
 * the NMI's first question (halts for good when a stop was requested). */
void smp_call_interrupt(void);
void smp_kick_interrupt(void);
void smp_stop_if_requested(void);

/* For reports and tests: the enabled CPUs the MADT listed (1 without a
 * MADT), how many of them did not come up (each was named in the boot
 * log), and the wake-up interrupts CPU cpu took. */
unsigned smp_listed_count(void);
unsigned smp_failed_count(void);
uint64_t smp_kicks_taken(unsigned cpu);
/* The i-th CPU that did not come up: its APIC id (UINT32_MAX when the MADT
 * listed it past what Veil keeps) and why; false past the last. */
bool smp_failed_cpu(unsigned i, uint32_t *hw_id, const char **why);

#endif
