/*
 * What kernel/smp.c asks of the architecture to start and signal CPUs
 * (arch/x86/smp_start.c and arch/x86/ipi.c on a PC). CPUs are named by
 * their interrupt controller id (the APIC id on x86).
 */
#ifndef VEIL_KERNEL_ARCH_SMP_H
#define VEIL_KERNEL_ARCH_SMP_H

#include <stdbool.h>
#include <stdint.h>

/* The running CPU's interrupt controller id. */
uint32_t arch_cpu_hw_id(void);
/* Readies the start-up code (the real-mode trampoline). NULL when CPUs can
 * be started, else why not. */
const char *arch_smp_prepare(void);
/* Starts CPU hw_id as CPU index on the stack whose top is stack: its
 * per-CPU descriptor tables are made, then the start-up signals are sent
 * (without the start-up proper when send_startup is false: a test aid for
 * a CPU that never answers). The CPU then calls smp_secondary_start. NULL
 * when the signals were sent, else why not (nothing was sent). One start
 * at a time: the caller waits for the CPU (or gives up) before the next. */
const char *arch_cpu_start(unsigned index, uint32_t hw_id, void *stack,
			   bool send_startup);
/* Sends a CPU that did not answer back to its waiting state, so that a
 * late answer cannot run the start-up code meant for the next CPU. */
void arch_cpu_park(uint32_t hw_id);
/* The three signals of kernel/smp.h: the call vector, the wake-up vector,
 * and the stop NMI. */
void arch_send_call(uint32_t hw_id);
void arch_send_kick(uint32_t hw_id);
void arch_send_stop(uint32_t hw_id);

#endif
