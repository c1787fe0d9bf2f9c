/*
 * panic: print why, where (a backtrace) and stop. In test mode (a ktest,
 * bench or crashtest run) QEMU exits with the crash status so the runner
 * sees the end at once; otherwise the CPU halts with the message on screen.
 */
#include <stdarg.h>
#include <stdbool.h>
#include "kernel/lib/backtrace.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/panic.h"
#include "kernel/power.h"
#include "kernel/lib/printk.h"

/* Set once by kmain after the command line is read. */
static bool panic_exit_on_panic;

void panic_set_test_mode(bool test_mode)
{
	panic_exit_on_panic = test_mode;
}

void panic_end(void)
{
	irq_save();
	if (panic_exit_on_panic) {
		printk("veil: stopped (test mode: exiting with the crash status)\n");
		machine_exit(MACHINE_CRASHED);
	}
	printk("veil: stopped; the CPU is halted\n");
	machine_halt();
}

void panic(const char *fmt, ...)
{
	va_list args;

	irq_save();
	printk("\n*** kernel panic: ");
	va_start(args, fmt);
	vprintk(fmt, args);
	va_end(args);
	printk("\n");
	backtrace_print_here();
	panic_end();
}
