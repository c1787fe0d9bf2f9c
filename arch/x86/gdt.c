/*
 * The GDT and the TSS. Long mode ignores most of the GDT, but it still
 * needs code and data descriptors, and a TSS whose Interrupt Stack Table
 * gives chosen exceptions a stack of their own: double fault, NMI and
 * machine check (which may strike on any stack), and the page fault, so that
 * a kernel stack overflow (a fault on the guard page below the stack) is
 * reported instead of becoming a triple fault.
 */
#include <stdint.h>
#include "arch/x86/gdt.h"
#include "kernel/lib/cpu.h"
#include "mm/kstack.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t io_map_base;
} __attribute__((packed));

struct gdt_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#define GDT_ENTRIES 7	/* null, kernel code/data, user data/code, TSS (2) */

/* Written once per CPU at boot, then only read by the CPU itself. */
static uint64_t gdt[CONFIG_MAX_CPUS][GDT_ENTRIES] __attribute__((aligned(16)));
static struct tss tss[CONFIG_MAX_CPUS] __attribute__((aligned(16)));

/* Each IST stack sits above a page left unmapped by the paging code, so an
 * overflow of the exception stack itself faults too (into a double fault). */
struct ist_stack {
	uint8_t guard[4096];
	uint8_t stack[IST_STACK_BYTES];
} __attribute__((aligned(4096)));

static struct ist_stack ist_stacks[IST_COUNT];

/* The IST stack tops of each CPU: CPU 0's in ist_stacks above, the
 * others' from kstack_alloc (guarded the same way). Written by the boot CPU
 * before the CPU starts, read by that CPU's gdt_init. */
static uint64_t ist_tops[CONFIG_MAX_CPUS][IST_COUNT];

static void gdt_set_tss(uint64_t *entries, struct tss *segment)
{
	uint64_t base = (uint64_t)segment;
	uint64_t limit = sizeof(*segment) - 1;

	entries[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		     (0x89ull << 40) |		/* present, 64-bit TSS */
		     (((limit >> 16) & 0xf) << 48) |
		     (((base >> 24) & 0xff) << 56);
	entries[6] = base >> 32;
}

/* FS and GS are left alone: loading a selector into GS would clear the
 * base that finds this CPU's per-CPU area (arch/x86/cpu_local.c). */
static void gdt_load(const struct gdt_pointer *pointer)
{
	__asm__ __volatile__(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movw %w2, %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%ss\n\t"
		"ltr %w3"
		:
		: "m"(*pointer), "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA),
		  "r"(GDT_TSS)
		: "rax", "memory");
}

void gdt_init(void)
{
	unsigned cpu = cpu_current();
	uint64_t *entries = gdt[cpu];
	struct tss *segment = &tss[cpu];

	entries[0] = 0;
	entries[1] = 0x00af9a000000ffffull;	/* kernel code, 64-bit */
	entries[2] = 0x00cf92000000ffffull;	/* kernel data */
	entries[3] = 0x00cff2000000ffffull;	/* user data */
	entries[4] = 0x00affa000000ffffull;	/* user code, 64-bit */
	for (unsigned i = 0; i < IST_COUNT; i++) {
		if (cpu == 0)
			ist_tops[0][i] = (uint64_t)(ist_stacks[i].stack + IST_STACK_BYTES);
		segment->ist[i] = ist_tops[cpu][i];
	}
	segment->io_map_base = sizeof(*segment);
	gdt_set_tss(entries, segment);

	struct gdt_pointer pointer = { sizeof(gdt[0]) - 1, (uint64_t)entries };
	gdt_load(&pointer);
}

uint64_t gdt_swap_page_fault_stack(uint64_t top)
{
	struct tss *segment = &tss[cpu_current()];
	uint64_t old = segment->ist[IST_PAGE_FAULT - 1];

	segment->ist[IST_PAGE_FAULT - 1] = top;
	return old;
}

bool gdt_prepare_cpu(unsigned cpu)
{
	for (unsigned i = 0; i < IST_COUNT; i++) {
		if (ist_tops[cpu][i])
			continue;	/* kept from an earlier attempt */
		void *top = kstack_alloc();
		if (!top)
			return false;
		ist_tops[cpu][i] = (uint64_t)top;
	}
	return true;
}

bool gdt_ist_guard(uint64_t address, unsigned *ist)
{
	for (unsigned i = 0; i < IST_COUNT; i++) {
		uint64_t guard = (uint64_t)ist_stacks[i].guard;
		if (address >= guard && address < guard + sizeof(ist_stacks[i].guard)) {
			*ist = i + 1;
			return true;
		}
	}
	return false;
}

uint64_t gdt_ist_guard_page(unsigned index)
{
	return (uint64_t)ist_stacks[index].guard;
}

bool gdt_on_ist_stack(uint64_t address)
{
	for (unsigned cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++) {
		for (unsigned i = 0; i < IST_COUNT; i++) {
			uint64_t top = ist_tops[cpu][i];
			if (top && address >= top - IST_STACK_BYTES && address < top)
				return true;
		}
	}
	return false;
}

void gdt_set_entry_stack(uint64_t top)
{
	tss[cpu_current()].rsp[0] = top;
}
