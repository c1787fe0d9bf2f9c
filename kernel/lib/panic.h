/*
 * panic: the end of the kernel when it cannot go on. Prints the message, a
 * backtrace and, in test mode, exits QEMU with the failure status. Host builds
 * print and abort() (tests/host/host_shim.c).
 */
#ifndef VEIL_KERNEL_PANIC_H
#define VEIL_KERNEL_PANIC_H

#include <stdbool.h>

void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* The end after a report was printed elsewhere (an exception report): in
 * test mode QEMU exits with the crash status, otherwise the CPU halts. */
void panic_end(void) __attribute__((noreturn));
/* Claims the crash report for this CPU before it prints one: the first
 * CPU to arrive stops the other CPUs (the hook below) and may print without
 * the console lock a stopped CPU may hold; a CPU arriving while another
 * one reports halts here for good (marked CPU_STOPPED), so a report is
 * printed once. Called by panic() and by the exception reporter. */
void panic_enter(void);
/* The function that stops the other CPUs (kernel/smp sets it at boot). */
void panic_set_stop_others(void (*stop_others)(void));
/* In test mode a panic exits QEMU with the crash status (kernel/power.h). */
void panic_set_test_mode(bool test_mode);

/* A check that stays in release builds: a broken invariant is a panic naming
 * the file, line and expression, never silent corruption. */
#define KASSERT(cond)                                                          \
	do {                                                                   \
		if (__builtin_expect(!(cond), 0))                              \
			panic("assertion failed: %s at %s:%d", #cond,         \
			      __FILE__, __LINE__);                             \
	} while (0)

#endif
