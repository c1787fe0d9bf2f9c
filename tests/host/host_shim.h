/*
 * What the host stand-ins (tests/host/host_shim.c) offer tests beyond the
 * kernel interfaces they replace: capturing what printk prints, so a test
 * can check the text of a dump instead of only calling it.
 */
#ifndef VEIL_TESTS_HOST_HOST_SHIM_H
#define VEIL_TESTS_HOST_HOST_SHIM_H

#include <stddef.h>

/* From now on printk and vprintk append to buffer (size bytes, always
 * NUL-terminated; text beyond it is dropped) instead of stdout. One
 * capture at a time, from one thread. */
void host_printk_capture_start(char *buffer, size_t size);
/* Ends the capture; returns the length printk asked to print (larger than
 * size - 1 when text was dropped). */
size_t host_printk_capture_stop(void);

#endif
