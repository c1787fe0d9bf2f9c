/*
 * The kernel's virtual memory layout. Shared by boot/ (NASM includes the
 * numbers through boot/memlayout.inc, kept in step by a build check) and by
 * the C kernel. Code outside arch/x86 asks for addresses through mm/ headers
 * (phys_to_virt and friends), never with these constants directly.
 *
 *   0xffff800000000000  direct map of all physical memory (PML4 slot 256)
 *   0xffffc00000000000  transformed regions (slot 384, vmm-mapped)
 *   0xfffffe0000000000  kernel stacks with guard pages (slot 508, vmm-mapped)
 *   0xffffffff80000000  the kernel image, physical 0 mapped here (top 2 GiB,
 *                       so -mcmodel=kernel addressing reaches every symbol)
 *   0xffffffffc0000000  loadable modules (kernel/module/, vmm-mapped): in
 *                       the same top 2 GiB, so module code built with
 *                       -mcmodel=kernel reaches the kernel and is reached
 */
#ifndef VEIL_ARCH_X86_MEMLAYOUT_H
#define VEIL_ARCH_X86_MEMLAYOUT_H

#define KERNEL_VIRTUAL_BASE  0xffffffff80000000ull
/* Where GRUB loads the image: above the first MiB, 2 MiB aligned. */
#define KERNEL_PHYSICAL_BASE 0x200000ull
#define DIRECT_MAP_BASE      0xffff800000000000ull
/* Largest physical address the direct map can cover (64 TiB, one PML4
 * quarter), far above what Veil meets. */
#define DIRECT_MAP_LIMIT     (1ull << 46)

/* Kernel virtual addresses handed to transformed regions (mm/region.c
 * through vmm_region_area): one PML4 slot, 512 GiB. */
#define KERNEL_REGIONS_BASE  0xffffc00000000000ull
#define KERNEL_REGIONS_SIZE  (1ull << 39)
/* Kernel stacks (arch/x86/kstack.c): each slot an unmapped guard area
 * below a mapped stack, in a PML4 slot of its own so the kernel half's
 * shared tables for it are made once. */
#define KERNEL_STACKS_BASE   0xfffffe0000000000ull
#define KERNEL_STACKS_SIZE   (1ull << 30)

/* Loadable modules (kernel/module/module_memory.c through
 * vmm_module_area): 128 MiB 1 GiB above the image, within 2 GiB of every
 * kernel symbol (PC32 and 32S relocations reach both ways). */
#define KERNEL_MODULES_BASE  0xffffffffc0000000ull
#define KERNEL_MODULES_SIZE  (128ull << 20)

#define PAGE_SIZE  4096ull
#define PAGE_SHIFT 12

#endif
