/*
 * ktest suite "sched": threads and the scheduler on however many CPUs run
 * (the cases pin threads to CPUs round-robin with affinity, so with one
 * CPU they all share it and with several they spread). Creation and join,
 * a join giving the stack's frames back, yield, a ping-pong of 10^5 round
 * trips through a wait queue (no lost wakeup), preemption of a thread that
 * never yields, CPU shares of busy threads, sleep lengths, mutex sleeping,
 * the ktest runner abandoning threads on a time-out or an exception,
 * preempt_disable holding a switch off until preempt_enable, an
 * affinity with no online CPU refused, and a wait_cancel between a
 * waiter's check and its sleep not lost.
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/preempt.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/sched_internal.h"
#include "kernel/sched/wait.h"
#include "mm/kstack.h"
#include "mm/mm.h"
#include "mm/pmm.h"

/* CPU i of the round-robin placement, as an affinity mask. */
static uint64_t sched_test_cpu_mask(unsigned i)
{
	return 1ull << (i % cpu_count());
}

static void sched_test_store_42(void *argument)
{
	*(volatile int *)argument = 42;
}

KTEST(sched, create_runs_function_and_join_waits)
{
	volatile int value = 0;
	struct thread *thread = thread_create("store42", sched_test_store_42,
					      (void *)&value);

	KTEST_ASSERT(t, thread != NULL);
	KTEST_EXPECT(t, thread->id > 0);
	thread_join(thread);
	KTEST_EXPECT_EQ(t, value, 42);
}

static void sched_test_nothing(void *argument)
{
	(void)argument;
}

KTEST(sched, exit_and_join_give_the_stack_back)
{
	enum { THREADS = 8 };
	struct thread *threads[THREADS];
	struct pmm_stats before, during, after;

	/* Warm-up: the stack slots' page tables are made on first use and
	 * stay; the counted run reuses the same slots. */
	for (unsigned i = 0; i < THREADS; i++)
		threads[i] = thread_create("warm", sched_test_nothing, NULL);
	for (unsigned i = 0; i < THREADS; i++) {
		KTEST_ASSERT(t, threads[i] != NULL);
		thread_join(threads[i]);
	}
	pmm_get_stats(&pmm_kernel, &before);
	for (unsigned i = 0; i < THREADS; i++)
		threads[i] = thread_create("counted", sched_test_nothing, NULL);
	pmm_get_stats(&pmm_kernel, &during);
	for (unsigned i = 0; i < THREADS; i++) {
		KTEST_ASSERT(t, threads[i] != NULL);
		thread_join(threads[i]);
	}
	pmm_get_stats(&pmm_kernel, &after);
	KTEST_EXPECT(t, before.free_frames - during.free_frames >=
			THREADS * (KSTACK_SIZE / 4096u));
	KTEST_EXPECT_EQ(t, after.free_frames, before.free_frames);
}

struct sched_test_yield {
	struct completion start;
	volatile unsigned count[2];
	volatile unsigned widest_gap;	/* largest |mine - other| seen */
};

static void sched_test_yielder(struct sched_test_yield *y, unsigned me)
{
	completion_wait(&y->start);
	for (unsigned i = 0; i < 200; i++) {
		y->count[me]++;
		unsigned mine = y->count[me], other = y->count[1 - me];
		unsigned gap = mine > other ? mine - other : other - mine;
		if (gap > y->widest_gap)
			y->widest_gap = gap;
		thread_yield();
	}
}

static void sched_test_yielder0(void *argument)
{
	sched_test_yielder(argument, 0);
}

static void sched_test_yielder1(void *argument)
{
	sched_test_yielder(argument, 1);
}

/* Two threads on one CPU that yield after each step stay in step: yield
 * runs the other (a time slice may end between a step and its yield, so
 * a gap of 2 is allowed; without a working yield it would be 200). */
KTEST(sched, yield_runs_the_other_thread)
{
	static struct sched_test_yield y;
	uint64_t here = 1ull << cpu_current();

	y = (struct sched_test_yield){ .widest_gap = 0 };
	completion_init(&y.start, "sched_test_start");
	struct thread *a = thread_create_on("yield0", sched_test_yielder0, &y, here);
	struct thread *b = thread_create_on("yield1", sched_test_yielder1, &y, here);
	KTEST_ASSERT(t, a && b);
	complete_all(&y.start);
	thread_join(a);
	thread_join(b);
	KTEST_EXPECT_EQ(t, y.count[0], 200);
	KTEST_EXPECT_EQ(t, y.count[1], 200);
	KTEST_EXPECT(t, y.widest_gap <= 2);
	if (y.widest_gap > 2)
		ktest_log(t, "widest gap %u", y.widest_gap);
}

#define SCHED_TEST_ROUND_TRIPS 100000u

struct sched_test_ping_pong {
	struct wait_queue queue;	/* its lock orders the turn's changes */
	unsigned turn;			/* whose move: 0 or 1 */
	unsigned moves[2];
};

static void sched_test_player(struct sched_test_ping_pong *game, unsigned me)
{
	for (unsigned i = 0; i < SCHED_TEST_ROUND_TRIPS; i++) {
		wait_event(&game->queue,
			   __atomic_load_n(&game->turn, __ATOMIC_ACQUIRE) == me);
		game->moves[me]++;
		__atomic_store_n(&game->turn, 1 - me, __ATOMIC_RELEASE);
		wake_up_all(&game->queue);
	}
}

static void sched_test_player0(void *argument)
{
	sched_test_player(argument, 0);
}

static void sched_test_player1(void *argument)
{
	sched_test_player(argument, 1);
}

/* 10^5 round trips, each side sleeping until the other hands over: a lost
 * wakeup leaves both asleep and the watchdog ends the case. On different
 * CPUs when there are two. */
KTEST_SLOW(sched, ping_pong_100000_round_trips, 300000)
{
	static struct sched_test_ping_pong game;

	game = (struct sched_test_ping_pong){ .turn = 0 };
	wait_queue_init(&game.queue, "sched_test_ping_pong");
	struct thread *a = thread_create_on("ping", sched_test_player0, &game,
					    sched_test_cpu_mask(0));
	struct thread *b = thread_create_on("pong", sched_test_player1, &game,
					    sched_test_cpu_mask(1));
	KTEST_ASSERT(t, a && b);
	ktest_log(t, "ping on CPU %u, pong on CPU %u", 0u, 1u % cpu_count());
	thread_join(a);
	thread_join(b);
	KTEST_EXPECT_EQ(t, game.moves[0], SCHED_TEST_ROUND_TRIPS);
	KTEST_EXPECT_EQ(t, game.moves[1], SCHED_TEST_ROUND_TRIPS);
	KTEST_EXPECT_EQ(t, game.turn, 0);
}

static volatile bool sched_test_spin_stop;
static volatile uint64_t sched_test_spins;

static void sched_test_spinner(void *argument)
{
	(void)argument;
	while (!sched_test_spin_stop)
		sched_test_spins++;
}

/* A thread that never yields, on this CPU: the main thread still wakes
 * from its sleep and another thread still runs to its end. */
KTEST(sched, thread_that_never_yields_is_preempted)
{
	uint64_t here = 1ull << cpu_current();
	volatile int value = 0;

	sched_test_spin_stop = false;
	sched_test_spins = 0;
	struct thread *spinner = thread_create_on("spinner", sched_test_spinner,
						  NULL, here);
	KTEST_ASSERT(t, spinner != NULL);
	thread_sleep_ms(30);
	KTEST_EXPECT(t, sched_test_spins > 0);
	struct thread *other = thread_create_on("other", sched_test_store_42,
						(void *)&value, here);
	KTEST_ASSERT(t, other != NULL);
	thread_join(other);
	KTEST_EXPECT_EQ(t, value, 42);
	sched_test_spin_stop = true;
	thread_join(spinner);
}

#define SCHED_TEST_SHARE_PER_CPU 3u
#define SCHED_TEST_SHARE_MAX (SCHED_TEST_SHARE_PER_CPU * CONFIG_MAX_CPUS)
#define SCHED_TEST_SHARE_TICKS (30u * SCHED_SLICE_TICKS)

struct sched_test_busy {
	volatile uint64_t iterations;
	uint64_t run_ticks;	/* the thread's own, as it ends */
};

static void sched_test_busy(void *argument)
{
	struct sched_test_busy *busy = argument;

	while (!sched_test_spin_stop)
		busy->iterations++;
	busy->run_ticks = thread_current()->run_ticks;
}

/* SCHED_TEST_SHARE_PER_CPU busy threads on each CPU until they have run
 * SCHED_TEST_SHARE_TICKS ticks per CPU together (30 slices: ticks, not
 * milliseconds, as a loaded host may drop timer ticks), or 20 s. Stated
 * bound: every thread's run time (timer ticks it was running) is at least
 * half and at most one and a half of the even share of its CPU's busy
 * threads' total. */
KTEST_SLOW(sched, busy_threads_share_their_cpu, 60000)
{
	static struct thread *threads[SCHED_TEST_SHARE_MAX];
	static struct sched_test_busy busy[SCHED_TEST_SHARE_MAX];
	static uint64_t cpu_total[CONFIG_MAX_CPUS];
	unsigned cpus = cpu_count(), count = cpus * SCHED_TEST_SHARE_PER_CPU;

	sched_test_spin_stop = false;
	for (unsigned i = 0; i < count; i++) {
		busy[i] = (struct sched_test_busy){ 0 };
		threads[i] = thread_create_on("busy", sched_test_busy, &busy[i],
					      sched_test_cpu_mask(i));
		KTEST_ASSERT(t, threads[i] != NULL);
	}
	uint64_t deadline = time_uptime_ns() + 20000000000ull, total;
	do {
		thread_sleep_ms(100);
		total = 0;
		for (unsigned i = 0; i < count; i++)
			total += __atomic_load_n(&threads[i]->run_ticks,
						 __ATOMIC_RELAXED);
	} while (total < (uint64_t)SCHED_TEST_SHARE_TICKS * cpus &&
		 time_uptime_ns() < deadline);
	sched_test_spin_stop = true;
	for (unsigned i = 0; i < count; i++)
		thread_join(threads[i]);
	for (unsigned c = 0; c < cpus; c++)
		cpu_total[c] = 0;
	for (unsigned i = 0; i < count; i++)
		cpu_total[i % cpus] += busy[i].run_ticks;
	for (unsigned i = 0; i < count; i++) {
		uint64_t even = cpu_total[i % cpus] / SCHED_TEST_SHARE_PER_CPU;
		ktest_log(t, "thread %u on CPU %u: %llu ticks (even share %llu), "
			  "%llu iterations", i, i % cpus,
			  (unsigned long long)busy[i].run_ticks,
			  (unsigned long long)even,
			  (unsigned long long)busy[i].iterations);
		KTEST_EXPECT(t, busy[i].iterations > 0);
		KTEST_EXPECT(t, even > 0);
		KTEST_EXPECT(t, busy[i].run_ticks * 2 >= even);
		KTEST_EXPECT(t, busy[i].run_ticks * 2 <= even * 3);
	}
}

/* Sleeps last at least what was asked (uptime before and after). */
KTEST(sched, sleep_lasts_at_least_the_time_asked)
{
	static const unsigned lengths_ms[] = { 1, 5, 20 };

	for (unsigned i = 0; i < sizeof(lengths_ms) / sizeof(lengths_ms[0]); i++) {
		uint64_t start = time_uptime_ns();
		thread_sleep_ms(lengths_ms[i]);
		uint64_t slept = time_uptime_ns() - start;
		ktest_log(t, "sleep %u ms: %llu us", lengths_ms[i],
			  (unsigned long long)(slept / 1000));
		KTEST_EXPECT(t, slept >= lengths_ms[i] * 1000000ull);
	}
}

/* The long sleep a short one starts behind (stopped early). */
#define SCHED_TEST_LONG_SLEEP_MS 2000u

static void sched_test_sleep_long(void *argument)
{
	(void)argument;
	thread_sleep_ms(SCHED_TEST_LONG_SLEEP_MS);
}

/* A short sleep that starts behind a long one wakes on its own deadline:
 * the tick leaves the sleepers alone until the earliest deadline, which a
 * new sleeper lowers. The long sleeper is then stopped early. */
KTEST(sched, short_sleep_behind_a_long_one_wakes_on_time)
{
	struct thread *long_sleeper = thread_create("long-sleeper",
						    sched_test_sleep_long, NULL);

	KTEST_ASSERT(t, long_sleeper != NULL);
	while (__atomic_load_n(&long_sleeper->state, __ATOMIC_ACQUIRE) !=
	       THREAD_BLOCKED)
		thread_yield();
	uint64_t start = time_uptime_ns();
	thread_sleep_ms(5);
	uint64_t slept_ms = (time_uptime_ns() - start) / 1000000u;
	ktest_log(t, "5 ms behind a %u ms sleeper: %llu ms",
		  SCHED_TEST_LONG_SLEEP_MS, (unsigned long long)slept_ms);
	KTEST_EXPECT(t, slept_ms >= 5);
	KTEST_EXPECT(t, slept_ms < SCHED_TEST_LONG_SLEEP_MS / 2);
	thread_interrupt(long_sleeper, thread_exit);
	thread_join(long_sleeper);
}

struct sched_test_mutex {
	struct mutex mutex;
	volatile bool entered;
};

static void sched_test_mutex_taker(void *argument)
{
	struct sched_test_mutex *m = argument;

	mutex_lock(&m->mutex);
	m->entered = true;
	mutex_unlock(&m->mutex);
}

/* A thread asking for an owned mutex sleeps (blocked, not in) until the
 * owner unlocks; the owner is recorded; trylock fails while owned. */
KTEST(sched, mutex_waiter_sleeps_until_unlock)
{
	static struct sched_test_mutex m;

	mutex_init(&m.mutex, "sched_test_mutex");
	m.entered = false;
	mutex_lock(&m.mutex);
	KTEST_EXPECT(t, mutex_is_owned(&m.mutex));
	KTEST_EXPECT(t, m.mutex.owner == thread_current());
	struct thread *taker = thread_create("taker", sched_test_mutex_taker, &m);
	KTEST_ASSERT(t, taker != NULL);
	thread_sleep_ms(20);
	KTEST_EXPECT(t, !m.entered);
	KTEST_EXPECT_EQ(t, taker->state, THREAD_BLOCKED);
	KTEST_EXPECT_EQ(t, m.mutex.contended, 1);
	mutex_unlock(&m.mutex);
	thread_join(taker);
	KTEST_EXPECT(t, m.entered);
	KTEST_EXPECT(t, m.mutex.owner == NULL);
	KTEST_EXPECT(t, mutex_trylock(&m.mutex));
	mutex_unlock(&m.mutex);
}

/* A thread blocked on a mutex: its waiting trace goes through mutex_lock
 * and the thread's own function; a running thread (the caller) and an id
 * no thread has give none. */
KTEST(sched, waiting_trace_names_where_a_thread_waits)
{
	static struct sched_test_mutex m;
	uint64_t trace[16];

	mutex_init(&m.mutex, "sched_test_trace");
	m.entered = false;
	mutex_lock(&m.mutex);
	struct thread *taker = thread_create("taker", sched_test_mutex_taker, &m);
	KTEST_ASSERT(t, taker != NULL);
	for (unsigned ms = 0; ms < 1000 &&
	     __atomic_load_n(&taker->state, __ATOMIC_ACQUIRE) != THREAD_BLOCKED; ms++)
		thread_sleep_ms(1);
	unsigned depth = thread_waiting_trace(taker->id, trace, 16);
	thread_print_waiting(taker->id);
	mutex_unlock(&m.mutex);
	thread_join(taker);
	KTEST_EXPECT(t, depth >= 2);
	KTEST_EXPECT(t, ktest_trace_names(trace, depth, "mutex_lock"));
	KTEST_EXPECT(t, ktest_trace_names(trace, depth,
					       "sched_test_mutex_taker"));
	KTEST_EXPECT_EQ(t, thread_waiting_trace(thread_current()->id, trace, 16), 0);
	KTEST_EXPECT_EQ(t, thread_waiting_trace(thread_next_id() + 1000, trace, 16), 0);
}

/* Under ktest_catch_timeout: a spinner on this CPU, joined forever. */
static void sched_test_join_spinner(void *argument)
{
	struct thread *spinner = thread_create_on("spinner", sched_test_spinner,
						  NULL, 1ull << cpu_current());

	*(struct thread **)argument = spinner;
	if (spinner)
		thread_join(spinner);
}

/* The watchdog strikes while a thread of the case runs and the case's
 * own thread waits in thread_join: the case's thread resumes its catcher
 * and the spinner is stopped and joined (it spins no more, and the thread
 * count is back). */
KTEST(sched, watchdog_abandons_a_wait_and_stops_the_threads)
{
	struct ktest_trap trap;
	struct thread *spinner = NULL;
	unsigned threads_before = thread_snapshot(NULL, 0, 0);

	sched_test_spin_stop = false;
	KTEST_EXPECT(t, ktest_catch_timeout(sched_test_join_spinner, &spinner,
					    &trap, 200));
	KTEST_EXPECT_EQ(t, trap.vector, KTEST_TRAP_TIMEOUT);
	/* the spinner had the CPU: the watchdog found this thread waiting */
	bool joining = ktest_trace_names(trap.hung_at, trap.hung_depth,
					      "thread_join");
	if (!joining)
		ktest_log_trace(t, trap.hung_at, trap.hung_depth);
	KTEST_EXPECT(t, joining);
	KTEST_EXPECT(t, spinner != NULL);
	KTEST_EXPECT_EQ(t, thread_snapshot(NULL, 0, 0), threads_before);
	uint64_t spins = sched_test_spins;
	thread_sleep_ms(20);
	KTEST_EXPECT_EQ(t, sched_test_spins, spins);
}

/* Marks that it ran (*argument), then faults. */
static void sched_test_fault(void *argument)
{
	*(volatile bool *)argument = true;
	ktest_read_byte((void *)8);	/* the null page is never mapped */
}

/* The faulter marks *argument itself: the owner may be resumed (by the
 * faulter's exception, from another CPU) before thread_create returns to
 * it, so nothing after the create is sure to run. */
static void sched_test_join_faulter(void *argument)
{
	struct thread *faulter = thread_create("faulter", sched_test_fault,
					       argument);

	if (faulter)
		thread_join(faulter);
}

/* An exception in a thread of the case ends that thread, and the catcher
 * of the case's thread reports it. */
KTEST(sched, exception_in_a_thread_is_caught)
{
	struct ktest_trap trap;
	volatile bool faulter_ran = false;
	unsigned threads_before = thread_snapshot(NULL, 0, 0);

	KTEST_EXPECT(t, ktest_catch(sched_test_join_faulter, (void *)&faulter_ran,
				    &trap));
	KTEST_EXPECT(t, faulter_ran);
	KTEST_EXPECT_EQ(t, trap.vector, 14);
	KTEST_EXPECT_EQ(t, trap.fault_address, 8);
	KTEST_EXPECT_EQ(t, thread_snapshot(NULL, 0, 0), threads_before);
}

static void sched_test_set_flag(void *argument)
{
	*(volatile bool *)argument = true;
}

/* With preemption off the tick's request waits (the other thread of this
 * CPU does not run, though the slice is long over); preempt_enable then
 * switches at once. */
KTEST(sched, preempt_disable_holds_off_the_switch_until_enable)
{
	volatile bool ran = false;

	preempt_disable();
	struct cpu_local *cpu = cpu_local();
	struct thread *other = thread_create_on("flag", sched_test_set_flag,
						(void *)&ran,
						1ull << cpu->index);
	uint64_t deadline = time_uptime_ns() + 2000000000ull;
	while (!__atomic_load_n(&cpu->need_resched, __ATOMIC_RELAXED) &&
	       time_uptime_ns() < deadline)
		time_delay_ms(1);
	bool asked = __atomic_load_n(&cpu->need_resched, __ATOMIC_RELAXED);
	bool ran_while_off = ran;
	preempt_enable();
	KTEST_ASSERT(t, other != NULL);
	KTEST_EXPECT(t, asked);
	KTEST_EXPECT(t, !ran_while_off);
	/* The switch in preempt_enable ran it at least up to its first
	 * switch in (it may have been switched back from before finishing). */
	KTEST_EXPECT(t, other->switches_in >= 1);
	thread_join(other);
	KTEST_EXPECT(t, ran);
}

/* A mask naming no online CPU gives no thread, and costs nothing. */
KTEST(sched, affinity_without_an_online_cpu_is_refused)
{
	struct pmm_stats before, after;
	uint64_t offline = cpu_count() < 64 ? 1ull << 63 : 0;

	pmm_get_stats(&pmm_kernel, &before);
	KTEST_EXPECT(t, thread_create_on("none", sched_test_nothing, NULL, 0) ==
			NULL);
	KTEST_EXPECT(t, thread_create_on("offline", sched_test_nothing, NULL,
					 offline) == NULL);
	pmm_get_stats(&pmm_kernel, &after);
	KTEST_EXPECT_EQ(t, after.free_frames, before.free_frames);
}

/* What wait_cancel_between_check_and_sleep_wakes shares with its two
 * threads (static: they outlive nothing, but the hook reads it). */
static struct {
	struct wait_queue queue;
	volatile bool condition;	/* what the waiter waits for */
	volatile bool at_hook;		/* the waiter checked, is not queued */
	volatile bool cancelled;	/* condition set and wait_cancel made */
	volatile bool woken;		/* the waiter's wait returned */
	struct thread *waiter;
} cancel_race;

/* How long each side waits for the other before it gives up. */
#define CANCEL_RACE_LIMIT_NS 5000000000ull

static void cancel_race_wait(void *argument);

/* wait_before_sleep_hook: holds the waiter where it has checked its
 * condition (false) under the queue's lock and is not on the queue yet,
 * until the canceller has made the condition true and cancelled. */
static void cancel_race_hold(struct thread *self)
{
	uint64_t end = time_uptime_ns() + CANCEL_RACE_LIMIT_NS;

	if (self->function != cancel_race_wait)
		return;
	cancel_race.at_hook = true;
	while (!cancel_race.cancelled && time_uptime_ns() < end)
		spin_relax();
}

static void cancel_race_wait(void *argument)
{
	(void)argument;
	wait_event(&cancel_race.queue, cancel_race.condition);
	cancel_race.woken = true;
}

/* The waker's side, as a signal's delivery does it: the condition set
 * without the queue's lock, then wait_cancel. */
static void cancel_race_cancel(void *argument)
{
	uint64_t end = time_uptime_ns() + CANCEL_RACE_LIMIT_NS;

	(void)argument;
	while (!cancel_race.at_hook && time_uptime_ns() < end)
		thread_sleep_ms(1);
	cancel_race.condition = true;
	wait_cancel(cancel_race.waiter);
	cancel_race.cancelled = true;
}

/* A wait_cancel that comes after a waiter checked its condition and
 * before it is on the queue still wakes it: the waiter is held in that
 * window (a test hook) on one CPU while the canceller, on another, sets
 * the condition and cancels. Without the wake_pending flag the cancel
 * found the waiter on no queue, and the waiter slept for good (a CI boot
 * hung in rt_sigsuspend after its child's SIGCHLD this way). */
KTEST(sched, wait_cancel_between_check_and_sleep_wakes)
{
	struct thread *canceller;
	uint64_t end;

	if (cpu_count() < 2)
		ktest_skip(t, "one CPU: the canceller must run while the waiter "
			   "holds its queue's lock");
	wait_queue_init(&cancel_race.queue, "cancel_race");
	cancel_race.condition = cancel_race.at_hook = false;
	cancel_race.cancelled = cancel_race.woken = false;
	wait_before_sleep_hook = cancel_race_hold;
	cancel_race.waiter = thread_create_on("cancel-waiter", cancel_race_wait,
					      NULL, sched_test_cpu_mask(0));
	canceller = cancel_race.waiter ?
		    thread_create_on("canceller", cancel_race_cancel, NULL,
				     sched_test_cpu_mask(1)) : NULL;
	if (!canceller) {
		/* the runner stops the waiter (held at most the limit) */
		wait_before_sleep_hook = NULL;
		KTEST_ASSERT(t, canceller != NULL);
	}
	thread_join(canceller);
	end = time_uptime_ns() + CANCEL_RACE_LIMIT_NS;
	while (!cancel_race.woken && time_uptime_ns() < end)
		thread_sleep_ms(1);
	wait_before_sleep_hook = NULL;
	KTEST_EXPECT(t, cancel_race.at_hook);
	KTEST_EXPECT(t, cancel_race.woken);
	if (!cancel_race.woken) {
		/* the lost wakeup: end the wait so the join returns */
		unsigned long flags = wait_queue_lock(&cancel_race.queue);

		wake_up_all_locked(&cancel_race.queue);
		wait_queue_unlock(&cancel_race.queue, flags);
	}
	thread_join(cancel_race.waiter);
}
