/*
 * printk and klog: formatted text to every console sink, under one lock so
 * lines from different CPUs do not interleave. An exception or panic that
 * strikes while this CPU holds the lock must still be able to print, so a
 * CPU that finds itself already owning the lock goes ahead without it.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include "kernel/console.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/format.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/time.h"

/* Serialises console output; printk_owner is the holder's CPU index + 1. */
static struct spinlock printk_lock = SPINLOCK_INIT("printk");
static unsigned printk_owner;
/* The CPU index + 1 that took the console over in a panic, or 0. */
static unsigned printk_panic_owner;

/* Lines with a level above this are dropped (command line loglevel=N). */
static int printk_console_level = LOG_INFO;

struct printk_buffer {
	char text[128];
	unsigned length;
};

static void printk_flush(struct printk_buffer *buffer)
{
	console_write(buffer->text, buffer->length);
	buffer->length = 0;
}

static void printk_emit(char c, void *arg)
{
	struct printk_buffer *buffer = arg;

	buffer->text[buffer->length++] = c;
	if (c == '\n' || buffer->length == sizeof(buffer->text))
		printk_flush(buffer);
}

static bool printk_acquire(unsigned long *flags)
{
	unsigned me = cpu_current() + 1;

	*flags = irq_save();
	if (__atomic_load_n(&printk_owner, __ATOMIC_RELAXED) == me)
		return false;	/* nested: an exception inside printk */
	if (__atomic_load_n(&printk_panic_owner, __ATOMIC_ACQUIRE) == me)
		return false;	/* a panic: the lock's holder may be stopped */
	spin_lock(&printk_lock);
	printk_owner = me;
	return true;
}

void printk_take_over(void)
{
	__atomic_store_n(&printk_panic_owner, cpu_current() + 1, __ATOMIC_RELEASE);
}

static void printk_release(bool locked, unsigned long flags)
{
	if (locked) {
		printk_owner = 0;
		spin_unlock(&printk_lock);
	}
	irq_restore(flags);
}

/* Prints prefix (may be NULL) then fmt; a prefixed line always ends with a
 * newline. */
static void printk_locked(const char *prefix, const char *fmt, va_list args)
{
	struct printk_buffer buffer = { .length = 0 };
	unsigned long flags;
	bool locked = printk_acquire(&flags);

	for (const char *p = prefix; p && *p; p++)
		printk_emit(*p, &buffer);
	format_emit(printk_emit, &buffer, fmt, args);
	if (prefix && (buffer.length == 0 ||
		       buffer.text[buffer.length - 1] != '\n'))
		printk_emit('\n', &buffer);
	if (buffer.length)
		printk_flush(&buffer);
	printk_release(locked, flags);
}

void printk_bytes(const char *bytes, size_t length)
{
	printk_frame(bytes, length, NULL, 0);
}

void printk_frame(const char *header, size_t header_length,
		  const char *bytes, size_t length)
{
	unsigned long flags;
	bool locked = printk_acquire(&flags);

	console_write(header, header_length);
	if (length)
		console_write(bytes, length);
	printk_release(locked, flags);
}

void vprintk(const char *fmt, va_list args)
{
	printk_locked(NULL, fmt, args);
}

void printk(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vprintk(fmt, args);
	va_end(args);
}

static const char *printk_level_name(enum log_level level)
{
	switch (level) {
	case LOG_ERROR: return "error";
	case LOG_WARN: return "warn";
	case LOG_INFO: return "info";
	default: return "debug";
	}
}

void klog(enum log_level level, const char *fmt, ...)
{
	va_list args;
	uint64_t ns = time_uptime_ns();
	char prefix[40];

	if ((int)level > printk_console_level)
		return;

	ksnprintf(prefix, sizeof(prefix), "[%5llu.%06llu] %s: ",
		  (unsigned long long)(ns / 1000000000u),
		  (unsigned long long)(ns / 1000u % 1000000u),
		  printk_level_name(level));
	va_start(args, fmt);
	printk_locked(prefix, fmt, args);
	va_end(args);
}

void printk_set_level(int level)
{
	printk_console_level = level;
}

struct snprintf_state {
	char *buffer;
	unsigned long size;
	unsigned long length;
};

static void snprintf_emit(char c, void *arg)
{
	struct snprintf_state *state = arg;

	if (state->length + 1 < state->size)
		state->buffer[state->length] = c;
	state->length++;
}

int kvsnprintf(char *buf, unsigned long size, const char *fmt, va_list args)
{
	struct snprintf_state state = { buf, size, 0 };

	format_emit(snprintf_emit, &state, fmt, args);
	if (size > 0)
		buf[state.length < size ? state.length : size - 1] = '\0';
	return (int)state.length;
}

int ksnprintf(char *buf, unsigned long size, const char *fmt, ...)
{
	va_list args;
	int length;

	va_start(args, fmt);
	length = kvsnprintf(buf, size, fmt, args);
	va_end(args);
	return length;
}
