/*
 * Signals between processes (process.h): sending one (kill, tgkill,
 * a child's end), the default actions, and acting on a pending signal on
 * the way back to user mode: ending the process, or entering the handler
 * rt_sigaction installed (the frame is the arch's: user_signal_push).
 *
 * A signal that is not ignored is made pending (signals_pending, atomic)
 * and its target woken from any wait (wait_cancel): a blocking call that
 * tests process_signal_pending returns -EINTR, or -ERESTARTSYS when the
 * call is one Linux restarts (pipe reads and writes, wait4, untimed futex
 * waits): as the signal is acted on, that code becomes a restart of the
 * call (its handler has SA_RESTART, or no handler runs) or -EINTR. A
 * target running in user mode acts at its next entry into the kernel (a
 * timer interrupt at the latest). One handler is entered per return to
 * user mode; the others wait for the next.
 *
 * A pending signal keeps its origin (sender, siginfo code, a child's
 * status) for the handler's siginfo; a second sending of a signal already
 * pending is merged into the first and keeps the first's origin, as Linux
 * keeps it for standard signals.
 *
 * Locking: a target is looked up and signalled under process_table_lock
 * or process_tree_lock (its record cannot be freed meanwhile); then its
 * signal_lock (the pending bits' changes, the origins, and the ended
 * flag's change: a delivery to a process not yet ended wakes its thread
 * before that thread can exit and be freed); then its wait queue's lock
 * (wait_cancel, signal_lock still held).
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/build_config.h"
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
#define SA_RESTART 0x10000000ull
#define SA_ONSTACK 0x08000000ull
#define SA_RESTORER 0x04000000ull
#define SA_NODEFER 0x40000000ull
#define SA_RESETHAND 0x80000000ull
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SIGNAL_UNBLOCKABLE (SIGNAL_BIT(PROCESS_SIGNAL_KILL) | SIGNAL_BIT(SIGNAL_STOP))

enum signal_disposition {
	SIGNAL_DROP,		/* ignored */
	SIGNAL_END,		/* ends the process */
	SIGNAL_HANDLE,		/* runs its handler */
};

/* Signals whose default action is to do nothing. Stopping is not
 * offered (no job control): the stop signals are ignored too. */
static const uint64_t process_signal_default_ignored =
	SIGNAL_BIT(PROCESS_SIGNAL_CHLD) | SIGNAL_BIT(SIGNAL_CONT) |
	SIGNAL_BIT(SIGNAL_STOP) | SIGNAL_BIT(SIGNAL_TSTP) |
	SIGNAL_BIT(SIGNAL_TTIN) | SIGNAL_BIT(SIGNAL_TTOU) |
	SIGNAL_BIT(SIGNAL_URG) | SIGNAL_BIT(SIGNAL_WINCH);

/* What signal does to process under its current action. */
static enum signal_disposition process_signal_disposition(
	const struct process *process, int signal)
{
	if (signal == PROCESS_SIGNAL_KILL)
		return SIGNAL_END;
	if (signal == SIGNAL_STOP)
		return SIGNAL_DROP;
	uint64_t handler = process->signal_actions[signal - 1].handler;
	if (handler == SIGNAL_HANDLER_IGNORE)
		return SIGNAL_DROP;
	if (handler != SIGNAL_HANDLER_DEFAULT)
		return SIGNAL_HANDLE;
	return (process_signal_default_ignored & SIGNAL_BIT(signal)) ?
		       SIGNAL_DROP : SIGNAL_END;
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

#if CONFIG_KTEST
void (*process_signal_deliver_hook)(struct process *process);
#endif

void process_signal_deliver(struct process *process, int signal,
			    const struct process_signal_origin *origin)
{
	if (signal == 0 || process_signal_disposition(process, signal) == SIGNAL_DROP)
		return;
	unsigned long flags = spin_lock_irqsave(&process->signal_lock);
	/* ended is set under this lock (process_tree_exit): a process not
	 * ended here cannot reach thread_exit, so its thread cannot be
	 * joined and freed, before the wait_cancel below is done with it */
	if (!__atomic_load_n(&process->ended, __ATOMIC_ACQUIRE)) {
		if (!(process->signals_pending & SIGNAL_BIT(signal)))
			process->signal_origins[signal - 1] = *origin;
		__atomic_or_fetch(&process->signals_pending, SIGNAL_BIT(signal),
				  __ATOMIC_RELEASE);
#if CONFIG_KTEST
		if (process_signal_deliver_hook)
			process_signal_deliver_hook(process);
#endif
		struct thread *thread = __atomic_load_n(&process->thread,
							__ATOMIC_ACQUIRE);
		if (thread)
			wait_cancel(thread);	/* its wait tests again */
	}
	spin_unlock_irqrestore(&process->signal_lock, flags);
}

struct process_signal_origin process_signal_origin_here(int code)
{
	struct process *sender = process_current();
	struct process_signal_origin origin = {
		.code = code, .pid = sender ? sender->pid : 0,
	};

	return origin;
}

int process_signal_send_code(int pid, int signal, int code)
{
	if (signal < 0 || signal > PROCESS_SIGNALS)
		return -USER_EINVAL;
	struct process_signal_origin origin = process_signal_origin_here(code);
	unsigned long flags = spin_lock_irqsave(&process_table_lock);
	int result = -USER_ESRCH;
	for (unsigned i = 0; i < PROCESS_MAX; i++) {
		struct process *process = process_table[i];
		if (process && process->pid == pid) {
			process_signal_deliver(process, signal, &origin);
			result = 0;
			break;
		}
	}
	spin_unlock_irqrestore(&process_table_lock, flags);
	return result;
}

int process_signal_send(int pid, int signal)
{
	return process_signal_send_code(pid, signal, PROCESS_SI_USER);
}

/* Takes signal off process's pending set: its origin. */
static struct process_signal_origin process_signal_take(struct process *process,
							int signal)
{
	unsigned long flags = spin_lock_irqsave(&process->signal_lock);
	struct process_signal_origin origin =
		process->signal_origins[signal - 1];

	__atomic_and_fetch(&process->signals_pending, ~SIGNAL_BIT(signal),
			   __ATOMIC_ACQ_REL);
	spin_unlock_irqrestore(&process->signal_lock, flags);
	return origin;
}

/* SA_RESTART (Linux's rules for -ERESTARTSYS): the interrupted system
 * call's result, if it asked to be restarted, becomes a restart of the
 * call when no handler runs (handler false) or the handler's action has
 * SA_RESTART, else -EINTR. Before the handler's frame is built, so the
 * frame saves the restarted state. */
static void process_signal_restart(bool handler, uint64_t action_flags)
{
	long result;

	if (!user_syscall_result(&result) || result != -USER_ERESTARTSYS)
		return;
	if (handler && !(action_flags & SA_RESTART))
		user_syscall_set_result(-USER_EINTR);
	else
		user_syscall_restart();
}

bool user_return_signal_due(void)
{
	return process_signal_pending(process_current());
}

/* Whether the user stack pointer is on process's alternate stack. */
static bool process_on_altstack(const struct process *process)
{
	uint64_t sp = user_stack_pointer();

	return process->altstack_size && sp > process->altstack_sp &&
	       sp <= process->altstack_sp + process->altstack_size;
}

/* Enters the handler of signal (blocked: the mask its frame restores):
 * false when the process cannot take it (no restorer, no room). */
static bool process_signal_handle(struct process *process, int signal,
				  uint64_t blocked,
				  const struct process_signal_origin *origin)
{
	struct process_signal_action *action = &process->signal_actions[signal - 1];
	bool on_altstack = process_on_altstack(process);
	struct user_signal_delivery delivery = {
		.signal = signal,
		.code = origin->code,
		.sender_pid = origin->pid,	/* si_uid 0: all are root */
		.status = origin->status,
		.handler = action->handler,
		.restorer = action->restorer,
		.blocked = blocked,
		.altstack_sp = process->altstack_sp,
		.altstack_size = process->altstack_size,
		.altstack_flags = !process->altstack_size ? SS_DISABLE
				  : on_altstack ? SS_ONSTACK : 0,
	};

	/* x86-64 handlers return through the restorer (libc's sets it). */
	if (!(action->flags & SA_RESTORER))
		return false;
	process_signal_restart(true, action->flags);
	if ((action->flags & SA_ONSTACK) && process->altstack_size &&
	    !on_altstack)
		delivery.stack_top = process->altstack_sp + process->altstack_size;
	if (user_signal_push(&delivery) != 0)
		return false;
	uint64_t mask = blocked | action->mask;
	if (!(action->flags & SA_NODEFER))
		mask |= SIGNAL_BIT(signal);
	process->signal_mask = mask & ~SIGNAL_UNBLOCKABLE;
	if (action->flags & SA_RESETHAND)
		action->handler = SIGNAL_HANDLER_DEFAULT;
	return true;
}

void process_signal_act(void)
{
	struct process *process = process_current();
	uint64_t due;

	while (process && (due = process_signal_due(process)) != 0) {
		int signal = (due & SIGNAL_BIT(PROCESS_SIGNAL_KILL)) ?
				     PROCESS_SIGNAL_KILL : __builtin_ctzll(due) + 1;
		struct process_signal_origin origin =
			process_signal_take(process, signal);
		enum signal_disposition disposition =
			process_signal_disposition(process, signal);
		if (disposition == SIGNAL_DROP)
			continue;	/* ignored since it was sent */
		if (disposition == SIGNAL_END)
			process_exit(signal);	/* a killed process's status */
		uint64_t blocked = process->mask_saved ? process->saved_mask
						       : process->signal_mask;
		process->mask_saved = false;
		if (!process_signal_handle(process, signal, blocked, &origin))
			process_exit(PROCESS_SIGNAL_SEGV);	/* as Linux does */
		return;
	}
	if (!process)
		return;
	process_signal_restart(false, 0);	/* no handler ran */
	if (process->mask_saved) {	/* rt_sigsuspend's, no handler run */
		process->signal_mask = process->saved_mask;
		process->mask_saved = false;
	}
}

void user_return_signals(void)
{
	process_signal_act();
}
