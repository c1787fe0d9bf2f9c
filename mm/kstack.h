/*
 * Kernel stacks with guard pages: each stack is mapped in a kernel area of
 * its own (arch/x86/kstack.c) with an unmapped guard area below it, so an
 * overflow faults at once (and is reported as one) instead of corrupting
 * whatever lies below.
 */
#ifndef VEIL_MM_KSTACK_H
#define VEIL_MM_KSTACK_H

#include <stdbool.h>
#include <stdint.h>

#define KSTACK_SIZE  (16u * 1024u)	/* usable bytes of one stack */
#define KSTACK_MAX   1024u		/* stacks at once */

/* The top of a new stack (16-aligned, one past the last usable byte), or
 * NULL when no slot or no memory is left. */
void *kstack_alloc(void);
/* Releases a stack kstack_alloc returned (its top). */
void kstack_free(void *top);
/* True when address is in the guard area of a kernel stack slot. */
bool kstack_is_guard(uintptr_t address);
/* True when address is in the usable part of an allocated stack (read
 * without the lock: for backtraces of running stacks). */
bool kstack_in_use(uintptr_t address);
/* The range of kernel virtual addresses kernel stacks live in. */
void kstack_area(uintptr_t *base, uintptr_t *size);
/* Registers the fault owner of that area (mm/kstack_fault.c): a fault in
 * it is never served; it is FATAL, reported as a stack overflow when it
 * hit a guard. Once, at boot. */
void kstack_fault_owner_init(void);

#endif
