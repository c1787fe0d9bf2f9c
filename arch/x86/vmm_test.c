/*
 * ktest suite "vmm": address spaces over the real page tables. The faulting
 * cases prove the invalidations happened: a page touched (so its
 * translation is cached) and then unmapped or made read-only must fault on
 * the next access, which only holds if the TLB entry was flushed.
 */
#include <stdint.h>
#include <string.h>
#include "arch/x86/pte.h"
#include "arch/x86/trap_frame.h"
#include "kernel/ktest/ktest.h"
#include "mm/direct_map.h"
#include "mm/fault.h"
#include "mm/kstack.h"
#include "mm/mm.h"
#include "mm/slab.h"
#include "mm/tlb.h"
#include "mm/vmm.h"

/* Lower-half addresses nothing else maps (the trap suite uses 1 << 44),
 * each in a PML4 slot of its own so a mapping there needs fresh tables. */
#define VMM_TEST_VA     0x0000200000000000ull
#define VMM_TEST_VA2    0x0000300000000000ull

uint64_t vmm_debug_entry(struct vmm_space *space, uintptr_t va);

static void vmm_test_read(void *arg)
{
	(void)*(volatile uint64_t *)arg;
}

static void vmm_test_write(void *arg)
{
	*(volatile uint64_t *)arg = 0x1234;
}

static void vmm_test_call(void *arg)
{
	((void (*)(void))arg)();
}

static uint64_t vmm_test_free_frames(void)
{
	struct pmm_stats stats;

	pmm_get_stats(&pmm_kernel, &stats);
	return stats.free_frames;
}

static uint64_t vmm_test_frame(struct ktest *t)
{
	uint64_t frame = pmm_alloc(&pmm_kernel, 0);

	KTEST_ASSERT(t, frame != PMM_NO_FRAME);
	return frame;
}

KTEST(vmm, map_translate_unmap)
{
	struct vmm_space *kernel = vmm_kernel_space();
	uint64_t frame = vmm_test_frame(t), phys = 0;
	unsigned prot = 0;

	KTEST_ASSERT(t, vmm_map(kernel, VMM_TEST_VA, frame, VMM_READ | VMM_WRITE) == VMM_OK);
	KTEST_EXPECT(t, vmm_translate(kernel, VMM_TEST_VA + 123, &phys, &prot));
	KTEST_EXPECT_EQ(t, phys, frame + 123);
	KTEST_EXPECT_EQ(t, prot, VMM_READ | VMM_WRITE);
	*(volatile uint64_t *)VMM_TEST_VA = 0xfeedface;
	KTEST_EXPECT_EQ(t, *(volatile uint64_t *)phys_to_virt(frame), 0xfeedface);
	KTEST_EXPECT_EQ(t, vmm_map(kernel, VMM_TEST_VA, frame, VMM_READ), VMM_EXISTS);
	phys = 0;
	KTEST_EXPECT_EQ(t, vmm_unmap(kernel, VMM_TEST_VA, &phys), VMM_OK);
	KTEST_EXPECT_EQ(t, phys, frame);
	KTEST_EXPECT(t, !vmm_translate(kernel, VMM_TEST_VA, NULL, NULL));
	KTEST_EXPECT_EQ(t, vmm_unmap(kernel, VMM_TEST_VA, NULL), VMM_NOT_MAPPED);
	pmm_free(&pmm_kernel, frame, 0);
}

KTEST(vmm, bad_arguments)
{
	struct vmm_space *kernel = vmm_kernel_space();

	KTEST_EXPECT_EQ(t, vmm_map(kernel, VMM_TEST_VA + 8, 0x200000, VMM_READ), VMM_BAD_ADDRESS);
	KTEST_EXPECT_EQ(t, vmm_map(kernel, 0x0000800000000000ull, 0x200000, VMM_READ),
			VMM_BAD_ADDRESS);	/* not canonical */
	KTEST_EXPECT_EQ(t, vmm_map(kernel, VMM_TEST_VA, 0x200001, VMM_READ), VMM_BAD_ADDRESS);
	KTEST_EXPECT_EQ(t, vmm_map(kernel, VMM_TEST_VA, 0x200000, VMM_READ | VMM_GLOBAL),
			VMM_BAD_ADDRESS);	/* global belongs to the kernel half */
	KTEST_EXPECT_EQ(t, vmm_map(kernel, VMM_TEST_VA, 0x200000, 1u << 9), VMM_BAD_ADDRESS);
	KTEST_EXPECT_EQ(t, vmm_protect(kernel, VMM_TEST_VA, VMM_READ), VMM_NOT_MAPPED);
	/* The direct map is made of large pages: no 4 KiB entry to change. */
	KTEST_EXPECT_EQ(t, vmm_map(kernel, (uintptr_t)phys_to_virt(0x200000), 0x200000,
				   VMM_READ), VMM_EXISTS);
	KTEST_EXPECT_EQ(t, vmm_unmap(kernel, (uintptr_t)phys_to_virt(0x200000), NULL),
			VMM_BAD_ADDRESS);
	KTEST_EXPECT_EQ(t, vmm_set_handle(kernel, VMM_TEST_VA, VMM_HANDLE_LIMIT),
			VMM_BAD_ADDRESS);
	KTEST_EXPECT(t, !vmm_translate(kernel, VMM_TEST_VA, NULL, NULL));
}

KTEST(vmm, boot_tables_adopted)
{
	extern const char kernel_text_start[], kernel_data_start[];
	struct vmm_space *kernel = vmm_kernel_space();
	uint64_t phys;
	unsigned prot;

	KTEST_ASSERT(t, vmm_translate(kernel, (uintptr_t)kernel_text_start, &phys, &prot));
	KTEST_EXPECT_EQ(t, prot, VMM_READ | VMM_EXEC | VMM_GLOBAL);
	KTEST_ASSERT(t, vmm_translate(kernel, (uintptr_t)kernel_data_start, &phys, &prot));
	KTEST_EXPECT_EQ(t, prot, VMM_READ | VMM_WRITE | VMM_GLOBAL);
	/* Through a 1 GiB or 2 MiB page of the direct map. */
	KTEST_ASSERT(t, vmm_translate(kernel, (uintptr_t)phys_to_virt(phys), &phys, &prot));
	KTEST_EXPECT_EQ(t, phys, (uint64_t)kernel_data_start - 0xffffffff80000000ull);
	/* Writing to text faults: the trap suite's page_fault_write_read_only. */
}

KTEST(vmm, execute_from_data_faults)
{
	struct vmm_space *kernel = vmm_kernel_space();
	uint64_t frame = vmm_test_frame(t);
	struct ktest_trap trap;

	*(volatile uint8_t *)phys_to_virt(frame) = 0xc3;	/* ret */
	KTEST_ASSERT(t, vmm_map(kernel, VMM_TEST_VA, frame, VMM_READ | VMM_WRITE) == VMM_OK);
	KTEST_EXPECT(t, ktest_catch(vmm_test_call, (void *)VMM_TEST_VA, &trap));
	KTEST_EXPECT_EQ(t, trap.vector, X86_VECTOR_PAGE_FAULT);
	KTEST_EXPECT_EQ(t, trap.error_code & (X86_PF_PRESENT | X86_PF_FETCH),
			X86_PF_PRESENT | X86_PF_FETCH);
	/* The same page made executable (and read-only) runs. */
	KTEST_EXPECT_EQ(t, vmm_protect(kernel, VMM_TEST_VA, VMM_READ | VMM_EXEC), VMM_OK);
	KTEST_EXPECT(t, !ktest_catch(vmm_test_call, (void *)VMM_TEST_VA, &trap));
	KTEST_EXPECT_EQ(t, vmm_unmap(kernel, VMM_TEST_VA, NULL), VMM_OK);
	pmm_free(&pmm_kernel, frame, 0);
}

KTEST(vmm, access_after_unmap_faults)
{
	struct vmm_space *kernel = vmm_kernel_space();
	uint64_t frame = vmm_test_frame(t);
	struct ktest_trap trap;

	KTEST_ASSERT(t, vmm_map(kernel, VMM_TEST_VA, frame, VMM_READ | VMM_WRITE) == VMM_OK);
	/* Load the translation into the TLB. */
	KTEST_EXPECT(t, !ktest_catch(vmm_test_write, (void *)VMM_TEST_VA, &trap));
	KTEST_EXPECT(t, !ktest_catch(vmm_test_read, (void *)VMM_TEST_VA, &trap));
	KTEST_EXPECT_EQ(t, vmm_unmap(kernel, VMM_TEST_VA, NULL), VMM_OK);
	KTEST_ASSERT(t, ktest_catch(vmm_test_read, (void *)VMM_TEST_VA, &trap));
	KTEST_EXPECT_EQ(t, trap.vector, X86_VECTOR_PAGE_FAULT);
	KTEST_EXPECT_EQ(t, trap.fault_address, VMM_TEST_VA);
	KTEST_EXPECT_EQ(t, trap.error_code & X86_PF_PRESENT, 0);
	pmm_free(&pmm_kernel, frame, 0);
}

KTEST(vmm, protect_read_only_then_write_faults)
{
	struct vmm_space *kernel = vmm_kernel_space();
	uint64_t frame = vmm_test_frame(t);
	struct ktest_trap trap;

	KTEST_ASSERT(t, vmm_map(kernel, VMM_TEST_VA, frame, VMM_READ | VMM_WRITE) == VMM_OK);
	KTEST_EXPECT(t, !ktest_catch(vmm_test_write, (void *)VMM_TEST_VA, &trap));
	KTEST_EXPECT_EQ(t, vmm_protect(kernel, VMM_TEST_VA, VMM_READ), VMM_OK);
	KTEST_EXPECT(t, !ktest_catch(vmm_test_read, (void *)VMM_TEST_VA, &trap));
	KTEST_ASSERT(t, ktest_catch(vmm_test_write, (void *)VMM_TEST_VA, &trap));
	KTEST_EXPECT_EQ(t, trap.error_code & (X86_PF_PRESENT | X86_PF_WRITE),
			X86_PF_PRESENT | X86_PF_WRITE);
	KTEST_EXPECT_EQ(t, vmm_protect(kernel, VMM_TEST_VA, VMM_READ | VMM_WRITE), VMM_OK);
	KTEST_EXPECT(t, !ktest_catch(vmm_test_write, (void *)VMM_TEST_VA, &trap));
	KTEST_EXPECT_EQ(t, vmm_unmap(kernel, VMM_TEST_VA, NULL), VMM_OK);
	pmm_free(&pmm_kernel, frame, 0);
}

KTEST(vmm, empty_tables_freed)
{
	struct vmm_space *kernel = vmm_kernel_space();
	uint64_t start = vmm_test_free_frames();
	uint64_t frame = vmm_test_frame(t);

	KTEST_ASSERT(t, vmm_map(kernel, VMM_TEST_VA2, frame, VMM_READ) == VMM_OK);
	/* A PDPT, a PD and a PT were made, besides the frame itself. */
	KTEST_EXPECT_EQ(t, start - vmm_test_free_frames(), 4);
	KTEST_ASSERT(t, vmm_map(kernel, VMM_TEST_VA2 + 4096, frame, VMM_READ) == VMM_OK);
	KTEST_EXPECT_EQ(t, start - vmm_test_free_frames(), 4);
	KTEST_EXPECT_EQ(t, vmm_unmap(kernel, VMM_TEST_VA2, NULL), VMM_OK);
	KTEST_EXPECT_EQ(t, start - vmm_test_free_frames(), 4);	/* PT still used */
	KTEST_EXPECT_EQ(t, vmm_unmap(kernel, VMM_TEST_VA2 + 4096, NULL), VMM_OK);
	KTEST_EXPECT_EQ(t, start - vmm_test_free_frames(), 1);
	pmm_free(&pmm_kernel, frame, 0);
	KTEST_EXPECT_EQ(t, vmm_test_free_frames(), start);
}

KTEST(vmm, accessed_and_dirty)
{
	struct vmm_space *kernel = vmm_kernel_space();
	uint64_t frame = vmm_test_frame(t);
	volatile uint64_t *page = (volatile uint64_t *)VMM_TEST_VA;

	KTEST_ASSERT(t, vmm_map(kernel, VMM_TEST_VA, frame, VMM_READ | VMM_WRITE) == VMM_OK);
	(void)vmm_test_and_clear_accessed(kernel, VMM_TEST_VA);
	(void)vmm_test_and_clear_dirty(kernel, VMM_TEST_VA);
	(void)*page;
	KTEST_EXPECT(t, vmm_test_and_clear_accessed(kernel, VMM_TEST_VA));
	KTEST_EXPECT(t, !vmm_test_and_clear_accessed(kernel, VMM_TEST_VA));
	KTEST_EXPECT(t, !vmm_test_and_clear_dirty(kernel, VMM_TEST_VA));
	/* Read again: A is set anew only because the clear flushed the entry. */
	(void)*page;
	KTEST_EXPECT(t, vmm_test_and_clear_accessed(kernel, VMM_TEST_VA));
	*page = 1;
	KTEST_EXPECT(t, vmm_test_and_clear_dirty(kernel, VMM_TEST_VA));
	KTEST_EXPECT(t, !vmm_test_and_clear_dirty(kernel, VMM_TEST_VA));
	*page = 2;
	KTEST_EXPECT(t, vmm_test_and_clear_dirty(kernel, VMM_TEST_VA));
	KTEST_EXPECT_EQ(t, vmm_unmap(kernel, VMM_TEST_VA, NULL), VMM_OK);
	pmm_free(&pmm_kernel, frame, 0);
}

KTEST(vmm, handles_round_trip_not_present)
{
	static const uint64_t handles[] = {
		0, 1, 0x123456789ull, VMM_HANDLE_LIMIT / 2, VMM_HANDLE_LIMIT - 1,
		0x2aaaaaaaaaaaaull, 0x1555555555555ull,
	};
	struct vmm_space *kernel = vmm_kernel_space();
	uint64_t start = vmm_test_free_frames(), handle;
	struct ktest_trap trap;

	for (unsigned i = 0; i < sizeof(handles) / sizeof(handles[0]); i++) {
		uintptr_t va = VMM_TEST_VA2 + i * 4096;
		KTEST_ASSERT(t, vmm_set_handle(kernel, va, handles[i]) == VMM_OK);
		KTEST_EXPECT_EQ(t, vmm_debug_entry(kernel, va) & PTE_PRESENT, 0);
		KTEST_EXPECT(t, vmm_get_handle(kernel, va, &handle));
		KTEST_EXPECT_EQ(t, handle, handles[i]);
		KTEST_EXPECT(t, !vmm_translate(kernel, va, NULL, NULL));
		KTEST_EXPECT_EQ(t, vmm_map(kernel, va, 0x200000, VMM_READ), VMM_EXISTS);
		KTEST_EXPECT_EQ(t, vmm_unmap(kernel, va, NULL), VMM_NOT_MAPPED);
		KTEST_ASSERT(t, ktest_catch(vmm_test_read, (void *)va, &trap));
		KTEST_EXPECT_EQ(t, trap.error_code & (X86_PF_PRESENT | X86_PF_RESERVED), 0);
	}
	/* Replacing a handle is allowed: the entry is still not present. */
	KTEST_EXPECT_EQ(t, vmm_set_handle(kernel, VMM_TEST_VA2, 77), VMM_OK);
	KTEST_EXPECT(t, vmm_get_handle(kernel, VMM_TEST_VA2, &handle) && handle == 77);
	for (unsigned i = 0; i < sizeof(handles) / sizeof(handles[0]); i++)
		KTEST_EXPECT_EQ(t, vmm_clear_handle(kernel, VMM_TEST_VA2 + i * 4096), VMM_OK);
	KTEST_EXPECT(t, !vmm_get_handle(kernel, VMM_TEST_VA2, &handle));
	KTEST_EXPECT_EQ(t, vmm_clear_handle(kernel, VMM_TEST_VA2), VMM_NOT_MAPPED);
	KTEST_EXPECT_EQ(t, vmm_test_free_frames(), start);
	/* A present page has no handle, and set_handle refuses it. */
	uint64_t frame = vmm_test_frame(t);
	KTEST_ASSERT(t, vmm_map(kernel, VMM_TEST_VA, frame, VMM_READ) == VMM_OK);
	KTEST_EXPECT(t, !vmm_get_handle(kernel, VMM_TEST_VA, &handle));
	KTEST_EXPECT_EQ(t, vmm_set_handle(kernel, VMM_TEST_VA, 5), VMM_EXISTS);
	KTEST_EXPECT_EQ(t, vmm_unmap(kernel, VMM_TEST_VA, NULL), VMM_OK);
	pmm_free(&pmm_kernel, frame, 0);
}

KTEST(vmm, spaces_share_the_kernel_half)
{
	slab_reap();
	uint64_t start = vmm_test_free_frames();
	struct vmm_space *kernel = vmm_kernel_space();
	struct vmm_space *space = vmm_space_create();
	uint64_t frame = vmm_test_frame(t);
	static volatile uint64_t kernel_probe = 42;
	struct ktest_trap trap;

	KTEST_ASSERT(t, space);
	*(volatile uint64_t *)phys_to_virt(frame) = 0xabcdef;
	KTEST_ASSERT(t, vmm_map(space, VMM_TEST_VA, frame, VMM_READ | VMM_WRITE) == VMM_OK);
	KTEST_EXPECT(t, !vmm_translate(kernel, VMM_TEST_VA, NULL, NULL));
	vmm_space_switch(space);
	KTEST_EXPECT_EQ(t, *(volatile uint64_t *)VMM_TEST_VA, 0xabcdef);
	KTEST_EXPECT_EQ(t, kernel_probe, 42);	/* kernel half still there */
	/* A change to the running space: its TLB entry must go. */
	KTEST_EXPECT_EQ(t, vmm_unmap(space, VMM_TEST_VA, NULL), VMM_OK);
	KTEST_EXPECT(t, ktest_catch(vmm_test_read, (void *)VMM_TEST_VA, &trap));
	KTEST_EXPECT_EQ(t, vmm_map(space, VMM_TEST_VA, frame, VMM_READ) == VMM_OK, 1);
	(void)*(volatile uint64_t *)VMM_TEST_VA;
	vmm_space_switch(kernel);
	KTEST_EXPECT(t, ktest_catch(vmm_test_read, (void *)VMM_TEST_VA, &trap));
	/* A change while it is not running reaches its TLB tag too. */
	KTEST_EXPECT_EQ(t, vmm_unmap(space, VMM_TEST_VA, NULL), VMM_OK);
	vmm_space_switch(space);
	KTEST_EXPECT(t, ktest_catch(vmm_test_read, (void *)VMM_TEST_VA, &trap));
	vmm_space_switch(kernel);
	KTEST_EXPECT_EQ(t, vmm_map(space, VMM_TEST_VA, frame, VMM_READ), VMM_OK);
	vmm_space_destroy(space);	/* frees its tables, not the frame */
	pmm_free(&pmm_kernel, frame, 0);
	slab_reap();	/* the space's descriptor was kmalloc'd */
	KTEST_EXPECT_EQ(t, vmm_test_free_frames(), start);
}

KTEST(vmm, kernel_stack_guard_faults)
{
	struct ktest_trap trap;
	uint8_t *top = kstack_alloc();

	KTEST_ASSERT(t, top);
	KTEST_EXPECT_EQ(t, (uintptr_t)top % 16, 0);
	top[-1] = 1;
	top[-(int)KSTACK_SIZE] = 2;		/* lowest usable byte */
	uint8_t *guard = top - KSTACK_SIZE - 1;
	KTEST_EXPECT(t, kstack_is_guard((uintptr_t)guard));
	KTEST_EXPECT(t, trap_is_stack_guard((uintptr_t)guard));
	KTEST_ASSERT(t, ktest_catch(vmm_test_read, guard - 7, &trap));
	KTEST_EXPECT_EQ(t, trap.fault_address, (uint64_t)(guard - 7));
	/* the stacks' owner answers: fatal, a stack overflow */
	KTEST_EXPECT_EQ(t, trap.fault_response, (int)FAULT_FATAL);
	KTEST_EXPECT(t, trap.fault_owner &&
			strcmp(trap.fault_owner, "kernel-stacks") == 0);
	kstack_free(top);
	KTEST_ASSERT(t, ktest_catch(vmm_test_read, top - 8, &trap));
	KTEST_EXPECT_EQ(t, trap.fault_response, (int)FAULT_FATAL);
}

KTEST(vmm, tlb_primitives_counted)
{
	struct tlb_stats before, after;

	tlb_get_stats(&before);
	tlb_flush_page(vmm_kernel_space(), VMM_TEST_VA);
	tlb_flush_range(vmm_kernel_space(), VMM_TEST_VA, VMM_TEST_VA + 4 * 4096);
	tlb_flush_range(vmm_kernel_space(), VMM_TEST_VA, VMM_TEST_VA + 64 * 4096);
	tlb_flush_all();
	tlb_get_stats(&after);
	ktest_log(t, "PCID %s, INVPCID %s", after.pcid ? "on" : "absent",
		  after.invpcid ? "on" : "absent");
	KTEST_EXPECT_EQ(t, after.page_flushes - before.page_flushes, 5);
	KTEST_EXPECT_EQ(t, after.space_flushes - before.space_flushes, 1);
	KTEST_EXPECT_EQ(t, after.full_flushes - before.full_flushes, 1);
}
