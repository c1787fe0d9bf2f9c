/*
 * ktest suite "trace": the dump's header describes the machine it ran on
 * (a tool sizing per-CPU tables from it must not see 16 CPUs on one), and
 * a region fault taken through a real access (or asked for with
 * region_fault_page) is bracketed by FAULT_ENTER and FAULT_RETURN records
 * with the outcome the page's state implies, only while tracing is on.
 */
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "mm/region_test_util.h"
#include "mm/trace.h"

struct trace_test_capture {
	char first[96];
	unsigned lines;
};

static void trace_test_emit(void *context, const char *line)
{
	struct trace_test_capture *capture = context;

	if (capture->lines++ == 0)
		strlcpy(capture->first, line, sizeof(capture->first));
}

KTEST(trace, dump_header_counts_running_cpus)
{
	struct trace_test_capture capture = { .lines = 0 };
	char expected[32];

	trace_dump(trace_test_emit, &capture);
	ksnprintf(expected, sizeof(expected), "tlbev-begin cpus=%u ", cpu_count());
	KTEST_EXPECT(t, capture.lines >= 2);	/* header and end line */
	KTEST_EXPECT(t, strncmp(capture.first, expected, strlen(expected)) == 0);
	ktest_log(t, "header: %s", capture.first);
}

/* The pages of the fault case: sealed before tracing, never touched,
 * touched after tracing stopped, brought in by region_fault_page. */
enum {
	TRACE_TEST_SEALED = 0,
	TRACE_TEST_UNPOPULATED = 1,
	TRACE_TEST_AFTER_STOP = 2,
	TRACE_TEST_EXPLICIT = 3,
	TRACE_TEST_PAGES = 4,
};

/* What the dump says about one page of the test region: its fault
 * records in order, the TLB FAULT event between them, and the STORE_FREE
 * of a restore between them with its fields. */
struct trace_test_page {
	unsigned enters, returns, faults_inside;
	unsigned store_frees_inside, store_puts;
	uint64_t freed_bytes, stored_after_free;
	bool open;			/* an ENTER not yet returned */
	unsigned cpu;
	uint64_t enter_ts, return_ts;
	enum trace_fault_outcome outcome;
};

struct trace_test_faults {
	uint32_t region_id;
	uint64_t base;
	unsigned unparsed;		/* tlbev lines the parser refused */
	struct trace_test_page pages[TRACE_TEST_PAGES];
};

static void trace_test_fault_line(void *context, const char *text)
{
	struct trace_test_faults *faults = context;
	struct trace_line line;

	if (strncmp(text, "tlbev ", 6) != 0)
		return;
	if (!trace_parse_line(text, &line)) {
		faults->unparsed++;
		return;
	}
	if (line.region_id != faults->region_id || line.address < faults->base)
		return;
	uint64_t index = (line.address - faults->base) / 4096;

	if (index >= TRACE_TEST_PAGES)
		return;
	struct trace_test_page *page = &faults->pages[index];

	if (line.type == TRACE_FAULT_ENTER) {
		page->enters++;
		page->open = true;
		page->cpu = line.cpu;
		page->enter_ts = line.timestamp;
	} else if (line.type == TRACE_FAULT_RETURN && page->open &&
		   line.cpu == page->cpu) {
		page->returns++;
		page->open = false;
		page->return_ts = line.timestamp;
		page->outcome = line.outcome;
	} else if (line.type == TLB_EVENT_FAULT && page->open) {
		page->faults_inside++;
	} else if (line.type == TRACE_STORE_FREE && page->open) {
		page->store_frees_inside++;
		page->freed_bytes = line.length;
		page->stored_after_free = line.stored;
	} else if (line.type == TRACE_STORE_PUT) {
		page->store_puts++;
	}
}

/* One ENTER/RETURN pair on one CPU, in time order, with the TLB FAULT
 * event inside it and the outcome wanted. */
static void trace_test_expect_slice(struct ktest *t, const char *what,
				    const struct trace_test_page *page,
				    enum trace_fault_outcome outcome)
{
	ktest_log(t, "%s page: %u enter, %u return, %u FAULT inside, outcome %s, "
		  "%llu cycles", what, page->enters, page->returns,
		  page->faults_inside, trace_fault_outcome_name(page->outcome),
		  (unsigned long long)(page->return_ts - page->enter_ts));
	KTEST_EXPECT_EQ(t, page->enters, 1);
	KTEST_EXPECT_EQ(t, page->returns, 1);
	KTEST_EXPECT_EQ(t, page->faults_inside, 1);
	KTEST_EXPECT_EQ(t, page->outcome, outcome);
	KTEST_EXPECT(t, page->return_ts >= page->enter_ts);
}

KTEST(trace, fault_slices_have_entry_return_and_outcome)
{
	struct region *region = region_test_create(t, "fifo:lz4",
						   TRACE_TEST_PAGES, 3);
	struct trace_test_faults faults = { .region_id = (uint32_t)region->id };
	volatile uint64_t *sealed = region_page_address(region, TRACE_TEST_SEALED);
	volatile uint64_t *fresh = region_page_address(region,
						       TRACE_TEST_UNPOPULATED);
	volatile uint64_t *after = region_page_address(region,
						       TRACE_TEST_AFTER_STOP);

	faults.base = (uint64_t)(uintptr_t)region_page_address(region, 0);
	region_test_fill((void *)sealed, 7);
	uint64_t checksum = region_test_checksum((const void *)sealed);

	KTEST_EXPECT_EQ(t, region_purge_page(region, TRACE_TEST_SEALED), REGION_OK);
	KTEST_EXPECT_EQ(t, region_page_state(region, TRACE_TEST_SEALED),
			REGION_SEALED);
	struct region_stats before, after_run;

	region_get_stats(region, &before);	/* page 0's copy only */
	trace_clear();
	KTEST_ASSERT(t, trace_start(time_cycles) == TLB_HOOKS_OK);
	uint64_t word = sealed[0];	/* a read fault: restored */
	fresh[0] = word;		/* a write fault: zero-filled */
	KTEST_EXPECT_EQ(t, region_fault_page(region, TRACE_TEST_EXPLICIT),
			REGION_OK);	/* no trap, traced the same */
	KTEST_EXPECT_EQ(t, trace_stop(), TLB_HOOKS_OK);
	region_get_stats(region, &after_run);	/* before the untraced seal */
	after[0] = 1;			/* a fault with tracing off */
	trace_dump(trace_test_fault_line, &faults);

	KTEST_EXPECT_EQ(t, region_test_checksum((const void *)sealed), checksum);
	KTEST_EXPECT_EQ(t, faults.unparsed, 0);
	trace_test_expect_slice(t, "sealed", &faults.pages[TRACE_TEST_SEALED],
				TRACE_OUTCOME_RESTORED);
	trace_test_expect_slice(t, "unpopulated",
				&faults.pages[TRACE_TEST_UNPOPULATED],
				TRACE_OUTCOME_ZERO_FILLED);
	trace_test_expect_slice(t, "explicit", &faults.pages[TRACE_TEST_EXPLICIT],
				TRACE_OUTCOME_ZERO_FILLED);
	KTEST_EXPECT_EQ(t, faults.pages[TRACE_TEST_AFTER_STOP].enters, 0);
	KTEST_EXPECT_EQ(t, faults.pages[TRACE_TEST_AFTER_STOP].returns, 0);

	/* The restore freed page 0's copy inside its fault: a STORE_FREE of
	 * all the region stored before (its only copy), leaving what the
	 * region stored when tracing stopped (nothing: 3 pages fit the clear
	 * set); no page was sealed while tracing. */
	const struct trace_test_page *restored = &faults.pages[TRACE_TEST_SEALED];

	ktest_log(t, "restore: %u STORE_FREE inside, bytes=%llu stored=%llu; "
		  "region stored %llu before, %llu after", restored->store_frees_inside,
		  (unsigned long long)restored->freed_bytes,
		  (unsigned long long)restored->stored_after_free,
		  (unsigned long long)before.bytes_stored,
		  (unsigned long long)after_run.bytes_stored);
	KTEST_EXPECT(t, before.bytes_stored > 0);
	KTEST_EXPECT_EQ(t, restored->store_frees_inside, 1);
	KTEST_EXPECT_EQ(t, restored->freed_bytes, before.bytes_stored);
	KTEST_EXPECT_EQ(t, restored->stored_after_free, after_run.bytes_stored);
	for (unsigned page = 0; page < TRACE_TEST_PAGES; page++)
		KTEST_EXPECT_EQ(t, faults.pages[page].store_puts, 0);
	region_destroy(region);
}
