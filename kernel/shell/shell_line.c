/*
 * The shell's line editor over console_getc (polled: the serial driver has
 * no receive interrupt). Printable characters are echoed; backspace (BS or
 * DEL) erases; Ctrl-C drops the line, Ctrl-U clears it; the up and down
 * arrows (ESC [ A / ESC [ B) walk a small history. CR, LF or CR LF ends a
 * line. Characters past SHELL_LINE_MAX are dropped and the line is
 * reported too long when it ends, so a runaway paste cannot overflow.
 */
#include <string.h>
#include "kernel/console.h"
#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"
#include "kernel/lib/time.h"

#define SHELL_HISTORY 8

/* Lines entered, oldest overwritten first; touched by the shell alone. */
static char shell_history[SHELL_HISTORY][SHELL_LINE_MAX + 1];
static unsigned shell_history_count;

struct shell_editor {
	const char *prompt;
	char *buffer;
	int length;		/* -1 once the line overflowed */
	unsigned escape;	/* 0, or 1 after ESC, 2 after ESC [ or ESC O */
	unsigned browsing;	/* history entries walked back */
	bool last_was_cr;
};

static int shell_getc_wait(void)
{
	for (;;) {
		int c = console_getc();
		if (c >= 0)
			return c;
		time_delay_ms(1);
	}
}

static void shell_history_add(const char *line)
{
	if (!*line || (shell_history_count &&
		       strcmp(shell_history[(shell_history_count - 1) %
					    SHELL_HISTORY], line) == 0))
		return;
	strlcpy(shell_history[shell_history_count % SHELL_HISTORY], line,
		SHELL_LINE_MAX + 1);
	shell_history_count++;
}

static void shell_redraw(struct shell_editor *e)
{
	printk("\r\x1b[K%s%s", e->prompt, e->buffer);
}

/* Up (back > 0) or down the history; back 0 is an empty line. */
static void shell_history_walk(struct shell_editor *e, int step)
{
	unsigned available = shell_history_count < SHELL_HISTORY ?
			     shell_history_count : SHELL_HISTORY;
	int back = (int)e->browsing + step;

	if (back < 0 || back > (int)available || e->length < 0)
		return;
	e->browsing = (unsigned)back;
	if (back == 0)
		e->buffer[0] = '\0';
	else
		strlcpy(e->buffer, shell_history[(shell_history_count - back) %
						 SHELL_HISTORY], SHELL_LINE_MAX + 1);
	e->length = (int)strlen(e->buffer);
	shell_redraw(e);
}

/* True when c was part of an escape sequence. */
static bool shell_escape(struct shell_editor *e, int c)
{
	if (e->escape == 0 && c == 0x1b) {
		e->escape = 1;
		return true;
	}
	if (e->escape == 1) {
		e->escape = (c == '[' || c == 'O') ? 2 : 0;
		return true;
	}
	if (e->escape == 2) {
		e->escape = 0;
		if (c == 'A')
			shell_history_walk(e, 1);
		else if (c == 'B')
			shell_history_walk(e, -1);
		return true;
	}
	return false;
}

static void shell_insert(struct shell_editor *e, int c)
{
	if (e->length < 0)
		return;
	if (e->length == SHELL_LINE_MAX) {
		e->length = -1;	/* overflowed: the rest is dropped */
		printk("\a");
		return;
	}
	e->buffer[e->length++] = (char)c;
	e->buffer[e->length] = '\0';
	printk("%c", c);
}

static void shell_erase(struct shell_editor *e)
{
	if (e->length <= 0)
		return;
	e->buffer[--e->length] = '\0';
	printk("\b \b");
}

/* Handles one byte; true when the line is complete. */
static bool shell_editor_key(struct shell_editor *e, int c)
{
	bool after_cr = e->last_was_cr;

	e->last_was_cr = c == '\r';
	if (shell_escape(e, c))
		return false;
	if (c == '\r' || (c == '\n' && !after_cr))
		return true;
	if (c == 0x7f || c == '\b')
		shell_erase(e);
	else if (c == 0x03 || c == 0x15) {	/* Ctrl-C, Ctrl-U */
		e->buffer[0] = '\0';
		e->length = 0;
		printk(c == 0x03 ? "^C\n%s" : "\r\x1b[K%s", e->prompt);
	} else if (c >= 0x20 && c < 0x7f)
		shell_insert(e, c);
	return false;
}

int shell_line_read(const char *prompt, char *buffer)
{
	struct shell_editor e = { .prompt = prompt, .buffer = buffer };

	buffer[0] = '\0';
	printk("%s", prompt);
	while (!shell_editor_key(&e, shell_getc_wait()))
		;
	printk("\n");
	if (e.length >= 0)
		shell_history_add(buffer);
	return e.length;
}
