/*
 * What arch/x86/smp_start.c tells the rest of arch/x86 (its tests): where
 * the start-up trampoline lives.
 */
#ifndef VEIL_ARCH_X86_SMP_START_H
#define VEIL_ARCH_X86_SMP_START_H

#include <stdint.h>

/* Pages below 1 MiB the trampoline takes: code and parameters, then the
 * temporary PML4, PDPT and PD. */
#define TRAMPOLINE_PAGES 4u

/* The trampoline's physical address (its first page), 0 when CPUs were not
 * started (no MADT, or no room below 640 KiB). */
uint64_t smp_trampoline_physical(void);

#endif
