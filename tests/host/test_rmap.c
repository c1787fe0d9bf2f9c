/*
 * Host tests of the reverse map (mm/rmap.c and its designs): frames enter
 * it when shared, leave it when one mapping is left, and every block is
 * freed. Each behaviour is checked under both designs ("chains" and
 * "family", the same answers), then a live swap half done: frames on both
 * sides answer right, and the walk empties the left side.
 */
#include <string.h>
#include "mm/rmap.h"
#include "mm/rmap_ops.h"
#include "tests/host/fake_vmm.h"
#include "tests/host/htest.h"

/* Distinct "spaces": the map only compares their addresses. */
#define RMAP_TEST_SPACES (RMAP_MAPPINGS_MAX + 8)
static int space_storage[RMAP_TEST_SPACES];
#define SPACE(i) ((struct vmm_space *)&space_storage[i])

/* Walks a swap to its end; returns the steps it took. */
static unsigned rmap_test_finish_swap(void)
{
	unsigned steps = 0;

	while (rmap_swap_step())
		steps++;
	return steps;
}

/* Puts the map in design (moving what it holds). */
static void rmap_test_use(const char *design)
{
	int result = rmap_swap_begin(design);

	HCHECK(result == RMAP_OK || result == RMAP_SAME);
	rmap_test_finish_swap();
	struct rmap_status status;
	rmap_get_status(&status);
	HCHECK(strcmp(status.right, design) == 0);
	HCHECK(status.left == NULL);
}

static void unknown_frame(void)
{
	HCHECK_EQ(rmap_mappings(0x5000), 0);
	HCHECK_EQ(rmap_remove(0x5000, SPACE(0), 0x1000), 0);
	HCHECK(!rmap_maps(0x5000, SPACE(0), 0x1000));
}

static void shared_frame(void)
{
	long long live = fake.kmalloc_live;
	uint64_t frames = rmap_frames();

	HCHECK_EQ(rmap_share(0x7000, SPACE(0), SPACE(1), 0x2000), RMAP_OK);
	HCHECK_EQ(rmap_mappings(0x7000), 2);
	HCHECK_EQ(rmap_frames(), frames + 1);
	HCHECK(rmap_maps(0x7000, SPACE(0), 0x2000));
	HCHECK(rmap_maps(0x7000, SPACE(1), 0x2000));
	HCHECK(!rmap_maps(0x7000, SPACE(2), 0x2000));
	HCHECK(!rmap_maps(0x7000, SPACE(0), 0x3000));
	/* a third space (a grandchild) joins the known frame */
	HCHECK_EQ(rmap_share(0x7000, SPACE(1), SPACE(2), 0x2000), RMAP_OK);
	HCHECK_EQ(rmap_mappings(0x7000), 3);
	HCHECK_EQ(rmap_frames(), frames + 1);
	HCHECK_EQ(rmap_remove(0x7000, SPACE(0), 0x2000), 2);
	HCHECK(!rmap_maps(0x7000, SPACE(0), 0x2000));
	/* one left: the frame is its last mapper's alone, forgotten */
	HCHECK_EQ(rmap_remove(0x7000, SPACE(2), 0x2000), 1);
	HCHECK_EQ(rmap_mappings(0x7000), 0);
	HCHECK_EQ(rmap_frames(), frames);
	HCHECK_EQ(rmap_remove(0x7000, SPACE(1), 0x2000), 0);
	HCHECK_EQ(fake.kmalloc_live, live);
}

static void removing_what_it_lacks(void)
{
	HCHECK_EQ(rmap_share(0x9000, SPACE(0), SPACE(1), 0x3000), RMAP_OK);
	HCHECK_EQ(rmap_remove(0x9000, SPACE(2), 0x3000), 2);
	HCHECK_EQ(rmap_remove(0x9000, SPACE(0), 0x4000), 2);
	HCHECK_EQ(rmap_mappings(0x9000), 2);
	HCHECK_EQ(rmap_remove(0x9000, SPACE(0), 0x3000), 1);
	HCHECK_EQ(rmap_mappings(0x9000), 0);
}

static void refused_shares(void)
{
	long long live = fake.kmalloc_live;

	HCHECK_EQ(rmap_share(0xa000, SPACE(0), SPACE(0), 0x1000), RMAP_REFUSED);
	HCHECK_EQ(rmap_mappings(0xa000), 0);
	HCHECK_EQ(rmap_share(0xa000, SPACE(0), SPACE(1), 0x1000), RMAP_OK);
	HCHECK_EQ(rmap_share(0xa000, SPACE(0), SPACE(1), 0x1000), RMAP_REFUSED);
	HCHECK_EQ(rmap_share(0xa000, SPACE(1), SPACE(2), 0x5000), RMAP_REFUSED);
	HCHECK_EQ(rmap_mappings(0xa000), 2);
	HCHECK_EQ(rmap_remove(0xa000, SPACE(1), 0x1000), 1);
	HCHECK_EQ(fake.kmalloc_live, live);
}

static void many_frames_one_bucket(void)
{
	long long live = fake.kmalloc_live;

	/* frames 1024 pages apart may share a bucket */
	for (uint64_t i = 0; i < 64; i++)
		HCHECK_EQ(rmap_share(0x100000 + i * 0x400000, SPACE(0), SPACE(1),
				     i * 0x1000), RMAP_OK);
	for (uint64_t i = 0; i < 64; i++)
		HCHECK_EQ(rmap_mappings(0x100000 + i * 0x400000), 2);
	for (uint64_t i = 0; i < 64; i += 2)
		HCHECK_EQ(rmap_remove(0x100000 + i * 0x400000, SPACE(1),
				      i * 0x1000), 1);
	for (uint64_t i = 0; i < 64; i++)
		HCHECK_EQ(rmap_mappings(0x100000 + i * 0x400000),
			  i % 2 ? 2 : 0);
	for (uint64_t i = 1; i < 64; i += 2)
		HCHECK_EQ(rmap_remove(0x100000 + i * 0x400000, SPACE(0),
				      i * 0x1000), 1);
	HCHECK_EQ(fake.kmalloc_live, live);
}

/* A frame takes RMAP_MAPPINGS_MAX spaces, not one more; in the family
 * design many lineages' frames then fill a family past its 64 slots. */
static void mapping_limit(void)
{
	long long live = fake.kmalloc_live;

	for (unsigned i = 1; i < RMAP_MAPPINGS_MAX; i++)
		HCHECK_EQ(rmap_share(0xb000, SPACE(0), SPACE(i), 0x7000), RMAP_OK);
	HCHECK_EQ(rmap_mappings(0xb000), RMAP_MAPPINGS_MAX);
	HCHECK_EQ(rmap_share(0xb000, SPACE(0), SPACE(RMAP_MAPPINGS_MAX), 0x7000),
		  RMAP_FULL);
	HCHECK(!rmap_maps(0xb000, SPACE(RMAP_MAPPINGS_MAX), 0x7000));
	/* a second frame of space 0 with spaces past the first's: a family
	 * of 64 members has no room, the frame moves to one with room */
	HCHECK_EQ(rmap_share(0xc000, SPACE(0), SPACE(1), 0x8000), RMAP_OK);
	for (unsigned i = RMAP_MAPPINGS_MAX; i < RMAP_TEST_SPACES; i++)
		HCHECK_EQ(rmap_share(0xc000, SPACE(1), SPACE(i), 0x8000), RMAP_OK);
	HCHECK_EQ(rmap_mappings(0xc000), 2 + RMAP_TEST_SPACES - RMAP_MAPPINGS_MAX);
	for (unsigned i = 0; i < RMAP_TEST_SPACES; i++) {
		HCHECK_EQ(rmap_maps(0xc000, SPACE(i), 0x8000),
			  i < 2 || i >= RMAP_MAPPINGS_MAX);
		HCHECK_EQ(rmap_maps(0xb000, SPACE(i), 0x7000), i < RMAP_MAPPINGS_MAX);
	}
	for (unsigned i = RMAP_MAPPINGS_MAX; i-- > 1;)
		HCHECK_EQ(rmap_remove(0xb000, SPACE(i), 0x7000), i);
	for (unsigned i = RMAP_TEST_SPACES; i-- > RMAP_MAPPINGS_MAX;)
		HCHECK_EQ(rmap_remove(0xc000, SPACE(i), 0x8000),
			  2 + i - RMAP_MAPPINGS_MAX);
	HCHECK_EQ(rmap_remove(0xc000, SPACE(0), 0x8000), 1);
	HCHECK_EQ(fake.kmalloc_live, live);
}

/* A space that copied one frame of its family on write still maps the
 * others: the per-frame record, not membership, answers. */
static void membership_is_not_mapping(void)
{
	long long live = fake.kmalloc_live;

	for (uint64_t i = 0; i < 4; i++)
		HCHECK_EQ(rmap_share(0xd000 + i, SPACE(0), SPACE(1), i * 0x1000),
			  RMAP_OK);
	HCHECK_EQ(rmap_share(0xd000, SPACE(1), SPACE(2), 0), RMAP_OK);
	HCHECK_EQ(rmap_remove(0xd001, SPACE(1), 0x1000), 1);
	HCHECK(!rmap_maps(0xd001, SPACE(1), 0x1000));
	HCHECK(rmap_maps(0xd002, SPACE(1), 0x2000));
	HCHECK(!rmap_maps(0xd002, SPACE(2), 0x2000));
	HCHECK(rmap_maps(0xd000, SPACE(2), 0));
	HCHECK_EQ(rmap_remove(0xd000, SPACE(1), 0), 2);
	HCHECK_EQ(rmap_remove(0xd000, SPACE(2), 0), 1);
	for (uint64_t i = 2; i < 4; i++)
		HCHECK_EQ(rmap_remove(0xd000 + i, SPACE(0), i * 0x1000), 1);
	HCHECK_EQ(rmap_frames(), 0);
	HCHECK_EQ(fake.kmalloc_live, live);
}

/* Each behaviour, in each design. */
#define RMAP_BOTH(check)                                                       \
	HTEST(chains_##check)                                                  \
	{                                                                      \
		rmap_test_use("chains");                                       \
		check();                                                       \
	}                                                                      \
	HTEST(family_##check)                                                  \
	{                                                                      \
		rmap_test_use("family");                                       \
		check();                                                       \
	}

RMAP_BOTH(unknown_frame)
RMAP_BOTH(shared_frame)
RMAP_BOTH(removing_what_it_lacks)
RMAP_BOTH(refused_shares)
RMAP_BOTH(many_frames_one_bucket)
RMAP_BOTH(mapping_limit)
RMAP_BOTH(membership_is_not_mapping)

#define SWAP_FRAMES 300u
#define SWAP_FRAME(i) (0x1000000ull + (uint64_t)(i) * 0x1000)

/* The frame i of the swap tests: shared by 2 + i % 3 spaces. */
static void swap_test_share(unsigned i)
{
	HCHECK_EQ(rmap_share(SWAP_FRAME(i), SPACE(0), SPACE(1), i * 0x1000ull),
		  RMAP_OK);
	for (unsigned extra = 0; extra < i % 3; extra++)
		HCHECK_EQ(rmap_share(SWAP_FRAME(i), SPACE(1), SPACE(2 + extra),
				     i * 0x1000ull), RMAP_OK);
}

/* Whether frame i answers as swap_test_share made it. */
static bool swap_test_intact(unsigned i)
{
	bool ok = rmap_mappings(SWAP_FRAME(i)) == 2 + i % 3;

	for (unsigned space = 0; space < 5; space++)
		ok &= rmap_maps(SWAP_FRAME(i), SPACE(space), i * 0x1000ull) ==
		      (space < 2 + i % 3);
	return ok;
}

/* Half a swap: some frames moved, some not; lookups, removals and new
 * shares answer as in one design; the walk ends, the left is retired,
 * every frame was moved once and every block is back. */
static void swap_half_done(const char *from, const char *to)
{
	rmap_test_use(from);
	long long live = fake.kmalloc_live;
	uint64_t frames = rmap_frames();

	for (unsigned i = 0; i < SWAP_FRAMES; i++)
		swap_test_share(i);
	HCHECK_EQ(rmap_swap_begin(to), RMAP_OK);
	HCHECK_EQ(rmap_swap_begin(from), RMAP_BUSY);
	for (unsigned step = 0; step < SWAP_FRAMES / 2; step++)
		HCHECK(rmap_swap_step());
	struct rmap_status status;
	rmap_get_status(&status);
	HCHECK(strcmp(status.right, to) == 0 && status.left &&
	       strcmp(status.left, from) == 0);
	HCHECK(status.left_frames > 0 && status.right_frames > 0);
	HCHECK_EQ(status.left_frames + status.right_frames, frames + SWAP_FRAMES);
	HCHECK_EQ(status.moved, status.right_frames);
	HCHECK_EQ(status.left_at_start, frames + SWAP_FRAMES);
	unsigned bad = 0;
	for (unsigned i = 0; i < SWAP_FRAMES; i++)
		bad += !swap_test_intact(i);
	HCHECK_EQ(bad, 0);
	/* changes on both sides: a space joins every third frame, leaves
	 * every fifth; new frames go right */
	for (unsigned i = 0; i < SWAP_FRAMES; i += 3)
		HCHECK_EQ(rmap_share(SWAP_FRAME(i), SPACE(0), SPACE(6),
				     i * 0x1000ull), RMAP_OK);
	for (unsigned i = 0; i < SWAP_FRAMES; i += 5)
		HCHECK_EQ(rmap_remove(SWAP_FRAME(i), SPACE(0), i * 0x1000ull),
			  1 + i % 3 + (i % 3 == 0));
	HCHECK_EQ(rmap_share(SWAP_FRAME(SWAP_FRAMES), SPACE(3), SPACE(4), 0x9000),
		  RMAP_OK);
	rmap_get_status(&status);
	HCHECK_EQ(status.right_frames, status.moved + 1);
	rmap_test_finish_swap();
	rmap_get_status(&status);
	HCHECK(status.left == NULL && strcmp(status.right, to) == 0);
	for (unsigned i = 0; i < SWAP_FRAMES; i++) {
		unsigned expected = 2 + i % 3 + (i % 3 == 0) - (i % 5 == 0);
		HCHECK_EQ(rmap_mappings(SWAP_FRAME(i)), expected < 2 ? 0 : expected);
		HCHECK_EQ(rmap_maps(SWAP_FRAME(i), SPACE(6), i * 0x1000ull),
			  i % 3 == 0 && expected >= 2);
	}
	/* everything leaves: the counts come back to their start */
	for (unsigned i = 0; i < SWAP_FRAMES; i++) {
		for (unsigned space = 1; space < 7; space++)
			(void)rmap_remove(SWAP_FRAME(i), SPACE(space), i * 0x1000ull);
		HCHECK_EQ(rmap_mappings(SWAP_FRAME(i)), 0);
	}
	HCHECK_EQ(rmap_remove(SWAP_FRAME(SWAP_FRAMES), SPACE(3), 0x9000), 1);
	HCHECK_EQ(rmap_frames(), frames);
	HCHECK_EQ(fake.kmalloc_live, live);
}

HTEST(swap_half_done_chains_to_family)
{
	swap_half_done("chains", "family");
}

HTEST(swap_half_done_family_to_chains)
{
	swap_half_done("family", "chains");
}

/* Back and forth with frames held: nothing lost, nothing leaked. */
HTEST(swap_back_and_forth_keeps_every_frame)
{
	rmap_test_use("chains");
	long long live = fake.kmalloc_live;
	struct rmap_status before, after;

	rmap_get_status(&before);
	for (unsigned i = 0; i < 40; i++)
		swap_test_share(i);
	for (unsigned round = 0; round < 6; round++) {
		rmap_test_use(round % 2 ? "chains" : "family");
		unsigned bad = 0;
		for (unsigned i = 0; i < 40; i++)
			bad += !swap_test_intact(i);
		HCHECK_EQ(bad, 0);
	}
	rmap_get_status(&after);
	HCHECK_EQ(after.swaps, before.swaps + 6);
	HCHECK_EQ(after.moved, 40);
	for (unsigned i = 0; i < 40; i++) {
		for (unsigned space = 1; space < 5; space++)
			(void)rmap_remove(SWAP_FRAME(i), SPACE(space), i * 0x1000ull);
	}
	HCHECK_EQ(rmap_frames(), 0);
	HCHECK_EQ(fake.kmalloc_live, live);
}

HTEST(swap_refuses_unknown_and_same_design)
{
	rmap_test_use("chains");
	HCHECK_EQ(rmap_swap_begin("nosuch"), RMAP_UNKNOWN);
	HCHECK_EQ(rmap_swap_begin(NULL), RMAP_UNKNOWN);
	HCHECK_EQ(rmap_swap_begin("chains"), RMAP_SAME);
	HCHECK(!rmap_swap_step());	/* no swap: nothing to walk */
	HCHECK(strcmp(rmap_design_name(0), "chains") == 0);
	HCHECK(strcmp(rmap_design_name(1), "family") == 0);
	HCHECK(rmap_design_name(2) == NULL);
}

/* A swap of an empty map is done when it begins: no walk is left for a
 * thread to finish, so the next question sees the new design alone. */
HTEST(swap_of_an_empty_map_is_done_at_once)
{
	struct rmap_status status;

	rmap_test_use("chains");
	HCHECK_EQ(rmap_frames(), 0);
	rmap_get_status(&status);
	uint64_t swaps = status.swaps;
	HCHECK_EQ(rmap_swap_begin("family"), RMAP_OK);
	rmap_get_status(&status);
	HCHECK(status.left == NULL);
	HCHECK(strcmp(status.right, "family") == 0);
	HCHECK_EQ(status.swaps, swaps + 1);
	HCHECK(!rmap_swap_step());
	HCHECK_EQ(rmap_swap_begin("chains"), RMAP_OK);	/* not RMAP_BUSY */
	rmap_test_use("chains");
}
