/*
 * bench=ctxsw: what one thread-to-thread switch costs on one CPU. Two
 * threads pinned to the running CPU yield to each other; every yield is
 * one switch (schedule, the run queue lock, arch_thread_switch and back
 * out). Prints time_cycles() per switch as insns_per_switch: under QEMU
 * with -icount shift=0 the cycle counter counts instructions.
 */
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"

#define CTXSW_BENCH_YIELDS 100000u

struct ctxsw_bench {
	struct completion start;
	unsigned cpu;
	uint64_t first_cycles;	/* when the first thread began its yields */
	uint64_t first_switches;
	uint64_t last_cycles;	/* when the second thread finished */
	uint64_t last_switches;
	unsigned finished;
};

static void ctxsw_bench_thread(void *argument)
{
	struct ctxsw_bench *bench = argument;

	completion_wait(&bench->start);
	if (!bench->first_cycles) {
		bench->first_switches = sched_switch_count(bench->cpu);
		bench->first_cycles = time_cycles();
	}
	for (unsigned i = 0; i < CTXSW_BENCH_YIELDS; i++)
		thread_yield();
	if (++bench->finished == 2) {
		bench->last_cycles = time_cycles();
		bench->last_switches = sched_switch_count(bench->cpu);
	}
}

KBENCH(ctxsw)
{
	static struct ctxsw_bench bench;
	unsigned cpu = cpu_current();

	bench = (struct ctxsw_bench){ .cpu = cpu };
	completion_init(&bench.start, "ctxsw_bench_start");
	struct thread *a = thread_create_on("ctxsw-a", ctxsw_bench_thread,
					    &bench, 1ull << cpu);
	struct thread *b = thread_create_on("ctxsw-b", ctxsw_bench_thread,
					    &bench, 1ull << cpu);
	if (!a || !b) {
		ktest_bench_fail("ctxsw: cannot create two threads");
		if (a)
			thread_join(a);
		if (b)
			thread_join(b);
		return;
	}
	complete_all(&bench.start);
	thread_join(a);
	thread_join(b);
	uint64_t switches = bench.last_switches - bench.first_switches;
	if (switches < CTXSW_BENCH_YIELDS) {
		ktest_bench_fail("ctxsw: %llu switches for %u yields each",
				 (unsigned long long)switches, CTXSW_BENCH_YIELDS);
		return;
	}
	printk("bench ctxsw: cpu=%u yields=%u switches=%llu "
	       "insns_per_switch=%llu\n", cpu, 2 * CTXSW_BENCH_YIELDS,
	       (unsigned long long)switches,
	       (unsigned long long)((bench.last_cycles - bench.first_cycles) /
				    switches));
}
