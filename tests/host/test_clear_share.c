/*
 * Host tests of clear sets shared by several regions (mm/clear_share.c)
 * over the fake address space: the budget bounds the present pages of
 * every member together, the share's policy takes victims from any member,
 * content survives, failed seals lose nothing, and slots and memory come
 * back when the members and the share go.
 */
#include <string.h>
#include "mm/clear_share.h"
#include "mm/region.h"
#include "tests/host/fake_vmm.h"
#include "tests/host/htest.h"
#include "transforms/xf.h"
#include "transforms/xf_codec.h"

static struct region *make_member(struct clear_share *share, const char *scheme,
				  uint32_t pages, struct store *store,
				  struct region_group *group)
{
	struct region_config config = {
		.name = "member", .pages = pages, .clear_limit = 1,
		.scheme = scheme, .store = store, .share = share, .group = group,
	};
	struct region *region = NULL;

	xf_register_builtin();
	xf_codec_register();
	HCHECK_EQ(region_create(&config, &region), REGION_OK);
	return region;
}

static uint8_t *touch(struct region *region, uint32_t page, bool write)
{
	return fake_access((uintptr_t)region_page_address(region, page), write);
}

/* Writes a pattern naming (tag, page) over the whole page. */
static bool write_pattern(struct region *region, uint32_t page, uint32_t tag)
{
	uint8_t *bytes = touch(region, page, true);

	if (!bytes)
		return false;
	for (unsigned i = 0; i < 4096; i += 4) {
		uint32_t word = tag << 20 ^ page << 8 ^ (i >> 2 & 0xff);
		memcpy(bytes + i, &word, 4);
	}
	return true;
}

static bool pattern_intact(struct region *region, uint32_t page, uint32_t tag)
{
	uint8_t *bytes = touch(region, page, false);

	if (!bytes)
		return false;
	for (unsigned i = 0; i < 4096; i += 4) {
		uint32_t word = tag << 20 ^ page << 8 ^ (i >> 2 & 0xff);
		if (memcmp(bytes + i, &word, 4) != 0)
			return false;
	}
	return true;
}

static uint64_t evictions_of(struct region *region)
{
	struct region_stats stats;

	region_get_stats(region, &stats);
	return stats.evictions;
}

HTEST(budget_bounds_the_present_pages_of_every_member_together)
{
	fake_vmm_reset();	/* counters from zero: this is the first case */
	struct store *store = fake_store_create(1024);
	xf_register_builtin();
	xf_codec_register();
	long long live = fake.kmalloc_live;
	struct clear_share share;
	HCHECK_EQ(clear_share_init(&share, policy_lookup("clock"), 8, 0, NULL), 0);
	struct region *a = make_member(&share, "clock:lz4", 16, store, NULL);
	struct region *b = make_member(&share, "clock:lz4", 24, store, NULL);
	bool bounded = true;

	for (uint32_t page = 0; page < 24; page++) {
		if (page < 16)
			HCHECK(write_pattern(a, page, 1));
		HCHECK(write_pattern(b, page, 2));
		bounded &= clear_share_resident(&share) <= 8 &&
			   a->clear.resident + b->clear.resident ==
				   clear_share_resident(&share);
	}
	HCHECK(bounded);
	HCHECK_EQ(clear_share_resident(&share), 8);
	HCHECK(share.evictions >= 40 - 8);
	HCHECK_EQ(evictions_of(a) + evictions_of(b), share.evictions);
	for (uint32_t page = 0; page < 24; page++) {
		if (page < 16)
			HCHECK(pattern_intact(a, page, 1));
		HCHECK(pattern_intact(b, page, 2));
	}
	HCHECK(clear_share_resident(&share) <= 8);
	region_destroy(a);
	region_destroy(b);
	HCHECK_EQ(share.members, 0);
	HCHECK_EQ(share.member_pages, 0);
	clear_share_destroy(&share);
	HCHECK_EQ(fake.kmalloc_live, live);
	store->ops->destroy(store);
	fake_release_quarantine();
	HCHECK_EQ(fake.frames_allocated, 0);
}

HTEST(a_stream_in_one_member_evicts_the_cold_pages_of_another)
{
	struct store *store = fake_store_create(1024);
	struct clear_share share;
	HCHECK_EQ(clear_share_init(&share, policy_lookup("clock"), 8, 0, NULL), 0);
	struct region *code = make_member(&share, "clock:identity", 8, store, NULL);
	struct region *heap = make_member(&share, "clock:identity", 64, store, NULL);

	/* pages 0-1 of code are hot (used between every heap page), 2-5 are
	 * touched once; the heap streams through 64 pages */
	for (uint32_t page = 0; page < 6; page++)
		HCHECK(write_pattern(code, page, 3));
	uint64_t code_evictions_before = evictions_of(code);
	for (uint32_t page = 0; page < 64; page++) {
		HCHECK(write_pattern(heap, page, 4));
		HCHECK(touch(code, 0, false) != NULL);
		HCHECK(touch(code, 1, false) != NULL);
	}
	/* the cold code pages left for the heap's sake: one policy, one set */
	HCHECK(evictions_of(code) >= code_evictions_before + 4);
	HCHECK(share.cross_evictions >= 4);
	HCHECK(clearset_contains(&code->clear, 0));
	HCHECK(clearset_contains(&code->clear, 1));
	for (uint32_t page = 2; page < 6; page++)
		HCHECK(!clearset_contains(&code->clear, page));
	for (uint32_t page = 0; page < 6; page++)
		HCHECK(pattern_intact(code, page, 3));
	for (uint32_t page = 0; page < 64; page++)
		HCHECK(pattern_intact(heap, page, 4));
	region_destroy(code);
	region_destroy(heap);
	clear_share_destroy(&share);
	store->ops->destroy(store);
	fake_release_quarantine();
}

HTEST(a_budget_in_percent_follows_the_populated_pages_of_all_members)
{
	struct store *store = fake_store_create(1024);
	struct region_group group = { 0 };
	struct clear_share share;
	HCHECK_EQ(clear_share_init(&share, policy_lookup("fifo"), 2, 25, &group), 0);
	struct region *a = make_member(&share, "fifo:lz4", 32, store, &group);
	struct region *b = make_member(&share, "fifo:lz4", 32, store, &group);

	for (uint32_t page = 0; page < 20; page++) {
		HCHECK(write_pattern(a, page, 5));
		HCHECK(write_pattern(b, page, 6));
	}
	/* 40 populated pages: a quarter is 10, over both regions */
	HCHECK_EQ(clear_share_limit(&share), 10);
	HCHECK_EQ(clear_share_resident(&share), 10);
	HCHECK_EQ(group.sealed_pages, 30);
	/* refaults do not populate more: the budget stays */
	for (uint32_t page = 0; page < 20; page++)
		HCHECK(pattern_intact(a, page, 5));
	HCHECK_EQ(clear_share_limit(&share), 10);
	HCHECK(share.set.limit >= share.floor);
	region_destroy(a);
	region_destroy(b);
	clear_share_destroy(&share);
	store->ops->destroy(store);
	fake_release_quarantine();
}

HTEST(a_refused_seal_keeps_the_page_present_and_the_share_consistent)
{
	/* a store of 16 frames (the least) for 32 raw pages: seals are refused */
	struct store *store = fake_store_create(16);
	struct clear_share share;
	HCHECK_EQ(clear_share_init(&share, policy_lookup("clock"), 4, 0, NULL), 0);
	struct region *a = make_member(&share, "clock:identity", 16, store, NULL);
	struct region *b = make_member(&share, "clock:identity", 16, store, NULL);

	for (uint32_t page = 0; page < 16; page++) {
		HCHECK(write_pattern(a, page, 7));
		HCHECK(write_pattern(b, page, 8));
	}
	struct region_stats sa, sb;
	region_get_stats(a, &sa);
	region_get_stats(b, &sb);
	HCHECK(sa.seal_failures + sb.seal_failures > 0);
	/* over the budget for now, every page either present or sealed */
	HCHECK_EQ(a->clear.resident + b->clear.resident,
		  clear_share_resident(&share));
	HCHECK_EQ(share.set.leaving, 0);
	HCHECK_EQ(clear_share_resident(&share) + sa.sealed_pages + sb.sealed_pages,
		  32);
	for (uint32_t page = 0; page < 16; page++) {
		HCHECK(pattern_intact(a, page, 7));
		HCHECK(pattern_intact(b, page, 8));
	}
	region_destroy(a);
	region_destroy(b);
	clear_share_destroy(&share);
	store->ops->destroy(store);
	fake_release_quarantine();
}

HTEST(members_joining_one_by_one_grow_the_slots_without_losing_order)
{
	struct store *store = fake_store_create(1024);
	struct clear_share share;
	struct region *members[6];
	HCHECK_EQ(clear_share_init(&share, policy_lookup("clock"), 16, 0, NULL), 0);

	for (unsigned i = 0; i < 6; i++) {
		members[i] = make_member(&share, "clock:lz4", 40, store, NULL);
		for (uint32_t page = 0; page < 40; page += 3)
			HCHECK(write_pattern(members[i], page, 10 + i));
		HCHECK(share.capacity >= share.member_pages);
		HCHECK(clear_share_resident(&share) <= 16);
	}
	for (unsigned i = 0; i < 6; i++)
		for (uint32_t page = 0; page < 40; page += 3)
			HCHECK(pattern_intact(members[i], page, 10 + i));
	for (unsigned i = 0; i < 6; i++)
		region_destroy(members[i]);
	HCHECK_EQ(clear_share_resident(&share), 0);
	clear_share_destroy(&share);
	store->ops->destroy(store);
	fake_release_quarantine();
}

HTEST(bad_shares_are_refused)
{
	struct clear_share share;

	HCHECK_EQ(clear_share_init(&share, NULL, 8, 0, NULL), -1);
	HCHECK_EQ(clear_share_init(&share, policy_lookup("clock"), 0, 0, NULL), -1);
	HCHECK_EQ(clear_share_init(&share, policy_lookup("clock"), 8, 101, NULL), -1);
	/* a percentage needs the group that counts the sealed pages */
	HCHECK_EQ(clear_share_init(&share, policy_lookup("clock"), 8, 25, NULL), -1);
}
