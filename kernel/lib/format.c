/*
 * The formatting engine behind printk and ksnprintf: a small printf that
 * emits characters through a callback, so that console output needs no
 * intermediate buffer (and no line is ever cut) while ksnprintf bounds its
 * writes. Supported: %d %i %u %x %X %p %s %c %%, the l, ll and z length
 * modifiers, a field width (digits or *), a precision for %s, and the 0 and
 * - flags. An unknown conversion is printed as is, so a mistake shows.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/format.h"

struct format_spec {
	bool left;
	bool zero;
	int width;
	int precision;	/* -1: none */
	int length;	/* 0 int, 1 long, 2 long long, 3 size_t */
};

static void format_pad(format_emit_fn emit, void *arg, char c, int count)
{
	while (count-- > 0)
		emit(c, arg);
}

static void format_string(format_emit_fn emit, void *arg, const char *s,
			  const struct format_spec *spec)
{
	int length = 0;

	if (!s)
		s = "(null)";
	while (s[length] && (spec->precision < 0 || length < spec->precision))
		length++;
	if (!spec->left)
		format_pad(emit, arg, ' ', spec->width - length);
	for (int i = 0; i < length; i++)
		emit(s[i], arg);
	if (spec->left)
		format_pad(emit, arg, ' ', spec->width - length);
}

static void format_number(format_emit_fn emit, void *arg, uint64_t value,
			  bool negative, unsigned base, bool upper,
			  const char *prefix, const struct format_spec *spec)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char text[24];
	int length = 0, prefix_length = 0, sign = negative ? 1 : 0;

	do {
		text[length++] = digits[value % base];
		value /= base;
	} while (value);
	while (prefix && prefix[prefix_length])
		prefix_length++;
	int padding = spec->width - length - sign - prefix_length;

	if (!spec->left && !spec->zero)
		format_pad(emit, arg, ' ', padding);
	if (negative)
		emit('-', arg);
	for (int i = 0; i < prefix_length; i++)
		emit(prefix[i], arg);
	if (!spec->left && spec->zero)
		format_pad(emit, arg, '0', padding);
	while (length)
		emit(text[--length], arg);
	if (spec->left)
		format_pad(emit, arg, ' ', padding);
}

static const char *format_parse_spec(const char *fmt, va_list *args,
				     struct format_spec *spec)
{
	*spec = (struct format_spec){ .precision = -1 };
	for (;; fmt++) {
		if (*fmt == '-')
			spec->left = true;
		else if (*fmt == '0')
			spec->zero = true;
		else
			break;
	}
	if (*fmt == '*') {
		spec->width = va_arg(*args, int);
		fmt++;
	}
	while (*fmt >= '0' && *fmt <= '9')
		spec->width = spec->width * 10 + (*fmt++ - '0');
	if (*fmt == '.') {
		spec->precision = 0;
		fmt++;
		if (*fmt == '*') {
			spec->precision = va_arg(*args, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			spec->precision = spec->precision * 10 + (*fmt++ - '0');
	}
	if (*fmt == 'z') {
		spec->length = 3;
		fmt++;
	}
	while (*fmt == 'l' && spec->length < 2) {
		spec->length++;
		fmt++;
	}
	return fmt;
}

static uint64_t format_unsigned_arg(va_list *args, int length)
{
	switch (length) {
	case 0: return va_arg(*args, unsigned int);
	case 1: return va_arg(*args, unsigned long);
	case 2: return va_arg(*args, unsigned long long);
	default: return va_arg(*args, size_t);
	}
}

static int64_t format_signed_arg(va_list *args, int length)
{
	switch (length) {
	case 0: return va_arg(*args, int);
	case 1: return va_arg(*args, long);
	case 2: return va_arg(*args, long long);
	default: return (int64_t)va_arg(*args, size_t);
	}
}

static void format_conversion(format_emit_fn emit, void *arg, char conversion,
			      va_list *args, struct format_spec *spec)
{
	switch (conversion) {
	case 'd':
	case 'i': {
		int64_t v = format_signed_arg(args, spec->length);
		uint64_t magnitude = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
		format_number(emit, arg, magnitude, v < 0, 10, false, NULL,
			      spec);
		break;
	}
	case 'u':
		format_number(emit, arg, format_unsigned_arg(args, spec->length),
			      false, 10, false, NULL, spec);
		break;
	case 'x':
	case 'X':
		format_number(emit, arg, format_unsigned_arg(args, spec->length),
			      false, 16, conversion == 'X', NULL, spec);
		break;
	case 'p':
		spec->zero = true;
		spec->width = spec->width ? spec->width : 18;
		format_number(emit, arg, (uintptr_t)va_arg(*args, void *),
			      false, 16, false, "0x", spec);
		break;
	case 's':
		format_string(emit, arg, va_arg(*args, const char *), spec);
		break;
	case 'c': {
		char c = (char)va_arg(*args, int);
		char text[2] = { c, 0 };
		spec->precision = 1;
		format_string(emit, arg, text, spec);
		break;
	}
	case '%':
		emit('%', arg);
		break;
	default:
		emit('%', arg);
		if (conversion)
			emit(conversion, arg);
		break;
	}
}

void format_emit(format_emit_fn emit, void *arg, const char *fmt,
		 va_list args_in)
{
	va_list args;
	struct format_spec spec;

	va_copy(args, args_in);
	while (*fmt) {
		if (*fmt != '%') {
			emit(*fmt++, arg);
			continue;
		}
		fmt = format_parse_spec(fmt + 1, &args, &spec);
		format_conversion(emit, arg, *fmt, &args, &spec);
		if (*fmt)
			fmt++;
	}
	va_end(args);
}
