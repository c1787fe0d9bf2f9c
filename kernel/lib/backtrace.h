/*
 * Backtraces by frame pointer (the kernel is built with
 * -fno-omit-frame-pointer), printed with names from the kernel's symbol
 * table. The walk checks each frame lies on a kernel stack before reading
 * it, so a corrupt chain ends the trace instead of faulting.
 */
#ifndef VEIL_KERNEL_BACKTRACE_H
#define VEIL_KERNEL_BACKTRACE_H

#include <stdint.h>

/* Prints "  #N 0x... name+0xoff" lines from instruction and frame pointers. */
void backtrace_print(uint64_t instruction, uint64_t frame_pointer);
/* The backtrace of the caller. */
void backtrace_print_here(void);
/* Prints one address as name+0xoffset (or the bare address). */
void backtrace_print_symbol(uint64_t address);

#endif
