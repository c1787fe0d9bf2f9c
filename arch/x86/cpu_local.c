/*
 * The per-CPU areas (kernel/lib/cpu.h) and the GS base that finds them.
 * The boot CPU installs area 0 from boot/entry.asm before kmain; each
 * application processor installs its own before any other C code runs.
 */
#include <stddef.h>
#include <stdint.h>
#include "arch/x86/x86.h"
#include "kernel/lib/cpu.h"

#define MSR_GS_BASE        0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u

/* Each written by its own CPU (fields say otherwise where they do). */
static struct cpu_local cpu_locals[CONFIG_MAX_CPUS] __attribute__((aligned(64)));
/* Raised by kernel/smp as CPUs start; read by cpu_count(). */
unsigned cpu_online_count = 1;

void arch_cpu_local_install(unsigned index)
{
	struct cpu_local *area = &cpu_locals[index];

	area->self = area;
	area->index = index;
	wrmsr(MSR_GS_BASE, (uint64_t)area);
	/* No user GS yet: swapgs has nothing to exchange with. */
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

struct cpu_local *cpu_local_of(unsigned index)
{
	return index < CONFIG_MAX_CPUS ? &cpu_locals[index] : NULL;
}
