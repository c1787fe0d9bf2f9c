/*
 * The local APIC of each CPU (arch/x86/lapic.c): x2APIC through MSRs when
 * the CPU has it, xAPIC through its MMIO page (reached in the direct map)
 * otherwise. It gives each CPU its periodic timer, its end-of-interrupt,
 * and the inter-processor interrupts that start, call, wake and stop CPUs.
 */
#ifndef VEIL_ARCH_X86_LAPIC_H
#define VEIL_ARCH_X86_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Vectors the local APIC delivers; above the PIC's 32-47, high priority. */
enum lapic_vector {
	LAPIC_VECTOR_TIMER = 0xf0,	/* the periodic tick of each CPU */
	LAPIC_VECTOR_CALL = 0xf1,	/* smp_call_on's request */
	LAPIC_VECTOR_KICK = 0xf2,	/* smp_kick: ends a hlt, nothing else */
	LAPIC_VECTOR_TLB = 0xf3,	/* a TLB shootdown (arch/x86/tlb_shootdown.c) */
	LAPIC_VECTOR_SPURIOUS = 0xff,	/* never acknowledged with an EOI */
};

/* Kinds of inter-processor interrupt (the ICR's delivery modes). */
enum lapic_ipi {
	LAPIC_IPI_FIXED,	/* the vector given */
	LAPIC_IPI_NMI,
	LAPIC_IPI_INIT,
	LAPIC_IPI_STARTUP,	/* the vector is the start page number */
};

/* The boot CPU, once, before interrupts are enabled: picks the mode,
 * enables its own APIC and calibrates the timer against the TSC (which
 * must already be calibrated). */
void lapic_boot_init(void);
/* An application processor: enables its own APIC in the boot CPU's mode. */
void lapic_cpu_init(void);
/* Starts this CPU's periodic timer at hz interrupts a second. */
void lapic_timer_start(unsigned hz);
/* True when the local APIC runs in x2APIC mode. */
bool lapic_x2apic(void);
/* This CPU's APIC id. */
uint32_t lapic_id(void);
/* Acknowledges the interrupt being handled. */
void lapic_eoi(void);
/* Sends an IPI of kind (vector for FIXED and STARTUP) to the CPU with
 * apic_id; in xAPIC mode returns once the APIC accepted it. Any context. */
void lapic_send_ipi(uint32_t apic_id, enum lapic_ipi kind, uint8_t vector);
/* Called by trap_dispatch for vectors 48-254. */
void lapic_dispatch(unsigned vector);

#endif
