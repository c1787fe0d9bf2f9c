/*
 * Interrupt masking on the current CPU, as the arch layer provides it
 * (arch/x86/irq.c; a no-op in host builds). Used by spinlocks that are also
 * taken from interrupt context.
 */
#ifndef VEIL_KERNEL_IRQ_H
#define VEIL_KERNEL_IRQ_H

#ifdef VEIL_HOST
/* Disables interrupts and returns whether they were enabled before. */
unsigned long irq_save(void);
/* Restores the state irq_save returned. */
void irq_restore(unsigned long flags);
#else
/* In the kernel the same two, inline: every spinlock and the slab's fast
 * path use them, and a call each way costs more than the instructions. */
#include <arch/irq_flags.h>
#endif

#endif
