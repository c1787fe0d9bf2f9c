/*
 * Ktests of the allocators under concurrency (suite alloc_smp): the
 * allocator torture (mm/alloc_torture.h) over kmalloc, a slab cache and
 * pmm_kernel, with slab debug on and off; afterwards no pattern changed,
 * nothing failed, and the frame and slab counters are back where they
 * were.
 *
 * Every online CPU runs it at once: one thread kept on each CPU (its
 * affinity), all started before any is joined, each emptying its CPU's
 * magazines at the end, so the counts settle once all are joined.
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/sched/sched.h"
#include "kernel/smp.h"
#include "mm/alloc_torture.h"
#include "mm/direct_map.h"
#include "mm/mm.h"
#include "mm/pmm.h"
#include "mm/slab.h"

/* Operations of all CPUs together (each CPU does its share): the same
 * work at any CPU count, since under TCG with more virtual CPUs than host
 * cores every lock handover and shootdown waits for the host to run the
 * CPU next in line (20000 per CPU on 8 CPUs of a 2-core host ran past
 * 60 s). */
#define ALLOC_SMP_OPERATIONS 40000u

static void *alloc_smp_frame_address(uint64_t phys)
{
	return phys_to_virt(phys);
}

/* The torture of the running case and how many CPUs finished it. */
static struct alloc_torture alloc_smp_torture;
static unsigned alloc_smp_finished;

/* What each CPU's thread runs: the worker on this CPU, then its magazines
 * emptied, so the counts can settle. */
static void alloc_torture_on_cpu(void *argument)
{
	struct alloc_torture *torture = argument;
	unsigned long flags = irq_save();
	unsigned cpu = cpu_current();

	irq_restore(flags);
	alloc_torture_worker(cpu, torture);
	slab_cpu_flush();
	__atomic_add_fetch(&alloc_smp_finished, 1, __ATOMIC_RELEASE);
}

/* Runs function(argument) on every online CPU at once, a thread kept on
 * each, and waits for all of them. */
static void alloc_smp_on_every_cpu(void (*function)(void *), void *argument)
{
	struct thread *threads[CONFIG_MAX_CPUS];
	unsigned cpus = cpu_count();

	for (unsigned cpu = 0; cpu < cpus; cpu++)
		threads[cpu] = thread_create_on("alloc_smp", function, argument,
						1ull << cpu);
	for (unsigned cpu = 0; cpu < cpus; cpu++)
		if (threads[cpu])
			thread_join(threads[cpu]);
}

/* Runs the torture on every online CPU at once. Returns how many CPUs
 * ran it. */
static unsigned alloc_torture_run_everywhere(struct alloc_torture *torture)
{
	__atomic_store_n(&alloc_smp_finished, 0, __ATOMIC_RELAXED);
	alloc_smp_on_every_cpu(alloc_torture_on_cpu, torture);
	return __atomic_load_n(&alloc_smp_finished, __ATOMIC_ACQUIRE);
}

static void alloc_smp_flush_here(void *argument)
{
	(void)argument;
	slab_cpu_flush();
}

/* Every CPU's magazines emptied and empty slabs given back, so the free
 * frame count means the same before and after. The threads that do it
 * make the stack slots' page tables the torture's threads reuse; their
 * records are freed by the joins, on whichever CPU this thread runs then
 * (an idle CPU may have taken it over while it waited), so every CPU's
 * magazines are emptied once more, through a call on each, after the
 * last join. */
static void alloc_smp_settle(void)
{
	alloc_smp_on_every_cpu(alloc_smp_flush_here, NULL);
	for (unsigned cpu = 0; cpu < cpu_count(); cpu++)
		smp_call_on(cpu, alloc_smp_flush_here, NULL);
	slab_reap();
}

static uint64_t alloc_smp_free_frames(void)
{
	struct pmm_stats stats;

	pmm_get_stats(&pmm_kernel, &stats);
	return stats.free_frames;
}

static void alloc_smp_case(struct ktest *t, bool debug, uint64_t seed)
{
	struct alloc_torture *torture = &alloc_smp_torture;
	bool debug_before = slab_debug_enabled();
	struct slab_cache_stats stats;
	struct slab_cache *cache;
	uint64_t frames_before;

	slab_debug_enable(debug);
	alloc_smp_settle();
	frames_before = alloc_smp_free_frames();
	cache = slab_cache_create("alloc_smp-200", 200, 0, NULL, NULL);
	KTEST_ASSERT(t, cache != NULL);

	*torture = (struct alloc_torture){
		.pmm = &pmm_kernel,
		.frame_address = alloc_smp_frame_address,
		.cache = cache,
		.cache_size = 200,
		.operations = ALLOC_SMP_OPERATIONS / cpu_count(),
		.seed = seed,
	};
	unsigned cpus = alloc_torture_run_everywhere(torture);
	alloc_torture_drain(torture);
	slab_cpu_flush();
	ktest_log(t, "debug %s: %u CPU(s), %u operations each, %llu objects "
		  "went through the exchange", debug ? "on" : "off", cpus,
		  ALLOC_SMP_OPERATIONS / cpu_count(),
		  (unsigned long long)torture->handed_over);

	KTEST_EXPECT_EQ(t, cpus, cpu_count());
	KTEST_EXPECT_EQ(t, torture->corruptions, 0);
	KTEST_EXPECT_EQ(t, torture->failures, 0);
	slab_cache_get_stats(cache, &stats);
	KTEST_EXPECT_EQ(t, stats.objects_active, 0);
	KTEST_EXPECT_EQ(t, stats.objects_in_magazines, 0);
	KTEST_EXPECT_EQ(t, stats.allocations, stats.frees);
	KTEST_EXPECT(t, stats.allocations > 0);
	KTEST_EXPECT_EQ(t, stats.findings, 0);
	slab_cache_destroy(cache);
	alloc_smp_settle();
	KTEST_EXPECT_EQ(t, alloc_smp_free_frames(), frames_before);
	slab_debug_enable(debug_before);
}

KTEST_SLOW(alloc_smp, torture_debug_on_no_corruption_no_leak, 180000)
{
	alloc_smp_case(t, true, 1);
}

KTEST_SLOW(alloc_smp, torture_magazines_no_corruption_no_leak, 180000)
{
	alloc_smp_case(t, false, 2);
}
