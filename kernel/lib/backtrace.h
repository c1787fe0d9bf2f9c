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
/* Stores up to max return addresses found by walking up from the frame at
 * frame_pointer (the first is the return address of that frame's function,
 * i.e. a point inside its caller); returns how many. Nothing is printed, so
 * it may be called where printing is not possible (the lock checker). */
unsigned backtrace_capture(uint64_t frame_pointer, uint64_t *return_addresses,
			   unsigned max);

#endif
