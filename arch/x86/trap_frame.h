/*
 * What the interrupt entry (arch/x86/isr.asm) saves: the general registers,
 * the vector and error code, and the frame the CPU pushed. The order here
 * is the reverse of the pushes.
 */
#ifndef VEIL_ARCH_X86_TRAP_FRAME_H
#define VEIL_ARCH_X86_TRAP_FRAME_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t gs_swapped;	/* the entry exchanged GS; the exit does too */
	uint64_t reserved;	/* keeps the frame a multiple of 16 bytes */
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Exception vectors the kernel names. */
enum x86_vector {
	X86_VECTOR_DIVIDE = 0,
	X86_VECTOR_NMI = 2,
	X86_VECTOR_BREAKPOINT = 3,
	X86_VECTOR_INVALID_OPCODE = 6,
	X86_VECTOR_DOUBLE_FAULT = 8,
	X86_VECTOR_STACK_FAULT = 12,
	X86_VECTOR_GENERAL_PROTECTION = 13,
	X86_VECTOR_PAGE_FAULT = 14,
	X86_VECTOR_MACHINE_CHECK = 18,
	X86_VECTOR_EXCEPTIONS = 32,	/* 0-31 are exceptions */
	X86_VECTOR_IRQ_BASE = 32,	/* the PIC's 16 lines after remapping */
	X86_VECTOR_SPURIOUS = 255,
	X86_VECTOR_SYSCALL = 0x100,	/* not a vector: a system call's frame */
};

/* Whether the frame returns to user mode. */
static inline bool trap_frame_is_user(const struct trap_frame *frame)
{
	return (frame->cs & 3) == 3;
}

/* Page-fault error code bits (Intel SDM vol. 3, 4.7). */
#define X86_PF_PRESENT  (1u << 0)
#define X86_PF_WRITE    (1u << 1)
#define X86_PF_USER     (1u << 2)
#define X86_PF_RESERVED (1u << 3)
#define X86_PF_FETCH    (1u << 4)

/* Prints the exception report: vector, decoded error, CR2, registers and a
 * symbolic backtrace (arch/x86/trap_report.c). */
void trap_report(const struct trap_frame *frame);
const char *trap_vector_name(unsigned vector);

/* Builds the IDT and installs it on this CPU (after gdt_init). */
void idt_init(void);
/* Installs the IDT idt_init built on this CPU (application processors). */
void idt_load(void);

/* True when address lies in one of the IST stacks' guard pages or in the
 * boot stack's guard page: the fault was a kernel stack overflow. */
bool trap_is_stack_guard(uint64_t address);

#endif
