/*
 * The shell's `cpus`: one line per online CPU (index, APIC id, state,
 * timer ticks, the share of them taken while idle), then one per CPU the
 * MADT listed that did not come up, with why.
 */
#include <stdint.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"
#include "kernel/smp.h"

static const char *shell_cpu_state_name(enum cpu_state state)
{
	switch (state) {
	case CPU_ABSENT: return "absent";
	case CPU_STARTING: return "starting";
	case CPU_ONLINE: return "online";
	case CPU_FAILED: return "failed";
	case CPU_STOPPED: return "stopped";
	}
	return "?";
}

int shell_cmd_cpus(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return shell_usage_of("cpus");
	printk("%u of %u CPUs online\n", cpu_count(), smp_listed_count());
	for (unsigned i = 0; i < cpu_count(); i++) {
		const struct cpu_local *cpu = cpu_local_of(i);
		uint64_t ticks = __atomic_load_n(&cpu->ticks, __ATOMIC_RELAXED);
		uint64_t idle = __atomic_load_n(&cpu->idle_ticks, __ATOMIC_RELAXED);
		printk("  cpu %u: APIC id %u, %s, %llu ticks, %llu%% idle\n", i,
		       cpu->apic_id, shell_cpu_state_name(cpu->state),
		       (unsigned long long)ticks,
		       (unsigned long long)(ticks ? idle * 100 / ticks : 0));
	}
	uint32_t hw_id;
	const char *why;
	for (unsigned i = 0; smp_failed_cpu(i, &hw_id, &why); i++) {
		if (hw_id == UINT32_MAX)
			printk("  not online: a CPU (APIC id not kept): %s\n", why);
		else
			printk("  not online: APIC id %u: %s\n", hw_id, why);
	}
	return SHELL_OK;
}
