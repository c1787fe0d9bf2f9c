/*
 * The kernel command line: space-separated words, each `key=value` or a bare
 * `key`. Options are registered with CMDLINE_OPTION into a linker section
 * (no central list); `help` on the command line, or cmdline_print_help(),
 * lists them with their documentation. An unknown key or a value its option
 * rejects gets a one-line warning on the console (naming the option and,
 * from its help text, what it accepts) and changes nothing, never a crash.
 * Each option's help text starts with the values it accepts.
 */
#ifndef VEIL_KERNEL_CMDLINE_H
#define VEIL_KERNEL_CMDLINE_H

#include <stdbool.h>

struct cmdline_option {
	const char *name;
	const char *help;
	/* Takes the value ("" for a bare key); false if it is not valid. */
	bool (*set)(const char *value);
};

#define CMDLINE_OPTION(id, option_name, help_text, setter)                     \
	static const struct cmdline_option cmdline_option_##id                 \
		__attribute__((used, section(".cmdline_options"),              \
			       aligned(8))) = { option_name, help_text, setter }

/* Longest command line kept (with its NUL); a longer one is cut before
 * its first incomplete word, with a warning (kernel/multiboot2.c). */
#define CMDLINE_MAX 1024
/* Longest single word (key=value) plus its NUL; a longer word is refused
 * whole with a warning. */
#define CMDLINE_WORD_MAX 256

/* Applies every word of text to its option. Returns the number of words
 * that were unknown or rejected. */
unsigned cmdline_apply(const char *text);
/* Like cmdline_apply over a table other than the linked one (for tests). */
unsigned cmdline_apply_table(const char *text,
			     const struct cmdline_option *options,
			     unsigned count);
void cmdline_print_help(void);

/* Parses a decimal or 0x-prefixed hexadecimal number, the whole string;
 * false on anything else or on overflow. */
bool cmdline_parse_u64(const char *text, unsigned long long *value);
/* Like cmdline_parse_u64, and within [min, max]; false (value untouched)
 * otherwise. */
bool cmdline_parse_range(const char *text, unsigned long long min,
			 unsigned long long max, unsigned long long *value);
/* A switch: a bare key, "on" or "1" is true, "off" or "0" false; false
 * (value untouched) on anything else. Switch options document this as
 * "[on|off]". */
bool cmdline_parse_bool(const char *text, bool *value);

#endif
