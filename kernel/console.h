/*
 * Console sinks: where printk's text goes. Each output device (serial port,
 * VGA text screen, framebuffer) registers an ops table; printk writes every
 * byte to each registered sink in turn. Registration happens at boot, before
 * other CPUs start, so the list needs no lock of its own: printk's lock
 * (kernel/lib/printk.c) serialises writers.
 */
#ifndef VEIL_KERNEL_CONSOLE_H
#define VEIL_KERNEL_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

struct console_ops {
	const char *name;
	void (*write)(const char *text, size_t length);
	/* A received byte or -1; NULL for output-only sinks. */
	int (*read)(void);
};

#define CONSOLE_MAX 4

/* Adds a sink; later output reaches it. Returns -1 when the table is full. */
int console_register(const struct console_ops *ops);
/* Writes to every sink. Called by printk with its lock held. */
void console_write(const char *text, size_t length);
/* A byte typed on any sink that reads, or -1 when none is waiting. */
int console_getc(void);

/* Ctrl-C: what a user types to stop a long command. */
#define CONSOLE_INTERRUPT 0x03
/* For long commands, polled between steps: reads every byte waiting and
 * returns true when one was CONSOLE_INTERRUPT. The other bytes are dropped
 * (nothing reads the console while a command runs). */
bool console_interrupt_pending(void);

#endif
