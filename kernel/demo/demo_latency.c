/*
 * Fault latencies in cycles, kept as a log-linear histogram (8 buckets per
 * power of two, so a percentile is within 1/8 of the truth) rather than as
 * samples: recording is O(1) and a percentile for the status line costs a
 * walk over 512 counters, whatever the number of faults.
 */
#include <string.h>
#include "kernel/demo/demo_internal.h"

#define DEMO_LATENCY_EXACT 16	/* values below are their own bucket */
#define DEMO_LATENCY_SUB_BITS 3

static unsigned demo_latency_bucket(uint64_t cycles)
{
	if (cycles < DEMO_LATENCY_EXACT)
		return (unsigned)cycles;
	unsigned exponent = 63u - (unsigned)__builtin_clzll(cycles);
	unsigned sub = (unsigned)(cycles >> (exponent - DEMO_LATENCY_SUB_BITS)) &
		       ((1u << DEMO_LATENCY_SUB_BITS) - 1);
	return DEMO_LATENCY_EXACT + (exponent - 4) * (1u << DEMO_LATENCY_SUB_BITS) +
	       sub;
}

/* The middle of a bucket's range. */
static uint64_t demo_latency_value(unsigned bucket)
{
	if (bucket < DEMO_LATENCY_EXACT)
		return bucket;
	unsigned step = bucket - DEMO_LATENCY_EXACT;
	unsigned exponent = 4 + step / (1u << DEMO_LATENCY_SUB_BITS);
	uint64_t sub = step % (1u << DEMO_LATENCY_SUB_BITS);
	uint64_t low = (1ull << exponent) +
		       (sub << (exponent - DEMO_LATENCY_SUB_BITS));
	return low + (1ull << (exponent - DEMO_LATENCY_SUB_BITS)) / 2;
}

void demo_latency_reset(struct demo_latency *latency)
{
	memset(latency, 0, sizeof(*latency));
}

void demo_latency_add(struct demo_latency *latency, uint64_t cycles)
{
	latency->counts[demo_latency_bucket(cycles)]++;
	latency->samples++;
}

uint64_t demo_latency_percentile(const struct demo_latency *latency,
				 unsigned per_mille)
{
	uint64_t wanted = (latency->samples * per_mille + 999) / 1000, seen = 0;

	if (latency->samples == 0)
		return 0;
	if (wanted == 0)
		wanted = 1;
	for (unsigned b = 0; b < DEMO_LATENCY_BUCKETS; b++) {
		seen += latency->counts[b];
		if (seen >= wanted)
			return demo_latency_value(b);
	}
	return demo_latency_value(DEMO_LATENCY_BUCKETS - 1);
}
