/*
 * Kernel start-up of transformed regions (mm/region_boot.c).
 */
#ifndef VEIL_MM_REGION_BOOT_H
#define VEIL_MM_REGION_BOOT_H

/* Transforms, the default page store, the fault handler: once, after
 * mm_init. */
void region_boot_init(void);

#endif
