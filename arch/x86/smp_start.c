/*
 * Starting application processors on a PC (kernel/arch_smp.h). The
 * trampoline (arch/x86/smp_trampoline.asm) lives in four pages below 1 MiB
 * taken from the boot memory map: the frame allocator never hands out the
 * first MiB (mm/pmm_boot.c reserves it whole), so a usable range there is
 * free for good once the boot information was copied out. Page 0 holds the
 * code and its parameters; pages 1-3 the temporary page tables (PML4, PDPT,
 * PD) that map the trampoline page to itself and the kernel half as the
 * kernel's own tables do. The start follows the Intel SDM's sequence:
 * INIT, 10 ms, start-up IPI, 200 us, a second start-up IPI when the CPU
 * has not answered yet.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <arch/fpu.h>
#include "arch/x86/gdt.h"
#include "kernel/user/user_cpu.h"
#include "arch/x86/irq_lines.h"
#include "arch/x86/lapic.h"
#include "arch/x86/memlayout.h"
#include "arch/x86/pte.h"
#include "arch/x86/smp_start.h"
#include "arch/x86/trap_frame.h"
#include "arch/x86/vmm_internal.h"
#include "arch/x86/x86.h"
#include "kernel/arch_smp.h"
#include "kernel/bootinfo.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/time.h"
#include "kernel/smp.h"
#include "mm/vmm.h"

#define TRAMPOLINE_LOWEST 0x1000ull	/* page 0: real-mode vectors, BIOS data */
#define TRAMPOLINE_LIMIT 0xa0000ull	/* below the legacy video and ROM area */
#define INIT_DELAY_MS 10u
#define STARTUP_DELAY_US 200u

/* Mirrors the parameter block at the end of the trampoline. */
struct trampoline_params {
	uint64_t index;
	uint64_t kernel_cr3;
	uint64_t stack;
	uint64_t entry;
	uint32_t page_tables;
	uint32_t answered;
};

extern const char smp_trampoline_start[], smp_trampoline_end[];
extern const char smp_trampoline_params[];
extern const char smp_ap_entry64[];

/* Set by arch_smp_prepare on the boot CPU; read by the CPUs it starts.
 * The control registers an application processor copies, so it runs as the
 * boot CPU does (WP, SSE enabled, PGE, PCIDE...). */
static uint64_t trampoline_physical;
static uint64_t smp_boot_cr0, smp_boot_cr4;

static void *smp_phys(uint64_t physical)
{
	return (void *)(DIRECT_MAP_BASE + physical);
}

static bool smp_overlaps(uint64_t start, uint64_t end, uint64_t other_start,
			 uint64_t other_end)
{
	return start < other_end && other_start < end;
}

/* Whether [start, end) holds nothing the loader handed over: the original
 * multiboot2 information and the modules stay where they are. */
static bool smp_low_pages_free(uint64_t start, uint64_t end)
{
	if (smp_overlaps(start, end, boot_info.info_physical,
			 boot_info.info_physical + boot_info.info_size))
		return false;
	for (unsigned i = 0; i < boot_info.module_count; i++)
		if (smp_overlaps(start, end, boot_info.modules[i].start,
				 boot_info.modules[i].end))
			return false;
	return true;
}

/* The lowest run of TRAMPOLINE_PAGES free usable pages below 640 KiB. */
static uint64_t smp_find_trampoline_pages(void)
{
	uint64_t size = TRAMPOLINE_PAGES * PAGE_SIZE;
	uint64_t best = 0;

	for (unsigned i = 0; i < boot_info.memory_range_count; i++) {
		const struct boot_memory_range *r = &boot_info.memory[i];
		if (r->type != BOOT_MEMORY_USABLE)
			continue;
		uint64_t start = (r->base + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		uint64_t end = (r->base + r->length) & ~(PAGE_SIZE - 1);
		if (start < TRAMPOLINE_LOWEST)
			start = TRAMPOLINE_LOWEST;
		if (end > TRAMPOLINE_LIMIT)
			end = TRAMPOLINE_LIMIT;
		for (; start + size <= end; start += PAGE_SIZE) {
			if (!smp_low_pages_free(start, start + size))
				continue;
			if (!best || start < best)
				best = start;
			break;
		}
	}
	return best;
}

uint64_t smp_trampoline_physical(void)
{
	return trampoline_physical;
}

static struct trampoline_params *smp_params(void)
{
	return smp_phys(trampoline_physical +
			(uint64_t)(smp_trampoline_params - smp_trampoline_start));
}

const char *arch_smp_prepare(void)
{
	uint64_t code_bytes = (uint64_t)(smp_trampoline_end - smp_trampoline_start);

	if (code_bytes > PAGE_SIZE)
		return "the start-up trampoline is over a page";
	trampoline_physical = smp_find_trampoline_pages();
	if (!trampoline_physical)
		return "no free memory below 640 KiB for the start-up trampoline";
	memcpy(smp_phys(trampoline_physical), smp_trampoline_start, code_bytes);
	smp_boot_cr0 = read_cr0();
	smp_boot_cr4 = read_cr4();
	return NULL;
}

/* The temporary tables: the kernel half of the kernel's PML4 (read again
 * for each start, as the kernel adds top-level entries), and a 2 MiB
 * identity page over the trampoline. */
static void smp_build_page_tables(void)
{
	uint64_t pml4_physical = trampoline_physical + PAGE_SIZE;
	uint64_t *pml4 = smp_phys(pml4_physical);
	uint64_t *pdpt = smp_phys(pml4_physical + PAGE_SIZE);
	uint64_t *pd = smp_phys(pml4_physical + 2 * PAGE_SIZE);
	const uint64_t *kernel = smp_phys(read_cr3() & PTE_ADDRESS_MASK);

	memset(pml4, 0, PAGE_SIZE);
	memset(pdpt, 0, PAGE_SIZE);
	memset(pd, 0, PAGE_SIZE);
	for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
		pml4[i] = kernel[i];
	pd[0] = PTE_PRESENT | PTE_WRITABLE | PTE_LARGE;
	pdpt[0] = (pml4_physical + 2 * PAGE_SIZE) | PTE_PRESENT | PTE_WRITABLE;
	pml4[0] = (pml4_physical + PAGE_SIZE) | PTE_PRESENT | PTE_WRITABLE;
}

static void smp_delay_us(unsigned us)
{
	uint64_t end = time_cycles() + time_cycles_per_second() / 1000000u * us;

	while (time_cycles() < end)
		cpu_pause();
}

const char *arch_cpu_start(unsigned index, uint32_t hw_id, void *stack,
			   bool send_startup)
{
	struct trampoline_params *params = smp_params();
	uint8_t page = (uint8_t)(trampoline_physical >> 12);

	if (!gdt_prepare_cpu(index))
		return "no memory for its exception (IST) stacks";
	smp_build_page_tables();
	params->index = index;
	params->kernel_cr3 = read_cr3() & PTE_ADDRESS_MASK;
	params->stack = (uint64_t)stack;
	params->entry = (uint64_t)smp_ap_entry64;
	params->page_tables = (uint32_t)(trampoline_physical + PAGE_SIZE);
	__atomic_store_n(&params->answered, 0, __ATOMIC_RELEASE);

	lapic_send_ipi(hw_id, LAPIC_IPI_INIT, 0);
	time_delay_ms(INIT_DELAY_MS);
	if (!send_startup)
		return NULL;
	lapic_send_ipi(hw_id, LAPIC_IPI_STARTUP, page);
	smp_delay_us(STARTUP_DELAY_US);
	if (!__atomic_load_n(&params->answered, __ATOMIC_ACQUIRE))
		lapic_send_ipi(hw_id, LAPIC_IPI_STARTUP, page);
	return NULL;
}

void arch_cpu_park(uint32_t hw_id)
{
	lapic_send_ipi(hw_id, LAPIC_IPI_INIT, 0);
}

/* An application processor's first C code (from smp_ap_entry64), on its
 * own stack with the kernel's page tables: the per-CPU area first (all
 * else may use cpu_current), then the boot CPU's control registers, its
 * own GDT and TSS, the shared IDT, SSE, the local APIC and its tick. */
void smp_ap_main(unsigned index) __attribute__((noreturn));
void smp_ap_main(unsigned index)
{
	arch_cpu_local_install(index);
	write_cr0(smp_boot_cr0);
	write_cr4(smp_boot_cr4);
	/* The trampoline loaded the kernel's root; the TLB code must know
	 * this CPU runs that space, or it would skip its own flushes of the
	 * space's lower half and leave it out of their shootdowns. */
	tlb_switch_to(vmm_kernel_space());
	gdt_init();
	idt_load();
	user_cpu_init();
	fpu_cpu_init();
	lapic_cpu_init();
	timer_cpu_start();
	smp_secondary_start();
}

uint32_t arch_cpu_hw_id(void)
{
	return lapic_id();
}

void arch_send_call(uint32_t hw_id)
{
	lapic_send_ipi(hw_id, LAPIC_IPI_FIXED, LAPIC_VECTOR_CALL);
}

void arch_send_kick(uint32_t hw_id)
{
	lapic_send_ipi(hw_id, LAPIC_IPI_FIXED, LAPIC_VECTOR_KICK);
}

void arch_send_stop(uint32_t hw_id)
{
	lapic_send_ipi(hw_id, LAPIC_IPI_NMI, 0);
}
