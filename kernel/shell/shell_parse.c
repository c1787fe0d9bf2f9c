/*
 * The shell's parser: a line is split into blank-separated words, the
 * first names the command. Every failure (too long, too many words, an
 * unknown command, a number that is not one or is out of range) is said
 * on the console and returned as a shell_result, never acted upon.
 */
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"

static bool shell_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int shell_split(char *line, char **words, int max)
{
	int count = 0;

	for (char *p = line; *p;) {
		while (shell_is_blank(*p))
			*p++ = '\0';
		if (!*p)
			break;
		if (count == max)
			return -1;
		words[count++] = p;
		while (*p && !shell_is_blank(*p))
			p++;
	}
	return count;
}

bool shell_parse_number(const char *text, const char *what,
			unsigned long long min, unsigned long long max,
			unsigned long long *value)
{
	unsigned long long parsed;

	if (!cmdline_parse_u64(text, &parsed)) {
		printk("shell: '%s' is not a number (%s)\n", text, what);
		return false;
	}
	if (parsed < min || parsed > max) {
		printk("shell: %s must be %llu..%llu, not %llu\n", what, min, max,
		       parsed);
		return false;
	}
	*value = parsed;
	return true;
}

bool shell_split_option(char *word, char **key, char **value)
{
	char *equals = strchr(word, '=');

	if (!equals || equals == word) {
		printk("shell: '%s' is not an option (expected KEY=VALUE)\n", word);
		return false;
	}
	*equals = '\0';
	*key = word;
	*value = equals + 1;
	return true;
}

const struct shell_command *shell_find_command(const char *name)
{
	for (unsigned i = 0; i < shell_command_count; i++) {
		if (strcmp(shell_commands[i].name, name) == 0)
			return &shell_commands[i];
	}
	return NULL;
}

int shell_usage(const struct shell_command *command)
{
	printk("usage: %s %s\n", command->name, command->usage);
	return SHELL_BAD_ARGUMENT;
}

int shell_usage_of(const char *name)
{
	const struct shell_command *command = shell_find_command(name);

	return command ? shell_usage(command) : SHELL_BAD_ARGUMENT;
}

int shell_execute(const char *line)
{
	char copy[SHELL_LINE_MAX + 1];
	char *words[SHELL_WORDS_MAX + 1];	/* NULL after the last, as a
						 * program's argv (exec) */

	if (strnlen(line, SHELL_LINE_MAX + 1) > SHELL_LINE_MAX) {
		printk("shell: line longer than %u characters: not run\n",
		       SHELL_LINE_MAX);
		return SHELL_TOO_LONG;
	}
	strlcpy(copy, line, sizeof(copy));
	int count = shell_split(copy, words, SHELL_WORDS_MAX);
	if (count < 0) {
		printk("shell: more than %u words: not run\n", SHELL_WORDS_MAX);
		return SHELL_TOO_MANY_WORDS;
	}
	if (count == 0)
		return SHELL_EMPTY;
	words[count] = NULL;
	const struct shell_command *command = shell_find_command(words[0]);
	if (!command) {
		printk("shell: unknown command '%s'; `help` lists them\n",
		       words[0]);
		return SHELL_UNKNOWN;
	}
	return command->run(count, words);
}
