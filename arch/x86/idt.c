/*
 * The IDT: all 256 vectors (32 exceptions, the 16 PIC lines at 32-47, the
 * local APIC's above), each pointing at its stub in arch/x86/isr.asm.
 * One table, built by CPU 0 and loaded by every CPU.
 * All are interrupt gates (interrupts off on entry). Double fault, NMI,
 * machine check and page fault run on their own IST stacks.
 */
#include <stdint.h>
#include "arch/x86/gdt.h"
#include "arch/x86/trap_frame.h"

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_middle;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

struct idt_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#define IDT_INTERRUPT_GATE 0x8e	/* present, ring 0, 64-bit interrupt gate */
#define IDT_STUBS 256

extern const uint64_t isr_stub_table[IDT_STUBS];

/* Written at boot by CPU 0, read-only after; shared by all CPUs. */
static struct idt_gate idt[256] __attribute__((aligned(16)));

static void idt_set_gate(unsigned vector, uint64_t handler, unsigned ist)
{
	idt[vector] = (struct idt_gate){
		.offset_low = handler & 0xffff,
		.selector = GDT_KERNEL_CODE,
		.ist = ist,
		.type = IDT_INTERRUPT_GATE,
		.offset_middle = (handler >> 16) & 0xffff,
		.offset_high = handler >> 32,
	};
}

static unsigned idt_ist_for(unsigned vector)
{
	switch (vector) {
	case X86_VECTOR_DOUBLE_FAULT: return IST_DOUBLE_FAULT;
	case X86_VECTOR_NMI: return IST_NMI;
	case X86_VECTOR_MACHINE_CHECK: return IST_MACHINE_CHECK;
	case X86_VECTOR_PAGE_FAULT: return IST_PAGE_FAULT;
	default: return 0;
	}
}

void idt_init(void)
{
	for (unsigned vector = 0; vector < IDT_STUBS; vector++)
		idt_set_gate(vector, isr_stub_table[vector], idt_ist_for(vector));
	idt_load();
}

void idt_load(void)
{
	struct idt_pointer pointer = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ __volatile__("lidt %0" : : "m"(pointer));
}
