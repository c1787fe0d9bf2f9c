/*
 * ktest suite "paging": the boot page tables give the image least
 * privilege, leave guard pages unmapped, and the direct map reaches RAM.
 */
#include <stdint.h>
#include "arch/x86/gdt.h"
#include "arch/x86/memlayout.h"
#include "arch/x86/trap_frame.h"
#include "kernel/ktest/ktest.h"

extern const char boot_stack_guard[];
extern const char kernel_rodata_start[];

KTEST(paging, rodata_is_read_only)
{
	struct ktest_trap trap;

	KTEST_EXPECT(t, !ktest_catch(ktest_read_byte, (void *)kernel_rodata_start, &trap));
	KTEST_ASSERT(t, ktest_catch(ktest_write_byte, (void *)kernel_rodata_start, &trap));
	KTEST_EXPECT_EQ(t, trap.vector, X86_VECTOR_PAGE_FAULT);
}

KTEST(paging, guard_pages_unmapped)
{
	struct ktest_trap trap;

	KTEST_ASSERT(t, ktest_catch(ktest_read_byte, (void *)boot_stack_guard, &trap));
	KTEST_EXPECT_EQ(t, trap.error_code & X86_PF_PRESENT, 0);
	for (unsigned i = 0; i < IST_COUNT; i++) {
		void *guard = (void *)gdt_ist_guard_page(i);
		KTEST_ASSERT(t, ktest_catch(ktest_read_byte, guard, &trap));
		KTEST_EXPECT_EQ(t, trap.fault_address, (uint64_t)guard);
	}
}

KTEST(paging, direct_map_aliases_the_image)
{
	/* The same byte seen through the image and the direct map. */
	static volatile uint64_t probe = 0x1234;
	volatile uint64_t *alias = (volatile uint64_t *)
		(DIRECT_MAP_BASE + ((uint64_t)&probe - KERNEL_VIRTUAL_BASE));

	KTEST_EXPECT_EQ(t, *alias, 0x1234);
	*alias = 0x5678;
	KTEST_EXPECT_EQ(t, probe, 0x5678);
}
