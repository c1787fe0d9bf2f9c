/*
 * Ktests of per-CPU memory (mm/mm_cpu.c): mm_cpu_prepare allocates a CPU's
 * buffers once, refuses indices past CONFIG_MAX_CPUS, and the boot CPU was
 * prepared by mm_init. The case prepares the last possible CPU, which the
 * test machines (at most 8 CPUs) never start; its buffers stay, ready for
 * that CPU should it ever start.
 */
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "mm/mm.h"
#include "mm/pmm.h"

static uint64_t mm_cpu_test_free_frames(void)
{
	struct pmm_stats stats;

	pmm_get_stats(&pmm_kernel, &stats);
	return stats.free_frames;
}

KTEST(mm_cpu, prepare_allocates_once_per_cpu)
{
	unsigned last = CONFIG_MAX_CPUS - 1;

	KTEST_EXPECT(t, !mm_cpu_prepare(CONFIG_MAX_CPUS));
	uint64_t before = mm_cpu_test_free_frames();
	KTEST_EXPECT(t, mm_cpu_prepare(0));	/* done by mm_init: no new memory */
	KTEST_EXPECT_EQ(t, mm_cpu_test_free_frames(), before);

	KTEST_ASSERT(t, cpu_count() < CONFIG_MAX_CPUS);	/* `last` never started */
	KTEST_EXPECT(t, mm_cpu_prepare(last));
	uint64_t after_first = mm_cpu_test_free_frames();
	ktest_log(t, "preparing CPU %u took %llu frames", last,
		  (unsigned long long)(before - after_first));
	KTEST_EXPECT(t, after_first < before);
	KTEST_EXPECT(t, mm_cpu_prepare(last));	/* again: nothing more */
	KTEST_EXPECT_EQ(t, mm_cpu_test_free_frames(), after_first);
}
