/*
 * Between the TLB primitives (arch/x86/tlb.c) and the shootdowns that
 * carry them to other CPUs (arch/x86/tlb_shootdown.c).
 */
#ifndef VEIL_ARCH_X86_TLB_INTERNAL_H
#define VEIL_ARCH_X86_TLB_INTERNAL_H

#include <stdint.h>

struct vmm_space;

/* The space CPU cpu runs (its CR3), for who may hold a space's entries. */
struct vmm_space *tlb_running_space(unsigned cpu);
/* After this CPU invalidated translations of space (NULL: the kernel
 * half), every other CPU that may hold them flushes, and this returns once
 * all did. Free with one CPU online. */
void tlb_shootdown(const struct vmm_space *space);
/* The TLB vector's handler (arch/x86/lapic.c). */
void tlb_shootdown_interrupt(void);
/* Rounds sent, flushes CPUs made for others, and TLB interrupts sent,
 * since boot. */
void tlb_shootdown_stats(uint64_t *rounds, uint64_t *answered,
			 uint64_t *ipis);

#endif
