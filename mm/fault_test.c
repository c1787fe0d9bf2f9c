/*
 * ktest suite "fault": the dispatcher's four responses, each from a test
 * owner over an address range nothing else maps, reached by real page
 * faults: HANDLED (the owner maps the page, the access completes), RETRY
 * (the access is retried until the owner has mapped it), ERROR and FATAL
 * (the access does not complete: the catch handler sees the response and
 * the owner's name), and the bounds: a retry that never ends becomes FATAL,
 * and an address nobody owns is FATAL with no owner.
 */
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "mm/fault.h"
#include "mm/frame.h"
#include "mm/vmm.h"

/* A lower-half address of the kernel space no page table maps. */
#define FAULT_TEST_BASE 0x0000200000000000ull

struct fault_test_owner {
	struct fault_owner owner;
	enum fault_response answer;	/* what to answer once mapped (or not) */
	unsigned retries_before_map;	/* RETRY: calls before the page is mapped */
	unsigned calls;
	uint64_t frame;
};

static void fault_test_map(struct fault_test_owner *test, uintptr_t address)
{
	struct vmm_entry none = vmm_entry_none();
	struct vmm_entry present = vmm_entry_present(test->frame,
						     VMM_READ | VMM_WRITE);

	vmm_exchange(vmm_kernel_space(), address & ~(uintptr_t)4095, &none,
		     &present, NULL);
}

static enum fault_response fault_test_handle(struct fault_owner *owner,
					     const struct fault *fault,
					     const char **reason)
{
	struct fault_test_owner *test = owner->private_data;

	test->calls++;
	if (test->answer == FAULT_HANDLED)
		fault_test_map(test, fault->address);
	else if (test->answer == FAULT_RETRY &&
		 test->calls > test->retries_before_map)
		fault_test_map(test, fault->address);
	else if (test->answer != FAULT_RETRY)
		*reason = "the test owner refuses";
	return test->answer;
}

static const struct fault_owner_ops fault_test_ops = {
	.name = "fault-test",
	.handle = fault_test_handle,
};

static void fault_test_start(struct ktest *t, struct fault_test_owner *test,
			     enum fault_response answer)
{
	*test = (struct fault_test_owner){
		.owner = { &fault_test_ops, FAULT_TEST_BASE,
			   FAULT_TEST_BASE + 4096, test, NULL },
		.answer = answer,
		.frame = frame_alloc(),
	};
	KTEST_ASSERT(t, test->frame != FRAME_NONE);
	KTEST_ASSERT(t, fault_owner_register(&test->owner) == FAULT_OWNER_OK);
}

static void fault_test_stop(struct fault_test_owner *test)
{
	struct vmm_entry none = vmm_entry_none();

	vmm_exchange(vmm_kernel_space(), FAULT_TEST_BASE, NULL, &none, NULL);
	fault_owner_unregister(&test->owner);
	frame_free(test->frame);
}

KTEST(fault, handled_access_completes)
{
	struct fault_test_owner test;

	fault_test_start(t, &test, FAULT_HANDLED);
	*(volatile uint64_t *)FAULT_TEST_BASE = 0x1234;
	KTEST_EXPECT_EQ(t, *(volatile uint64_t *)FAULT_TEST_BASE, 0x1234);
	KTEST_EXPECT_EQ(t, test.calls, 1);
	fault_test_stop(&test);
}

KTEST(fault, retry_comes_back_until_the_page_is_there)
{
	struct fault_test_owner test;

	fault_test_start(t, &test, FAULT_RETRY);
	test.retries_before_map = 3;
	*(volatile uint64_t *)FAULT_TEST_BASE = 0x5678;
	KTEST_EXPECT_EQ(t, *(volatile uint64_t *)FAULT_TEST_BASE, 0x5678);
	KTEST_EXPECT_EQ(t, test.calls, 4);	/* three retries, then mapped */
	fault_test_stop(&test);
}

static void fault_test_expect_caught(struct ktest *t,
				     struct fault_test_owner *test,
				     enum fault_response expected)
{
	struct ktest_trap trap;

	KTEST_ASSERT(t, ktest_catch(ktest_read_byte, (void *)FAULT_TEST_BASE,
				    &trap));
	KTEST_EXPECT_EQ(t, trap.vector, 14);
	KTEST_EXPECT_EQ(t, trap.fault_address, FAULT_TEST_BASE);
	KTEST_EXPECT_EQ(t, trap.fault_response, (int)expected);
	KTEST_EXPECT(t, trap.fault_owner && trap.fault_owner == test->owner.ops->name);
}

KTEST(fault, error_reaches_the_catch_handler_with_its_owner)
{
	struct fault_test_owner test;

	fault_test_start(t, &test, FAULT_ERROR);
	fault_test_expect_caught(t, &test, FAULT_ERROR);
	KTEST_EXPECT_EQ(t, test.calls, 1);
	fault_test_stop(&test);
}

KTEST(fault, fatal_reaches_the_catch_handler_with_its_owner)
{
	struct fault_test_owner test;

	fault_test_start(t, &test, FAULT_FATAL);
	fault_test_expect_caught(t, &test, FAULT_FATAL);
	fault_test_stop(&test);
}

KTEST(fault, endless_retry_becomes_fatal)
{
	struct fault_test_owner test;

	fault_test_start(t, &test, FAULT_RETRY);
	test.retries_before_map = ~0u;	/* never maps */
	fault_test_expect_caught(t, &test, FAULT_FATAL);
	KTEST_EXPECT_EQ(t, test.calls, FAULT_RETRY_LIMIT);
	fault_test_stop(&test);
}

KTEST(fault, nobody_owns_an_unmapped_hole)
{
	struct ktest_trap trap;

	KTEST_ASSERT(t, ktest_catch(ktest_read_byte, (void *)FAULT_TEST_BASE,
				    &trap));
	KTEST_EXPECT_EQ(t, trap.fault_response, (int)FAULT_FATAL);
	KTEST_EXPECT(t, trap.fault_owner == NULL);
}

KTEST(fault, owners_may_not_overlap)
{
	struct fault_test_owner a, b;

	fault_test_start(t, &a, FAULT_HANDLED);
	b = a;
	b.owner.start += 2048;
	b.owner.end += 2048;
	KTEST_EXPECT_EQ(t, fault_owner_register(&b.owner), FAULT_OWNER_OVERLAP);
	b.owner.start = b.owner.end;
	KTEST_EXPECT_EQ(t, fault_owner_register(&b.owner), FAULT_OWNER_INVALID);
	KTEST_EXPECT_EQ(t, fault_owner_unregister(&b.owner), FAULT_OWNER_UNKNOWN);
	fault_test_stop(&a);
}
