/*
 * The shell's line editor over console_getc (polled: the serial driver has
 * no receive interrupt). Printable characters and tab are echoed;
 * backspace (BS or DEL) erases; Ctrl-C drops the line, Ctrl-U clears it;
 * the up and down arrows (ESC [ A / ESC [ B, or ESC O A / B) walk a small
 * history. CR, LF or CR LF ends a line. Characters past SHELL_LINE_MAX are
 * dropped and the line is reported too long when it ends, so a runaway
 * paste cannot overflow. Other control bytes and bytes above 0x7e make the
 * line refused when it ends (dropping them silently would run a different
 * line than the one sent). Other escape sequences (Home, Delete, F1,
 * Ctrl-arrows: ESC [ params final) are read to their end and dropped, and
 * counted for a note when the line ends.
 */
#include <string.h>
#include "kernel/console.h"
#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"

#define SHELL_HISTORY 8

/* Lines entered, oldest overwritten first; touched by the shell alone. */
static char shell_history[SHELL_HISTORY][SHELL_LINE_MAX + 1];
static unsigned shell_history_count;

enum shell_escape_state {
	SHELL_ESCAPE_NONE,
	SHELL_ESCAPE_STARTED,	/* after ESC */
	SHELL_ESCAPE_CSI,	/* after ESC [ (and parameter bytes) */
	SHELL_ESCAPE_SS3,	/* after ESC O */
};

struct shell_editor {
	const char *prompt;
	char *buffer;
	int length;		/* -1 once the line overflowed */
	enum shell_escape_state escape;
	bool escape_parameters;	/* the CSI sequence had parameter bytes */
	unsigned browsing;	/* history entries walked back */
	unsigned bad_bytes;	/* control or non-ASCII bytes seen */
	unsigned unknown_escapes;	/* sequences dropped */
	bool last_was_cr;
};

static int shell_getc_wait(void)
{
	for (;;) {
		int c = console_getc();
		if (c >= 0)
			return c;
		/* Asleep, the CPU can idle (or run other threads). */
		if (thread_current())
			thread_sleep_ms(1);
		else
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

/* The end of an escape sequence: the arrows walk the history, anything
 * else is counted and dropped. */
static void shell_escape_final(struct shell_editor *e, int c, bool known)
{
	e->escape = SHELL_ESCAPE_NONE;
	if (known && c == 'A')
		shell_history_walk(e, 1);
	else if (known && c == 'B')
		shell_history_walk(e, -1);
	else
		e->unknown_escapes++;
}

/* True when c was part of an escape sequence (ECMA-48: ESC [, parameter
 * bytes 0x20..0x3f, one final byte 0x40..0x7e; ESC O and one byte). */
static bool shell_escape(struct shell_editor *e, int c)
{
	switch (e->escape) {
	case SHELL_ESCAPE_NONE:
		if (c != 0x1b)
			return false;
		e->escape = SHELL_ESCAPE_STARTED;
		e->escape_parameters = false;
		return true;
	case SHELL_ESCAPE_STARTED:
		if (c == '[')
			e->escape = SHELL_ESCAPE_CSI;
		else if (c == 'O')
			e->escape = SHELL_ESCAPE_SS3;
		else
			shell_escape_final(e, c, false);	/* ESC and one byte */
		return true;
	case SHELL_ESCAPE_CSI:
		if (c >= 0x20 && c <= 0x3f) {
			e->escape_parameters = true;
			return true;
		}
		if (c >= 0x40 && c <= 0x7e) {
			shell_escape_final(e, c, !e->escape_parameters);
			return true;
		}
		break;	/* not a sequence after all: the byte counts itself */
	case SHELL_ESCAPE_SS3:
		if (c >= 0x40 && c <= 0x7e) {
			shell_escape_final(e, c, true);
			return true;
		}
		break;
	}
	e->escape = SHELL_ESCAPE_NONE;
	e->unknown_escapes++;
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
		e->bad_bytes = 0;	/* they went with the line */
		printk(c == 0x03 ? "^C\n%s" : "\r\x1b[K%s", e->prompt);
	} else if ((c >= 0x20 && c < 0x7f) || c == '\t')
		shell_insert(e, c);
	else
		e->bad_bytes++;
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
	if (e.unknown_escapes)
		printk("shell: %u escape sequence(s) dropped: the editor knows "
		       "only the up and down arrows\n", e.unknown_escapes);
	if (e.length < 0)
		return SHELL_LINE_TOO_LONG;
	if (e.bad_bytes) {
		printk("shell: line held %u control or non-ASCII byte(s): not "
		       "run\n", e.bad_bytes);
		return SHELL_LINE_BINARY;
	}
	shell_history_add(buffer);
	return e.length;
}
