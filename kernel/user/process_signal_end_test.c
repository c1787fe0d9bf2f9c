/*
 * ktest suite "user_process": a process that ends while a signal is being
 * delivered to it waits for the delivery to be done with its thread
 * (process_signal_deliver sets the signal pending and wakes the thread
 * under the process's signal_lock; process_tree_exit sets ended under the
 * same lock), so the thread cannot exit, be joined and freed under the
 * delivery's wait_cancel.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/lib/cpu.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/process_internal.h"
#include "kernel/user/user_test_util.h"

/* How long the program gets to block SIGUSR1 and say so (the case's
 * limit is three times this). */
#define SIGNAL_END_START_MS 30000u
/* How long the held delivery waits for the program to begin its end
 * (it spins a second after saying "blocked": the delivery must come
 * before, even on a loaded emulator). */
#define SIGNAL_END_EXIT_LIMIT_NS 5000000000ull
/* How long the delivery stays held once the program's end began: ended
 * would be set in microseconds without the lock. */
#define SIGNAL_END_HOLD_MS 50u
#define SIGNAL_END_USR1 10
/* The status the program ends with, as wait4 gives it (exit(3)). */
#define SIGNAL_END_STATUS (3 << 8)

/* What the case shares with the hook (static: the hook reads it). The
 * target is known by its pid: a hook left installed by an abandoned case
 * holds no later process (pids are not reused). */
static struct {
	int target_pid;
	volatile bool held;		/* the hook ran for the target */
	volatile bool end_began;	/* its exit began while held */
	volatile bool ended_while_held;
	volatile bool exited_while_held;
} signal_end;

/* process_signal_deliver_hook: holds the delivery to the target (its
 * signal_lock held, its thread not yet woken) until the program has
 * begun to end and SIGNAL_END_HOLD_MS more, then notes whether the
 * program got past setting ended or its thread exited meanwhile. It waits
 * as a lock's waiter does (spin_relax answers TLB shootdowns, which the
 * program's end sends to this CPU if it ran here). */
static void signal_end_hold(struct process *process)
{
	uint64_t end = time_uptime_ns() + SIGNAL_END_EXIT_LIMIT_NS;

	if (process->pid != signal_end.target_pid)
		return;
	signal_end.held = true;
	while (__atomic_load_n(&process->result.wait_status, __ATOMIC_ACQUIRE) == 0 &&
	       time_uptime_ns() < end)
		spin_relax();
	signal_end.end_began =
		__atomic_load_n(&process->result.wait_status, __ATOMIC_ACQUIRE) != 0;
	end = time_uptime_ns() + SIGNAL_END_HOLD_MS * 1000000ull;
	while (time_uptime_ns() < end)
		spin_relax();
	signal_end.ended_while_held = process_ended(process);
	signal_end.exited_while_held =
		__atomic_load_n(&process->thread->state, __ATOMIC_ACQUIRE) ==
		THREAD_EXITED;
}

/* The delivering thread, on another CPU than the program's. */
static void signal_end_deliver(void *argument)
{
	struct process *process = argument;
	struct process_signal_origin origin = { .code = PROCESS_SI_USER };

	process_signal_deliver(process, SIGNAL_END_USR1, &origin);
}

/* Starts /bin/process blocked-end and waits until it said "blocked":
 * the process, or NULL (having ended it) if it never did. */
static struct process *signal_end_start(struct user_test_output *output)
{
	const char *argv[] = { "process", "blocked-end", NULL };
	struct process_config config = user_test_config("/bin/process", argv, output);
	struct process *process;
	uint64_t end = time_uptime_ns() + SIGNAL_END_START_MS * 1000000ull;

	if (process_spawn(&config, &process) != 0)
		return NULL;
	while (!strstr(output->bytes, "blocked") && time_uptime_ns() < end)
		thread_sleep_ms(1);
	if (!strstr(output->bytes, "blocked")) {
		process_signal_send(process->pid, PROCESS_SIGNAL_KILL);
		process_wait(process, NULL);
		return NULL;
	}
	return process;
}

/* A signal's delivery held after making the signal pending, before it
 * wakes the thread (a test hook), on one CPU while the program, on
 * another, ends by itself: the program's end waits at setting ended
 * until the delivery is done, and its thread does not exit meanwhile.
 * Without signal_lock around ended's store, ended was set and the thread
 * exited under the held delivery, which then woke a thread its waiter
 * could have freed. */
KTEST_SLOW(user_process, ending_waits_for_a_delivery_in_flight,
	   3 * SIGNAL_END_START_MS)
{
	static struct user_test_output output;
	struct process_result result = { 0 };
	struct thread *deliverer;
	struct process *process;
	unsigned cpu;

	if (!initramfs_present())
		ktest_skip(t, "no initramfs module (tests/user programs)");
	if (cpu_count() < 2)
		ktest_skip(t, "one CPU: the program must end while the delivery "
			   "holds its CPU");
	memset(&output, 0, sizeof(output));
	memset(&signal_end, 0, sizeof(signal_end));
	process = signal_end_start(&output);
	KTEST_ASSERT(t, process != NULL);
	/* the program spins in user mode: on the CPU it runs on now */
	cpu = (__atomic_load_n(&process->thread->cpu, __ATOMIC_ACQUIRE) + 1) %
	      cpu_count();
	signal_end.target_pid = process->pid;
	process_signal_deliver_hook = signal_end_hold;
	deliverer = thread_create_on("signal-end", signal_end_deliver, process,
				     1ull << cpu);
	if (deliverer)
		thread_join(deliverer);
	process_signal_deliver_hook = NULL;
	process_wait(process, &result);
	KTEST_ASSERT(t, deliverer != NULL);
	KTEST_EXPECT(t, signal_end.held);
	KTEST_EXPECT(t, signal_end.end_began);
	KTEST_EXPECT(t, !signal_end.ended_while_held);
	KTEST_EXPECT(t, !signal_end.exited_while_held);
	KTEST_EXPECT_EQ(t, result.wait_status, SIGNAL_END_STATUS);
}
