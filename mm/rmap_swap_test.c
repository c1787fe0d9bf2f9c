/*
 * ktest suite "rmap_swap": the reverse map's design swapped live
 * (mm/rmap.h, mm/rmap_swap.c) on real page tables while a fork-sharing
 * workload runs on several CPUs. Each worker, pinned on a CPU of its own,
 * keeps one forked pair whose shared frames stay for the whole case (so
 * every swap has frames to move), and meanwhile forks, checks, writes and
 * destroys pairs over and over: after each fork every clear page's frame
 * must be mapped by both spaces and known to the map as such, and each
 * side must read its own content after a write. The case thread swaps
 * the design back and forth between rounds; at the end no answer was
 * wrong, and the map's frames and the free frames are back to their
 * start. Faults are served by region_serve_fault and contents read
 * through the direct map, as in the region_fork suite.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/sched/sched.h"
#include "kernel/smp.h"
#include "mm/frame.h"
#include "mm/region.h"
#include "mm/region_test_util.h"
#include "mm/rmap.h"
#include "mm/slab.h"
#include "mm/vmm.h"

#define RMAP_SWAP_BASE 0x40000000ull
#define RMAP_SWAP_PAGES 16u
#define RMAP_SWAP_WORKERS_MAX 4u
#define RMAP_SWAP_SWAPS 6u

/* Two spaces and their regions: a parent and its forked child. */
struct rmap_swap_pair {
	struct vmm_space *spaces[2];
	struct region *regions[2];
};

struct rmap_swap_worker {
	unsigned index;
	bool *stop;			/* set by the case thread */
	uint64_t rounds;		/* pairs forked, checked and destroyed */
	uint64_t mismatches;		/* wrong answers of any kind */
	uint64_t failures;		/* set-ups that could not be made */
	uint64_t during_swap;		/* rounds whose fork saw a swap */
	struct rmap_swap_pair kept;	/* shared for the whole case */
};

/* A fault of access on page, as a process's fault owner would serve it. */
static bool rmap_swap_touch(struct region *region, uint32_t page,
			    enum fault_access access)
{
	const char *reason = NULL;
	int result = REGION_BAD_ARGUMENT;

	(void)region_serve_fault(region, page, access, &reason, &result);
	return result == REGION_OK;
}

static uint64_t rmap_swap_frame(struct region *region, uint32_t page)
{
	uint64_t frame;

	if (!vmm_translate(region->space, (uintptr_t)region_page_address(region, page),
			   &frame, NULL))
		return FRAME_NONE;
	return frame;
}

/* Writes seed's pattern into page: a write fault, then the bytes. */
static bool rmap_swap_write(struct region *region, uint32_t page, uint64_t seed)
{
	if (!rmap_swap_touch(region, page, FAULT_ACCESS_WRITE))
		return false;
	uint64_t frame = rmap_swap_frame(region, page);
	if (frame == FRAME_NONE)
		return false;
	region_test_fill(frame_address(frame), seed);
	return true;
}

/* Whether page reads as seed's pattern (a read fault first). */
static bool rmap_swap_reads(struct region *region, uint32_t page, uint64_t seed)
{
	if (!rmap_swap_touch(region, page, FAULT_ACCESS_READ))
		return false;
	uint64_t frame = rmap_swap_frame(region, page);
	uint8_t *expected = kmalloc(4096);	/* a page is much of a stack */
	bool same = false;
	if (frame != FRAME_NONE && expected) {
		region_test_fill(expected, seed);
		same = memcmp(frame_address(frame), expected, 4096) == 0;
	}
	kfree(expected);
	return same;
}

static struct region *rmap_swap_region(struct vmm_space *space)
{
	struct region_config config = {
		.name = "ktest-rmap", .pages = RMAP_SWAP_PAGES,
		.clear_limit = RMAP_SWAP_PAGES, .scheme = "fifo:identity",
		.store = store_default(),
		.protection = VMM_READ | VMM_WRITE | VMM_USER,
		.space = space, .base = RMAP_SWAP_BASE, .evict_batch = 1,
	};
	struct region *region = NULL;

	return region_create(&config, &region) == REGION_OK ? region : NULL;
}

static void rmap_swap_pair_destroy(struct rmap_swap_pair *pair)
{
	for (int i = 1; i >= 0; i--) {	/* the child first */
		if (pair->regions[i])
			region_destroy(pair->regions[i]);
		if (pair->spaces[i])
			vmm_space_destroy(pair->spaces[i]);
	}
	memset(pair, 0, sizeof(*pair));
}

/* A parent with every page written (pattern seed + page) and its forked
 * child; false (nothing left) when something could not be made. */
static bool rmap_swap_pair_make(struct rmap_swap_pair *pair, uint64_t seed)
{
	memset(pair, 0, sizeof(*pair));
	for (int i = 0; i < 2; i++) {
		pair->spaces[i] = vmm_space_create();
		pair->regions[i] = pair->spaces[i] ? rmap_swap_region(pair->spaces[i])
						   : NULL;
		if (!pair->regions[i]) {
			rmap_swap_pair_destroy(pair);
			return false;
		}
	}
	for (uint32_t page = 0; page < RMAP_SWAP_PAGES; page++) {
		if (!rmap_swap_write(pair->regions[0], page, seed + page)) {
			rmap_swap_pair_destroy(pair);
			return false;
		}
	}
	if (region_fork(pair->regions[0], pair->regions[1]) != REGION_OK) {
		rmap_swap_pair_destroy(pair);
		return false;
	}
	return true;
}

/* Wrong answers about pair's shared pages: both spaces map one frame and
 * the reverse map says so, and both read seed's patterns. */
static uint64_t rmap_swap_pair_check(struct rmap_swap_pair *pair, uint64_t seed)
{
	uint64_t wrong = 0;

	for (uint32_t page = 0; page < RMAP_SWAP_PAGES; page++) {
		uintptr_t va = (uintptr_t)region_page_address(pair->regions[0], page);
		uint64_t frame = rmap_swap_frame(pair->regions[0], page);
		wrong += frame == FRAME_NONE ||
			 rmap_swap_frame(pair->regions[1], page) != frame;
		wrong += rmap_mappings(frame) != 2;
		wrong += !rmap_maps(frame, pair->spaces[0], va);
		wrong += !rmap_maps(frame, pair->spaces[1], va);
		wrong += !rmap_swap_reads(pair->regions[0], page, seed + page);
		wrong += !rmap_swap_reads(pair->regions[1], page, seed + page);
	}
	return wrong;
}

/* Writes on both sides of pair: the writer gets a frame of its own, the
 * map forgets the frame, each side reads its own content. */
static uint64_t rmap_swap_pair_write(struct rmap_swap_pair *pair, uint64_t seed)
{
	uint64_t wrong = 0;

	for (uint32_t page = 0; page < RMAP_SWAP_PAGES; page++) {
		int writer = page % 2;
		uint64_t shared = rmap_swap_frame(pair->regions[0], page);
		if (!rmap_swap_write(pair->regions[writer], page, seed * 7 + page)) {
			wrong++;
			continue;
		}
		wrong += rmap_mappings(shared) != 0;
		wrong += rmap_swap_frame(pair->regions[0], page) ==
			 rmap_swap_frame(pair->regions[1], page);
		wrong += !rmap_swap_reads(pair->regions[writer], page, seed * 7 + page);
		wrong += !rmap_swap_reads(pair->regions[!writer], page, seed + page);
	}
	return wrong;
}

static void rmap_swap_worker_run(void *argument)
{
	struct rmap_swap_worker *worker = argument;
	uint64_t seed = (worker->index + 1) * 1000003ull;

	while (!__atomic_load_n(worker->stop, __ATOMIC_ACQUIRE)) {
		struct rmap_swap_pair pair;
		seed += RMAP_SWAP_PAGES;
		if (!rmap_swap_pair_make(&pair, seed)) {
			worker->failures++;
			thread_yield();
			continue;
		}
		struct rmap_status status;
		rmap_get_status(&status);
		if (status.left != NULL)	/* read by the case thread */
			__atomic_add_fetch(&worker->during_swap, 1,
					   __ATOMIC_RELAXED);
		worker->mismatches += rmap_swap_pair_check(&pair, seed);
		worker->mismatches += rmap_swap_pair_write(&pair, seed);
		rmap_swap_pair_destroy(&pair);
		worker->mismatches += rmap_swap_pair_check(&worker->kept,
							   worker->index);
		worker->rounds++;
	}
}

/* Checks that the swap whose walk just ended left design alone in use;
 * the frames it moved. */
static uint64_t rmap_swap_ended(struct ktest *t, const char *design)
{
	struct rmap_status status;

	rmap_get_status(&status);
	KTEST_EXPECT(t, status.left == NULL);
	KTEST_EXPECT(t, strcmp(status.right, design) == 0);
	return status.moved;
}

/* Swaps to design and waits for the walk; the frames it moved. */
static uint64_t rmap_swap_to(struct ktest *t, const char *design)
{
	KTEST_EXPECT_EQ(t, rmap_swap(design), RMAP_OK);
	int again = rmap_swap(design);	/* under way, or already done */
	KTEST_EXPECT(t, again == RMAP_BUSY || again == RMAP_SAME);
	rmap_swap_wait();
	return rmap_swap_ended(t, design);
}

#define RMAP_SWAP_HOLD_MS 30000	/* for a worker round to see a swap */

/* Fork rounds of the workers that saw a swap under way so far. */
static uint64_t rmap_swap_rounds_during(const struct rmap_swap_worker *workers,
					unsigned count)
{
	uint64_t during = 0;

	for (unsigned i = 0; i < count; i++)
		during += __atomic_load_n(&workers[i].during_swap,
					  __ATOMIC_RELAXED);
	return during;
}

/* Swaps to design walking here, holding the swap open (both designs in
 * use) until a worker's fork round has seen it, so the workload surely
 * runs beside a walk however the CPUs are scheduled; the frames moved. */
static uint64_t rmap_swap_held_to(struct ktest *t, const char *design,
				  const struct rmap_swap_worker *workers,
				  unsigned count)
{
	uint64_t seen = rmap_swap_rounds_during(workers, count);

	rmap_swap_wait();		/* no walking thread is left */
	KTEST_EXPECT_EQ(t, rmap_swap_begin(design), RMAP_OK);
	for (unsigned ms = 0; ms < RMAP_SWAP_HOLD_MS &&
	     rmap_swap_rounds_during(workers, count) == seen; ms++)
		thread_sleep_ms(1);
	KTEST_EXPECT(t, rmap_swap_rounds_during(workers, count) > seen);
	while (rmap_swap_step())
		thread_yield();
	return rmap_swap_ended(t, design);
}

/* The other design than the one in use. */
static const char *rmap_swap_other(void)
{
	struct rmap_status status;

	rmap_get_status(&status);
	return strcmp(status.right, rmap_design_name(0)) == 0 ?
		       rmap_design_name(1) : rmap_design_name(0);
}

/* The limit catches a hang, not slowness: the case takes 16 s on 4 CPUs
 * under TCG alone on two host cores, 104 s beside another such boot. */
KTEST_SLOW(rmap_swap, design_swapped_back_and_forth_under_fork_load, 300000)
{
	struct rmap_swap_worker workers[RMAP_SWAP_WORKERS_MAX];
	struct thread *threads[RMAP_SWAP_WORKERS_MAX] = { 0 };
	unsigned count = cpu_count() < RMAP_SWAP_WORKERS_MAX ? cpu_count()
							      : RMAP_SWAP_WORKERS_MAX;
	bool stop = false;
	struct rmap_status start;

	rmap_get_status(&start);
	KTEST_ASSERT(t, start.left == NULL);
	/* a warm-up round: what its first use makes stays (slabs, the
	 * store's classes, a thread's stack cache), not the swap's to give */
	struct rmap_swap_pair warm;
	KTEST_ASSERT(t, rmap_swap_pair_make(&warm, 1));
	(void)rmap_swap_to(t, rmap_swap_other());
	(void)rmap_swap_to(t, rmap_swap_other());
	rmap_swap_pair_destroy(&warm);
	uint64_t rmap_before = rmap_frames();
	uint64_t frames_before = region_test_free_frames();

	memset(workers, 0, sizeof(workers));
	for (unsigned i = 0; i < count; i++) {
		workers[i].index = i;
		workers[i].stop = &stop;
		KTEST_ASSERT(t, rmap_swap_pair_make(&workers[i].kept, i));
	}
	KTEST_EXPECT_EQ(t, rmap_frames(), rmap_before + count * RMAP_SWAP_PAGES);
	for (unsigned i = 0; i < count; i++) {
		threads[i] = thread_create_on("rmap-fork", rmap_swap_worker_run,
					      &workers[i], 1ull << i);
		KTEST_EXPECT(t, threads[i] != NULL);
	}
	uint64_t moved = 0;
	/* the first swap is held open until the workload has seen it; the
	 * others walk in the swap's own thread, as the shell's would */
	moved += rmap_swap_held_to(t, rmap_swap_other(), workers, count);
	for (unsigned swap = 1; swap < RMAP_SWAP_SWAPS; swap++) {
		thread_sleep_ms(20);	/* the workers run in each design */
		moved += rmap_swap_to(t, rmap_swap_other());
	}
	thread_sleep_ms(20);
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	uint64_t rounds = 0, mismatches = 0, failures = 0, during = 0;
	for (unsigned i = 0; i < count; i++) {
		if (threads[i])
			thread_join(threads[i]);
		mismatches += rmap_swap_pair_check(&workers[i].kept, i);
		rmap_swap_pair_destroy(&workers[i].kept);
		rounds += workers[i].rounds;
		mismatches += workers[i].mismatches;
		failures += workers[i].failures;
		during += workers[i].during_swap;
	}
	struct rmap_status end;
	rmap_get_status(&end);
	ktest_log(t, "%u workers, %llu fork rounds (%llu during a swap), %u "
		  "swaps moving %llu frames, %llu mismatches, %llu set-ups "
		  "failed", count, (unsigned long long)rounds,
		  (unsigned long long)during, RMAP_SWAP_SWAPS,
		  (unsigned long long)moved, (unsigned long long)mismatches,
		  (unsigned long long)failures);
	KTEST_EXPECT_EQ(t, mismatches, 0);
	KTEST_EXPECT_EQ(t, failures, 0);
	KTEST_EXPECT(t, rounds >= count);
	KTEST_EXPECT(t, during > 0);	/* the walks ran beside the workload */
	/* each swap moved at least the kept pairs' frames */
	KTEST_EXPECT(t, moved >= RMAP_SWAP_SWAPS * count * RMAP_SWAP_PAGES);
	KTEST_EXPECT_EQ(t, end.swaps, start.swaps + RMAP_SWAP_SWAPS + 2);
	KTEST_EXPECT(t, strcmp(end.right, start.right) == 0);
	KTEST_EXPECT_EQ(t, rmap_frames(), rmap_before);
	KTEST_EXPECT_EQ(t, region_test_free_frames(), frames_before);
}

/* A swap to a design that does not exist, or to the one in use, changes
 * nothing. */
KTEST(rmap_swap, unknown_or_same_design_refused)
{
	struct rmap_status before, after;

	rmap_get_status(&before);
	KTEST_EXPECT_EQ(t, rmap_swap("nosuch"), RMAP_UNKNOWN);
	KTEST_EXPECT_EQ(t, rmap_swap(before.right), RMAP_SAME);
	rmap_get_status(&after);
	KTEST_EXPECT(t, strcmp(after.right, before.right) == 0);
	KTEST_EXPECT(t, after.left == NULL);
	KTEST_EXPECT_EQ(t, after.swaps, before.swaps);
}
