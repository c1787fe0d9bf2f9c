/*
 * Starting the CPUs and signalling them (kernel/smp.h). The boot CPU is
 * index 0; the enabled CPUs of the MADT get the next indices in the order
 * listed, one at a time, so the online CPUs always hold the indices
 * 0 .. cpu_count() - 1 (a CPU that does not come up leaves its index to the
 * next). The CPU-specific steps are the architecture's (kernel/arch_smp.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/acpi.h"
#include "kernel/arch_smp.h"
#include "kernel/cmdline.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "kernel/power.h"
#include "kernel/smp.h"
#include "kernel/sched/sched.h"
#include "mm/kstack.h"
#include "mm/mm.h"

/* How long a CPU has to reach smp_secondary_start after its start-up
 * signals; generous, for emulators on a loaded host. */
#define SMP_START_TIMEOUT_MS 2000u
/* How long smp_stop_others waits for the others to say they stopped. */
#define SMP_STOP_WAIT_MS 100u
#define SMP_NO_HW_ID UINT32_MAX

/* Command line, read before smp_boot. */
static unsigned long long smp_max_cpus = CONFIG_MAX_CPUS;
static unsigned long long smp_skip_startup_id = SMP_NO_HW_ID;

/* Written by smp_boot on the boot CPU, read after: the CPUs that did not
 * come up (their state is CPU_FAILED here, as their index went to the
 * next CPU), the first CONFIG_MAX_CPUS of them kept with the reason. */
struct smp_not_up {
	uint32_t hw_id;		/* SMP_NO_HW_ID: listed past what ACPI kept */
	const char *why;
};
static struct smp_not_up smp_not_up[CONFIG_MAX_CPUS];
static unsigned smp_failed;
static unsigned smp_listed = 1;

/* Wake-up interrupts each CPU took; only that CPU writes its slot. */
static uint64_t smp_kicks[CONFIG_MAX_CPUS];

/* Set once by the first smp_stop_others; read by every CPU's NMI. */
static bool smp_stop_requested;

/* One call slot per target CPU. busy is the slot's lock: a caller owns
 * function, argument and done from taking it (exchange to 1) until it
 * stores 0; the target reads function and argument and sets done. */
struct smp_call_slot {
	uint32_t busy;
	uint32_t done;
	void (*function)(void *);
	void *argument;
} __attribute__((aligned(64)));

static struct smp_call_slot smp_call_slots[CONFIG_MAX_CPUS];

static bool smp_set_max(const char *value)
{
	return cmdline_parse_range(value, 1, CONFIG_MAX_CPUS, &smp_max_cpus);
}

CMDLINE_OPTION(smp_max, "smp_max",
	       "N 1..64: start at most N CPUs, the boot CPU included "
	       "(smp_max=1: a single-CPU boot)", smp_set_max);

static bool smp_set_skip_startup(const char *value)
{
	return cmdline_parse_range(value, 0, SMP_NO_HW_ID - 1,
				   &smp_skip_startup_id);
}

CMDLINE_OPTION(smp_skip_sipi, "smp_skip_sipi",
	       "APIC_ID: test aid: send that CPU no start-up IPI, so it never "
	       "answers and boot must go on without it", smp_set_skip_startup);

static void smp_record_not_up(uint32_t hw_id, const char *why)
{
	if (smp_failed < CONFIG_MAX_CPUS)
		smp_not_up[smp_failed] = (struct smp_not_up){ hw_id, why };
	smp_failed++;
}

static void smp_report_not_up(uint32_t hw_id, const char *why)
{
	smp_record_not_up(hw_id, why);
	log_warn("smp: CPU with APIC id %u is not online: %s", hw_id, why);
}

/* Waits for CPU index to come online; false after the time-out. */
static bool smp_wait_online(unsigned index)
{
	struct cpu_local *area = cpu_local_of(index);
	uint64_t deadline = time_uptime_ns() + SMP_START_TIMEOUT_MS * 1000000ull;

	while (__atomic_load_n(&area->state, __ATOMIC_ACQUIRE) != CPU_ONLINE) {
		if (time_uptime_ns() > deadline)
			return false;
		time_delay_ms(1);
	}
	return true;
}

/* Starts the CPU hw_id as index; NULL when it came online, else why not. */
static const char *smp_start_one(unsigned index, uint32_t hw_id)
{
	struct cpu_local *area = cpu_local_of(index);

	if (!mm_cpu_prepare(index))
		return "no memory for its per-CPU buffers";
	void *stack = kstack_alloc();
	if (!stack)
		return "no kernel stack left for it";
	area->apic_id = hw_id;
	__atomic_store_n(&area->state, CPU_STARTING, __ATOMIC_RELEASE);
	const char *why = arch_cpu_start(index, hw_id, stack,
					 hw_id != smp_skip_startup_id);
	if (!why && smp_wait_online(index))
		return NULL;
	if (!why) {
		arch_cpu_park(hw_id);
		why = hw_id == smp_skip_startup_id ?
		      "did not answer its start-up (smp_skip_sipi: no SIPI sent)" :
		      "did not answer its start-up (INIT-SIPI-SIPI) in time";
	}
	/* The stack stays allocated: a CPU that answers late may run on it
	 * until the park signal reaches it. */
	area->state = CPU_ABSENT;
	area->apic_id = 0;
	return why;
}

void smp_boot(void)
{
	const struct acpi_machine *machine = acpi_machine();
	struct cpu_local *boot = cpu_local();
	unsigned listed = 1, next = 1;


	boot->apic_id = arch_cpu_hw_id();
	boot->state = CPU_ONLINE;
	panic_set_stop_others(smp_stop_others);
	if (!machine) {
		log_warn("smp: no MADT: running on the boot CPU alone");
		log_info("smp: 1 of 1 CPUs online");
		return;
	}
	const char *unable = arch_smp_prepare();
	for (unsigned i = 0; i < machine->cpu_count; i++) {
		const struct acpi_cpu *cpu = &machine->cpus[i];
		if (!cpu->enabled || cpu->apic_id == boot->apic_id)
			continue;
		listed++;
		const char *why = NULL;
		if (unable)
			why = unable;
		else if (next >= smp_max_cpus)
			why = "not started (smp_max)";
		else if (next >= CONFIG_MAX_CPUS)
			why = "not started: Veil runs at most 64 CPUs";
		else
			why = smp_start_one(next, cpu->apic_id);
		if (why)
			smp_report_not_up(cpu->apic_id, why);
		else
			next++;
	}
	for (unsigned i = 0; i < machine->cpus_beyond_max; i++) {
		listed++;
		smp_record_not_up(SMP_NO_HW_ID, "listed past the first 64 CPUs of "
				  "the MADT");
		log_warn("smp: CPU %u of the MADT (APIC id not kept) is not "
			 "online: listed past the first %u, Veil runs at most "
			 "%u CPUs", ACPI_CPUS_MAX + i + 1, ACPI_CPUS_MAX,
			 CONFIG_MAX_CPUS);
	}
	smp_listed = listed;
	log_info("smp: %u of %u CPUs online", cpu_count(), listed);
}

unsigned smp_failed_count(void)
{
	return smp_failed;
}

bool smp_failed_cpu(unsigned i, uint32_t *hw_id, const char **why)
{
	if (i >= smp_failed || i >= CONFIG_MAX_CPUS)
		return false;
	*hw_id = smp_not_up[i].hw_id;
	*why = smp_not_up[i].why;
	return true;
}

unsigned smp_listed_count(void)
{
	return smp_listed;
}

void smp_kick_interrupt(void)
{
	smp_kicks[cpu_current()]++;
}

uint64_t smp_kicks_taken(unsigned cpu)
{
	return cpu < CONFIG_MAX_CPUS ?
	       __atomic_load_n(&smp_kicks[cpu], __ATOMIC_RELAXED) : 0;
}

void smp_secondary_start(void)
{
	struct cpu_local *self = cpu_local();

	/* Its run queue first: threads may be placed here once it is online. */
	sched_cpu_prepare();
	__atomic_add_fetch(&cpu_online_count, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&self->state, CPU_ONLINE, __ATOMIC_RELEASE);
	sched_cpu_idle();
}

void smp_call_on(unsigned cpu, void (*function)(void *), void *argument)
{
	unsigned long flags = irq_save();

	if (cpu == cpu_current()) {
		function(argument);
		irq_restore(flags);
		return;
	}
	irq_restore(flags);
	struct cpu_local *target = cpu_local_of(cpu);
	if (!target || __atomic_load_n(&target->state, __ATOMIC_ACQUIRE) != CPU_ONLINE)
		panic("smp_call_on: CPU %u is not online", cpu);
	struct smp_call_slot *slot = &smp_call_slots[cpu];
	/* Interrupts stay on while waiting: the target may be calling us. */
	while (__atomic_exchange_n(&slot->busy, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	slot->function = function;
	slot->argument = argument;
	__atomic_store_n(&slot->done, 0, __ATOMIC_RELEASE);
	arch_send_call(target->apic_id);
	while (!__atomic_load_n(&slot->done, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	__atomic_store_n(&slot->busy, 0, __ATOMIC_RELEASE);
}

void smp_call_interrupt(void)
{
	struct smp_call_slot *slot = &smp_call_slots[cpu_current()];

	slot->function(slot->argument);
	__atomic_store_n(&slot->done, 1, __ATOMIC_RELEASE);
}

void smp_kick(unsigned cpu)
{
	struct cpu_local *target = cpu_local_of(cpu);

	if (target && __atomic_load_n(&target->state, __ATOMIC_ACQUIRE) == CPU_ONLINE)
		arch_send_kick(target->apic_id);
}

/* Waits, at most SMP_STOP_WAIT_MS (a CPU that cannot take the NMI must
 * not hang the report), until no CPU but self is online; returns how many
 * still are. */
static unsigned smp_wait_stopped(unsigned self)
{
	unsigned running = 0;

	for (unsigned waited = 0; waited <= SMP_STOP_WAIT_MS; waited++) {
		running = 0;
		for (unsigned i = 0; i < CONFIG_MAX_CPUS; i++)
			if (i != self && __atomic_load_n(&cpu_local_of(i)->state,
							 __ATOMIC_ACQUIRE) == CPU_ONLINE)
				running++;
		if (!running)
			break;
		time_delay_ms(1);
	}
	return running;
}

void smp_stop_others(void)
{
	unsigned self = cpu_current(), signalled = 0, running = 0, halted = 0;

	__atomic_store_n(&smp_stop_requested, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < CONFIG_MAX_CPUS; i++) {
		struct cpu_local *other = cpu_local_of(i);
		if (i == self || !other)
			continue;
		unsigned state = __atomic_load_n(&other->state, __ATOMIC_ACQUIRE);
		if (state == CPU_ONLINE) {
			arch_send_stop(other->apic_id);
			signalled++;
		} else if (state == CPU_STOPPED) {
			halted++;	/* panicked a moment later: halted itself */
		}
	}
	/* The line comes even when every other CPU had halted itself (none
	 * to signal): a report always tells where the other CPUs are. */
	if (!signalled && !halted)
		return;
	if (signalled)
		running = smp_wait_stopped(self);
	printk("smp: CPU %u stopped %u of %u other CPUs (%u had stopped "
	       "already)\n", self, signalled - running, signalled, halted);
}

void smp_stop_if_requested(void)
{
	if (!__atomic_load_n(&smp_stop_requested, __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&cpu_local()->state, CPU_STOPPED, __ATOMIC_RELEASE);
	machine_halt();
}
