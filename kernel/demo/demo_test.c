/*
 * ktest suite "demo": the demo's workload as threads on every CPU (run
 * demo threads=N): each thread's region filled, faulted in and out, every
 * page that came back checked against its checksum, on as many CPUs as
 * there are threads and CPUs.
 */
#include "kernel/demo/demo.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"

KTEST(demo, threads_on_every_cpu_verify_their_pages)
{
	struct demo_options options;
	unsigned cpus = cpu_count();

	demo_options_default(&options);
	options.pages = 128;
	options.clear_limit = 16;
	options.accesses = 1500;
	options.status_line = false;
	options.threads = cpus > 1 ? cpus : 2;
	KTEST_EXPECT(t, demo_run(&options));
	ktest_log(t, "%u threads ran on %u of %u CPUs", options.threads,
		  demo_last_cpus_used(), cpus);
	KTEST_EXPECT_EQ(t, demo_last_cpus_used(), cpus);
}
