/*
 * The direct map: every physical frame is reachable at a fixed virtual
 * address, so mm/ reads and writes frames (descriptor storage, page-table
 * pages, slabs) without mapping them. Kernel-only (host tests have no direct
 * map); the constants are the architecture's, this header only forwards.
 */
#ifndef VEIL_MM_DIRECT_MAP_H
#define VEIL_MM_DIRECT_MAP_H

#include <stdbool.h>
#include <stdint.h>
/* The one place mm/ names the architecture's layout. */
#include <arch/direct_map.h>

/* The virtual address of physical byte phys (any RAM the boot map covers). */
static inline void *phys_to_virt(uint64_t phys)
{
	return arch_phys_to_virt(phys);
}

/* The physical address of a direct-map address; meaningless for others
 * (check with direct_map_contains when the pointer is untrusted). */
static inline uint64_t virt_to_phys(const void *virt)
{
	return arch_virt_to_phys(virt);
}

static inline bool direct_map_contains(const void *virt)
{
	return arch_direct_map_contains(virt);
}

#endif
