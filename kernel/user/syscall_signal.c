/*
 * Signal dispositions and the blocked mask (syscall.h). Veil records what
 * a program asks (rt_sigaction's handler, flags and mask; the blocked set)
 * and answers queries with it exactly as Linux would; no signal is
 * delivered to a handler yet: a fault ends the process as the default
 * action does (process_fault.c), and nothing else sends signals.
 */
#include <stdint.h>
#include "kernel/user/process.h"
#include "kernel/user/syscall.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_errno.h"

#define SIGNAL_KILL 9
#define SIGNAL_STOP 19
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define SIGSET_BYTES 8u
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
