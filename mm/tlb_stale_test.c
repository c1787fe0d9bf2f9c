/*
 * ktest suite "tlb_stale": a stale-TLB detector over a region, and its
 * negative control (docs/tlb-events.md, "Concurrent faults and the
 * stale-TLB detector").
 *
 * Writer threads, one pinned on each CPU, write sequence numbers into the
 * pages of one region, each into its own words of every page (no two
 * writers share a word), and log the last value they wrote to each word.
 * Before each write a writer reads the word back: it must hold the logged
 * value (read-verify-write). The clear set is far smaller than the pages
 * the writers touch, so their faults evict each other's pages all the
 * time: a page a writer is using is unmapped, shot down, sealed and freed
 * under it, and restored at its next access. A CPU that kept a stale
 * translation would go on writing into the freed frame; its write would be
 * lost (the restored page has the older value: a stale read, or a final
 * mismatch). At the end every word is compared with the log.
 *
 * The control runs the same writers with shootdowns off
 * (tlb_shootdown_set_enabled(false)) and must detect something. Frames
 * freed meanwhile are kept out of circulation (frame_quarantine_begin,
 * mm/frame.h) until shootdowns are back on and every CPU has flushed, so
 * a stale write lands only in a frame nobody uses.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "mm/frame.h"
#include "mm/region.h"
#include "mm/region_test_util.h"
#include "mm/slab.h"
#include "mm/tlb.h"
#include "mm/tlb_stale_test.h"

/* Writers on CPUs 0..3 at most: on a bigger machine the shootdowns still
 * reach every CPU, and under TCG on a small host eight busy vCPUs made each
 * shootdown round (one per seal) ten times longer than four. */
#define STALE_WRITERS_MAX 4u
#define STALE_SLOTS (512u / STALE_WRITERS_MAX)	/* words per writer per page */
#define STALE_PAGES_PER_WRITER 4u	/* region pages = writers x this */
#define STALE_BURST 128u	/* accesses to one page before the next */
#define STALE_SEQ_BITS 40u
/* The control: a bound on its accesses (it stops at its first finding),
 * on its quarantine, and on its run time. */
/* Each burst frees at most one region frame (its fault's victim), so the
 * quarantine never overflows: at most 12,500 frames (50 MiB) are kept. */
#define STALE_CONTROL_ACCESSES 100000ull
#define STALE_QUARANTINE_FRAMES 16384u
_Static_assert(STALE_CONTROL_ACCESSES / STALE_BURST + 1 <= STALE_QUARANTINE_FRAMES,
	       "the control's frees fit its quarantine");
#define STALE_CONTROL_LIMIT_MS 60000u

/* Accesses per scheme (all writers together): tlb_stale_accesses=N. */
unsigned long long tlb_stale_accesses;

static bool stale_set_accesses(const char *value)
{
	return cmdline_parse_range(value, 1000, 1000000000000ull,
				   &tlb_stale_accesses);
}
CMDLINE_OPTION(tlb_stale_accesses, "tlb_stale_accesses",
	       "N (1000..10^12): run the ktest suites tlb_stale and "
	       "region_smp (on 2 CPUs or more), N accesses per scheme in the "
	       "stale-TLB detector (make test: 10^6 on 4 CPUs, make "
	       "test-long: 10^7)", stale_set_accesses);

void tlb_stale_require(struct ktest *t)
{
	if (cpu_count() < 2)
		ktest_skip(t, "needs two CPUs online (boot with -smp 2 or more)");
	if (!tlb_stale_accesses)
		ktest_skip(t, "SMP stress: tlb_stale_accesses=N on the command "
			      "line (the smp step of make test gives it)");
}

struct stale_run;

/* One writer: its log and its findings. Written by its thread only until
 * the run's threads are joined. */
struct stale_writer {
	struct stale_run *run;
	unsigned index;		/* its words: [index * STALE_SLOTS, +STALE_SLOTS) */
	uint64_t *log;		/* pages x STALE_SLOTS: last value written */
	uint64_t seq, rng;
	uint64_t quota, accesses;
	uint64_t stale;		/* reads older than the log */
	uint64_t foreign;	/* reads of neither: another's value, garbage */
};

struct stale_run {
	struct region *region;
	uint32_t pages;
	unsigned writers;
	bool stop_on_finding;	/* the control: stop at the first one */
	bool shootdowns_off;	/* the control: writers start once it is off */
	unsigned ready, go, stop, finished;	/* atomics */
	struct stale_writer writer[STALE_WRITERS_MAX];
	struct thread *thread[STALE_WRITERS_MAX];
};

static uint64_t stale_value(unsigned writer, uint32_t page, uint64_t seq)
{
	return ((uint64_t)(writer + 1) << 56) | ((uint64_t)page << STALE_SEQ_BITS) |
	       seq;
}

static uint64_t stale_next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* What a read of a word that should hold expected says: 0 right, 1 stale
 * (zero, or this writer's value for this page with an older sequence),
 * 2 anything else. */
static int stale_classify(uint64_t seen, uint64_t expected)
{
	const uint64_t tag_mask = ~((1ull << STALE_SEQ_BITS) - 1);

	if (seen == expected)
		return 0;
	if (seen == 0 || ((seen & tag_mask) == (expected & tag_mask) &&
			  seen < expected))
		return 1;
	return 2;
}

/* One page's burst of read-verify-writes. */
static void stale_burst(struct stale_writer *w, uint32_t page)
{
	volatile uint64_t *words = (volatile uint64_t *)region_page_address(
		w->run->region, page) + w->index * STALE_SLOTS;
	uint64_t *log = w->log + (uint64_t)page * STALE_SLOTS;

	for (unsigned i = 0; i < STALE_BURST && w->accesses < w->quota; i++) {
		unsigned slot = (unsigned)(stale_next_random(&w->rng) % STALE_SLOTS);
		int verdict = stale_classify(words[slot], log[slot]);

		if (verdict == 1)
			w->stale++;
		else if (verdict == 2)
			w->foreign++;
		uint64_t value = stale_value(w->index, page, ++w->seq);
		words[slot] = value;
		log[slot] = value;
		w->accesses++;
	}
}

static void stale_wait(const unsigned *flag)
{
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		spin_relax();
}

static void stale_writer_main(void *argument)
{
	struct stale_writer *w = argument;
	struct stale_run *run = w->run;

	__atomic_add_fetch(&run->ready, 1, __ATOMIC_ACQ_REL);
	stale_wait(&run->go);
	while (w->accesses < w->quota &&
	       !__atomic_load_n(&run->stop, __ATOMIC_RELAXED)) {
		stale_burst(w, (uint32_t)(stale_next_random(&w->rng) % run->pages));
		if (run->stop_on_finding && (w->stale || w->foreign))
			__atomic_store_n(&run->stop, 1, __ATOMIC_RELEASE);
	}
	__atomic_add_fetch(&run->finished, 1, __ATOMIC_ACQ_REL);
}

/* Allocates the logs and the region; false when memory is short. */
static bool stale_setup(struct ktest *t, struct stale_run *run,
			const char *scheme, uint64_t accesses)
{
	run->writers = cpu_count() < STALE_WRITERS_MAX ? cpu_count() :
							 STALE_WRITERS_MAX;
	run->pages = run->writers * STALE_PAGES_PER_WRITER;
	/* A clear set of one page per writer: most bursts fault, and each
	 * fault evicts a page some writer may be using. */
	run->region = region_test_create(t, scheme, run->pages, run->writers);
	for (unsigned i = 0; i < run->writers; i++) {
		struct stale_writer *w = &run->writer[i];
		w->run = run;
		w->index = i;
		w->rng = 0x9e3779b97f4a7c15ull * (i + 1) + accesses;
		w->quota = accesses / run->writers;
		w->log = kmalloc((size_t)run->pages * STALE_SLOTS * sizeof(uint64_t));
		if (!w->log)
			return false;
		for (uint32_t j = 0; j < run->pages * STALE_SLOTS; j++)
			w->log[j] = 0;
	}
	return true;
}

/* Starts a writer on each CPU and waits until all are at the start line. */
static bool stale_start(struct stale_run *run)
{
	for (unsigned i = 0; i < run->writers; i++) {
		run->thread[i] = thread_create_on("tlb_stale", stale_writer_main,
						  &run->writer[i], 1ull << i);
		if (!run->thread[i]) {
			__atomic_store_n(&run->stop, 1, __ATOMIC_RELEASE);
			__atomic_store_n(&run->go, 1, __ATOMIC_RELEASE);
			return false;
		}
	}
	while (__atomic_load_n(&run->ready, __ATOMIC_ACQUIRE) < run->writers)
		thread_yield();
	return true;
}

static void stale_join(struct stale_run *run)
{
	for (unsigned i = 0; i < run->writers; i++) {
		if (run->thread[i])
			thread_join(run->thread[i]);
		run->thread[i] = NULL;
	}
}

/* What the check of the region against the logs found. */
struct stale_findings {
	uint64_t accesses, stale, foreign;	/* the writers' sums */
	uint64_t mismatches;	/* final words not equal to the log */
	uint64_t unreadable;	/* pages that could not be brought in */
	uint64_t seals, restores;
};

/* Brings every page in (region_fault_page: an error, never a fault) and
 * compares each writer's words with its log. No writer runs. */
static void stale_verify(struct stale_run *run, struct stale_findings *found)
{
	struct region_stats stats;

	for (uint32_t page = 0; page < run->pages; page++) {
		if (region_fault_page(run->region, page) != REGION_OK) {
			found->unreadable++;
			continue;
		}
		const volatile uint64_t *words =
			(const volatile uint64_t *)region_page_address(run->region, page);
		for (unsigned i = 0; i < run->writers; i++) {
			const uint64_t *log = run->writer[i].log +
					      (uint64_t)page * STALE_SLOTS;
			for (unsigned s = 0; s < STALE_SLOTS; s++)
				if (words[i * STALE_SLOTS + s] != log[s])
					found->mismatches++;
		}
	}
	for (unsigned i = 0; i < run->writers; i++) {
		found->accesses += run->writer[i].accesses;
		found->stale += run->writer[i].stale;
		found->foreign += run->writer[i].foreign;
	}
	region_get_stats(run->region, &stats);
	found->seals = stats.evictions + stats.invalidations;
	found->restores = stats.restores;
}

static void stale_teardown(struct stale_run *run)
{
	if (run->region)
		region_destroy(run->region);
	for (unsigned i = 0; i < run->writers; i++)
		kfree(run->writer[i].log);
}

/* The region's counters agree with each other and with its pages once no
 * writer runs: every seal not yet restored is a sealed page, every fault
 * a zero fill or a restore, the clear set within its limit. */
static void stale_check_counters(struct ktest *t, struct stale_run *run)
{
	struct region_stats stats;
	uint64_t clear = 0, sealed = 0;

	region_get_stats(run->region, &stats);
	for (uint32_t page = 0; page < run->pages; page++) {
		enum region_page_state state = region_page_state(run->region, page);
		clear += state == REGION_CLEAR;
		sealed += state == REGION_SEALED;
	}
	KTEST_EXPECT_EQ(t, stats.faults, stats.zero_fills + stats.restores);
	KTEST_EXPECT_EQ(t, stats.evictions + stats.invalidations - stats.restores,
			stats.sealed_pages);
	KTEST_EXPECT_EQ(t, stats.sealed_pages, sealed);
	KTEST_EXPECT_EQ(t, stats.clear_pages, clear);
	KTEST_EXPECT(t, clear <= run->writers);
	KTEST_EXPECT_EQ(t, stats.corrupt + stats.seal_failures + stats.poisoned, 0);
}

static void stale_detector_case(struct ktest *t, const char *scheme)
{
	struct stale_run run = { 0 };
	struct stale_findings found = { 0 };

	tlb_stale_require(t);
	uint64_t started = time_uptime_ns();
	bool ready = stale_setup(t, &run, scheme, tlb_stale_accesses);
	bool started_all = ready && stale_start(&run);
	if (started_all)
		__atomic_store_n(&run.go, 1, __ATOMIC_RELEASE);
	stale_join(&run);
	if (started_all) {
		stale_verify(&run, &found);
		stale_check_counters(t, &run);
	}
	uint64_t ms = (time_uptime_ns() - started) / 1000000u;
	ktest_log(t, "%s: %u writers on %u CPUs, %llu accesses, %llu seals, "
		  "%llu restores, %llu stale writes, %llu foreign reads, "
		  "%llu mismatches, %llu unreadable pages, %llu ms", scheme,
		  run.writers, cpu_count(), (unsigned long long)found.accesses,
		  (unsigned long long)found.seals,
		  (unsigned long long)found.restores,
		  (unsigned long long)found.stale,
		  (unsigned long long)found.foreign,
		  (unsigned long long)found.mismatches,
		  (unsigned long long)found.unreadable, (unsigned long long)ms);
	stale_teardown(&run);
	KTEST_ASSERT(t, ready && started_all);
	KTEST_EXPECT_EQ(t, found.accesses, run.writers * (tlb_stale_accesses / run.writers));
	KTEST_EXPECT_EQ(t, found.stale, 0);
	KTEST_EXPECT_EQ(t, found.foreign, 0);
	KTEST_EXPECT_EQ(t, found.mismatches, 0);
	KTEST_EXPECT_EQ(t, found.unreadable, 0);
	/* The run means something only if pages really went round. */
	KTEST_EXPECT(t, found.seals >= found.accesses / (STALE_BURST * 8));
	KTEST_EXPECT(t, found.restores >= found.accesses / (STALE_BURST * 8));
}

/* 10^6 accesses on a 4-CPU boot under TCG take about 90 s each on a shared
 * 2-core host, 10^7 (make test-long) ten times that: the watchdog is a
 * backstop of two hours, the runner's boot timeout the real limit. */
#define STALE_DETECTOR_LIMIT_MS 7200000u

KTEST_SLOW(tlb_stale, detector_identity, STALE_DETECTOR_LIMIT_MS)
{
	stale_detector_case(t, "clock:identity");
}

KTEST_SLOW(tlb_stale, detector_lz4, STALE_DETECTOR_LIMIT_MS)
{
	stale_detector_case(t, "clock:lz4");
}

KTEST_SLOW(tlb_stale, detector_lz4_aes128_mac, STALE_DETECTOR_LIMIT_MS)
{
	stale_detector_case(t, "clock:lz4,aes128-xts-mac");
}

/* ---- the negative control ----------------------------------------------- */

/* Under ktest_catch: writers started, shootdowns off, writers run until
 * their first finding or their bound; shootdowns on again before they are
 * joined (a joined thread's stack is unmapped and freed). */
static void stale_control_body(void *argument)
{
	struct stale_run *run = argument;

	if (!stale_start(run)) {
		stale_join(run);
		return;
	}
	tlb_shootdown_set_enabled(false);
	run->shootdowns_off = true;
	__atomic_store_n(&run->go, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&run->finished, __ATOMIC_ACQUIRE) < run->writers)
		thread_yield();
	tlb_shootdown_set_enabled(true);
	stale_join(run);
}

/* Whether a trap is a writer's fault on a page of the control's region
 * that was not served: the region refused it (a page it could not
 * restore, poisoned), or a page left in a state no fault resolves. With
 * shootdowns on the detector never takes one, so it is the stale
 * translations' doing. */
static bool stale_trap_in_region(const struct stale_run *run,
				 const struct ktest_trap *trap)
{
	uintptr_t start = (uintptr_t)region_page_address(run->region, 0);

	return trap->fault_address >= start &&
	       trap->fault_address - start < (uintptr_t)run->pages * 4096u;
}

/*
 * Without shootdowns the detector must find something: a stale or foreign
 * read, a final mismatch, or a page that cannot be restored (a write
 * through a stale translation while the page was being sealed changes it
 * after its checksum: the region's own integrity check then poisons it, and
 * the writer that faults on it takes an exception, caught here). In every
 * case shootdowns are back on and every CPU has flushed before any
 * quarantined frame is freed.
 */
KTEST_SLOW(tlb_stale, control_without_shootdowns_detects, 180000)
{
	struct stale_run run = { .stop_on_finding = true };
	struct stale_findings found = { 0 };
	struct ktest_trap trap = { .vector = -1 };
	uint32_t kept = 0, leaked = 0;

	tlb_stale_require(t);
	uint64_t *slots = kmalloc(STALE_QUARANTINE_FRAMES * sizeof(uint64_t));
	KTEST_ASSERT(t, slots != NULL);
	if (!stale_setup(t, &run, "clock:lz4", STALE_CONTROL_ACCESSES)) {
		stale_teardown(&run);
		kfree(slots);
		KTEST_ASSERT(t, !"no memory for the writers' logs");
	}
	KTEST_ASSERT(t, frame_quarantine_begin(slots, STALE_QUARANTINE_FRAMES));
	uint64_t started = time_uptime_ns();
	bool trapped = ktest_catch_timeout(stale_control_body, &run, &trap,
					   STALE_CONTROL_LIMIT_MS);
	/* Whatever happened: shootdowns on, every CPU flushed everything. */
	tlb_shootdown_set_enabled(true);
	tlb_flush_all();
	bool ran = run.shootdowns_off;
	/* A writer's fault on the region counts as a finding; an exception
	 * anywhere else is a failure. A trap ends the catch with the writers
	 * stopped and joined by it (kernel/ktest/ktest.h). */
	bool region_refused = trapped && stale_trap_in_region(&run, &trap);
	stale_verify(&run, &found);
	uint64_t ms = (time_uptime_ns() - started) / 1000000u;
	stale_teardown(&run);
	frame_quarantine_end(&kept, &leaked);
	kfree(slots);
	ktest_log(t, "clock:lz4 without shootdowns: %u writers, %llu accesses, "
		  "%llu seals, %llu restores, %llu stale writes, %llu foreign "
		  "reads, %llu mismatches, %llu unreadable pages, writer "
		  "exception %d (%s), %u frames quarantined, %u leaked, %llu ms",
		  run.writers, (unsigned long long)found.accesses,
		  (unsigned long long)found.seals,
		  (unsigned long long)found.restores,
		  (unsigned long long)found.stale,
		  (unsigned long long)found.foreign,
		  (unsigned long long)found.mismatches,
		  (unsigned long long)found.unreadable, trapped ? trap.vector : -1,
		  trapped && trap.fault_owner ? trap.fault_owner : "none",
		  kept, leaked, (unsigned long long)ms);
	KTEST_EXPECT(t, ran);
	KTEST_EXPECT(t, !trapped || region_refused);
	KTEST_EXPECT_EQ(t, leaked, 0);
	KTEST_EXPECT(t, found.stale + found.foreign + found.mismatches +
				found.unreadable + (region_refused ? 1 : 0) > 0);
}
