/*
 * fpu: explicit SSE sections in the kernel. Kernel code is built with
 * -mgeneral-regs-only; the only code that touches XMM registers is in files
 * named *_simd.c, and it runs between fpu_begin() and fpu_end().
 *
 * fpu_begin() disables interrupts (nothing can preempt the section or see
 * its registers) and saves the SSE state of whoever used it before;
 * fpu_end() wipes every XMM register (ciphers keep round keys there) and
 * restores the saved state, then restores the interrupt flag. Sections do
 * not nest. Host builds run as ordinary programs where the C library and
 * compiler own SSE: the calls are no-ops there.
 */
#ifndef VEIL_ARCH_X86_FPU_H
#define VEIL_ARCH_X86_FPU_H

#include <stdbool.h>

#ifdef VEIL_HOST
static inline unsigned long fpu_begin(void)
{
	return 0;
}

static inline void fpu_end(unsigned long flags)
{
	(void)flags;
}

static inline bool fpu_available(void)
{
	return true;
}
#else
/* Sets CR0/CR4 so SSE instructions run (OSFXSR, OSXMMEXCPT; MP set, EM and
 * TS clear). Called once at boot before any section; idempotent. */
void fpu_init(void);
/* The same set-up on an application processor, when it has SSE2 and
 * FXSR. */
void fpu_cpu_init(void);
/* True after fpu_init() found SSE2 and FXSR (every x86-64 CPU has them). */
bool fpu_available(void);
/* Opens a section: interrupts off, previous SSE state saved. Returns the
 * interrupt flag to hand back to fpu_end(). */
unsigned long fpu_begin(void);
/* Wipes XMM0-XMM15, restores the saved state and the interrupt flag. */
void fpu_end(unsigned long flags);
#endif

#endif
