/*
 * The C side of the SYSCALL entry (user_entry.asm): the number and the six
 * arguments out of the saved registers, as Linux's x86-64 ABI passes them
 * (rax; rdi, rsi, rdx, r10, r8, r9), and the result back into rax; then
 * a pending signal is acted on before user mode. The number is kept in
 * the frame's error-code slot (a system call's frame has no error code),
 * so a call a signal interrupted can be made again (user_syscall_restart).
 */
#include <stdint.h>
#include "arch/x86/trap_frame.h"
#include "arch/x86/user_cpu_internal.h"
#include "kernel/sched/sched.h"
#include "kernel/user/syscall.h"
#include "kernel/user/user_cpu.h"
#include "kernel/user/user_errno.h"

#define SYSCALL_INSTRUCTION_BYTES 2	/* 0f 05 */

void syscall_dispatch(struct trap_frame *frame);
void syscall_dispatch(struct trap_frame *frame)
{
	const uint64_t argument[6] = { frame->rdi, frame->rsi, frame->rdx,
				       frame->r10, frame->r8, frame->r9 };

	frame->error_code = frame->rax;
	long result = syscall_run(frame->rax, argument);
	frame->rax = (uint64_t)result;
	/* A restart code is always settled here: even when the signal that
	 * caused it is gone, it must not reach the program. */
	if (user_return_signal_due() || result == -USER_ERESTARTSYS)
		user_return_signals();	/* interrupts are on here */
	/* A switch the tick asked for while the call ran with interrupts
	 * on but found no preemption point. */
	sched_interrupt_exit();
}

bool user_syscall_result(long *result)
{
	const struct trap_frame *frame = user_entry_frame();

	if (frame->vector != X86_VECTOR_SYSCALL ||
	    frame->error_code == USER_SYSCALL_NONE)
		return false;
	*result = (long)frame->rax;
	return true;
}

void user_syscall_set_result(long result)
{
	user_entry_frame()->rax = (uint64_t)result;
}

void user_syscall_restart(void)
{
	struct trap_frame *frame = user_entry_frame();

	frame->rax = frame->error_code;		/* the number again */
	frame->rip -= SYSCALL_INSTRUCTION_BYTES;
}
