/*
 * Command-line parsing (kernel/cmdline.h). Words are copied into a bounded
 * buffer one at a time; a word too long for it is refused whole (and
 * reported), never applied cut short: half a value can mean another one
 * (loglevel=77 cut to loglevel=7).
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/lib/printk.h"

extern const struct cmdline_option cmdline_options_start[];
extern const struct cmdline_option cmdline_options_end[];

bool cmdline_parse_u64(const char *text, unsigned long long *value)
{
	unsigned base = 10;
	unsigned long long result = 0;

	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		base = 16;
		text += 2;
	}
	if (!*text)
		return false;
	for (; *text; text++) {
		unsigned digit;
		if (*text >= '0' && *text <= '9')
			digit = *text - '0';
		else if (base == 16 && *text >= 'a' && *text <= 'f')
			digit = *text - 'a' + 10;
		else if (base == 16 && *text >= 'A' && *text <= 'F')
			digit = *text - 'A' + 10;
		else
			return false;
		if (result > (~0ull - digit) / base)
			return false;
		result = result * base + digit;
	}
	*value = result;
	return true;
}

bool cmdline_parse_bool(const char *text, bool *value)
{
	if (!*text || strcmp(text, "on") == 0 || strcmp(text, "1") == 0)
		*value = true;
	else if (strcmp(text, "off") == 0 || strcmp(text, "0") == 0)
		*value = false;
	else
		return false;
	return true;
}

bool cmdline_parse_range(const char *text, unsigned long long min,
			 unsigned long long max, unsigned long long *value)
{
	unsigned long long parsed;

	if (!cmdline_parse_u64(text, &parsed) || parsed < min || parsed > max)
		return false;
	*value = parsed;
	return true;
}

static const struct cmdline_option *
cmdline_find(const char *key, const struct cmdline_option *options,
	     unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		if (strcmp(options[i].name, key) == 0)
			return &options[i];
	}
	return NULL;
}

/* Applies one word; false when it was unknown or rejected. */
static bool cmdline_apply_word(char *word, const struct cmdline_option *options,
			       unsigned count)
{
	char *equals = strchr(word, '=');
	const char *value = "";

	if (equals) {
		*equals = '\0';
		value = equals + 1;
	}
	const struct cmdline_option *option = cmdline_find(word, options, count);
	if (!option) {
		log_warn("cmdline: unknown option '%s' ignored (see 'help')",
			 word);
		return false;
	}
	if (!option->set(value)) {
		log_warn("cmdline: bad value '%s' for option '%s' ignored "
			 "(setting unchanged); accepted: %s", value, word,
			 option->help);
		return false;
	}
	return true;
}

unsigned cmdline_apply_table(const char *text,
			     const struct cmdline_option *options,
			     unsigned count)
{
	char word[CMDLINE_WORD_MAX];
	unsigned rejected = 0;

	while (*text) {
		size_t length = 0, dropped = 0;
		while (*text == ' ' || *text == '\t')
			text++;
		if (!*text)
			break;
		while (*text && *text != ' ' && *text != '\t') {
			if (length < sizeof(word) - 1)
				word[length++] = *text;
			else
				dropped++;
			text++;
		}
		word[length] = '\0';
		if (dropped) {
			log_warn("cmdline: word of %u bytes starting '%.16s' is "
				 "longer than %u bytes: ignored",
				 (unsigned)(length + dropped), word,
				 (unsigned)sizeof(word) - 1);
			rejected++;
			continue;
		}
		if (!cmdline_apply_word(word, options, count))
			rejected++;
	}
	return rejected;
}

unsigned cmdline_apply(const char *text)
{
	return cmdline_apply_table(text, cmdline_options_start,
				   (unsigned)(cmdline_options_end -
					      cmdline_options_start));
}

void cmdline_print_help(void)
{
	printk("kernel command-line options:\n");
	for (const struct cmdline_option *o = cmdline_options_start;
	     o < cmdline_options_end; o++)
		printk("  %-18s %s\n", o->name, o->help);
}

static bool cmdline_set_help(const char *value)
{
	if (*value)
		return false;	/* a bare word: help=x is a typo, not a request */
	cmdline_print_help();
	return true;
}
CMDLINE_OPTION(help, "help", "no value: list the command-line options",
	       cmdline_set_help);

static bool cmdline_set_loglevel(const char *value)
{
	unsigned long long level;

	/* Below 3 would hide error reports: not a level Veil offers. */
	if (!cmdline_parse_range(value, LOG_ERROR, LOG_DEBUG, &level))
		return false;
	printk_set_level((int)level);
	return true;
}
CMDLINE_OPTION(loglevel, "loglevel",
	       "N: console log level, 3 errors .. 7 debug (default 6)",
	       cmdline_set_loglevel);
