/*
 * The printf engine shared by printk and ksnprintf (kernel/lib/format.c).
 */
#ifndef VEIL_KERNEL_FORMAT_H
#define VEIL_KERNEL_FORMAT_H

#include <stdarg.h>

typedef void (*format_emit_fn)(char c, void *arg);

/* Formats fmt with args, handing each output character to emit. */
void format_emit(format_emit_fn emit, void *arg, const char *fmt,
		 va_list args);

#endif
