/*
 * Thread switching on x86 (arch/x86/thread_switch.asm), for kernel/sched
 * through kernel/sched/context_switch.h: a thread's saved context is its
 * stack pointer; the callee-saved registers wait on its stack.
 */
#ifndef VEIL_ARCH_X86_THREAD_SWITCH_H
#define VEIL_ARCH_X86_THREAD_SWITCH_H

#include <stdint.h>

/* Saves the running context (stack pointer into *save_stack_pointer) and
 * resumes the one saved at next. Interrupts must be off. */
void arch_thread_switch(uint64_t *save_stack_pointer, uint64_t next);
void arch_thread_trampoline(void);

/* The saved stack pointer of a thread that has not run: on the stack
 * ending at top, six callee-saved registers (r12 = the thread, so the
 * trampoline can hand it to sched_thread_start) and the trampoline as the
 * return address. */
static inline uint64_t arch_thread_stack_init(void *top, void *thread)
{
	uint64_t *slot = (uint64_t *)top - 2;	/* 16 bytes of slack on top */

	*--slot = (uint64_t)arch_thread_trampoline;
	*--slot = 0;			/* rbx */
	*--slot = 0;			/* rbp */
	*--slot = (uint64_t)thread;	/* r12 */
	*--slot = 0;			/* r13 */
	*--slot = 0;			/* r14 */
	*--slot = 0;			/* r15 */
	return (uint64_t)slot;
}

/* Where a switched-out thread stands, from its saved stack pointer (the
 * six registers arch_thread_switch pushed, then its return address): the
 * return address into the switch's caller and the frame pointer there,
 * for a backtrace of a thread that waits. */
static inline void arch_thread_saved_frame(uint64_t saved_stack_pointer,
					   uint64_t *instruction,
					   uint64_t *frame_pointer)
{
	const uint64_t *slot = (const uint64_t *)saved_stack_pointer;

	*frame_pointer = slot[4];	/* rbp */
	*instruction = slot[6];
}

/* This CPU's current thread, in one GS-relative load: a thread that is
 * preempted and moved between loading its CPU's area and reading the
 * field would otherwise read another CPU's current thread. Needs struct
 * cpu_local complete (kernel/lib/cpu.h included first). */
static inline struct thread *arch_current_thread(void)
{
	struct thread *thread;

	__asm__ __volatile__("movq %%gs:%c1, %0"
			     : "=r"(thread)
			     : "i"(__builtin_offsetof(struct cpu_local, current)));
	return thread;
}

/* Whether interrupts are on for this CPU. */
static inline int arch_irqs_enabled(void)
{
	unsigned long flags;

	__asm__ __volatile__("pushfq; popq %0" : "=r"(flags) : : "memory");
	return (flags >> 9) & 1;
}

static inline void arch_irq_enable(void)
{
	__asm__ __volatile__("sti" : : : "memory");
}

static inline void arch_irq_disable(void)
{
	__asm__ __volatile__("cli" : : : "memory");
}

/* Enables interrupts and halts until one arrives, as one step: an
 * interrupt pending at the sti ends the hlt (sti's one-instruction
 * shadow), so a wakeup between the caller's last check and the halt is
 * not lost. */
static inline void arch_cpu_idle_halt(void)
{
	__asm__ __volatile__("sti; hlt" : : : "memory");
}

#endif
