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
	options.pages = 32;
	options.clear_limit = 8;
	options.status_line = false;
	options.threads = cpus > 1 ? cpus : 2;
	/* The same accesses in all at any CPU count: each eviction is a
	 * shootdown round to every other CPU, and under TCG with more
	 * virtual CPUs than host cores a round waits for each target's turn
	 * on the host (measured: 8 threads of 600 accesses on 8 CPUs of a
	 * 2-core host ran past 120 s; 4 of 600 on 4 took 12 s). */
	options.accesses = 1200 / options.threads;
	KTEST_EXPECT(t, demo_run(&options));
	ktest_log(t, "%u threads ran on %u of %u CPUs", options.threads,
		  demo_last_cpus_used(), cpus);
	KTEST_EXPECT_EQ(t, demo_last_cpus_used(), cpus);
}
