/*
 * ktest suite "ktest": the framework's own guarantees. ktest_catch returns
 * false when nothing faults and keeps working after a catch; the watchdog
 * abandons a function that spins, and the frames it abandons stay intact
 * until the threads it started are stopped; catches nest; the symbol table
 * resolves this very function.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/preempt.h"
#include "kernel/lib/ksyms.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"

static void do_nothing(void *arg)
{
	*(int *)arg = 42;
}

KTEST(ktest, catch_without_exception)
{
	struct ktest_trap trap;
	int value = 0;

	KTEST_EXPECT(t, !ktest_catch(do_nothing, &value, &trap));
	KTEST_EXPECT_EQ(t, trap.vector, -1);
	KTEST_EXPECT_EQ(t, value, 42);
}

static void spin_forever(void *arg)
{
	volatile uint64_t *counter = arg;

	for (;;)
		(*counter)++;
}

KTEST(ktest, watchdog_abandons_a_spinning_function)
{
	struct ktest_trap trap;
	volatile uint64_t counter = 0;
	uint64_t start = time_ticks_ms();

	KTEST_ASSERT(t, ktest_catch_timeout(spin_forever, (void *)&counter,
					    &trap, 50));
	KTEST_EXPECT_EQ(t, trap.vector, KTEST_TRAP_TIMEOUT);
	KTEST_EXPECT(t, counter > 0);
	KTEST_EXPECT(t, time_ticks_ms() - start >= 50);
	/* where it spun: under the timer interrupt, the spinner's caller */
	KTEST_EXPECT(t, ktest_trace_names(trap.hung_at, trap.hung_depth,
					  "ktest_call_below_room"));
}

#define FRAME_WATCH_WORDS 256

/* What the reader of an abandoned frame saw (static: the reader outlives
 * the frame it reads, which is the point). */
static struct frame_watch {
	volatile uint64_t *words;	/* in the spinning function's frame */
	uint64_t reads, changes;
} frame_watch;

static uint64_t frame_watch_word(unsigned i)
{
	return 0x5eed0000c0ffee00ull ^ ((uint64_t)i * 0x9e3779b97f4a7c15ull);
}

/* A thread of the catch: reads the words until it is stopped. */
static void frame_watch_reader(void *arg)
{
	(void)arg;
	for (;;) {
		for (unsigned i = 0; i < FRAME_WATCH_WORDS; i++)
			frame_watch.changes += frame_watch.words[i] != frame_watch_word(i);
		frame_watch.reads++;
		thread_yield();
	}
}

/* Starts a reader of its own locals, then spins until abandoned. */
static void spin_with_a_reader(void *arg)
{
	volatile uint64_t words[FRAME_WATCH_WORDS];

	(void)arg;
	for (unsigned i = 0; i < FRAME_WATCH_WORDS; i++)
		words[i] = frame_watch_word(i);
	frame_watch.words = words;
	/* on another CPU, reading while the owner cleans up (on one CPU the
	 * stop reaches the reader before it can read again) */
	if (!thread_create_on("ktest-frame-reader", frame_watch_reader, NULL,
			      1ull << (cpu_current() == 0 ? 1 : 0)))
		return;
	for (;;)
		thread_yield();
}

/* The watchdog abandons a function whose thread reads its frame: the
 * cleanup stops the thread before anything overwrites that frame (the
 * cleanup runs in room left above it), so the thread never reads a
 * changed word, however long the stop takes. */
KTEST(ktest, abandoned_frame_intact_until_its_threads_stop)
{
	struct ktest_trap trap;

	if (cpu_count() < 2)
		ktest_skip(t, "one CPU: a stopped thread reads nothing more");
	memset(&frame_watch, 0, sizeof(frame_watch));
	KTEST_ASSERT(t, ktest_catch_timeout(spin_with_a_reader, NULL, &trap, 50));
	KTEST_EXPECT_EQ(t, trap.vector, KTEST_TRAP_TIMEOUT);
	ktest_log(t, "%llu reads of the frame, %llu changed words seen",
		  (unsigned long long)frame_watch.reads,
		  (unsigned long long)frame_watch.changes);
	KTEST_EXPECT(t, frame_watch.reads > 0);
	KTEST_EXPECT_EQ(t, frame_watch.changes, 0);
}

/* Sleepers the cleanup of catcher_strikes_once stops: enough that the
 * stop takes several ticks of the case's own thread. */
#define STRIKE_SLEEPERS 128
/* The spinners' deadline: long enough that every sleeper and faulter has
 * started (and a faulter on another CPU has faulted) first, on a loaded
 * 8-CPU TCG machine too; the cases need the strike to come after that. */
#define STRIKE_DEADLINE_MS 250u

static void sleep_forever(void *arg)
{
	(void)arg;
	for (;;)
		thread_sleep_ms(1000);
}

/* Starts the sleepers (counting them in *arg), then spins until
 * abandoned. */
static void spin_with_sleepers(void *arg)
{
	volatile unsigned *started = arg;

	for (unsigned i = 0; i < STRIKE_SLEEPERS; i++)
		if (thread_create("ktest-sleeper", sleep_forever, NULL))
			(*started)++;
	for (;;)
		__asm__ __volatile__("" ::: "memory");
}

/* A catcher strikes once: the cleanup after the watchdog's resume stops
 * many threads while the case's thread runs, over ticks past the
 * deadline, and none of them resumes the catcher again (one did, over the
 * cleanup, and wrote where the cleanup was into the trap). The trap still
 * says where the spinner was, and every sleeper is stopped. */
KTEST(ktest, catcher_strikes_once)
{
	struct ktest_trap trap;
	volatile unsigned started = 0;
	unsigned threads_before = thread_snapshot(NULL, 0, 0);
	uint64_t start = time_ticks_ms();

	KTEST_ASSERT(t, ktest_catch_timeout(spin_with_sleepers, (void *)&started,
					    &trap, STRIKE_DEADLINE_MS));
	ktest_log(t, "%u sleepers, back %llu ms after the start (deadline %u ms)",
		  started, (unsigned long long)(time_ticks_ms() - start),
		  STRIKE_DEADLINE_MS);
	KTEST_EXPECT_EQ(t, trap.vector, KTEST_TRAP_TIMEOUT);
	KTEST_EXPECT_EQ(t, started, STRIKE_SLEEPERS);
	KTEST_EXPECT(t, ktest_trace_names(trap.hung_at, trap.hung_depth,
					  "ktest_call_below_room"));
	KTEST_EXPECT(t, !ktest_trace_names(trap.hung_at, trap.hung_depth,
					   "thread_stop_from"));
	KTEST_EXPECT(t, !ktest_trace_names(trap.hung_at, trap.hung_depth,
					   "ktest_catcher_cleanup"));
	KTEST_EXPECT_EQ(t, thread_snapshot(NULL, 0, 0), threads_before);
}

/* What the faulter of a_fault_in_the_cleanup_keeps_the_first_record
 * shares with the case. */
struct strike_fault {
	struct ktest_trap *trap;	/* the inner catcher's */
	volatile unsigned started;	/* sleepers started */
	volatile bool faulting;		/* the faulter reached its #UD */
};

/* Waits until the watchdog has struck, then takes an exception (#UD),
 * which is during the cleanup that stops it. */
static void fault_after_the_strike(void *arg)
{
	struct strike_fault *fault = arg;

	while (__atomic_load_n(&fault->trap->vector, __ATOMIC_ACQUIRE) !=
	       KTEST_TRAP_TIMEOUT)
		__asm__ __volatile__("" ::: "memory");
	fault->faulting = true;
	__asm__ __volatile__("ud2");
}

/* Starts the sleepers (stopped first: they are older), then the faulter,
 * then spins until abandoned. */
static void spin_with_a_faulter(void *arg)
{
	struct strike_fault *fault = arg;

	for (unsigned i = 0; i < STRIKE_SLEEPERS; i++)
		if (thread_create("ktest-sleeper", sleep_forever, NULL))
			fault->started++;
	if (!thread_create("ktest-faulter", fault_after_the_strike, fault))
		return;
	for (;;)
		__asm__ __volatile__("" ::: "memory");
}

/* The first strike's record stands: a thread of the case that takes an
 * exception while the cleanup after a timeout stops the threads is ended
 * and leaves the trap as the timeout wrote it (before, its #UD was
 * written over it). */
KTEST(ktest, a_fault_in_the_cleanup_keeps_the_first_record)
{
	struct ktest_trap trap;
	struct strike_fault fault = { .trap = &trap };
	unsigned threads_before = thread_snapshot(NULL, 0, 0);

	KTEST_ASSERT(t, ktest_catch_timeout(spin_with_a_faulter, &fault, &trap,
					    STRIKE_DEADLINE_MS));
	ktest_log(t, "%u sleepers, the faulter %s", fault.started,
		  fault.faulting ? "faulted" : "did not fault");
	KTEST_EXPECT_EQ(t, fault.started, STRIKE_SLEEPERS);
	KTEST_EXPECT(t, fault.faulting);
	KTEST_EXPECT_EQ(t, trap.vector, KTEST_TRAP_TIMEOUT);
	KTEST_EXPECT(t, ktest_trace_names(trap.hung_at, trap.hung_depth,
					  "ktest_call_below_room"));
	if (!ktest_trace_names(trap.hung_at, trap.hung_depth,
			       "ktest_call_below_room"))
		ktest_log_trace(t, trap.hung_at, trap.hung_depth);
	KTEST_EXPECT_EQ(t, thread_snapshot(NULL, 0, 0), threads_before);
}

/* The owner's flag for fault_once_the_owner_spins. */
static volatile bool owner_spins_unpreemptible;

static void fault_once_the_owner_spins(void *arg)
{
	(void)arg;
	while (!owner_spins_unpreemptible)
		__asm__ __volatile__("" ::: "memory");
	__asm__ __volatile__("ud2");
}

/* Starts the faulter, then spins with preemption off: no interrupt exit
 * runs the request the faulter's exception sends. */
static void spin_unpreemptible_under_a_faulter(void *arg)
{
	(void)arg;
	if (!thread_create("ktest-faulter", fault_once_the_owner_spins, NULL))
		return;
	preempt_disable();
	owner_spins_unpreemptible = true;
	for (;;)
		__asm__ __volatile__("" ::: "memory");
}

/* An owner asked to resume by a thread's exception, spinning where it
 * cannot take the request (preemption off), is resumed by its deadline
 * with the exception as the record: the watchdog wrote a timeout over it
 * before. Needs a second CPU for the faulter. */
KTEST(ktest, deadline_resumes_an_asked_owner_with_the_exception)
{
	struct ktest_trap trap;
	unsigned threads_before = thread_snapshot(NULL, 0, 0);

	if (cpu_count() < 2)
		ktest_skip(t, "one CPU: the faulter never runs beside the spinning owner");
	owner_spins_unpreemptible = false;
	KTEST_ASSERT(t, ktest_catch_timeout(spin_unpreemptible_under_a_faulter,
					    NULL, &trap, STRIKE_DEADLINE_MS));
	KTEST_EXPECT(t, owner_spins_unpreemptible);
	KTEST_EXPECT_EQ(t, trap.vector, 6);	/* #UD, the faulter's */
	KTEST_EXPECT_EQ(t, preempt_count(), 0);
	KTEST_EXPECT_EQ(t, thread_snapshot(NULL, 0, 0), threads_before);
}

static void fault_inside(void *arg)
{
	(void)arg;
	__asm__ __volatile__("ud2");
}

static void catch_inside(void *arg)
{
	struct ktest_trap *inner = arg;

	ktest_catch(fault_inside, NULL, inner);
	/* Reached only if the inner catch took the fault. */
	__asm__ __volatile__("int3");
}

KTEST(ktest, catches_nest)
{
	struct ktest_trap outer, inner;

	KTEST_ASSERT(t, ktest_catch(catch_inside, &inner, &outer));
	KTEST_EXPECT_EQ(t, inner.vector, 6);	/* #UD, inner */
	KTEST_EXPECT_EQ(t, outer.vector, 3);	/* #BP, outer */
}

KTEST(ktest, symbols_resolve)
{
	const char *name = NULL;
	uint64_t offset = 0;
	uint64_t here = (uint64_t)ktest_fn_ktest_symbols_resolve;

	KTEST_ASSERT(t, ksym_count() > 0);
	KTEST_ASSERT(t, ksym_lookup(here + 3, &name, &offset));
	KTEST_EXPECT_EQ(t, offset, 3);
	KTEST_EXPECT_EQ(t, ksym_address(name), here);
	KTEST_EXPECT_EQ(t, ksym_address("kmain") != 0, 1);
}

KTEST(ktest, ticks_advance_with_interrupts_on)
{
	uint64_t start = time_ticks_ms();

	time_delay_ms(20);
	KTEST_EXPECT(t, time_ticks_ms() - start >= 10);
	KTEST_EXPECT(t, time_uptime_ns() > 0);
}

KTEST(ktest, filter_words_and_exclusions)
{
	KTEST_EXPECT(t, ktest_filter_matches("all", "a", "b"));
	KTEST_EXPECT(t, ktest_filter_matches("x,a", "a", "b"));
	KTEST_EXPECT(t, ktest_filter_matches("a.b", "a", "b"));
	KTEST_EXPECT(t, !ktest_filter_matches("a.bc", "a", "b"));
	KTEST_EXPECT(t, !ktest_filter_matches("ab", "a", "b"));
	KTEST_EXPECT(t, !ktest_filter_matches("all,-a.b", "a", "b"));
	KTEST_EXPECT(t, ktest_filter_matches("all,-a.b", "a", "c"));
	KTEST_EXPECT(t, !ktest_filter_matches("all,-a", "a", "c"));
	KTEST_EXPECT(t, !ktest_filter_matches("-a", "b", "c"));
	KTEST_EXPECT(t, !ktest_filter_matches("", "a", "b"));
}

/* A filter that selects nothing is an error, not an empty pass: ktest_run
 * returns before printing any KTAP (so calling it from a case is safe). */
KTEST(ktest, repeated_filter_words_add_up)
{
	char filter[16] = "";

	KTEST_EXPECT(t, ktest_filter_append(filter, sizeof(filter), "a,-a.b"));
	KTEST_EXPECT(t, ktest_filter_append(filter, sizeof(filter), "c"));
	KTEST_EXPECT(t, strcmp(filter, "a,-a.b,c") == 0);
	KTEST_EXPECT(t, ktest_filter_matches(filter, "c", "x"));
	KTEST_EXPECT(t, !ktest_filter_matches(filter, "a", "b"));
	KTEST_EXPECT(t, !ktest_filter_append(filter, sizeof(filter), ""));
	/* "a,-a.b,c" + ",1234567" is 16 bytes, one over with the NUL */
	KTEST_EXPECT(t, !ktest_filter_append(filter, sizeof(filter), "1234567"));
	KTEST_EXPECT(t, ktest_filter_append(filter, sizeof(filter), "123456"));
	KTEST_EXPECT(t, strcmp(filter, "a,-a.b,c,123456") == 0);
}

KTEST(ktest, empty_selection_fails)
{
	static const char *const filters[] = { "nonexistent", ",", "-all",
					       "all,-all", "ktest.nosuch" };

	for (unsigned i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		KTEST_EXPECT_EQ(t, ktest_count_selected(filters[i]), 0);
		KTEST_EXPECT(t, !ktest_run(filters[i]));
	}
	KTEST_EXPECT(t, ktest_count_selected("ktest.empty_selection_fails") == 1);
}
