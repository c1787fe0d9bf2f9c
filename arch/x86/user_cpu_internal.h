/*
 * Between arch/x86/user_cpu.c and the x86 code that hands it work: the
 * trap path (trap.c) and the kernel's SSE sections (fpu.c).
 */
#ifndef VEIL_ARCH_X86_USER_CPU_INTERNAL_H
#define VEIL_ARCH_X86_USER_CPU_INTERNAL_H

#include <stdint.h>
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

/* A system call's frame keeps its number in error_code (for a restart);
 * this value there says there is no call to restart (rt_sigreturn put
 * back interrupted state, or the frame is a new thread's first). */
#define USER_SYSCALL_NONE (~0ull)

/* The user frame of the calling thread's current entry from user mode:
 * every entry (SYSCALL, interrupt, exception) builds it at the top of the
 * thread's kernel stack. */
struct trap_frame *user_entry_frame(void);
/* The calling thread's user SSE state (FXSAVE image), read and replaced
 * (a replaced image is loaded on the way back to user mode; MXCSR's
 * reserved bits are cleared). */
void user_fpu_read(uint8_t area[512]);
void user_fpu_write(const uint8_t area[512]);

#endif
