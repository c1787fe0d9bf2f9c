/*
 * Host tests of the ticket spinlock (kernel/lib/spinlock.h) on several
 * "CPUs": each pthread sets its own CPU index (host_shim.c), so the lock
 * checker (linked, CONFIG_LOCK_CHECK=1) keeps one held stack per thread as
 * it does per CPU in the kernel. Lock torture: N threads x M increments of
 * a shared counter under each way of taking a lock, the exact total at the
 * end; ticket order; inversions found on two CPUs at once counted exactly.
 * mk/spinlock.mk builds it under ASan/UBSan and again under ThreadSanitizer.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "kernel/lib/lock_check.h"
#include "kernel/lib/spinlock.h"
#include "tests/host/htest.h"

extern __thread unsigned host_cpu_index;

unsigned backtrace_capture(uint64_t frame_pointer, uint64_t *return_addresses,
			   unsigned max)
{
	(void)frame_pointer;
	(void)return_addresses;
	(void)max;
	return 0;
}

void backtrace_print_symbol(uint64_t address)
{
	printf("0x%llx\n", (unsigned long long)address);
}

#define TORTURE_THREADS	4u
#define TORTURE_ROUNDS	20000u

enum torture_kind { TORTURE_LOCK, TORTURE_TRYLOCK, TORTURE_IRQSAVE, TORTURE_NESTED };

/* The shared state of one torture run: counter under lock (and, for the
 * nested kind, second_counter under inner, taken inside lock). */
struct torture {
	enum torture_kind kind;
	struct spinlock lock, inner;
	uint64_t counter, second_counter;	/* plain: the locks protect them */
	pthread_barrier_t start;
};

struct torture_thread {
	struct torture *torture;
	unsigned cpu;
};

static void *torture_worker(void *argument)
{
	struct torture_thread *self = argument;
	struct torture *t = self->torture;

	host_cpu_index = self->cpu;
	pthread_barrier_wait(&t->start);
	for (unsigned i = 0; i < TORTURE_ROUNDS; i++) {
		unsigned long flags;

		switch (t->kind) {
		case TORTURE_LOCK:
			spin_lock(&t->lock);
			t->counter++;
			spin_unlock(&t->lock);
			break;
		case TORTURE_TRYLOCK:
			while (!spin_trylock(&t->lock))
				spin_relax();
			t->counter++;
			spin_unlock(&t->lock);
			break;
		case TORTURE_IRQSAVE:
			flags = spin_lock_irqsave(&t->lock);
			t->counter++;
			spin_unlock_irqrestore(&t->lock, flags);
			break;
		case TORTURE_NESTED:
			spin_lock(&t->lock);
			t->counter++;
			spin_lock(&t->inner);
			t->second_counter++;
			spin_unlock(&t->inner);
			spin_unlock(&t->lock);
			break;
		}
	}
	return NULL;
}

/* Runs kind on TORTURE_THREADS threads (CPUs 1..N) and checks the totals,
 * that the lock ends free and that no thread still holds a lock. */
static void torture_run(enum torture_kind kind)
{
	static struct torture t;
	struct torture_thread threads[TORTURE_THREADS];
	pthread_t ids[TORTURE_THREADS];
	unsigned before = lock_check_inversion_count();

	memset(&t, 0, sizeof(t));
	t.kind = kind;
	spin_init(&t.lock, "torture_outer");
	spin_init(&t.inner, "torture_inner");
	pthread_barrier_init(&t.start, NULL, TORTURE_THREADS);
	for (unsigned i = 0; i < TORTURE_THREADS; i++) {
		threads[i] = (struct torture_thread){ &t, i + 1 };
		pthread_create(&ids[i], NULL, torture_worker, &threads[i]);
	}
	for (unsigned i = 0; i < TORTURE_THREADS; i++)
		pthread_join(ids[i], NULL);
	pthread_barrier_destroy(&t.start);
	HCHECK_EQ(t.counter, (uint64_t)TORTURE_THREADS * TORTURE_ROUNDS);
	if (kind == TORTURE_NESTED)
		HCHECK_EQ(t.second_counter, (uint64_t)TORTURE_THREADS * TORTURE_ROUNDS);
	HCHECK(!spin_is_locked(&t.lock) && !spin_is_locked(&t.inner));
	HCHECK_EQ(lock_check_inversion_count(), before);
	HCHECK_EQ(lock_check_held_depth(), 0);
}

HTEST(torture_spin_lock_exact_total)
{
	torture_run(TORTURE_LOCK);
}

HTEST(torture_spin_trylock_exact_total)
{
	torture_run(TORTURE_TRYLOCK);
}

HTEST(torture_spin_lock_irqsave_exact_total)
{
	torture_run(TORTURE_IRQSAVE);
}

HTEST(torture_nested_locks_exact_totals_no_inversion)
{
	torture_run(TORTURE_NESTED);
	HCHECK(lock_check_pair_recorded("torture_outer", "torture_inner"));
}

/* Ticket order: waiters get the lock in the order they took tickets. */
static struct spinlock order_lock = SPINLOCK_INIT("ticket_order");
static unsigned order_served[2], order_count;	/* under order_lock */

static void *order_waiter(void *argument)
{
	unsigned id = (unsigned)(uintptr_t)argument;

	host_cpu_index = id + 1;
	spin_lock(&order_lock);
	order_served[order_count++] = id;
	spin_unlock(&order_lock);
	return NULL;
}

/* Waits until the lock has handed out `tickets` tickets in all. */
static void order_wait_tickets(uint16_t tickets)
{
	while (__atomic_load_n(&order_lock.next, __ATOMIC_ACQUIRE) != tickets)
		spin_relax();
}

HTEST(waiters_are_served_in_ticket_order)
{
	for (unsigned round = 0; round < 50; round++) {
		pthread_t first, second;
		uint16_t base = __atomic_load_n(&order_lock.next, __ATOMIC_RELAXED);

		order_count = 0;
		host_cpu_index = 0;
		spin_lock(&order_lock);
		HCHECK(spin_is_locked(&order_lock));
		HCHECK(!spin_trylock(&order_lock));
		pthread_create(&first, NULL, order_waiter, (void *)0);
		order_wait_tickets((uint16_t)(base + 2));
		pthread_create(&second, NULL, order_waiter, (void *)1);
		order_wait_tickets((uint16_t)(base + 3));
		spin_unlock(&order_lock);
		pthread_join(first, NULL);
		pthread_join(second, NULL);
		HCHECK_EQ(order_count, 2);
		HCHECK_EQ(order_served[0], 0);
		HCHECK_EQ(order_served[1], 1);
	}
	HCHECK(!spin_is_locked(&order_lock));
}

HTEST(tickets_wrap_around)
{
	struct spinlock lock;

	spin_init(&lock, "ticket_wrap");
	lock.owner = lock.next = 0xfffe;
	for (unsigned i = 0; i < 4; i++) {
		spin_lock(&lock);
		HCHECK(spin_is_locked(&lock));
		HCHECK(!spin_trylock(&lock));
		spin_unlock(&lock);
		HCHECK(!spin_is_locked(&lock));
	}
	HCHECK(spin_trylock(&lock));
	spin_unlock(&lock);
	HCHECK_EQ(lock.owner, 3);
}

/* Inversions on two CPUs at once: each thread takes its own "inv_b" then
 * its own "inv_a" after the order a -> b was recorded, so every round is an
 * inversion (never a deadlock: the locks are distinct objects). */
#define INVERSION_ROUNDS 2000u
static pthread_barrier_t inversion_start;

static void *inversion_worker(void *argument)
{
	struct spinlock a, b;

	host_cpu_index = (unsigned)(uintptr_t)argument;
	spin_init(&a, "inv_a");
	spin_init(&b, "inv_b");
	pthread_barrier_wait(&inversion_start);
	for (unsigned i = 0; i < INVERSION_ROUNDS; i++) {
		spin_lock(&b);
		spin_lock(&a);
		spin_unlock(&a);
		spin_unlock(&b);
	}
	return NULL;
}

HTEST(inversions_from_two_cpus_are_all_counted)
{
	struct spinlock a, b;
	struct lock_check_capture capture;
	pthread_t ids[2];

	host_cpu_index = 0;
	spin_init(&a, "inv_a");
	spin_init(&b, "inv_b");
	spin_lock(&a);
	spin_lock(&b);
	spin_unlock(&b);
	spin_unlock(&a);
	HCHECK(lock_check_pair_recorded("inv_a", "inv_b"));
	lock_check_capture_start(&capture);
	pthread_barrier_init(&inversion_start, NULL, 2);
	for (unsigned i = 0; i < 2; i++)
		pthread_create(&ids[i], NULL, inversion_worker, (void *)(uintptr_t)(i + 1));
	for (unsigned i = 0; i < 2; i++)
		pthread_join(ids[i], NULL);
	lock_check_capture_stop();
	pthread_barrier_destroy(&inversion_start);
	HCHECK_EQ(capture.count, 2 * INVERSION_ROUNDS);
	HCHECK(capture.first.held_name && strcmp(capture.first.held_name, "inv_b") == 0);
	HCHECK(capture.first.taken_name && strcmp(capture.first.taken_name, "inv_a") == 0);
	lock_check_forget_class("inv_a");
	lock_check_forget_class("inv_b");
}
