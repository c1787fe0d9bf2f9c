/*
 * What mm/region.c and mm/region_fault.c share and nobody else needs.
 */
#ifndef VEIL_MM_REGION_INTERNAL_H
#define VEIL_MM_REGION_INTERNAL_H

#include <stdint.h>
#include "mm/region.h"

/* The region containing address, or NULL. */
struct region *region_find(uintptr_t address);
/* Drops every page (destroy): frames freed, sealed copies released. */
void region_release_pages(struct region *region);

#endif
