/*
 * The shell's `threads` and `cpus` commands: the scheduler's threads (id,
 * name, CPU, state, run time) and the CPUs (index, APIC id, state, ticks,
 * idle share, thread switches), one key=value line each, as the other
 * reports print. Figures are snapshots read while the threads and CPUs go
 * on running.
 */
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/shell/shell_internal.h"

#define SHELL_THREADS_CHUNK 8	/* snapshot this many at a time */

static const char *shell_cpu_state_name(enum cpu_state state)
{
	switch (state) {
	case CPU_ABSENT: return "absent";
	case CPU_STARTING: return "starting";
	case CPU_ONLINE: return "online";
	case CPU_FAILED: return "failed";
	case CPU_STOPPED: return "stopped";
	}
	return "?";
}

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

int shell_cmd_cpus(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return shell_usage_of("cpus");
	unsigned count = cpu_count();
	for (unsigned i = 0; i < count; i++) {
		const struct cpu_local *cpu = cpu_local_of(i);
		uint64_t ticks = cpu->ticks, idle = cpu->idle_ticks;
		printk("cpu index=%u apic_id=%u state=%s ticks=%llu "
		       "idle_pct=%llu switches=%llu\n", i, cpu->apic_id,
		       shell_cpu_state_name(cpu->state),
		       (unsigned long long)ticks,
		       (unsigned long long)(ticks ? idle * 100 / ticks : 0),
		       (unsigned long long)sched_switch_count(i));
	}
	printk("cpus: %u online\n", count);
	return SHELL_OK;
}
