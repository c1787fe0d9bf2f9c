/*
 * The TLB primitives of mm/tlb.h: the only code that executes INVLPG,
 * INVPCID, reloads CR3 for a flush or toggles CR4.PGE, and the record of
 * who may hold a translation (docs/tlb-events.md, "Who may hold a
 * translation").
 *
 * Each CPU has a space loaded (its CR3) and uses it, or holds it lazily
 * while it runs a kernel thread (threads without a space keep the loaded
 * one, as Linux's lazy TLB mode). Each space keeps the set of CPUs that
 * may hold its translations (vmm_space.tlb_cpus): a CPU enters it when it
 * loads the space; it leaves it when it loads another space without PCID
 * (the CR3 load drops the old space's non-global entries); with PCID the
 * old tag keeps its entries, so the CPU stays in the set until the space
 * is destroyed. A CPU of the set that does not use the space (lazy, or
 * running another one) is not interrupted for it: it is marked as owing a
 * flush (vmm_space.tlb_stale) and makes it before it next uses the space.
 *
 * The race between a sender marking CPU c stale and c starting to use the
 * space is the store-buffer (Dekker) pattern, both sides sequentially
 * consistent:
 *   sender: stale |= c;            then read using[c]
 *   CPU c:  using[c] = space;      then take (clear) its stale bit
 * In any SC order one of the second steps comes after the other side's
 * first: either the sender reads using[c] == space and interrupts c, or c
 * finds the mark and flushes before it uses the space; perhaps both, which
 * only costs a flush. A CPU outside the set holds nothing of the space; a
 * sender fences after its page-table change before reading the set, and a
 * joining CPU sets its bit (a locked RMW) before its CR3 load, so a CPU the
 * sender did not see in the set walks the changed tables.
 *
 * Kernel-half mappings (regions, kernel stacks, the direct map) are in
 * every space and global (vmm.c makes them so): INVLPG from any space
 * removes them, a CR3 reload does not, and every online CPU is asked for
 * them, whatever it has loaded. So is every CPU for the kernel space.
 *
 * Each primitive makes its invalidation here, then reaches the other CPUs
 * in one round (tlb_shootdown, arch/x86/tlb_shootdown.c) before it
 * returns, with interrupts off from the local flush to the last answer so
 * the caller cannot move to another CPU in between.
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
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "mm/tlb.h"
#include "mm/vmm.h"

#define CR3_NO_FLUSH (1ull << 63)	/* with PCIDE: keep the tag's entries */
#define INVPCID_ADDRESS 0
#define INVPCID_CONTEXT 1

/* Set once by tlb_init, read-only afterwards. */
static bool tlb_pcid, tlb_has_invpcid;

/* What one CPU holds. Only its own CPU writes it (interrupts off); other
 * CPUs read it to choose whom to ask. */
struct tlb_cpu {
	struct vmm_space *loaded;	/* in CR3; NULL: the kernel space */
	struct vmm_space *using;	/* loaded and used; NULL: lazy */
} __attribute__((aligned(64)));
static struct tlb_cpu tlb_cpus[CONFIG_MAX_CPUS];
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

static uint64_t tlb_bit(unsigned cpu)
{
	return 1ull << cpu;
}

struct vmm_space *tlb_cpu_loaded(unsigned cpu)
{
	struct vmm_space *loaded = __atomic_load_n(&tlb_cpus[cpu].loaded,
						   __ATOMIC_ACQUIRE);

	/* Application processors start on the kernel's root. */
	return loaded ? loaded : vmm_kernel_space();
}

struct vmm_space *tlb_cpu_using(unsigned cpu)
{
	return __atomic_load_n(&tlb_cpus[cpu].using, __ATOMIC_SEQ_CST);
}

struct vmm_space *tlb_current_space(void)
{
	return tlb_cpu_loaded(cpu_current());
}

void tlb_mark_stale(struct vmm_space *space, unsigned cpu)
{
	__atomic_fetch_or(&space->tlb_stale, tlb_bit(cpu), __ATOMIC_SEQ_CST);
	tlb_count(&tlb_counters.deferred);
}

/* Writes CR3 for space; with PCID the tag's entries stay unless flush.
 * Tag 0 is shared (kernel, fallback): its entries are never trusted. */
static void tlb_load(struct vmm_space *space, bool flush)
{
	uint64_t cr3 = space->root_physical;

	if (tlb_pcid) {
		cr3 |= space->pcid;
		if (space->pcid != 0 && !flush)
			cr3 |= CR3_NO_FLUSH;
	}
	write_cr3(cr3);
}

/* This CPU starts using space non-lazily: publishes it, then takes the
 * flush it owes, in that order (the file comment's argument). True when a
 * flush is owed. */
static bool tlb_start_using(struct vmm_space *space, unsigned cpu)
{
	__atomic_store_n(&tlb_cpus[cpu].using, space, __ATOMIC_SEQ_CST);
	if (space == vmm_kernel_space())
		return false;
	uint64_t owed = __atomic_fetch_and(&space->tlb_stale, ~tlb_bit(cpu),
					   __ATOMIC_SEQ_CST);
	return owed & tlb_bit(cpu);
}

void tlb_switch_to(struct vmm_space *space)
{
	unsigned cpu = cpu_current();
	struct vmm_space *previous = tlb_cpu_loaded(cpu);
	struct vmm_space *kernel = vmm_kernel_space();

	/* Join the set before the first walk (file comment). */
	if (space != kernel)
		__atomic_fetch_or(&space->tlb_cpus, tlb_bit(cpu), __ATOMIC_SEQ_CST);
	bool owed = tlb_start_using(space, cpu);
	tlb_load(space, owed);
	__atomic_store_n(&tlb_cpus[cpu].loaded, space, __ATOMIC_RELEASE);
	if (owed)
		tlb_count(&tlb_counters.switch_flushes);
	/* Without PCID the load dropped previous's entries: leave its set. */
	if (!tlb_pcid && previous != space && previous != kernel)
		__atomic_fetch_and(&previous->tlb_cpus, ~tlb_bit(cpu),
				   __ATOMIC_SEQ_CST);
}

void tlb_thread_switch(struct vmm_space *space)
{
	unsigned cpu = cpu_current();
	struct tlb_cpu *here = &tlb_cpus[cpu];

	if (!space) {
		/* A kernel thread: keep the loaded space, lazily. A sender
		 * that still sees it used only sends a needless request. */
		if (here->using)
			__atomic_store_n(&here->using, NULL, __ATOMIC_RELEASE);
		return;
	}
	if (space != tlb_cpu_loaded(cpu)) {
		tlb_switch_to(space);
		return;
	}
	if (here->using == space)
		return;
	/* Back from lazy: the flushes it missed meanwhile. */
	if (tlb_start_using(space, cpu)) {
		tlb_load(space, true);
		tlb_count(&tlb_counters.switch_flushes);
	}
}

/* Invalidation of a space that is not loaded on this CPU. Without PCID
 * (or for tag 0) its entries went with the CR3 load that left it. */
static void tlb_flush_other(struct vmm_space *space, uint64_t type, uintptr_t va,
			    bool counted)
{
	if (!tlb_pcid || space->pcid == 0)
		return;
	if (tlb_has_invpcid) {
		tlb_invpcid(type, space->pcid, va);
		if (counted)
			tlb_count(type == INVPCID_ADDRESS ? &tlb_counters.page_flushes
						  : &tlb_counters.space_flushes);
		return;
	}
	tlb_mark_stale(space, cpu_current());
}

/* One page of space on this CPU. The primitives' counters count the
 * invalidating CPU's own flushes (counted); answers to others count as
 * shootdown flushes. */
static void tlb_flush_page_here(struct vmm_space *space, uintptr_t va,
				bool counted)
{
	if (tlb_is_kernel_half(va) || space == tlb_current_space()) {
		/* Also drops this tag's paging-structure caches. */
		tlb_invlpg(va);
		if (counted)
			tlb_count(&tlb_counters.page_flushes);
		return;
	}
	tlb_flush_other(space, INVPCID_ADDRESS, va, counted);
}

void tlb_flush_page_local(struct vmm_space *space, uintptr_t va)
{
	unsigned long flags = irq_save();

	tlb_flush_page_here(space, va, true);
	irq_restore(flags);
}

/* Every non-global entry of space on this CPU. */
static void tlb_flush_space_here(struct vmm_space *space, bool counted)
{
	if (space == tlb_current_space()) {
		tlb_load(space, true);
		if (counted)
			tlb_count(&tlb_counters.space_flushes);
	} else {
		tlb_flush_other(space, INVPCID_CONTEXT, 0, counted);
	}
}

/* Everything on this CPU. */
static void tlb_flush_all_here(bool counted)
{
	uint64_t cr4 = read_cr4();

	/* Clearing PGE flushes every entry of every tag, global ones too. */
	write_cr4(cr4 & ~X86_CR4_PGE);
	write_cr4(cr4);
	if (counted)
		tlb_count(&tlb_counters.full_flushes);
}

/* A LEAVE request: this CPU stops holding space loaded. */
static void tlb_leave_here(struct vmm_space *space)
{
	unsigned cpu = cpu_current();

	if (tlb_cpu_loaded(cpu) != space)
		return;
	if (tlb_cpus[cpu].using == space)
		panic("tlb: space %p released while CPU %u runs it",
		      (void *)space, cpu);
	tlb_switch_to(vmm_kernel_space());
	__atomic_store_n(&tlb_cpus[cpu].using, NULL, __ATOMIC_RELEASE);
}

static void tlb_request_apply_here(const struct tlb_request *request,
				   bool counted)
{
	switch (request->kind) {
	case TLB_REQUEST_PAGES:
		for (unsigned i = 0; i < request->count; i++)
			tlb_flush_page_here(request->space, request->pages[i],
					    counted);
		break;
	case TLB_REQUEST_SPACE:
		tlb_flush_space_here(request->space, counted);
		break;
	case TLB_REQUEST_ALL:
		tlb_flush_all_here(counted);
		break;
	case TLB_REQUEST_LEAVE:
		tlb_leave_here(request->space);
		break;
	}
}

void tlb_request_apply(const struct tlb_request *request)
{
	tlb_request_apply_here(request, false);
}

/* Carries out request here, then on every other CPU that needs it. */
static void tlb_invalidate(struct tlb_request *request)
{
	unsigned long flags = irq_save();

	tlb_request_apply_here(request, true);
	tlb_shootdown(request);
	irq_restore(flags);
}

/* A request for pages[0..count) of space, one round. */
static void tlb_invalidate_pages(struct vmm_space *space,
				 const uintptr_t *pages, unsigned count,
				 bool kernel_half, bool tables_freed)
{
	struct tlb_request request = {
		.kind = TLB_REQUEST_PAGES, .space = space, .pages = pages,
		.count = count, .tables_freed = tables_freed,
		.everywhere = kernel_half || space == vmm_kernel_space(),
	};

	tlb_invalidate(&request);
}

void tlb_flush_page(struct vmm_space *space, uintptr_t va)
{
	uintptr_t page = va & ~(uintptr_t)(PAGE_SIZE - 1);

	tlb_invalidate_pages(space, &page, 1, tlb_is_kernel_half(va), false);
}

void tlb_flush_page_tables(struct vmm_space *space, uintptr_t va)
{
	uintptr_t page = va & ~(uintptr_t)(PAGE_SIZE - 1);

	tlb_invalidate_pages(space, &page, 1, tlb_is_kernel_half(va), true);
}

void tlb_flush_space(struct vmm_space *space)
{
	struct tlb_request request = {
		.kind = TLB_REQUEST_SPACE, .space = space,
		.everywhere = space == vmm_kernel_space(),
	};

	tlb_invalidate(&request);
}

void tlb_flush_all(void)
{
	struct tlb_request request = {
		.kind = TLB_REQUEST_ALL, .everywhere = true,
	};

	tlb_invalidate(&request);
}

/* Everything of space past the page-by-page ceiling: the kernel half's
 * entries are global and survive a CR3 reload, so they take a full flush. */
static void tlb_flush_whole(struct vmm_space *space, bool kernel_half)
{
	if (kernel_half)
		tlb_flush_all();
	else
		tlb_flush_space(space);
}

void tlb_flush_range(struct vmm_space *space, uintptr_t start, uintptr_t end)
{
	uintptr_t first = start & ~(PAGE_SIZE - 1);

	if (end <= first)
		return;
	uintptr_t count = (end - first + PAGE_SIZE - 1) / PAGE_SIZE;
	if (count > TLB_RANGE_THRESHOLD_PAGES) {
		tlb_flush_whole(space, tlb_is_kernel_half(end - 1));
		return;
	}
	uintptr_t pages[TLB_RANGE_THRESHOLD_PAGES];
	for (unsigned i = 0; i < count; i++)
		pages[i] = first + i * PAGE_SIZE;
	tlb_invalidate_pages(space, pages, (unsigned)count,
			     tlb_is_kernel_half(end - 1), false);
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
		tlb_flush_whole(batch->space, batch->kernel_half);
	} else if (batch->count) {
		tlb_invalidate_pages(batch->space, batch->pages, batch->count,
				     batch->kernel_half, false);
	}
	tlb_batch_begin(batch, batch->space);
}

void tlb_space_release(struct vmm_space *space)
{
	struct tlb_request request = {
		.kind = TLB_REQUEST_LEAVE, .space = space,
	};

	tlb_invalidate(&request);
}

uint64_t tlb_space_cpus(const struct vmm_space *space)
{
	return __atomic_load_n(&space->tlb_cpus, __ATOMIC_ACQUIRE);
}

struct vmm_space *tlb_cpu_space(unsigned cpu, bool *lazy)
{
	struct vmm_space *loaded = tlb_cpu_loaded(cpu);

	if (lazy)
		*lazy = __atomic_load_n(&tlb_cpus[cpu].using,
					__ATOMIC_ACQUIRE) != loaded;
	return loaded;
}

uint64_t tlb_interrupts_received(unsigned cpu)
{
	return cpu < CONFIG_MAX_CPUS ? tlb_shootdown_received(cpu) : 0;
}

uint64_t tlb_lazy_skips_of(unsigned cpu)
{
	return cpu < CONFIG_MAX_CPUS ? tlb_shootdown_skipped(cpu) : 0;
}

void tlb_get_stats(struct tlb_stats *stats)
{
	struct tlb_shootdown_figures figures;

	*stats = tlb_counters;
	stats->page_flushes = __atomic_load_n(&tlb_counters.page_flushes, __ATOMIC_RELAXED);
	tlb_shootdown_figures(&figures);
	stats->shootdown_rounds = figures.rounds;
	stats->shootdown_flushes = figures.answered;
	stats->shootdown_ipis = figures.ipis;
	stats->lazy_skips = figures.lazy_skips;
	stats->shootdown_folds = figures.folds;
}
