/*
 * Benchmark swap (bench=swap, make bench-swap): what a live swap costs
 * the workload and the migrating CPU, for each kind of swap (the
 * transform chain, the policy alone, the key). Under QEMU's -icount
 * shift=0 the TSC counts instructions (tools/bench-swap runs it so); with
 * several vCPUs QEMU then runs them in turn on one host thread, so a span
 * of TSC ticks on one CPU counts every CPU's instructions in it.
 *
 * Workload: a region of SWAP_BENCH_PAGES pages, clear set of an eighth,
 * under the swap's "from" scheme; a worker on each CPU but CPU 0 (at most
 * four; one on a one-CPU boot) reads and writes its slice (three accesses
 * in four to an eighth of it) with a shadow checksum per page. Each access
 * to a page that is not clear when it is chosen is a fault; its cost is
 * the TSC ticks around the access. Steady: SWAP_BENCH_STEADY faults per
 * worker before the swap. During: from the swap's start on CPU 0 until
 * its migration is over (region_migrate_wait; for the key, the
 * system-wide rotation with its wait). One line per swap:
 *   swap=<from>-><to> pages=<n> cpus=<c> drain_insns=<x>
 *   fault_p99_insns_steady=<a> fault_p99_insns_during=<b>
 *   max_stall_insns=<m> mismatches=<k>
 * drain_insns: ticks on CPU 0 from the change to the end of the migration
 * (its thread runs on CPU 0 beside the swapper); max_stall_insns: the
 * longest access (fault or not) of any worker during the swap. A second
 * line, "# swap=...", says what that access was made of (a fault or not,
 * the timer ticks and thread switches it spanned) and what ran meanwhile
 * (the migration's holds, the default store's compactions).
 * bench=swap_large runs two of the swaps on 256 MiB of sealed pages.
 * Figures, not goals: nothing is asserted but that the run happened.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "mm/region.h"
#include "mm/region_boot.h"
#include "mm/region_migrate.h"
#include "mm/region_rekey.h"
#include "mm/slab.h"
#include "mm/store.h"

#define SWAP_BENCH_PAGES 1024u
#define SWAP_BENCH_LIMIT (SWAP_BENCH_PAGES / 8u)
/* bench=swap_large: 256 MiB of sealed pages (65536) under a clear set of
 * 32 MiB, the migration size issue 15 names. */
#define SWAP_BENCH_LARGE_SEALED 65536u
#define SWAP_BENCH_LARGE_LIMIT 8192u
#define SWAP_BENCH_WORKERS_MAX 4u
#define SWAP_BENCH_STEADY 1500u	/* faults per worker before the swap */
#define SWAP_BENCH_SAMPLES 4096u	/* fault costs kept per phase */

enum swap_bench_phase { SWAP_STEADY, SWAP_DURING, SWAP_OVER };

struct swap_bench_run {
	struct region *region;
	uint32_t pages;
	uint64_t *shadow;	/* a checksum per page, each in one worker's slice */
	uint64_t swap_start;	/* ticks when the swap began */
	unsigned workers;
	unsigned phase;		/* atomic: enum swap_bench_phase */
	unsigned steady_done;	/* atomic: workers past SWAP_BENCH_STEADY */
};

/* What the longest access of a worker during the swap was: whether it
 * faulted, the timer ticks its thread took meanwhile (interrupts were on
 * for that long: it was not waiting on a spin lock), the thread switches
 * its CPU made (another thread ran in the middle of it), when it started
 * (ticks after the swap's start). */
struct swap_bench_stall {
	uint64_t cost, switches, at, ticks;
	bool fault;
};

struct swap_bench_worker {
	struct swap_bench_run *run;
	unsigned index;
	unsigned cpu;
	uint64_t mismatches;
	struct swap_bench_stall stall;
	uint64_t stalls_over_1m;	/* accesses during the swap over 10^6 */
	uint32_t count[2];			/* samples per phase */
	uint32_t samples[2][SWAP_BENCH_SAMPLES];
};

static struct swap_bench_worker swap_bench_workers[SWAP_BENCH_WORKERS_MAX];

static uint64_t swap_bench_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/* A page's content: half a repeated pattern, half mixed words (a codec
 * has something to do, and not everything). */
static void swap_bench_fill(void *page, uint64_t seed)
{
	uint64_t *words = page;

	for (unsigned i = 0; i < 512; i++) {
		uint64_t x = seed * 0x9e3779b97f4a7c15ull + (i < 256 ? i % 8 : i);
		words[i] = i < 256 ? x : x ^ (x >> 29) ^ (x << 17);
	}
}

static uint64_t swap_bench_checksum(const void *page)
{
	const uint64_t *words = page;
	uint64_t sum = 0;

	for (unsigned i = 0; i < 512; i++)
		sum = (sum ^ words[i]) * 0x100000001b3ull;
	return sum;
}

/* One access: a write one time in three, else a checked read; its cost. */
static uint64_t swap_bench_access(struct swap_bench_worker *worker,
				  uint32_t page, uint64_t r, uint64_t *version)
{
	void *address = region_page_address(worker->run->region, page);
	uint64_t start = time_cycles();

	if (r % 3 == 0) {
		swap_bench_fill(address, (++*version << 16) ^ page);
		worker->run->shadow[page] = swap_bench_checksum(address);
	} else if (swap_bench_checksum(address) != worker->run->shadow[page]) {
		worker->mismatches++;
	}
	return time_cycles() - start;
}

/* Keeps the longest access of the during phase, and counts the long ones. */
static void swap_bench_note_stall(struct swap_bench_worker *worker,
				  uint64_t cost, bool fault,
				  uint64_t switches_before, uint64_t ticks_before)
{
	worker->stalls_over_1m += cost > 1000000;
	if (cost <= worker->stall.cost)
		return;
	worker->stall = (struct swap_bench_stall){
		.cost = cost, .fault = fault,
		.switches = sched_switch_count(worker->cpu) - switches_before,
		.at = time_cycles() - cost - worker->run->swap_start,
		.ticks = thread_current()->run_ticks - ticks_before,
	};
}

static void swap_bench_worker_thread(void *argument)
{
	struct swap_bench_worker *worker = argument;
	struct swap_bench_run *run = worker->run;
	uint32_t count = run->pages / run->workers;
	uint32_t first = worker->index * count, hot = count / 8 ? count / 8 : 1;
	uint64_t random = 0x9e3779b97f4a7c15ull * (worker->index + 1);
	uint64_t version = 1, steady = 0;
	unsigned phase;

	for (uint32_t page = first; page < first + count; page++) {
		void *address = region_page_address(run->region, page);
		swap_bench_fill(address, page);
		run->shadow[page] = swap_bench_checksum(address);
	}
	while ((phase = __atomic_load_n(&run->phase, __ATOMIC_ACQUIRE)) !=
	       SWAP_OVER) {
		uint64_t r = swap_bench_random(&random);
		uint32_t page = first + (uint32_t)((r >> 2) % ((r & 3) ? hot : count));
		bool fault = region_page_state(run->region, page) != REGION_CLEAR;
		uint64_t switches = sched_switch_count(worker->cpu);
		uint64_t ticks = thread_current()->run_ticks;
		uint64_t cost = swap_bench_access(worker, page, r >> 40, &version);

		if (phase == SWAP_DURING)
			swap_bench_note_stall(worker, cost, fault, switches, ticks);
		if (fault && worker->count[phase] < SWAP_BENCH_SAMPLES)
			worker->samples[phase][worker->count[phase]++] =
				cost > UINT32_MAX ? UINT32_MAX : (uint32_t)cost;
		if (fault && phase == SWAP_STEADY && ++steady == SWAP_BENCH_STEADY)
			__atomic_add_fetch(&run->steady_done, 1, __ATOMIC_RELEASE);
		if ((r & 31) == 0)
			thread_yield();
	}
	for (uint32_t page = first; page < first + count; page++)
		worker->mismatches += swap_bench_checksum(region_page_address(
			run->region, page)) != run->shadow[page];
}

/* The 99th percentile of every worker's samples of a phase (sorted in a
 * shared buffer: one bench runs at a time). */
static uint64_t swap_bench_p99(unsigned workers, unsigned phase)
{
	static uint32_t all[SWAP_BENCH_WORKERS_MAX * SWAP_BENCH_SAMPLES];
	uint32_t n = 0;

	for (unsigned w = 0; w < workers; w++)
		for (uint32_t i = 0; i < swap_bench_workers[w].count[phase]; i++)
			all[n++] = swap_bench_workers[w].samples[phase][i];
	if (n == 0)
		return 0;
	for (uint32_t i = 1; i < n; i++) {	/* insertion sort: n is small */
		uint32_t value = all[i], j = i;
		for (; j > 0 && all[j - 1] > value; j--)
			all[j] = all[j - 1];
		all[j] = value;
	}
	return all[(uint64_t)n * 99 / 100];
}

struct swap_bench_case {
	const char *from, *to;	/* to == NULL: a key rotation of from */
	const char *label;
	/* a store swap: to sealing into a new store of this kind (zs, log),
	 * printed as TO@KIND */
	const char *store_kind;
};

static const struct swap_bench_case swap_bench_cases[] = {
	{ "clock:lz4", "clock:aes128-xts-mac", "chain", NULL },
	{ "clock:aes128-xts-mac", "clock:lz4", "chain", NULL },
	{ "clock:identity", "clock:lz4,aes128-xts-mac", "chain", NULL },
	{ "fifo:lz4", "clock:lz4", "policy", NULL },
	{ "clock:lz4", "2q:lz4", "policy", NULL },
	{ "clock:aes128-xts-mac", NULL, "key", NULL },
	{ "clock:lz4", "clock:lz4", "store", "log" },
	{ "clock:lz4,aes128-xts-mac", "clock:lz4,aes128-xts-mac", "store", "log" },
};

/* The swap of case c on region: a scheme change, a store swap, or a key
 * rotation; the migration waited for. */
static int swap_bench_swap(const struct swap_bench_case *c, struct region *region)
{
	int result;

	if (!c->to) {
		struct region_rekey_report report;
		return region_rekey_all(true, &report) == 0 && report.retired ?
			       REGION_OK : REGION_NO_SPACE;
	}
	result = c->store_kind ? region_swap_store(region, c->to, c->store_kind, NULL)
			       : region_set_scheme(region, c->to);
	region_migrate_wait(region);
	return result;
}

/* Prints a case's figure line and the line on its longest access; joins
 * nothing (the workers have ended). */
static void swap_bench_report(const struct swap_bench_case *c,
			      struct swap_bench_run *run, unsigned made,
			      uint64_t drain,
			      const struct store_stats *store_before)
{
	struct swap_bench_stall stall = { 0 };
	struct region_migrate_status migration;
	struct store_stats store_after;
	uint64_t mismatches = 0, over = 0;

	for (unsigned i = 0; i < made; i++) {
		mismatches += swap_bench_workers[i].mismatches;
		over += swap_bench_workers[i].stalls_over_1m;
		if (swap_bench_workers[i].stall.cost > stall.cost)
			stall = swap_bench_workers[i].stall;
	}
	printk("swap=%s->%s%s%s pages=%u cpus=%u drain_insns=%llu "
	       "fault_p99_insns_steady=%llu fault_p99_insns_during=%llu "
	       "max_stall_insns=%llu mismatches=%llu\n", c->from,
	       c->to ? c->to : "rekey", c->store_kind ? "@" : "",
	       c->store_kind ? c->store_kind : "", run->pages, cpu_count(),
	       (unsigned long long)drain,
	       (unsigned long long)swap_bench_p99(made, SWAP_STEADY),
	       (unsigned long long)swap_bench_p99(made, SWAP_DURING),
	       (unsigned long long)stall.cost, (unsigned long long)mismatches);
	region_migrate_get_status(run->region, &migration);
	store_stats(store_default(), &store_after);
	/* What the longest access was made of (docs/live-swap.md, "Where
	 * the stalls come from"), and what else ran meanwhile. */
	printk("# swap=%s kind=%s faults_sampled_steady=%u faults_sampled_during=%u "
	       "max_stall_fault=%d max_stall_ticks=%llu max_stall_switches=%llu "
	       "max_stall_at=%llu stalls_over_1m=%llu migration_holds=%llu "
	       "migration_max_hold_ns=%llu store_compactions=%llu\n",
	       c->to ? c->to : "rekey", c->label,
	       swap_bench_workers[0].count[SWAP_STEADY],
	       swap_bench_workers[0].count[SWAP_DURING], stall.fault,
	       (unsigned long long)stall.ticks, (unsigned long long)stall.switches,
	       (unsigned long long)stall.at, (unsigned long long)over,
	       (unsigned long long)migration.holds,
	       (unsigned long long)migration.max_hold_ns,
	       (unsigned long long)(store_after.compactions - store_before->compactions));
}

/* Runs case c on a region of pages pages, clear set limit. */
static bool swap_bench_one(const struct swap_bench_case *c, uint32_t pages,
			   uint32_t limit)
{
	struct region_config config = {
		.name = "swap_bench", .pages = pages,
		.clear_limit = limit, .scheme = c->from,
		.store = store_default(),
	};
	struct swap_bench_run run = { .pages = pages };
	struct thread *threads[SWAP_BENCH_WORKERS_MAX] = { 0 };
	uint64_t drain;
	unsigned made = 0;
	int result;

	run.shadow = kmalloc(pages * sizeof(run.shadow[0]));
	if (!run.shadow)
		return false;
	if (region_create(&config, &run.region) != REGION_OK) {
		kfree(run.shadow);
		return false;
	}
	region_migrate_set_affinity(run.region, 1);
	run.workers = cpu_count() > 1 ? cpu_count() - 1 : 1;
	if (run.workers > SWAP_BENCH_WORKERS_MAX)
		run.workers = SWAP_BENCH_WORKERS_MAX;
	for (; made < run.workers; made++) {
		swap_bench_workers[made] = (struct swap_bench_worker){
			.run = &run, .index = made,
			.cpu = cpu_count() > 1 ? made + 1 : 0,
		};
		unsigned cpu = swap_bench_workers[made].cpu;
		threads[made] = thread_create_on("swap_bench",
						 swap_bench_worker_thread,
						 &swap_bench_workers[made],
						 1ull << cpu);
		if (!threads[made])
			break;
	}
	if (made < run.workers)
		__atomic_store_n(&run.phase, SWAP_OVER, __ATOMIC_RELEASE);
	while (made == run.workers &&
	       __atomic_load_n(&run.steady_done, __ATOMIC_ACQUIRE) < run.workers)
		thread_sleep_ms(1);
	struct store_stats store_before;
	store_stats(store_default(), &store_before);
	uint64_t start = time_cycles();
	run.swap_start = start;
	__atomic_store_n(&run.phase, SWAP_DURING, __ATOMIC_RELEASE);
	result = swap_bench_swap(c, run.region);
	drain = time_cycles() - start;
	thread_sleep_ms(1);	/* the workers see the during phase at least */
	__atomic_store_n(&run.phase, SWAP_OVER, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < made; i++)
		thread_join(threads[i]);
	swap_bench_report(c, &run, made, drain, &store_before);
	region_destroy(run.region);
	kfree(run.shadow);
	return made == run.workers && result == REGION_OK;
}

KBENCH(swap)
{
	for (unsigned i = 0; i < sizeof(swap_bench_cases) / sizeof(swap_bench_cases[0]); i++)
		if (!swap_bench_one(&swap_bench_cases[i], SWAP_BENCH_PAGES,
				    SWAP_BENCH_LIMIT))
			ktest_bench_fail("%s -> %s did not run",
			       swap_bench_cases[i].from,
			       swap_bench_cases[i].to ? swap_bench_cases[i].to : "rekey");
}

/* The swaps of 256 MiB of sealed pages that move through the migration
 * thread: a chain swap and a store swap (tools/bench-swap --large). */
static const struct swap_bench_case swap_bench_large_cases[] = {
	{ "clock:lz4", "clock:wkdm", "chain", NULL },
	{ "clock:lz4", "clock:lz4", "store", "log" },
};

KBENCH(swap_large)
{
	for (unsigned i = 0; i < sizeof(swap_bench_large_cases) /
				 sizeof(swap_bench_large_cases[0]); i++)
		if (!swap_bench_one(&swap_bench_large_cases[i],
				    SWAP_BENCH_LARGE_SEALED + SWAP_BENCH_LARGE_LIMIT,
				    SWAP_BENCH_LARGE_LIMIT))
			ktest_bench_fail("%s -> %s did not run",
			       swap_bench_large_cases[i].from,
			       swap_bench_large_cases[i].to);
}
