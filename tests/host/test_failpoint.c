/*
 * Host tests of the fault-injection points (kernel/lib/failpoint.c): the
 * n-th call fails once, a probability fails about its share and the same
 * seed fails the same calls, counters, and the setting text.
 */
#include <string.h>
#include "kernel/lib/failpoint.h"
#include "tests/host/htest.h"

static void failpoint_test_reset(void)
{
	failpoint_clear_all();
	failpoint_reset_counts();
	failpoint_seed(1);
}

/* Which of the next calls of id fail, as a bit per call (up to 64). */
static uint64_t failpoint_test_pattern(enum failpoint_id id, unsigned calls)
{
	uint64_t pattern = 0;

	for (unsigned i = 0; i < calls; i++)
		if (FAILPOINT(id))
			pattern |= 1ull << i;
	return pattern;
}

HTEST(unarmed_points_never_fail_and_count_calls)
{
	struct failpoint_counts counts;

	failpoint_test_reset();
	HCHECK_EQ(failpoint_test_pattern(FAILPOINT_STORE_PUT, 64), 0);
	failpoint_get_counts(FAILPOINT_STORE_PUT, &counts);
	HCHECK_EQ(counts.calls, 64);
	HCHECK_EQ(counts.injected, 0);
	HCHECK(!failpoint_any_armed());
}

HTEST(nth_call_fails_once)
{
	struct failpoint_counts counts;

	failpoint_test_reset();
	FAILPOINT(FAILPOINT_FRAME_ALLOC);	/* a call before arming */
	failpoint_set(FAILPOINT_FRAME_ALLOC, 3, 0);
	HCHECK(failpoint_any_armed());
	HCHECK_EQ(failpoint_test_pattern(FAILPOINT_FRAME_ALLOC, 10), 1u << 2);
	/* Another point is not touched. */
	HCHECK_EQ(failpoint_test_pattern(FAILPOINT_SEAL, 10), 0);
	failpoint_get_counts(FAILPOINT_FRAME_ALLOC, &counts);
	HCHECK_EQ(counts.calls, 11);
	HCHECK_EQ(counts.injected, 1);
	HCHECK_EQ(failpoint_total_injected(), 1);
}

HTEST(probability_fails_about_its_share)
{
	struct failpoint_counts counts;
	unsigned failed = 0;

	failpoint_test_reset();
	failpoint_set(FAILPOINT_SLAB_ALLOC, 0, 10000);	/* 1 % */
	for (unsigned i = 0; i < 100000; i++)
		failed += FAILPOINT(FAILPOINT_SLAB_ALLOC);
	failpoint_get_counts(FAILPOINT_SLAB_ALLOC, &counts);
	HCHECK_EQ(counts.injected, failed);
	htest_log("1 %% of 100000 calls: %u failed", failed);
	HCHECK(failed > 800 && failed < 1200);
	failpoint_set(FAILPOINT_SLAB_ALLOC, 0, FAILPOINT_PPM_MAX);
	HCHECK_EQ(failpoint_test_pattern(FAILPOINT_SLAB_ALLOC, 64), ~0ull);
}

HTEST(same_seed_same_failures)
{
	failpoint_test_reset();
	failpoint_seed(42);
	failpoint_set(FAILPOINT_UNSEAL, 0, 300000);
	uint64_t first = failpoint_test_pattern(FAILPOINT_UNSEAL, 64);
	failpoint_reset_counts();
	failpoint_seed(42);
	uint64_t again = failpoint_test_pattern(FAILPOINT_UNSEAL, 64);
	failpoint_reset_counts();
	failpoint_seed(43);
	uint64_t other = failpoint_test_pattern(FAILPOINT_UNSEAL, 64);
	HCHECK(first != 0);
	HCHECK_EQ(first, again);
	HCHECK(first != other);
}

HTEST(clear_all_disarms_and_keeps_counts)
{
	struct failpoint_counts counts;

	failpoint_test_reset();
	failpoint_set(FAILPOINT_STORE_MAP, 0, FAILPOINT_PPM_MAX);
	HCHECK(FAILPOINT(FAILPOINT_STORE_MAP));
	failpoint_clear_all();
	HCHECK(!failpoint_any_armed());
	HCHECK(!FAILPOINT(FAILPOINT_STORE_MAP));
	failpoint_get_counts(FAILPOINT_STORE_MAP, &counts);
	HCHECK_EQ(counts.calls, 2);
	HCHECK_EQ(counts.injected, 1);
}

HTEST(names_round_trip)
{
	for (unsigned i = 0; i < FAILPOINTS; i++)
		HCHECK_EQ(failpoint_find(failpoint_name((enum failpoint_id)i)), i);
	HCHECK_EQ(failpoint_find("nosuch"), FAILPOINTS);
	HCHECK(failpoint_name(FAILPOINTS) == NULL);
	HCHECK_EQ(failpoint_find("page_table_alloc"), FAILPOINT_PAGE_TABLE_ALLOC);
}

HTEST(parse_sets_points)
{
	char error[32];

	failpoint_test_reset();
	HCHECK(failpoint_parse("seed=9,store_put:nth=2,seal:ppm=1000000",
			       error, sizeof(error)));
	HCHECK_EQ(failpoint_test_pattern(FAILPOINT_STORE_PUT, 4), 1u << 1);
	HCHECK_EQ(failpoint_test_pattern(FAILPOINT_SEAL, 4), 0xf);
	HCHECK(failpoint_parse("seal:off", error, sizeof(error)));
	HCHECK_EQ(failpoint_test_pattern(FAILPOINT_SEAL, 4), 0);
	HCHECK(failpoint_parse("all:ppm=1000000", error, sizeof(error)));
	for (unsigned i = 0; i < FAILPOINTS; i++)
		HCHECK(FAILPOINT((enum failpoint_id)i));
	HCHECK(failpoint_parse("off", error, sizeof(error)));
	HCHECK(!failpoint_any_armed());
}

HTEST(parse_rejects_bad_items_and_names_them)
{
	static const char *const bad[] = {
		"nosuch:nth=1", "seal:nth=0", "seal:ppm=1000001", "seal:nth=x",
		"seal", "seal:often", "seed=", "seed=12a", ":nth=1", "",
		"seal:nth=99999999999999999999",
	};
	char error[32];

	failpoint_test_reset();
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool ok = failpoint_parse(bad[i], error, sizeof(error));
		if (ok)
			htest_log("accepted: \"%s\"", bad[i]);
		HCHECK(!ok);
		HCHECK(strcmp(error, bad[i]) == 0 || strlen(bad[i]) >= sizeof(error));
	}
	HCHECK(!failpoint_any_armed());
	/* Items before the bad one are applied; the bad one is named. */
	HCHECK(!failpoint_parse("store_map:nth=1,bogus", error, sizeof(error)));
	HCHECK(strcmp(error, "bogus") == 0);
	HCHECK(FAILPOINT(FAILPOINT_STORE_MAP));
}
