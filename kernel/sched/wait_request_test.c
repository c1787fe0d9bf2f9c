/*
 * ktest suite "wait_request": deferred wakeups (kernel/sched/wait.h). A
 * thread sleeps on a queue until a flag is set; the flag is set and the
 * request posted with interrupts off, as the fault path does; the next
 * timer tick (of any CPU) wakes the thread. Three rounds on one request
 * show a post after a tick lists it again.
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

/* Starts a sleeper on test, posts its wake-up with interrupts off (twice:
 * the second post coalesces or relists, either is correct), and waits up
 * to 2 s for it to wake. True when it woke; the thread is joined. Another
 * CPU's tick may take the request at any moment, so nothing is asserted
 * about the posted flag between the post and the wake. */
static bool wait_request_test_round(struct ktest *t, struct wait_request_test *test)
{
	uint64_t deadline;
	unsigned long flags;
	struct thread *sleeper;
	bool woke;

	test->ready = false;
	test->woke = false;
	sleeper = thread_create("wait-request", wait_request_test_sleeper, test);
	KTEST_ASSERT(t, sleeper != NULL);
	thread_sleep_ms(20);	/* let it reach its sleep */
	KTEST_EXPECT(t, !__atomic_load_n(&test->woke, __ATOMIC_ACQUIRE));

	flags = irq_save();
	__atomic_store_n(&test->ready, true, __ATOMIC_RELEASE);
	wake_request_post(&test->wake);
	wake_request_post(&test->wake);
	irq_restore(flags);

	deadline = time_uptime_ns() + 2000000000ull;
	while (!__atomic_load_n(&test->woke, __ATOMIC_ACQUIRE) &&
	       time_uptime_ns() < deadline)
		thread_sleep_ms(5);
	woke = __atomic_load_n(&test->woke, __ATOMIC_ACQUIRE);
	if (!woke)
		wake_up_all(&test->queue);	/* do not leave it asleep */
	thread_join(sleeper);
	return woke;
}

KTEST(wait_request, post_with_interrupts_off_wakes_the_sleeper_at_a_tick)
{
	static struct wait_request_test test;

	wait_queue_init(&test.queue, "ktest wait_request");
	test.wake = (struct wake_request)WAKE_REQUEST_INIT(&test.queue);
	KTEST_EXPECT(t, wait_request_test_round(t, &test));
	/* Taken off the list by the tick that woke the sleeper. */
	KTEST_EXPECT_EQ(t, __atomic_load_n(&test.wake.posted, __ATOMIC_ACQUIRE), 0u);
}

/* A post after a tick took the request lists it again: with the flag
 * left set, the later posts would return early and nobody would wake. */
KTEST(wait_request, post_after_a_tick_lists_the_request_again)
{
	static struct wait_request_test test;
	unsigned woken = 0;

	wait_queue_init(&test.queue, "ktest wait_request again");
	test.wake = (struct wake_request)WAKE_REQUEST_INIT(&test.queue);
	for (unsigned round = 0; round < 3; round++)
		woken += wait_request_test_round(t, &test);
	KTEST_EXPECT_EQ(t, woken, 3u);
	KTEST_EXPECT_EQ(t, __atomic_load_n(&test.wake.posted, __ATOMIC_ACQUIRE), 0u);
}
