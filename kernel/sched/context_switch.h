/*
 * What the scheduler asks of the architecture to switch threads: the
 * switch itself, a new thread's first frame, the interrupt flag and the
 * idle halt (<arch/thread_switch.h>: arch/x86/thread_switch.asm on a PC).
 */
#ifndef VEIL_KERNEL_SCHED_CONTEXT_SWITCH_H
#define VEIL_KERNEL_SCHED_CONTEXT_SWITCH_H

#include "kernel/lib/cpu.h"
#include <arch/thread_switch.h>
#include <arch/user_context.h>

#endif
