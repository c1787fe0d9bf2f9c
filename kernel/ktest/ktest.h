/*
 * ktest: the in-kernel test framework. A test case is registered with
 * KTEST(suite, name) into the .ktest_cases linker section, so there is no
 * central list to edit. Cases of a suite run in link order; the output is
 * KTAP version 1, one subtest per suite. The command line selects what runs:
 * ktest=all, ktest=SUITE or ktest=SUITE.CASE (comma-separated lists allowed).
 *
 * Each case runs under a watchdog (ktest_timeout_ms on the command line, or
 * the case's own limit) so a hung case fails instead of hanging the run.
 * A case that expects a CPU exception runs the faulting code through
 * ktest_catch(), which reports the exception instead of panicking.
 */
#ifndef VEIL_KERNEL_KTEST_H
#define VEIL_KERNEL_KTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ktest;	/* the running case's state, owned by kernel/ktest/ktest.c */

struct ktest_case {
	const char *suite;
	const char *name;
	void (*run)(struct ktest *t);
	uint32_t timeout_ms;	/* 0: the default watchdog limit */
	const char *file;	/* cases of a file run in line order */
	int line;
};

#define KTEST_DEFINE(suite_name, case_name, limit_ms)                          \
	static void ktest_fn_##suite_name##_##case_name(struct ktest *t);      \
	static const struct ktest_case ktest_case_##suite_name##_##case_name   \
		__attribute__((used, section(".ktest_cases"), aligned(8))) = { \
			.suite = #suite_name,                                  \
			.name = #case_name,                                    \
			.run = ktest_fn_##suite_name##_##case_name,            \
			.timeout_ms = (limit_ms),                              \
			.file = __FILE__,                                      \
			.line = __LINE__,                                      \
		};                                                             \
	static void ktest_fn_##suite_name##_##case_name(struct ktest *t)

#define KTEST(suite_name, case_name) KTEST_DEFINE(suite_name, case_name, 0)
/* For long cases (stress runs): an explicit watchdog limit. */
#define KTEST_SLOW(suite_name, case_name, limit_ms)                            \
	KTEST_DEFINE(suite_name, case_name, limit_ms)

/* Records a failed check (file, line, expression) and lets the case go on. */
void ktest_check(struct ktest *t, bool ok, const char *file, int line,
		 const char *expr);
/* Records a failure and ends the case at once (no return). */
void ktest_fail_now(struct ktest *t, const char *file, int line,
		    const char *expr) __attribute__((noreturn));
/* Marks the case skipped with a reason (KTAP "# SKIP"), ending it. */
void ktest_skip(struct ktest *t, const char *reason) __attribute__((noreturn));
/* A diagnostic line inside the case's KTAP output ("    # ..."). */
void ktest_log(struct ktest *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Whether trace (depth return addresses, as in struct ktest_trap) passes
 * through the function named name. */
bool ktest_trace_names(const uint64_t *trace, unsigned depth, const char *name);
/* Logs trace (depth addresses) by symbol, one line each, to say where a
 * case looked. */
void ktest_log_trace(struct ktest *t, const uint64_t *trace, unsigned depth);

#define KTEST_EXPECT(t, cond) ktest_check((t), (cond), __FILE__, __LINE__, #cond)
#define KTEST_ASSERT(t, cond)                                                  \
	do {                                                                   \
		if (!(cond))                                                   \
			ktest_fail_now((t), __FILE__, __LINE__, #cond);        \
	} while (0)
#define KTEST_EXPECT_EQ(t, a, b)                                               \
	do {                                                                   \
		unsigned long long ktest_a_ = (unsigned long long)(a);         \
		unsigned long long ktest_b_ = (unsigned long long)(b);         \
		if (ktest_a_ != ktest_b_)                                      \
			ktest_log((t), "%s == %s: 0x%llx != 0x%llx", #a, #b,   \
				  ktest_a_, ktest_b_);                         \
		ktest_check((t), ktest_a_ == ktest_b_, __FILE__, __LINE__,     \
			    #a " == " #b);                                     \
	} while (0)

/* What a CPU exception caught by ktest_catch() looked like. */
#define KTEST_TRAP_TIMEOUT (-2)
/* Addresses kept of where a timed-out catcher's thread was. */
#define KTEST_TRACE_DEPTH 12u

struct ktest_trap {
	int vector;		/* -1: fn returned; KTEST_TRAP_TIMEOUT: timed out */
	uint64_t error_code;
	uint64_t fault_address;	/* CR2 for a page fault */
	uint64_t instruction;	/* RIP of the faulting instruction */
	int fault_response;	/* page fault: enum fault_response, else -1 */
	const char *fault_owner;	/* page fault: owner's name, or NULL */
	/* A timeout: where the catcher's thread was when the watchdog
	 * struck, the innermost first, recorded by that thread itself: the
	 * frames under the interrupt that stopped it (the timer's, or the
	 * exit of another that ran the watchdog's request), or under the
	 * switch back from the wait it was in, then the callers of its
	 * own code. */
	uint64_t hung_at[KTEST_TRACE_DEPTH];
	unsigned hung_depth;
};

/*
 * Runs fn(arg); if it raises a CPU exception, the exception is recorded in
 * *trap and ktest_catch returns true (execution resumes here, fn abandoned).
 * Returns false, with trap->vector = -1, when fn returned normally.
 */
bool ktest_catch(void (*fn)(void *arg), void *arg, struct ktest_trap *trap);
/* The same with a watchdog: fn is abandoned after timeout_ms (interrupts
 * must be on), and trap->vector is KTEST_TRAP_TIMEOUT. */
bool ktest_catch_timeout(void (*fn)(void *arg), void *arg,
			 struct ktest_trap *trap, unsigned timeout_ms);

/* Functions for ktest_catch: one read or write of the byte at arg, the
 * accesses exception tests make on purpose. */
void ktest_read_byte(void *arg);
void ktest_write_byte(void *arg);

/*
 * What an abandoned case may leave behind that stopping its threads does
 * not end: user processes, whose threads must leave through their own
 * exit path (their memory goes back there), before the stop would end
 * them as bare threads. A subsystem declares one with KTEST_CLEANUP; the
 * runner calls mark when a catcher starts (a case, or a ktest_catch in
 * one) and, once that catcher was abandoned (an exception, its deadline,
 * a failed KTEST_ASSERT, a skip), abandon with that mark, on the
 * catcher's owner thread, before the threads made under the catcher are
 * stopped. Cases run one at a time: what was made since the mark is the
 * case's.
 */
struct ktest_cleanup {
	const char *name;
	/* What exists now, as a mark (the next id to be given, say). */
	uint64_t (*mark)(void);
	/* Ends what was made since mark and is not ended: how many it
	 * ended. May sleep. */
	unsigned (*abandon)(uint64_t mark);
};
/* At most this many KTEST_CLEANUPs in a kernel (a catcher keeps a mark
 * of each; the run refuses to start with more). */
#define KTEST_CLEANUPS_MAX 4

#define KTEST_CLEANUP(cleanup_name, mark_fn, abandon_fn)                       \
	static const struct ktest_cleanup ktest_cleanup_##cleanup_name         \
		__attribute__((used, section(".ktest_cleanups"), aligned(8))) = \
			{ .name = #cleanup_name, .mark = (mark_fn),            \
			  .abandon = (abandon_fn) }

/* For kmain: set up the watchdog, then run what the command line asked. */
void ktest_init(void);
bool ktest_requested(void);
bool ktest_bench_requested(void);
/* Whether filter (as ktest= takes it) selects SUITE.NAME (name NULL: the
 * suite, or a benchmark of that name). */
bool ktest_filter_matches(const char *filter, const char *suite,
			  const char *name);
/* Adds value's words to filter (size bytes with its NUL), after a comma
 * when filter has words already: how a repeated ktest= word extends the
 * selection. False, filter unchanged, for an empty value or no room. */
bool ktest_filter_append(char *filter, size_t size, const char *value);
/* Whether this build links any ktest case (CONFIG_KTEST=1: the test ISO). */
bool ktest_cases_linked(void);
/* What a build without ktest cases answers when asked to run tests. */
#define KTEST_NONE_MESSAGE                                                     \
	"this build carries no tests (a release build: run them from "       \
	"build/veil-test.iso, make test)"
/* How many linked cases the filter selects. */
unsigned ktest_count_selected(const char *filter);
/* Runs the cases the filter selects, printing KTAP; true if none failed.
 * In a build without cases it prints KTEST_NONE_MESSAGE on one line and
 * returns false; a filter that selects no case ("nosuch", ",", "-all") is
 * an error too: one line saying so, no KTAP, false. */
bool ktest_run(const char *filter);
/* Runs with the ktest= filter of the command line. */
bool ktest_run_requested(void);
/* Runs the benchmarks of the bench= option; false when one failed or when
 * the filter selected none (said on one line). */
bool ktest_run_benches(void);
/* Runs the benchmarks the filter selects; returns how many ran
 * (ktest_benches_failed() then says whether one of them failed). */
unsigned ktest_run_benches_matching(const char *filter);
/* Called by a benchmark that cannot give a figure (no memory, no input):
 * prints "# bench NAME: FAILED: reason" on one line; the run that started
 * it then counts as failed (the boot ends with the failed status). */
void ktest_bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A check ktest_run and ktest_run_benches_matching make between suites
 * and between benchmarks (the shell passes console_interrupt_pending, so
 * Ctrl-C stops a long `test` or `bench`); NULL for none. A run it stops
 * says so and does not pass. */
void ktest_set_stop_check(bool (*stop)(void));
/* Whether the last run was stopped that way. */
bool ktest_was_stopped(void);

/* Whether a benchmark of the last ktest_run_benches_matching() failed. */
bool ktest_benches_failed(void);
/* Prints the suites (with their case counts) and the benchmarks. */
void ktest_list(void);

/*
 * Benchmarks are not tests: they print figures and are run by the command
 * line option bench=NAME (or bench=all), never as part of the KTAP plan.
 */
struct ktest_bench {
	const char *name;
	void (*run)(void);
};

#define KBENCH(bench_name)                                                     \
	static void kbench_fn_##bench_name(void);                              \
	static const struct ktest_bench kbench_##bench_name                    \
		__attribute__((used, section(".ktest_benches"), aligned(8))) = \
			{ .name = #bench_name, .run = kbench_fn_##bench_name };\
	static void kbench_fn_##bench_name(void)

#endif
