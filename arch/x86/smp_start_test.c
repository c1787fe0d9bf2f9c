/*
 * ktest suite "smp_start": where the start-up trampoline went. Its pages
 * must be usable RAM below 640 KiB (a start-up IPI names a page below
 * 1 MiB), page-aligned, outside the page of real-mode vectors, and clear of
 * everything the loader handed over (the multiboot2 information, the
 * modules) and of the kernel. Its code must still be there, unchanged but
 * for what it patches in itself.
 */
#include <stdbool.h>
#include <stdint.h>
#include "arch/x86/memlayout.h"
#include "arch/x86/smp_start.h"
#include "kernel/acpi.h"
#include "kernel/arch.h"
#include "kernel/bootinfo.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"

extern const char smp_trampoline_start[];

static bool smp_start_test_disjoint(uint64_t start, uint64_t end,
				    uint64_t other_start, uint64_t other_end)
{
	return end <= other_start || other_end <= start;
}

KTEST(smp_start, trampoline_in_free_low_memory)
{
	uint64_t start = smp_trampoline_physical();
	uint64_t end = start + TRAMPOLINE_PAGES * PAGE_SIZE;
	bool usable = false;

	if (!start) {
		/* Only a machine without a MADT may lack one. */
		KTEST_EXPECT(t, acpi_machine() == NULL && cpu_count() == 1);
		return;
	}
	KTEST_EXPECT_EQ(t, start % PAGE_SIZE, 0);
	KTEST_EXPECT(t, start >= PAGE_SIZE && end <= 0xa0000);
	for (unsigned i = 0; i < boot_info.memory_range_count; i++) {
		const struct boot_memory_range *r = &boot_info.memory[i];
		if (r->type == BOOT_MEMORY_USABLE && r->base <= start &&
		    end <= r->base + r->length)
			usable = true;
	}
	KTEST_EXPECT(t, usable);
	KTEST_EXPECT(t, smp_start_test_disjoint(start, end, boot_info.info_physical,
						boot_info.info_physical +
						boot_info.info_size));
	for (unsigned i = 0; i < boot_info.module_count; i++)
		KTEST_EXPECT(t, smp_start_test_disjoint(start, end,
							boot_info.modules[i].start,
							boot_info.modules[i].end));
	KTEST_EXPECT(t, smp_start_test_disjoint(start, end,
						arch_kernel_physical_start(),
						arch_kernel_physical_end()));
	/* The first bytes (cli; cld; mov ax, cs) are never patched. */
	const uint8_t *copy = (const uint8_t *)(DIRECT_MAP_BASE + start);
	for (unsigned i = 0; i < 4; i++)
		KTEST_EXPECT_EQ(t, copy[i], (uint8_t)smp_trampoline_start[i]);
}
