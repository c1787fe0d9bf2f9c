/*
 * Between the scheduler's files: the run queue, the list helpers and the
 * wakeup primitive (kernel/sched/sched_core.c), the thread pool
 * (kernel/sched/thread.c).
 */
#ifndef VEIL_KERNEL_SCHED_INTERNAL_H
#define VEIL_KERNEL_SCHED_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/build_config.h"
#include "kernel/lib/spinlock.h"
#include "kernel/sched/sched.h"

struct run_queue {
	/* Protects everything below, and the state and cpu of the threads
	 * queued here or running here. Held across a switch: taken by the
	 * thread switching out, released by the one switched to. Lock order:
	 * a wait queue's lock, then a run queue's; two run queues in index
	 * order (work stealing). */
	struct spinlock lock;
	struct sched_link runnable;	/* RUNNABLE threads, next to run first */
	unsigned count;			/* of them (read without the lock by
					 * stealers and the tick: a hint) */
	struct thread *current;		/* running here */
	struct thread *idle;		/* this CPU's idle thread */
	struct thread *switched_from;	/* the thread the last switch left */
	unsigned slice_left;		/* ticks before current should yield */
	unsigned cpu;			/* this queue's CPU */
	uint64_t switches;		/* statistics */
};

static inline void sched_link_init(struct sched_link *head)
{
	head->prev = head->next = head;
}

static inline bool sched_link_empty(const struct sched_link *head)
{
	return head->next == head;
}

static inline void sched_link_add_tail(struct sched_link *head,
				       struct sched_link *link)
{
	link->prev = head->prev;
	link->next = head;
	head->prev->next = link;
	head->prev = link;
}

static inline void sched_link_remove(struct sched_link *link)
{
	link->prev->next = link->next;
	link->next->prev = link->prev;
	link->prev = link->next = link;
}

static inline struct thread *sched_link_thread(struct sched_link *link)
{
	return (struct thread *)((char *)link - offsetof(struct thread, link));
}

/* Makes a BLOCKED thread runnable (or, if it has not switched out yet,
 * running again); nothing for a thread in another state. Any context;
 * the caller may hold a wait queue's lock. */
void sched_wake(struct thread *thread);
/* Puts a new thread on the queue of a CPU of its affinity; false when no
 * online CPU is in it. */
bool sched_enqueue_new(struct thread *thread);
/* Runs and clears the calling thread's interrupt function, if any. */
void sched_run_interrupt_fn(void);

static inline struct thread *thread_list_entry(struct sched_link *link)
{
	return (struct thread *)((char *)link -
				 offsetof(struct thread, list_link));
}

/* Zeroes a record, names it, gives it the next id and lists it. */
void thread_record_add(struct thread *thread, const char *name);
/* Takes a record off the list (before its memory goes). */
void thread_record_remove(struct thread *thread);
/* A created thread, not yet on any run queue; NULL when out of stacks. */
struct thread *thread_create_stopped(const char *name,
				     void (*function)(void *), void *argument,
				     uint64_t affinity);
/* Called once the exited thread `last` is switched out for good: marks it
 * dead and wakes its joiners. */
void thread_finish_exit(struct thread *last);
/* The sleepers' queue (thread_sleep_ms), scanned by the tick. */
void thread_wake_sleepers(void);

#if CONFIG_KTEST
/* Test builds only (sched_test.c): called by a thread about to sleep on a
 * wait queue, with that queue's lock held, before it is on the queue;
 * NULL when no test sets it. */
extern void (*wait_before_sleep_hook)(struct thread *self);
#endif

#endif
