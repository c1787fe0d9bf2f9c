/*
 * ktests of the lock-order checker (kernel/lib/lock_check.h), built only
 * when it is on (CONFIG_LOCK_CHECK=1). Each case uses its own test classes,
 * captures what the checker reports (so a deliberate inversion is caught
 * here instead of failing the run) and forgets its classes at the end, so
 * the order printed after the run is the tree's own.
 */
#include "kernel/lib/spinlock.h"

#if CONFIG_LOCK_CHECK

#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/ksyms.h"

#define TEST_CLASS_A "lock_check_test_a"
#define TEST_CLASS_B "lock_check_test_b"
#define TEST_CLASS_C "lock_check_test_c"
#define TEST_CLASS_NEST "lock_check_test_nest"

/* The test classes' locks; each case takes them on one CPU. */
static struct spinlock lock_check_test_a = SPINLOCK_INIT(TEST_CLASS_A);
static struct spinlock lock_check_test_b = SPINLOCK_INIT(TEST_CLASS_B);
static struct spinlock lock_check_test_c = SPINLOCK_INIT(TEST_CLASS_C);

static void lock_check_test_forget_all(void)
{
	lock_check_forget_class(TEST_CLASS_A);
	lock_check_forget_class(TEST_CLASS_B);
	lock_check_forget_class(TEST_CLASS_C);
	lock_check_forget_class(TEST_CLASS_NEST);
}

/* Whether address (a return address) lies in the function called name. */
static bool lock_check_test_in_function(uint64_t address, const char *name)
{
	const char *found;
	uint64_t offset;

	return ksym_lookup(address - 1, &found, &offset) &&
	       strcmp(found, name) == 0;
}

/* A then B: the first order, seen here (the recorded stack starts here). */
__attribute__((noinline))
static void lock_check_test_a_then_b(void)
{
	spin_lock(&lock_check_test_a);
	spin_lock(&lock_check_test_b);
	spin_unlock(&lock_check_test_b);
	spin_unlock(&lock_check_test_a);
}

KTEST(lock_check, inversion_caught_with_names_and_stacks)
{
	struct lock_check_capture capture;
	unsigned counted = lock_check_inversion_count();

	lock_check_test_forget_all();
	lock_check_capture_start(&capture);
	lock_check_test_a_then_b();
	spin_lock(&lock_check_test_b);
	spin_lock(&lock_check_test_a);		/* the inversion */
	spin_unlock(&lock_check_test_a);
	spin_unlock(&lock_check_test_b);
	lock_check_capture_stop();

	KTEST_EXPECT_EQ(t, capture.count, 1);
	KTEST_ASSERT(t, capture.first.held_name && capture.first.taken_name);
	KTEST_EXPECT(t, strcmp(capture.first.held_name, TEST_CLASS_B) == 0);
	KTEST_EXPECT(t, strcmp(capture.first.taken_name, TEST_CLASS_A) == 0);
	KTEST_EXPECT(t, capture.first.depth_now > 0);
	KTEST_EXPECT(t, capture.first.depth_then > 0);
	KTEST_EXPECT(t, lock_check_test_in_function(
		capture.first.stack_now[0],
		"ktest_fn_lock_check_inversion_caught_with_names_and_stacks"));
	KTEST_EXPECT(t, lock_check_test_in_function(capture.first.stack_then[0],
						    "lock_check_test_a_then_b"));
	/* Captured, so not counted against the run. */
	KTEST_EXPECT_EQ(t, lock_check_inversion_count(), counted);
	KTEST_EXPECT(t, lock_check_pair_recorded(TEST_CLASS_A, TEST_CLASS_B));
	KTEST_EXPECT(t, !lock_check_pair_recorded(TEST_CLASS_B, TEST_CLASS_A));
	lock_check_test_forget_all();
	KTEST_EXPECT(t, !lock_check_pair_recorded(TEST_CLASS_A, TEST_CLASS_B));
}

KTEST(lock_check, consistent_nesting_not_reported)
{
	struct lock_check_capture capture;

	lock_check_test_forget_all();
	lock_check_capture_start(&capture);
	for (int round = 0; round < 3; round++) {
		unsigned long flags = spin_lock_irqsave(&lock_check_test_a);
		spin_lock(&lock_check_test_b);
		spin_lock(&lock_check_test_c);
		spin_unlock(&lock_check_test_c);
		spin_unlock(&lock_check_test_b);
		spin_lock(&lock_check_test_c);	/* A then C alone: same order */
		spin_unlock(&lock_check_test_c);
		spin_unlock_irqrestore(&lock_check_test_a, flags);
		spin_lock(&lock_check_test_b);	/* B then C, A released */
		spin_lock(&lock_check_test_c);
		spin_unlock(&lock_check_test_c);
		spin_unlock(&lock_check_test_b);
	}
	lock_check_capture_stop();

	KTEST_EXPECT_EQ(t, capture.count, 0);
	KTEST_EXPECT(t, lock_check_pair_recorded(TEST_CLASS_A, TEST_CLASS_B));
	KTEST_EXPECT(t, lock_check_pair_recorded(TEST_CLASS_A, TEST_CLASS_C));
	KTEST_EXPECT(t, lock_check_pair_recorded(TEST_CLASS_B, TEST_CLASS_C));
	KTEST_EXPECT(t, !lock_check_pair_recorded(TEST_CLASS_C, TEST_CLASS_A));
	lock_check_test_forget_all();
}

KTEST(lock_check, same_class_nesting_is_not_an_inversion)
{
	/* Two locks of one class; the second's name is another copy of the
	 * string, so the class is found by content, not by pointer. */
	static const char other_copy[] = TEST_CLASS_NEST;
	struct spinlock first = SPINLOCK_INIT(TEST_CLASS_NEST);
	struct spinlock second;
	struct lock_check_capture capture;

	spin_init(&second, other_copy);
	lock_check_test_forget_all();
	lock_check_capture_start(&capture);
	spin_lock(&first);
	spin_lock(&second);
	spin_unlock(&second);
	spin_unlock(&first);
	spin_lock(&second);			/* the other way round */
	spin_lock(&first);
	spin_unlock(&first);
	spin_unlock(&second);
	lock_check_capture_stop();

	KTEST_EXPECT_EQ(t, capture.count, 0);
	KTEST_EXPECT(t, lock_check_class_nested(TEST_CLASS_NEST));
	KTEST_EXPECT(t, !lock_check_pair_recorded(TEST_CLASS_NEST,
						  TEST_CLASS_NEST));
	lock_check_test_forget_all();
	KTEST_EXPECT(t, !lock_check_class_nested(TEST_CLASS_NEST));
}

KTEST(lock_check, trylock_is_held_but_not_checked)
{
	struct lock_check_capture capture;

	lock_check_test_forget_all();
	lock_check_capture_start(&capture);
	spin_lock(&lock_check_test_b);
	spin_lock(&lock_check_test_a);		/* B before A */
	spin_unlock(&lock_check_test_a);
	spin_unlock(&lock_check_test_b);
	spin_lock(&lock_check_test_a);
	KTEST_EXPECT(t, spin_trylock(&lock_check_test_b));	/* cannot wait */
	spin_lock(&lock_check_test_c);		/* B is held: B before C */
	spin_unlock(&lock_check_test_c);
	spin_unlock(&lock_check_test_b);
	spin_unlock(&lock_check_test_a);
	lock_check_capture_stop();

	KTEST_EXPECT_EQ(t, capture.count, 0);
	KTEST_EXPECT(t, !lock_check_pair_recorded(TEST_CLASS_A, TEST_CLASS_B));
	KTEST_EXPECT(t, lock_check_pair_recorded(TEST_CLASS_B, TEST_CLASS_C));
	KTEST_EXPECT(t, lock_check_pair_recorded(TEST_CLASS_A, TEST_CLASS_C));
	lock_check_test_forget_all();
}

/* Holds A and traps (an invalid instruction): ktest_catch abandons this
 * with A still locked. */
static void lock_check_test_fault_holding_a(void *arg)
{
	(void)arg;
	spin_lock(&lock_check_test_a);
	__builtin_trap();
}

KTEST(lock_check, abandoned_code_leaves_no_held_lock)
{
	struct ktest_trap trap;
	unsigned depth = lock_check_held_depth();

	lock_check_test_forget_all();
	KTEST_ASSERT(t, ktest_catch(lock_check_test_fault_holding_a, NULL, &trap));
	KTEST_EXPECT_EQ(t, lock_check_held_depth(), depth);
	spin_unlock(&lock_check_test_a);	/* the word itself stayed set */
	spin_lock(&lock_check_test_b);		/* no A->B pair from a ghost */
	spin_unlock(&lock_check_test_b);
	KTEST_EXPECT(t, !lock_check_pair_recorded(TEST_CLASS_A, TEST_CLASS_B));
	lock_check_test_forget_all();
}

#endif
