/*
 * The PC's side of start-up (kernel/arch.h): serial console, descriptor
 * tables, screen consoles, interrupt controller and timer.
 */
#include <stdint.h>
#include <arch/cpuid.h>
#include "arch/x86/gdt.h"
#include "kernel/user/user_cpu.h"
#include "arch/x86/irq_lines.h"
#include "arch/x86/memlayout.h"
#include "arch/x86/pic.h"
#include "arch/x86/serial.h"
#include "arch/x86/trap_frame.h"
#include "arch/x86/x86.h"
#include "kernel/arch.h"
#include "kernel/bootinfo.h"
#include "kernel/console.h"
#include "kernel/fbcon.h"
#include "kernel/lib/printk.h"

void vga_text_init(const struct boot_framebuffer *fb);

extern const char kernel_physical_start[], kernel_physical_end[];

static void serial_console_write(const char *text, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		if (text[i] == '\n')
			serial_putc('\r');
		serial_putc(text[i]);
	}
}

static const struct console_ops serial_console = {
	.name = "serial",
	.write = serial_console_write,
	.read = serial_getc,
};

void arch_early_console_init(void)
{
	serial_init();
	console_register(&serial_console);
}

void arch_cpu_init(void)
{
	gdt_init();
	idt_init();
	user_cpu_init();
}

void *arch_early_phys_to_virt(uint64_t physical)
{
	return (void *)(DIRECT_MAP_BASE + physical);
}

void arch_screen_console_init(const struct boot_info *info)
{
	const struct boot_framebuffer *fb = &info->framebuffer;

	if (!info->has_framebuffer)
		return;
	if (fb->type == BOOT_FRAMEBUFFER_EGA_TEXT) {
		vga_text_init(fb);
		return;
	}
	/* Pixel framebuffers (UEFI boots): the boot tables and the kernel's
	 * direct map both cover 0-4 GiB, device memory included; above that
	 * only RAM is mapped, so a framebuffer there is not drawn on. */
	uint64_t end = fb->address + (uint64_t)fb->pitch * fb->height;
	fbcon_console_init(fb, end <= (4ull << 30) ?
			       (void *)(DIRECT_MAP_BASE + fb->address) : NULL);
}

void arch_interrupts_init(void)
{
	pic_init();
	timer_init();
	interrupts_enable();
}

void arch_describe_cpu(void)
{
	uint32_t regs[12], eax, ebx, ecx, edx;
	char brand[49];

	cpuid_query(0x80000000u, 0, &eax, &ebx, &ecx, &edx);
	brand[0] = '\0';
	if (eax >= 0x80000004u) {
		for (unsigned i = 0; i < 3; i++)
			cpuid_query(0x80000002u + i, 0, &regs[4 * i],
				    &regs[4 * i + 1], &regs[4 * i + 2],
				    &regs[4 * i + 3]);
		__builtin_memcpy(brand, regs, 48);
		brand[48] = '\0';
	}
	log_info("cpu: %s; AES-NI %s, PCLMULQDQ %s, RDRAND %s, RDSEED %s",
		 brand[0] ? brand : "(no brand string)",
		 cpuid_has(CPUID_FEATURE_AESNI) ? "yes" : "no",
		 cpuid_has(CPUID_FEATURE_PCLMUL) ? "yes" : "no",
		 cpuid_has(CPUID_FEATURE_RDRAND) ? "yes" : "no",
		 cpuid_has(CPUID_FEATURE_RDSEED) ? "yes" : "no");
}

uint64_t arch_kernel_physical_start(void)
{
	return (uint64_t)kernel_physical_start;
}

uint64_t arch_kernel_physical_end(void)
{
	return (uint64_t)kernel_physical_end;
}
