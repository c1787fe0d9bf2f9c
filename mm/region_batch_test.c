/*
 * ktest suite "region_batch": a batched eviction and a range purge leave
 * no CPU able to reach their pages. Every CPU reads every clear page of a
 * region (so each CPU's TLB holds them); one CPU evicts a batch (or purges
 * a range) with one invalidation round; then one CPU at a time reads every
 * page that left and the region's fault count must rise by exactly their
 * number: a stale TLB entry would let a read through without a fault. The
 * pages are read again on every CPU, and the next CPU is checked after the
 * next batch. Needs two CPUs or more (skipped on one: nothing to show).
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/sched/sched.h"
#include "mm/region.h"
#include "mm/region_test_util.h"

#define BATCH_TEST_PAGES 64u
#define BATCH_TEST_LIMIT 32u	/* a batch takes a quarter at most */
#define BATCH_TEST_BATCH 8u

struct batch_test {
	struct region *region;
	bool left[BATCH_TEST_PAGES];	/* the pages the last batch took */
	unsigned wrong;			/* reads that saw another page */
	uint32_t next_page;		/* the next page to bring in */
	enum { BATCH_EVICT, BATCH_PURGE } how;
	int purge_result;
};

/* The first byte of a page names it. */
static uint8_t batch_test_tag(uint32_t page)
{
	return (uint8_t)(page + 1);
}

static volatile uint8_t *batch_test_byte(struct batch_test *test,
					 uint32_t page)
{
	return region_page_address(test->region, page);
}

/* On one CPU: reads every clear page, so this CPU's TLB holds it. */
static void batch_test_load(void *argument)
{
	struct batch_test *test = argument;

	for (uint32_t page = 0; page < BATCH_TEST_PAGES; page++) {
		if (region_page_state(test->region, page) == REGION_CLEAR &&
		    *batch_test_byte(test, page) != batch_test_tag(page))
			test->wrong++;
	}
}

/* On one CPU: reads every page the last batch took. */
static void batch_test_read_left(void *argument)
{
	struct batch_test *test = argument;

	for (uint32_t page = 0; page < BATCH_TEST_PAGES; page++) {
		if (test->left[page] &&
		    *batch_test_byte(test, page) != batch_test_tag(page))
			test->wrong++;
	}
}

/* The page after next_page that is not clear (cyclically). */
static uint32_t batch_test_next_absent(struct batch_test *test)
{
	for (uint32_t i = 0; i < BATCH_TEST_PAGES; i++) {
		uint32_t page = (test->next_page + i) % BATCH_TEST_PAGES;
		if (region_page_state(test->region, page) != REGION_CLEAR) {
			test->next_page = (page + 1) % BATCH_TEST_PAGES;
			return page;
		}
	}
	return 0;	/* every page clear: cannot happen below the limit */
}

/* On one CPU: the clear set filled to its limit (no eviction). */
static void batch_test_fill(void *argument)
{
	struct batch_test *test = argument;
	struct region_stats stats;

	region_get_stats(test->region, &stats);
	while (stats.clear_pages < BATCH_TEST_LIMIT) {
		(void)*batch_test_byte(test, batch_test_next_absent(test));
		region_get_stats(test->region, &stats);
	}
}

/* On one CPU, the set full: the batch, a fault that evicts
 * BATCH_TEST_BATCH pages, or a purge of the clear pages of a range that
 * leaves out the region's first and last BATCH_TEST_EDGE pages. */
#define BATCH_TEST_EDGE 4u
static void batch_test_take(void *argument)
{
	struct batch_test *test = argument;

	if (test->how == BATCH_EVICT)
		(void)*batch_test_byte(test, batch_test_next_absent(test));
	else
		test->purge_result = region_purge_range(
			test->region, BATCH_TEST_EDGE,
			BATCH_TEST_PAGES - 2 * BATCH_TEST_EDGE);
}

/* Runs fn on CPU cpu and waits for it; false if no thread could start. */
static bool batch_test_run_on(unsigned cpu, void (*fn)(void *),
			      struct batch_test *test)
{
	struct thread *thread = thread_create_on("region_batch", fn, test,
						 1ull << cpu);
	if (!thread)
		return false;
	thread_join(thread);
	return true;
}

static uint64_t batch_test_faults(struct region *region)
{
	struct region_stats stats;

	region_get_stats(region, &stats);
	return stats.faults;
}

/* One round for CPU reader: every CPU loads, CPU taker takes a batch,
 * reader reads what left; the faults seen must be exactly their number. */
static void batch_test_round(struct ktest *t, struct batch_test *test,
			     unsigned reader, unsigned taker)
{
	bool clear_before[BATCH_TEST_PAGES];
	unsigned left = 0;

	KTEST_ASSERT(t, batch_test_run_on(taker, batch_test_fill, test));
	for (unsigned cpu = 0; cpu < cpu_count(); cpu++)
		KTEST_ASSERT(t, batch_test_run_on(cpu, batch_test_load, test));
	for (uint32_t page = 0; page < BATCH_TEST_PAGES; page++)
		clear_before[page] = region_page_state(test->region, page) ==
				     REGION_CLEAR;
	KTEST_ASSERT(t, batch_test_run_on(taker, batch_test_take, test));
	for (uint32_t page = 0; page < BATCH_TEST_PAGES; page++) {
		test->left[page] = region_page_state(test->region, page) ==
				   REGION_SEALED && clear_before[page];
		left += test->left[page];
	}
	uint64_t faults = batch_test_faults(test->region);
	KTEST_ASSERT(t, batch_test_run_on(reader, batch_test_read_left, test));
	uint64_t seen = batch_test_faults(test->region) - faults;
	ktest_log(t, "CPU %u took %u pages, CPU %u read them with %llu faults",
		  taker, left, reader, (unsigned long long)seen);
	if (test->how == BATCH_EVICT)
		KTEST_EXPECT_EQ(t, left, BATCH_TEST_BATCH);
	else
		KTEST_EXPECT(t, left > 0);
	KTEST_EXPECT_EQ(t, seen, (uint64_t)left);
}

/* Every CPU in turn as the reader, another one taking the batch. */
static void batch_test_every_cpu(struct ktest *t, struct batch_test *test)
{
	if (cpu_count() < 2)
		ktest_skip(t, "needs two CPUs online (boot with -smp 2 or more)");
	test->region = region_test_create(t, "fifo:identity", BATCH_TEST_PAGES,
					  BATCH_TEST_LIMIT);
	KTEST_ASSERT(t, region_set_evict_batch(test->region,
					       BATCH_TEST_BATCH) == REGION_OK);
	for (uint32_t page = 0; page < BATCH_TEST_PAGES; page++)
		*batch_test_byte(test, page) = batch_test_tag(page);
	for (unsigned reader = 0; reader < cpu_count(); reader++)
		batch_test_round(t, test, reader, (reader + 1) % cpu_count());
	KTEST_EXPECT_EQ(t, test->wrong, 0);
	region_destroy(test->region);
}

KTEST(region_batch, batched_eviction_invalid_on_every_cpu)
{
	struct batch_test test = { .how = BATCH_EVICT };

	batch_test_every_cpu(t, &test);
}

KTEST(region_batch, range_purge_invalid_on_every_cpu)
{
	struct batch_test test = { .how = BATCH_PURGE };

	batch_test_every_cpu(t, &test);
	KTEST_EXPECT_EQ(t, test.purge_result, REGION_OK);
}
