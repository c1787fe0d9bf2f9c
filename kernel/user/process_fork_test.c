/*
 * ktest suite "user_process": the process calls from user mode
 * (tests/user/process.c, a KTAP line per check): fork, execve, wait4,
 * kill, tgkill, exit_group, getppid; then everything every process of the
 * tree held (orphans included, reaped by the kernel) is given back.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/process.h"
#include "kernel/user/user_test_util.h"
#include "kernel/user/process_internal.h"
#include "mm/mm.h"
#include "mm/slab.h"

#define PROCESS_TEST_SETTLE_MS 5000	/* orphans' last sleeps, and more */

/* Waits until no process is left (the orphans reaped): false on time out. */
static bool process_test_settle(void)
{
	for (unsigned ms = 0; ms < PROCESS_TEST_SETTLE_MS; ms += 10) {
		process_reap_orphans();
		if (process_count() == 0)
			return true;
		thread_sleep_ms(10);
	}
	return false;
}

/* Runs /bin/process with mode (NULL: every check), checks its summary
 * line says every check passed; returns the checks counted. */
static unsigned long long process_test_run(struct ktest *t, const char *mode)
{
	static struct user_test_output output;
	const char *argv[] = { "process", mode, NULL };
	struct process_config config = {
		.path = "/bin/process",
		.argv = argv,
		.output = user_test_capture,
		.output_context = &output,
		.input = "",
	};
	struct process *process;
	struct process_result ended;

	memset(&output, 0, sizeof(output));
	if (!initramfs_present())
		ktest_skip(t, "no initramfs module (tests/user programs)");
	KTEST_ASSERT(t, process_count() == 0);
	KTEST_ASSERT(t, process_spawn(&config, &process) == 0);
	process_wait(process, &ended);
	KTEST_EXPECT(t, process_test_settle());
	KTEST_EXPECT_EQ(t, ended.wait_status, PROCESS_STATUS_EXITED(0));
	unsigned long long checks = user_test_check_summary(t, &output);
	return checks;
}


/* The checks that start no child: wait4, kill, tgkill and execve errors,
 * getppid. */
KTEST(user_process, calls_without_children_answer_as_linux_does)
{
	KTEST_EXPECT(t, process_test_run(t, "alone") >= 25);
}

/* The whole program: fork, vfork (the parent suspended until the child
 * ends or execs), clone, execve, wait4 statuses, kills of sleeping,
 * spinning and waiting children, an orphan the kernel reaps, SA_RESTART
 * and siginfo's sender; run twice, the second run must give back every
 * frame (the first makes the page tables of the kernel stack slots its
 * threads use). Its children sleep on purpose (signals sent after a
 * delay): a longer limit than the default. */
KTEST_SLOW(user_process, fork_exec_wait_kill_give_everything_back, 30000)
{
	process_test_run(t, NULL);
	uint64_t before = user_test_free_frames();
	KTEST_EXPECT(t, process_test_run(t, NULL) >= 50);
	KTEST_EXPECT_EQ(t, user_test_free_frames(), before);
}
