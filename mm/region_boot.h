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
 * A new page store of a registered kind (mm/store_kind.h: "zs", size
 * classes; "log", log-structured; a module's) over the frame allocator,
 * with the default store's frame limit, for a store swap
 * (region_set_scheme_store, which owns it from then on). NULL for a kind
 * nobody registered or no memory.
 */
struct store *region_store_create(const char *kind);
/* Registers the kernel's kinds, "zs" and "log" (region_boot_init). */
void region_store_kinds_init(void);

#endif
