/*
 * Frame-pointer backtraces (kernel/lib/backtrace.h). Each frame is [saved rbp,
 * return address]; a frame is followed only while it lies on a stack (the
 * kernel's writable image holds the boot stack and the boot CPU's IST
 * stacks; the other CPUs' stacks are allocated kernel stacks) and moves up
 * the stack, and the walk ends at a zero frame pointer, which
 * boot/entry.asm and arch/x86/smp_trampoline.asm set for the first frame.
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/lib/backtrace.h"
#include "kernel/lib/ksyms.h"
#include "kernel/lib/printk.h"
#include "mm/kstack.h"

#define BACKTRACE_MAX_FRAMES 32

extern const char kernel_data_start[], kernel_data_end[];

static bool backtrace_frame_readable(uint64_t frame)
{
	if (frame & 7)
		return false;
	if (frame >= (uint64_t)kernel_data_start &&
	    frame + 16 <= (uint64_t)kernel_data_end)
		return true;
	/* Both words on one allocated stack (16 | KSTACK_SIZE). */
	return kstack_in_use(frame) && kstack_in_use(frame + 15);
}

void backtrace_print_symbol(uint64_t address)
{
	const char *name;
	uint64_t offset;

	if (ksym_lookup(address, &name, &offset))
		printk("0x%016llx %s+0x%llx\n", (unsigned long long)address,
		       name, (unsigned long long)offset);
	else
		printk("0x%016llx ?\n", (unsigned long long)address);
}

void backtrace_print(uint64_t instruction, uint64_t frame_pointer)
{
	printk("backtrace:\n");
	printk("  #0  ");
	backtrace_print_symbol(instruction);
	for (int depth = 1; depth < BACKTRACE_MAX_FRAMES; depth++) {
		if (!backtrace_frame_readable(frame_pointer))
			return;
		const uint64_t *frame = (const uint64_t *)frame_pointer;
		uint64_t return_address = frame[1];
		if (return_address == 0)
			return;
		/* Print the call instruction's address, inside the caller. */
		printk("  #%-2d ", depth);
		backtrace_print_symbol(return_address - 1);
		if (frame[0] != 0 && frame[0] <= frame_pointer)
			return;	/* frames must move up the stack */
		frame_pointer = frame[0];
	}
}

unsigned backtrace_capture(uint64_t frame_pointer, uint64_t *return_addresses,
			   unsigned max)
{
	unsigned count = 0;

	while (count < max && backtrace_frame_readable(frame_pointer)) {
		const uint64_t *frame = (const uint64_t *)frame_pointer;
		if (frame[1] == 0)
			break;
		return_addresses[count++] = frame[1];
		if (frame[0] <= frame_pointer)
			break;	/* frames must move up the stack; 0 ends it */
		frame_pointer = frame[0];
	}
	return count;
}

void backtrace_print_here(void)
{
	uint64_t frame_pointer = (uint64_t)__builtin_frame_address(0);

	backtrace_print((uint64_t)__builtin_return_address(0) - 1,
			*(const uint64_t *)frame_pointer);
}
