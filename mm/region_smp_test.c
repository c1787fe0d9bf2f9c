/*
 * ktest suite "region_smp": region faults from several CPUs at once
 * (docs/tlb-events.md, "Concurrent faults and the stale-TLB detector").
 * Several CPUs fault on the same sealed page at the same moment: one of
 * them restores it, the others find it present once they get the region's
 * lock and retry; every one reads the right content. Then faults on
 * distinct pages in parallel, with 1, 2 and 4 threads: the region's
 * counters equal the sum of what each thread did, and the fault rate is
 * printed (the region's lock, held over each restore, serialises them).
 * Run on two CPUs or more when asked (mm/tlb_stale_test.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "mm/region.h"
#include "mm/region_test_util.h"
#include "mm/tlb_stale_test.h"

#define REGION_SMP_THREADS_MAX 4u
#define REGION_SMP_SAME_ROUNDS 100u
#define REGION_SMP_OWN_PAGES 16u	/* pages per thread, distinct pages */
#define REGION_SMP_RATE_ROUNDS 10u

/* A reusable barrier for threads pinned on distinct CPUs (they spin). */
struct region_smp_barrier {
	unsigned parties;
	unsigned count, generation;	/* atomics */
};

static void region_smp_barrier_wait(struct region_smp_barrier *barrier)
{
	unsigned generation = __atomic_load_n(&barrier->generation, __ATOMIC_ACQUIRE);

	if (__atomic_add_fetch(&barrier->count, 1, __ATOMIC_ACQ_REL) ==
	    barrier->parties) {
		__atomic_store_n(&barrier->count, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&barrier->generation, generation + 1,
				 __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&barrier->generation, __ATOMIC_ACQUIRE) == generation)
		spin_relax();
}

static unsigned region_smp_threads(unsigned wanted)
{
	unsigned cpus = cpu_count();

	return wanted < cpus ? wanted : cpus;
}

/* Starts fn(&args[i]) pinned on CPU i for i < count, then joins them all;
 * false when a thread could not be made (the others then wait at the
 * barrier for it: the case's watchdog ends them). */
static bool region_smp_run(const char *name, void (*fn)(void *), void *args,
			   size_t arg_size, unsigned count,
			   struct region_smp_barrier *barrier)
{
	struct thread *threads[REGION_SMP_THREADS_MAX] = { 0 };
	unsigned made = 0;

	barrier->parties = count;
	for (; made < count; made++) {
		threads[made] = thread_create_on(name, fn,
						 (char *)args + made * arg_size,
						 1ull << made);
		if (!threads[made])
			break;
	}
	for (unsigned i = 0; i < made; i++)
		thread_join(threads[i]);
	return made == count;
}

/* ---- the same sealed page, every CPU at once ----------------------------- */

struct region_smp_same {
	struct region *region;
	struct region_smp_barrier barrier;
	unsigned threads;
	/* Counted by thread 0 (the coordinator) and by every reader. */
	unsigned bad_restores, bad_faults, not_sealed;	/* rounds */
	unsigned wrong_reads, overlapped;		/* atomics */
	uint64_t read_start[REGION_SMP_THREADS_MAX], read_end[REGION_SMP_THREADS_MAX];
};

struct region_smp_same_arg {
	struct region_smp_same *test;
	unsigned index;
};

static uint64_t region_smp_word(unsigned round, unsigned word)
{
	return ((uint64_t)round << 32) | (word * 0x9e37u);
}

/* Thread 0: writes the round's content, seals the page. */
static void region_smp_same_prepare(struct region_smp_same *test,
				    unsigned round, struct region_stats *before)
{
	uint64_t *words = region_page_address(test->region, 0);

	for (unsigned i = 0; i < 512; i++)
		words[i] = region_smp_word(round, i);
	if (region_purge_page(test->region, 0) != REGION_OK ||
	    region_page_state(test->region, 0) != REGION_SEALED)
		test->not_sealed++;
	region_get_stats(test->region, before);
}

/* Every thread: the page's words, the first one faulting. */
static void region_smp_same_read(struct region_smp_same *test, unsigned index,
				 unsigned round)
{
	const volatile uint64_t *words = region_page_address(test->region, 0);
	unsigned wrong = 0;

	test->read_start[index] = time_uptime_ns();
	uint64_t first = words[0];
	test->read_end[index] = time_uptime_ns();
	wrong += first != region_smp_word(round, 0);
	for (unsigned i = 1; i < 512; i++)
		wrong += words[i] != region_smp_word(round, i);
	if (wrong)
		__atomic_add_fetch(&test->wrong_reads, 1, __ATOMIC_RELAXED);
}

/* Thread 0, after the round: one restore and one fault, and whether the
 * threads' first reads overlapped (all started before the first ended). */
static void region_smp_same_check(struct region_smp_same *test,
				  const struct region_stats *before)
{
	struct region_stats after;
	uint64_t last_start = 0, first_end = UINT64_MAX;

	region_get_stats(test->region, &after);
	test->bad_restores += after.restores != before->restores + 1;
	test->bad_faults += after.faults != before->faults + 1;
	for (unsigned i = 0; i < test->threads; i++) {
		if (test->read_start[i] > last_start)
			last_start = test->read_start[i];
		if (test->read_end[i] < first_end)
			first_end = test->read_end[i];
	}
	test->overlapped += last_start < first_end;
}

static void region_smp_same_thread(void *argument)
{
	struct region_smp_same_arg *arg = argument;
	struct region_smp_same *test = arg->test;
	struct region_stats before;

	for (unsigned round = 1; round <= REGION_SMP_SAME_ROUNDS; round++) {
		if (arg->index == 0)
			region_smp_same_prepare(test, round, &before);
		region_smp_barrier_wait(&test->barrier);	/* sealed: go */
		region_smp_same_read(test, arg->index, round);
		region_smp_barrier_wait(&test->barrier);	/* all read */
		if (arg->index == 0)
			region_smp_same_check(test, &before);
	}
}

KTEST_SLOW(region_smp, same_sealed_page_faulted_at_once, 120000)
{
	static const char *const schemes[] = { "clock:identity", "clock:lz4",
					       "clock:lz4,aes128-xts-mac" };
	struct region_smp_same_arg args[REGION_SMP_THREADS_MAX];

	tlb_stale_require(t);
	for (unsigned s = 0; s < sizeof(schemes) / sizeof(schemes[0]); s++) {
		struct region_smp_same test = { 0 };
		test.threads = region_smp_threads(REGION_SMP_THREADS_MAX);
		test.region = region_test_create(t, schemes[s], 4, 4);
		for (unsigned i = 0; i < test.threads; i++)
			args[i] = (struct region_smp_same_arg){ &test, i };
		bool ran = region_smp_run("same_page", region_smp_same_thread, args,
					  sizeof(args[0]), test.threads,
					  &test.barrier);
		struct region_stats stats;
		region_get_stats(test.region, &stats);
		ktest_log(t, "%s: %u threads, %u rounds: %u with a restore count "
			  "off, %u with a fault count off, %u not sealed, %u wrong "
			  "reads, %u rounds whose first reads overlapped; region "
			  "%llu faults %llu restores", schemes[s], test.threads,
			  REGION_SMP_SAME_ROUNDS, test.bad_restores, test.bad_faults,
			  test.not_sealed, test.wrong_reads, test.overlapped,
			  (unsigned long long)stats.faults,
			  (unsigned long long)stats.restores);
		region_destroy(test.region);
		KTEST_ASSERT(t, ran);
		KTEST_EXPECT_EQ(t, test.bad_restores, 0);
		KTEST_EXPECT_EQ(t, test.bad_faults, 0);
		KTEST_EXPECT_EQ(t, test.not_sealed, 0);
		KTEST_EXPECT_EQ(t, test.wrong_reads, 0);
		KTEST_EXPECT_EQ(t, stats.restores, REGION_SMP_SAME_ROUNDS);
		KTEST_EXPECT_EQ(t, stats.corrupt + stats.no_memory, 0);
	}
}

/* ---- distinct pages in parallel: exact counters, and a rate ------------- */

struct region_smp_rate {
	struct region *region;
	struct region_smp_barrier barrier;
	uint64_t fault_ns;	/* thread 0: time of the timed phases */
};

/* What one thread did (its own counts, summed against the region's). */
struct region_smp_rate_arg {
	struct region_smp_rate *test;
	unsigned index;
	uint64_t first_touches, purges, faults, wrong_reads, refused;
};

static void region_smp_rate_thread(void *argument)
{
	struct region_smp_rate_arg *arg = argument;
	struct region_smp_rate *test = arg->test;
	uint32_t first = arg->index * REGION_SMP_OWN_PAGES;
	uint64_t start = 0;

	for (uint32_t p = first; p < first + REGION_SMP_OWN_PAGES; p++) {
		*(volatile uint64_t *)region_page_address(test->region, p) = p + 1;
		arg->first_touches++;
	}
	for (unsigned round = 0; round < REGION_SMP_RATE_ROUNDS; round++) {
		for (uint32_t p = first; p < first + REGION_SMP_OWN_PAGES; p++) {
			if (region_purge_page(test->region, p) == REGION_OK)
				arg->purges++;
			else
				arg->refused++;
		}
		region_smp_barrier_wait(&test->barrier);
		if (arg->index == 0)
			start = time_uptime_ns();
		for (uint32_t p = first; p < first + REGION_SMP_OWN_PAGES; p++) {
			uint64_t seen = *(volatile uint64_t *)region_page_address(
				test->region, p);
			arg->faults++;
			arg->wrong_reads += seen != p + 1;
		}
		region_smp_barrier_wait(&test->barrier);
		if (arg->index == 0)
			test->fault_ns += time_uptime_ns() - start;
	}
}

/* n threads on distinct pages; checks the counters, logs the rate. */
static void region_smp_rate_case(struct ktest *t, const char *scheme,
				 unsigned threads)
{
	struct region_smp_rate test = { 0 };
	struct region_smp_rate_arg args[REGION_SMP_THREADS_MAX] = { 0 };
	struct region_stats stats;
	uint64_t touches = 0, purges = 0, faults = 0, wrong = 0, refused = 0;
	uint32_t pages = threads * REGION_SMP_OWN_PAGES;

	/* A clear set that holds every page: no eviction, so each fault and
	 * each seal is exactly one a thread asked for. */
	test.region = region_test_create(t, scheme, pages, pages);
	for (unsigned i = 0; i < threads; i++)
		args[i] = (struct region_smp_rate_arg){ .test = &test, .index = i };
	bool ran = region_smp_run("rate", region_smp_rate_thread, args,
				  sizeof(args[0]), threads, &test.barrier);
	region_get_stats(test.region, &stats);
	for (unsigned i = 0; i < threads; i++) {
		touches += args[i].first_touches;
		purges += args[i].purges;
		faults += args[i].faults;
		wrong += args[i].wrong_reads;
		refused += args[i].refused;
	}
	uint64_t ns = test.fault_ns ? test.fault_ns : 1;
	ktest_log(t, "%s: %u thread(s) on distinct pages: %llu faults in %llu "
		  "us, %llu faults/s", scheme, threads,
		  (unsigned long long)faults, (unsigned long long)(ns / 1000u),
		  (unsigned long long)(faults * 1000000000ull / ns));
	region_destroy(test.region);
	KTEST_ASSERT(t, ran);
	KTEST_EXPECT_EQ(t, wrong + refused, 0);
	KTEST_EXPECT_EQ(t, stats.zero_fills, touches);
	KTEST_EXPECT_EQ(t, stats.restores, faults);
	KTEST_EXPECT_EQ(t, stats.faults, touches + faults);
	KTEST_EXPECT_EQ(t, stats.invalidations, purges);
	KTEST_EXPECT_EQ(t, stats.evictions, 0);
	KTEST_EXPECT_EQ(t, stats.sealed_pages, 0);
	KTEST_EXPECT_EQ(t, stats.clear_pages, pages);
}

KTEST_SLOW(region_smp, distinct_pages_exact_counters_and_rate, 120000)
{
	tlb_stale_require(t);
	for (unsigned threads = 1; threads <= REGION_SMP_THREADS_MAX; threads *= 2) {
		if (threads > cpu_count())
			break;
		region_smp_rate_case(t, "clock:lz4", threads);
	}
}
