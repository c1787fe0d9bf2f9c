/*
 * Device interrupt lines (the PIC's 16) and their handlers. A handler runs
 * with interrupts off, after the line's end-of-interrupt has been sent.
 */
#ifndef VEIL_ARCH_X86_IRQ_LINES_H
#define VEIL_ARCH_X86_IRQ_LINES_H

#include "arch/x86/trap_frame.h"

#define IRQ_LINES 16

/* Installs handler for line and unmasks it. */
void irq_line_set_handler(unsigned line, void (*handler)(void));
/* Called by trap_dispatch for vectors 32-47. */
void irq_line_dispatch(const struct trap_frame *frame);

/* The boot CPU: calibrates the TSC and the local APIC timer, starts its
 * tick (arch/x86/timer.c). */
void timer_init(void);
/* Starts this CPU's 1 kHz tick (an application processor, after its local
 * APIC is enabled). */
void timer_cpu_start(void);
/* The tick of the running CPU (local APIC timer vector). */
void timer_tick(void);

#endif
