/*
 * Host tests of the buddy frame allocator (mm/pmm.c). Physical addresses
 * are fake: the allocator never touches frame memory, so a span of several
 * GiB, holes and RAM above 4 GiB cost only their descriptors here.
 *
 * A bitmap model of which frames are handed out checks that no frame is
 * given twice and that every block lies in RAM that was added.
 */
#include <stdint.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mm/pmm.h"
#include "tests/host/host_shim.h"
#include "tests/host/htest.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)

struct test_range {
	uint64_t start, end;
};

/* A PC-like map: low memory, a hole, RAM up to just under 4 GiB with a
 * hole in it, and RAM above 4 GiB. Ends are deliberately not all aligned. */
static const struct test_range test_map[] = {
	{ 0x1000, 0x9f000 },
	{ 1 * MIB, 40 * MIB + 0x800 },
	{ 48 * MIB + 0x234, 64 * MIB },
	{ 4 * GIB - 16 * MIB, 4 * GIB },
	{ 4 * GIB, 4 * GIB + 32 * MIB },
	{ 5 * GIB + 12 * 4096, 5 * GIB + 40 * MIB },
};
#define TEST_MAP_COUNT (sizeof(test_map) / sizeof(test_map[0]))

static struct pmm test_pmm;
static void *test_storage;

/* Bad frees the hook saw, for the bad-free cases. */
static int reported_result;
static unsigned reported_count;

static void test_report(struct pmm *pmm, int result, uint64_t phys,
			unsigned order, const char *message)
{
	(void)pmm;
	(void)phys;
	(void)order;
	(void)message;
	reported_result = result;
	reported_count++;
}

static void pmm_setup(uint64_t min_pfn, uint64_t max_pfn)
{
	size_t bytes = pmm_descriptor_bytes(min_pfn, max_pfn);

	free(test_storage);
	test_storage = malloc(bytes);
	HCHECK(test_storage != NULL);
	HCHECK_EQ(pmm_init(&test_pmm, min_pfn, max_pfn, test_storage, bytes), PMM_OK);
	test_pmm.report = test_report;
	reported_count = 0;
}

static uint64_t map_setup(void)
{
	uint64_t usable = 0;

	pmm_setup(0, (5 * GIB + 64 * MIB) >> PMM_FRAME_SHIFT);
	for (unsigned i = 0; i < TEST_MAP_COUNT; i++) {
		uint64_t first = (test_map[i].start + 4095) >> 12;
		uint64_t end = test_map[i].end >> 12;

		HCHECK_EQ(pmm_add_free_range(&test_pmm, test_map[i].start,
					     test_map[i].end), PMM_OK);
		usable += end - first;
	}
	return usable;
}

static bool in_map(uint64_t phys, uint64_t bytes)
{
	for (unsigned i = 0; i < TEST_MAP_COUNT; i++)
		if (phys >= test_map[i].start && phys + bytes <= test_map[i].end)
			return true;
	return false;
}

/* free_frames must equal the sum over the free lists. */
static void check_counters(void)
{
	struct pmm_stats stats;
	uint64_t sum = 0;

	pmm_get_stats(&test_pmm, &stats);
	for (unsigned order = 0; order < PMM_MAX_ORDER; order++)
		sum += stats.free_blocks[order] << order;
	HCHECK_EQ(sum, stats.free_frames);
	HCHECK_EQ(stats.usable_frames + stats.reserved_frames, stats.span_frames);
	HCHECK_EQ(stats.free_frames + stats.allocated_frames, stats.usable_frames);
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

HTEST(descriptor_bytes_and_bad_init)
{
	char storage[64 * sizeof(struct pmm_frame)];
	struct pmm pmm;

	HCHECK_EQ(pmm_descriptor_bytes(10, 74), 64 * sizeof(struct pmm_frame));
	HCHECK_EQ(pmm_descriptor_bytes(10, 10), 0);
	HCHECK_EQ(pmm_init(&pmm, 10, 10, storage, sizeof(storage)), PMM_BAD_ARGUMENT);
	HCHECK_EQ(pmm_init(&pmm, 10, 75, storage, sizeof(storage)), PMM_BAD_ARGUMENT);
	HCHECK_EQ(pmm_init(&pmm, 10, 74, storage + 1, sizeof(storage) - 1),
		  PMM_BAD_ARGUMENT);
	HCHECK_EQ(pmm_init(&pmm, 10, 74, storage, sizeof(storage)), PMM_OK);
	HCHECK_EQ(pmm_alloc(&pmm, 0), PMM_NO_FRAME);	/* nothing added yet */
}

HTEST(every_frame_then_free_all)
{
	uint64_t usable = map_setup();
	struct pmm_stats before, after;
	uint64_t *frames = malloc(usable * sizeof(*frames));
	uint64_t count = 0, phys;
	uint64_t words = test_pmm.max_pfn / 64 + 1;
	uint64_t *seen = calloc(words, sizeof(uint64_t));
	bool twice = false, outside = false;

	pmm_get_stats(&test_pmm, &before);
	HCHECK_EQ(before.usable_frames, usable);
	HCHECK_EQ(before.free_frames, usable);
	while ((phys = pmm_alloc(&test_pmm, 0)) != PMM_NO_FRAME && count < usable) {
		uint64_t pfn = phys >> 12;

		twice |= (seen[pfn / 64] >> (pfn % 64)) & 1;
		seen[pfn / 64] |= 1ull << (pfn % 64);
		outside |= !in_map(phys, 4096);
		frames[count++] = phys;
	}
	HCHECK_EQ(count, usable);
	HCHECK(!twice);
	HCHECK(!outside);
	HCHECK_EQ(pmm_alloc(&test_pmm, 0), PMM_NO_FRAME);
	pmm_get_stats(&test_pmm, &after);
	HCHECK_EQ(after.free_frames, 0);
	HCHECK_EQ(after.allocated_frames, usable);
	HCHECK(after.failures >= 1);
	/* free in a shuffled order: coalescing must not depend on it */
	for (uint64_t i = count; i > 1; i--) {
		uint64_t j = rng_next() % i, t = frames[i - 1];

		frames[i - 1] = frames[j];
		frames[j] = t;
	}
	for (uint64_t i = 0; i < count; i++)
		HCHECK_EQ(pmm_free(&test_pmm, frames[i], 0), PMM_OK);
	pmm_get_stats(&test_pmm, &after);
	HCHECK_EQ(after.free_frames, before.free_frames);
	for (unsigned order = 0; order < PMM_MAX_ORDER; order++)
		HCHECK_EQ(after.free_blocks[order], before.free_blocks[order]);
	HCHECK_EQ(reported_count, 0);
	check_counters();
	free(frames);
	free(seen);
}

HTEST(coalescing)
{
	struct pmm_stats stats;
	uint64_t a, b, c;

	/* exactly one order-10 block at 4 MiB */
	pmm_setup(0, 4096);
	HCHECK_EQ(pmm_add_free_range(&test_pmm, 4 * MIB, 8 * MIB), PMM_OK);
	pmm_get_stats(&test_pmm, &stats);
	HCHECK_EQ(stats.free_blocks[10], 1);
	a = pmm_alloc(&test_pmm, 0);
	b = pmm_alloc(&test_pmm, 0);
	c = pmm_alloc(&test_pmm, 3);
	HCHECK_EQ(a, 4 * MIB);
	HCHECK_EQ(b, 4 * MIB + 4096);
	HCHECK_EQ(c, 4 * MIB + 8 * 4096);
	pmm_get_stats(&test_pmm, &stats);
	HCHECK_EQ(stats.free_blocks[10], 0);
	HCHECK_EQ(stats.free_blocks[1], 1);	/* frames 2-3 */
	HCHECK_EQ(stats.free_blocks[2], 1);	/* frames 4-7 */
	HCHECK_EQ(pmm_free(&test_pmm, a, 0), PMM_OK);
	HCHECK_EQ(pmm_free(&test_pmm, c, 3), PMM_OK);
	pmm_get_stats(&test_pmm, &stats);
	HCHECK_EQ(stats.free_blocks[10], 0);
	HCHECK_EQ(pmm_free(&test_pmm, b, 0), PMM_OK);
	pmm_get_stats(&test_pmm, &stats);
	HCHECK_EQ(stats.free_blocks[10], 1);
	for (unsigned order = 0; order < 10; order++)
		HCHECK_EQ(stats.free_blocks[order], 0);
	check_counters();
}

HTEST(adjacent_ranges_merge_and_overlap_refused)
{
	struct pmm_stats stats;

	pmm_setup(0, 8192);
	HCHECK_EQ(pmm_add_free_range(&test_pmm, 0, 2 * MIB), PMM_OK);
	HCHECK_EQ(pmm_add_free_range(&test_pmm, 2 * MIB, 4 * MIB), PMM_OK);
	pmm_get_stats(&test_pmm, &stats);
	HCHECK_EQ(stats.free_blocks[10], 1);
	HCHECK_EQ(stats.free_frames, 1024);
	HCHECK_EQ(pmm_add_free_range(&test_pmm, 3 * MIB, 5 * MIB), PMM_OVERLAP);
	pmm_get_stats(&test_pmm, &stats);
	HCHECK_EQ(stats.free_frames, 1024);	/* nothing of it was added */
	/* partial frames at the ends are dropped; beyond the span is clipped */
	HCHECK_EQ(pmm_add_free_range(&test_pmm, 5 * MIB + 1, 5 * MIB + 3 * 4096 - 1),
		  PMM_OK);
	pmm_get_stats(&test_pmm, &stats);
	HCHECK_EQ(stats.free_frames, 1025);
	HCHECK_EQ(pmm_add_free_range(&test_pmm, 30 * MIB, 64 * MIB), PMM_OK);
	pmm_get_stats(&test_pmm, &stats);
	HCHECK_EQ(stats.free_frames, 1025 + (32 - 30) * 256);
	check_counters();
}

HTEST(natural_alignment_per_order)
{
	bool aligned = true, inside = true;
	uint64_t blocks[PMM_MAX_ORDER][4];

	/* an odd min_pfn: alignment is physical, not relative to the span */
	pmm_setup(3, (64 * MIB >> 12) + 5);
	HCHECK_EQ(pmm_add_free_range(&test_pmm, 3 * 4096, 64 * MIB + 5 * 4096), PMM_OK);
	for (unsigned order = 0; order < PMM_MAX_ORDER; order++) {
		for (unsigned i = 0; i < 4; i++) {
			uint64_t phys = pmm_alloc(&test_pmm, order);

			blocks[order][i] = phys;
			HCHECK(phys != PMM_NO_FRAME);
			aligned &= phys % (4096ull << order) == 0;
			inside &= phys >= 3 * 4096 &&
				  phys + (4096ull << order) <= 64 * MIB + 5 * 4096;
		}
	}
	HCHECK(aligned);
	HCHECK(inside);
	HCHECK_EQ(pmm_alloc(&test_pmm, PMM_MAX_ORDER), PMM_NO_FRAME);
	for (unsigned order = 0; order < PMM_MAX_ORDER; order++)
		for (unsigned i = 0; i < 4; i++)
			HCHECK_EQ(pmm_free(&test_pmm, blocks[order][i], order), PMM_OK);
	check_counters();
	HCHECK_EQ(reported_count, 0);
}

HTEST(above_4gib_and_holes)
{
	uint64_t usable = map_setup();
	uint64_t high = 0, total = 0, phys;
	bool outside = false;

	/* order-9 blocks (2 MiB): every one must fall in an added range */
	while ((phys = pmm_alloc(&test_pmm, 9)) != PMM_NO_FRAME) {
		outside |= !in_map(phys, 2 * MIB);
		high += phys >= 4 * GIB;
		total++;
	}
	HCHECK(!outside);
	HCHECK(high >= 30);	/* 32 MiB + 28 MiB of 2 MiB blocks above 4 GiB */
	HCHECK(total * 512 <= usable);
	check_counters();
}

HTEST(bad_frees_are_reported_and_change_nothing)
{
	struct pmm_stats before, after;
	uint64_t a, b;

	map_setup();
	a = pmm_alloc(&test_pmm, 2);
	b = pmm_alloc(&test_pmm, 0);
	pmm_get_stats(&test_pmm, &before);

	HCHECK_EQ(pmm_free(&test_pmm, a, 1), PMM_WRONG_ORDER);
	HCHECK_EQ(reported_result, PMM_WRONG_ORDER);
	HCHECK_EQ(pmm_free(&test_pmm, a + 4096, 0), PMM_DOUBLE_FREE);	/* inside */
	HCHECK_EQ(pmm_free(&test_pmm, a + 2, 0), PMM_UNALIGNED);
	HCHECK_EQ(pmm_free(&test_pmm, b, 3), PMM_UNALIGNED);
	HCHECK_EQ(pmm_free(&test_pmm, 44 * MIB, 0), PMM_FOREIGN);	/* hole */
	HCHECK_EQ(pmm_free(&test_pmm, 0, 0), PMM_FOREIGN);		/* never added */
	HCHECK_EQ(pmm_free(&test_pmm, 6 * GIB, 0), PMM_FOREIGN);	/* past the span */
	HCHECK_EQ(pmm_free(&test_pmm, b, PMM_MAX_ORDER), PMM_BAD_ORDER);
	HCHECK_EQ(reported_count, 8);
	pmm_get_stats(&test_pmm, &after);
	HCHECK_EQ(after.free_frames, before.free_frames);
	HCHECK_EQ(after.bad_frees, 8);

	HCHECK_EQ(pmm_free(&test_pmm, b, 0), PMM_OK);
	HCHECK_EQ(pmm_free(&test_pmm, b, 0), PMM_DOUBLE_FREE);
	HCHECK_EQ(reported_result, PMM_DOUBLE_FREE);
	HCHECK_EQ(pmm_free(&test_pmm, a, 2), PMM_OK);
	HCHECK_EQ(pmm_free(&test_pmm, a, 2), PMM_DOUBLE_FREE);
	HCHECK_EQ(reported_count, 10);
	check_counters();
}

HTEST(owner_and_reference_count)
{
	struct pmm_stats stats;
	uint64_t a;

	map_setup();
	a = pmm_alloc(&test_pmm, 3);
	HCHECK_EQ(pmm_frame_of(&test_pmm, a)->refcount, 1);
	pmm_set_owner(&test_pmm, a, 3, 0x1234);
	HCHECK_EQ(pmm_owner(&test_pmm, a), 0x1234);
	HCHECK_EQ(pmm_owner(&test_pmm, a + 7 * 4096 + 100), 0x1234);
	HCHECK_EQ(pmm_owner(&test_pmm, a + 8 * 4096), 0);
	HCHECK_EQ(pmm_owner(&test_pmm, 7 * GIB), 0);
	HCHECK(pmm_frame_of(&test_pmm, 7 * GIB) == NULL);
	pmm_frame_get(&test_pmm, a);
	HCHECK(!pmm_frame_put(&test_pmm, a, 3));
	pmm_get_stats(&test_pmm, &stats);
	HCHECK_EQ(stats.allocated_frames, 8);
	HCHECK(pmm_frame_put(&test_pmm, a, 3));
	pmm_get_stats(&test_pmm, &stats);
	HCHECK_EQ(stats.allocated_frames, 0);
}

HTEST(random_mixed_orders)
{
	enum { SLOTS = 4096, STEPS = 200000 };
	static uint64_t phys[SLOTS];
	static uint8_t orders[SLOTS];
	uint64_t words = 0;
	uint64_t *seen;
	struct pmm_stats before, after;
	bool twice = false;

	map_setup();
	words = test_pmm.max_pfn / 64 + 1;
	seen = calloc(words, sizeof(uint64_t));
	pmm_get_stats(&test_pmm, &before);
	memset(phys, 0xff, sizeof(phys));
	for (unsigned step = 0; step < STEPS; step++) {
		unsigned slot = rng_next() % SLOTS;

		if (phys[slot] == PMM_NO_FRAME) {
			unsigned order = rng_next() % 100 < 90 ? rng_next() % 3
							       : rng_next() % PMM_MAX_ORDER;
			uint64_t p = pmm_alloc(&test_pmm, order);

			if (p == PMM_NO_FRAME)
				continue;
			for (uint64_t f = p >> 12; f < (p >> 12) + (1u << order); f++) {
				twice |= (seen[f / 64] >> (f % 64)) & 1;
				seen[f / 64] |= 1ull << (f % 64);
			}
			phys[slot] = p;
			orders[slot] = (uint8_t)order;
		} else {
			uint64_t p = phys[slot];

			for (uint64_t f = p >> 12; f < (p >> 12) + (1u << orders[slot]); f++)
				seen[f / 64] &= ~(1ull << (f % 64));
			HCHECK_EQ(pmm_free(&test_pmm, p, orders[slot]), PMM_OK);
			phys[slot] = PMM_NO_FRAME;
		}
	}
	HCHECK(!twice);
	check_counters();
	for (unsigned slot = 0; slot < SLOTS; slot++)
		if (phys[slot] != PMM_NO_FRAME)
			pmm_free(&test_pmm, phys[slot], orders[slot]);
	pmm_get_stats(&test_pmm, &after);
	HCHECK_EQ(after.free_frames, before.free_frames);
	for (unsigned order = 0; order < PMM_MAX_ORDER; order++)
		HCHECK_EQ(after.free_blocks[order], before.free_blocks[order]);
	HCHECK_EQ(reported_count, 0);
	free(seen);
}

/* pmm_dump prints the span and the counters pmm_get_stats gives, and one
 * figure per order, after some allocations moved them off their start. */
HTEST(dump)
{
	static char printed[4096];
	char expected[512], order_figure[64];
	struct pmm_stats stats;
	uint64_t frame;
	size_t length;

	map_setup();
	frame = pmm_alloc(&test_pmm, 3);
	HCHECK(frame != PMM_NO_FRAME);
	pmm_get_stats(&test_pmm, &stats);
	host_printk_capture_start(printed, sizeof(printed));
	pmm_dump(&test_pmm);
	length = host_printk_capture_stop();
	HCHECK(length > 0 && length < sizeof(printed));
	snprintf(expected, sizeof(expected),
		 "pmm: span 0x%llx-0x%llx frames=%llu usable=%llu reserved=%llu "
		 "free=%llu allocated=%llu\n",
		 (unsigned long long)(test_pmm.min_pfn << PMM_FRAME_SHIFT),
		 (unsigned long long)(test_pmm.max_pfn << PMM_FRAME_SHIFT),
		 (unsigned long long)stats.span_frames,
		 (unsigned long long)stats.usable_frames,
		 (unsigned long long)stats.reserved_frames,
		 (unsigned long long)stats.free_frames,
		 (unsigned long long)stats.allocated_frames);
	HCHECK(strncmp(printed, expected, strlen(expected)) == 0);
	HCHECK_EQ(stats.allocated_frames, 8);
	for (unsigned order = 0; order < PMM_MAX_ORDER; order++) {
		snprintf(order_figure, sizeof(order_figure), " %u:%llu", order,
			 (unsigned long long)stats.free_blocks[order]);
		HCHECK(strstr(printed, order_figure) != NULL);
	}
	snprintf(expected, sizeof(expected),
		 "pmm: allocations=%llu frees=%llu failures=%llu bad_frees=%llu\n",
		 (unsigned long long)stats.allocations,
		 (unsigned long long)stats.frees,
		 (unsigned long long)stats.failures,
		 (unsigned long long)stats.bad_frees);
	HCHECK(strstr(printed, expected) != NULL);
	HCHECK(stats.allocations >= 1);
	HCHECK_EQ(pmm_free(&test_pmm, frame, 3), PMM_OK);
}

/* Without a hook a bad free is a panic (host: abort) naming the finding. */
HTEST(default_report_panics)
{
	pid_t child;
	int status = 0;

	map_setup();
	child = fork();
	if (child == 0) {
		test_pmm.report = NULL;
		freopen("/dev/null", "w", stderr);
		pmm_free(&test_pmm, 44 * MIB, 0);
		_exit(0);
	}
	waitpid(child, &status, 0);
	HCHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}
