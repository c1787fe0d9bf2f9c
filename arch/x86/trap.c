/*
 * trap_dispatch: where every interrupt and exception arrives from
 * arch/x86/isr.asm. Device interrupts go to their line's handler. A page
 * fault is decoded here, once, into mm/fault.h's arch-neutral description
 * and handed to the fault dispatcher, which asks the address's owner; a
 * fault the owner resolved (or wants retried) returns to the access. Any
 * other exception, and a fault the owner answered with an error or as
 * fatal, is offered to the catch handler (ktest's, which may take it and
 * never return), and otherwise ends the kernel with a report. An
 * exception raised while this CPU is already handling one is reported
 * briefly and ends the kernel at once, so a fault in the reporting code
 * cannot loop.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "arch/x86/gdt.h"
#include "arch/x86/irq_lines.h"
#include "arch/x86/lapic.h"
#include "arch/x86/trap_frame.h"
#include "arch/x86/user_cpu_internal.h"
#include "arch/x86/x86.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/smp.h"
#include "kernel/trap.h"
#include "kernel/user/user_cpu.h"
#include "mm/fault.h"
#include "mm/kstack.h"

/* Set at boot (or by a test); read on every unresolved exception. */
static trap_catch_fn trap_catch_handler;
static trap_catch_fn trap_recover_handler;
/* Exceptions this CPU is inside of; only its own CPU touches its slot. */
static unsigned trap_depth[CONFIG_MAX_CPUS];

extern const char boot_stack_guard[];

void trap_set_catch_handler(trap_catch_fn handler)
{
	trap_catch_handler = handler;
}

void trap_set_recover_handler(trap_catch_fn handler)
{
	__atomic_store_n(&trap_recover_handler, handler, __ATOMIC_RELEASE);
}

uintptr_t trap_swap_fault_stack(uintptr_t top)
{
	return (uintptr_t)gdt_swap_page_fault_stack(top);
}

/* Offers a kernel-mode exception to the recover handler, which does not
 * come back when it takes it; trap_depth counts it as over meanwhile. */
static void trap_offer_recovery(struct trap_info *info)
{
	trap_catch_fn recover = __atomic_load_n(&trap_recover_handler,
						__ATOMIC_ACQUIRE);
	unsigned cpu = cpu_current();

	if (!recover)
		return;
	trap_depth[cpu]--;
	recover(info);
	trap_depth[cpu]++;
}

bool trap_is_stack_guard(uint64_t address)
{
	unsigned ist;
	uint64_t guard = (uint64_t)boot_stack_guard;

	return (address >= guard && address < guard + 4096) ||
	       gdt_ist_guard(address, &ist) || kstack_is_guard(address);
}

/* The page fault of frame, decoded once (error code and CR2). */
static void trap_decode_page_fault(const struct trap_frame *frame,
				   struct fault *fault)
{
	uint64_t error = frame->error_code;

	fault->address = read_cr2();
	fault->access = error & X86_PF_FETCH ? FAULT_ACCESS_EXECUTE :
			error & X86_PF_WRITE ? FAULT_ACCESS_WRITE :
					       FAULT_ACCESS_READ;
	fault->user = error & X86_PF_USER;
	fault->present = error & X86_PF_PRESENT;
	fault->reserved = error & X86_PF_RESERVED;
	struct thread *thread = thread_current();
	fault->space = thread ? thread->space : NULL;
}

static __attribute__((noreturn)) void trap_nested(struct trap_frame *frame)
{
	panic_enter();
	printk("\n*** exception inside the exception handler: %s (vector %llu) "
	       "at rip 0x%llx, cr2 0x%llx\n",
	       trap_vector_name(frame->vector),
	       (unsigned long long)frame->vector,
	       (unsigned long long)frame->rip,
	       (unsigned long long)read_cr2());
	panic_end();
}

/* Offers an unresolved exception to the catch handler, then reports it and
 * ends the kernel. */
static __attribute__((noreturn)) void trap_unresolved(struct trap_frame *frame,
						      struct trap_info *info)
{
	unsigned cpu = cpu_current();

	trap_offer_recovery(info);
	trap_depth[cpu]--;	/* a catch handler does not come back */
	if (trap_catch_handler)
		trap_catch_handler(info);
	trap_depth[cpu]++;
	panic_enter();
	if (info->fault_response >= 0)
		printk("\n*** page fault at 0x%llx (%s): %s%s%s%s\n",
		       (unsigned long long)info->fault_address,
		       fault_access_name(info->fault.access),
		       info->fault_owner ? "owner " : "",
		       info->fault_owner ? info->fault_owner : "",
		       info->fault_owner ? " answered " : "",
		       fault_response_name(info->fault_response));
	if (info->fault_reason)
		printk("*** %s\n", info->fault_reason);
	trap_report(frame);
	panic_end();
}

/* Copy routines across the user/kernel line (user_entry.asm): a fault
 * inside one resumes at its fixup, which answers how much was not
 * copied. */
extern const char user_copy_start[], user_copy_end[], user_copy_fixup[];
extern const char user_string_start[], user_string_end[], user_string_fixup[];

static bool trap_user_copy_fixup(struct trap_frame *frame)
{
	uint64_t rip = frame->rip;

	if (rip >= (uint64_t)user_copy_start && rip < (uint64_t)user_copy_end) {
		frame->rip = (uint64_t)user_copy_fixup;
		return true;
	}
	if (rip >= (uint64_t)user_string_start &&
	    rip < (uint64_t)user_string_end) {
		frame->rip = (uint64_t)user_string_fixup;
		return true;
	}
	return false;
}

/* An exception of user code nobody resolved: the process ends. */
static __attribute__((noreturn)) void trap_user_unresolved(struct trap_info *info)
{
	trap_depth[cpu_current()]--;
	interrupts_enable();
	trap_user_exception(info);
}

static enum trap_class trap_class_of(uint64_t vector)
{
	switch (vector) {
	case X86_VECTOR_DIVIDE:
	case 16:	/* x87 floating-point error */
	case 19:	/* SIMD floating-point exception */
		return TRAP_CLASS_ARITHMETIC;
	case X86_VECTOR_INVALID_OPCODE:
		return TRAP_CLASS_INSTRUCTION;
	}
	return TRAP_CLASS_MEMORY;
}

static void trap_exception(struct trap_frame *frame)
{
	unsigned cpu = cpu_current();
	struct trap_info info = {
		.vector = (int)frame->vector,
		.class = trap_class_of(frame->vector),
		.error_code = frame->error_code,
		.instruction = frame->rip,
		.fault_response = -1,
	};

	if (trap_depth[cpu]++ > 0) {
		/* Module code called by a handler (a seal of an eviction a
		 * fault asked for): the module guard may take it. */
		if (!trap_frame_is_user(frame)) {
			if (frame->vector == X86_VECTOR_PAGE_FAULT)
				info.fault_address = read_cr2();
			trap_offer_recovery(&info);
		}
		trap_nested(frame);
	}
	if (frame->vector == X86_VECTOR_PAGE_FAULT) {
		struct fault_outcome outcome;
		trap_decode_page_fault(frame, &info.fault);
		info.fault_address = info.fault.address;
		fault_dispatch(&info.fault, &outcome);
		if (outcome.response == FAULT_HANDLED ||
		    outcome.response == FAULT_RETRY) {
			trap_depth[cpu]--;
			return;
		}
		info.fault_response = (int)outcome.response;
		info.fault_owner = outcome.owner ? outcome.owner->ops->name : NULL;
		info.fault_reason = outcome.reason;
		if (!trap_frame_is_user(frame) && trap_user_copy_fixup(frame)) {
			trap_depth[cpu]--;
			return;
		}
	}
	if (trap_frame_is_user(frame))
		trap_user_unresolved(&info);
	trap_unresolved(frame, &info);
}

void trap_dispatch(struct trap_frame *frame)
{
	if (frame->vector == X86_VECTOR_NMI)
		smp_stop_if_requested();	/* does not return when so */
	if (frame->vector < X86_VECTOR_EXCEPTIONS)
		trap_exception(frame);
	else if (frame->vector < X86_VECTOR_IRQ_BASE + IRQ_LINES)
		irq_line_dispatch(frame);
	else if (frame->vector != X86_VECTOR_SPURIOUS)
		lapic_dispatch((unsigned)frame->vector);
	/* vector 255: the local APIC's spurious interrupt, no EOI */
	if (frame->vector >= X86_VECTOR_EXCEPTIONS || trap_frame_is_user(frame))
		sched_interrupt_exit();	/* a switch the tick or a wake-up asked for */
	if (trap_frame_is_user(frame) && user_return_signal_due()) {
		/* Nothing is held on the way back to user mode: the process
		 * may end here (a signal sent while it ran in user mode). */
		interrupts_enable();
		user_return_signals();
		interrupts_disable();
	}
	user_return_prepare(frame);
}
