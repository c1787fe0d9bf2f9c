/*
 * The console sink list (see kernel/console.h) and console input.
 */
#include "kernel/console.h"

/* Filled at boot only (one CPU, before interrupts), read by printk. */
static const struct console_ops *console_sinks[CONSOLE_MAX];
static unsigned console_count;

int console_register(const struct console_ops *ops)
{
	if (console_count == CONSOLE_MAX)
		return -1;
	console_sinks[console_count++] = ops;
	return 0;
}

void console_write(const char *text, size_t length)
{
	for (unsigned i = 0; i < console_count; i++)
		console_sinks[i]->write(text, length);
}

int console_getc(void)
{
	for (unsigned i = 0; i < console_count; i++) {
		int c = console_sinks[i]->read ? console_sinks[i]->read() : -1;
		if (c >= 0)
			return c;
	}
	return -1;
}

bool console_interrupt_pending(void)
{
	bool interrupted = false;

	/* bounded: a stream of bytes must not keep the command from running */
	for (unsigned i = 0; i < 64; i++) {
		int c = console_getc();
		if (c < 0)
			break;
		if (c == CONSOLE_INTERRUPT)
			interrupted = true;
	}
	return interrupted;
}
