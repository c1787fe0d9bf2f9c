/*
 * Host stand-ins for the few kernel services portable code calls: printk,
 * klog, panic, interrupt masking and the CPU index. They let allocators and
 * codecs run as ordinary programs under the sanitizers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"

/* Host tests that model several CPUs set this per thread. */
__thread unsigned host_cpu_index;

void vprintk(const char *fmt, va_list args)
{
	vprintf(fmt, args);
}

void printk(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
}

void klog(enum log_level level, const char *fmt, ...)
{
	va_list args;

	printf("<%d> ", (int)level);
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	printf("\n");
}

int kvsnprintf(char *buf, unsigned long size, const char *fmt, va_list args)
{
	return vsnprintf(buf, size, fmt, args);
}

int ksnprintf(char *buf, unsigned long size, const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = vsnprintf(buf, size, fmt, args);
	va_end(args);
	return n;
}

void panic(const char *fmt, ...)
{
	va_list args;

	fflush(stdout);
	fprintf(stderr, "panic: ");
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fprintf(stderr, "\n");
	abort();
}

unsigned long irq_save(void)
{
	return 0;
}

void irq_restore(unsigned long flags)
{
	(void)flags;
}

unsigned cpu_current(void)
{
	return host_cpu_index;
}

/* Host tests may run "CPUs" as threads with any index below the limit. */
unsigned cpu_count(void)
{
	return CONFIG_MAX_CPUS;
}
