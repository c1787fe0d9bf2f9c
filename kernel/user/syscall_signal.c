/*
 * Signal dispositions, the blocked mask, handlers' return, waiting for a
 * signal and the alternate stack (syscall.h). Sending and acting on
 * signals is process_signal.c's; a fault still ends the process as the
 * default action does (process_fault.c), handler or not.
 */
#include <stdint.h>
#include "kernel/sched/wait.h"
#include "kernel/user/process.h"
#include "kernel/user/process_internal.h"
#include "kernel/user/user_cpu.h"
#include "kernel/user/syscall.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_errno.h"

#define SIGNAL_KILL 9
#define SIGNAL_STOP 19
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define SIGSET_BYTES 8u
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ 2048u
/* What can never be blocked (SIGKILL, SIGSTOP). */
#define SIGNAL_UNBLOCKABLE ((1ull << (SIGNAL_KILL - 1)) | (1ull << (SIGNAL_STOP - 1)))

long syscall_rt_sigaction(const uint64_t a[6])
{
	struct process *process = process_current();
	int signal = (int)a[0];
	struct process_signal_action action;

	if (a[3] != SIGSET_BYTES || signal < 1 || signal > PROCESS_SIGNALS)
		return -USER_EINVAL;
	if (a[1] && (signal == SIGNAL_KILL || signal == SIGNAL_STOP))
		return -USER_EINVAL;
	if (a[1]) {
		int result = user_copy_from(&action, a[1], sizeof(action));
		if (result)
			return result;
	}
	if (a[2]) {
		int result = user_copy_to(a[2], &process->signal_actions[signal - 1],
					  sizeof(action));
		if (result)
			return result;
	}
	if (a[1]) {
		action.mask &= ~SIGNAL_UNBLOCKABLE;
		process->signal_actions[signal - 1] = action;
	}
	return 0;
}

long syscall_rt_sigprocmask(const uint64_t a[6])
{
	struct process *process = process_current();
	uint64_t set = 0, old = process->signal_mask;

	if (a[3] != SIGSET_BYTES)
		return -USER_EINVAL;
	if (a[1]) {
		if (a[0] != SIG_BLOCK && a[0] != SIG_UNBLOCK && a[0] != SIG_SETMASK)
			return -USER_EINVAL;
		int result = user_copy_from(&set, a[1], sizeof(set));
		if (result)
			return result;
	}
	if (a[2]) {
		int result = user_copy_to(a[2], &old, sizeof(old));
		if (result)
			return result;
	}
	if (!a[1])
		return 0;
	if (a[0] == SIG_BLOCK)
		set |= old;
	else if (a[0] == SIG_UNBLOCK)
		set = old & ~set;
	process->signal_mask = set & ~SIGNAL_UNBLOCKABLE;
	return 0;
}

/* The handler returned through its restorer: the interrupted registers,
 * SSE state and mask back; the result is the interrupted rax. A frame
 * that cannot be read ends the process with SIGSEGV, as on Linux. */
long syscall_rt_sigreturn(const uint64_t a[6])
{
	struct process *process = process_current();
	uint64_t blocked, rax;

	(void)a;
	if (user_signal_return(&blocked, &rax) != 0)
		process_exit(PROCESS_SIGNAL_SEGV);
	process->signal_mask = blocked & ~SIGNAL_UNBLOCKABLE;
	return (long)rax;
}

/* Waits with the given mask until a signal is to be acted on; -EINTR
 * (the old mask comes back once the signal was acted on). */
long syscall_rt_sigsuspend(const uint64_t a[6])
{
	struct process *process = process_current();
	uint64_t mask;

	if (a[1] != SIGSET_BYTES)
		return -USER_EINVAL;
	int result = user_copy_from(&mask, a[0], sizeof(mask));
	if (result)
		return result;
	process->saved_mask = process->signal_mask;
	process->mask_saved = true;
	process->signal_mask = mask & ~SIGNAL_UNBLOCKABLE;
	wait_event(&process->signal_queue, process_signal_pending(process));
	return -USER_EINTR;
}

/* stack_t of x86-64. */
struct signal_stack {
	uint64_t sp;
	int32_t flags;
	int32_t pad;
	uint64_t size;
};

long syscall_sigaltstack(const uint64_t a[6])
{
	struct process *process = process_current();
	struct signal_stack old = {
		.sp = process->altstack_sp, .size = process->altstack_size,
	};
	uint64_t sp = user_stack_pointer();
	bool on = process->altstack_size && sp > process->altstack_sp &&
		  sp <= process->altstack_sp + process->altstack_size;
	struct signal_stack wanted;

	old.flags = on ? SS_ONSTACK : process->altstack_size ? 0 : SS_DISABLE;
	if (a[0]) {
		int result = user_copy_from(&wanted, a[0], sizeof(wanted));
		if (result)
			return result;
		if ((uint32_t)wanted.flags & ~(uint32_t)(SS_DISABLE | SS_AUTODISARM))
			return -USER_EINVAL;
		if (on)
			return -USER_EPERM;
		if (!(wanted.flags & SS_DISABLE) && wanted.size < MINSIGSTKSZ)
			return -USER_ENOMEM;
	}
	if (a[1]) {
		int result = user_copy_to(a[1], &old, sizeof(old));
		if (result)
			return result;
	}
	if (a[0]) {
		bool disable = wanted.flags & SS_DISABLE;
		process->altstack_sp = disable ? 0 : wanted.sp;
		process->altstack_size = disable ? 0 : wanted.size;
	}
	return 0;
}
