/*
 * ktest suite "trap": each exception class raised on purpose, caught by
 * ktest_catch, and checked for the right vector, error bits, faulting
 * address and instruction. The test goes on afterwards, which is itself the
 * check that the handlers return control cleanly.
 */
#include <stdint.h>
#include "arch/x86/trap_frame.h"
#include "kernel/lib/ksyms.h"
#include "kernel/ktest/ktest.h"

/* A lower-half address no page table maps. */
#define UNMAPPED_ADDRESS 0x0000100000000000ull

static void raise_divide_error(void *arg)
{
	uint32_t divisor = 0;

	(void)arg;
	/* The instruction itself: a C division by zero is undefined and the
	 * compiler may turn 1 / x into a comparison. */
	__asm__ __volatile__("divl %0" : : "r"(divisor), "a"(1), "d"(0));
}

KTEST(trap, divide_error)
{
	struct ktest_trap trap;

	KTEST_ASSERT(t, ktest_catch(raise_divide_error, NULL, &trap));
	KTEST_EXPECT_EQ(t, trap.vector, X86_VECTOR_DIVIDE);
}

/* ud2 at a known label, so the reported instruction can be checked. */
__asm__(".text\n"
	".globl trap_test_ud2_function\n"
	"trap_test_ud2_function:\n"
	"trap_test_ud2_instruction:\n"
	"	ud2\n"
	"	ret\n");
void trap_test_ud2_function(void *arg);

KTEST(trap, invalid_opcode)
{
	struct ktest_trap trap;

	KTEST_ASSERT(t, ktest_catch(trap_test_ud2_function, NULL, &trap));
	KTEST_EXPECT_EQ(t, trap.vector, X86_VECTOR_INVALID_OPCODE);
	KTEST_EXPECT_EQ(t, trap.instruction, (uint64_t)trap_test_ud2_function);
}

static void raise_general_protection(void *arg)
{
	(void)arg;
	/* A non-canonical address: #GP with error code 0, not a #PF. */
	(void)*(volatile uint64_t *)0x8000000000000000ull;
}

KTEST(trap, general_protection)
{
	struct ktest_trap trap;

	KTEST_ASSERT(t, ktest_catch(raise_general_protection, NULL, &trap));
	KTEST_EXPECT_EQ(t, trap.vector, X86_VECTOR_GENERAL_PROTECTION);
	KTEST_EXPECT_EQ(t, trap.error_code, 0);
}

static void read_unmapped(void *arg)
{
	(void)arg;
	(void)*(volatile uint64_t *)UNMAPPED_ADDRESS;
}

KTEST(trap, page_fault_read_unmapped)
{
	struct ktest_trap trap;

	KTEST_ASSERT(t, ktest_catch(read_unmapped, NULL, &trap));
	KTEST_EXPECT_EQ(t, trap.vector, X86_VECTOR_PAGE_FAULT);
	KTEST_EXPECT_EQ(t, trap.fault_address, UNMAPPED_ADDRESS);
	KTEST_EXPECT_EQ(t, trap.error_code & (X86_PF_PRESENT | X86_PF_WRITE |
					      X86_PF_USER | X86_PF_FETCH), 0);
}

static void write_kernel_text(void *arg)
{
	*(volatile uint8_t *)arg = 0xc3;
}

KTEST(trap, page_fault_write_read_only)
{
	struct ktest_trap trap;
	void *text = (void *)write_kernel_text;

	KTEST_ASSERT(t, ktest_catch(write_kernel_text, text, &trap));
	KTEST_EXPECT_EQ(t, trap.vector, X86_VECTOR_PAGE_FAULT);
	KTEST_EXPECT_EQ(t, trap.fault_address, (uint64_t)text);
	KTEST_EXPECT_EQ(t, trap.error_code & (X86_PF_PRESENT | X86_PF_WRITE |
					      X86_PF_FETCH),
			X86_PF_PRESENT | X86_PF_WRITE);
}

/* A "ret" in writable data: executing it must fault (NX). */
static uint8_t trap_test_data_code[16] = { 0xc3 };

static void execute_data(void *arg)
{
	((void (*)(void))arg)();
}

KTEST(trap, page_fault_fetch_no_execute)
{
	struct ktest_trap trap;

	KTEST_ASSERT(t, ktest_catch(execute_data, trap_test_data_code, &trap));
	KTEST_EXPECT_EQ(t, trap.vector, X86_VECTOR_PAGE_FAULT);
	KTEST_EXPECT_EQ(t, trap.fault_address, (uint64_t)trap_test_data_code);
	KTEST_EXPECT_EQ(t, trap.instruction, (uint64_t)trap_test_data_code);
	KTEST_EXPECT_EQ(t, trap.error_code & (X86_PF_PRESENT | X86_PF_FETCH),
			X86_PF_PRESENT | X86_PF_FETCH);
}

static void raise_breakpoint(void *arg)
{
	(void)arg;
	__asm__ __volatile__("int3");
}

KTEST(trap, breakpoint)
{
	struct ktest_trap trap;

	KTEST_ASSERT(t, ktest_catch(raise_breakpoint, NULL, &trap));
	KTEST_EXPECT_EQ(t, trap.vector, X86_VECTOR_BREAKPOINT);
}

extern const char boot_stack_guard[];

KTEST(trap, stack_guard_pages_known)
{
	KTEST_EXPECT(t, trap_is_stack_guard((uint64_t)boot_stack_guard));
	KTEST_EXPECT(t, !trap_is_stack_guard((uint64_t)boot_stack_guard + 4096));
}

KTEST(trap, vector_names)
{
	KTEST_EXPECT(t, trap_vector_name(X86_VECTOR_PAGE_FAULT)[1] == 'P');
	KTEST_EXPECT(t, trap_vector_name(X86_VECTOR_DOUBLE_FAULT)[1] == 'D');
	KTEST_EXPECT(t, trap_vector_name(200)[0] == 'i');
}
