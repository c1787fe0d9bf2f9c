/*
 * Between arch/x86/user_cpu.c and the x86 code that hands it work: the
 * trap path (trap.c) and the kernel's SSE sections (fpu.c).
 */
#ifndef VEIL_ARCH_X86_USER_CPU_INTERNAL_H
#define VEIL_ARCH_X86_USER_CPU_INTERNAL_H

#include "arch/x86/trap_frame.h"

/* Saves the user SSE state this CPU's registers hold into its owner's
 * context (interrupts off): a switch, or a kernel SSE section, is about
 * to change the registers. */
void user_fpu_save(void);
/* Last C code before frame returns (interrupts off, on the thread's
 * kernel stack): for a frame to user mode, the thread's SSE state into
 * the registers when they hold something else. Called from user_entry.asm
 * as well. */
void user_return_prepare(struct trap_frame *frame);

#endif
