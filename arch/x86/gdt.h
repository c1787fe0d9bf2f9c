/*
 * Segment selectors, the Interrupt Stack Table slots, and queries about the
 * exception stacks (arch/x86/gdt.c).
 */
#ifndef VEIL_ARCH_X86_GDT_H
#define VEIL_ARCH_X86_GDT_H

#include <stdbool.h>
#include <stdint.h>

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_USER_DATA   0x1b
#define GDT_USER_CODE   0x23
#define GDT_TSS         0x28

/* IST slots (1-based, as the IDT names them). */
enum ist_slot {
	IST_DOUBLE_FAULT = 1,
	IST_NMI = 2,
	IST_MACHINE_CHECK = 3,
	IST_PAGE_FAULT = 4,
	IST_COUNT = 4,
};

#define IST_STACK_BYTES (16 * 1024)	/* KSTACK_SIZE: the others' come from
					 * kstack_alloc */

/* Loads this CPU's GDT and TSS (its IST stacks must be prepared). */
void gdt_init(void);
/* Gives CPU cpu (not 0) its IST stacks, guarded kernel stacks; false when
 * none are left. On the boot CPU, before that CPU starts. */
bool gdt_prepare_cpu(unsigned cpu);
/* Where this CPU lands on an interrupt from user mode (TSS RSP0): the
 * running user thread's kernel stack top. Interrupts off. */
void gdt_set_entry_stack(uint64_t top);
/* Makes top this CPU's page-fault stack (TSS IST slot IST_PAGE_FAULT)
 * and returns the previous top. Interrupts off. */
uint64_t gdt_swap_page_fault_stack(uint64_t top);
/* True when address is in an IST stack's guard page; *ist names the slot. */
bool gdt_ist_guard(uint64_t address, unsigned *ist);
/* The guard page below IST stack index (0-based), for the paging code. */
uint64_t gdt_ist_guard_page(unsigned index);
/* True when address lies on one of the IST stacks of any CPU. */
bool gdt_on_ist_stack(uint64_t address);

#endif
