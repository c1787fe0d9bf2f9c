/*
 * Host tests of the lock-order checker's core (kernel/lib/lock_check.c),
 * built with CONFIG_LOCK_CHECK=1 and small tables (8 classes, 6 pairs, 4
 * held locks per CPU; mk/lock_check.mk). The real spinlock functions call
 * the checker; backtraces are stand-ins that number each capture, so a test
 * can tell the stack of one acquire from another's.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "kernel/lib/lock_check.h"
#include "kernel/lib/spinlock.h"
#include "tests/host/host_shim.h"
#include "tests/host/htest.h"

extern __thread unsigned host_cpu_index;

/* Each capture returns two addresses: 0x1000 * n and 0x1000 * n + 8. */
static uint64_t test_captures;

unsigned backtrace_capture(uint64_t frame_pointer, uint64_t *return_addresses,
			   unsigned max)
{
	(void)frame_pointer;
	test_captures++;
	unsigned count = max < 2 ? max : 2;
	for (unsigned i = 0; i < count; i++)
		return_addresses[i] = 0x1000 * test_captures + 8 * i;
	return count;
}

void backtrace_print_symbol(uint64_t address)
{
	printf("0x%llx\n", (unsigned long long)address);
}

static struct spinlock lock_a, lock_b, lock_c, lock_a_twin;

/* A fresh checker and fresh locks (their cached classes die with reset). */
static void test_fresh(void)
{
	lock_check_reset();
	host_cpu_index = 0;
	spin_init(&lock_a, "a");
	spin_init(&lock_b, "b");
	spin_init(&lock_c, "c");
	spin_init(&lock_a_twin, "a");
}

static void test_take_two(struct spinlock *first, struct spinlock *second)
{
	spin_lock(first);
	spin_lock(second);
	spin_unlock(second);
	spin_unlock(first);
}

HTEST(reverse_order_is_counted_once_per_occurrence)
{
	test_fresh();
	test_take_two(&lock_a, &lock_b);
	HCHECK(lock_check_pair_recorded("a", "b"));
	HCHECK_EQ(lock_check_inversion_count(), 0);
	test_take_two(&lock_b, &lock_a);
	HCHECK_EQ(lock_check_inversion_count(), 1);
	HCHECK(!lock_check_pair_recorded("b", "a"));	/* never the reverse */
	test_take_two(&lock_b, &lock_a);
	HCHECK_EQ(lock_check_inversion_count(), 2);
	HCHECK(!lock_check_recording_stopped());
}

HTEST(capture_gets_names_and_both_stacks)
{
	struct lock_check_capture capture;

	test_fresh();
	test_take_two(&lock_a, &lock_b);
	uint64_t first_capture = test_captures;
	lock_check_capture_start(&capture);
	test_take_two(&lock_b, &lock_a);
	test_take_two(&lock_b, &lock_a);
	lock_check_capture_stop();

	HCHECK_EQ(capture.count, 2);
	HCHECK(strcmp(capture.first.held_name, "b") == 0);
	HCHECK(strcmp(capture.first.taken_name, "a") == 0);
	HCHECK_EQ(capture.first.depth_then, 2);
	HCHECK_EQ(capture.first.stack_then[0], 0x1000 * first_capture);
	HCHECK_EQ(capture.first.depth_now, 2);
	HCHECK(capture.first.stack_now[0] > capture.first.stack_then[0]);
	HCHECK_EQ(lock_check_inversion_count(), 0);
}

HTEST(consistent_order_is_quiet)
{
	test_fresh();
	for (int round = 0; round < 4; round++) {
		spin_lock(&lock_a);
		test_take_two(&lock_b, &lock_c);
		spin_unlock(&lock_a);
		test_take_two(&lock_a, &lock_c);
	}
	HCHECK_EQ(lock_check_inversion_count(), 0);
	HCHECK(lock_check_pair_recorded("a", "b"));
	HCHECK(lock_check_pair_recorded("a", "c"));
	HCHECK(lock_check_pair_recorded("b", "c"));
}

HTEST(same_class_nests_without_report)
{
	test_fresh();
	test_take_two(&lock_a, &lock_a_twin);
	test_take_two(&lock_a_twin, &lock_a);
	HCHECK_EQ(lock_check_inversion_count(), 0);
	HCHECK(lock_check_class_nested("a"));
	HCHECK(!lock_check_pair_recorded("a", "a"));
	HCHECK(!lock_check_class_nested("b"));
}

HTEST(release_in_any_order_pops_the_right_lock)
{
	test_fresh();
	spin_lock(&lock_a);
	spin_lock(&lock_b);
	spin_unlock(&lock_a);		/* A goes first */
	HCHECK_EQ(lock_check_held_depth(), 1);
	spin_lock(&lock_c);		/* only B is held */
	spin_unlock(&lock_c);
	spin_unlock(&lock_b);
	HCHECK_EQ(lock_check_held_depth(), 0);
	HCHECK(lock_check_pair_recorded("b", "c"));
	HCHECK(!lock_check_pair_recorded("a", "c"));
}

HTEST(trylock_is_held_but_never_the_inverted_one)
{
	test_fresh();
	test_take_two(&lock_b, &lock_a);
	spin_lock(&lock_a);
	HCHECK(spin_trylock(&lock_b));
	HCHECK(!spin_trylock(&lock_b));	/* taken: nothing pushed */
	spin_lock(&lock_c);
	spin_unlock(&lock_c);
	spin_unlock(&lock_b);
	spin_unlock(&lock_a);
	HCHECK_EQ(lock_check_inversion_count(), 0);
	HCHECK(lock_check_pair_recorded("b", "c"));
	HCHECK(lock_check_pair_recorded("a", "c"));
	HCHECK_EQ(lock_check_held_depth(), 0);
}

HTEST(each_cpu_has_its_own_held_stack)
{
	test_fresh();
	spin_lock(&lock_a);		/* CPU 0 holds A */
	host_cpu_index = 1;
	HCHECK_EQ(lock_check_held_depth(), 0);
	test_take_two(&lock_b, &lock_c);
	host_cpu_index = 0;
	spin_unlock(&lock_a);
	HCHECK(!lock_check_pair_recorded("a", "b"));
	HCHECK(lock_check_pair_recorded("b", "c"));
}

HTEST(forget_class_drops_its_pairs)
{
	test_fresh();
	test_take_two(&lock_a, &lock_b);
	test_take_two(&lock_b, &lock_c);
	lock_check_forget_class("b");
	HCHECK(!lock_check_pair_recorded("a", "b"));
	HCHECK(!lock_check_pair_recorded("b", "c"));
	test_take_two(&lock_b, &lock_a);	/* no longer an inversion */
	HCHECK_EQ(lock_check_inversion_count(), 0);
	HCHECK(lock_check_pair_recorded("b", "a"));
}

HTEST(truncate_forgets_abandoned_locks)
{
	test_fresh();
	spin_lock(&lock_a);
	spin_lock(&lock_b);
	lock_check_held_truncate(1);
	HCHECK_EQ(lock_check_held_depth(), 1);
	spin_lock(&lock_c);
	spin_unlock(&lock_c);
	HCHECK(lock_check_pair_recorded("a", "c"));
	HCHECK(!lock_check_pair_recorded("b", "c"));
	spin_unlock(&lock_b);		/* unknown now: ignored */
	spin_unlock(&lock_a);
	HCHECK_EQ(lock_check_held_depth(), 0);
}

HTEST(pair_table_full_stops_recording)
{
	struct spinlock locks[4];
	static const char *names[4] = { "p0", "p1", "p2", "p3" };

	test_fresh();
	for (int i = 0; i < 4; i++)
		spin_init(&locks[i], names[i]);
	/* 4 classes in one order give 6 pairs: the table's size. */
	for (int i = 0; i < 4; i++)
		spin_lock(&locks[i]);
	for (int i = 3; i >= 0; i--)
		spin_unlock(&locks[i]);
	HCHECK(!lock_check_recording_stopped());
	HCHECK(lock_check_pair_recorded("p0", "p3"));
	test_take_two(&lock_a, &lock_b);	/* the 7th pair */
	HCHECK(lock_check_recording_stopped());
	HCHECK(!lock_check_pair_recorded("a", "b"));
	test_take_two(&locks[3], &locks[0]);	/* stopped: not even checked */
	HCHECK_EQ(lock_check_inversion_count(), 0);
	HCHECK(!spin_is_locked(&locks[0]) && !spin_is_locked(&lock_a));
}

HTEST(class_table_full_stops_recording)
{
	static const char *names[9] = { "k0", "k1", "k2", "k3", "k4",
					"k5", "k6", "k7", "k8" };
	struct spinlock locks[9];

	test_fresh();
	for (int i = 0; i < 9; i++) {
		spin_init(&locks[i], names[i]);
		spin_lock(&locks[i]);	/* one at a time: no pairs */
		spin_unlock(&locks[i]);
	}
	HCHECK(lock_check_recording_stopped());
	HCHECK_EQ(lock_check_held_depth(), 0);
}

HTEST(held_stack_full_stops_recording)
{
	static const char *names[5] = { "h0", "h0", "h0", "h0", "h0" };
	struct spinlock locks[5];

	test_fresh();
	for (int i = 0; i < 5; i++) {
		spin_init(&locks[i], names[i]);	/* one class: no pairs */
		spin_lock(&locks[i]);
	}
	HCHECK(lock_check_recording_stopped());
	HCHECK_EQ(lock_check_held_depth(), 4);
	for (int i = 4; i >= 0; i--)
		spin_unlock(&locks[i]);
	HCHECK_EQ(lock_check_held_depth(), 0);
}

/* The dump names each recorded order (a -> b, and a nested in a) and ends
 * with the counts: no inversion was seen. */
HTEST(dump_runs_over_the_recorded_pairs)
{
	static char printed[1 << 14];
	char *summary;
	unsigned classes = 0, pairs = 0, inversions = 1;
	size_t length;

	test_fresh();
	test_take_two(&lock_a, &lock_b);
	test_take_two(&lock_a, &lock_a_twin);
	host_printk_capture_start(printed, sizeof(printed));
	lock_check_dump();
	length = host_printk_capture_stop();
	HCHECK(length > 0 && length < sizeof(printed));
	HCHECK(lock_check_pair_recorded("a", "b"));
	HCHECK(strstr(printed, "lock order:   a -> b, first seen taken at:\n") != NULL);
	HCHECK(strstr(printed, "lock order:   a -> a (same class nested)\n") != NULL);
	HCHECK(strstr(printed, "lock order:   b -> a") == NULL);
	/* the closing counts: the one line of that shape */
	for (summary = strstr(printed, "lock order: "); summary;
	     summary = strstr(summary + 1, "lock order: "))
		if (sscanf(summary, "lock order: %u classes, %u pairs, %u inversions",
			   &classes, &pairs, &inversions) == 3)
			break;
	HCHECK(summary != NULL);
	HCHECK_EQ(classes, 2);
	HCHECK_EQ(pairs, 1);
	HCHECK_EQ(inversions, 0);
}
