/*
 * Spinlocks: ticket locks, portable C (compiler atomics), so the same code
 * serves the kernel and host unit tests. A CPU takes the next ticket and
 * waits until the lock serves it, so CPUs get the lock in the order they
 * asked (fair on several CPUs; a test-and-set lock lets one CPU starve).
 * Every lock carries a name, and every declaration of a lock says in a
 * comment what it protects. Rules and lock order: docs/locking.md.
 * A held spinlock keeps preemption off on its CPU (kernel/lib/preempt.h):
 * the holder is never switched out, so waiters spin only as long as the
 * holder's critical section, and code under a lock stays on one CPU.
 */
#ifndef VEIL_KERNEL_SPINLOCK_H
#define VEIL_KERNEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/lib/irq.h"
#include "kernel/lib/lock_check.h"
#include "kernel/lib/preempt.h"

#ifdef VEIL_HOST
/* Host builds (tests/host/host_shim.c): a pause, and now and then a yield
 * of the host CPU. Host threads, unlike the kernel's CPUs, are descheduled
 * at any time; a waiter whose ticket comes up while it is off the CPU
 * would hold up every waiter behind it for a whole host time slice. */
void host_spin_relax(void);
#define spin_relax() host_spin_relax()
#else
#include "kernel/lib/cpu.h"
/* One turn of a wait loop: tells the CPU it is spinning, and answers the
 * other CPUs (a TLB shootdown may wait on this one, which may be spinning
 * with interrupts off on a lock the asking CPU holds). */
#define spin_relax() do { __builtin_ia32_pause(); cpu_answer_requests(); } while (0)
#endif

struct spinlock {
	uint16_t owner;		/* the ticket being served */
	uint16_t next;		/* the next ticket handed out; owner == next: free */
	const char *name;	/* also the lock checker's class */
#if CONFIG_LOCK_CHECK
	uint16_t check_class;	/* the checker's class id + 1; 0: not looked up */
#endif
};

#define SPINLOCK_INIT(lock_name) { .owner = 0, .next = 0, .name = (lock_name) }

static inline void spin_init(struct spinlock *lock, const char *name)
{
	lock->owner = 0;
	lock->next = 0;
	lock->name = name;
#if CONFIG_LOCK_CHECK
	lock->check_class = 0;
#endif
}

/* The tickets alone: one attempt, no checking. Takes a ticket only when
 * it would be served at once: owner is read first and only grows, so if
 * next still equals it at the compare-exchange, the lock was free then. */
static inline bool spin_trylock_word(struct spinlock *lock)
{
	uint16_t owner = __atomic_load_n(&lock->owner, __ATOMIC_ACQUIRE);

	if (__atomic_load_n(&lock->next, __ATOMIC_RELAXED) != owner)
		return false;
	return __atomic_compare_exchange_n(&lock->next, &owner,
					   (uint16_t)(owner + 1), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* The tickets alone: waits its turn, no checking. */
static inline void spin_lock_word(struct spinlock *lock)
{
	uint16_t ticket = __atomic_fetch_add(&lock->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&lock->owner, __ATOMIC_ACQUIRE) != ticket)
		spin_relax();
}

/* Serves the next ticket; only the holder writes owner. */
static inline void spin_unlock_word(struct spinlock *lock)
{
	uint16_t owner = __atomic_load_n(&lock->owner, __ATOMIC_RELAXED);

	__atomic_store_n(&lock->owner, (uint16_t)(owner + 1), __ATOMIC_RELEASE);
}

static inline bool spin_trylock(struct spinlock *lock)
{
	preempt_disable();
	if (!spin_trylock_word(lock)) {
		preempt_enable();
		return false;
	}
#if CONFIG_LOCK_CHECK
	lock_check_acquire(lock, true);
#endif
	return true;
}

/* Takes the lock; preemption stays off until spin_unlock. */
static inline void spin_lock(struct spinlock *lock)
{
	preempt_disable();
#if CONFIG_LOCK_CHECK
	/* Before spinning, so an inversion is reported even if it deadlocks. */
	lock_check_acquire(lock, false);
#endif
	spin_lock_word(lock);
}

static inline void spin_unlock(struct spinlock *lock)
{
	spin_unlock_word(lock);
#if CONFIG_LOCK_CHECK
	lock_check_release(lock);
#endif
	preempt_enable();
}

static inline bool spin_is_locked(struct spinlock *lock)
{
	return __atomic_load_n(&lock->owner, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&lock->next, __ATOMIC_RELAXED);
}

/* For locks also taken from interrupt handlers. */
static inline unsigned long spin_lock_irqsave(struct spinlock *lock)
{
	unsigned long flags = irq_save();
	spin_lock(lock);
	return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *lock,
					  unsigned long flags)
{
	spin_unlock(lock);
	irq_restore(flags);
}

#endif
