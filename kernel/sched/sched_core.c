/*
 * The scheduler proper (kernel/sched/sched.h): per-CPU run queues, the
 * switch, wakeups, the tick's time slices, preemption at interrupt exit
 * and from preempt_enable, the idle loop and work stealing.
 *
 * Every switch happens in schedule() with interrupts off, the CPU's run
 * queue lock held (so preempt_count is 1 at every switch point) and the
 * caller's own preempt_count 0 before it: the count a thread finds when it
 * is switched back is the one it left. The thread switched to releases the
 * lock (sched_finish_switch), and only then can another CPU see the
 * switched-out thread's stack as free: a thread queued as RUNNABLE can be
 * stolen, and an exited one joined, only after its switch is complete.
 * Before the switch, the next thread's address space is loaded (a kernel
 * thread keeps the loaded one, lazily: tlb_thread_switch, mm/tlb.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/preempt.h"
#include "kernel/lib/spinlock.h"
#include "kernel/sched/context_switch.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/sched_internal.h"
#include "kernel/sched/wait.h"
#include "kernel/smp.h"
#include "mm/kstack.h"
#include "mm/slab.h"
#include "mm/tlb.h"

/* The run queue of each CPU that schedules (kmalloc'd as it starts, so
 * absent CPUs cost a pointer); NULL for the others. Set once per CPU
 * (release), read anywhere (acquire). */
static struct run_queue *sched_run_queues[CONFIG_MAX_CPUS];

static struct run_queue *sched_run_queue(unsigned cpu)
{
	return cpu < CONFIG_MAX_CPUS ?
	       __atomic_load_n(&sched_run_queues[cpu], __ATOMIC_ACQUIRE) : NULL;
}

static struct run_queue *sched_this_queue(void)
{
	return cpu_local()->run_queue;
}

struct thread *thread_current(void)
{
	/* NULL until sched_init (the area starts zeroed). */
	return arch_current_thread();
}

uint64_t sched_switch_count(unsigned cpu)
{
	struct run_queue *queue = sched_run_queue(cpu);

	return queue ? queue->switches : 0;
}

/* Appends a RUNNABLE thread (queue lock held). */
static void sched_queue_push(struct run_queue *queue, struct thread *thread)
{
	thread->state = THREAD_RUNNABLE;
	thread->cpu = queue->cpu;
	sched_link_add_tail(&queue->runnable, &thread->link);
	queue->count++;
}

/* The next thread to run, off the queue; NULL when empty (lock held). */
static struct thread *sched_queue_pop(struct run_queue *queue)
{
	if (sched_link_empty(&queue->runnable))
		return NULL;
	struct thread *thread = sched_link_thread(queue->runnable.next);
	sched_link_remove(&thread->link);
	queue->count--;
	return thread;
}

/* After a switch, on the thread switched to: releases the queue lock the
 * switching thread took, and finishes the exit of the thread left if it
 * exited. Interrupts stay off. */
static void sched_finish_switch(void)
{
	struct run_queue *queue = sched_this_queue();
	struct thread *last = queue->switched_from;
	/* Read under the lock: once it is released, a thread that did not
	 * exit may be woken elsewhere, exit and be freed. An exited one stays
	 * until thread_finish_exit marks it dead. */
	bool exited = last && last->state == THREAD_EXITED;

	queue->switched_from = NULL;
	spin_unlock(&queue->lock);
	if (exited)
		thread_finish_exit(last);
}

void sched_run_interrupt_fn(void)
{
	struct thread *self = thread_current();

	if (!self || self->is_idle)
		return;
	void (*fn)(void) = __atomic_exchange_n(&self->interrupt_fn, NULL,
					       __ATOMIC_ACQ_REL);
	if (fn)
		fn();
}

void schedule(void)
{
	unsigned long flags = irq_save();
	struct cpu_local *cpu = cpu_local();
	struct run_queue *queue = cpu->run_queue;

	if (preempt_count() != 0)
		panic("schedule: preemption is off (count %u): a thread may "
		      "not block under a spinlock", preempt_count());
	spin_lock(&queue->lock);
	struct thread *prev = queue->current;
	if (prev->state == THREAD_RUNNING && !prev->is_idle)
		sched_queue_push(queue, prev);
	struct thread *next = sched_queue_pop(queue);
	if (!next)
		next = prev->state == THREAD_RUNNING ? prev : queue->idle;
	cpu->need_resched = false;
	cpu->idling = false;
	queue->slice_left = SCHED_SLICE_TICKS;
	next->state = THREAD_RUNNING;
	next->cpu = queue->cpu;
	if (next != prev) {
		if (prev->is_idle)
			prev->state = THREAD_RUNNABLE;	/* ready, never queued */
		queue->current = next;
		cpu->current = next;
		queue->switched_from = prev;
		queue->switches++;
		next->switches_in++;
		/* Its space, or the loaded one kept lazily (kernel thread). */
		tlb_thread_switch(next->space);
		if (prev->user_context || next->user_context)
			arch_user_switch(prev, next);
		arch_thread_switch(&prev->saved_stack_pointer,
				   next->saved_stack_pointer);
		/* Back, perhaps on another CPU (stolen while queued). */
	}
	sched_finish_switch();
	irq_restore(flags);
	sched_run_interrupt_fn();
}

/* First code of every new thread (from arch_thread_trampoline), with
 * interrupts off and the queue lock of the switch held. */
void sched_thread_start(struct thread *self) __attribute__((noreturn));
void sched_thread_start(struct thread *self)
{
	sched_finish_switch();
	arch_irq_enable();
	sched_run_interrupt_fn();
	self->function(self->argument);
	thread_exit();
}

void thread_yield(void)
{
	schedule();
}

void preempt_schedule(void)
{
	struct cpu_local *cpu = cpu_local();

	/* With interrupts off the next interrupt exit (or irq_restore's
	 * caller's next preempt point) does it: switching here would turn
	 * the interrupts on behind the caller's back. */
	if (!cpu->need_resched || !cpu->run_queue || preempt_count() != 0 ||
	    !arch_irqs_enabled())
		return;
	schedule();
}

void sched_interrupt_exit(void)
{
	struct cpu_local *cpu = cpu_local();

	if (!cpu->run_queue || preempt_count() != 0)
		return;
	if (cpu->need_resched)
		schedule();
	else
		sched_run_interrupt_fn();
}

/* An online CPU of affinity: the preferred one if allowed, else the
 * lowest; -1 when none. */
static int sched_pick_cpu(uint64_t affinity, unsigned preferred)
{
	if (preferred < CONFIG_MAX_CPUS && (affinity >> preferred & 1) &&
	    sched_run_queue(preferred))
		return (int)preferred;
	for (unsigned i = 0; i < CONFIG_MAX_CPUS; i++) {
		if ((affinity >> i & 1) && sched_run_queue(i))
			return (int)i;
	}
	return -1;
}

/* Nudges cpu after a thread was queued there: a remote idle CPU is
 * woken from its halt; this CPU switches at the interrupt exit when it
 * was idle. */
static __attribute__((noinline)) void sched_nudge(unsigned cpu)
{
	struct run_queue *queue = sched_run_queue(cpu);

	if (!queue ||
	    __atomic_load_n(&queue->current, __ATOMIC_RELAXED) != queue->idle)
		return;
	if (cpu == cpu_current())
		cpu_local()->need_resched = true;
	else
		smp_kick(cpu);
}

bool sched_enqueue_new(struct thread *thread)
{
	unsigned long flags = irq_save();
	int cpu = sched_pick_cpu(thread->affinity, cpu_current());

	if (cpu < 0) {
		irq_restore(flags);
		return false;
	}
	struct run_queue *queue = sched_run_queue((unsigned)cpu);
	spin_lock(&queue->lock);
	sched_queue_push(queue, thread);
	spin_unlock(&queue->lock);
	sched_nudge((unsigned)cpu);
	irq_restore(flags);
	return true;
}

/* Locks the run queue thread->cpu names, following the thread if it
 * moves meanwhile (interrupts off). */
static struct run_queue *sched_lock_queue_of(struct thread *thread)
{
	for (;;) {
		unsigned cpu = __atomic_load_n(&thread->cpu, __ATOMIC_ACQUIRE);
		struct run_queue *queue = sched_run_queue(cpu);
		spin_lock(&queue->lock);
		if (thread->cpu == cpu)
			return queue;
		spin_unlock(&queue->lock);
	}
}

void sched_wake(struct thread *thread)
{
	unsigned long flags = irq_save();
	struct run_queue *queue = sched_lock_queue_of(thread);
	bool queued = false;

	if (thread->state == THREAD_BLOCKED) {
		if (queue->current == thread) {
			/* It has not switched out yet: it just keeps running. */
			thread->state = THREAD_RUNNING;
		} else {
			sched_queue_push(queue, thread);
			queued = true;
		}
	}
	spin_unlock(&queue->lock);
	if (queued)
		sched_nudge(queue->cpu);
	irq_restore(flags);
}

/* Takes one runnable thread allowed on this CPU from the busiest other
 * queue; true when one was moved here (interrupts off). */
static __attribute__((noinline)) bool sched_steal(struct run_queue *mine)
{
	struct run_queue *victim = NULL;
	unsigned most = 0;

	for (unsigned i = 0; i < CONFIG_MAX_CPUS; i++) {
		struct run_queue *queue = sched_run_queue(i);
		if (!queue || queue == mine)
			continue;
		unsigned count = __atomic_load_n(&queue->count, __ATOMIC_RELAXED);
		if (count > most) {
			most = count;
			victim = queue;
		}
	}
	if (!victim)
		return false;
	struct run_queue *first = victim->cpu < mine->cpu ? victim : mine;
	struct run_queue *second = first == victim ? mine : victim;
	bool moved = false;
	spin_lock(&first->lock);
	spin_lock(&second->lock);
	for (struct sched_link *link = victim->runnable.prev;
	     link != &victim->runnable; link = link->prev) {
		struct thread *thread = sched_link_thread(link);
		if (!(thread->affinity >> mine->cpu & 1))
			continue;
		sched_link_remove(link);
		victim->count--;
		sched_queue_push(mine, thread);
		moved = true;
		break;
	}
	spin_unlock(&second->lock);
	spin_unlock(&first->lock);
	return moved;
}

/* The idle thread: runs queued threads, steals, or halts until an
 * interrupt. */
static __attribute__((noreturn)) void sched_idle_loop(void *argument)
{
	(void)argument;
	for (;;) {
		arch_irq_disable();
		struct cpu_local *cpu = cpu_local();
		struct run_queue *queue = cpu->run_queue;
		if (queue->count == 0)
			sched_steal(queue);
		if (queue->count > 0 || cpu->need_resched) {
			arch_irq_enable();
			schedule();
			continue;
		}
		cpu->idling = true;
		arch_cpu_idle_halt();	/* returns with interrupts on */
		cpu->idling = false;
	}
}

/* A new run queue for cpu, not yet published. */
static struct run_queue *sched_queue_new(unsigned cpu)
{
	struct run_queue *queue = kmalloc(sizeof(*queue));

	if (!queue)
		panic("sched: no memory for the run queue of CPU %u", cpu);
	memset(queue, 0, sizeof(*queue));
	tlb_flush_all();	/* in step with that generation */
	spin_init(&queue->lock, "sched_run_queue");
	sched_link_init(&queue->runnable);
	queue->cpu = cpu;
	queue->slice_left = SCHED_SLICE_TICKS;
	return queue;
}

/* Makes queue the one of its CPU, for this CPU and for the others. */
static void sched_queue_publish(struct run_queue *queue)
{
	cpu_local()->run_queue = queue;
	__atomic_store_n(&sched_run_queues[queue->cpu], queue, __ATOMIC_RELEASE);
}

/* The boot flow's record (it runs on the boot stack). */
static struct thread sched_main_thread;

/* Makes self the record of the calling context (main, an AP's idle). */
static struct thread *sched_adopt_caller(struct thread *self, const char *name,
					 unsigned cpu)
{
	if (!self)
		panic("sched: no memory for the thread record of %s", name);
	thread_record_add(self, name);
	self->state = THREAD_RUNNING;
	self->cpu = cpu;
	self->affinity = THREAD_AFFINITY_ALL;
	return self;
}

void sched_init(void)
{
	unsigned long flags = irq_save();
	struct cpu_local *cpu = cpu_local();

	struct run_queue *queue = sched_queue_new(cpu->index);
	struct thread *main = sched_adopt_caller(&sched_main_thread, "main",
						 cpu->index);
	struct thread *idle = thread_create_stopped("idle/0", sched_idle_loop,
						    NULL, 1ull << cpu->index);
	if (!idle)
		panic("sched: no stack for the idle thread of CPU 0");
	idle->is_idle = true;
	idle->cpu = cpu->index;
	idle->state = THREAD_RUNNABLE;
	queue->idle = idle;
	queue->current = main;
	cpu->idle = idle;
	cpu->current = main;
	sched_queue_publish(queue);
	/* The boot CPU runs by definition (kernel/smp may have said so). */
	if (cpu->state == CPU_ABSENT)
		cpu->state = CPU_ONLINE;
	irq_restore(flags);
}

void sched_cpu_prepare(void)
{
	arch_irq_disable();
	struct cpu_local *cpu = cpu_local();
	struct run_queue *queue = sched_queue_new(cpu->index);
	unsigned index = cpu->index;
	/* "idle/N", N < CONFIG_MAX_CPUS (two digits at most). */
	char tens = (char)('0' + index / 10), ones = (char)('0' + index % 10);
	char name[8] = { 'i', 'd', 'l', 'e', '/', index < 10 ? ones : tens,
			 index < 10 ? 0 : ones, 0 };
	struct thread *idle = sched_adopt_caller(kmalloc(sizeof(struct thread)),
						 name, index);
	idle->is_idle = true;
	idle->affinity = 1ull << index;
	queue->idle = idle;
	queue->current = idle;
	cpu->idle = idle;
	cpu->current = idle;
	sched_queue_publish(queue);
}

void sched_cpu_idle(void)
{
	sched_idle_loop(NULL);
}

void sched_tick(void)
{
	struct cpu_local *cpu = cpu_local();
	struct run_queue *queue = cpu->run_queue;

	cpu->ticks++;
	if (!queue)
		return;
	struct thread *current = queue->current;
	current->run_ticks++;
	if (current->is_idle) {
		cpu->idle_ticks++;
		if (queue->count > 0)
			cpu->need_resched = true;
	} else if (queue->slice_left <= 1) {
		if (queue->count > 0)
			cpu->need_resched = true;
		queue->slice_left = SCHED_SLICE_TICKS;
	} else {
		queue->slice_left--;
	}
	thread_wake_sleepers();
	wake_requests_run();
}
