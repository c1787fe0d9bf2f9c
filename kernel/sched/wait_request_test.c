/*
 * ktest suite "wait_request": deferred wakeups (kernel/sched/wait.h). A
 * thread sleeps on a queue until a flag is set; the flag is set and the
 * request posted with interrupts off, as the fault path does; the next
 * timer tick wakes the thread. Posts before a tick coalesce into one
 * listing of the request.
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"

struct wait_request_test {
	struct wait_queue queue;
	struct wake_request wake;
	bool ready;		/* atomic: what the sleeper waits for */
	bool woke;		/* atomic: the sleeper saw it */
};

static bool wait_request_test_ready(struct wait_request_test *test)
{
	return __atomic_load_n(&test->ready, __ATOMIC_ACQUIRE);
}

static void wait_request_test_sleeper(void *argument)
{
	struct wait_request_test *test = argument;

	wait_event(&test->queue, wait_request_test_ready(test));
	__atomic_store_n(&test->woke, true, __ATOMIC_RELEASE);
}

KTEST(wait_request, post_with_interrupts_off_wakes_the_sleeper_at_a_tick)
{
	static struct wait_request_test test;
	uint64_t deadline;
	unsigned long flags;
	struct thread *sleeper;

	wait_queue_init(&test.queue, "ktest wait_request");
	test.wake = (struct wake_request)WAKE_REQUEST_INIT(&test.queue);
	test.ready = false;
	test.woke = false;
	sleeper = thread_create("wait-request", wait_request_test_sleeper, &test);
	KTEST_ASSERT(t, sleeper != NULL);
	thread_sleep_ms(20);	/* let it reach its sleep */
	KTEST_EXPECT(t, !__atomic_load_n(&test.woke, __ATOMIC_ACQUIRE));

	flags = irq_save();
	__atomic_store_n(&test.ready, true, __ATOMIC_RELEASE);
	wake_request_post(&test.wake);
	wake_request_post(&test.wake);	/* coalesces: still one listing */
	KTEST_EXPECT_EQ(t, __atomic_load_n(&test.wake.posted, __ATOMIC_ACQUIRE), 1u);
	irq_restore(flags);

	deadline = time_uptime_ns() + 2000000000ull;
	while (!__atomic_load_n(&test.woke, __ATOMIC_ACQUIRE) &&
	       time_uptime_ns() < deadline)
		thread_sleep_ms(5);
	KTEST_EXPECT(t, __atomic_load_n(&test.woke, __ATOMIC_ACQUIRE));
	KTEST_EXPECT_EQ(t, __atomic_load_n(&test.wake.posted, __ATOMIC_ACQUIRE), 0u);
	if (!__atomic_load_n(&test.woke, __ATOMIC_ACQUIRE))
		wake_up_all(&test.queue);	/* do not leave it asleep */
	thread_join(sleeper);
}

/* A post after the tick took the request lists it again: the second
 * wakeup is not lost. */
KTEST(wait_request, post_after_a_tick_lists_the_request_again)
{
	static struct wait_queue queue;
	static struct wake_request wake;
	uint64_t deadline;

	wait_queue_init(&queue, "ktest wait_request again");
	wake = (struct wake_request)WAKE_REQUEST_INIT(&queue);
	for (unsigned round = 0; round < 3; round++) {
		wake_request_post(&wake);
		KTEST_EXPECT_EQ(t, __atomic_load_n(&wake.posted, __ATOMIC_ACQUIRE), 1u);
		deadline = time_uptime_ns() + 2000000000ull;
		while (__atomic_load_n(&wake.posted, __ATOMIC_ACQUIRE) &&
		       time_uptime_ns() < deadline)
			thread_sleep_ms(5);
		KTEST_EXPECT_EQ(t, __atomic_load_n(&wake.posted, __ATOMIC_ACQUIRE), 0u);
	}
}
