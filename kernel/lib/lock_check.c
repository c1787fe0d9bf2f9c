/*
 * The lock-order checker's core (kernel/lib/lock_check.h): classes by name,
 * per-CPU held stacks, the table of ordered pairs and the inversion report.
 * Portable C: the host test links it as is; the only outside services are
 * printk, irq_save/irq_restore, cpu_current and backtrace_capture.
 *
 * Locking: each CPU's held stack is changed only by that CPU with
 * interrupts off. The class and pair tables are under lock_check_table_lock,
 * a bare word taken with atomics (not a struct spinlock, so the checker
 * never watches its own lock); lock_check_report_lock, another bare word,
 * makes reports from two CPUs print one after the other. Neither is held
 * while taking the other. While a CPU is inside the checker its `busy`
 * flag is set and locks it takes meanwhile (printk's, when reporting) are
 * neither checked nor tracked.
 */
#include "kernel/lib/lock_check.h"

#if CONFIG_LOCK_CHECK

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/backtrace.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"

/* Sizes: a whole ktest run on two CPUs met 64 classes and filled the
 * class table (recording stopped partway through the run), so twice that;
 * tests may build with less. */
#ifndef LOCK_CHECK_MAX_CLASSES
#define LOCK_CHECK_MAX_CLASSES 128
#endif
#ifndef LOCK_CHECK_MAX_PAIRS
#define LOCK_CHECK_MAX_PAIRS 512
#endif
#ifndef LOCK_CHECK_MAX_HELD
#define LOCK_CHECK_MAX_HELD 16
#endif

_Static_assert(LOCK_CHECK_MAX_CLASSES < 0xffff, "class ids fit in 16 bits");
_Static_assert(LOCK_CHECK_MAX_PAIRS < 0xffff, "pair slots fit in 16 bits");

/* "Class held was held when class taken was taken", first seen at stack. */
struct lock_check_pair {
	bool used;
	uint16_t held, taken;
	unsigned depth;
	uint64_t stack[LOCK_CHECK_STACK_DEPTH];
};

struct lock_check_held {
	const struct spinlock *lock;
	uint16_t class_id;
};

struct lock_check_cpu {
	struct lock_check_held held[LOCK_CHECK_MAX_HELD];
	unsigned depth;
	bool busy;	/* inside the checker: locks taken now are not watched */
};

/* Protects everything below except lock_check_cpus. */
static uint32_t lock_check_table_lock;

static const char *lock_check_class_names[LOCK_CHECK_MAX_CLASSES];
static unsigned lock_check_class_count;
static bool lock_check_nested[LOCK_CHECK_MAX_CLASSES];
/* Slot + 1 of pair (held, taken) in lock_check_pairs; 0: not seen. */
static uint16_t lock_check_pair_slot[LOCK_CHECK_MAX_CLASSES][LOCK_CHECK_MAX_CLASSES];
static struct lock_check_pair lock_check_pairs[LOCK_CHECK_MAX_PAIRS];
static unsigned lock_check_pair_count;
/* Inversions already reported, [taken][held], so each is printed once. */
static bool lock_check_inverted[LOCK_CHECK_MAX_CLASSES][LOCK_CHECK_MAX_CLASSES];
static unsigned lock_check_inversions;
static bool lock_check_detailed_report_done;
static bool lock_check_stopped;	/* a table filled: nothing is recorded */
static struct lock_check_capture *lock_check_capture_target;

static struct lock_check_cpu lock_check_cpus[CONFIG_MAX_CPUS];

/* Serialises the printing of inversion reports (lock_check_deliver); taken
 * with no other checker lock held, busy set. */
static uint32_t lock_check_report_lock;

/* The checker's own bare locks: test-and-test-and-set on a word. They are
 * held for short table updates or one report, never nested in each other. */
static void lock_check_word_enter(uint32_t *word)
{
	while (__atomic_exchange_n(word, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(word, __ATOMIC_RELAXED))
			spin_relax();
	}
}

static void lock_check_word_leave(uint32_t *word)
{
	__atomic_store_n(word, 0, __ATOMIC_RELEASE);
}

static void lock_check_table_enter(void)
{
	lock_check_word_enter(&lock_check_table_lock);
}

static void lock_check_table_leave(void)
{
	lock_check_word_leave(&lock_check_table_lock);
}

static const char *lock_check_name_of(const struct spinlock *lock)
{
	return lock->name ? lock->name : "(unnamed)";
}

/* The class id of name, or -1 (table lock held). */
static int lock_check_find_class(const char *name)
{
	for (unsigned i = 0; i < lock_check_class_count; i++) {
		if (lock_check_class_names[i] == name)
			return (int)i;
	}
	for (unsigned i = 0; i < lock_check_class_count; i++) {
		if (strcmp(lock_check_class_names[i], name) == 0)
			return (int)i;
	}
	return -1;
}

/* The lock's class id, looked up once and cached in the lock; a new name
 * gets a class. -1 when the class table is full (table lock held). */
static int lock_check_class_of(struct spinlock *lock)
{
	if (lock->check_class)
		return lock->check_class - 1;
	const char *name = lock_check_name_of(lock);
	int id = lock_check_find_class(name);
	if (id < 0) {
		if (lock_check_class_count == LOCK_CHECK_MAX_CLASSES)
			return -1;
		id = (int)lock_check_class_count++;
		lock_check_class_names[id] = name;
	}
	__atomic_store_n(&lock->check_class, (uint16_t)(id + 1),
			 __ATOMIC_RELAXED);
	return id;
}

/* Records pair (held, taken) with stack; false when the table is full
 * (table lock held). */
static bool lock_check_add_pair(unsigned held, unsigned taken,
				const uint64_t *stack, unsigned depth)
{
	if (lock_check_pair_count == LOCK_CHECK_MAX_PAIRS)
		return false;
	for (unsigned slot = 0; slot < LOCK_CHECK_MAX_PAIRS; slot++) {
		struct lock_check_pair *pair = &lock_check_pairs[slot];
		if (pair->used)
			continue;
		pair->used = true;
		pair->held = (uint16_t)held;
		pair->taken = (uint16_t)taken;
		pair->depth = depth;
		memcpy(pair->stack, stack, depth * sizeof(stack[0]));
		__atomic_store_n(&lock_check_pair_slot[held][taken],
				 (uint16_t)(slot + 1), __ATOMIC_RELAXED);
		lock_check_pair_count++;
		return true;
	}
	return false;
}

static void lock_check_print_stack(const uint64_t *stack, unsigned depth)
{
	if (depth == 0)
		printk("  (no frames)\n");
	for (unsigned i = 0; i < depth; i++) {
		printk("  #%-2u ", i);
		backtrace_print_symbol(stack[i] - 1);	/* the call, not after */
	}
}

/* What one acquire found, decided under the table lock and acted on after
 * it is released (printing takes printk's lock). */
struct lock_check_outcome {
	bool inversion;
	struct lock_check_report report;
	const char *stopped_why;	/* a table just filled */
};

/* Checks taking class `taken` against this CPU's held locks and records
 * the new pairs (table lock held). frame: the acquire's frame pointer. */
static void lock_check_pairs_against(struct lock_check_cpu *cpu, unsigned taken,
				     uint64_t frame,
				     struct lock_check_outcome *outcome)
{
	uint64_t stack[LOCK_CHECK_STACK_DEPTH];
	unsigned depth = 0;
	bool captured = false;

	for (unsigned i = 0; i < cpu->depth; i++) {
		unsigned held = cpu->held[i].class_id;
		if (held == taken) {
			__atomic_store_n(&lock_check_nested[taken], true,
					 __ATOMIC_RELAXED);
			continue;
		}
		if (lock_check_pair_slot[held][taken])
			continue;	/* the order seen before */
		if (!captured) {
			depth = backtrace_capture(frame, stack,
						  LOCK_CHECK_STACK_DEPTH);
			captured = true;
		}
		uint16_t reverse = lock_check_pair_slot[taken][held];
		if (reverse) {
			if (outcome->inversion)
				continue;	/* one report per acquire */
			const struct lock_check_pair *then =
				&lock_check_pairs[reverse - 1];
			struct lock_check_report *r = &outcome->report;
			outcome->inversion = true;
			r->held_name = lock_check_class_names[held];
			r->taken_name = lock_check_class_names[taken];
			memcpy(r->stack_now, stack, depth * sizeof(stack[0]));
			r->depth_now = depth;
			memcpy(r->stack_then, then->stack,
			       then->depth * sizeof(then->stack[0]));
			r->depth_then = then->depth;
			continue;
		}
		if (!lock_check_add_pair(held, taken, stack, depth)) {
			lock_check_stopped = true;
			outcome->stopped_why = "the pair table is full";
			return;
		}
	}
}

/* Prints or captures an inversion (outside the table lock, busy set). */
static void lock_check_deliver(struct lock_check_outcome *outcome,
			       unsigned taken, unsigned held)
{
	const struct lock_check_report *r = &outcome->report;
	struct lock_check_capture *capture =
		__atomic_load_n(&lock_check_capture_target, __ATOMIC_ACQUIRE);

	lock_check_table_enter();
	if (capture) {
		/* Under the table lock: two CPUs may find one at once. */
		if (capture->count++ == 0)
			capture->first = *r;
		lock_check_table_leave();
		return;
	}
	lock_check_inversions++;
	bool detailed = !lock_check_detailed_report_done;
	bool first_of_pair = !lock_check_inverted[taken][held];
	lock_check_detailed_report_done = true;
	lock_check_inverted[taken][held] = true;
	lock_check_table_leave();

	/* One report at a time, so the lines of two CPUs' reports do not
	 * interleave (printk keeps only each line whole). */
	lock_check_word_enter(&lock_check_report_lock);
	if (detailed) {
		printk("lock order: inversion: taking \"%s\" while holding \"%s\"\n",
		       r->taken_name, r->held_name);
		printk("lock order: but \"%s\" was taken while \"%s\" was held, first at:\n",
		       r->held_name, r->taken_name);
		lock_check_print_stack(r->stack_then, r->depth_then);
		printk("lock order: \"%s\" is being taken now at:\n", r->taken_name);
		lock_check_print_stack(r->stack_now, r->depth_now);
	} else if (first_of_pair) {
		printk("lock order: inversion: taking \"%s\" while holding \"%s\" "
		       "(stacks only for the first inversion)\n",
		       r->taken_name, r->held_name);
	}
	lock_check_word_leave(&lock_check_report_lock);
}

/* The common case, without the table lock: the lock's class is known and
 * every class this CPU holds was already seen before it (or it nests in
 * itself, already seen). Then the lock is only pushed. Table entries only
 * go from unset to set (but for tests' forget_class, on this CPU), so a
 * stale read can only send the caller to the slow path. Interrupts off. */
static bool lock_check_acquire_known(struct lock_check_cpu *cpu,
				     struct spinlock *lock, bool trylock)
{
	unsigned taken = __atomic_load_n(&lock->check_class, __ATOMIC_RELAXED);

	if (taken-- == 0 || cpu->depth == LOCK_CHECK_MAX_HELD)
		return false;
	for (unsigned i = 0; !trylock && i < cpu->depth; i++) {
		unsigned held = cpu->held[i].class_id;
		bool seen = held == taken
			? __atomic_load_n(&lock_check_nested[taken], __ATOMIC_RELAXED)
			: __atomic_load_n(&lock_check_pair_slot[held][taken],
					  __ATOMIC_RELAXED) != 0;
		if (!seen)
			return false;
	}
	cpu->held[cpu->depth].lock = lock;
	cpu->held[cpu->depth].class_id = (uint16_t)taken;
	cpu->depth++;
	return true;
}

__attribute__((noinline))
void lock_check_acquire(struct spinlock *lock, bool trylock)
{
	uint64_t frame = (uint64_t)__builtin_frame_address(0);
	unsigned long flags = irq_save();
	struct lock_check_cpu *cpu = &lock_check_cpus[cpu_current()];
	struct lock_check_outcome outcome = { .inversion = false };
	int held_class = -1;

	if (cpu->busy || __atomic_load_n(&lock_check_stopped, __ATOMIC_RELAXED) ||
	    lock_check_acquire_known(cpu, lock, trylock)) {
		irq_restore(flags);
		return;
	}
	cpu->busy = true;
	lock_check_table_enter();
	int taken = lock_check_class_of(lock);
	if (taken < 0) {
		lock_check_stopped = true;
		outcome.stopped_why = "the class table is full";
	} else if (cpu->depth == LOCK_CHECK_MAX_HELD) {
		lock_check_stopped = true;
		outcome.stopped_why = "a CPU holds too many locks to track";
	} else {
		if (!trylock)
			lock_check_pairs_against(cpu, (unsigned)taken, frame,
						 &outcome);
		cpu->held[cpu->depth].lock = lock;
		cpu->held[cpu->depth].class_id = (uint16_t)taken;
		cpu->depth++;
	}
	if (outcome.inversion)
		held_class = lock_check_find_class(outcome.report.held_name);
	lock_check_table_leave();

	if (outcome.inversion)
		lock_check_deliver(&outcome, (unsigned)taken, (unsigned)held_class);
	if (outcome.stopped_why)
		printk("lock order: %s; the checker stops recording\n",
		       outcome.stopped_why);
	cpu->busy = false;
	irq_restore(flags);
}

void lock_check_release(struct spinlock *lock)
{
	unsigned long flags = irq_save();
	struct lock_check_cpu *cpu = &lock_check_cpus[cpu_current()];

	/* The innermost entry for this lock; locks may be released in any
	 * order. A lock not found was taken while the checker was busy. */
	for (unsigned i = cpu->depth; i-- > 0;) {
		if (cpu->held[i].lock != lock)
			continue;
		for (unsigned j = i + 1; j < cpu->depth; j++)
			cpu->held[j - 1] = cpu->held[j];
		cpu->depth--;
		break;
	}
	irq_restore(flags);
}

unsigned lock_check_inversion_count(void)
{
	return __atomic_load_n(&lock_check_inversions, __ATOMIC_RELAXED);
}

unsigned lock_check_held_depth(void)
{
	unsigned long flags = irq_save();
	unsigned depth = lock_check_cpus[cpu_current()].depth;

	irq_restore(flags);
	return depth;
}

void lock_check_held_truncate(unsigned depth)
{
	unsigned long flags = irq_save();
	struct lock_check_cpu *cpu = &lock_check_cpus[cpu_current()];

	if (depth < cpu->depth)
		cpu->depth = depth;
	irq_restore(flags);
}

void lock_check_capture_start(struct lock_check_capture *capture)
{
	memset(capture, 0, sizeof(*capture));
	__atomic_store_n(&lock_check_capture_target, capture, __ATOMIC_RELEASE);
}

void lock_check_capture_stop(void)
{
	__atomic_store_n(&lock_check_capture_target, NULL, __ATOMIC_RELEASE);
}

/* Runs with the table lock held and this CPU marked busy, so the caller
 * may print (printk's lock is then not watched). */
static unsigned long lock_check_enter_quiet(void)
{
	unsigned long flags = irq_save();

	lock_check_cpus[cpu_current()].busy = true;
	lock_check_table_enter();
	return flags;
}

static void lock_check_leave_quiet(unsigned long flags)
{
	lock_check_table_leave();
	lock_check_cpus[cpu_current()].busy = false;
	irq_restore(flags);
}

void lock_check_forget_class(const char *name)
{
	unsigned long flags = lock_check_enter_quiet();
	int id = lock_check_find_class(name);

	if (id >= 0) {
		for (unsigned other = 0; other < LOCK_CHECK_MAX_CLASSES; other++) {
			uint16_t *ends[2] = { &lock_check_pair_slot[id][other],
					      &lock_check_pair_slot[other][id] };
			for (unsigned e = 0; e < 2; e++) {
				if (!*ends[e])
					continue;
				lock_check_pairs[*ends[e] - 1].used = false;
				lock_check_pair_count--;
				__atomic_store_n(ends[e], 0, __ATOMIC_RELAXED);
			}
			lock_check_inverted[id][other] = false;
			lock_check_inverted[other][id] = false;
		}
		lock_check_nested[id] = false;
	}
	lock_check_leave_quiet(flags);
}

bool lock_check_class_nested(const char *name)
{
	unsigned long flags = lock_check_enter_quiet();
	int id = lock_check_find_class(name);
	bool nested = id >= 0 && lock_check_nested[id];

	lock_check_leave_quiet(flags);
	return nested;
}

bool lock_check_pair_recorded(const char *held, const char *taken)
{
	unsigned long flags = lock_check_enter_quiet();
	int a = lock_check_find_class(held), b = lock_check_find_class(taken);
	bool recorded = a >= 0 && b >= 0 && lock_check_pair_slot[a][b] != 0;

	lock_check_leave_quiet(flags);
	return recorded;
}

bool lock_check_recording_stopped(void)
{
	return __atomic_load_n(&lock_check_stopped, __ATOMIC_RELAXED);
}

void lock_check_reset(void)
{
	unsigned long flags = lock_check_enter_quiet();

	lock_check_class_count = 0;
	lock_check_pair_count = 0;
	lock_check_inversions = 0;
	lock_check_detailed_report_done = false;
	lock_check_stopped = false;
	memset(lock_check_nested, 0, sizeof(lock_check_nested));
	memset(lock_check_pair_slot, 0, sizeof(lock_check_pair_slot));
	memset(lock_check_pairs, 0, sizeof(lock_check_pairs));
	memset(lock_check_inverted, 0, sizeof(lock_check_inverted));
	for (unsigned i = 0; i < CONFIG_MAX_CPUS; i++)
		lock_check_cpus[i].depth = 0;
	lock_check_leave_quiet(flags);
}

void lock_check_dump(void)
{
	unsigned long flags = lock_check_enter_quiet();

	printk("lock order: observed order (\"A -> B\": B was taken while A was held):\n");
	for (unsigned held = 0; held < lock_check_class_count; held++) {
		if (lock_check_nested[held])
			printk("lock order:   %s -> %s (same class nested)\n",
			       lock_check_class_names[held],
			       lock_check_class_names[held]);
		for (unsigned taken = 0; taken < lock_check_class_count; taken++) {
			uint16_t slot = lock_check_pair_slot[held][taken];
			if (!slot)
				continue;
			const struct lock_check_pair *pair = &lock_check_pairs[slot - 1];
			printk("lock order:   %s -> %s, first seen taken at:\n",
			       lock_check_class_names[held],
			       lock_check_class_names[taken]);
			/* Where the lock was taken and that function's caller:
			 * enough to find the path without the whole stack. */
			lock_check_print_stack(pair->stack,
					       pair->depth < 2 ? pair->depth : 2);
		}
	}
	printk("lock order: %u classes, %u pairs, %u inversions%s\n",
	       lock_check_class_count, lock_check_pair_count,
	       lock_check_inversions,
	       lock_check_stopped ? ", recording stopped (a table filled)" : "");
	lock_check_leave_quiet(flags);
}

#endif
