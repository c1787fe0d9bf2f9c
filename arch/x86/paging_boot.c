/*
 * The kernel's own page tables, replacing the boot loader-era ones of
 * boot/entry.asm: the kernel image with least privilege (text read-only and
 * executable, read-only data and the symbol table read-only and NX, data
 * and bss writable and NX), the guard pages below the boot stack and the
 * IST stacks left unmapped, and a direct map of all physical memory (at
 * least 4 GiB, to cover the framebuffer and device memory) with 1 GiB pages
 * where the CPU has them, 2 MiB otherwise. Every kernel mapping is global.
 *
 * Page-table pages come from a static pool in .bss (the frame allocator
 * does not exist yet); it is sized for a direct map of 60 GiB with 2 MiB
 * pages, and boot stops with a message beyond that.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <arch/cpuid.h>
#include "arch/x86/gdt.h"
#include "arch/x86/memlayout.h"
#include "arch/x86/pte.h"
#include "arch/x86/trap_frame.h"
#include "arch/x86/x86.h"
#include "kernel/bootinfo.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"

#define PAGING_POOL_PAGES 72

/* Only touched by CPU 0 during boot. */
static uint64_t paging_pool[PAGING_POOL_PAGES][PT_ENTRIES]
	__attribute__((aligned(4096)));
static unsigned paging_pool_used;
static uint64_t *paging_root;

extern const char kernel_text_start[], kernel_text_end[];
extern const char kernel_rodata_start[], kernel_rodata_end[];
extern const char kernel_data_start[], kernel_data_end[];
extern const char kernel_ksyms_start[], kernel_ksyms_end[];
extern const char boot_stack_guard[];

static uint64_t paging_virt_to_phys(const void *kernel_address)
{
	return (uint64_t)kernel_address - KERNEL_VIRTUAL_BASE;
}

static uint64_t *paging_new_table(void)
{
	if (paging_pool_used == PAGING_POOL_PAGES)
		panic("paging: boot page-table pool (%u pages) exhausted: "
		      "too much physical memory for the boot direct map",
		      PAGING_POOL_PAGES);
	uint64_t *table = paging_pool[paging_pool_used++];
	memset(table, 0, 4096);
	return table;
}

/* The table below entry `index` of `table`, made if missing. */
static uint64_t *paging_next(uint64_t *table, unsigned index)
{
	if (!(table[index] & PTE_PRESENT)) {
		uint64_t *next = paging_new_table();
		table[index] = paging_virt_to_phys(next) | PTE_PRESENT | PTE_WRITABLE;
		return next;
	}
	/* pool pages live in the image: physical + KERNEL_VIRTUAL_BASE */
	return (uint64_t *)((table[index] & PTE_ADDRESS_MASK) + KERNEL_VIRTUAL_BASE);
}

static void paging_map_4k(uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *pdpt = paging_next(paging_root, pte_index(va, 4));
	uint64_t *pd = paging_next(pdpt, pte_index(va, 3));
	uint64_t *pt = paging_next(pd, pte_index(va, 2));

	pt[pte_index(va, 1)] = pa | flags | PTE_PRESENT | PTE_GLOBAL;
}

static void paging_map_image_range(const char *start, const char *end,
				   uint64_t flags)
{
	for (uint64_t va = (uint64_t)start; va < (uint64_t)end; va += PAGE_SIZE) {
		if (trap_is_stack_guard(va))
			continue;	/* left unmapped: overflow faults */
		paging_map_4k(va, paging_virt_to_phys((const void *)va), flags);
	}
}

static uint64_t paging_direct_map_end(const struct boot_info *info)
{
	uint64_t end = 4ull << 30;

	for (unsigned i = 0; i < info->memory_range_count; i++) {
		const struct boot_memory_range *r = &info->memory[i];
		if (r->type == BOOT_MEMORY_USABLE && r->base + r->length > end)
			end = r->base + r->length;
	}
	if (end > DIRECT_MAP_LIMIT)
		end = DIRECT_MAP_LIMIT;
	return (end + (1ull << 30) - 1) & ~((1ull << 30) - 1);
}

static void paging_map_direct(uint64_t end, bool huge_pages)
{
	const uint64_t flags = PTE_PRESENT | PTE_WRITABLE | PTE_GLOBAL |
			       PTE_NO_EXECUTE | PTE_LARGE;

	for (uint64_t pa = 0; pa < end; pa += 1ull << 30) {
		uint64_t va = DIRECT_MAP_BASE + pa;
		uint64_t *pdpt = paging_next(paging_root, pte_index(va, 4));
		if (huge_pages) {
			pdpt[pte_index(va, 3)] = pa | flags;
			continue;
		}
		uint64_t *pd = paging_next(pdpt, pte_index(va, 3));
		for (unsigned i = 0; i < PT_ENTRIES; i++)
			pd[i] = (pa + ((uint64_t)i << 21)) | flags;
	}
}

static bool paging_cpu_has_1g_pages(void)
{
	uint32_t eax, ebx, ecx, edx;

	cpuid_query(0x80000000u, 0, &eax, &ebx, &ecx, &edx);
	if (eax < 0x80000001u)
		return false;
	cpuid_query(0x80000001u, 0, &eax, &ebx, &ecx, &edx);
	return edx & (1u << 26);
}

void arch_paging_init(const struct boot_info *info)
{
	bool huge = paging_cpu_has_1g_pages();
	uint64_t end = paging_direct_map_end(info);

	paging_root = paging_new_table();
	paging_map_image_range(kernel_text_start, kernel_text_end, 0);
	paging_map_image_range(kernel_rodata_start, kernel_rodata_end,
			       PTE_NO_EXECUTE);
	paging_map_image_range(kernel_data_start, kernel_data_end,
			       PTE_WRITABLE | PTE_NO_EXECUTE);
	paging_map_image_range(kernel_ksyms_start, kernel_ksyms_end,
			       PTE_NO_EXECUTE);
	paging_map_direct(end, huge);

	write_cr4(read_cr4() | X86_CR4_PGE);
	write_cr3(paging_virt_to_phys(paging_root));
	log_info("paging: kernel image W^X, guard pages unmapped, direct map "
		 "0-%llu GiB with %s pages, %u page-table pages",
		 (unsigned long long)(end >> 30), huge ? "1 GiB" : "2 MiB",
		 paging_pool_used);
}

uint64_t paging_root_physical(void)
{
	return paging_virt_to_phys(paging_root);
}
