/*
 * Kernel start-up of transformed regions (mm/region_boot.c).
 */
#ifndef VEIL_MM_REGION_BOOT_H
#define VEIL_MM_REGION_BOOT_H

/* Transforms, the default page store, the fault handler: once, after
 * mm_init. */
void region_boot_init(void);

struct store;
/*
 * A new page store of kind "zs" (size classes, mm/zstore.h) or "log"
 * (log-structured, mm/logstore.h) over the frame allocator, with the
 * default store's frame limit, for a store swap (region_set_scheme_store,
 * which owns it from then on). NULL for another kind or no memory.
 */
struct store *region_store_create(const char *kind);

#endif
