/*
 * What arch/x86/vmm.c and arch/x86/tlb.c share about an address space. The
 * rest of the kernel sees struct vmm_space as opaque (mm/vmm.h).
 */
#ifndef VEIL_ARCH_X86_VMM_INTERNAL_H
#define VEIL_ARCH_X86_VMM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/lib/spinlock.h"

struct vmm_space {
	/* Protects this space's lower-half page-table pages and entries. The
	 * kernel space's lock protects the kernel half, shared by all. */
	struct spinlock lock;
	uint64_t root_physical;
	uint64_t *root;			/* through the direct map */
	/* PCID tag; 0 is the kernel's and the fallback when tags run out
	 * (a switch to a space tagged 0 always flushes). */
	uint16_t pcid;
	/* Who may hold this space's translations (arch/x86/tlb.c): bit i of
	 * tlb_cpus, CPU i loaded it and may still cache its entries (lazily,
	 * or under its PCID while running another space); bit i of tlb_stale,
	 * CPU i owes a flush of it before it next uses it. Atomic masks (64
	 * CPUs, CONFIG_MAX_CPUS); the kernel space uses neither. */
	uint64_t tlb_cpus;
	uint64_t tlb_stale;
	struct vmm_space *next;		/* list of all spaces (vmm_spaces_lock) */
};

/* Loads space on this CPU (CR3 with its PCID) and uses it non-lazily,
 * with the flush it owes; interrupts must be off. */
void tlb_switch_to(struct vmm_space *space);
/* The space loaded on this CPU (its CR3), lazily or not. */
struct vmm_space *tlb_current_space(void);
bool tlb_has_pcid(void);
/* Invalidates va of space after page-table pages on its path were
 * unlinked (they are freed afterwards): as tlb_flush_page, but the CPUs
 * that have space loaded lazily are reached too, since a speculative walk
 * may go through a cached pointer to the freed table. */
/* Invalidates va of space on this CPU only (no shootdown): for a change
 * another CPU may keep seeing for a while without harm (a cleared
 * Accessed bit). */
void tlb_flush_page_local(struct vmm_space *space, uintptr_t va);
void tlb_flush_page_tables(struct vmm_space *space, uintptr_t va);
/* Before space's tables are freed: every CPU that still has it loaded
 * lazily loads the kernel space instead. Panics if a CPU runs it. */
void tlb_space_release(struct vmm_space *space);

/* Physical address of the boot page tables' root (arch/x86/paging_boot.c). */
uint64_t paging_root_physical(void);

#endif
