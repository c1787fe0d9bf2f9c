/*
 * Ending the machine: exit status for the test runner, power off, reboot
 * (arch/x86/power.c). Under QEMU the status goes through the isa-debug-exit
 * device (port 0xf4): QEMU then exits with (status << 1) | 1. Under Bochs
 * the kernel writes "Shutdown" to port 0x8900. On real hardware, or a VM
 * without those devices, the CPU halts.
 */
#ifndef VEIL_KERNEL_POWER_H
#define VEIL_KERNEL_POWER_H

enum machine_status {
	MACHINE_PASSED = 0,	/* QEMU exits 1 */
	MACHINE_FAILED = 1,	/* a test failed: QEMU exits 3 */
	MACHINE_CRASHED = 2,	/* panic or fatal exception: QEMU exits 5 */
};

void machine_exit(enum machine_status status) __attribute__((noreturn));
void machine_poweroff(void) __attribute__((noreturn));
void machine_reboot(void) __attribute__((noreturn));
/* Stops this CPU for good (interrupts off). */
void machine_halt(void) __attribute__((noreturn));

#endif
