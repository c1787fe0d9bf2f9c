/*
 * Sleeping synchronisation between threads (kernel/sched): wait queues,
 * mutexes and completions.
 *
 * Wait queues. wait_event(wq, condition) sleeps until condition is true;
 * the condition is evaluated with the queue's lock held, and a waker
 * changes what it tests and calls wake_up_* under the same lock (or
 * changes it before wake_up_*, which takes the lock), so a wakeup cannot
 * fall between the test and the sleep: no lost wakeups. Wakeups may be
 * spurious; wait_event tests again. Waiters are woken in arrival order.
 *
 * Mutexes sleep while another thread owns them; the owner is recorded,
 * must be the one to unlock, and may not lock twice (panic). They are not
 * seen by the lock-order checker (which follows spinlocks per CPU, and a
 * mutex is held across switches); their inner spinlock is.
 */
#ifndef VEIL_KERNEL_SCHED_WAIT_H
#define VEIL_KERNEL_SCHED_WAIT_H

#include <stdbool.h>
#include "kernel/lib/spinlock.h"
#include "kernel/sched/sched.h"

struct wait_queue {
	struct spinlock lock;		/* protects waiters and the waiters' links */
	struct sched_link waiters;	/* threads blocked here, oldest first */
};

#define WAIT_QUEUE_INIT(queue, queue_name)                                     \
	{ .lock = SPINLOCK_INIT(queue_name),                                   \
	  .waiters = { &(queue).waiters, &(queue).waiters } }

void wait_queue_init(struct wait_queue *queue, const char *name);
/* spin_lock_irqsave / spin_unlock_irqrestore of queue->lock, out of line
 * (every wait and wakeup site takes it). */
unsigned long wait_queue_lock(struct wait_queue *queue);
void wait_queue_unlock(struct wait_queue *queue, unsigned long flags);

/* With queue->lock held (taken by wait_queue_lock, *flags its value):
 * blocks the calling thread on queue, releasing the lock while asleep;
 * returns with the lock held again and the thread off the queue. It may
 * return without sleeping (a wait_cancel that came before the thread
 * was on the queue): callers test their condition again in a loop. */
void wait_sleep_locked(struct wait_queue *queue, unsigned long *flags);

/* Sleeps until condition holds (tested under queue->lock). */
#define wait_event(queue, condition)                                           \
	do {                                                                   \
		unsigned long wait_flags_ = wait_queue_lock(queue);            \
		while (!(condition))                                           \
			wait_sleep_locked((queue), &wait_flags_);              \
		wait_queue_unlock((queue), wait_flags_);                       \
	} while (0)

/* Wake the oldest waiter / every waiter; return how many were woken. The
 * _locked forms are for callers that hold queue->lock. */
unsigned wake_up_all(struct wait_queue *queue);
unsigned wake_up_one_locked(struct wait_queue *queue);
unsigned wake_up_all_locked(struct wait_queue *queue);
/* Wakes the waiters for which due(thread, context) is true, asking each
 * waiter once, oldest first (queue->lock held). */
unsigned wake_up_matching_locked(struct wait_queue *queue,
				 bool (*due)(const struct thread *thread,
					     void *context),
				 void *context);
/* Takes thread off the queue it waits on, if any, and wakes it; its
 * next wait_sleep_locked returns at once (one that had not queued it yet
 * is the one this wakes). For a condition made true without the queue's
 * lock (a signal made pending, a thread_interrupt request). */
void wait_cancel(struct thread *thread);

struct mutex {
	struct wait_queue queue;	/* its lock protects owner */
	struct thread *owner;		/* NULL: free */
	uint64_t contended;		/* locks that had to sleep (statistics) */
};

#define MUTEX_INIT(mutex_var, mutex_name)                                      \
	{ .queue = WAIT_QUEUE_INIT((mutex_var).queue, mutex_name) }

void mutex_init(struct mutex *mutex, const char *name);
/* Takes the mutex, sleeping while another thread owns it. */
void mutex_lock(struct mutex *mutex);
/* Takes it if free; never sleeps. */
bool mutex_trylock(struct mutex *mutex);
/* Releases it (the caller must own it) and wakes one waiter. */
void mutex_unlock(struct mutex *mutex);
/* Whether the calling thread owns it. */
bool mutex_is_owned(struct mutex *mutex);

/* A one-shot event: completion_wait returns once complete_all was called
 * (at once if it was already). */
struct completion {
	struct wait_queue queue;	/* its lock protects done */
	bool done;
};

void completion_init(struct completion *completion, const char *name);
void completion_wait(struct completion *completion);
void complete_all(struct completion *completion);

/*
 * Deferred wakeups, for code that may not take a wait queue's lock where
 * it runs: the fault path frees store objects under region and store
 * locks with interrupts off, and a queue lock taken there would join
 * their lock order. wake_request_post does atomics only, so it is safe
 * in any context; the next timer tick of any CPU wakes every waiter of
 * the request's queue. Requests posted again before that tick coalesce
 * into one wakeup. A request must outlive its last post (they are
 * static or live as long as their queue).
 */
struct wake_request {
	struct wait_queue *queue;	/* whose waiters the tick wakes */
	struct wake_request *next;	/* on the posted list (the tick's) */
	uint32_t posted;		/* atomic: 1 while on the list */
};

#define WAKE_REQUEST_INIT(queue_pointer) { .queue = (queue_pointer) }

/* Asks the next tick to wake request->queue's waiters. Any context. */
void wake_request_post(struct wake_request *request);
/* Called by each CPU's timer tick: takes every posted request off the
 * list and wakes its queue. One atomic load when nothing is posted. */
void wake_requests_run(void);

#endif
