/*
 * printk: the kernel's text output. Lines go to the serial port and, when one
 * exists, to the screen console. Portable code (allocators, codecs) may call
 * these too: host builds get them from tests/host/host_shim.c.
 *
 * Formats: %d %i %u %x %X %p %s %c %% with the l, ll, z length modifiers,
 * a field width and the 0 and - flags.
 */
#ifndef VEIL_KERNEL_PRINTK_H
#define VEIL_KERNEL_PRINTK_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
	LOG_ERROR = 3,
	LOG_WARN  = 4,
	LOG_INFO  = 6,
	LOG_DEBUG = 7,
};

/* Raw text, no prefix, no added newline. */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list args);
/* Writes length bytes as they are (NULs included) to every console, in
 * one piece between other CPUs' lines: a process's output. */
void printk_bytes(const char *bytes, size_t length);
/* header then bytes, both as they are, with no other output between. */
void printk_frame(const char *header, size_t header_length,
		  const char *bytes, size_t length);

/* One log line: "[seconds.micros] level: text"; dropped if below the
 * console log level (command line loglevel=N). */
void klog(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) klog(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  klog(LOG_WARN, __VA_ARGS__)
#define log_info(...)  klog(LOG_INFO, __VA_ARGS__)
#define log_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

/* Formats into buf (always NUL-terminated when size > 0); returns the length
 * the full output would have had, like snprintf. */
int ksnprintf(char *buf, unsigned long size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int kvsnprintf(char *buf, unsigned long size, const char *fmt, va_list args);

/* Sets the console log level (LOG_ERROR .. LOG_DEBUG). */
void printk_set_level(int level);
/* For panic, once the other CPUs are stopped: from now on the calling CPU
 * prints without taking the console lock (a stopped CPU may hold it). */
void printk_take_over(void);

#endif
