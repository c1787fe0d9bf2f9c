/*
 * Host stand-ins for the few kernel services portable code calls: printk,
 * klog, panic, interrupt masking and the CPU index. They let allocators and
 * codecs run as ordinary programs under the sanitizers.
 */
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "tests/host/host_shim.h"

/* Host tests that model several CPUs set this per thread. */
__thread unsigned host_cpu_index;
/* The slab's fast path raises it as the kernel's preemption count
 * (mm/slab_internal.h); nothing reads it on the host. */
__thread unsigned host_preempt_count;

/* The printk capture (host_shim.h): the buffer, its size and the length
 * printed so far; one capturing thread at a time, so no lock. */
static char *host_capture_buffer;
static size_t host_capture_size, host_capture_length;

void host_printk_capture_start(char *buffer, size_t size)
{
	host_capture_buffer = buffer;
	host_capture_size = size;
	host_capture_length = 0;
	if (size)
		buffer[0] = '\0';
}

size_t host_printk_capture_stop(void)
{
	host_capture_buffer = NULL;
	return host_capture_length;
}

void vprintk(const char *fmt, va_list args)
{
	size_t room;
	int n;

	if (!host_capture_buffer) {
		vprintf(fmt, args);
		return;
	}
	room = host_capture_length < host_capture_size ?
		       host_capture_size - host_capture_length : 0;
	n = vsnprintf(room ? host_capture_buffer + host_capture_length : NULL,
		      room, fmt, args);
	if (n > 0)
		host_capture_length += (size_t)n;
}

void printk(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vprintk(fmt, args);
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

#ifdef HOST_IRQ_FLAGS_MEASURED
/*
 * For benchmarks (bench-slab): the kernel's irq_save is pushfq, pop, cli
 * and its irq_restore an sti when interrupts were on (<arch/irq_flags.h>).
 * User mode may not run cli or sti (they fault at IOPL 0), so these run
 * the pushfq/pop, no cli, and a pushq/popfq of the saved flags in place of
 * the sti: the flag handling the kernel pays, bar the two privileged
 * instructions (popfq and sti do not cost the same; see the bench).
 */
unsigned long irq_save(void)
{
	unsigned long flags;

	__asm__ __volatile__("pushfq; popq %0" : "=r"(flags) : : "memory");
	return flags;
}

void irq_restore(unsigned long flags)
{
	__asm__ __volatile__("pushq %0; popfq" : : "r"(flags) : "memory", "cc");
}
#else
/* Host tests: nothing to mask (no interrupts reach the test). */
unsigned long irq_save(void)
{
	return 0;
}

void irq_restore(unsigned long flags)
{
	(void)flags;
}
#endif

/* Spin waits (kernel/lib/spinlock.h): yield every 64 turns, so a waiter
 * that is not on a host CPU gets one soon. */
void host_spin_relax(void)
{
	static __thread unsigned turns;

	__builtin_ia32_pause();
	if (++turns % 64 == 0)
		sched_yield();
}

/* Per-CPU buffers of host "CPUs" (the tests' *_cpu_prepare calls). */
void *cpu_memory_alloc(size_t bytes)
{
	void *memory = aligned_alloc(64, (bytes + 63) & ~(size_t)63);

	if (memory)
		memset(memory, 0, bytes);
	return memory;
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
