/*
 * The kernel shell on the serial console: a line editor (backspace,
 * history on the arrow keys), a parser that splits a line into words, and
 * a table of commands (`help` lists them). Bad input (an empty line, an
 * unknown command, a bad number, a line too long) gets a message and the
 * shell goes on: nothing typed can stop it but `reboot` and `poweroff`.
 */
#ifndef VEIL_KERNEL_SHELL_H
#define VEIL_KERNEL_SHELL_H

/* Longest line the editor and the parser accept. */
#define SHELL_LINE_MAX 255

enum shell_result {
	SHELL_OK = 0,
	SHELL_EMPTY = 1,		/* nothing but blanks */
	SHELL_UNKNOWN = -1,		/* no such command */
	SHELL_BAD_ARGUMENT = -2,	/* the command refused its arguments */
	SHELL_TOO_LONG = -3,		/* longer than SHELL_LINE_MAX */
	SHELL_TOO_MANY_WORDS = -4,
	SHELL_FAILED = -5,		/* the command ran and failed */
};

/* Runs one line as typed; says what went wrong on the console. */
int shell_execute(const char *line);
/* The prompt loop; never returns. */
void shell_run(void) __attribute__((noreturn));

#endif
