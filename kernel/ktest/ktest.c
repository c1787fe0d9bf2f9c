/*
 * The ktest runner (kernel/ktest/ktest.h): selects cases by the ktest= filter,
 * runs them suite by suite and prints KTAP version 1.
 *
 * Abandoning a case: every case, and every ktest_catch() inside one, runs
 * under a "catcher", a saved context with a deadline. A CPU exception goes
 * to the innermost catcher (trap_set_catch_handler); the timer tick checks
 * the innermost deadline (the watchdog). Either resumes the catcher's
 * context, which also drops the catchers nested inside it. A case whose own
 * catcher takes an exception or times out fails, and the run goes on.
 * The watchdog needs interrupts: a case that hangs with interrupts off is
 * left to the host runner's wall-clock timeout.
 *
 * One CPU runs tests; the catcher stack is that CPU's alone and is changed
 * only with interrupts off.
 *
 * With the lock-order checker (CONFIG_LOCK_CHECK=1), a case during which an
 * inversion was counted fails, an inversion outside any case fails the run,
 * and the run ends with the lock order the checker observed. Code abandoned
 * by a catcher may have held locks: the checker forgets them on resume.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/build_config.h"
#include "kernel/cmdline.h"
#include "kernel/context.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/ksyms.h"
#include "kernel/lib/lock_check.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "kernel/trap.h"

#define KTEST_DEFAULT_TIMEOUT_MS 10000u
#define KTEST_FILTER_MAX 256
#define KTEST_CATCHERS_MAX 4

enum ktest_resume {
	KTEST_RESUME_EXCEPTION = 1,
	KTEST_RESUME_TIMEOUT,
	KTEST_RESUME_FAIL_NOW,
	KTEST_RESUME_SKIP,
};

struct ktest {
	const struct ktest_case *test_case;
	unsigned failures;
	const char *skip_reason;
};

struct ktest_catcher {
	struct cpu_context context;
	uint64_t deadline_ms;		/* 0: none */
	struct ktest_trap *trap;	/* where an exception is recorded */
	unsigned lock_depth;		/* locks held at the save (lock checker) */
	unsigned cpu;			/* the CPU running the test */
};

extern const struct ktest_case ktest_cases_start[], ktest_cases_end[];
extern const struct ktest_bench ktest_benches_start[], ktest_benches_end[];

static char ktest_filter[KTEST_FILTER_MAX];
static unsigned ktest_timeout_ms = KTEST_DEFAULT_TIMEOUT_MS;
static char ktest_bench_filter[KTEST_FILTER_MAX];

/* The catchers, innermost last; see the comment at the top. */
static struct ktest_catcher *ktest_catchers[KTEST_CATCHERS_MAX];
static unsigned ktest_catcher_depth;

static bool ktest_set_filter(const char *value)
{
	if (!*value || strlen(value) >= sizeof(ktest_filter))
		return false;
	strlcpy(ktest_filter, value, sizeof(ktest_filter));
	return true;
}
CMDLINE_OPTION(ktest, "ktest",
	       "all|SUITE|SUITE.CASE[,...], -WORD excludes: run in-kernel "
	       "tests, then exit",
	       ktest_set_filter);

static bool ktest_set_timeout(const char *value)
{
	unsigned long long ms;

	if (!cmdline_parse_range(value, 1, 3600000, &ms))
		return false;
	ktest_timeout_ms = (unsigned)ms;
	return true;
}
CMDLINE_OPTION(ktest_timeout_ms, "ktest_timeout_ms",
	       "MS 1..3600000: default watchdog limit of one test case (10000)",
	       ktest_set_timeout);

static bool ktest_set_bench(const char *value)
{
	if (!*value || strlen(value) >= sizeof(ktest_bench_filter))
		return false;
	strlcpy(ktest_bench_filter, value, sizeof(ktest_bench_filter));
	return true;
}
CMDLINE_OPTION(bench, "bench", "all|NAME[,...]: run benchmarks, then exit",
	       ktest_set_bench);

bool ktest_requested(void)
{
	return ktest_filter[0] != '\0';
}

bool ktest_bench_requested(void)
{
	return ktest_bench_filter[0] != '\0';
}

/* True when one filter word names this item: "all", the suite, or
 * "SUITE.CASE". */
static bool ktest_word_matches(const char *word, size_t length,
			       const char *suite, const char *name)
{
	size_t suite_length = strlen(suite);

	if ((length == 3 && strncmp(word, "all", 3) == 0) ||
	    (length == suite_length && strncmp(word, suite, length) == 0))
		return true;
	return name && length > suite_length &&
	       strncmp(word, suite, suite_length) == 0 &&
	       word[suite_length] == '.' &&
	       length - suite_length - 1 == strlen(name) &&
	       strncmp(word + suite_length + 1, name,
		       length - suite_length - 1) == 0;
}

/* The comma-separated filter selects the item when a word names it and no
 * "-WORD" excludes it ("all,-region.stress" runs all but that case). */
bool ktest_filter_matches(const char *filter, const char *suite,
			  const char *name)
{
	bool selected = false;

	while (*filter) {
		const char *end = strchr(filter, ',');
		size_t length = end ? (size_t)(end - filter) : strlen(filter);
		if (filter[0] == '-') {
			if (ktest_word_matches(filter + 1, length - 1, suite, name))
				return false;
		} else if (ktest_word_matches(filter, length, suite, name)) {
			selected = true;
		}
		filter += length + (end ? 1 : 0);
	}
	return selected;
}

static bool ktest_selected(const struct ktest_case *c, const char *filter)
{
	return ktest_filter_matches(filter, c->suite, c->name);
}

/* Pushes a catcher (interrupts off while the stack changes). */
static void ktest_catcher_push(struct ktest_catcher *catcher)
{
	unsigned long flags = irq_save();

	ktest_catchers[ktest_catcher_depth++] = catcher;
	irq_restore(flags);
}

/* Drops catcher and anything nested inside it. */
static void ktest_catcher_pop(struct ktest_catcher *catcher)
{
	unsigned long flags = irq_save();

	while (ktest_catcher_depth > 0 &&
	       ktest_catchers[ktest_catcher_depth - 1] != catcher)
		ktest_catcher_depth--;
	if (ktest_catcher_depth > 0)
		ktest_catcher_depth--;
	irq_restore(flags);
}

static void ktest_catch_exception(const struct trap_info *info)
{
	if (ktest_catcher_depth == 0)
		return;	/* not in a test: the kernel reports it */
	/* Another CPU's exception: resuming the test there would run the
	 * test's stack on two CPUs. The kernel reports it. */
	if (ktest_catchers[ktest_catcher_depth - 1]->cpu != cpu_current())
		return;
	struct ktest_catcher *catcher = ktest_catchers[ktest_catcher_depth - 1];
	if (catcher->trap) {
		catcher->trap->vector = info->vector;
		catcher->trap->error_code = info->error_code;
		catcher->trap->fault_address = info->fault_address;
		catcher->trap->instruction = info->instruction;
		catcher->trap->fault_response = info->fault_response;
		catcher->trap->fault_owner = info->fault_owner;
	}
	context_resume(&catcher->context, KTEST_RESUME_EXCEPTION);
}

/* Timer interrupt (on every CPU): the watchdog of the innermost catcher,
 * acting only on the CPU that runs the test. */
static void ktest_watchdog_tick(void)
{
	if (ktest_catcher_depth == 0)
		return;
	struct ktest_catcher *catcher = ktest_catchers[ktest_catcher_depth - 1];
	if (catcher->cpu != cpu_current())
		return;
	if (catcher->deadline_ms && time_ticks_ms() >= catcher->deadline_ms) {
		if (catcher->trap)
			catcher->trap->vector = KTEST_TRAP_TIMEOUT;
		context_resume(&catcher->context, KTEST_RESUME_TIMEOUT);
	}
}

bool ktest_catch_timeout(void (*fn)(void *arg), void *arg,
			 struct ktest_trap *trap, unsigned timeout_ms)
{
	struct ktest_catcher catcher = {
		.deadline_ms = timeout_ms ? time_ticks_ms() + timeout_ms : 0,
		.trap = trap,
		.lock_depth = lock_check_held_depth(),
		.cpu = cpu_current(),
	};

	memset(trap, 0, sizeof(*trap));
	trap->vector = -1;
	trap->fault_response = -1;
	if (context_save(&catcher.context) == 0) {
		ktest_catcher_push(&catcher);
		fn(arg);
		ktest_catcher_pop(&catcher);
		return false;
	}
	ktest_catcher_pop(&catcher);
	lock_check_held_truncate(catcher.lock_depth);
	return true;
}

void ktest_read_byte(void *arg)
{
	(void)*(volatile uint8_t *)arg;
}

void ktest_write_byte(void *arg)
{
	*(volatile uint8_t *)arg = 0x77;
}

bool ktest_catch(void (*fn)(void *arg), void *arg, struct ktest_trap *trap)
{
	return ktest_catch_timeout(fn, arg, trap, 0);
}

/* The catcher of the running case, for fail_now and skip. */
static struct ktest_catcher *ktest_case_catcher;

void ktest_check(struct ktest *t, bool ok, const char *file, int line,
		 const char *expr)
{
	if (ok)
		return;
	t->failures++;
	printk("        # %s:%d: expectation failed: %s\n", file, line, expr);
}

void ktest_fail_now(struct ktest *t, const char *file, int line,
		    const char *expr)
{
	ktest_check(t, false, file, line, expr);
	context_resume(&ktest_case_catcher->context, KTEST_RESUME_FAIL_NOW);
}

void ktest_skip(struct ktest *t, const char *reason)
{
	t->skip_reason = reason;
	context_resume(&ktest_case_catcher->context, KTEST_RESUME_SKIP);
}

void ktest_log(struct ktest *t, const char *fmt, ...)
{
	va_list args;

	(void)t;
	printk("        # ");
	va_start(args, fmt);
	vprintk(fmt, args);
	va_end(args);
	printk("\n");
}

static void ktest_report_trap(const struct ktest_trap *trap)
{
	const char *name = "?";
	uint64_t offset = 0;

	if (trap->vector == KTEST_TRAP_TIMEOUT) {
		printk("        # watchdog: the case ran past its time limit\n");
		return;
	}
	ksym_lookup(trap->instruction, &name, &offset);
	printk("        # unexpected CPU exception %s at %s+0x%llx (0x%llx), "
	       "error 0x%llx, address 0x%llx\n",
	       trap_vector_label(trap->vector), name,
	       (unsigned long long)offset,
	       (unsigned long long)trap->instruction,
	       (unsigned long long)trap->error_code,
	       (unsigned long long)trap->fault_address);
}

/* Runs one case; returns 1 passed, 0 failed, -1 skipped (*skip_reason
 * then says why). */
static int ktest_run_case(const struct ktest_case *c, const char **skip_reason)
{
	struct ktest t = { .test_case = c };
	struct ktest_trap trap = { .vector = -1, .fault_response = -1 };
	unsigned timeout = c->timeout_ms ? c->timeout_ms : ktest_timeout_ms;
	struct ktest_catcher catcher = {
		.deadline_ms = time_ticks_ms() + timeout,
		.trap = &trap,
		.lock_depth = lock_check_held_depth(),
		.cpu = cpu_current(),
	};
	unsigned inversions = lock_check_inversion_count();
	int resumed = context_save(&catcher.context);

	if (resumed == 0) {
		ktest_case_catcher = &catcher;
		ktest_catcher_push(&catcher);
		c->run(&t);
	}
	ktest_catcher_pop(&catcher);
	ktest_case_catcher = NULL;
	if (resumed != 0)
		lock_check_held_truncate(catcher.lock_depth);
	if (lock_check_inversion_count() != inversions) {
		printk("        # lock order: %u inversion(s) during this case\n",
		       lock_check_inversion_count() - inversions);
		t.failures++;
	}
	if (resumed == KTEST_RESUME_EXCEPTION || resumed == KTEST_RESUME_TIMEOUT) {
		ktest_report_trap(&trap);
		t.failures++;
	}
	if (resumed == KTEST_RESUME_SKIP) {
		*skip_reason = t.skip_reason;
		return -1;
	}
	return t.failures == 0;
}

struct ktest_totals {
	unsigned passed, failed, skipped;
};

static unsigned ktest_count_suite(const struct ktest_case *first,
				  const char *filter)
{
	unsigned count = 0;

	for (const struct ktest_case *c = first; c < ktest_cases_end; c++) {
		if (strcmp(c->suite, first->suite) == 0 && ktest_selected(c, filter))
			count++;
	}
	return count;
}

/* True when an earlier case belongs to the same suite (suites are printed
 * at their first case). */
static bool ktest_suite_seen(const struct ktest_case *c)
{
	for (const struct ktest_case *p = ktest_cases_start; p < c; p++) {
		if (strcmp(p->suite, c->suite) == 0)
			return true;
	}
	return false;
}

/* Compilers emit a file's cases in any order; they run in line order
 * within a file, files in link order. */
static bool ktest_case_before(const struct ktest_case *a,
			      const struct ktest_case *b)
{
	if (strcmp(a->file, b->file) == 0)
		return a->line < b->line;
	return a < b;
}

#define KTEST_SUITE_MAX 256

/* The selected cases of first's suite, in running order. */
static unsigned ktest_collect_suite(const struct ktest_case *first,
				    const char *filter,
				    const struct ktest_case **cases)
{
	unsigned count = 0;

	for (const struct ktest_case *c = first; c < ktest_cases_end; c++) {
		if (strcmp(c->suite, first->suite) != 0 || !ktest_selected(c, filter))
			continue;
		if (count == KTEST_SUITE_MAX)
			break;
		unsigned at = count++;
		while (at > 0 && ktest_case_before(c, cases[at - 1])) {
			cases[at] = cases[at - 1];
			at--;
		}
		cases[at] = c;
	}
	return count;
}

static bool ktest_run_suite(const struct ktest_case *first, const char *filter,
			    unsigned number, struct ktest_totals *totals)
{
	static const struct ktest_case *cases[KTEST_SUITE_MAX];
	unsigned plan = ktest_collect_suite(first, filter, cases), index = 0;
	bool suite_ok = true;

	printk("    KTAP version 1\n    # Subtest: %s\n    1..%u\n",
	       first->suite, plan);
	for (unsigned i = 0; i < plan; i++) {
		const struct ktest_case *c = cases[i];
		const char *skip_reason = NULL;
		uint64_t started = time_ticks_ms();
		int result = ktest_run_case(c, &skip_reason);
		uint64_t took = time_ticks_ms() - started;
		if (took >= 1000)	/* slow cases say so, to keep runs short */
			printk("        # %s took %llu ms\n", c->name,
			       (unsigned long long)took);
		index++;
		if (result < 0) {
			totals->skipped++;
			printk("    ok %u %s # SKIP %s\n", index, c->name,
			       skip_reason);
		} else {
			printk("    %sok %u %s\n", result ? "" : "not ", index,
			       c->name);
			if (result)
				totals->passed++;
			else
				totals->failed++;
			suite_ok = suite_ok && result;
		}
	}
	printk("%sok %u %s\n", suite_ok ? "" : "not ", number, first->suite);
	return suite_ok;
}

/* CONFIG_KTEST (kernel/build_config.h): the release build (build/veil.iso)
 * has the runner and the benchmarks, not the cases. */
bool ktest_cases_linked(void)
{
	return CONFIG_KTEST;
}

unsigned ktest_count_selected(const char *filter)
{
	unsigned count = 0;

	for (const struct ktest_case *c = ktest_cases_start; c < ktest_cases_end; c++)
		count += ktest_selected(c, filter);
	return count;
}

/* Set by the shell around its own runs; read by the runner's loops. */
static bool (*ktest_stop_check)(void);
static bool ktest_stopped;

void ktest_set_stop_check(bool (*stop)(void))
{
	ktest_stop_check = stop;
}

bool ktest_was_stopped(void)
{
	return ktest_stopped;
}

/* True, once said, when the stop check asks to stop before item
 * done + 1 of total. */
static bool ktest_stop_requested(const char *what, unsigned done,
				 unsigned total)
{
	if (!ktest_stop_check || !ktest_stop_check())
		return false;
	ktest_stopped = true;
	printk("# stopped by Ctrl-C after %u of %u %s\n", done, total, what);
	return true;
}

bool ktest_run(const char *filter)
{
	unsigned suites = 0, number = 0;
	struct ktest_totals totals = { 0, 0, 0 };
	bool all_ok = true;

	if (!ktest_cases_linked()) {
		printk("ktest: %s\n", KTEST_NONE_MESSAGE);
		return false;
	}
	if (ktest_count_selected(filter) == 0) {
		/* A typo in a filter must not pass as an empty, green run. */
		printk("ktest: filter '%s' selects no test case: failed "
		       "(`test` in the shell lists the suites)\n", filter);
		return false;
	}
	trap_set_catch_handler(ktest_catch_exception);
	for (const struct ktest_case *c = ktest_cases_start; c < ktest_cases_end; c++) {
		if (!ktest_suite_seen(c) && ktest_count_suite(c, filter))
			suites++;
	}
	printk("KTAP version 1\n1..%u\n", suites);
	ktest_stopped = false;
	for (const struct ktest_case *c = ktest_cases_start; c < ktest_cases_end; c++) {
		if (ktest_suite_seen(c) || !ktest_count_suite(c, filter))
			continue;
		if (number > 0 && ktest_stop_requested("suites", number, suites)) {
			all_ok = false;
			break;
		}
		all_ok = ktest_run_suite(c, filter, ++number, &totals) && all_ok;
	}
	if (CONFIG_LOCK_CHECK) {
		lock_check_dump();
		if (lock_check_inversion_count()) {
			printk("# lock order: %u inversion(s) since boot: the run fails\n",
			       lock_check_inversion_count());
			all_ok = false;
		}
	}
	printk("# ktest: %u passed, %u failed, %u skipped\n", totals.passed,
	       totals.failed, totals.skipped);
	return all_ok;
}

bool ktest_run_requested(void)
{
	return ktest_run(ktest_filter);
}

void ktest_init(void)
{
	time_set_tick_hook(ktest_watchdog_tick);
}

/* The benchmark running now, and how many of this run failed: one CPU
 * runs benchmarks, from the boot or the shell, one at a time. */
static const struct ktest_bench *ktest_bench_running;
static unsigned ktest_bench_failures;

void ktest_bench_fail(const char *fmt, ...)
{
	va_list args;

	printk("# bench %s: FAILED: ",
	       ktest_bench_running ? ktest_bench_running->name : "?");
	va_start(args, fmt);
	vprintk(fmt, args);
	va_end(args);
	printk("\n");
	ktest_bench_failures++;
}

bool ktest_benches_failed(void)
{
	return ktest_bench_failures != 0;
}

unsigned ktest_run_benches_matching(const char *filter)
{
	unsigned count = 0, total = 0;

	ktest_bench_failures = 0;
	ktest_stopped = false;
	for (const struct ktest_bench *b = ktest_benches_start;
	     b < ktest_benches_end; b++)
		total += ktest_filter_matches(filter, b->name, NULL);
	for (const struct ktest_bench *b = ktest_benches_start;
	     b < ktest_benches_end; b++) {
		if (!ktest_filter_matches(filter, b->name, NULL))
			continue;
		if (count > 0 && ktest_stop_requested("benchmarks", count, total))
			break;
		printk("# bench %s\n", b->name);
		ktest_bench_running = b;
		b->run();
		ktest_bench_running = NULL;
		count++;
	}
	printk("# bench: done%s\n", ktest_bench_failures ? " (with failures)" : "");
	return count;
}

bool ktest_run_benches(void)
{
	if (ktest_run_benches_matching(ktest_bench_filter) == 0) {
		/* Nothing measured is not a pass. */
		printk("# bench: filter '%s' selects no benchmark: failed\n",
		       ktest_bench_filter);
		return false;
	}
	return !ktest_benches_failed();
}

/* For the shell: what `test` and `bench` can run. */
void ktest_list(void)
{
	if (!ktest_cases_linked())
		printk("suites: none (%s)", KTEST_NONE_MESSAGE);
	else
		printk("suites:");
	for (const struct ktest_case *c = ktest_cases_start; c < ktest_cases_end; c++) {
		if (!ktest_suite_seen(c))
			printk(" %s(%u)", c->suite, ktest_count_suite(c, c->suite));
	}
	printk("\nbenchmarks:");
	for (const struct ktest_bench *b = ktest_benches_start;
	     b < ktest_benches_end; b++)
		printk(" %s", b->name);
	printk("\n");
}
