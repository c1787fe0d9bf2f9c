/*
 * trap_dispatch: where every interrupt and exception arrives from
 * arch/x86/isr.asm. Device interrupts go to their line's handler. An
 * exception is offered, in order, to the page-fault handler mm/ registered
 * (which may resolve it), then to the catch handler (ktest's, which may take
 * it and never return), and otherwise ends the kernel with a report. An
 * exception raised while this CPU is already handling one is reported
 * briefly and ends the kernel at once, so a fault in the reporting code
 * cannot loop.
 */
#include <stdbool.h>
#include <stdint.h>
#include "arch/x86/gdt.h"
#include "arch/x86/irq_lines.h"
#include "arch/x86/trap_frame.h"
#include "arch/x86/x86.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/trap.h"
#include "mm/kstack.h"

/* Set at boot; read on every fault. */
static page_fault_handler_t page_fault_handler;
static trap_catch_fn trap_catch_handler;
/* Exceptions this CPU is inside of; only its own CPU touches its slot. */
static unsigned trap_depth[CONFIG_MAX_CPUS];

extern const char boot_stack_guard[];

void trap_set_page_fault_handler(page_fault_handler_t handler)
{
	page_fault_handler = handler;
}

void trap_set_catch_handler(trap_catch_fn handler)
{
	trap_catch_handler = handler;
}

bool trap_is_stack_guard(uint64_t address)
{
	unsigned ist;
	uint64_t guard = (uint64_t)boot_stack_guard;

	return (address >= guard && address < guard + 4096) ||
	       gdt_ist_guard(address, &ist) || kstack_is_guard(address);
}

static unsigned trap_fault_flags(uint64_t error_code)
{
	unsigned flags = 0;

	flags |= error_code & X86_PF_PRESENT ? FAULT_PRESENT : 0;
	flags |= error_code & X86_PF_WRITE ? FAULT_WRITE : 0;
	flags |= error_code & X86_PF_USER ? FAULT_USER : 0;
	flags |= error_code & X86_PF_RESERVED ? FAULT_RESERVED : 0;
	flags |= error_code & X86_PF_FETCH ? FAULT_FETCH : 0;
	return flags;
}

static __attribute__((noreturn)) void trap_nested(struct trap_frame *frame)
{
	printk("\n*** exception inside the exception handler: %s (vector %llu) "
	       "at rip 0x%llx, cr2 0x%llx\n",
	       trap_vector_name(frame->vector),
	       (unsigned long long)frame->vector,
	       (unsigned long long)frame->rip,
	       (unsigned long long)read_cr2());
	panic_end();
}

static void trap_exception(struct trap_frame *frame)
{
	unsigned cpu = cpu_current();
	uint64_t fault_address = frame->vector == X86_VECTOR_PAGE_FAULT ?
					 read_cr2() : 0;

	if (trap_depth[cpu]++ > 0)
		trap_nested(frame);
	if (frame->vector == X86_VECTOR_PAGE_FAULT && page_fault_handler &&
	    page_fault_handler(fault_address,
			       trap_fault_flags(frame->error_code))) {
		trap_depth[cpu]--;
		return;
	}
	struct trap_info info = {
		.vector = (int)frame->vector,
		.error_code = frame->error_code,
		.fault_address = fault_address,
		.instruction = frame->rip,
		.fault_flags = frame->vector == X86_VECTOR_PAGE_FAULT ?
			       trap_fault_flags(frame->error_code) : 0,
	};
	trap_depth[cpu]--;	/* a catch handler does not come back */
	if (trap_catch_handler)
		trap_catch_handler(&info);
	trap_depth[cpu]++;
	trap_report(frame);
	panic_end();
}

void trap_dispatch(struct trap_frame *frame)
{
	if (frame->vector < X86_VECTOR_EXCEPTIONS)
		trap_exception(frame);
	else if (frame->vector < X86_VECTOR_IRQ_BASE + IRQ_LINES)
		irq_line_dispatch(frame);
	/* vector 255: a spurious interrupt, nothing to do */
}
