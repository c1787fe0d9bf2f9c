/*
 * What x86 keeps of a thread that runs in user mode (kernel/user/user_cpu.h
 * is the arch-neutral side): its SSE/x87 registers while it is off the
 * CPU or inside the kernel's own SSE sections, its FS base (the thread
 * pointer static programs set with arch_prctl), and the top of the kernel
 * stack every entry from user mode lands on.
 */
#ifndef VEIL_ARCH_X86_USER_CONTEXT_H
#define VEIL_ARCH_X86_USER_CONTEXT_H

#include <stdint.h>

struct user_thread_context {
	/* FXSAVE image (512 bytes, 16-aligned): valid while the registers
	 * do not hold this thread's state (arch/x86/user_cpu.c). */
	uint8_t fpu_area[512] __attribute__((aligned(16)));
	uint64_t tls_base;		/* FS base */
	uint64_t entry_stack_top;	/* the thread's kernel stack top */
	/* A fork child's first user state: a struct trap_frame (arch/x86/
	 * trap_frame.h) user_resume copies to the kernel stack's top. */
	uint64_t start_frame[24];
};

struct thread;
/* At every switch that involves a user thread (prev or next has a
 * context), interrupts off: saves the SSE state still in the registers
 * and loads next's entry stack and FS base. */
void arch_user_switch(struct thread *prev, struct thread *next);

#endif
