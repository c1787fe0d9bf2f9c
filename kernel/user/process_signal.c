/*
 * Signals between processes (process.h): sending one (kill, tgkill),
 * the default actions, and acting on a pending signal on the way back to
 * user mode. Handlers installed with rt_sigaction are recorded
 * (syscall_signal.c) but not run yet: a signal sent to a process that set
 * a handler for it is dropped, as if ignored (docs/user.md).
 *
 * A fatal signal is made pending (signals_pending, atomic) and its target
 * woken from any wait (wait_cancel): a blocking call that tests
 * process_signal_pending returns -EINTR, and the process ends as it
 * returns from the system call; a target running in user mode ends at its
 * next entry into the kernel (a timer interrupt at the latest).
 *
 * Locking: a target is looked up and signalled under process_table_lock
 * (its record cannot be freed meanwhile); then its wait queue's lock
 * (wait_cancel).
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/lib/spinlock.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"
#include "kernel/user/process_internal.h"
#include "kernel/user/user_cpu.h"
#include "kernel/user/user_errno.h"

#define SIGNAL_HANDLER_DEFAULT 0
#define SIGNAL_HANDLER_IGNORE 1
#define SIGNAL_CONT 18
#define SIGNAL_STOP 19
#define SIGNAL_TSTP 20
#define SIGNAL_TTIN 21
#define SIGNAL_TTOU 22
#define SIGNAL_URG 23
#define SIGNAL_WINCH 28
#define SIGNAL_BIT(signal) (1ull << ((signal) - 1))

/* Signals whose default action is to do nothing. Stopping is not
 * offered (no job control): the stop signals are ignored too. */
static const uint64_t process_signal_default_ignored =
	SIGNAL_BIT(PROCESS_SIGNAL_CHLD) | SIGNAL_BIT(SIGNAL_CONT) |
	SIGNAL_BIT(SIGNAL_STOP) | SIGNAL_BIT(SIGNAL_TSTP) |
	SIGNAL_BIT(SIGNAL_TTIN) | SIGNAL_BIT(SIGNAL_TTOU) |
	SIGNAL_BIT(SIGNAL_URG) | SIGNAL_BIT(SIGNAL_WINCH);

/* Whether signal, sent to process, ends it (else it is dropped). */
static bool process_signal_is_fatal(const struct process *process, int signal)
{
	if (signal == PROCESS_SIGNAL_KILL)
		return true;
	if (signal == SIGNAL_STOP)
		return false;
	uint64_t handler = process->signal_actions[signal - 1].handler;
	if (handler != SIGNAL_HANDLER_DEFAULT)
		return false;	/* ignored, or a handler (not run yet) */
	return !(process_signal_default_ignored & SIGNAL_BIT(signal));
}

/* The pending signals process acts on now: not blocked (SIGKILL never is). */
static uint64_t process_signal_due(const struct process *process)
{
	uint64_t pending = __atomic_load_n(&process->signals_pending,
					   __ATOMIC_ACQUIRE);
	uint64_t blocked = process->signal_mask &
			   ~SIGNAL_BIT(PROCESS_SIGNAL_KILL);

	return pending & ~blocked;
}

bool process_signal_pending(const struct process *process)
{
	return process && process_signal_due(process) != 0;
}

void process_signal_deliver(struct process *process, int signal)
{
	if (signal == 0 || __atomic_load_n(&process->ended, __ATOMIC_ACQUIRE))
		return;
	if (!process_signal_is_fatal(process, signal))
		return;
	__atomic_or_fetch(&process->signals_pending, SIGNAL_BIT(signal),
			  __ATOMIC_RELEASE);
	if (process->thread)
		wait_cancel(process->thread);	/* its wait tests again */
}

int process_signal_send(int pid, int signal)
{
	if (signal < 0 || signal > PROCESS_SIGNALS)
		return -USER_EINVAL;
	unsigned long flags = spin_lock_irqsave(&process_table_lock);
	int result = -USER_ESRCH;
	for (unsigned i = 0; i < PROCESS_MAX; i++) {
		struct process *process = process_table[i];
		if (process && process->pid == pid) {
			process_signal_deliver(process, signal);
			result = 0;
			break;
		}
	}
	spin_unlock_irqrestore(&process_table_lock, flags);
	return result;
}

bool user_return_signal_due(void)
{
	return process_signal_pending(process_current());
}

void process_signal_act(void)
{
	struct process *process = process_current();
	uint64_t due = process ? process_signal_due(process) : 0;

	if (!due)
		return;
	int signal = (due & SIGNAL_BIT(PROCESS_SIGNAL_KILL)) ?
			     PROCESS_SIGNAL_KILL : __builtin_ctzll(due) + 1;
	process_exit(signal);	/* the wait status of a killed process */
}

void user_return_signals(void)
{
	process_signal_act();
}
