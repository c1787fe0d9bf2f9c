/*
 * ktest suite "region_fork": fork of a region on real page tables
 * (mm/region_fork.c). Two address spaces, a parent region and its child
 * at the same addresses; the faults a program's accesses would take are
 * served by region_serve_fault directly and the content is read and
 * written through the direct map, so no CPU access to user pages is
 * needed: what is checked is the PTEs (frames, write permission), the
 * reverse map, the content each space sees, and that every frame comes
 * back.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/smp.h"
#include "mm/frame.h"
#include "mm/region.h"
#include "mm/region_shared_copy.h"
#include "mm/region_test_util.h"
#include "mm/rmap.h"
#include "mm/slab.h"
#include "mm/vmm.h"

#define FORK_TEST_BASE 0x40000000ull
#define FORK_TEST_PAGES 12u
#define FORK_TEST_LIMIT 6u

struct fork_test {
	struct vmm_space *spaces[2];
	struct region *regions[2];	/* parent, child */
	uint64_t frames_before, rmap_before;
};

static struct region *fork_test_region(struct ktest *t, struct vmm_space *space,
				       const char *scheme)
{
	struct region_config config = {
		.name = "ktest-fork", .pages = FORK_TEST_PAGES,
		.clear_limit = FORK_TEST_LIMIT, .scheme = scheme,
		.store = store_default(),
		.protection = VMM_READ | VMM_WRITE | VMM_USER,
		.space = space, .base = FORK_TEST_BASE, .evict_batch = 1,
	};
	struct region *region = NULL;

	KTEST_ASSERT(t, region_create(&config, &region) == REGION_OK);
	return region;
}

/* The frame mapped at page of region, or FRAME_NONE; *writable its
 * permission. */
static uint64_t fork_test_frame(struct region *region, uint32_t page,
				bool *writable)
{
	uint64_t frame;
	unsigned prot = 0;

	if (!vmm_translate(region->space, (uintptr_t)region_page_address(region, page),
			   &frame, &prot))
		return FRAME_NONE;
	if (writable)
		*writable = prot & VMM_WRITE;
	return frame;
}

/* A fault of access on page, as the process's fault owner would serve it. */
static int fork_test_touch(struct region *region, uint32_t page,
			   enum fault_access access)
{
	const char *reason = NULL;
	int result = REGION_BAD_ARGUMENT;

	(void)region_serve_fault(region, page, access, &reason, &result);
	return result;
}

/* Writes page's pattern (seed) into region: a write fault, then the bytes. */
static void fork_test_write(struct ktest *t, struct region *region,
			    uint32_t page, uint64_t seed)
{
	KTEST_ASSERT(t, fork_test_touch(region, page, FAULT_ACCESS_WRITE) ==
				REGION_OK);
	uint64_t frame = fork_test_frame(region, page, NULL);
	KTEST_ASSERT(t, frame != FRAME_NONE);
	region_test_fill(frame_address(frame), seed);
}

/* Whether page of region reads as seed's pattern (a read fault first). */
static bool fork_test_reads(struct region *region, uint32_t page, uint64_t seed)
{
	static uint8_t expected[4096];

	if (fork_test_touch(region, page, FAULT_ACCESS_READ) != REGION_OK)
		return false;
	uint64_t frame = fork_test_frame(region, page, NULL);
	if (frame == FRAME_NONE)
		return false;
	region_test_fill(expected, seed);
	return memcmp(frame_address(frame), expected, sizeof(expected)) == 0;
}

/* A parent with every page written (pattern = page + 1), so that the
 * first pages are sealed and the last FORK_TEST_LIMIT are clear, then
 * its child. */
static void fork_test_setup(struct ktest *t, struct fork_test *test,
			    const char *scheme)
{
	for (int i = 0; i < 2; i++) {
		test->spaces[i] = vmm_space_create();
		KTEST_ASSERT(t, test->spaces[i] != NULL);
		test->regions[i] = fork_test_region(t, test->spaces[i], scheme);
	}
	for (uint32_t page = 0; page < FORK_TEST_PAGES; page++)
		fork_test_write(t, test->regions[0], page, page + 1);
	KTEST_ASSERT(t, region_fork(test->regions[0], test->regions[1]) ==
				REGION_OK);
}

static void fork_test_teardown(struct fork_test *test)
{
	for (int i = 0; i < 2; i++) {
		region_destroy(test->regions[i]);
		vmm_space_destroy(test->spaces[i]);
	}
}

/* fork_test_setup, after one set-up and tear-down that is not measured:
 * the first use of a scheme makes what stays (store classes, a cipher's
 * buffers, slabs), which is not the fork's to give back. */
static void fork_test_start(struct ktest *t, struct fork_test *test,
			    const char *scheme)
{
	memset(test, 0, sizeof(*test));
	fork_test_setup(t, test, scheme);
	fork_test_teardown(test);
	test->frames_before = region_test_free_frames();
	test->rmap_before = rmap_frames();
	fork_test_setup(t, test, scheme);
}

/* Destroys both; every frame and every reverse-map record is back. */
static void fork_test_end(struct ktest *t, struct fork_test *test)
{
	fork_test_teardown(test);
	KTEST_EXPECT_EQ(t, rmap_frames(), test->rmap_before);
	KTEST_EXPECT_EQ(t, region_test_free_frames(), test->frames_before);
}

/* After fork, the parent's clear pages and the child's map the same frame,
 * read only in both, and the reverse map knows both mappings; sealed pages
 * are sealed in the child too, under a copy of its own. */
static void fork_shares_clear_pages(struct ktest *t, const char *scheme)
{
	struct fork_test test;

	fork_test_start(t, &test, scheme);
	struct region *parent = test.regions[0], *child = test.regions[1];
	uintptr_t va = (uintptr_t)region_page_address(parent, 0);
	for (uint32_t page = 0; page < FORK_TEST_PAGES; page++) {
		enum region_page_state state = region_page_state(parent, page);
		KTEST_EXPECT_EQ(t, region_page_state(child, page), state);
		if (state != REGION_CLEAR)
			continue;
		bool parent_writable = true, child_writable = true;
		uint64_t frame = fork_test_frame(parent, page, &parent_writable);
		KTEST_EXPECT_EQ(t, fork_test_frame(child, page, &child_writable),
				frame);
		KTEST_EXPECT(t, !parent_writable && !child_writable);
		KTEST_EXPECT_EQ(t, rmap_mappings(frame), 2);
		KTEST_EXPECT(t, rmap_maps(frame, parent->space, va + page * 4096ull));
		KTEST_EXPECT(t, rmap_maps(frame, child->space, va + page * 4096ull));
	}
	struct region_stats stats;
	region_get_stats(child, &stats);
	KTEST_EXPECT_EQ(t, stats.shares, FORK_TEST_LIMIT);
	KTEST_EXPECT_EQ(t, stats.sealed_pages, FORK_TEST_PAGES - FORK_TEST_LIMIT);
	for (uint32_t page = 0; page < FORK_TEST_PAGES; page++)
		KTEST_EXPECT(t, fork_test_reads(child, page, page + 1));
	fork_test_end(t, &test);
}

KTEST(region_fork, clear_pages_shared_read_only_identity)
{
	fork_shares_clear_pages(t, "fifo:identity");
}

KTEST(region_fork, clear_pages_shared_read_only_lz4_aes)
{
	fork_shares_clear_pages(t, "fifo:lz4,aes128-xts-mac");
}

/* A write in the child copies the shared frame; the parent keeps the old
 * content; the parent's own write afterwards reuses the frame, which
 * nobody else maps any more, instead of copying it. */
static void fork_write_copies(struct ktest *t, const char *scheme)
{
	struct fork_test test;

	fork_test_start(t, &test, scheme);
	struct region *parent = test.regions[0], *child = test.regions[1];
	uint32_t page = FORK_TEST_PAGES - 1;	/* clear in both */
	uint64_t shared = fork_test_frame(parent, page, NULL);

	fork_test_write(t, child, page, 1000);
	bool writable = false;
	uint64_t own = fork_test_frame(child, page, &writable);
	KTEST_EXPECT(t, own != shared && writable);
	KTEST_EXPECT_EQ(t, rmap_mappings(shared), 0);
	KTEST_EXPECT(t, fork_test_reads(parent, page, page + 1));
	KTEST_EXPECT(t, fork_test_reads(child, page, 1000));

	fork_test_write(t, parent, page, 2000);
	KTEST_EXPECT_EQ(t, fork_test_frame(parent, page, &writable), shared);
	KTEST_EXPECT(t, writable);
	KTEST_EXPECT(t, fork_test_reads(child, page, 1000));
	KTEST_EXPECT(t, fork_test_reads(parent, page, 2000));

	struct region_stats parent_stats, child_stats;
	region_get_stats(parent, &parent_stats);
	region_get_stats(child, &child_stats);
	KTEST_EXPECT_EQ(t, child_stats.shared_copies, 1);
	KTEST_EXPECT_EQ(t, parent_stats.shared_copies, 0);
	fork_test_end(t, &test);
}

KTEST(region_fork, write_copies_then_reuses_identity)
{
	fork_write_copies(t, "fifo:identity");
}

KTEST(region_fork, write_copies_then_reuses_lz4_aes)
{
	fork_write_copies(t, "fifo:lz4,aes128-xts-mac");
}

/* The parent's shared pages pushed out of its clear set leave it (into
 * shared copies): the frame stays, intact and mapped, in the child until
 * the child lets it go too; every page reads right in both afterwards.
 * With an in-place chain (identity: the store keeps the frame) the frame
 * still mapped in the child must not become the store's. */
static void fork_evict_shared(struct ktest *t, const char *scheme)
{
	struct fork_test test;

	fork_test_start(t, &test, scheme);
	struct region *parent = test.regions[0], *child = test.regions[1];
	uint32_t first_clear = FORK_TEST_PAGES - FORK_TEST_LIMIT;
	uint64_t frame = fork_test_frame(child, first_clear, NULL);

	/* The parent brings its sealed pages back: its clear ones leave. */
	for (uint32_t page = 0; page < first_clear; page++)
		KTEST_EXPECT(t, fork_test_reads(parent, page, page + 1));
	KTEST_EXPECT_EQ(t, region_page_state(parent, first_clear), REGION_SEALED);
	KTEST_EXPECT_EQ(t, fork_test_frame(child, first_clear, NULL), frame);
	KTEST_EXPECT_EQ(t, rmap_mappings(frame), 0);	/* the child's alone */
	for (uint32_t page = 0; page < FORK_TEST_PAGES; page++) {
		KTEST_EXPECT(t, fork_test_reads(child, page, page + 1));
		KTEST_EXPECT(t, fork_test_reads(parent, page, page + 1));
	}
	fork_test_end(t, &test);
}

KTEST(region_fork, evicted_shared_page_stays_mapped_in_the_other_space_identity)
{
	fork_evict_shared(t, "fifo:identity");
}

KTEST(region_fork, evicted_shared_page_stays_mapped_in_the_other_space_lz4_aes)
{
	fork_evict_shared(t, "fifo:lz4,aes128-xts-mac");
}

/* A child forked again (a grandchild) shares the frame three ways; the
 * unmap of every space in turn frees it exactly once, after the last. */
KTEST(region_fork, frame_shared_three_ways_freed_after_the_last)
{
	struct fork_test test;

	fork_test_start(t, &test, "fifo:lz4");
	struct vmm_space *space = vmm_space_create();
	KTEST_ASSERT(t, space != NULL);
	struct region *grandchild = fork_test_region(t, space, "fifo:lz4");
	uint32_t page = FORK_TEST_PAGES - 1;
	uint64_t frame = fork_test_frame(test.regions[0], page, NULL);

	KTEST_ASSERT(t, region_fork(test.regions[1], grandchild) == REGION_OK);
	KTEST_EXPECT_EQ(t, rmap_mappings(frame), 3);
	KTEST_EXPECT_EQ(t, fork_test_frame(grandchild, page, NULL), frame);
	KTEST_EXPECT_EQ(t, region_unmap_page(test.regions[0], page), REGION_OK);
	KTEST_EXPECT_EQ(t, rmap_mappings(frame), 2);
	KTEST_EXPECT_EQ(t, region_unmap_page(test.regions[1], page), REGION_OK);
	KTEST_EXPECT_EQ(t, rmap_mappings(frame), 0);
	KTEST_EXPECT(t, fork_test_reads(grandchild, page, page + 1));
	region_destroy(grandchild);
	vmm_space_destroy(space);
	fork_test_end(t, &test);
}

/* The shared copies' counters now. */
static struct region_shared_copy_stats fork_test_shared_copies(void)
{
	struct region_shared_copy_stats stats;

	region_shared_copy_get_stats(&stats);
	return stats;
}

static struct region_stats fork_test_stats(struct region *region)
{
	struct region_stats stats;

	region_get_stats(region, &stats);
	return stats;
}

/* Seal-once: the parent's shared pages leave it (purged) while the child
 * still maps their frames: nothing is sealed and no store byte is taken,
 * the frames stay mapped in the child. When the child lets them go too,
 * each frame is sealed once, and both restore from that one copy. */
static void fork_seal_once(struct ktest *t, const char *scheme)
{
	struct fork_test test;

	fork_test_start(t, &test, scheme);
	struct region *parent = test.regions[0], *child = test.regions[1];
	const uint32_t first_clear = FORK_TEST_PAGES - FORK_TEST_LIMIT;
	uint64_t frames[FORK_TEST_LIMIT];
	struct region_shared_copy_stats before = fork_test_shared_copies();
	uint64_t parent_bytes = fork_test_stats(parent).bytes_stored;

	for (uint32_t i = 0; i < FORK_TEST_LIMIT; i++) {
		frames[i] = fork_test_frame(child, first_clear + i, NULL);
		KTEST_EXPECT_EQ(t, region_purge_page(parent, first_clear + i),
				REGION_OK);
		KTEST_EXPECT_EQ(t, region_page_state(parent, first_clear + i),
				REGION_SEALED);
	}
	struct region_shared_copy_stats parked = fork_test_shared_copies();
	KTEST_EXPECT_EQ(t, parked.copies - before.copies, FORK_TEST_LIMIT);
	KTEST_EXPECT_EQ(t, parked.holding_frame - before.holding_frame,
			FORK_TEST_LIMIT);
	KTEST_EXPECT_EQ(t, parked.seals, before.seals);
	KTEST_EXPECT_EQ(t, fork_test_stats(parent).parked_pages, FORK_TEST_LIMIT);
	KTEST_EXPECT_EQ(t, fork_test_stats(parent).bytes_stored, parent_bytes);
	for (uint32_t i = 0; i < FORK_TEST_LIMIT; i++)
		KTEST_EXPECT_EQ(t, fork_test_frame(child, first_clear + i, NULL),
				frames[i]);

	for (uint32_t i = 0; i < FORK_TEST_LIMIT; i++)
		KTEST_EXPECT_EQ(t, region_purge_page(child, first_clear + i),
				REGION_OK);
	struct region_shared_copy_stats sealed = fork_test_shared_copies();
	KTEST_EXPECT_EQ(t, sealed.copies - before.copies, FORK_TEST_LIMIT);
	KTEST_EXPECT_EQ(t, sealed.holding_frame, before.holding_frame);
	KTEST_EXPECT_EQ(t, sealed.seals - before.seals, FORK_TEST_LIMIT);
	KTEST_EXPECT_EQ(t, sealed.references - before.references,
			2 * FORK_TEST_LIMIT);
	KTEST_EXPECT_EQ(t, fork_test_stats(child).parked_pages, FORK_TEST_LIMIT);

	for (uint32_t page = 0; page < FORK_TEST_PAGES; page++) {
		KTEST_EXPECT(t, fork_test_reads(parent, page, page + 1));
		KTEST_EXPECT(t, fork_test_reads(child, page, page + 1));
	}
	struct region_shared_copy_stats after = fork_test_shared_copies();
	KTEST_EXPECT_EQ(t, after.copies, before.copies);
	KTEST_EXPECT_EQ(t, after.bytes_stored, before.bytes_stored);
	fork_test_end(t, &test);
}

KTEST(region_fork, shared_page_sealed_once_by_the_last_space_identity)
{
	fork_seal_once(t, "fifo:identity");
}

KTEST(region_fork, shared_page_sealed_once_by_the_last_space_lz4_aes)
{
	fork_seal_once(t, "fifo:lz4,aes128-xts-mac");
}

/* A write in the child to a frame a page of the parent left into a
 * shared copy copies the frame (the parked page still needs it) and, the
 * child being the last mapper, seals it once; an unmap of the last mapper
 * does the same. The parent reads what it held each time. */
KTEST(region_fork, last_mapper_leaving_by_write_or_unmap_seals_the_copy)
{
	struct fork_test test;

	fork_test_start(t, &test, "fifo:lz4,aes128-xts-mac");
	struct region *parent = test.regions[0], *child = test.regions[1];
	const uint32_t written = FORK_TEST_PAGES - 1, unmapped = written - 1;
	uint64_t shared = fork_test_frame(child, written, NULL);
	struct region_shared_copy_stats before = fork_test_shared_copies();

	KTEST_EXPECT_EQ(t, region_purge_page(parent, written), REGION_OK);
	KTEST_EXPECT_EQ(t, region_purge_page(parent, unmapped), REGION_OK);
	fork_test_write(t, child, written, 1000);
	bool writable = false;
	KTEST_EXPECT(t, fork_test_frame(child, written, &writable) != shared);
	KTEST_EXPECT(t, writable);
	KTEST_EXPECT_EQ(t, region_unmap_page(child, unmapped), REGION_OK);
	struct region_shared_copy_stats sealed = fork_test_shared_copies();
	KTEST_EXPECT_EQ(t, sealed.seals - before.seals, 2);
	KTEST_EXPECT_EQ(t, sealed.holding_frame, before.holding_frame);

	KTEST_EXPECT(t, fork_test_reads(parent, written, written + 1));
	KTEST_EXPECT(t, fork_test_reads(parent, unmapped, unmapped + 1));
	KTEST_EXPECT(t, fork_test_reads(child, written, 1000));
	KTEST_EXPECT_EQ(t, fork_test_shared_copies().copies, before.copies);
	fork_test_end(t, &test);
}

/* A child whose chain is not the parent's cannot name the parent's
 * shared copy: it seals a copy of its own, and the parent's is sealed
 * once as it lets the frame go. */
KTEST(region_fork, another_chain_seals_its_own_copy)
{
	struct fork_test test;

	fork_test_start(t, &test, "fifo:lz4");
	struct region *parent = test.regions[0], *child = test.regions[1];
	const uint32_t page = FORK_TEST_PAGES - 1;
	struct region_shared_copy_stats before = fork_test_shared_copies();

	KTEST_ASSERT(t, region_set_scheme(child, "fifo:identity") == REGION_OK);
	KTEST_EXPECT_EQ(t, region_purge_page(parent, page), REGION_OK);
	KTEST_EXPECT_EQ(t, region_purge_page(child, page), REGION_OK);
	KTEST_EXPECT_EQ(t, fork_test_stats(parent).parked_pages, 1);
	KTEST_EXPECT_EQ(t, fork_test_stats(child).parked_pages, 0);
	KTEST_EXPECT_EQ(t, fork_test_shared_copies().seals - before.seals, 1);
	KTEST_EXPECT(t, fork_test_reads(parent, page, page + 1));
	KTEST_EXPECT(t, fork_test_reads(child, page, page + 1));
	KTEST_EXPECT_EQ(t, fork_test_shared_copies().copies, before.copies);
	fork_test_end(t, &test);
}

/* seal_once=off: each space seals a copy of its own as it lets a shared
 * frame go, and no shared copy is made. */
KTEST(region_fork, seal_once_off_seals_each_space_its_own_copy)
{
	struct fork_test test;

	fork_test_start(t, &test, "fifo:lz4");
	struct region *parent = test.regions[0], *child = test.regions[1];
	const uint32_t page = FORK_TEST_PAGES - 1;
	struct region_shared_copy_stats before = fork_test_shared_copies();
	uint64_t parent_bytes = fork_test_stats(parent).bytes_stored;

	__atomic_store_n(&region_shared_copy_enabled, false, __ATOMIC_RELAXED);
	int parent_purged = region_purge_page(parent, page);
	int child_purged = region_purge_page(child, page);
	__atomic_store_n(&region_shared_copy_enabled, true, __ATOMIC_RELAXED);
	KTEST_EXPECT_EQ(t, parent_purged, REGION_OK);
	KTEST_EXPECT_EQ(t, child_purged, REGION_OK);
	KTEST_EXPECT_EQ(t, fork_test_stats(parent).parked_pages, 0);
	KTEST_EXPECT_EQ(t, fork_test_stats(child).parked_pages, 0);
	KTEST_EXPECT(t, fork_test_stats(parent).bytes_stored > parent_bytes);
	KTEST_EXPECT_EQ(t, fork_test_shared_copies().parks, before.parks);
	KTEST_EXPECT(t, fork_test_reads(parent, page, page + 1));
	KTEST_EXPECT(t, fork_test_reads(child, page, page + 1));
	fork_test_end(t, &test);
}

/* A page naming a shared copy is a sealed page like any other to the
 * rest of the region: a fork gives the grandchild a copy of its own,
 * restored from the shared copy, and a switch to a scheme with a cipher
 * reseals it under the new chain as the region's own, dropping its
 * reference: the copy, named by no record, goes (the frame stays the
 * child's). */
KTEST(region_fork, parked_page_forked_and_resealed_off_the_copy)
{
	struct fork_test test;

	fork_test_start(t, &test, "fifo:lz4");
	struct region *parent = test.regions[0], *child = test.regions[1];
	const uint32_t page = FORK_TEST_PAGES - 1;
	struct region_shared_copy_stats before = fork_test_shared_copies();
	struct vmm_space *space = vmm_space_create();
	KTEST_ASSERT(t, space != NULL);
	struct region *grandchild = fork_test_region(t, space, "fifo:lz4");

	KTEST_EXPECT_EQ(t, region_purge_page(parent, page), REGION_OK);
	KTEST_EXPECT_EQ(t, fork_test_stats(parent).parked_pages, 1);
	KTEST_ASSERT(t, region_fork(parent, grandchild) == REGION_OK);
	KTEST_EXPECT_EQ(t, region_page_state(grandchild, page), REGION_SEALED);
	KTEST_EXPECT_EQ(t, fork_test_stats(grandchild).parked_pages, 0);
	KTEST_EXPECT(t, fork_test_reads(grandchild, page, page + 1));

	KTEST_ASSERT(t, region_set_scheme(parent, "fifo:lz4,aes128-xts-mac") ==
				REGION_OK);
	KTEST_EXPECT_EQ(t, fork_test_stats(parent).parked_pages, 0);
	KTEST_EXPECT_EQ(t, region_page_state(parent, page), REGION_SEALED);
	KTEST_EXPECT_EQ(t, fork_test_shared_copies().copies, before.copies);
	KTEST_EXPECT_EQ(t, fork_test_shared_copies().references,
			before.references);
	KTEST_EXPECT(t, fork_test_reads(child, page, page + 1));
	KTEST_EXPECT(t, fork_test_reads(parent, page, page + 1));
	region_destroy(grandchild);
	vmm_space_destroy(space);
	fork_test_end(t, &test);
}

/* A child that does not mirror its parent is refused, nothing changed. */
KTEST(region_fork, mismatched_child_refused)
{
	struct fork_test test;

	fork_test_start(t, &test, "fifo:identity");
	KTEST_EXPECT_EQ(t, region_fork(test.regions[0], test.regions[1]),
			REGION_BAD_ARGUMENT);	/* the child is not empty */
	KTEST_EXPECT_EQ(t, region_fork(test.regions[0], test.regions[0]),
			REGION_BAD_ARGUMENT);
	fork_test_end(t, &test);
}

/* A frame already shared by RMAP_MAPPINGS_MAX spaces is not shared once
 * more: the next child gets a sealed copy of each such page, which reads
 * right, and the frame keeps its mappings. The parent keeps every page
 * clear, so only that child's copies go to the store. */
#define FORK_TEST_SPACES (RMAP_MAPPINGS_MAX + 1)

struct fork_test_many {
	struct vmm_space *spaces[FORK_TEST_SPACES];
	struct region *regions[FORK_TEST_SPACES];	/* the parent first */
};

static void fork_test_many_destroy(struct fork_test_many *many, unsigned made)
{
	while (made-- > 0) {
		region_destroy(many->regions[made]);
		vmm_space_destroy(many->spaces[made]);
	}
}

/* The parent (every page written, all clear) and its children, each
 * forked from it; checks each child's last page when t is given. */
static void fork_test_many_run(struct ktest *t, struct fork_test_many *many,
			       bool check)
{
	struct region_config config = {
		.name = "ktest-fork", .pages = FORK_TEST_PAGES,
		.clear_limit = FORK_TEST_PAGES, .scheme = "fifo:identity",
		.store = store_default(),
		.protection = VMM_READ | VMM_WRITE | VMM_USER,
		.base = FORK_TEST_BASE, .evict_batch = 1,
	};
	uint32_t page = FORK_TEST_PAGES - 1;
	uint64_t frame = FRAME_NONE;

	for (unsigned i = 0; i < FORK_TEST_SPACES; i++) {
		many->spaces[i] = config.space = vmm_space_create();
		if (!config.space || region_create(&config, &many->regions[i]) !=
					     REGION_OK) {
			if (config.space)
				vmm_space_destroy(config.space);
			fork_test_many_destroy(many, i);
			KTEST_ASSERT(t, false);
		}
		if (i == 0) {
			for (uint32_t p = 0; p < FORK_TEST_PAGES; p++)
				fork_test_write(t, many->regions[0], p, p + 1);
			frame = fork_test_frame(many->regions[0], page, NULL);
			continue;
		}
		KTEST_EXPECT_EQ(t, region_fork(many->regions[0], many->regions[i]),
				REGION_OK);
		bool copied = i == FORK_TEST_SPACES - 1;
		if (check) {
			KTEST_EXPECT_EQ(t, region_page_state(many->regions[i], page),
					copied ? REGION_SEALED : REGION_CLEAR);
			KTEST_EXPECT_EQ(t, fork_test_frame(many->regions[i], page,
							   NULL) == frame, !copied);
		}
	}
	if (check) {
		struct region *last = many->regions[FORK_TEST_SPACES - 1];
		KTEST_EXPECT_EQ(t, rmap_mappings(frame), RMAP_MAPPINGS_MAX);
		KTEST_EXPECT(t, !rmap_maps(frame, last->space,
					   (uintptr_t)region_page_address(last, page)));
		for (uint32_t p = 0; p < FORK_TEST_PAGES; p++)
			KTEST_EXPECT(t, fork_test_reads(last, p, p + 1));
	}
	fork_test_many_destroy(many, FORK_TEST_SPACES);
}

KTEST(region_fork, frame_shared_by_the_most_spaces_is_copied)
{
	static struct fork_test_many many;

	fork_test_many_run(t, &many, false);	/* what stays after a first use */
	uint64_t frames_before = region_test_free_frames();
	uint64_t rmap_before = rmap_frames();
	fork_test_many_run(t, &many, true);
	KTEST_EXPECT_EQ(t, rmap_frames(), rmap_before);
	KTEST_EXPECT_EQ(t, region_test_free_frames(), frames_before);
}
