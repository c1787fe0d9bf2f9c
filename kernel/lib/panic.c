/*
 * panic: print why, where (a backtrace) and stop. In test mode (a ktest,
 * bench or crashtest run) QEMU exits with the crash status so the runner
 * sees the end at once; otherwise the CPU halts with the message on screen.
 * On several CPUs the first CPU to panic stops the others and reports; a
 * second one halts without a word (panic_enter).
 */
#include <stdarg.h>
#include <stdbool.h>
#include "kernel/lib/backtrace.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/panic.h"
#include "kernel/power.h"
#include "kernel/lib/printk.h"

/* Set once by kmain after the command line is read. */
static bool panic_exit_on_panic;
/* Set once by kernel/smp at boot. */
static void (*panic_stop_others)(void);
/* The CPU index + 1 of the CPU reporting, 0 before any panic; claimed
 * once with a compare-and-swap. */
static unsigned panic_reporter;

void panic_set_stop_others(void (*stop_others)(void))
{
	panic_stop_others = stop_others;
}

void panic_enter(void)
{
	unsigned me = cpu_current() + 1, expected = 0;

	irq_save();
	if (__atomic_compare_exchange_n(&panic_reporter, &expected, me, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Take the console first: a CPU stopped inside printk keeps
		 * its lock for good. */
		printk_take_over();
		if (panic_stop_others)
			panic_stop_others();
		return;
	}
	if (expected == me)
		return;		/* a panic inside this CPU's own report */
	__atomic_store_n(&cpu_local()->state, CPU_STOPPED, __ATOMIC_RELEASE);
	machine_halt();
}

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

	panic_enter();
	printk("\n*** kernel panic: ");
	va_start(args, fmt);
	vprintk(fmt, args);
	va_end(args);
	printk("\n");
	backtrace_print_here();
	panic_end();
}
