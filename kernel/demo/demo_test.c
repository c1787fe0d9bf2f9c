/*
 * ktest suite "demo": the demo's workload as threads on every CPU (run
 * demo threads=N): each thread's region filled, faulted in and out, every
 * page that came back checked against its checksum, on as many CPUs as
 * there are threads and CPUs.
 */
#include "kernel/demo/demo.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"

/* Slow: with several CPUs every eviction is a shootdown round to all of
 * them, and under TCG on a small host an IPI waits for its target's turn. */
KTEST_SLOW(demo, threads_on_every_cpu_verify_their_pages, 120000)
{
	struct demo_options options;
	unsigned cpus = cpu_count();

	demo_options_default(&options);
	options.pages = 64;
	options.clear_limit = 8;
	options.accesses = 600;
	options.status_line = false;
	options.threads = cpus > 1 ? cpus : 2;
	KTEST_EXPECT(t, demo_run(&options));
	ktest_log(t, "%u threads ran on %u of %u CPUs", options.threads,
		  demo_last_cpus_used(), cpus);
	KTEST_EXPECT_EQ(t, demo_last_cpus_used(), cpus);
}
