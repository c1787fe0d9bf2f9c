/*
 * ktest suite "user_process" (with process_fork_test.c): code the runner
 * abandons while a program it started still runs leaves no process, no
 * thread and no frame behind (process_abandon.c, ktest.h's KTEST_CLEANUP).
 */
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/process.h"
#include "kernel/user/user_test_util.h"

/* How long the program gets to start its children and say so (the
 * case's limit is three times this). */
#define ABANDON_TEST_START_MS 30000u
/* The faulter's delay: the case's thread waits in process_wait by then. */
#define ABANDON_TEST_FAULT_MS 20u
/* The vector of #UD, the faulter's exception. */
#define ABANDON_TEST_INVALID_OPCODE 6

/* What the abandoned function shares with the case. */
struct abandon_test {
	struct user_test_output output;
	bool spinning;		/* the program said it spins, children made */
};

/* A thread of the abandoned code: an exception a moment later, which
 * abandons the code (its owner waits in process_wait meanwhile). */
static void abandon_test_fault_soon(void *argument)
{
	(void)argument;
	thread_sleep_ms(ABANDON_TEST_FAULT_MS);
	__asm__ __volatile__("ud2");
}

/* Starts /bin/process spin, waits until it says it spins with its two
 * children, starts the faulter and waits for the program, which never
 * ends: the fault abandons this function inside process_wait. Returns
 * (the case then fails) only if the program never said it spins, or no
 * faulter started, having killed the program (its children end as
 * orphans, reaped by the kernel). */
static void abandon_test_spawn_and_wait(void *argument)
{
	struct abandon_test *test = argument;
	const char *argv[] = { "process", "spin", NULL };
	struct process_config config = user_test_config("/bin/process", argv,
							&test->output);
	struct process *process;
	uint64_t end = time_uptime_ns() + ABANDON_TEST_START_MS * 1000000ull;

	if (process_spawn(&config, &process) != 0)
		return;
	while (!strstr(test->output.bytes, "spinning") && time_uptime_ns() < end)
		thread_sleep_ms(5);
	test->spinning = strstr(test->output.bytes, "spinning") != NULL;
	if (!test->spinning || !thread_create("abandon-faulter",
					      abandon_test_fault_soon, NULL)) {
		/* nothing abandons this: end the program here */
		process_signal_send(process->pid, PROCESS_SIGNAL_KILL);
		process_wait(process, NULL);
		return;
	}
	process_wait(process, NULL);
}

/* One abandoned run: the program and its children were ended, nothing
 * is left. */
static void abandon_test_run(struct ktest *t)
{
	static struct abandon_test test;
	struct ktest_trap trap;
	unsigned threads_before = thread_snapshot(NULL, 0, 0);

	memset(&test, 0, sizeof(test));
	KTEST_EXPECT(t, ktest_catch(abandon_test_spawn_and_wait, &test, &trap));
	KTEST_EXPECT(t, test.spinning);
	KTEST_EXPECT_EQ(t, trap.vector, ABANDON_TEST_INVALID_OPCODE);
	KTEST_EXPECT_EQ(t, process_count(), 0);
	KTEST_EXPECT_EQ(t, thread_snapshot(NULL, 0, 0), threads_before);
}

/* A program the runner abandons, with a child asleep and one spinning,
 * is ended with its children: no process and no thread is left, and
 * (run twice: the first run makes the page tables of the kernel stack
 * slots its threads use) every frame comes back. Without the cleanup the
 * three processes were left running and every later case that starts a
 * program failed. */
KTEST_SLOW(user_process, abandoned_code_leaves_no_process,
	   3 * ABANDON_TEST_START_MS)
{
	if (!initramfs_present())
		ktest_skip(t, "no initramfs module (tests/user programs)");
	KTEST_ASSERT(t, process_count() == 0);
	abandon_test_run(t);
	uint64_t before = user_test_free_frames();
	abandon_test_run(t);
	KTEST_EXPECT_EQ(t, user_test_free_frames(), before);
}
