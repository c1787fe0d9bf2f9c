/*
 * bench=ctxsw: what one thread-to-thread switch costs on one CPU. Two
 * threads pinned to the running CPU yield to each other; every yield is
 * one switch (schedule, the run queue lock, arch_thread_switch and back
 * out). The figure is time_cycles() over the whole run divided by the
 * switches the CPU made in it (the main thread's few switches into and
 * out of its join are among them), printed as insns_per_switch: under
 * QEMU with -icount shift=0 the cycle counter counts instructions.
 */
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"

#define CTXSW_BENCH_YIELDS 100000u

static struct completion ctxsw_bench_start;

static void ctxsw_bench_thread(void *argument)
{
	(void)argument;
	completion_wait(&ctxsw_bench_start);
	for (unsigned i = 0; i < CTXSW_BENCH_YIELDS; i++)
		thread_yield();
}

KBENCH(ctxsw)
{
	unsigned cpu = cpu_current();
	struct thread *threads[2];

	completion_init(&ctxsw_bench_start, "ctxsw_bench_start");
	for (unsigned i = 0; i < 2; i++)
		threads[i] = thread_create_on("ctxsw", ctxsw_bench_thread, NULL,
					      1ull << cpu);
	uint64_t switches = sched_switch_count(cpu);
	uint64_t start = time_cycles();
	complete_all(&ctxsw_bench_start);
	for (unsigned i = 0; i < 2; i++) {
		if (threads[i])
			thread_join(threads[i]);
	}
	uint64_t cycles = time_cycles() - start;
	switches = sched_switch_count(cpu) - switches;
	if (!threads[0] || !threads[1] || switches < 2 * CTXSW_BENCH_YIELDS) {
		ktest_bench_fail("ctxsw: no two threads, or %llu switches for "
				 "%u yields", (unsigned long long)switches,
				 2 * CTXSW_BENCH_YIELDS);
		return;
	}
	printk("bench ctxsw: cpu=%u switches=%llu insns_per_switch=%llu\n",
	       cpu, (unsigned long long)switches,
	       (unsigned long long)(cycles / switches));
}
