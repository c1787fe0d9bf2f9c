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
#include "kernel/smp.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/process.h"
#include "kernel/user/process_internal.h"
#include "mm/mm.h"
#include "mm/pmm.h"
#include "mm/slab.h"

#define PROCESS_TEST_OUTPUT 16384
#define PROCESS_TEST_SETTLE_MS 5000	/* orphans' last sleeps, and more */

struct process_test_output {
	char bytes[PROCESS_TEST_OUTPUT];
	size_t length;
	bool overflowed;
};

/* Every process of the tree writes here (fork copies the sink). */
static void process_test_capture(void *context, int fd, const char *bytes,
				 size_t length)
{
	struct process_test_output *output = context;

	(void)fd;
	if (length > sizeof(output->bytes) - 1 - output->length) {
		output->overflowed = true;
		length = sizeof(output->bytes) - 1 - output->length;
	}
	memcpy(output->bytes + output->length, bytes, length);
	output->length += length;
	output->bytes[output->length] = '\0';
}

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
	static struct process_test_output output;
	const char *argv[] = { "process", mode, NULL };
	struct process_config config = {
		.path = "/bin/process",
		.argv = argv,
		.output = process_test_capture,
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
	KTEST_EXPECT(t, !output.overflowed);
	const char *summary = strstr(output.bytes, "# checks ");
	unsigned long long checks = 0, passed = 0;
	KTEST_ASSERT(t, summary != NULL);
	for (const char *p = summary + 9; *p >= '0' && *p <= '9'; p++)
		checks = checks * 10 + (unsigned)(*p - '0');
	for (const char *line = output.bytes; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		passed += strncmp(line, "ok ", 3) == 0;
	}
	ktest_log(t, "%llu checks, %llu passed", checks, passed);
	KTEST_EXPECT_EQ(t, passed, checks);
	KTEST_EXPECT(t, strstr(summary, "failures 0") != NULL);
	for (char *line = strstr(output.bytes, "not ok"); line;
	     line = strstr(line + 1, "not ok")) {
		char *end = strchr(line, '\n');
		ktest_log(t, "%.*s", end ? (int)(end - line) : 40, line);
	}
	return checks;
}

static void process_test_flush_here(void *argument)
{
	(void)argument;
	slab_cpu_flush();
}

/* Free frames once every CPU's slab magazines are emptied. */
static uint64_t process_test_free_frames(void)
{
	struct pmm_stats stats;

	for (unsigned cpu = 0; cpu < cpu_count(); cpu++)
		smp_call_on(cpu, process_test_flush_here, NULL);
	slab_reap();
	pmm_get_stats(&pmm_kernel, &stats);
	return stats.free_frames;
}

/* The checks that start no child: wait4, kill, tgkill and execve errors,
 * getppid. */
KTEST(user_process, calls_without_children_answer_as_linux_does)
{
	KTEST_EXPECT(t, process_test_run(t, "alone") >= 25);
}

/* The whole program: fork, vfork, clone, execve, wait4 statuses, kills
 * of sleeping, spinning and waiting children, an orphan the kernel
 * reaps; run twice, the second run must give back every frame (the first
 * makes the page tables of the kernel stack slots its threads use). */
KTEST(user_process, fork_exec_wait_kill_give_everything_back)
{
	process_test_run(t, NULL);
	uint64_t before = process_test_free_frames();
	KTEST_EXPECT(t, process_test_run(t, NULL) >= 50);
	KTEST_EXPECT_EQ(t, process_test_free_frames(), before);
}
