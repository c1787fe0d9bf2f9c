/*
 * ktest suite "user_process": the process calls from user mode
 * (tests/user/process.c, a KTAP line per check): fork, execve, wait4,
 * kill, tgkill, exit_group, getppid; then everything every process of the
 * tree held (orphans included, reaped by the kernel) is given back; and
 * that a vfork child copies nothing of its parent's memory.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/process.h"
#include "kernel/user/user_test_util.h"
#include "kernel/user/process_internal.h"
#include "mm/mm.h"
#include "mm/slab.h"

#define PROCESS_TEST_SETTLE_MS 5000	/* orphans' last sleeps, and more */

#define PROCESS_TEST_SHOWN_MAX 16	/* processes and threads logged */

/* Logs the processes left and every thread's state: what a settle that
 * timed out leaves to read in the boot's log. */
static void process_test_log_left(struct ktest *t)
{
	static struct process_info left[PROCESS_TEST_SHOWN_MAX];
	static struct thread_info threads[PROCESS_TEST_SHOWN_MAX * 4];
	unsigned count = process_snapshot(left, PROCESS_TEST_SHOWN_MAX);

	for (unsigned i = 0; i < count && i < PROCESS_TEST_SHOWN_MAX; i++)
		ktest_log(t, "left: pid %d %s memory-of %d", left[i].pid,
			  left[i].name, left[i].memory_of);
	count = thread_snapshot(threads, PROCESS_TEST_SHOWN_MAX * 4, 0);
	for (unsigned i = 0; i < count && i < PROCESS_TEST_SHOWN_MAX * 4; i++)
		ktest_log(t, "thread %llu %s cpu %u %s",
			  (unsigned long long)threads[i].id, threads[i].name,
			  threads[i].cpu, thread_state_name(threads[i].state));
}

/* Waits until no process is left (the orphans reaped): false on time out,
 * with what was left logged. */
static bool process_test_settle(struct ktest *t)
{
	for (unsigned ms = 0; ms < PROCESS_TEST_SETTLE_MS; ms += 10) {
		process_reap_orphans();
		if (process_count() == 0)
			return true;
		thread_sleep_ms(10);
	}
	process_test_log_left(t);
	return false;
}

#define PROCESS_TEST_STUCK_MS 60000	/* half the longest case's limit */
#define PROCESS_TEST_TAIL_LINES 6	/* of the output, logged if stuck */

/* Logs the last lines of output (where the program's checks got to). */
static void process_test_log_tail(struct ktest *t,
				  const struct user_test_output *output)
{
	size_t start = output->length, lines = 0;

	while (start > 0 && lines <= PROCESS_TEST_TAIL_LINES)
		lines += output->bytes[--start] == '\n';
	if (output->bytes[start] == '\n')
		start++;
	for (size_t at = start; at < output->length;) {
		size_t end = at;
		while (end < output->length && output->bytes[end] != '\n')
			end++;
		ktest_log(t, "output: %.*s", (int)(end - at), output->bytes + at);
		at = end + 1;
	}
}

/* Waits for process to end, up to PROCESS_TEST_STUCK_MS; past that, logs
 * its output's last lines, the processes left and where every thread
 * made since first_thread waits (the case's limit abandons it later).
 * Whether it ended in time. */
static bool process_test_await(struct ktest *t, struct process *process,
			       const struct user_test_output *output,
			       uint64_t first_thread)
{
	/* by the clock: on a loaded machine a 10 ms sleep takes longer */
	uint64_t end = time_uptime_ns() + PROCESS_TEST_STUCK_MS * 1000000ull;

	while (time_uptime_ns() < end) {
		if (process_ended(process))
			return true;
		thread_sleep_ms(10);
	}
	ktest_log(t, "pid %d still running after %u ms", process->pid,
		  PROCESS_TEST_STUCK_MS);
	process_test_log_tail(t, output);
	process_test_log_left(t);
	thread_print_waiting(first_thread);
	return false;
}

/* Looks at a process while it runs (the test's own thread). */
typedef void (*process_test_watch_fn)(struct ktest *t, struct process *process);

/* Runs /bin/process with mode (NULL: every check), watched by watch (may
 * be NULL) before it is waited for, checks its summary line says every
 * check passed; returns the checks counted, and in *out (may be NULL)
 * how it ended. */
static unsigned long long process_test_run_watched(struct ktest *t,
						   const char *mode,
						   process_test_watch_fn watch,
						   struct process_result *out)
{
	static struct user_test_output output;
	const char *argv[] = { "process", mode, NULL };
	struct process_config config = user_test_config("/bin/process", argv, &output);
	struct process *process;
	struct process_result ended;

	memset(&output, 0, sizeof(output));
	if (!initramfs_present())
		ktest_skip(t, "no initramfs module (tests/user programs)");
	KTEST_ASSERT(t, process_count() == 0);
	uint64_t first_thread = thread_next_id();
	KTEST_ASSERT(t, process_spawn(&config, &process) == 0);
	if (watch)
		watch(t, process);
	KTEST_EXPECT(t, process_test_await(t, process, &output, first_thread));
	process_wait(process, &ended);
	KTEST_EXPECT(t, process_test_settle(t));
	KTEST_EXPECT_EQ(t, ended.wait_status, PROCESS_STATUS_EXITED(0));
	unsigned long long checks = user_test_check_summary(t, &output);
	if (out)
		*out = ended;
	return checks;
}

static unsigned long long process_test_run(struct ktest *t, const char *mode)
{
	return process_test_run_watched(t, mode, NULL, NULL);
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
 * delay): a longer limit than the default. The limit catches a hang,
 * not slowness: the case takes 6 s alone on 8 CPUs under TCG, 23 s
 * beside another such boot on two host cores, and a case abandoned at
 * its limit leaves processes that fail the cases after it. */
KTEST_SLOW(user_process, fork_exec_wait_kill_give_everything_back, 120000)
{
	process_test_run(t, NULL);
	uint64_t before = user_test_free_frames();
	KTEST_EXPECT(t, process_test_run(t, NULL) >= 50);
	KTEST_EXPECT_EQ(t, user_test_free_frames(), before);
}

/* Pages the copy modes of tests/user/process.c touch (TOUCH_PAGES). */
#define PROCESS_TEST_TOUCHED_PAGES 64

/* A vfork child runs in its parent's memory: it copies no page. The
 * program's copy modes make TOUCH_PAGES pages present, then a child
 * (fork's or vfork's) writes each. After fork, the counters show the
 * copies (the pages shared copy-on-write, the child's writes copying
 * them); after vfork, none, and the child has no figures of its own (the
 * tree's figures are the parent's alone: its faults, if any, were
 * served in the parent's regions). Every frame is back after both ended. */
KTEST_SLOW(user_process, vfork_child_copies_no_page, 20000)
{
	struct process_result forked, vforked;

	process_test_run_watched(t, "fork-pages", NULL, &forked);
	KTEST_EXPECT(t, forked.tree_stats.shares >= PROCESS_TEST_TOUCHED_PAGES);
	KTEST_EXPECT(t, forked.tree_stats.shared_copies >=
			PROCESS_TEST_TOUCHED_PAGES);
	process_test_run(t, "vfork-pages");	/* the kernel stacks' tables */
	uint64_t before = user_test_free_frames();
	KTEST_EXPECT(t, process_test_run_watched(t, "vfork-pages", NULL,
					       &vforked) >= 2);
	KTEST_EXPECT_EQ(t, vforked.tree_stats.shares, 0);
	KTEST_EXPECT_EQ(t, vforked.tree_stats.shared_copies, 0);
	KTEST_EXPECT_EQ(t, vforked.tree_stats.faults, vforked.stats.faults);
	KTEST_EXPECT_EQ(t, vforked.tree_stats.zero_fills,
			vforked.stats.zero_fills);
	KTEST_EXPECT(t, vforked.stats.zero_fills >= PROCESS_TEST_TOUCHED_PAGES);
	KTEST_EXPECT_EQ(t, user_test_free_frames(), before);
}

#define PROCESS_TEST_WATCH_MS 5000	/* for the vfork child to show up */

/* process's entry and its vfork child's in ps, once the child is there
 * (false when it never showed within PROCESS_TEST_WATCH_MS). */
static bool process_test_find_vfork(const struct process *process,
				    struct process_info *parent,
				    struct process_info *child)
{
	static struct process_info live[16];

	for (unsigned ms = 0; ms < PROCESS_TEST_WATCH_MS; ms++) {
		unsigned count = process_snapshot(live, 16);
		bool found_child = false, found_parent = false;
		for (unsigned i = 0; i < count && i < 16; i++) {
			if (live[i].memory_of == process->pid) {
				*child = live[i];
				found_child = true;
			} else if (live[i].pid == process->pid) {
				*parent = live[i];
				found_parent = true;
			}
		}
		if (found_child && found_parent)
			return true;
		thread_sleep_ms(1);
	}
	return false;
}

/* ps while the vfork child of "vfork-holds" sleeps in its parent's
 * memory: the child names the parent's memory and has no figures of its
 * own (they are the parent's, counted there once). */
static void process_test_watch_vfork(struct ktest *t, struct process *process)
{
	struct process_info parent, child;

	KTEST_ASSERT(t, process_test_find_vfork(process, &parent, &child));
	KTEST_EXPECT_EQ(t, child.memory_of, process->pid);
	KTEST_EXPECT_EQ(t, parent.memory_of, 0);
	KTEST_EXPECT_EQ(t, child.faults, 0);
	KTEST_EXPECT_EQ(t, child.seals, 0);
	KTEST_EXPECT_EQ(t, child.sealed_pages, 0);
	KTEST_EXPECT_EQ(t, child.clear_pages, 0);
	KTEST_EXPECT(t, parent.clear_pages >= PROCESS_TEST_TOUCHED_PAGES);
	KTEST_EXPECT(t, parent.faults >= PROCESS_TEST_TOUCHED_PAGES);
	KTEST_EXPECT(t, strcmp(child.scheme, parent.scheme) == 0);
}

KTEST_SLOW(user_process, vfork_child_in_ps_counts_nothing_twice, 20000)
{
	KTEST_EXPECT(t, process_test_run_watched(t, "vfork-holds",
						 process_test_watch_vfork,
						 NULL) >= 2);
}
