/*
 * Kernel threads and the scheduler. Each thread has a guarded stack of its
 * own (mm/kstack.h), runs on one CPU at a time within its affinity mask,
 * and is switched preemptively: a time slice of SCHED_SLICE_TICKS timer
 * ticks, then the next runnable thread of the CPU's run queue. Every CPU
 * has a run queue (cpu_local()->run_queue, with its own lock) and an idle
 * thread that halts; an idle CPU takes runnable threads from the busiest
 * other queue (work stealing, affinity respected).
 *
 * The boot flow (kmain) becomes thread "main" on CPU 0 at sched_init();
 * application processors enter sched_cpu_prepare() and sched_cpu_idle().
 *
 * Blocking (join, sleep, wait queues, mutexes: kernel/sched/wait.h) is
 * allowed only from a thread with preemption on: never under a spinlock,
 * with interrupts off or in an interrupt handler (schedule() panics).
 */
#ifndef VEIL_KERNEL_SCHED_H
#define VEIL_KERNEL_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#define THREAD_NAME_MAX 24
#define THREAD_AFFINITY_ALL UINT64_MAX
#define SCHED_SLICE_TICKS 10	/* timer ticks a thread runs before others */

enum thread_state {
	THREAD_RUNNABLE,	/* on a run queue, waiting for its CPU */
	THREAD_RUNNING,		/* some CPU's current thread */
	THREAD_BLOCKED,		/* waiting on a wait queue (or sleeping) */
	THREAD_EXITED,		/* finished; freed by thread_join */
};

struct wait_queue;
struct vmm_space;
struct user_thread_context;
struct process;

/* A link in a run queue or a wait queue (a thread is on at most one). */
struct sched_link {
	struct sched_link *prev, *next;
};

struct thread {
	struct sched_link link;	/* run queue or wait queue: that queue's lock */
	struct sched_link list_link;	/* every thread: thread_list_lock */
	uint64_t id;		/* from 0 ("main"), never reused */
	char name[THREAD_NAME_MAX];
	/* state and cpu change under the lock of run queue `cpu` (and a
	 * waker's wait queue lock for BLOCKED -> RUNNABLE). */
	enum thread_state state;
	unsigned cpu;		/* the CPU it runs or last ran on, or queued on */
	uint64_t affinity;	/* bit i: may run on CPU i */
	uint64_t run_ticks;	/* timer ticks taken while it ran */
	uint64_t switches_in;	/* times a CPU switched to it */
	void *stack_top;	/* kstack_alloc's; NULL: a stack not ours (boot, AP) */
	uint64_t saved_stack_pointer;	/* while switched out */
	void (*function)(void *argument);
	void *argument;
	struct wait_queue *waiting_on;	/* under that queue's lock */
	/* Raised by wait_cancel before it looks for the thread on a queue,
	 * taken by the thread's next sleep, which then returns at once
	 * (atomic): a cancel that came between a waiter's check of its
	 * condition and its sleep, which found it on no queue yet, still
	 * wakes it (wait.c). */
	bool wake_pending;
	uint64_t wake_at_ns;	/* thread_sleep_ms's deadline (uptime) */
	/* Run by the thread itself the next time it gets its CPU back
	 * (thread_interrupt); exchanged atomically. */
	void (*interrupt_fn)(void);
	/* The address space it runs in, loaded at each switch to it; NULL
	 * for a kernel thread, which runs on whatever space its CPU has
	 * loaded (lazily: mm/tlb.h). Written by the thread itself (or before
	 * it starts). */
	struct vmm_space *space;
	/* What the thread needs to run in user mode (kernel/user), or
	 * NULL for a thread that never leaves the kernel. Written by the
	 * thread itself. */
	struct user_thread_context *user_context;
	/* The process it runs (kernel/user), or NULL; written by the thread
	 * itself. */
	struct process *process;
	bool dead;		/* switched out for good: under the exit queue lock */
	bool is_idle;		/* a CPU's idle thread */
};

/* Makes the calling boot flow thread "main" of CPU 0 and creates CPU 0's
 * idle thread; preemption starts with it. Once, after mm_init. */
void sched_init(void);
/* For an application processor before it counts as online (kernel/smp.c,
 * smp_secondary_start): the calling context becomes this CPU's idle thread
 * and its run queue is published, so a thread may be placed on the CPU as
 * soon as it is online. Returns with interrupts off. */
void sched_cpu_prepare(void);
/* Then, once online: the idle loop, taking threads from now on. */
void sched_cpu_idle(void) __attribute__((noreturn));

/* A new thread running function(argument) on any CPU; NULL when no
 * stack is left (KSTACK_MAX) or (for _on) no online CPU is in affinity. */
struct thread *thread_create(const char *name, void (*function)(void *),
			     void *argument);
struct thread *thread_create_on(const char *name, void (*function)(void *),
				void *argument, uint64_t affinity);
/* thread_create_on for a thread that runs in space (not the kernel
 * space; it must outlive the thread). */
struct thread *thread_create_in(struct vmm_space *space, const char *name,
				void (*function)(void *), void *argument,
				uint64_t affinity);
/* Ends the calling thread (returning from its function does the same). */
void thread_exit(void) __attribute__((noreturn));
/* Waits until thread has exited, then frees its stack and its slot. Each
 * thread is joined once, by another thread. */
void thread_join(struct thread *thread);
/* Lets the other runnable threads of this CPU run first. */
void thread_yield(void);
/* Blocks for at least ms milliseconds of uptime. */
void thread_sleep_ms(unsigned ms);
/* The running thread; NULL before sched_init. */
struct thread *thread_current(void);
const char *thread_state_name(enum thread_state state);

/* Asks thread to run fn the next time it gets its CPU back (after a
 * switch to it, or at an interrupt exit while it runs preemptible),
 * waking it if it is blocked (its wait then looks spurious and is
 * repeated, unless fn never returns). For the ktest runner: fn resumes a
 * saved context or exits the thread. */
void thread_interrupt(struct thread *thread, void (*fn)(void));
/* The id the next thread will get. */
uint64_t thread_next_id(void);
/* Ends (thread_interrupt with thread_exit) and joins every thread with an
 * id at or above first_id except the caller; returns how many there were.
 * A thread that spins with preemption off is never reached. */
unsigned thread_stop_from(uint64_t first_id);

/* One thread as reports see it (a snapshot, taken under the list lock). */
struct thread_info {
	uint64_t id;
	char name[THREAD_NAME_MAX];
	enum thread_state state;
	unsigned cpu;
	uint64_t run_ticks;
};
/* Where the thread with id id waits, if it is blocked or runnable (not
 * the caller, not an idle thread): up to max addresses, the innermost
 * first (the switch's return into the scheduler, then each caller's
 * return address); 0 when there is no such thread. The thread list's
 * lock is held while its stack is read (no thread is freed meanwhile); a
 * thread woken meanwhile gives a trace that may stop early (the walk
 * checks each frame lies on a kernel stack). */
unsigned thread_waiting_trace(uint64_t id, uint64_t *addresses, unsigned max);
/* Prints each blocked or runnable thread whose id is at least first_id
 * with thread_waiting_trace's addresses by name: what a test that found
 * threads stuck leaves in the log. */
void thread_print_waiting(uint64_t first_id);
/* Fills up to max entries with the threads whose id is at least first_id,
 * in id order; returns how many such threads exist (out may be NULL with
 * max 0, to count). */
unsigned thread_snapshot(struct thread_info *out, unsigned max,
			 uint64_t first_id);

/* Switches to the next runnable thread of this CPU (the caller goes back
 * to its run queue if it is still running, else stays off until woken). */
void schedule(void);
/* From the timer interrupt of each CPU: run time, time slices, sleepers,
 * and the CPU's tick counters. Interrupts off. */
void sched_tick(void);
/* At the end of every interrupt (arch trap code): switches when this CPU
 * asked for it and preemption is on. */
void sched_interrupt_exit(void);
/* Thread switches this CPU's scheduler made since it started. */
uint64_t sched_switch_count(unsigned cpu);

#endif
