/*
 * machine_exit, poweroff and reboot (kernel/power.h) on a PC: the emulators'
 * exit ports first, then ACPI-free fallbacks (QEMU's PIIX4 power-management
 * port, the keyboard controller reset line), then a halt or a triple fault.
 * The UART is drained first: an emulator that stops (Bochs) or a machine
 * that powers off would otherwise lose the console's last byte.
 */
#include <stdint.h>
#include "arch/x86/serial.h"
#include "arch/x86/x86.h"
#include "kernel/power.h"

#define QEMU_DEBUG_EXIT_PORT 0xf4
#define BOCHS_SHUTDOWN_PORT 0x8900
#define QEMU_PIIX4_PM_PORT 0x604	/* -machine pc; SLP_EN | S5 */
#define QEMU_OLD_PM_PORT 0xb004
#define KEYBOARD_CONTROLLER 0x64

static void bochs_shutdown(void)
{
	for (const char *p = "Shutdown"; *p; p++)
		outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*p);
}

void machine_exit(enum machine_status status)
{
	interrupts_disable();
	serial_drain();
	outb(QEMU_DEBUG_EXIT_PORT, (uint8_t)status);
	bochs_shutdown();
	cpu_halt_forever();
}

void machine_poweroff(void)
{
	interrupts_disable();
	serial_drain();
	outb(QEMU_DEBUG_EXIT_PORT, MACHINE_PASSED);
	bochs_shutdown();
	outw(QEMU_PIIX4_PM_PORT, 0x2000);
	outw(QEMU_OLD_PM_PORT, 0x2000);
	cpu_halt_forever();
}

void machine_reboot(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty_idt = { 0, 0 };

	interrupts_disable();
	serial_drain();
	/* Pulse the reset line through the keyboard controller... */
	for (int i = 0; i < 1000 && (inb(KEYBOARD_CONTROLLER) & 0x02); i++)
		io_wait();
	outb(KEYBOARD_CONTROLLER, 0xfe);
	/* ...or triple-fault: no IDT, then an exception. */
	__asm__ __volatile__("lidt %0; int3" : : "m"(empty_idt));
	cpu_halt_forever();
}

void machine_halt(void)
{
	cpu_halt_forever();
}
