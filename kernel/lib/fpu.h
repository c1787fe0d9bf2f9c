/*
 * Sections of kernel code that use the vector (FPU/SIMD) registers: the
 * ciphers' accelerated paths. The architecture provides them
 * (<arch/fpu.h>; no-ops in host builds, where user space owns the FPU).
 *   fpu_available()  true once the boot set the vector unit up;
 *   fpu_begin()      opens a section: interrupts off, the interrupted
 *                    state saved; returns what fpu_end needs;
 *   fpu_end(flags)   wipes the vector registers (no key material or page
 *                    bytes left in them), restores state and interrupts.
 */
#ifndef VEIL_KERNEL_LIB_FPU_H
#define VEIL_KERNEL_LIB_FPU_H

#include <arch/fpu.h>

#endif
