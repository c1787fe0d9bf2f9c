/*
 * COM1 16550 driver: polled, 115200 8N1. Transmission waits for the
 * transmit holding register to empty before each byte; a missing UART is
 * detected once so that output to it does not spin forever.
 */
#include <stdint.h>
#include "arch/x86/serial.h"
#include "arch/x86/x86.h"

#define COM1 0x3f8
#define UART_DATA 0
#define UART_INTERRUPT_ENABLE 1
#define UART_FIFO_CONTROL 2
#define UART_LINE_CONTROL 3
#define UART_MODEM_CONTROL 4
#define UART_LINE_STATUS 5
#define UART_SCRATCH 7

#define LINE_STATUS_DATA_READY 0x01
#define LINE_STATUS_TRANSMIT_EMPTY 0x20
#define LINE_STATUS_TRANSMITTER_IDLE 0x40	/* FIFO and shift register */
/* Polls of the line status before a byte is written anyway: far longer
 * than one byte takes at any baud rate. */
#define SERIAL_TRANSMIT_POLLS 1000000u
#define SERIAL_DRAIN_POLLS 100000	/* ~0.1 s of port reads; 16 bytes need 1.4 ms */

/* Written once at init, read-only after. */
static bool serial_found;

void serial_init(void)
{
	outb(COM1 + UART_SCRATCH, 0x5a);
	serial_found = inb(COM1 + UART_SCRATCH) == 0x5a;
	if (!serial_found)
		return;
	outb(COM1 + UART_INTERRUPT_ENABLE, 0x00);
	outb(COM1 + UART_LINE_CONTROL, 0x80);	/* divisor latch */
	outb(COM1 + UART_DATA, 1);		/* 115200 baud */
	outb(COM1 + UART_INTERRUPT_ENABLE, 0);
	outb(COM1 + UART_LINE_CONTROL, 0x03);	/* 8N1 */
	outb(COM1 + UART_FIFO_CONTROL, 0xc7);
	outb(COM1 + UART_MODEM_CONTROL, 0x03);	/* DTR, RTS */
}

bool serial_present(void)
{
	return serial_found;
}

/* Writes c once the transmitter takes it. The wait is bounded (as Linux's
 * 8250 console bounds its own): a UART that never reports room, as an
 * emulator's sometimes does not, costs a late or lost byte, never a hung
 * kernel. */
void serial_putc(char c)
{
	if (!serial_found)
		return;
	for (unsigned i = 0; i < SERIAL_TRANSMIT_POLLS; i++) {
		if (inb(COM1 + UART_LINE_STATUS) & LINE_STATUS_TRANSMIT_EMPTY)
			break;
		cpu_pause();
	}
	outb(COM1 + UART_DATA, (uint8_t)c);
}

void serial_drain(void)
{
	if (!serial_found)
		return;
	for (int i = 0; i < SERIAL_DRAIN_POLLS; i++) {
		if (inb(COM1 + UART_LINE_STATUS) & LINE_STATUS_TRANSMITTER_IDLE)
			return;
		cpu_pause();
	}
}

int serial_getc(void)
{
	if (!serial_found ||
	    !(inb(COM1 + UART_LINE_STATUS) & LINE_STATUS_DATA_READY))
		return -1;
	return inb(COM1 + UART_DATA);
}
