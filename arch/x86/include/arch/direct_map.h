/*
 * The architecture's side of mm/direct_map.h: where the direct map of all
 * physical memory lives (arch/x86/memlayout.h). Only mm/direct_map.h
 * includes this; mm/ code uses phys_to_virt and friends.
 */
#ifndef VEIL_ARCH_X86_DIRECT_MAP_H
#define VEIL_ARCH_X86_DIRECT_MAP_H

#include <stdbool.h>
#include <stdint.h>
#include "arch/x86/memlayout.h"

static inline void *arch_phys_to_virt(uint64_t phys)
{
	return (void *)(uintptr_t)(DIRECT_MAP_BASE + phys);
}

static inline uint64_t arch_virt_to_phys(const void *virt)
{
	return (uint64_t)(uintptr_t)virt - DIRECT_MAP_BASE;
}

static inline bool arch_direct_map_contains(const void *virt)
{
	uint64_t address = (uint64_t)(uintptr_t)virt;

	return address >= DIRECT_MAP_BASE &&
	       address - DIRECT_MAP_BASE < DIRECT_MAP_LIMIT;
}

#endif
