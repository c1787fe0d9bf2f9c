/*
 * Between the shell's files: the command table (kernel/shell/shell_commands.c),
 * argument helpers (kernel/shell/shell_parse.c) and the line editor
 * (kernel/shell/shell_line.c).
 */
#ifndef VEIL_KERNEL_SHELL_INTERNAL_H
#define VEIL_KERNEL_SHELL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/shell/shell.h"

#define SHELL_WORDS_MAX 16

struct shell_command {
	const char *name;
	const char *usage;	/* arguments, "" when none */
	const char *help;	/* one line */
	int (*run)(int argc, char **argv);	/* argv[0] is the name */
};

/* The table, in the order `help` prints it. */
extern const struct shell_command shell_commands[];
extern const unsigned shell_command_count;
const struct shell_command *shell_find_command(const char *name);

/* Splits line in place into at most max words; -1 when there are more. */
int shell_split(char *line, char **words, int max);
/* A number within [min, max], or a message naming `what` and false. */
bool shell_parse_number(const char *text, const char *what,
			unsigned long long min, unsigned long long max,
			unsigned long long *value);
/* "key=value" split; false (with a message) when there is no '='. */
bool shell_split_option(char *word, char **key, char **value);
/* Says how to use the command; returns SHELL_BAD_ARGUMENT. */
int shell_usage(const struct shell_command *command);
int shell_usage_of(const char *name);

struct region;
/* A region by name or id; a message and NULL when there is none. */
struct region *shell_find_region(const char *name_or_id);

/* Command groups. */
int shell_cmd_help(int argc, char **argv);
int shell_cmd_mem(int argc, char **argv);
int shell_cmd_slabinfo(int argc, char **argv);
int shell_cmd_regions(int argc, char **argv);
int shell_cmd_scheme(int argc, char **argv);
int shell_cmd_rekey(int argc, char **argv);
int shell_cmd_rmap(int argc, char **argv);
int shell_cmd_wset(int argc, char **argv);
int shell_cmd_batch(int argc, char **argv);
int shell_cmd_trace(int argc, char **argv);
int shell_cmd_stats(int argc, char **argv);
int shell_cmd_run(int argc, char **argv);
int shell_cmd_test(int argc, char **argv);
int shell_cmd_bench(int argc, char **argv);
int shell_cmd_failpoints(int argc, char **argv);	/* test builds */
int shell_cmd_threads(int argc, char **argv);
int shell_cmd_exec(int argc, char **argv);
int shell_cmd_ps(int argc, char **argv);
int shell_cmd_cpus(int argc, char **argv);
int shell_cmd_modload(int argc, char **argv);
int shell_cmd_modunload(int argc, char **argv);
int shell_cmd_modules(int argc, char **argv);
int shell_cmd_reboot(int argc, char **argv);
int shell_cmd_poweroff(int argc, char **argv);

/* What shell_line_read returns for a line that must not run. */
#define SHELL_LINE_TOO_LONG (-1)	/* the excess was dropped as it came */
#define SHELL_LINE_BINARY (-2)		/* control or non-ASCII bytes: said */

/* The line editor: reads one line into buffer (SHELL_LINE_MAX + 1 bytes).
 * Returns its length, or SHELL_LINE_TOO_LONG (not yet reported: the
 * caller says so) or SHELL_LINE_BINARY (already reported). */
int shell_line_read(const char *prompt, char *buffer);

#endif
