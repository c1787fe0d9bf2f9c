/*
 * Spinlocks: test-and-test-and-set on a word, portable C (compiler atomics),
 * so the same code serves the kernel and host unit tests. Every lock carries
 * a name, and every declaration of a lock says in a comment what it protects.
 */
#ifndef VEIL_KERNEL_SPINLOCK_H
#define VEIL_KERNEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/lib/irq.h"

struct spinlock {
	uint32_t locked;
	const char *name;
};

#define SPINLOCK_INIT(lock_name) { .locked = 0, .name = (lock_name) }

static inline void spin_init(struct spinlock *lock, const char *name)
{
	lock->locked = 0;
	lock->name = name;
}

static inline bool spin_trylock(struct spinlock *lock)
{
	return !__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(struct spinlock *lock)
{
	while (!spin_trylock(lock)) {
		while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
	}
}

static inline void spin_unlock(struct spinlock *lock)
{
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
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
