/*
 * Ending the processes of an abandoned ktest case (ktest.h's
 * KTEST_CLEANUP): a case that times out, faults or fails an assertion
 * while a program it started still runs leaves that program behind, and
 * the runner's stop of the case's threads would end the program's thread
 * as a bare kernel thread: its memory, its record and its pid would never
 * go back, and the cases after it would count them. So before that stop,
 * every process made since the case's mark is sent SIGKILL and ends
 * through its own exit path (its memory goes back there); the processes
 * the case's own thread spawned, which that thread will never wait for
 * now, are handed to the kernel's orphan reaping; and the orphans are
 * reaped (their threads joined) until none of those processes is left.
 * One still there after PROCESS_ABANDON_WAIT_MS (a thread stuck in the
 * kernel, or a record another of the case's threads was to free) is
 * said and left to the thread stop.
 *
 * Locking: process_table_lock to find the processes (never with
 * process_tree_lock, which process_tree_disown takes alone).
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/user/process_internal.h"

/* How long the killed processes get to end: a killed process acts at its
 * next return towards user mode (a tick away for one that spins there),
 * then gives its memory back, which takes a while for a large one on a
 * loaded TCG machine. */
#define PROCESS_ABANDON_WAIT_MS 5000u

/* Sends SIGKILL to every process with a pid of first_pid or more that
 * has not ended; returns how many. */
static unsigned process_abandon_kill(int first_pid)
{
	const struct process_signal_origin origin = { .code = PROCESS_SI_USER };
	unsigned long flags = spin_lock_irqsave(&process_table_lock);
	unsigned killed = 0;

	for (unsigned i = 0; i < PROCESS_MAX; i++) {
		struct process *process = process_table[i];

		if (!process || process->pid < first_pid || process_ended(process))
			continue;
		process_signal_deliver(process, PROCESS_SIGNAL_KILL, &origin);
		killed++;
	}
	spin_unlock_irqrestore(&process_table_lock, flags);
	return killed;
}

/* One process the calling thread spawned with a pid of first_pid or
 * more that it has not disowned, or NULL. */
static struct process *process_abandon_find_mine(int first_pid)
{
	struct process *found = NULL;
	unsigned long flags = spin_lock_irqsave(&process_table_lock);

	for (unsigned i = 0; i < PROCESS_MAX && !found; i++) {
		struct process *process = process_table[i];

		if (process && process->pid >= first_pid && process->spawned &&
		    process->spawner == thread_current())
			found = process;
	}
	spin_unlock_irqrestore(&process_table_lock, flags);
	return found;
}

/* Hands the processes the calling thread spawned with a pid of first_pid
 * or more to the orphan reaping: that thread's waits were abandoned, and
 * only it would have freed them (so each stays alive after the table's
 * lock is dropped, until disowned). Another thread's spawns are left to
 * that thread (it may still be in process_wait, which frees them). One
 * at a time, without a list: this runs in the little stack room a
 * catcher's cleanup has (ktest.c). */
static void process_abandon_disown(int first_pid)
{
	struct process *process;

	while ((process = process_abandon_find_mine(first_pid)))
		process_tree_disown(process);
}

/* How many processes with a pid of first_pid or more are in the table
 * (ended ones not yet freed included). A record leaves the table only
 * once its thread was joined, so at 0 none of their threads is left for
 * the runner's thread stop, which would join one a second time. */
static unsigned process_abandon_left(int first_pid)
{
	unsigned long flags = spin_lock_irqsave(&process_table_lock);
	unsigned left = 0;

	for (unsigned i = 0; i < PROCESS_MAX; i++) {
		struct process *process = process_table[i];

		left += process && process->pid >= first_pid;
	}
	spin_unlock_irqrestore(&process_table_lock, flags);
	return left;
}

/* Ends every process with a pid of first_pid or more (see the top) and
 * waits until all are freed: each pass kills again (a child a dying
 * parent was forking registers after a pass, without the signal),
 * disowns and reaps. Returns how many were running at the first pass
 * and are gone. May sleep. */
static unsigned process_abandon_from(int first_pid)
{
	uint64_t end = time_uptime_ns() + PROCESS_ABANDON_WAIT_MS * 1000000ull;
	unsigned running = process_abandon_kill(first_pid), left;

	for (;;) {
		process_abandon_disown(first_pid);
		process_reap_orphans();
		left = process_abandon_left(first_pid);
		if (!left || time_uptime_ns() >= end)
			break;
		thread_sleep_ms(10);
		process_abandon_kill(first_pid);
	}
	if (left)
		printk("        # %u process(es) of the abandoned code still "
		       "there after %u ms: their threads are stopped bare\n",
		       left, PROCESS_ABANDON_WAIT_MS);
	return running > left ? running - left : 0;
}

static uint64_t process_abandon_mark(void)
{
	return (uint64_t)process_next_pid_peek();
}

static unsigned process_abandon_cleanup(uint64_t mark)
{
	return process_abandon_from((int)mark);
}

KTEST_CLEANUP(processes, process_abandon_mark, process_abandon_cleanup);
