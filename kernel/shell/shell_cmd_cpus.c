/*
 * The shell's `cpus`: one key=value line per online CPU (index, APIC id,
 * state, timer ticks, the share of them taken while idle, thread switches),
 * then one per CPU the MADT listed that did not come up, with why, and a
 * count.
 */
#include <stdint.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"
#include "kernel/sched/sched.h"
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
	unsigned count = cpu_count();

	(void)argv;
	if (argc != 1)
		return shell_usage_of("cpus");
	for (unsigned i = 0; i < count; i++) {
		const struct cpu_local *cpu = cpu_local_of(i);
		uint64_t ticks = __atomic_load_n(&cpu->ticks, __ATOMIC_RELAXED);
		uint64_t idle = __atomic_load_n(&cpu->idle_ticks, __ATOMIC_RELAXED);
		printk("cpu index=%u apic_id=%u state=%s ticks=%llu "
		       "idle_pct=%llu switches=%llu\n", i, cpu->apic_id,
		       shell_cpu_state_name(cpu->state),
		       (unsigned long long)ticks,
		       (unsigned long long)(ticks ? idle * 100 / ticks : 0),
		       (unsigned long long)sched_switch_count(i));
	}
	uint32_t hw_id;
	const char *why;
	for (unsigned i = 0; smp_failed_cpu(i, &hw_id, &why); i++) {
		if (hw_id == UINT32_MAX)
			printk("cpu-missing apic_id=none reason=\"%s\"\n", why);
		else
			printk("cpu-missing apic_id=%u reason=\"%s\"\n", hw_id, why);
	}
	printk("cpus: %u of %u online\n", count, smp_listed_count());
	return SHELL_OK;
}
