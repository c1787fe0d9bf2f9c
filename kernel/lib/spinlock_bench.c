/*
 * bench=spinlock: what an uncontended lock and unlock costs, alone and with
 * another lock held (the lock checker then has a pair to look up), so a
 * build with the lock-order checker (make LOCK_CHECK=1) can be compared
 * with one without. Prints cycles (time_cycles) per pair.
 */
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/time.h"

/* The bench's own locks; nothing else takes them. */
static struct spinlock spinlock_bench_outer = SPINLOCK_INIT("spinlock_bench_outer");
static struct spinlock spinlock_bench_inner = SPINLOCK_INIT("spinlock_bench_inner");

/* Cycles per lock-and-unlock of the inner lock over rounds pairs. */
static uint64_t spinlock_bench_pairs(unsigned rounds)
{
	uint64_t start = time_cycles();

	for (unsigned i = 0; i < rounds; i++) {
		spin_lock(&spinlock_bench_inner);
		spin_unlock(&spinlock_bench_inner);
	}
	return (time_cycles() - start) / rounds;
}

KBENCH(spinlock)
{
	enum { ROUNDS = 200000 };

	uint64_t alone = spinlock_bench_pairs(ROUNDS);
	spin_lock(&spinlock_bench_outer);
	uint64_t nested = spinlock_bench_pairs(ROUNDS);
	spin_unlock(&spinlock_bench_outer);
	printk("bench spinlock: lock checker %s: %llu cycles per lock+unlock "
	       "alone, %llu with another lock held\n",
	       CONFIG_LOCK_CHECK ? "on" : "off", (unsigned long long)alone,
	       (unsigned long long)nested);
}
