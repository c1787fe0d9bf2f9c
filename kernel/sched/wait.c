/*
 * Wait queues, mutexes and completions (kernel/sched/wait.h). A waiter
 * links its own thread record into the queue (struct thread's link), so
 * waiting allocates nothing. Wakers unlink the thread and make it
 * runnable under the queue's lock; a waiter that comes back for any other
 * reason (thread_interrupt) unlinks itself.
 *
 * wait_cancel wakes a thread from whatever queue it waits on, for a
 * condition its waker made true without that queue's lock (a signal
 * made pending, a thread_interrupt request). It cannot take a lock the
 * waiter holds while it checks its condition and goes to sleep, so the
 * two meet on the thread's wake_pending flag, Dekker-style: the waiter
 * puts itself on the queue then reads the flag, the canceller raises the
 * flag then reads waiting_on (both sequentially consistent), and at
 * least one of them sees the other's write. Before the flag a cancel
 * that came between the waiter's check and its sleep found it on no
 * queue and was lost: the waiter slept with its signal pending (a CI
 * boot's rt_sigsuspend never returned after its child's SIGCHLD).
 */
#include <stdbool.h>
#include "kernel/build_config.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/spinlock.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/sched_internal.h"
#include "kernel/sched/wait.h"

unsigned long wait_queue_lock(struct wait_queue *queue)
{
	return spin_lock_irqsave(&queue->lock);
}

void wait_queue_unlock(struct wait_queue *queue, unsigned long flags)
{
	spin_unlock_irqrestore(&queue->lock, flags);
}

void wait_queue_init(struct wait_queue *queue, const char *name)
{
	spin_init(&queue->lock, name);
	sched_link_init(&queue->waiters);
}

#if CONFIG_KTEST
void (*wait_before_sleep_hook)(struct thread *self);
#endif

void wait_sleep_locked(struct wait_queue *queue, unsigned long *flags)
{
	struct thread *self = thread_current();

	/* The queue's lock is the one count allowed; interrupts were on
	 * before it was taken (irq_save's value). Checked here, not only when
	 * a switch happens, so a wrong caller fails the first time. */
	if (!self || preempt_count() != 1 || !*flags)
		panic("wait: a thread may sleep only with preemption and "
		      "interrupts on (%s)", self ? self->name : "no scheduler");
#if CONFIG_KTEST
	if (wait_before_sleep_hook)
		wait_before_sleep_hook(self);
#endif
	sched_link_add_tail(&queue->waiters, &self->link);
	self->state = THREAD_BLOCKED;
	__atomic_store_n(&self->waiting_on, queue, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&self->wake_pending, false, __ATOMIC_SEQ_CST)) {
		/* a wait_cancel that may have missed the thread: woken at
		 * once (schedule() still yields and runs an interrupt
		 * request) */
		sched_link_remove(&self->link);
		__atomic_store_n(&self->waiting_on, NULL, __ATOMIC_RELAXED);
		self->state = THREAD_RUNNING;
	}
	wait_queue_unlock(queue, *flags);
	/* A wakeup from here on finds the thread BLOCKED (or already
	 * switched out) and makes it run again: none is lost. */
	schedule();
	*flags = wait_queue_lock(queue);
	if (self->waiting_on == queue) {
		sched_link_remove(&self->link);
		__atomic_store_n(&self->waiting_on, NULL, __ATOMIC_RELAXED);
	}
}

/* Takes thread off queue and wakes it (queue lock held). */
static void wait_wake_locked(struct wait_queue *queue, struct thread *thread)
{
	(void)queue;
	sched_link_remove(&thread->link);
	__atomic_store_n(&thread->waiting_on, NULL, __ATOMIC_RELAXED);
	sched_wake(thread);
}

unsigned wake_up_one_locked(struct wait_queue *queue)
{
	if (sched_link_empty(&queue->waiters))
		return 0;
	wait_wake_locked(queue, sched_link_thread(queue->waiters.next));
	return 1;
}

unsigned wake_up_all_locked(struct wait_queue *queue)
{
	unsigned woken = 0;

	while (!sched_link_empty(&queue->waiters)) {
		wait_wake_locked(queue, sched_link_thread(queue->waiters.next));
		woken++;
	}
	return woken;
}

unsigned wake_up_matching_locked(struct wait_queue *queue,
				 bool (*due)(const struct thread *thread,
					     void *context),
				 void *context)
{
	unsigned woken = 0;
	struct sched_link *link = queue->waiters.next;

	while (link != &queue->waiters) {
		struct sched_link *next = link->next;
		struct thread *thread = sched_link_thread(link);
		if (due(thread, context)) {
			wait_wake_locked(queue, thread);
			woken++;
		}
		link = next;
	}
	return woken;
}

unsigned wake_up_all(struct wait_queue *queue)
{
	unsigned long flags = wait_queue_lock(queue);
	unsigned woken = wake_up_all_locked(queue);

	wait_queue_unlock(queue, flags);
	return woken;
}

void wait_cancel(struct thread *thread)
{
	/* Raised before waiting_on is read (see the top): a thread not on a
	 * queue yet takes it as it goes to sleep, and does not. */
	__atomic_store_n(&thread->wake_pending, true, __ATOMIC_SEQ_CST);
	for (;;) {
		struct wait_queue *queue =
			__atomic_load_n(&thread->waiting_on, __ATOMIC_SEQ_CST);
		if (!queue)
			return;
		unsigned long flags = wait_queue_lock(queue);
		bool found = thread->waiting_on == queue;
		/* the flag stays raised: the thread's next sleep returns at
		 * once, a spurious wake-up its caller's loop absorbs (clearing
		 * it here could drop another canceller's, whose condition the
		 * thread might then not see before sleeping again) */
		if (found)
			wait_wake_locked(queue, thread);
		wait_queue_unlock(queue, flags);
		if (found)
			return;
	}
}

void mutex_init(struct mutex *mutex, const char *name)
{
	wait_queue_init(&mutex->queue, name);
	mutex->owner = NULL;
	mutex->contended = 0;
}

void mutex_lock(struct mutex *mutex)
{
	struct thread *self = thread_current();
	unsigned long flags = wait_queue_lock(&mutex->queue);

	if (mutex->owner == self)
		panic("mutex %s: locked twice by %s", mutex->queue.lock.name,
		      self->name);
	if (mutex->owner)
		mutex->contended++;
	while (mutex->owner)
		wait_sleep_locked(&mutex->queue, &flags);
	mutex->owner = self;
	wait_queue_unlock(&mutex->queue, flags);
}

bool mutex_trylock(struct mutex *mutex)
{
	unsigned long flags = wait_queue_lock(&mutex->queue);
	bool taken = mutex->owner == NULL;

	if (taken)
		mutex->owner = thread_current();
	wait_queue_unlock(&mutex->queue, flags);
	return taken;
}

void mutex_unlock(struct mutex *mutex)
{
	unsigned long flags = wait_queue_lock(&mutex->queue);

	if (mutex->owner != thread_current())
		panic("mutex %s: unlocked by %s, owned by %s",
		      mutex->queue.lock.name, thread_current()->name,
		      mutex->owner ? mutex->owner->name : "nobody");
	mutex->owner = NULL;
	wake_up_one_locked(&mutex->queue);
	wait_queue_unlock(&mutex->queue, flags);
}

bool mutex_is_owned(struct mutex *mutex)
{
	return __atomic_load_n(&mutex->owner, __ATOMIC_RELAXED) ==
	       thread_current();
}

void completion_init(struct completion *completion, const char *name)
{
	wait_queue_init(&completion->queue, name);
	completion->done = false;
}

void completion_wait(struct completion *completion)
{
	wait_event(&completion->queue, completion->done);
}

void complete_all(struct completion *completion)
{
	unsigned long flags = wait_queue_lock(&completion->queue);

	completion->done = true;
	wake_up_all_locked(&completion->queue);
	wait_queue_unlock(&completion->queue, flags);
}

/* Requests waiting for a tick, newest first. Pushed by compare-and-swap,
 * taken whole by exchange: with no pop of single entries the list cannot
 * suffer the ABA problem. */
static struct wake_request *wake_requests_posted;

void wake_request_post(struct wake_request *request)
{
	struct wake_request *head;

	if (__atomic_exchange_n(&request->posted, 1, __ATOMIC_ACQ_REL))
		return;	/* already on the list: the tick wakes it once */
	head = __atomic_load_n(&wake_requests_posted, __ATOMIC_RELAXED);
	do
		request->next = head;
	while (!__atomic_compare_exchange_n(&wake_requests_posted, &head, request,
					    true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

void wake_requests_run(void)
{
	struct wake_request *request;

	if (!__atomic_load_n(&wake_requests_posted, __ATOMIC_RELAXED))
		return;
	request = __atomic_exchange_n(&wake_requests_posted, NULL, __ATOMIC_ACQUIRE);
	while (request) {
		struct wake_request *next = request->next;

		/* Cleared before the wakeup: a post that comes after it
		 * lists the request again rather than being lost. */
		__atomic_store_n(&request->posted, 0, __ATOMIC_RELEASE);
		wake_up_all(request->queue);
		request = next;
	}
}
