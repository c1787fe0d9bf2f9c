/*
 * Threads (kernel/sched/sched.h): the pool of thread records, creation,
 * exit and join, sleeping, and the interrupt/stop requests the ktest runner
 * uses to abandon a case's threads.
 *
 * Records come from a fixed pool (SCHED_THREADS_MAX), not the slab, so a
 * thread's whole cost in frames is its stack: thread_join gives the stack
 * back (kstack_free) and the frame counters return to where they were.
 * A thread's record lives until it is joined; its stack is freed only
 * after it switched out for good (thread_finish_exit runs on the next
 * thread, after the switch).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/time.h"
#include "kernel/sched/context_switch.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/sched_internal.h"
#include "kernel/sched/wait.h"
#include "mm/kstack.h"

/* Protects the slots' in_use and thread_next_id_value. */
static struct spinlock thread_pool_lock = SPINLOCK_INIT("thread_pool");
static struct thread thread_pool[SCHED_THREADS_MAX];
static uint64_t thread_next_id_value;

/* Joiners wait here for a thread's `dead`; exiting threads wake them. */
static struct wait_queue thread_exit_queue =
	WAIT_QUEUE_INIT(thread_exit_queue, "thread_exit");
/* Threads in thread_sleep_ms, woken by the tick when due. */
static struct wait_queue thread_sleepers =
	WAIT_QUEUE_INIT(thread_sleepers, "thread_sleepers");

const char *thread_state_name(enum thread_state state)
{
	switch (state) {
	case THREAD_RUNNABLE: return "runnable";
	case THREAD_RUNNING: return "running";
	case THREAD_BLOCKED: return "blocked";
	case THREAD_EXITED: return "exited";
	}
	return "?";
}

struct thread *thread_pool_take(const char *name)
{
	unsigned long flags = spin_lock_irqsave(&thread_pool_lock);
	struct thread *thread = NULL;

	for (unsigned i = 0; i < SCHED_THREADS_MAX && !thread; i++) {
		if (thread_pool[i].in_use)
			continue;
		thread = &thread_pool[i];
		memset(thread, 0, sizeof(*thread));
		thread->in_use = true;
		thread->id = thread_next_id_value++;
		strlcpy(thread->name, name, sizeof(thread->name));
		thread->link.prev = thread->link.next = &thread->link;
	}
	spin_unlock_irqrestore(&thread_pool_lock, flags);
	return thread;
}

void thread_pool_release(struct thread *thread)
{
	unsigned long flags = spin_lock_irqsave(&thread_pool_lock);

	thread->in_use = false;
	spin_unlock_irqrestore(&thread_pool_lock, flags);
}

uint64_t thread_next_id(void)
{
	unsigned long flags = spin_lock_irqsave(&thread_pool_lock);
	uint64_t id = thread_next_id_value;

	spin_unlock_irqrestore(&thread_pool_lock, flags);
	return id;
}

struct thread *thread_create_on(const char *name, void (*function)(void *),
				void *argument, uint64_t affinity)
{
	struct thread *thread = thread_pool_take(name);

	if (!thread)
		return NULL;
	void *stack = kstack_alloc();
	if (!stack) {
		thread_pool_release(thread);
		return NULL;
	}
	thread->affinity = affinity;
	thread->stack_top = stack;
	thread->function = function;
	thread->argument = argument;
	thread->saved_stack_pointer = arch_thread_stack_init(stack, thread);
	if (!sched_enqueue_new(thread)) {
		kstack_free(stack);
		thread_pool_release(thread);
		return NULL;
	}
	return thread;
}

struct thread *thread_create(const char *name, void (*function)(void *),
			     void *argument)
{
	return thread_create_on(name, function, argument, THREAD_AFFINITY_ALL);
}

void thread_exit(void)
{
	struct thread *self = thread_current();

	if (!self || !self->stack_top)
		panic("thread_exit: %s cannot exit (not a created thread)",
		      self ? self->name : "the boot flow");
	arch_irq_disable();
	/* Running, so no waker touches the state: a plain store. */
	self->state = THREAD_EXITED;
	schedule();
	panic("thread_exit: thread %s was switched back to",
	      self->name);
}

void thread_finish_exit(struct thread *last)
{
	unsigned long flags = spin_lock_irqsave(&thread_exit_queue.lock);

	/* The last touch of last by this CPU: a joiner that sees dead
	 * (under this lock) may free it as soon as the lock is released. */
	last->dead = true;
	wake_up_all_locked(&thread_exit_queue);
	spin_unlock_irqrestore(&thread_exit_queue.lock, flags);
}

void thread_join(struct thread *thread)
{
	if (thread == thread_current())
		panic("thread_join: %s joins itself", thread->name);
	wait_event(&thread_exit_queue, thread->dead);
	kstack_free(thread->stack_top);
	thread_pool_release(thread);
}

static bool thread_sleep_due(const struct thread *thread)
{
	return time_uptime_ns() >= thread->wake_at_ns;
}

void thread_sleep_ms(unsigned ms)
{
	struct thread *self = thread_current();

	self->wake_at_ns = time_uptime_ns() + (uint64_t)ms * 1000000u;
	wait_event(&thread_sleepers, thread_sleep_due(self));
}

void thread_wake_sleepers(void)
{
	/* Unlocked peek: the common case is nobody asleep. */
	if (sched_link_empty(&thread_sleepers.waiters))
		return;
	unsigned long flags = spin_lock_irqsave(&thread_sleepers.lock);
	wake_up_matching_locked(&thread_sleepers, thread_sleep_due);
	spin_unlock_irqrestore(&thread_sleepers.lock, flags);
}

void thread_interrupt(struct thread *thread, void (*fn)(void))
{
	__atomic_store_n(&thread->interrupt_fn, fn, __ATOMIC_RELEASE);
	wait_cancel(thread);
}

static void thread_exit_on_request(void)
{
	thread_exit();
}

/* A live thread with id >= first_id other than the caller, or NULL. */
static struct thread *thread_find_from(uint64_t first_id)
{
	struct thread *self = thread_current(), *found = NULL;
	unsigned long flags = spin_lock_irqsave(&thread_pool_lock);

	for (unsigned i = 0; i < SCHED_THREADS_MAX && !found; i++) {
		struct thread *thread = &thread_pool[i];
		if (thread->in_use && thread->id >= first_id &&
		    thread != self && !thread->is_idle)
			found = thread;
	}
	spin_unlock_irqrestore(&thread_pool_lock, flags);
	return found;
}

unsigned thread_stop_from(uint64_t first_id)
{
	unsigned stopped = 0;

	for (struct thread *thread; (thread = thread_find_from(first_id));) {
		thread_interrupt(thread, thread_exit_on_request);
		thread_join(thread);
		stopped++;
	}
	return stopped;
}

unsigned thread_snapshot(struct thread_info *out, unsigned max)
{
	unsigned long flags = spin_lock_irqsave(&thread_pool_lock);
	unsigned count = 0;

	for (unsigned i = 0; i < SCHED_THREADS_MAX; i++) {
		const struct thread *thread = &thread_pool[i];
		if (!thread->in_use)
			continue;
		/* Insert in id order. */
		unsigned at = count < max ? count : max;
		while (at > 0 && out[at - 1].id > thread->id) {
			if (at < max)
				out[at] = out[at - 1];
			at--;
		}
		if (at < max) {
			out[at].id = thread->id;
			strlcpy(out[at].name, thread->name, sizeof(out[at].name));
			out[at].state = thread->state;
			out[at].cpu = thread->cpu;
			out[at].run_ticks = thread->run_ticks;
		}
		count++;
	}
	spin_unlock_irqrestore(&thread_pool_lock, flags);
	return count;
}
