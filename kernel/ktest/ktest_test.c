/*
 * ktest suite "ktest": the framework's own guarantees. ktest_catch returns
 * false when nothing faults and keeps working after a catch; the watchdog
 * abandons a function that spins; catches nest; the symbol table resolves
 * this very function.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/lib/ksyms.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/time.h"

static void do_nothing(void *arg)
{
	*(int *)arg = 42;
}

KTEST(ktest, catch_without_exception)
{
	struct ktest_trap trap;
	int value = 0;

	KTEST_EXPECT(t, !ktest_catch(do_nothing, &value, &trap));
	KTEST_EXPECT_EQ(t, trap.vector, -1);
	KTEST_EXPECT_EQ(t, value, 42);
}

static void spin_forever(void *arg)
{
	volatile uint64_t *counter = arg;

	for (;;)
		(*counter)++;
}

KTEST(ktest, watchdog_abandons_a_spinning_function)
{
	struct ktest_trap trap;
	volatile uint64_t counter = 0;
	uint64_t start = time_ticks_ms();

	KTEST_ASSERT(t, ktest_catch_timeout(spin_forever, (void *)&counter,
					    &trap, 50));
	KTEST_EXPECT_EQ(t, trap.vector, KTEST_TRAP_TIMEOUT);
	KTEST_EXPECT(t, counter > 0);
	KTEST_EXPECT(t, time_ticks_ms() - start >= 50);
}

static void fault_inside(void *arg)
{
	(void)arg;
	__asm__ __volatile__("ud2");
}

static void catch_inside(void *arg)
{
	struct ktest_trap *inner = arg;

	ktest_catch(fault_inside, NULL, inner);
	/* Reached only if the inner catch took the fault. */
	__asm__ __volatile__("int3");
}

KTEST(ktest, catches_nest)
{
	struct ktest_trap outer, inner;

	KTEST_ASSERT(t, ktest_catch(catch_inside, &inner, &outer));
	KTEST_EXPECT_EQ(t, inner.vector, 6);	/* #UD, inner */
	KTEST_EXPECT_EQ(t, outer.vector, 3);	/* #BP, outer */
}

KTEST(ktest, symbols_resolve)
{
	const char *name = NULL;
	uint64_t offset = 0;
	uint64_t here = (uint64_t)ktest_fn_ktest_symbols_resolve;

	KTEST_ASSERT(t, ksym_count() > 0);
	KTEST_ASSERT(t, ksym_lookup(here + 3, &name, &offset));
	KTEST_EXPECT_EQ(t, offset, 3);
	KTEST_EXPECT_EQ(t, ksym_address(name), here);
	KTEST_EXPECT_EQ(t, ksym_address("kmain") != 0, 1);
}

KTEST(ktest, ticks_advance_with_interrupts_on)
{
	uint64_t start = time_ticks_ms();

	time_delay_ms(20);
	KTEST_EXPECT(t, time_ticks_ms() - start >= 10);
	KTEST_EXPECT(t, time_uptime_ns() > 0);
}

KTEST(ktest, filter_words_and_exclusions)
{
	KTEST_EXPECT(t, ktest_filter_matches("all", "a", "b"));
	KTEST_EXPECT(t, ktest_filter_matches("x,a", "a", "b"));
	KTEST_EXPECT(t, ktest_filter_matches("a.b", "a", "b"));
	KTEST_EXPECT(t, !ktest_filter_matches("a.bc", "a", "b"));
	KTEST_EXPECT(t, !ktest_filter_matches("ab", "a", "b"));
	KTEST_EXPECT(t, !ktest_filter_matches("all,-a.b", "a", "b"));
	KTEST_EXPECT(t, ktest_filter_matches("all,-a.b", "a", "c"));
	KTEST_EXPECT(t, !ktest_filter_matches("all,-a", "a", "c"));
	KTEST_EXPECT(t, !ktest_filter_matches("-a", "b", "c"));
	KTEST_EXPECT(t, !ktest_filter_matches("", "a", "b"));
}

/* A filter that selects nothing is an error, not an empty pass: ktest_run
 * returns before printing any KTAP (so calling it from a case is safe). */
KTEST(ktest, repeated_filter_words_add_up)
{
	char filter[16] = "";

	KTEST_EXPECT(t, ktest_filter_append(filter, sizeof(filter), "a,-a.b"));
	KTEST_EXPECT(t, ktest_filter_append(filter, sizeof(filter), "c"));
	KTEST_EXPECT(t, strcmp(filter, "a,-a.b,c") == 0);
	KTEST_EXPECT(t, ktest_filter_matches(filter, "c", "x"));
	KTEST_EXPECT(t, !ktest_filter_matches(filter, "a", "b"));
	KTEST_EXPECT(t, !ktest_filter_append(filter, sizeof(filter), ""));
	/* "a,-a.b,c" + ",1234567" is 16 bytes, one over with the NUL */
	KTEST_EXPECT(t, !ktest_filter_append(filter, sizeof(filter), "1234567"));
	KTEST_EXPECT(t, ktest_filter_append(filter, sizeof(filter), "123456"));
	KTEST_EXPECT(t, strcmp(filter, "a,-a.b,c,123456") == 0);
}

KTEST(ktest, empty_selection_fails)
{
	static const char *const filters[] = { "nonexistent", ",", "-all",
					       "all,-all", "ktest.nosuch" };

	for (unsigned i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		KTEST_EXPECT_EQ(t, ktest_count_selected(filters[i]), 0);
		KTEST_EXPECT(t, !ktest_run(filters[i]));
	}
	KTEST_EXPECT(t, ktest_count_selected("ktest.empty_selection_fails") == 1);
}
