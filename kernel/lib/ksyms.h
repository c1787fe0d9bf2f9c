/*
 * The kernel's own symbol table, generated at build time from a first link
 * (tools/gen-ksyms) and linked into the image, so exception reports and
 * panics print function names without a debugger.
 */
#ifndef VEIL_KERNEL_KSYMS_H
#define VEIL_KERNEL_KSYMS_H

#include <stdbool.h>
#include <stdint.h>

/* The function containing address: its name and the offset into it. */
bool ksym_lookup(uint64_t address, const char **name, uint64_t *offset);
/* A symbol's address by name, 0 if unknown. */
uint64_t ksym_address(const char *name);
/* Number of symbols in the table (0 in a first-pass link). */
unsigned ksym_count(void);

#endif
