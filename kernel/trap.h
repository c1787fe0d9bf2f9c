/*
 * The arch-neutral face of CPU exceptions, for code outside arch/x86:
 * mm/ registers its page-fault handler here and never sees error-code bits.
 */
#ifndef VEIL_KERNEL_TRAP_H
#define VEIL_KERNEL_TRAP_H

#include <stdbool.h>
#include <stdint.h>

/* Why a page fault happened, decoded from the CPU's error code. */
enum fault_flags {
	FAULT_PRESENT  = 1u << 0,	/* the page was present: a protection fault */
	FAULT_WRITE    = 1u << 1,
	FAULT_USER     = 1u << 2,
	FAULT_RESERVED = 1u << 3,	/* a reserved bit was set in a paging entry */
	FAULT_FETCH    = 1u << 4,	/* instruction fetch (NX) */
};

/*
 * Called first on every page fault, interrupts off. Returns true when the
 * fault was resolved (the access is retried); false lets the fault go on to
 * the exception report (or to ktest_catch when a test expects it).
 */
typedef bool (*page_fault_handler_t)(uintptr_t address, unsigned fault_flags);

void trap_set_page_fault_handler(page_fault_handler_t handler);

/* An exception nobody resolved, as the catch handler sees it. */
struct trap_info {
	int vector;
	uint64_t error_code;
	uint64_t fault_address;	/* the faulting address of a page fault */
	uint64_t instruction;	/* address of the faulting instruction */
	unsigned fault_flags;	/* enum fault_flags of a page fault */
};

/*
 * Offered every exception the page-fault handler did not resolve, before
 * the kernel reports it and stops. It either takes the exception and never
 * returns (ktest resumes a saved context) or returns to let the report go
 * on. One handler at a time (ktest's).
 */
typedef void (*trap_catch_fn)(const struct trap_info *info);

void trap_set_catch_handler(trap_catch_fn handler);

/* The short name of an exception vector ("#PF page fault"). */
const char *trap_vector_label(int vector);

#endif
