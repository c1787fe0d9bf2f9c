/*
 * What the start-up code (kernel/main.c) asks of the architecture, in the
 * order it asks (arch/x86/setup.c on a PC).
 */
#ifndef VEIL_KERNEL_ARCH_H
#define VEIL_KERNEL_ARCH_H

#include <stdint.h>

struct boot_info;

/* The serial console: the first thing, so everything after can print. */
void arch_early_console_init(void);
/* Descriptor tables and exception handling. */
void arch_cpu_init(void);
/* Virtual address of physical memory in the boot loader's early map
 * (0-4 GiB), before arch_paging_init. */
void *arch_early_phys_to_virt(uint64_t physical);
/* Screen consoles the boot information offers (VGA text, framebuffer). */
void arch_screen_console_init(const struct boot_info *info);
/* The kernel's own page tables: W^X image, guard pages, direct map. */
void arch_paging_init(const struct boot_info *info);
/* Interrupt controller and timer; interrupts enabled on return. */
void arch_interrupts_init(void);
/* A one-line description of the CPU (vendor, model, features used). */
void arch_describe_cpu(void);
/* The kernel image's physical extent. */
uint64_t arch_kernel_physical_start(void);
uint64_t arch_kernel_physical_end(void);

#endif
