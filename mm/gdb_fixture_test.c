/*
 * ktest suite "gdb": a small known memory state for the gdb step of
 * tests/run (tests/runner/gdbcheck.py). The case builds a region with
 * sealed, clear and untouched pages, a slab cache with live objects and a
 * short event trace, records what the kernel's own interfaces say about
 * them in gdb_fixture, and calls gdb_fixture_ready(), where the gdb check
 * stops the kernel and compares what the helpers of tools/gdb/veil_mm.py
 * print with those records. Run without gdb it is an ordinary test: it
 * checks the same state itself, then restores a sealed page.
 *
 * The state: region "gdb-fixture" under "fifo:lz4", a clear set of 2
 * over 8 pages, pages 0, 1, 2, 4, 3 written in that order: pages 0, 1, 2
 * sealed (evicted in that order), 4 and 3 clear (4 leaves first: the
 * policy's order differs from the pages'), 5..7 unpopulated; the trace
 * ends EVICT and STORE_PUT of page 2, FAULT and MAP of page 3; the slab cache
 * "gdb-fixture" holds 3 live objects of 200 bytes. Two more regions,
 * "gdb-clock" and "gdb-2q", get the same accesses under those policies;
 * for the three, the order in which the policy would let the clear pages
 * go is recorded from the policy's own walk. The gdb check relies on
 * these numbers: change both together. And a forked pair, "gdb-fork"
 * (one page, in a space of its own) and its child: the parent's page
 * purged while the child maps its frame, so the parent's record names a
 * shared copy (mm/region_shared_copy.h).
 */
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/time.h"
#include "mm/direct_map.h"
#include "mm/frame.h"
#include "mm/region.h"
#include "mm/region_test_util.h"
#include "mm/slab.h"
#include "mm/store.h"
#include "mm/trace.h"
#include "mm/vmm.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"

#define GDB_FIXTURE_PAGES	8
#define GDB_FIXTURE_LIMIT	2
#define GDB_FIXTURE_TOUCHED	5	/* pages 0..4, in gdb_fixture_order */
#define GDB_FIXTURE_SEALED	3	/* pages 0..2 */
#define GDB_FIXTURE_SAME_FILLED	1	/* zeros: kept in its record */
#define GDB_FIXTURE_OBJECTS	3
#define GDB_FIXTURE_OBJECT_SIZE	200
#define GDB_FIXTURE_POLICY_REGIONS 2	/* gdb-clock, gdb-2q */
#define GDB_FIXTURE_POLICY_LIMIT 4	/* their clear sets */

/* What the kernel says about the fixture, read by the gdb check. Written
 * by the one running case only. */
struct gdb_fixture {
	struct region *region;
	struct slab_cache *cache;
	void *objects[GDB_FIXTURE_OBJECTS];
	uint64_t pte_handle[GDB_FIXTURE_PAGES];	/* vmm_get_handle of sealed pages */
	uint64_t stored_bytes[GDB_FIXTURE_PAGES];	/* store_size of their copies */
	uint64_t frame[GDB_FIXTURE_PAGES];	/* vmm_translate of clear pages */
	int traced;		/* 1: the trace holds the fixture's events */
	/* virt_to_phys of *region: a direct-map address, mapped by a large
	 * page, for the walk's large-page path. */
	uint64_t region_phys;
	struct region *policy_region[GDB_FIXTURE_POLICY_REGIONS];
	/* The clear pages, next victim first, as the policy's walk visits
	 * them: [0] region (fifo), [1] gdb-clock, [2] gdb-2q. */
	uint32_t order[1 + GDB_FIXTURE_POLICY_REGIONS][GDB_FIXTURE_POLICY_LIMIT];
	uint32_t order_length[1 + GDB_FIXTURE_POLICY_REGIONS];
	/* A thread blocked on a completion while gdb looks (veil-threads),
	 * and the id of the thread that runs the fixture (veil-cpus). */
	uint64_t sleeper_id, runner_id;
	/* The forked pair: parent, child; the parent's page 0 record's
	 * handle (REGION_SHARED_COPY_TAG and the copy's index). */
	struct vmm_space *fork_spaces[2];
	struct region *fork_regions[2];
	uint64_t fork_handle;
};

/* What the sleeper waits on until gdb has looked. */
static struct completion gdb_fixture_wake;

static void gdb_fixture_sleeper(void *argument)
{
	(void)argument;
	completion_wait(&gdb_fixture_wake);
}

struct gdb_fixture gdb_fixture;

/* The point the gdb check breaks on: gdb_fixture is complete. noinline and
 * the empty asm keep the call and the symbol in an optimised build. */
__attribute__((noinline, used)) static void gdb_fixture_ready(void)
{
	__asm__ volatile("" ::: "memory");
}

static const uint32_t gdb_fixture_order[GDB_FIXTURE_TOUCHED] = { 0, 1, 2, 4, 3 };

/* Writes the pages of gdb_fixture_order in that order, each with its own
 * pattern (half compressible, so lz4 stores less than a page), except
 * GDB_FIXTURE_SAME_FILLED: zeros, sealed as its word with no store copy. */
static void gdb_fixture_touch(struct region *region)
{
	for (unsigned i = 0; i < GDB_FIXTURE_TOUCHED; i++) {
		uint32_t page = gdb_fixture_order[i];
		void *address = region_page_address(region, page);

		region_test_fill(address, page + 1);
		if (page == GDB_FIXTURE_SAME_FILLED)
			memset(address, 0, 4096);
	}
}

static const char *const gdb_fixture_policy_names[GDB_FIXTURE_POLICY_REGIONS] = {
	"gdb-clock", "gdb-2q",
};
static const char *const gdb_fixture_policy_schemes[GDB_FIXTURE_POLICY_REGIONS] = {
	"clock:identity", "2q:identity",
};
/* Reads of the policy regions: some pages come back, so CLOCK's reference
 * bits and 2Q's ghost queue have something to say. */
static const uint32_t gdb_fixture_policy_reads[] = { 0, 1, 2, 3, 0, 4, 5, 1, 6, 0, 7, 4 };

/* A region over the default store; NULL (and the case failed) if none. */
static struct region *gdb_fixture_region(struct ktest *t, const char *name,
					 const char *scheme, uint32_t limit)
{
	struct region_config config = {
		.name = name, .pages = GDB_FIXTURE_PAGES, .clear_limit = limit,
		.scheme = scheme, .store = store_default(),
		.evict_batch = 1,	/* one victim per fault: a layout gdb knows */
	};
	struct region *region = NULL;

	KTEST_EXPECT_EQ(t, region_create(&config, &region), REGION_OK);
	return region;
}

struct gdb_fixture_walk {
	uint32_t *pages;
	uint32_t count;
};

static void gdb_fixture_walk_page(void *arg, uint32_t page)
{
	struct gdb_fixture_walk *walk = arg;

	if (walk->count < GDB_FIXTURE_POLICY_LIMIT)
		walk->pages[walk->count] = page;
	walk->count++;
}

/* Records the region's clear set in its policy's order into slot of
 * gdb_fixture.order (under the region's lock, as the clear set wants). */
static void gdb_fixture_record_order(struct ktest *t, struct region *region,
				     unsigned slot)
{
	struct gdb_fixture_walk walk = { .pages = gdb_fixture.order[slot] };
	unsigned long flags = spin_lock_irqsave(&region->lock);

	region->clear.policy->walk(region->clear.policy_state,
				   gdb_fixture_walk_page, &walk);
	KTEST_EXPECT_EQ(t, walk.count, region->clear.resident);
	spin_unlock_irqrestore(&region->lock, flags);
	gdb_fixture.order_length[slot] = walk.count;
}

/* The two policy regions, read in gdb_fixture_policy_reads order. */
static void gdb_fixture_policy_regions(struct ktest *t)
{
	for (unsigned i = 0; i < GDB_FIXTURE_POLICY_REGIONS; i++) {
		struct region *region = gdb_fixture_region(t, gdb_fixture_policy_names[i],
							   gdb_fixture_policy_schemes[i],
							   GDB_FIXTURE_POLICY_LIMIT);
		unsigned reads = sizeof(gdb_fixture_policy_reads) /
				 sizeof(gdb_fixture_policy_reads[0]);

		gdb_fixture.policy_region[i] = region;
		if (!region)
			continue;
		for (unsigned r = 0; r < reads; r++)
			(void)*(volatile uint64_t *)region_page_address(
				region, gdb_fixture_policy_reads[r]);
		gdb_fixture_record_order(t, region, 1 + i);
	}
}

#define GDB_FIXTURE_FORK_BASE 0x50000000ull

/* A one-page region of its own space for the forked pair. */
static struct region *gdb_fixture_fork_region(struct ktest *t,
					      struct vmm_space *space,
					      const char *name)
{
	struct region_config config = {
		.name = name, .pages = 1, .clear_limit = 1,
		.scheme = "fifo:lz4", .store = store_default(),
		.protection = VMM_READ | VMM_WRITE | VMM_USER,
		.space = space, .base = GDB_FIXTURE_FORK_BASE, .evict_batch = 1,
	};
	struct region *region = NULL;

	KTEST_EXPECT_EQ(t, region_create(&config, &region), REGION_OK);
	return region;
}

/* The forked pair: the parent's page written (a write fault, then the
 * bytes through the direct map), forked, then purged in the parent. */
static void gdb_fixture_fork(struct ktest *t)
{
	const char *reason = NULL;
	int result = REGION_BAD_ARGUMENT;
	uint64_t frame = 0;

	for (int i = 0; i < 2; i++) {
		gdb_fixture.fork_spaces[i] = vmm_space_create();
		KTEST_ASSERT(t, gdb_fixture.fork_spaces[i] != NULL);
		gdb_fixture.fork_regions[i] =
			gdb_fixture_fork_region(t, gdb_fixture.fork_spaces[i],
						i ? "gdb-fork-child" : "gdb-fork");
		KTEST_ASSERT(t, gdb_fixture.fork_regions[i] != NULL);
	}
	struct region *parent = gdb_fixture.fork_regions[0];
	(void)region_serve_fault(parent, 0, FAULT_ACCESS_WRITE, &reason, &result);
	KTEST_ASSERT(t, result == REGION_OK);
	KTEST_ASSERT(t, vmm_translate(parent->space, GDB_FIXTURE_FORK_BASE,
				      &frame, NULL));
	region_test_fill(frame_address(frame), 9);
	KTEST_ASSERT(t, region_fork(parent, gdb_fixture.fork_regions[1]) ==
				REGION_OK);
	KTEST_ASSERT(t, region_purge_page(parent, 0) == REGION_OK);
	const struct region_page *record = region_page_record(parent, 0);
	KTEST_EXPECT(t, region_record_shared_copy(record));
	gdb_fixture.fork_handle = region_record_handle(record);
}

static void gdb_fixture_fork_destroy(void)
{
	for (int i = 0; i < 2; i++) {
		if (gdb_fixture.fork_regions[i])
			region_destroy(gdb_fixture.fork_regions[i]);
		if (gdb_fixture.fork_spaces[i])
			vmm_space_destroy(gdb_fixture.fork_spaces[i]);
	}
}

/* Fills gdb_fixture's per-page records from the vmm and the store. */
static void gdb_fixture_record(struct ktest *t, struct region *region)
{
	for (uint32_t page = 0; page < GDB_FIXTURE_PAGES; page++) {
		uintptr_t va = (uintptr_t)region_page_address(region, page);
		enum region_page_state state = region_page_state(region, page);

		if (state == REGION_SEALED) {
			size_t length = 0;

			KTEST_EXPECT(t, vmm_get_handle(region->space, va,
						       &gdb_fixture.pte_handle[page]));
			if (page != GDB_FIXTURE_SAME_FILLED)
				KTEST_EXPECT_EQ(t, store_size(region->store,
							      gdb_fixture.pte_handle[page],
							      &length), STORE_OK);
			gdb_fixture.stored_bytes[page] = length;
		} else if (state == REGION_CLEAR) {
			KTEST_EXPECT(t, vmm_translate(region->space, va,
						      &gdb_fixture.frame[page], NULL));
		}
	}
}

/* The state the header describes, checked through the kernel's interfaces. */
static void gdb_fixture_check(struct ktest *t, struct region *region)
{
	for (uint32_t page = 0; page < GDB_FIXTURE_PAGES; page++) {
		enum region_page_state want =
			page < GDB_FIXTURE_SEALED ? REGION_SEALED :
			page < GDB_FIXTURE_TOUCHED ? REGION_CLEAR :
						     REGION_UNPOPULATED;
		const struct region_page *record = region_page_record(region, page);

		KTEST_EXPECT_EQ(t, region_page_state(region, page), want);
		if (want == REGION_SEALED) {
			KTEST_EXPECT_EQ(t, gdb_fixture.pte_handle[page],
					region_record_handle(record));
			if (page == GDB_FIXTURE_SAME_FILLED) {
				KTEST_EXPECT(t, region_record_same_filled(record));
				KTEST_EXPECT_EQ(t, gdb_fixture.stored_bytes[page], 0);
			} else {
				KTEST_EXPECT(t, gdb_fixture.stored_bytes[page] > 0 &&
						gdb_fixture.stored_bytes[page] < 4096);
			}
		}
		if (want == REGION_CLEAR)
			KTEST_EXPECT(t, gdb_fixture.frame[page] != 0);
	}
}

KTEST(gdb, fixture)
{
	struct region *region = gdb_fixture_region(t, "gdb-fixture", "fifo:lz4",
						   GDB_FIXTURE_LIMIT);

	KTEST_ASSERT(t, region != NULL);
	struct slab_cache *cache = slab_cache_create("gdb-fixture",
						     GDB_FIXTURE_OBJECT_SIZE, 0,
						     NULL, NULL);

	KTEST_ASSERT(t, cache != NULL);
	gdb_fixture.region = region;
	gdb_fixture.region_phys = virt_to_phys(region);
	gdb_fixture.cache = cache;
	for (unsigned i = 0; i < GDB_FIXTURE_OBJECTS; i++) {
		gdb_fixture.objects[i] = slab_alloc(cache);
		KTEST_EXPECT(t, gdb_fixture.objects[i] != NULL);
	}
	/* A kernel built without hooks has no trace: the fixture says so. */
	trace_clear();
	gdb_fixture.traced = trace_start(time_cycles) == TLB_HOOKS_OK;
	gdb_fixture_touch(region);
	if (gdb_fixture.traced)
		KTEST_EXPECT_EQ(t, trace_stop(), TLB_HOOKS_OK);
	gdb_fixture_record(t, region);
	gdb_fixture_check(t, region);
	gdb_fixture_record_order(t, region, 0);
	KTEST_EXPECT(t, gdb_fixture.order_length[0] == 2 &&
			gdb_fixture.order[0][0] == 4 && gdb_fixture.order[0][1] == 3);
	gdb_fixture_policy_regions(t);
	gdb_fixture_fork(t);
	completion_init(&gdb_fixture_wake, "gdb_fixture_wake");
	struct thread *sleeper = thread_create_on("gdb-sleeper", gdb_fixture_sleeper,
						  NULL, 1ull << cpu_current());
	KTEST_ASSERT(t, sleeper != NULL);
	gdb_fixture.sleeper_id = sleeper->id;
	gdb_fixture.runner_id = thread_current()->id;
	while (__atomic_load_n(&sleeper->state, __ATOMIC_ACQUIRE) != THREAD_BLOCKED)
		thread_yield();

	gdb_fixture_ready();

	complete_all(&gdb_fixture_wake);
	thread_join(sleeper);

	/* The sealed page 0 comes back whole (expect: static, a page is too
	 * much for a kernel stack frame). */
	static uint64_t expect[512];
	region_test_fill(expect, 1);
	KTEST_EXPECT_EQ(t, region_test_checksum(region_page_address(region, 0)),
			region_test_checksum(expect));
	for (unsigned i = 0; i < GDB_FIXTURE_OBJECTS; i++)
		slab_free(cache, gdb_fixture.objects[i]);
	slab_cache_destroy(cache);
	for (unsigned i = 0; i < GDB_FIXTURE_POLICY_REGIONS; i++)
		if (gdb_fixture.policy_region[i])
			region_destroy(gdb_fixture.policy_region[i]);
	region_destroy(region);
	gdb_fixture_fork_destroy();
	gdb_fixture = (struct gdb_fixture){ 0 };
}
