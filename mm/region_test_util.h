/*
 * Helpers shared by the region ktests and benchmarks (mm/region_test.c,
 * mm/region_bench.c).
 */
#ifndef VEIL_MM_REGION_TEST_UTIL_H
#define VEIL_MM_REGION_TEST_UTIL_H

#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "mm/region.h"

/* A region over the default store; fails the case if it cannot be made. */
struct region *region_test_create(struct ktest *t, const char *scheme,
				  uint32_t pages, uint32_t limit);
/*
 * Frames not in use: free frames once every CPU's slab magazines are
 * emptied, empty slabs reaped and the default store compacted, plus the
 * default store's metadata frames. Those hold its handle table and zspage
 * descriptors, which grow to a workload's peak and stay (zstore: handles
 * are table indices): a frame that moved there is kept by design, not
 * leaked, and how many move depends on how the workload interleaved. A
 * case that compares two readings asks whether anything else was kept.
 */
uint64_t region_test_free_frames(void);
/* Fills a page: half a seed-dependent pattern, half pseudo-random words. */
void region_test_fill(void *page, uint64_t seed);
uint64_t region_test_checksum(const void *page);
/* The next value of a xorshift64 sequence (state: not 0), for the load
 * workers of the region suites. */
static inline uint64_t region_test_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}
/* Random and skewed accesses over a region of 256 pages with a clear set
 * of 16 under scheme, every read checked and every MAP checked clear;
 * fails the case on any mismatch (mm/region_test.c). */
void region_stress_case(struct ktest *t, const char *scheme,
			unsigned accesses);

#endif
