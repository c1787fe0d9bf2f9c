/*
 * The C side of the SYSCALL entry (user_entry.asm): the number and the six
 * arguments out of the saved registers, as Linux's x86-64 ABI passes them
 * (rax; rdi, rsi, rdx, r10, r8, r9), and the result back into rax; then
 * a signal that should end the process is acted on before user mode.
 */
#include <stdint.h>
#include "arch/x86/trap_frame.h"
#include "kernel/sched/sched.h"
#include "kernel/user/syscall.h"
#include "kernel/user/user_cpu.h"

void syscall_dispatch(struct trap_frame *frame);
void syscall_dispatch(struct trap_frame *frame)
{
	const uint64_t argument[6] = { frame->rdi, frame->rsi, frame->rdx,
				       frame->r10, frame->r8, frame->r9 };

	frame->rax = (uint64_t)syscall_run(frame->rax, argument);
	if (user_return_signal_due())
		user_return_signals();	/* interrupts are on here */
	/* A switch the tick asked for while the call ran with interrupts
	 * on but found no preemption point. */
	sched_interrupt_exit();
}
