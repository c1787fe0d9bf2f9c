/*
 * fpu: explicit SSE sections for the few kernel paths that need XMM
 * registers (the AES-NI page cipher in the transforms/ SIMD files).
 *
 * Every other kernel file is compiled with -mgeneral-regs-only, so a
 * section is the kernel's sole SSE user. The only earlier state is a user
 * thread's, which fpu_begin() hands to arch/x86/user_cpu.c to keep in the
 * thread's own context; nothing of the kernel's is saved. That is a choice
 * as much as a saving: an FXSAVE area would put the registers, which hold
 * round keys inside a section, into RAM. Instead fpu_end() clears all
 * sixteen XMM registers and resets MXCSR, so nothing of a section outlives
 * it. Interrupts are off for the whole section (no handler can run in the
 * middle and none uses SSE anyway); sections do not nest, and a nested
 * fpu_begin() is a panic rather than silent corruption.
 */
#include <stdbool.h>
#include <stdint.h>
#include <arch/cpuid.h>
#include <arch/fpu.h>
#include "arch/x86/user_cpu_internal.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"

#define CR0_MP (1ul << 1)	/* monitor coprocessor */
#define CR0_EM (1ul << 2)	/* emulation: must be clear for SSE */
#define CR0_TS (1ul << 3)	/* task switched: would fault on SSE use */
#define CR4_OSFXSR (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)
#define MXCSR_DEFAULT 0x1f80u	/* all exceptions masked, round to nearest */

static bool fpu_ready;
/* Per-CPU: whether this CPU is inside a section (touched with interrupts
 * off, by its own CPU only, so it needs no lock). */
static bool fpu_in_section[CONFIG_MAX_CPUS];

static unsigned long fpu_read_cr0(void)
{
	unsigned long value;

	__asm__ __volatile__("mov %%cr0, %0" : "=r"(value));
	return value;
}

static void fpu_write_cr0(unsigned long value)
{
	__asm__ __volatile__("mov %0, %%cr0" : : "r"(value) : "memory");
}

static unsigned long fpu_read_cr4(void)
{
	unsigned long value;

	__asm__ __volatile__("mov %%cr4, %0" : "=r"(value));
	return value;
}

static void fpu_write_cr4(unsigned long value)
{
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(value) : "memory");
}

static bool fpu_cpu_has_sse2_and_fxsr(void)
{
	uint32_t eax, ebx, ecx, edx;

	cpuid_query(1, 0, &eax, &ebx, &ecx, &edx);
	return (edx & (1u << 26)) && (edx & (1u << 24));
}

/* Enables SSE on the running CPU and resets its x87 and SSE state. */
static void fpu_enable_here(void)
{
	uint32_t mxcsr = MXCSR_DEFAULT;

	fpu_write_cr0((fpu_read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
	fpu_write_cr4(fpu_read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	__asm__ __volatile__("fninit\n\tldmxcsr %0" : : "m"(mxcsr));
}

void fpu_init(void)
{
	if (!fpu_cpu_has_sse2_and_fxsr()) {
		log_error("fpu: CPU reports no SSE2/FXSR; SIMD ciphers disabled");
		return;
	}
	fpu_enable_here();
	fpu_ready = true;
}

void fpu_cpu_init(void)
{
	/* Not keyed to fpu_ready: the boot CPU may run fpu_init after this
	 * CPU started (keyreg_boot_init comes late in kmain). */
	if (fpu_cpu_has_sse2_and_fxsr())
		fpu_enable_here();
}

bool fpu_available(void)
{
	return fpu_ready;
}

unsigned long fpu_begin(void)
{
	unsigned long flags = irq_save();
	unsigned cpu = cpu_current();

	if (!fpu_ready)
		panic("fpu_begin: SSE section before fpu_init() or without SSE");
	if (fpu_in_section[cpu])
		panic("fpu_begin: nested SSE section on CPU %u", cpu);
	fpu_in_section[cpu] = true;
	/* A user thread's SSE registers may be live: keep them (returning to
	 * user mode loads them again, arch/x86/user_cpu.c). */
	user_fpu_save();
	return flags;
}

void fpu_end(unsigned long flags)
{
	uint32_t mxcsr = MXCSR_DEFAULT;
	unsigned cpu = cpu_current();

	KASSERT(fpu_in_section[cpu]);
	/* The registers may hold round keys or plaintext: clear them all. */
	__asm__ __volatile__(
		"pxor %%xmm0, %%xmm0\n\t" "pxor %%xmm1, %%xmm1\n\t"
		"pxor %%xmm2, %%xmm2\n\t" "pxor %%xmm3, %%xmm3\n\t"
		"pxor %%xmm4, %%xmm4\n\t" "pxor %%xmm5, %%xmm5\n\t"
		"pxor %%xmm6, %%xmm6\n\t" "pxor %%xmm7, %%xmm7\n\t"
		"pxor %%xmm8, %%xmm8\n\t" "pxor %%xmm9, %%xmm9\n\t"
		"pxor %%xmm10, %%xmm10\n\t" "pxor %%xmm11, %%xmm11\n\t"
		"pxor %%xmm12, %%xmm12\n\t" "pxor %%xmm13, %%xmm13\n\t"
		"pxor %%xmm14, %%xmm14\n\t" "pxor %%xmm15, %%xmm15\n\t"
		"ldmxcsr %0"
		: : "m"(mxcsr) : "memory");
	fpu_in_section[cpu] = false;
	irq_restore(flags);
}
