/*
 * Benchmark fault_path (bench=fault_path): the cost of one fault of a
 * transformed region, eviction and sealing of the victim included. A
 * cyclic scan over limit + 1 pages under FIFO makes every access fault.
 * Printed as "events=<off|on|on-subscribed> transform=<name>
 * insns_per_fault=<x>": the figure is in TSC ticks, which under QEMU's
 * -icount shift=0 are instructions (tools/bench-faults runs it so), and
 * cycles elsewhere.
 */
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "mm/event_counts.h"
#include "mm/hooks.h"
#include "mm/region.h"
#include "mm/store.h"

#define BENCH_LIMIT 8
#define BENCH_ROUNDS 400

static uint64_t bench_faults(struct region *region)
{
	struct region_stats stats;

	region_get_stats(region, &stats);
	return stats.faults;
}

/* TSC ticks per fault of a region under scheme, after a warm-up round. */
static uint64_t bench_ticks_per_fault(const char *scheme)
{
	struct region_config config = {
		.name = "bench", .pages = BENCH_LIMIT + 1,
		.clear_limit = BENCH_LIMIT, .scheme = scheme,
		.store = store_default(),
	};
	struct region *region;

	if (region_create(&config, &region) != REGION_OK)
		return 0;
	for (uint32_t page = 0; page <= BENCH_LIMIT; page++)
		*(volatile uint8_t *)region_page_address(region, page) = 1;
	uint64_t faults = bench_faults(region);
	uint64_t start = time_cycles();
	for (unsigned round = 0; round < BENCH_ROUNDS; round++) {
		for (uint32_t page = 0; page <= BENCH_LIMIT; page++)
			(void)*(volatile uint8_t *)region_page_address(region, page);
	}
	uint64_t ticks = time_cycles() - start;
	faults = bench_faults(region) - faults;
	region_destroy(region);
	return faults ? ticks / faults : 0;
}

static void bench_print(const char *events, const char *transform)
{
	char scheme[48];

	ksnprintf(scheme, sizeof(scheme), "fifo:%s", transform);
	printk("events=%s transform=%s insns_per_fault=%llu\n", events, transform,
	       (unsigned long long)bench_ticks_per_fault(scheme));
}

KBENCH(fault_path)
{
	static const char *const transforms[] = { "identity", "xor-debug",
						  "lz4", "adaptive" };
	const char *events = CONFIG_TLB_HOOKS ? "on" : "off";

	for (unsigned i = 0; i < sizeof(transforms) / sizeof(transforms[0]); i++)
		bench_print(events, transforms[i]);
	if (CONFIG_TLB_HOOKS && event_counts_start() == TLB_HOOKS_OK) {
		bench_print("on-subscribed", "identity");
		event_counts_stop();
	}
}
