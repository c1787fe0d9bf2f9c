/*
 * The arch-neutral face of CPU exceptions, for code outside arch/x86. Page
 * faults go to mm/fault.h's dispatcher (decoded, never as error-code bits);
 * what nobody resolved reaches the catch handler registered here.
 */
#ifndef VEIL_KERNEL_TRAP_H
#define VEIL_KERNEL_TRAP_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/fault.h"

/* What kind of error an exception is, for whoever must answer it without
 * knowing the architecture's vectors (a process's fatal signal). */
enum trap_class {
	TRAP_CLASS_MEMORY,		/* a page fault, protection fault... */
	TRAP_CLASS_ARITHMETIC,		/* divide error, FPU/SIMD exception */
	TRAP_CLASS_INSTRUCTION,		/* an invalid instruction */
};

/* An exception nobody resolved, as the catch handler sees it. */
struct trap_info {
	int vector;
	enum trap_class class;
	uint64_t error_code;
	uint64_t fault_address;	/* the faulting address of a page fault */
	uint64_t instruction;	/* address of the faulting instruction */
	/* Page faults only: the decoded fault, what its owner answered
	 * (enum fault_response; -1 for other exceptions), the owner's name
	 * (NULL when nobody owns the address) and its reason, or NULL. */
	struct fault fault;
	int fault_response;
	const char *fault_owner;
	const char *fault_reason;
};

/*
 * Offered every exception nobody resolved (a page fault whose owner
 * answered error or fatal, or that nobody owns), before
 * the kernel reports it and stops. It either takes the exception and never
 * returns (ktest resumes a saved context) or returns to let the report go
 * on. One handler at a time (ktest's).
 */
typedef void (*trap_catch_fn)(const struct trap_info *info);

void trap_set_catch_handler(trap_catch_fn handler);

/*
 * Offered every kernel-mode exception nobody resolved, before the catch
 * handler: the loaded-module guard (kernel/module/module_guard.c), which
 * takes an exception of module code it called on this CPU (resuming a
 * saved context, never returning) and returns for any other.
 */
void trap_set_recover_handler(trap_catch_fn handler);
/*
 * Page faults on this CPU land on the stack whose top is top from now on;
 * returns the previous top, to be put back. Interrupts off. The module
 * guard runs module code on a fault stack of its own, so that a fault of
 * module code called from a page-fault handler (an eviction's seal) does
 * not land on the stack that handler is using (x86: the page fault's IST
 * stack is taken from its top each time).
 */
uintptr_t trap_swap_fault_stack(uintptr_t top);

/*
 * An exception in user mode that nobody resolved (a page fault outside
 * the process's mappings or against their protection, a general
 * protection fault, an invalid opcode...): the process code ends the
 * process with a report, the kernel goes on. Called on the thread's own
 * kernel stack with interrupts on; never returns (kernel/user).
 */
void trap_user_exception(const struct trap_info *info)
	__attribute__((noreturn));

/* The short name of an exception vector ("#PF page fault"). */
const char *trap_vector_label(int vector);

#endif
