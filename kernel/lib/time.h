/*
 * Time since boot, as the arch layer measures it (arch/x86/timer.c: the TSC
 * calibrated against the PIT, and each CPU's local APIC timer tick).
 */
#ifndef VEIL_KERNEL_TIME_H
#define VEIL_KERNEL_TIME_H

#include <stdint.h>

/* Nanoseconds since the timer was set up; 0 before that. */
uint64_t time_uptime_ns(void);
/* Milliseconds counted by CPU 0's periodic timer interrupt (ticks an
 * emulator dropped are made up from the cycle counter). */
uint64_t time_ticks_ms(void);
/* The cycle counter, for cost measurements (cycles, not time). */
uint64_t time_cycles(void);
/* Cycles per second of time_cycles(), 0 before calibration. */
uint64_t time_cycles_per_second(void);
/* Busy-waits ms milliseconds (works with interrupts off). */
void time_delay_ms(unsigned ms);
/* A function run on every timer tick of every CPU, in interrupt context
 * with interrupts off, on the CPU that ticked (ktest's watchdog, which acts
 * only on the CPU running the test). One at a time. */
void time_set_tick_hook(void (*hook)(void));

#endif
