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
	/* Translations of this space may be cached under its PCID although
	 * it changed while not running: flush at the next switch. Written
	 * with interrupts off under the space's lock or at switch time. */
	bool tlb_stale;
	struct vmm_space *next;		/* list of all spaces (vmm_spaces_lock) */
};

/* Loads space on this CPU (CR3 with its PCID); interrupts must be off. */
void tlb_switch_to(struct vmm_space *space);
/* The space running on this CPU. */
struct vmm_space *tlb_current_space(void);
bool tlb_has_pcid(void);

/* Physical address of the boot page tables' root (arch/x86/paging_boot.c). */
uint64_t paging_root_physical(void);

#endif
