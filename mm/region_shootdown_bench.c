/*
 * Benchmark shootdown (bench=shootdown, make bench-shootdown): what TLB
 * shootdowns an eviction costs with every CPU holding translations, for
 * eviction batches of 1 and REGION_EVICT_BATCH_DEFAULT. Under QEMU's
 * -icount shift=0 the TSC counts instructions (tools/bench-shootdown runs
 * it so, once per CPU count).
 *
 * Workload: a FIFO identity region of SHOOTDOWN_PAGES pages with a clear
 * set of SHOOTDOWN_LIMIT, scanned cyclically by reads on the benchmark's
 * CPU (every read faults, and a full set evicts `batch` pages at once),
 * while a thread on every other CPU reads the region's clear pages every
 * millisecond (so each CPU's TLB may hold any present page, and every
 * round must reach it). The run stops after SHOOTDOWN_EVICTIONS evictions. One line each:
 *   cpus=<n> batch=<b> ipis_per_1000_evictions=<x> insns_per_eviction=<y>
 * ipis: the tlb_stats shootdown_ipis delta (every CPU's); insns: TSC ticks
 * of the run (all CPUs' instructions under -icount, the readers' included)
 * over the evictions. Then the same with CLOCK, whose reference-bit scan
 * (vmm_test_and_clear_accessed) sends a round of its own per page looked
 * at, over SHOOTDOWN_CLOCK_EVICTIONS evictions, as a comment line:
 *   # clock cpus=<n> batch=<b> ipis_per_1000_evictions=<x> rounds_per_1000_evictions=<r>
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "mm/region.h"
#include "mm/store.h"
#include "mm/tlb.h"

#define SHOOTDOWN_PAGES 320u
#define SHOOTDOWN_LIMIT 256u
#define SHOOTDOWN_EVICTIONS 20000u
/* CLOCK's rounds are one per page its hand looks at: fewer evictions. */
#define SHOOTDOWN_CLOCK_EVICTIONS 2000u
#define SHOOTDOWN_READER_PAUSE_MS 1u
#define SHOOTDOWN_CPUS_MAX 64u

struct shootdown_run {
	struct region *region;
	unsigned stop;		/* set (atomically) when the run is over */
};

struct shootdown_figures {
	uint64_t evictions, ipis, rounds, ticks;
};

/* On another CPU: reads the clear pages every millisecond until the run
 * stops (the state read without the lock: a page evicted meanwhile just
 * faults). The pause keeps the readers' own instructions, which -icount
 * counts with the benchmark's, a small share of the figure. */
static void shootdown_reader(void *argument)
{
	struct shootdown_run *run = argument;

	while (!__atomic_load_n(&run->stop, __ATOMIC_ACQUIRE)) {
		for (uint32_t page = 0; page < SHOOTDOWN_PAGES; page++) {
			if (region_page_state(run->region, page) == REGION_CLEAR)
				(void)*(volatile uint8_t *)region_page_address(
					run->region, page);
		}
		thread_sleep_ms(SHOOTDOWN_READER_PAUSE_MS);
	}
}

static uint64_t shootdown_evictions(struct region *region)
{
	struct region_stats stats;

	region_get_stats(region, &stats);
	return stats.evictions;
}

/* One measurement; false (the bench failed) when it could not run. */
static bool shootdown_measure(const char *scheme, uint32_t batch,
			      uint32_t evictions,
			      struct shootdown_figures *figures)
{
	struct region_config config = {
		.name = "shootdown", .pages = SHOOTDOWN_PAGES,
		.clear_limit = SHOOTDOWN_LIMIT, .scheme = scheme,
		.store = store_default(), .evict_batch = batch,
	};
	struct shootdown_run run = { 0 };
	struct thread *readers[SHOOTDOWN_CPUS_MAX] = { 0 };
	struct tlb_stats before, after;
	unsigned cpus = cpu_count() < SHOOTDOWN_CPUS_MAX ? cpu_count() :
							  SHOOTDOWN_CPUS_MAX;
	unsigned self = cpu_current();

	if (region_create(&config, &run.region) != REGION_OK) {
		ktest_bench_fail("shootdown: region_create(%s) failed", scheme);
		return false;
	}
	for (uint32_t page = 0; page < SHOOTDOWN_PAGES; page++)	/* warm-up */
		*(volatile uint8_t *)region_page_address(run.region, page) =
			(uint8_t)page;
	for (unsigned cpu = 0; cpu < cpus; cpu++) {
		if (cpu != self)
			readers[cpu] = thread_create_on("shootdown_reader",
							shootdown_reader, &run,
							1ull << cpu);
	}
	uint64_t first = shootdown_evictions(run.region);
	tlb_get_stats(&before);
	uint64_t start = time_cycles();
	for (uint32_t page = 0;
	     shootdown_evictions(run.region) - first < evictions;
	     page = (page + 1) % SHOOTDOWN_PAGES)
		(void)*(volatile uint8_t *)region_page_address(run.region, page);
	figures->ticks = time_cycles() - start;
	tlb_get_stats(&after);
	figures->evictions = shootdown_evictions(run.region) - first;
	__atomic_store_n(&run.stop, 1, __ATOMIC_RELEASE);
	for (unsigned cpu = 0; cpu < cpus; cpu++) {
		if (readers[cpu])
			thread_join(readers[cpu]);
	}
	region_destroy(run.region);
	figures->ipis = after.shootdown_ipis - before.shootdown_ipis;
	figures->rounds = after.shootdown_rounds - before.shootdown_rounds;
	return true;
}

static uint64_t shootdown_per_1000(uint64_t count, uint64_t evictions)
{
	return evictions ? count * 1000 / evictions : 0;
}

KBENCH(shootdown)
{
	const uint32_t batches[] = { 1, REGION_EVICT_BATCH_DEFAULT };
	struct shootdown_figures f;

	for (unsigned i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		if (!shootdown_measure("fifo:identity", batches[i],
				       SHOOTDOWN_EVICTIONS, &f))
			return;
		printk("cpus=%u batch=%u ipis_per_1000_evictions=%llu "
		       "insns_per_eviction=%llu\n", cpu_count(), batches[i],
		       (unsigned long long)shootdown_per_1000(f.ipis, f.evictions),
		       (unsigned long long)(f.ticks / f.evictions));
	}
	for (unsigned i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		if (!shootdown_measure("clock:identity", batches[i],
				       SHOOTDOWN_CLOCK_EVICTIONS, &f))
			return;
		printk("# clock cpus=%u batch=%u ipis_per_1000_evictions=%llu "
		       "rounds_per_1000_evictions=%llu insns_per_eviction=%llu\n",
		       cpu_count(), batches[i],
		       (unsigned long long)shootdown_per_1000(f.ipis, f.evictions),
		       (unsigned long long)shootdown_per_1000(f.rounds, f.evictions),
		       (unsigned long long)(f.ticks / f.evictions));
	}
}
