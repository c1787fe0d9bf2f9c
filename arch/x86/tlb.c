/*
 * The TLB primitives of mm/tlb.h: the only code that executes INVLPG,
 * INVPCID, reloads CR3 for a flush or toggles CR4.PGE. With PCID each space
 * keeps its translations across switches, so changes to a space that is not
 * running must reach its tag: INVPCID when the CPU has it, otherwise the
 * space is marked stale and its next switch flushes it.
 *
 * Kernel-half mappings are global (vmm.c makes them so): INVLPG from any
 * space removes them, and a CR3 reload does not.
 *
 * Each primitive then reaches the other CPUs that may hold what it
 * invalidated (tlb_shootdown, arch/x86/tlb_shootdown.c) before it returns,
 * with interrupts off from the local flush to the last answer so the
 * caller cannot move to another CPU in between.
 */
#include <stdbool.h>
#include <stdint.h>
#include <arch/cpuid.h>
#include "arch/x86/memlayout.h"
#include "arch/x86/tlb_internal.h"
#include "arch/x86/vmm_internal.h"
#include "arch/x86/x86.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/printk.h"
#include "mm/tlb.h"

#define CR3_NO_FLUSH (1ull << 63)	/* with PCIDE: keep the tag's entries */
#define INVPCID_ADDRESS 0
#define INVPCID_CONTEXT 1

/* Set once by tlb_init, read-only afterwards. */
static bool tlb_pcid, tlb_has_invpcid;
/* The space each CPU runs; only its own CPU writes its slot. */
static struct vmm_space *tlb_running[CONFIG_MAX_CPUS];
/* Counters, updated atomically (relaxed): figures, not synchronisation. */
static struct tlb_stats tlb_counters;

static void tlb_count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

static inline void tlb_invlpg(uintptr_t va)
{
	__asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void tlb_invpcid(uint64_t type, uint64_t pcid, uintptr_t va)
{
	struct { uint64_t pcid, address; } descriptor = { pcid, va };

	__asm__ __volatile__("invpcid %0, %1"
			     : : "m"(descriptor), "r"(type) : "memory");
}

static bool tlb_is_kernel_half(uintptr_t va)
{
	return va >= DIRECT_MAP_BASE;
}

void tlb_init(void)
{
	uint32_t eax, ebx, ecx, edx, max_leaf;

	cpuid_query(0, 0, &max_leaf, &ebx, &ecx, &edx);
	cpuid_query(1, 0, &eax, &ebx, &ecx, &edx);
	bool pcid = ecx & (1u << 17);
	bool invpcid = false;
	if (max_leaf >= 7) {
		cpuid_query(7, 0, &eax, &ebx, &ecx, &edx);
		invpcid = ebx & (1u << 10);
	}
	/* CR4.PCIDE may only be set while CR3's tag is 0, which it is. */
	if (pcid && (read_cr3() & 0xfff) == 0) {
		write_cr4(read_cr4() | X86_CR4_PCIDE);
		tlb_pcid = true;
		tlb_has_invpcid = invpcid;
	}
	tlb_counters.pcid = tlb_pcid;
	tlb_counters.invpcid = tlb_has_invpcid;
	log_info("tlb: PCID %s, INVPCID %s, ranges above %u pages reload the space",
		 tlb_pcid ? "on" : "absent", tlb_has_invpcid ? "on" : "absent",
		 TLB_RANGE_THRESHOLD_PAGES);
}

bool tlb_has_pcid(void)
{
	return tlb_pcid;
}

struct vmm_space *tlb_current_space(void)
{
	return tlb_running[cpu_current()];
}

struct vmm_space *tlb_running_space(unsigned cpu)
{
	return __atomic_load_n(&tlb_running[cpu], __ATOMIC_RELAXED);
}

void tlb_switch_to(struct vmm_space *space)
{
	uint64_t cr3 = space->root_physical;

	if (tlb_pcid) {
		cr3 |= space->pcid;
		/* Tag 0 is shared (kernel, fallback): never trust its entries. */
		if (space->pcid != 0 && !space->tlb_stale)
			cr3 |= CR3_NO_FLUSH;
		space->tlb_stale = false;
	}
	write_cr3(cr3);
	__atomic_store_n(&tlb_running[cpu_current()], space, __ATOMIC_RELAXED);
}

/* Invalidation of a space that is not running on this CPU. */
static void tlb_flush_other(struct vmm_space *space, uint64_t type, uintptr_t va)
{
	if (!tlb_pcid || space->pcid == 0)
		return;		/* its switch-in flushes anyway */
	if (tlb_has_invpcid) {
		tlb_invpcid(type, space->pcid, va);
		tlb_count(type == INVPCID_ADDRESS ? &tlb_counters.page_flushes
						  : &tlb_counters.space_flushes);
		return;
	}
	space->tlb_stale = true;
	tlb_count(&tlb_counters.deferred);
}

/* This CPU's part of tlb_flush_page. */
static void tlb_flush_page_here(struct vmm_space *space, uintptr_t va)
{
	if (tlb_is_kernel_half(va) || space == tlb_current_space()) {
		/* Also drops this tag's paging-structure caches. */
		tlb_invlpg(va);
		tlb_count(&tlb_counters.page_flushes);
		return;
	}
	tlb_flush_other(space, INVPCID_ADDRESS, va);
}

void tlb_flush_page(struct vmm_space *space, uintptr_t va)
{
	unsigned long flags = irq_save();

	tlb_flush_page_here(space, va);
	tlb_shootdown(tlb_is_kernel_half(va) ? NULL : space);
	irq_restore(flags);
}

void tlb_flush_space(struct vmm_space *space)
{
	unsigned long flags = irq_save();

	if (space == tlb_current_space()) {
		uint64_t cr3 = space->root_physical;
		if (tlb_pcid)
			cr3 |= space->pcid;	/* bit 63 clear: flush the tag */
		write_cr3(cr3);
		tlb_count(&tlb_counters.space_flushes);
	} else {
		tlb_flush_other(space, INVPCID_CONTEXT, 0);
	}
	tlb_shootdown(space);
	irq_restore(flags);
}

void tlb_flush_range(struct vmm_space *space, uintptr_t start, uintptr_t end)
{
	uintptr_t first = start & ~(PAGE_SIZE - 1);

	if (end <= first)
		return;
	if ((end - first) / PAGE_SIZE > TLB_RANGE_THRESHOLD_PAGES) {
		/* Global kernel entries survive a CR3 reload. */
		if (tlb_is_kernel_half(end - 1))
			tlb_flush_all();
		else
			tlb_flush_space(space);
		return;
	}
	unsigned long flags = irq_save();
	for (uintptr_t va = first; va < end; va += PAGE_SIZE)
		tlb_flush_page_here(space, va);
	/* One round for the whole range. */
	tlb_shootdown(tlb_is_kernel_half(first) ? NULL : space);
	irq_restore(flags);
}

void tlb_flush_all(void)
{
	unsigned long flags = irq_save();
	uint64_t cr4 = read_cr4();

	/* Clearing PGE flushes every entry of every tag, global ones too. */
	write_cr4(cr4 & ~X86_CR4_PGE);
	write_cr4(cr4);
	tlb_count(&tlb_counters.full_flushes);
	tlb_shootdown(NULL);
	irq_restore(flags);
}

void tlb_batch_begin(struct tlb_batch *batch, struct vmm_space *space)
{
	batch->space = space;
	batch->count = 0;
	batch->whole = false;
	batch->kernel_half = false;
}

void tlb_batch_add(struct tlb_batch *batch, uintptr_t va)
{
	if (tlb_is_kernel_half(va))
		batch->kernel_half = true;
	if (batch->whole)
		return;
	if (batch->count == TLB_BATCH_PAGES) {
		batch->whole = true;
		return;
	}
	batch->pages[batch->count++] = va & ~(uintptr_t)(PAGE_SIZE - 1);
}

void tlb_batch_finish(struct tlb_batch *batch)
{
	if (batch->whole) {
		/* Global kernel entries survive a CR3 reload. */
		if (batch->kernel_half)
			tlb_flush_all();
		else
			tlb_flush_space(batch->space);
	} else if (batch->count) {
		unsigned long flags = irq_save();
		for (unsigned i = 0; i < batch->count; i++)
			tlb_flush_page_here(batch->space, batch->pages[i]);
		tlb_shootdown(batch->kernel_half ? NULL : batch->space);
		irq_restore(flags);
	}
	tlb_batch_begin(batch, batch->space);
}

void tlb_get_stats(struct tlb_stats *stats)
{
	*stats = tlb_counters;
	stats->page_flushes = __atomic_load_n(&tlb_counters.page_flushes, __ATOMIC_RELAXED);
	tlb_shootdown_stats(&stats->shootdown_rounds, &stats->shootdown_flushes,
			    &stats->shootdown_ipis);
}
