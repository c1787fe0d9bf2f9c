/*
 * Host tests of the reverse map (mm/rmap.c): frames enter it when shared,
 * leave it when one mapping is left, and every record is freed.
 */
#include "mm/rmap.h"
#include "tests/host/fake_vmm.h"
#include "tests/host/htest.h"

/* Two distinct "spaces": the map only compares their addresses. */
static int space_storage[3];
#define SPACE(i) ((struct vmm_space *)&space_storage[i])

HTEST(unknown_frame_has_no_mappings_and_is_its_owners)
{
	HCHECK_EQ(rmap_mappings(0x5000), 0);
	HCHECK_EQ(rmap_remove(0x5000, SPACE(0), 0x1000), 0);
	HCHECK(!rmap_maps(0x5000, SPACE(0), 0x1000));
}

HTEST(shared_frame_counts_each_space_and_leaves_with_one_left)
{
	long long live = fake.kmalloc_live;
	uint64_t frames = rmap_frames();

	HCHECK_EQ(rmap_share(0x7000, SPACE(0), SPACE(1), 0x2000), RMAP_OK);
	HCHECK_EQ(rmap_mappings(0x7000), 2);
	HCHECK_EQ(rmap_frames(), frames + 1);
	HCHECK(rmap_maps(0x7000, SPACE(0), 0x2000));
	HCHECK(rmap_maps(0x7000, SPACE(1), 0x2000));
	HCHECK(!rmap_maps(0x7000, SPACE(2), 0x2000));
	/* a third space (a grandchild) joins the known frame */
	HCHECK_EQ(rmap_share(0x7000, SPACE(1), SPACE(2), 0x2000), RMAP_OK);
	HCHECK_EQ(rmap_mappings(0x7000), 3);
	HCHECK_EQ(rmap_frames(), frames + 1);
	HCHECK_EQ(rmap_remove(0x7000, SPACE(0), 0x2000), 2);
	/* one left: the frame is its last mapper's alone, forgotten */
	HCHECK_EQ(rmap_remove(0x7000, SPACE(2), 0x2000), 1);
	HCHECK_EQ(rmap_mappings(0x7000), 0);
	HCHECK_EQ(rmap_frames(), frames);
	HCHECK_EQ(rmap_remove(0x7000, SPACE(1), 0x2000), 0);
	HCHECK_EQ(fake.kmalloc_live, live);
}

HTEST(removing_a_mapping_it_does_not_have_changes_nothing)
{
	HCHECK_EQ(rmap_share(0x9000, SPACE(0), SPACE(1), 0x3000), RMAP_OK);
	HCHECK_EQ(rmap_remove(0x9000, SPACE(2), 0x3000), 2);
	HCHECK_EQ(rmap_remove(0x9000, SPACE(0), 0x4000), 2);
	HCHECK_EQ(rmap_mappings(0x9000), 2);
	HCHECK_EQ(rmap_remove(0x9000, SPACE(0), 0x3000), 1);
	HCHECK_EQ(rmap_mappings(0x9000), 0);
}

HTEST(many_frames_in_one_bucket_are_kept_apart)
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
