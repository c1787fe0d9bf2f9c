/*
 * Threads (kernel/sched/sched.h): the list of thread records, creation,
 * exit and join, sleeping, and the interrupt/stop requests the ktest runner
 * uses to abandon a case's threads.
 *
 * A thread costs its guarded stack and a record from kmalloc (in the
 * direct map, which is never unmapped: any CPU may read any record, while
 * a stack slot is recycled and only its own CPUs read it, after a TLB
 * sync, see mm/kstack.h). thread_join gives both back. The record lives
 * until the join; the stack is freed only after the thread switched out
 * for good (thread_finish_exit runs on the next thread, after the switch).
 * The boot flow's record is static.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/backtrace.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/time.h"
#include "kernel/sched/context_switch.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/sched_internal.h"
#include "kernel/sched/wait.h"
#include "mm/kstack.h"
#include "mm/slab.h"

/* Protects thread_list (the threads' list_link) and thread_next_id_value. */
static struct spinlock thread_list_lock = SPINLOCK_INIT("thread_list");
static struct sched_link thread_list = { &thread_list, &thread_list };
static uint64_t thread_next_id_value;

/* thread_list_lock with interrupts off (taken from interrupt-free and
 * interrupt paths alike), out of line: several callers. */
static __attribute__((noinline)) unsigned long thread_list_lock_take(void)
{
	return spin_lock_irqsave(&thread_list_lock);
}

static __attribute__((noinline)) void thread_list_lock_drop(unsigned long flags)
{
	spin_unlock_irqrestore(&thread_list_lock, flags);
}

/* Joiners wait here for a thread's `dead`; exiting threads wake them. */
static struct wait_queue thread_exit_queue =
	WAIT_QUEUE_INIT(thread_exit_queue, "thread_exit");
/* Threads in thread_sleep_ms, woken by the tick when due. */
static struct wait_queue thread_sleepers =
	WAIT_QUEUE_INIT(thread_sleepers, "thread_sleepers");
/* At or before the earliest deadline among thread_sleepers' waiters
 * (UINT64_MAX: none): written under its lock, read without it by every
 * CPU's tick, which leaves the queue alone until then. A waiter that left
 * early (thread_interrupt) leaves it early: one scan too many, never one
 * too few. */
static uint64_t thread_sleepers_earliest_ns = UINT64_MAX;

const char *thread_state_name(enum thread_state state)
{
	static const char *const names[] = {
		[THREAD_RUNNABLE] = "runnable", [THREAD_RUNNING] = "running",
		[THREAD_BLOCKED] = "blocked", [THREAD_EXITED] = "exited",
	};

	return (unsigned)state < sizeof(names) / sizeof(names[0]) ?
	       names[state] : "?";
}

void thread_record_add(struct thread *thread, const char *name)
{
	memset(thread, 0, sizeof(*thread));
	strlcpy(thread->name, name, sizeof(thread->name));
	thread->link.prev = thread->link.next = &thread->link;
	unsigned long flags = thread_list_lock_take();
	thread->id = thread_next_id_value;
	__atomic_store_n(&thread_next_id_value, thread->id + 1, __ATOMIC_RELEASE);
	sched_link_add_tail(&thread_list, &thread->list_link);
	thread_list_lock_drop(flags);
}

void thread_record_remove(struct thread *thread)
{
	unsigned long flags = thread_list_lock_take();

	sched_link_remove(&thread->list_link);
	thread_list_lock_drop(flags);
}

uint64_t thread_next_id(void)
{
	/* Written under the list lock; one aligned load reads it whole. */
	return __atomic_load_n(&thread_next_id_value, __ATOMIC_ACQUIRE);
}

struct thread *thread_create_stopped(const char *name,
				     void (*function)(void *), void *argument,
				     uint64_t affinity)
{
	struct thread *thread = kmalloc(sizeof(*thread));
	void *stack = thread ? kstack_alloc() : NULL;

	if (!stack) {
		kfree(thread);
		return NULL;
	}
	thread_record_add(thread, name);
	thread->affinity = affinity;
	thread->stack_top = stack;
	thread->function = function;
	thread->argument = argument;
	thread->saved_stack_pointer = arch_thread_stack_init(stack, thread);
	return thread;
}

/* Undoes thread_create_stopped for a thread that never ran. */
static void thread_destroy_unstarted(struct thread *thread)
{
	thread_record_remove(thread);
	kstack_free(thread->stack_top);
	kfree(thread);
}

struct thread *thread_create_in(struct vmm_space *space, const char *name,
				void (*function)(void *), void *argument,
				uint64_t affinity)
{
	struct thread *thread = thread_create_stopped(name, function, argument,
						      affinity);

	if (!thread)
		return NULL;
	thread->space = space;	/* before any CPU can switch to it */
	if (!sched_enqueue_new(thread)) {
		thread_destroy_unstarted(thread);
		return NULL;
	}
	return thread;
}

struct thread *thread_create_on(const char *name, void (*function)(void *),
				void *argument, uint64_t affinity)
{
	return thread_create_in(NULL, name, function, argument, affinity);
}

struct thread *thread_create(const char *name, void (*function)(void *),
			     void *argument)
{
	return thread_create_on(name, function, argument, THREAD_AFFINITY_ALL);
}

void thread_exit(void)
{
	struct thread *self = thread_current();

	if (!self || !self->stack_top || self->is_idle)
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
	unsigned long flags = wait_queue_lock(&thread_exit_queue);

	/* The last touch of last by this CPU: a joiner that sees dead
	 * (under this lock) may free it as soon as the lock is released. */
	last->dead = true;
	wake_up_all_locked(&thread_exit_queue);
	wait_queue_unlock(&thread_exit_queue, flags);
}

void thread_join(struct thread *thread)
{
	if (thread == thread_current())
		panic("thread_join: %s joins itself", thread->name);
	wait_event(&thread_exit_queue, thread->dead);
	thread_record_remove(thread);
	kstack_free(thread->stack_top);
	/* Its switch out for good saved and disowned its SSE state. */
	kfree(thread->user_context);
	kfree(thread);
}

/* A scan of the sleepers at now_ns: who is due, and the earliest
 * deadline of those who stay. */
struct thread_sleep_scan {
	uint64_t now_ns;
	uint64_t earliest_ns;
};

static bool thread_sleep_due(const struct thread *thread)
{
	return time_uptime_ns() >= thread->wake_at_ns;
}

/* wake_up_matching_locked's test for the tick's scan (context: the scan). */
static bool thread_sleep_scan_due(const struct thread *thread, void *context)
{
	struct thread_sleep_scan *scan = context;

	if (scan->now_ns >= thread->wake_at_ns)
		return true;
	if (thread->wake_at_ns < scan->earliest_ns)
		scan->earliest_ns = thread->wake_at_ns;
	return false;
}

/* Lowers the earliest deadline to wake_at_ns (sleepers' lock held). */
static void thread_sleepers_note(uint64_t wake_at_ns)
{
	if (wake_at_ns < thread_sleepers_earliest_ns)
		__atomic_store_n(&thread_sleepers_earliest_ns, wake_at_ns,
				 __ATOMIC_RELAXED);
}

void thread_sleep_ms(unsigned ms)
{
	struct thread *self = thread_current();
	unsigned long flags = wait_queue_lock(&thread_sleepers);

	self->wake_at_ns = time_uptime_ns() + (uint64_t)ms * 1000000u;
	/* Noted at each sleep: a waiter woken early (thread_interrupt) and
	 * back may have been left out of a scan's new earliest deadline. */
	while (!thread_sleep_due(self)) {
		thread_sleepers_note(self->wake_at_ns);
		wait_sleep_locked(&thread_sleepers, &flags);
	}
	wait_queue_unlock(&thread_sleepers, flags);
}

void thread_wake_sleepers(void)
{
	struct thread_sleep_scan scan = { time_uptime_ns(), UINT64_MAX };

	/* Unlocked peek: nobody due yet (or nobody asleep). */
	if (scan.now_ns < __atomic_load_n(&thread_sleepers_earliest_ns,
					  __ATOMIC_RELAXED))
		return;
	/* Interrupts are off (the tick). One CPU scans; the others leave the
	 * queue to it, or to the next tick if a sleeper holds the lock: each
	 * CPU's tick taking the lock in turn to walk every sleeper kept eight
	 * CPUs in this lock with 128 sleepers (TCG). */
	if (!spin_trylock(&thread_sleepers.lock))
		return;
	wake_up_matching_locked(&thread_sleepers, thread_sleep_scan_due, &scan);
	__atomic_store_n(&thread_sleepers_earliest_ns, scan.earliest_ns,
			 __ATOMIC_RELAXED);
	spin_unlock(&thread_sleepers.lock);
}

void thread_interrupt(struct thread *thread, void (*fn)(void))
{
	__atomic_store_n(&thread->interrupt_fn, fn, __ATOMIC_RELEASE);
	wait_cancel(thread);
}

/* A live thread with id >= first_id other than the caller, or NULL. */
static struct thread *thread_find_from(uint64_t first_id)
{
	struct thread *self = thread_current(), *found = NULL;
	unsigned long flags = thread_list_lock_take();

	for (struct sched_link *link = thread_list.next;
	     link != &thread_list && !found; link = link->next) {
		struct thread *thread = thread_list_entry(link);
		if (thread->id >= first_id && thread != self &&
		    !thread->is_idle && thread->stack_top)
			found = thread;
	}
	thread_list_lock_drop(flags);
	return found;
}

unsigned thread_stop_from(uint64_t first_id)
{
	unsigned stopped = 0;

	for (struct thread *thread; (thread = thread_find_from(first_id));) {
		thread_interrupt(thread, thread_exit);
		thread_join(thread);
		stopped++;
	}
	return stopped;
}

/* Whether thread is one thread_waiting_trace reads: switched out. */
static bool thread_is_waiting(const struct thread *thread)
{
	enum thread_state state = __atomic_load_n(&thread->state,
						  __ATOMIC_ACQUIRE);

	return thread != thread_current() && !thread->is_idle &&
	       (state == THREAD_BLOCKED || state == THREAD_RUNNABLE);
}

unsigned thread_waiting_trace(uint64_t id, uint64_t *addresses, unsigned max)
{
	unsigned long flags = thread_list_lock_take();
	unsigned count = 0;

	for (struct sched_link *link = thread_list.next; link != &thread_list;
	     link = link->next) {
		struct thread *thread = thread_list_entry(link);
		uint64_t instruction, frame_pointer;

		if (thread->id != id || !thread_is_waiting(thread) || max == 0)
			continue;
		arch_thread_saved_frame(thread->saved_stack_pointer, &instruction,
					&frame_pointer);
		addresses[count++] = instruction;
		count += backtrace_capture(frame_pointer, addresses + 1, max - 1);
		break;
	}
	thread_list_lock_drop(flags);
	return count;
}

#define THREAD_TRACE_DEPTH 16
#define THREAD_PRINT_MAX 64	/* threads thread_print_waiting looks at */

void thread_print_waiting(uint64_t first_id)
{
	static struct thread_info threads[THREAD_PRINT_MAX];	/* not on a stack */
	uint64_t addresses[THREAD_TRACE_DEPTH];
	unsigned count = thread_snapshot(threads, THREAD_PRINT_MAX, first_id);

	for (unsigned i = 0; i < count && i < THREAD_PRINT_MAX; i++) {
		unsigned depth = thread_waiting_trace(threads[i].id, addresses,
						      THREAD_TRACE_DEPTH);
		if (depth == 0)
			continue;
		printk("thread %llu %s %s on CPU %u, waiting at:\n",
		       (unsigned long long)threads[i].id, threads[i].name,
		       thread_state_name(threads[i].state), threads[i].cpu);
		for (unsigned j = 0; j < depth; j++) {
			printk("  #%u  ", j);
			backtrace_print_symbol(addresses[j]);
		}
	}
}

unsigned thread_snapshot(struct thread_info *out, unsigned max,
			 uint64_t first_id)
{
	unsigned long flags = thread_list_lock_take();
	unsigned count = 0;

	/* The list is in creation order, which is id order. */
	for (struct sched_link *link = thread_list.next; link != &thread_list;
	     link = link->next) {
		const struct thread *thread = thread_list_entry(link);
		if (thread->id < first_id)
			continue;
		if (count < max) {
			out[count].id = thread->id;
			strlcpy(out[count].name, thread->name,
				sizeof(out[count].name));
			out[count].state = thread->state;
			out[count].cpu = thread->cpu;
			out[count].run_ticks = thread->run_ticks;
		}
		count++;
	}
	thread_list_lock_drop(flags);
	return count;
}
