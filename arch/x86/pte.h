/*
 * x86-64 paging entry bits (Intel SDM vol. 3, 4.5). Only arch/x86 knows
 * them; mm/ speaks in enum vmm_prot.
 */
#ifndef VEIL_ARCH_X86_PTE_H
#define VEIL_ARCH_X86_PTE_H

#include <stdint.h>

#define PTE_PRESENT  (1ull << 0)
#define PTE_WRITABLE (1ull << 1)
#define PTE_USER     (1ull << 2)
#define PTE_ACCESSED (1ull << 5)
#define PTE_DIRTY    (1ull << 6)
#define PTE_LARGE    (1ull << 7)	/* 2 MiB in a PD, 1 GiB in a PDPT */
#define PTE_GLOBAL   (1ull << 8)
#define PTE_NO_EXECUTE (1ull << 63)
/* Software bit (ignored by the CPU, bits 9-11 are the OS's): in a
 * non-present entry it says the entry holds a handle (arch/x86/vmm.c). */
#define PTE_SOFT_HANDLE (1ull << 9)
#define PTE_ADDRESS_MASK 0x000ffffffffff000ull

#define PT_ENTRIES 512

static inline unsigned pte_index(uint64_t va, unsigned level)
{
	/* level 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT */
	return (va >> (12 + 9 * (level - 1))) & 511;
}

#endif
