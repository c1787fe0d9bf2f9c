/*
 * Spinlocks: test-and-test-and-set on a word, portable C (compiler atomics),
 * so the same code serves the kernel and host unit tests. Every lock carries
 * a name, and every declaration of a lock says in a comment what it protects.
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

struct spinlock {
	uint32_t locked;
	const char *name;	/* also the lock checker's class */
#if CONFIG_LOCK_CHECK
	uint16_t check_class;	/* the checker's class id + 1; 0: not looked up */
#endif
};

#define SPINLOCK_INIT(lock_name) { .locked = 0, .name = (lock_name) }

static inline void spin_init(struct spinlock *lock, const char *name)
{
	lock->locked = 0;
	lock->name = name;
#if CONFIG_LOCK_CHECK
	lock->check_class = 0;
#endif
}

/* The lock word alone: one attempt, no checking. */
static inline bool spin_trylock_word(struct spinlock *lock)
{
	return !__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE);
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
	while (!spin_trylock_word(lock)) {
		while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
	}
}

static inline void spin_unlock(struct spinlock *lock)
{
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
#if CONFIG_LOCK_CHECK
	lock_check_release(lock);
#endif
	preempt_enable();
}

static inline bool spin_is_locked(struct spinlock *lock)
{
	return __atomic_load_n(&lock->locked, __ATOMIC_RELAXED) != 0;
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
