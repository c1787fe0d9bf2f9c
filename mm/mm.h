/*
 * The kernel's memory management, put together at boot by mm_init (after
 * the architecture built its page tables): the frame allocator over the
 * boot memory map, the kernel address space adopting the boot tables, the
 * slab over the buddy and the direct map, and kernel stacks with guards.
 * See docs/memory.md, "Kernel side".
 */
#ifndef VEIL_MM_MM_H
#define VEIL_MM_MM_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/pmm.h"

struct boot_info;

/* The kernel's frame allocator: all usable RAM of the boot memory map. */
extern struct pmm pmm_kernel;

/*
 * What a block of pmm_kernel holds, in its descriptors' owner field: 0 for
 * nothing recorded, one of these small kinds, or else (and only then) a
 * pointer to the slab that owns the page (mm/slab_pages.c).
 */
enum mm_owner_kind {
	MM_OWNER_NONE = 0,
	MM_OWNER_PAGE_TABLE = 1,	/* a page-table page of the vmm */
	MM_OWNER_KERNEL_STACK = 2,	/* frames of a kernel stack */
	MM_OWNER_DESCRIPTORS = 3,	/* never allocated: for completeness */
	MM_OWNER_KINDS = 4096,		/* values below are kinds, not pointers */
};

/* Once, from kmain right after arch_paging_init. Panics when the memory map
 * leaves no room for the allocator's own structures. */
void mm_init(const struct boot_info *info);

/*
 * Allocates CPU cpu's per-CPU buffers (codec workspace, scheme chain
 * buffers, region bounce buffer, trace ring) before it runs: mm_init calls
 * it for CPU 0, kernel/smp for each other CPU before starting it. False
 * when memory is short: then that CPU must not be started (what was
 * allocated stays, and a later call only completes it). Idempotent: may be called
 * again for the same cpu (an index is reused when its CPU did not come up).
 */
bool mm_cpu_prepare(unsigned cpu);

/* Console dump: frames (per order, total, reserved and why) and slabinfo. */
void mm_dump(void);

/* Pieces of mm_init, in this order. */
void pmm_boot_init(const struct boot_info *info);
void pmm_boot_dump(void);
/* Usable frames at or above 4 GiB that pmm_kernel manages. */
uint64_t pmm_boot_high_frames(void);
void vmm_init(void);			/* arch: adopts the boot page tables */
void slab_pages_init(void);		/* slab_init over pmm_kernel */
void kstack_init(void);			/* arch: the kernel-stack area */

#endif
