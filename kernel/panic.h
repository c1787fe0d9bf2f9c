/*
 * panic: the end of the kernel when it cannot go on. Prints the message, a
 * backtrace and, in test mode, exits QEMU with the failure status. Host builds
 * print and abort() (tests/host/host_shim.c).
 */
#ifndef VEIL_KERNEL_PANIC_H
#define VEIL_KERNEL_PANIC_H

void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* A check that stays in release builds: a broken invariant is a panic naming
 * the file, line and expression, never silent corruption. */
#define KASSERT(cond)                                                          \
	do {                                                                   \
		if (__builtin_expect(!(cond), 0))                              \
			panic("assertion failed: %s at %s:%d", #cond,         \
			      __FILE__, __LINE__);                             \
	} while (0)

#endif
