/*
 * The lock-order checker (CONFIG_LOCK_CHECK=1, test and debug builds): a
 * small lockdep. Locks with the same name are one class. Per CPU it keeps
 * the stack of locks held; globally, the ordered pairs "class A was held
 * when class B was taken", each with the backtrace of its first sighting.
 * Taking B while holding A after B-before-A was seen is an inversion: the
 * first is reported on the console with both stacks, every one is counted,
 * and the ktest runner fails the case (or run) during which one happened.
 *
 * Decisions: only direct pairs are compared (A->B then B->A), not longer
 * chains; a trylock never waits, so it is pushed as held but neither checked
 * nor recorded as the second of a pair; taking a lock of a class this CPU
 * already holds (two regions at once) is recorded as same-class nesting and
 * never reported. Tables are fixed; when one is full the checker says so
 * once and stops recording. Its own state is per CPU (changed with
 * interrupts off) or under a raw lock the checker does not watch.
 *
 * With CONFIG_LOCK_CHECK=0 nothing here exists but no-op stand-ins for the
 * ktest runner, and the spinlock functions are exactly the unchecked ones.
 */
#ifndef VEIL_KERNEL_LOCK_CHECK_H
#define VEIL_KERNEL_LOCK_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#ifndef CONFIG_LOCK_CHECK
#define CONFIG_LOCK_CHECK 0
#endif

/* Return addresses kept per stack (innermost first). */
#define LOCK_CHECK_STACK_DEPTH 6

struct spinlock;

/* One inversion: `taken` was being taken while `held` was held, and
 * earlier `held` had been taken while `taken` was held (stack_then). */
struct lock_check_report {
	const char *held_name;
	const char *taken_name;
	uint64_t stack_now[LOCK_CHECK_STACK_DEPTH];
	unsigned depth_now;
	uint64_t stack_then[LOCK_CHECK_STACK_DEPTH];
	unsigned depth_then;
};

/* Where inversions go while a test captures them (lock_check_capture_start):
 * how many were seen and the first of them. */
struct lock_check_capture {
	unsigned count;
	struct lock_check_report first;
};

#if CONFIG_LOCK_CHECK

/* Called by spin_lock before it spins (trylock false: check and record
 * pairs, then push) and by spin_trylock after it succeeded (trylock true:
 * push only). */
void lock_check_acquire(struct spinlock *lock, bool trylock);
/* Called by spin_unlock after the release: pops the lock from this CPU's
 * held stack (wherever it is in the stack; unknown locks are ignored). */
void lock_check_release(struct spinlock *lock);

/* Inversions counted outside a capture since boot. */
unsigned lock_check_inversion_count(void);
/* Number of locks this CPU holds, as the checker sees them. */
unsigned lock_check_held_depth(void);
/* Forgets held locks above depth on this CPU: for the ktest runner, when a
 * case or ktest_catch() abandons code that held locks. */
void lock_check_held_truncate(unsigned depth);

/* Sends inversions to *capture instead of the console and the count, until
 * lock_check_capture_stop (for tests that make one on purpose). */
void lock_check_capture_start(struct lock_check_capture *capture);
void lock_check_capture_stop(void);
/* Drops every pair naming class name (a test's own classes), so a test
 * can run again from a clean slate. */
void lock_check_forget_class(const char *name);
/* Whether class name was seen nested in itself; whether pair held->taken
 * is recorded. For tests. */
bool lock_check_class_nested(const char *name);
bool lock_check_pair_recorded(const char *held, const char *taken);
/* Whether a table filled and recording stopped. */
bool lock_check_recording_stopped(void);
/* Clears every table (host tests only: the kernel never forgets). */
void lock_check_reset(void);

/* Prints the classes' observed order: one "lock order: A -> B" line per
 * recorded pair with where it was first seen, then the totals. */
void lock_check_dump(void);

#else

static inline unsigned lock_check_inversion_count(void) { return 0; }
static inline unsigned lock_check_held_depth(void) { return 0; }
static inline void lock_check_held_truncate(unsigned depth) { (void)depth; }
static inline void lock_check_dump(void) {}

#endif

#endif
