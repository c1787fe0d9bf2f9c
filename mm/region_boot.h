/*
 * Kernel start-up of transformed regions (mm/region_boot.c).
 */
#ifndef VEIL_MM_REGION_BOOT_H
#define VEIL_MM_REGION_BOOT_H

/* Transforms, the default page store, the fault handler: once, after
 * mm_init. */
void region_boot_init(void);

struct region;
struct store;
/*
 * A new page store of a registered kind (mm/store_kind.h: "zs", size
 * classes; "log", log-structured; a module's) over the frame allocator,
 * with the default store's frame limit, for a store swap
 * (region_set_scheme_store, which owns it from then on). NULL for a kind
 * nobody registered or no memory.
 */
struct store *region_store_create(const char *kind);
/*
 * A store swap onto a new store of kind: region_set_scheme_store of region
 * to scheme with region_store_create(kind). The region owns the store on
 * REGION_OK (*store says which, when store is not NULL); a refused swap
 * destroys it and gives region_set_scheme_store's result (which is never
 * REGION_BAD_ARGUMENT). REGION_BAD_ARGUMENT when no store of kind could be
 * made (no such kind, or no memory for it).
 */
int region_swap_store(struct region *region, const char *scheme,
		      const char *kind, struct store **store);
/* Registers the kernel's kinds, "zs" and "log" (region_boot_init). */
void region_store_kinds_init(void);
/* The kind of the default store, as store= names it: "log" or "zs". */
const char *region_default_store_kind(void);

#endif
