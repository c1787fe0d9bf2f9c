/*
 * The exception report: what a kernel developer needs to act on a fault
 * without a debugger. The vector's name, its error code decoded (page-fault
 * bits, or the selector for segment faults), CR2, every register, control
 * registers, and a symbolic backtrace. A page fault on a stack guard page is
 * called what it is: a kernel stack overflow.
 */
#include <stdint.h>
#include "arch/x86/trap_frame.h"
#include "arch/x86/x86.h"
#include "kernel/lib/backtrace.h"
#include "kernel/lib/printk.h"
#include "kernel/trap.h"

static const char *const trap_vector_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range exceeded", "#UD invalid opcode",
	"#NM device not available", "#DF double fault",
	"coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack-segment fault",
	"#GP general protection", "#PF page fault", "reserved (15)",
	"#MF x87 floating-point error", "#AC alignment check",
	"#MC machine check", "#XM SIMD floating-point", "#VE virtualization",
	"#CP control protection", "reserved (22)", "reserved (23)",
	"reserved (24)", "reserved (25)", "reserved (26)", "reserved (27)",
	"#HV hypervisor injection", "#VC VMM communication",
	"#SX security", "reserved (31)",
};

const char *trap_vector_name(unsigned vector)
{
	if (vector < 32)
		return trap_vector_names[vector];
	return "interrupt";
}

const char *trap_vector_label(int vector)
{
	return vector >= 0 ? trap_vector_name((unsigned)vector) : "none";
}

static void trap_report_page_fault(const struct trap_frame *frame)
{
	uint64_t error = frame->error_code;
	uint64_t address = read_cr2();

	printk("error code 0x%llx: %s, %s, %s%s%s\n", (unsigned long long)error,
	       error & X86_PF_PRESENT ? "protection violation" : "page not present",
	       error & X86_PF_FETCH ? "instruction fetch" :
	       error & X86_PF_WRITE ? "write" : "read",
	       error & X86_PF_USER ? "user mode" : "kernel mode",
	       error & X86_PF_RESERVED ? ", reserved bit set" : "",
	       error & X86_PF_FETCH ? " (NX)" : "");
	printk("cr2 (faulting address): 0x%016llx\n", (unsigned long long)address);
	if (trap_is_stack_guard(address))
		printk("the address is a stack guard page: kernel stack overflow\n");
}

/* Vectors whose error code names a segment selector (SDM 6.13). */
static void trap_report_selector(const struct trap_frame *frame)
{
	uint64_t error = frame->error_code;
	static const char *const tables[4] = { "GDT", "IDT", "LDT", "IDT" };

	if (error == 0) {
		printk("error code 0\n");
		return;
	}
	printk("error code 0x%llx: selector index %llu in the %s%s\n",
	       (unsigned long long)error, (unsigned long long)(error >> 3),
	       tables[(error >> 1) & 3], error & 1 ? ", external event" : "");
}

static void trap_report_registers(const struct trap_frame *f)
{
	printk("rip %016llx  cs %04llx  rflags %016llx\n",
	       (unsigned long long)f->rip, (unsigned long long)f->cs,
	       (unsigned long long)f->rflags);
	printk("rsp %016llx  ss %04llx\n", (unsigned long long)f->rsp,
	       (unsigned long long)f->ss);
	printk("rax %016llx  rbx %016llx  rcx %016llx\n",
	       (unsigned long long)f->rax, (unsigned long long)f->rbx,
	       (unsigned long long)f->rcx);
	printk("rdx %016llx  rsi %016llx  rdi %016llx\n",
	       (unsigned long long)f->rdx, (unsigned long long)f->rsi,
	       (unsigned long long)f->rdi);
	printk("rbp %016llx  r8  %016llx  r9  %016llx\n",
	       (unsigned long long)f->rbp, (unsigned long long)f->r8,
	       (unsigned long long)f->r9);
	printk("r10 %016llx  r11 %016llx  r12 %016llx\n",
	       (unsigned long long)f->r10, (unsigned long long)f->r11,
	       (unsigned long long)f->r12);
	printk("r13 %016llx  r14 %016llx  r15 %016llx\n",
	       (unsigned long long)f->r13, (unsigned long long)f->r14,
	       (unsigned long long)f->r15);
	printk("cr0 %016llx  cr3 %016llx  cr4 %016llx\n",
	       (unsigned long long)read_cr0(), (unsigned long long)read_cr3(),
	       (unsigned long long)read_cr4());
}

void trap_report(const struct trap_frame *frame)
{
	unsigned vector = (unsigned)frame->vector;

	printk("\n*** CPU exception: %s (vector %u)\n", trap_vector_name(vector),
	       vector);
	if (vector == X86_VECTOR_PAGE_FAULT)
		trap_report_page_fault(frame);
	else if (vector == 10 || vector == 11 || vector == 12 || vector == 13)
		trap_report_selector(frame);
	else if (vector == X86_VECTOR_DOUBLE_FAULT || vector == 17 ||
		 vector == 21 || vector == 29 || vector == 30)
		printk("error code 0x%llx\n",
		       (unsigned long long)frame->error_code);
	printk("at ");
	backtrace_print_symbol(frame->rip);
	trap_report_registers(frame);
	backtrace_print(frame->rip, frame->rbp);
}
