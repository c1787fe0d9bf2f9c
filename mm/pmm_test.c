/*
 * ktest suite "pmm": the kernel's frame allocator as the boot memory map
 * built it. The address lists of the exhaustive cases live in allocated
 * frames (512 addresses a page), so only one frame in 512 is written and a
 * large guest's memory stays mostly untouched (QEMU allocates lazily).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/arch.h"
#include "kernel/ktest/ktest.h"
#include "mm/direct_map.h"
#include "mm/mm.h"
#include "mm/pmm.h"

#define PMM_TEST_4G (4ull << 30)
#define PMM_TEST_PER_PAGE 511u	/* addresses per list page; slot 511 links */

/* A list of frames kept in frames: each list page holds 511 addresses and
 * the address of the previous list page. */
struct pmm_test_list {
	uint64_t page;		/* current list page, PMM_NO_FRAME when none */
	unsigned used;		/* addresses in it */
	uint64_t count;		/* frames listed (list pages not counted) */
	uint64_t high;		/* listed frames at or above 4 GiB */
};

static uint64_t *pmm_test_slots(uint64_t page)
{
	return phys_to_virt(page);
}

static void pmm_test_list_init(struct pmm_test_list *list)
{
	memset(list, 0, sizeof(*list));
	list->page = PMM_NO_FRAME;
}

/* Adds frame; when the list page is full the frame becomes the next one. */
static void pmm_test_list_add(struct pmm_test_list *list, uint64_t frame)
{
	if (list->page == PMM_NO_FRAME || list->used == PMM_TEST_PER_PAGE) {
		pmm_test_slots(frame)[PMM_TEST_PER_PAGE] = list->page;
		list->page = frame;
		list->used = 0;
		return;
	}
	pmm_test_slots(list->page)[list->used++] = frame;
	list->count++;
	list->high += frame >= PMM_TEST_4G;
}

static void pmm_test_list_free(struct pmm_test_list *list)
{
	while (list->page != PMM_NO_FRAME) {
		uint64_t *slots = pmm_test_slots(list->page);
		uint64_t previous = slots[PMM_TEST_PER_PAGE];
		for (unsigned i = 0; i < list->used; i++)
			pmm_free(&pmm_kernel, slots[i], 0);
		pmm_free(&pmm_kernel, list->page, 0);
		list->page = previous;
		list->used = PMM_TEST_PER_PAGE;
	}
}

/* Takes every free frame (order 0) into list. */
static void pmm_test_take_all(struct pmm_test_list *list)
{
	uint64_t frame;

	pmm_test_list_init(list);
	while ((frame = pmm_alloc(&pmm_kernel, 0)) != PMM_NO_FRAME)
		pmm_test_list_add(list, frame);
}

static bool pmm_test_same_free(const struct pmm_stats *a, const struct pmm_stats *b)
{
	if (a->free_frames != b->free_frames || a->usable_frames != b->usable_frames)
		return false;
	for (unsigned order = 0; order < PMM_MAX_ORDER; order++)
		if (a->free_blocks[order] != b->free_blocks[order])
			return false;
	return true;
}

KTEST_SLOW(pmm, every_frame_round_trip, 120000)
{
	struct pmm_stats before, empty, after;
	struct pmm_test_list list;

	pmm_get_stats(&pmm_kernel, &before);
	pmm_test_take_all(&list);
	pmm_get_stats(&pmm_kernel, &empty);
	pmm_test_list_free(&list);
	pmm_get_stats(&pmm_kernel, &after);
	ktest_log(t, "%llu frames taken and given back",
		  (unsigned long long)before.free_frames);
	KTEST_EXPECT_EQ(t, empty.free_frames, 0);
	KTEST_EXPECT_EQ(t, empty.allocated_frames, empty.usable_frames);
	/* The free set is what it was, so the buddy decomposition is too. */
	KTEST_EXPECT(t, pmm_test_same_free(&before, &after));
	KTEST_EXPECT_EQ(t, after.failures, empty.failures);
	KTEST_EXPECT_EQ(t, after.bad_frees, before.bad_frees);
}

KTEST(pmm, buddies_coalesce)
{
	struct pmm_stats before, after;
	uint64_t frames[64];
	unsigned count = 0, a = 0, b = 0;
	bool found = false;

	pmm_get_stats(&pmm_kernel, &before);
	/* Splitting hands out both halves of a block in turn: buddies soon. */
	while (count < 64 && !found) {
		frames[count] = pmm_alloc(&pmm_kernel, 0);
		KTEST_ASSERT(t, frames[count] != PMM_NO_FRAME);
		for (unsigned i = 0; i < count && !found; i++) {
			if ((frames[i] ^ frames[count]) == PMM_FRAME_SIZE) {
				a = i, b = count;
				found = true;
			}
		}
		count++;
	}
	KTEST_ASSERT(t, found);
	pmm_free(&pmm_kernel, frames[a], 0);
	pmm_free(&pmm_kernel, frames[b], 0);
	uint64_t low = frames[a] < frames[b] ? frames[a] : frames[b];
	struct pmm_frame *merged = pmm_frame_of(&pmm_kernel, low);
	/* Either it heads a free block of order >= 1, or it merged further
	 * into a block headed elsewhere (no flags of its own). */
	KTEST_EXPECT(t, (merged->flags & PMM_FRAME_FREE) ? merged->order >= 1
							 : merged->flags == 0);
	for (unsigned i = 0; i < count; i++)
		if (i != a && i != b)
			pmm_free(&pmm_kernel, frames[i], 0);
	pmm_get_stats(&pmm_kernel, &after);
	KTEST_EXPECT(t, pmm_test_same_free(&before, &after));
}

KTEST(pmm, orders_are_aligned)
{
	struct pmm_stats before, after;

	pmm_get_stats(&pmm_kernel, &before);
	for (unsigned order = 0; order < PMM_MAX_ORDER; order++) {
		uint64_t blocks[3];
		for (unsigned i = 0; i < 3; i++) {
			blocks[i] = pmm_alloc(&pmm_kernel, order);
			KTEST_ASSERT(t, blocks[i] != PMM_NO_FRAME);
			KTEST_EXPECT_EQ(t, blocks[i] & ((PMM_FRAME_SIZE << order) - 1), 0);
		}
		for (unsigned i = 0; i < 3; i++)
			pmm_free(&pmm_kernel, blocks[i], order);
	}
	KTEST_EXPECT_EQ(t, pmm_alloc(&pmm_kernel, PMM_MAX_ORDER), PMM_NO_FRAME);
	pmm_get_stats(&pmm_kernel, &after);
	KTEST_EXPECT(t, pmm_test_same_free(&before, &after));
}

static int pmm_test_last_report;

static void pmm_test_record(struct pmm *pmm, int result, uint64_t phys,
			    unsigned order, const char *message)
{
	(void)pmm, (void)phys, (void)order, (void)message;
	pmm_test_last_report = result;
}

KTEST(pmm, bad_frees_are_reported)
{
	struct pmm_stats before, after;
	uint64_t frame = pmm_alloc(&pmm_kernel, 1);

	KTEST_ASSERT(t, frame != PMM_NO_FRAME);
	pmm_get_stats(&pmm_kernel, &before);
	/* The kernel's hook panics; this case swaps in a recorder. */
	pmm_kernel.report = pmm_test_record;
	KTEST_EXPECT_EQ(t, pmm_free(&pmm_kernel, frame, 0), PMM_WRONG_ORDER);
	KTEST_EXPECT_EQ(t, pmm_free(&pmm_kernel, frame + 1, 1), PMM_UNALIGNED);
	KTEST_EXPECT_EQ(t, pmm_free(&pmm_kernel, 0x1000, 0), PMM_FOREIGN);
	KTEST_EXPECT_EQ(t, pmm_free(&pmm_kernel, frame + PMM_FRAME_SIZE, 0),
			PMM_DOUBLE_FREE);
	KTEST_EXPECT_EQ(t, pmm_test_last_report, PMM_DOUBLE_FREE);
	pmm_kernel.report = NULL;
	pmm_get_stats(&pmm_kernel, &after);
	KTEST_EXPECT_EQ(t, after.bad_frees - before.bad_frees, 4);
	KTEST_EXPECT_EQ(t, after.free_frames, before.free_frames);
	pmm_free(&pmm_kernel, frame, 1);
}

KTEST(pmm, reserved_ranges_never_handed_out)
{
	/* The first MiB and the kernel image are outside every free block. */
	KTEST_EXPECT(t, pmm_frame_of(&pmm_kernel, 0x1000) == NULL ||
			(pmm_frame_of(&pmm_kernel, 0x1000)->flags & PMM_FRAME_RESERVED));
	struct pmm_frame *image = pmm_frame_of(&pmm_kernel,
					       arch_kernel_physical_start());
	KTEST_EXPECT(t, image && (image->flags & PMM_FRAME_RESERVED));
}

KTEST_SLOW(pmm, frames_above_4g_used, 120000)
{
	struct pmm_test_list list;

	if (pmm_boot_high_frames() == 0)
		ktest_skip(t, "the guest has no RAM above 4 GiB");
	pmm_test_take_all(&list);
	uint64_t high = list.high;
	/* The direct map reaches them: write and read one back. */
	uint64_t probe = PMM_NO_FRAME;
	uint64_t *slots = pmm_test_slots(list.page);
	for (unsigned i = 0; i < list.used && probe == PMM_NO_FRAME; i++)
		if (slots[i] >= PMM_TEST_4G)
			probe = slots[i];
	if (probe != PMM_NO_FRAME) {
		volatile uint64_t *p = phys_to_virt(probe);
		*p = probe ^ 0x5a5a5a5a5a5a5a5aull;
		KTEST_EXPECT_EQ(t, *p, probe ^ 0x5a5a5a5a5a5a5a5aull);
	}
	pmm_test_list_free(&list);
	ktest_log(t, "frames above 4 GiB used: %llu of %llu (%llu MiB)",
		  (unsigned long long)high,
		  (unsigned long long)pmm_boot_high_frames(),
		  (unsigned long long)(high >> 8));
	KTEST_EXPECT(t, high > 0);
}
