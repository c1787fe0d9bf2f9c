/*
 * The shell's `threads`: the scheduler's threads (id, name, CPU, state,
 * run time), one key=value line each, as the other reports print. Figures
 * are snapshots read while the threads go on running. (`cpus` is in
 * shell_cmd_cpus.c.)
 */
#include "kernel/lib/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/shell/shell_internal.h"

#define SHELL_THREADS_CHUNK 8	/* snapshot this many at a time */

int shell_cmd_threads(int argc, char **argv)
{
	struct thread_info threads[SHELL_THREADS_CHUNK];
	uint64_t next_id = 0;
	unsigned printed = 0, left;

	(void)argv;
	if (argc != 1)
		return shell_usage_of("threads");
	/* A chunk at a time, so the list lock is never held while printing. */
	do {
		left = thread_snapshot(threads, SHELL_THREADS_CHUNK, next_id);
		unsigned got = left < SHELL_THREADS_CHUNK ? left : SHELL_THREADS_CHUNK;
		for (unsigned i = 0; i < got; i++) {
			/* One tick a millisecond (the 1 kHz timer). */
			printk("thread id=%llu name=%s cpu=%u state=%s "
			       "run_ms=%llu\n",
			       (unsigned long long)threads[i].id,
			       threads[i].name, threads[i].cpu,
			       thread_state_name(threads[i].state),
			       (unsigned long long)threads[i].run_ticks);
			next_id = threads[i].id + 1;
		}
		printed += got;
	} while (left > SHELL_THREADS_CHUNK);
	printk("threads: %u\n", printed);
	return SHELL_OK;
}
