/*
 * The 16550 UART on COM1: the kernel's main console and the channel the host
 * test runner reads. Output waits for the transmitter, so nothing is dropped.
 */
#ifndef VEIL_ARCH_X86_SERIAL_H
#define VEIL_ARCH_X86_SERIAL_H

#include <stdbool.h>

void serial_init(void);
void serial_putc(char c);
/* Waits (bounded) until the UART has sent its last byte, shift register
 * included: called before the machine stops, which would drop it. */
void serial_drain(void);
/* A received byte, or -1 when none is waiting. */
int serial_getc(void);
/* False when no UART answers at COM1 (the scratch register test failed). */
bool serial_present(void);

#endif
