/*
 * Saved execution contexts (arch/x86/context.asm), for abandoning a piece of
 * work from an exception handler or an interrupt: ktest's exception catching
 * and watchdog. Resuming restores the interrupt flag as it was when saved.
 * Like setjmp, the function that called context_save must not have returned
 * when context_resume is called.
 */
#ifndef VEIL_KERNEL_CONTEXT_H
#define VEIL_KERNEL_CONTEXT_H

#include <stdint.h>

struct cpu_context {
	uint64_t registers[6];	/* callee-saved */
	uint64_t stack_pointer;
	uint64_t resume_address;
	uint64_t flags;
};

/* Returns 0 when saving, and resume's value (non-zero) when resumed. */
int context_save(struct cpu_context *context) __attribute__((returns_twice));
void context_resume(const struct cpu_context *context, int value)
	__attribute__((noreturn));

#endif
