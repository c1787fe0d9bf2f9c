/*
 * ktest suite smp: the CPUs ACPI listed are online with distinct per-CPU
 * areas, each knows who it is, calls and wake-ups reach every CPU, and
 * every CPU's timer ticks. On a one-CPU machine each case checks CPU 0.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/acpi.h"
#include "kernel/arch_smp.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/backtrace.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/ksyms.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/smp.h"
#include "mm/slab.h"

/* What a CPU says about itself from inside smp_call_on. */
struct smp_test_identity {
	unsigned index;
	uint32_t hw_id;
	struct cpu_local *area;
	bool interrupts_off;
};

static void smp_test_identify(void *argument)
{
	struct smp_test_identity *identity = argument;
	unsigned long flags = irq_save();

	identity->index = cpu_current();
	identity->hw_id = arch_cpu_hw_id();
	identity->area = cpu_local();
	identity->interrupts_off = flags == 0;	/* irq_save: 0 when they were off */
	irq_restore(flags);
}

KTEST(smp, every_listed_cpu_online)
{
	const struct acpi_machine *machine = acpi_machine();
	unsigned listed = 1;

	if (machine) {
		listed = machine->cpus_beyond_max;
		for (unsigned i = 0; i < machine->cpu_count; i++)
			listed += machine->cpus[i].enabled;
	}
	KTEST_EXPECT_EQ(t, smp_listed_count(), listed);
	/* Each listed CPU is online or was named as not: none is lost. */
	KTEST_EXPECT_EQ(t, cpu_count() + smp_failed_count(), listed);
	KTEST_EXPECT(t, cpu_count() >= 1 && cpu_count() <= CONFIG_MAX_CPUS);
	for (unsigned i = 0; i < CONFIG_MAX_CPUS; i++) {
		enum cpu_state state = cpu_local_of(i)->state;
		if (i < cpu_count())
			KTEST_EXPECT_EQ(t, state, CPU_ONLINE);
		else
			KTEST_EXPECT(t, state != CPU_ONLINE);
	}
	/* Each one not online is kept with a reason, and none more. */
	uint32_t hw_id;
	const char *why;
	unsigned kept = smp_failed_count() < CONFIG_MAX_CPUS ?
			smp_failed_count() : CONFIG_MAX_CPUS;
	for (unsigned i = 0; i < kept; i++) {
		KTEST_EXPECT(t, smp_failed_cpu(i, &hw_id, &why) && why && *why);
		for (unsigned j = 0; j < cpu_count(); j++)
			KTEST_EXPECT(t, cpu_local_of(j)->apic_id != hw_id);
	}
	KTEST_EXPECT(t, !smp_failed_cpu(kept, &hw_id, &why));
	ktest_log(t, "%u of %u CPUs online", cpu_count(), listed);
}

KTEST(smp, each_cpu_knows_itself)
{
	struct smp_test_identity identity[CONFIG_MAX_CPUS];

	for (unsigned i = 0; i < cpu_count(); i++) {
		identity[i].index = ~0u;
		smp_call_on(i, smp_test_identify, &identity[i]);
		KTEST_EXPECT_EQ(t, identity[i].index, i);
		KTEST_EXPECT_EQ(t, identity[i].hw_id, cpu_local_of(i)->apic_id);
		KTEST_EXPECT(t, identity[i].area == cpu_local_of(i));
		KTEST_EXPECT(t, identity[i].interrupts_off);
		for (unsigned j = 0; j < i; j++) {
			KTEST_EXPECT(t, identity[j].hw_id != identity[i].hw_id);
			KTEST_EXPECT(t, identity[j].area != identity[i].area);
		}
	}
}

KTEST(smp, per_cpu_areas_distinct)
{
	for (unsigned i = 0; i < cpu_count(); i++) {
		struct cpu_local *area = cpu_local_of(i);
		KTEST_EXPECT(t, area->self == area);
		KTEST_EXPECT_EQ(t, area->index, i);
		for (unsigned j = 0; j < i; j++) {
			struct cpu_local *other = cpu_local_of(j);
			/* Not only distinct: not overlapping either. */
			KTEST_EXPECT(t, (uintptr_t)other + sizeof(*other) <= (uintptr_t)area ||
					(uintptr_t)area + sizeof(*area) <= (uintptr_t)other);
		}
	}
}

static void smp_test_increment(void *argument)
{
	(*(volatile unsigned *)argument)++;
}

/* Calls of all CPUs together: the same work at any CPU count. Each round
 * trip wakes a halted CPU into the scheduler's idle loop, and under TCG
 * with 64 virtual CPUs on a 2-core host 200 rounds to each of them ran
 * past the 10 s limit. Each call also waits for the host to run the
 * target's thread: 1,600 calls on 64 CPUs took 1.3 s on a quiet host and
 * more than 10 s beside the other boots of a CI run, hence the limit. */
#define SMP_TEST_CALLS 1600u

KTEST_SLOW(smp, call_on_round_trip_every_cpu, 60000)
{
	unsigned counters[CONFIG_MAX_CPUS] = { 0 };
	unsigned cpus = cpu_count();
	unsigned rounds = SMP_TEST_CALLS / cpus > 4 ? SMP_TEST_CALLS / cpus : 4;

	for (unsigned round = 0; round < rounds; round++)
		for (unsigned i = 0; i < cpus; i++)
			smp_call_on(i, smp_test_increment, &counters[i]);
	for (unsigned i = 0; i < cpus; i++)
		KTEST_EXPECT_EQ(t, counters[i], rounds);
}

/* How long every_cpu_ticks waits at most for every CPU to tick: a loaded
 * host may run the threads of 64 emulated CPUs far apart (a fixed wait of
 * 100 ms once saw 3 of 64 CPUs without a tick in CI). */
#define SMP_TEST_TICK_WAIT_MS 5000u

/* Whether every CPU ticked since ticks[] and every CPU but this one idled
 * since idle[] (this one is busy testing). */
static bool smp_test_all_ticked(const uint64_t *ticks, const uint64_t *idle)
{
	for (unsigned i = 0; i < cpu_count(); i++) {
		uint64_t now = __atomic_load_n(&cpu_local_of(i)->ticks, __ATOMIC_RELAXED);
		uint64_t idle_now = __atomic_load_n(&cpu_local_of(i)->idle_ticks,
						    __ATOMIC_RELAXED);

		if (now <= ticks[i] || (i != cpu_current() && idle_now <= idle[i]))
			return false;
	}
	return true;
}

KTEST(smp, every_cpu_ticks)
{
	uint64_t ticks[CONFIG_MAX_CPUS], idle[CONFIG_MAX_CPUS];
	uint64_t ms_before = time_ticks_ms();
	uint64_t end = time_uptime_ns() + SMP_TEST_TICK_WAIT_MS * 1000000ull;

	for (unsigned i = 0; i < cpu_count(); i++) {
		ticks[i] = __atomic_load_n(&cpu_local_of(i)->ticks, __ATOMIC_RELAXED);
		idle[i] = __atomic_load_n(&cpu_local_of(i)->idle_ticks, __ATOMIC_RELAXED);
	}
	/* Interrupts on: the ticks come, as soon as the host runs each
	 * emulated CPU's thread; waited for in steps, up to the limit. */
	do
		time_delay_ms(10);
	while (!smp_test_all_ticked(ticks, idle) && time_uptime_ns() < end);
	KTEST_EXPECT(t, time_ticks_ms() > ms_before);
	for (unsigned i = 0; i < cpu_count(); i++) {
		uint64_t now = __atomic_load_n(&cpu_local_of(i)->ticks, __ATOMIC_RELAXED);
		uint64_t idle_now = __atomic_load_n(&cpu_local_of(i)->idle_ticks,
						    __ATOMIC_RELAXED);
		KTEST_EXPECT(t, now > ticks[i]);
		/* The others do nothing but idle; this CPU is busy testing. */
		if (i == cpu_current())
			KTEST_EXPECT_EQ(t, idle_now, idle[i]);
		else
			KTEST_EXPECT(t, idle_now > idle[i]);
	}
}

KTEST(smp, kick_wakes_every_other_cpu)
{
	for (unsigned i = 0; i < cpu_count(); i++) {
		if (i == cpu_current())
			continue;
		uint64_t before = smp_kicks_taken(i);
		smp_kick(i);
		uint64_t deadline = time_ticks_ms() + 1000;
		while (smp_kicks_taken(i) == before && time_ticks_ms() < deadline)
			__builtin_ia32_pause();
		KTEST_EXPECT_EQ(t, smp_kicks_taken(i), before + 1);
	}
}

KTEST(smp, call_on_own_cpu_runs_directly)
{
	struct smp_test_identity identity = { .index = ~0u };
	uint64_t kicks = smp_kicks_taken(cpu_current());

	smp_call_on(cpu_current(), smp_test_identify, &identity);
	KTEST_EXPECT_EQ(t, identity.index, cpu_current());
	KTEST_EXPECT(t, identity.interrupts_off);
	KTEST_EXPECT_EQ(t, smp_kicks_taken(cpu_current()), kicks);
}

/* Return addresses found walking up from a thread kept on one CPU. */
struct smp_test_walk {
	uint64_t addresses[32];
	unsigned count;
	unsigned cpu;
};

static __attribute__((noinline)) void smp_test_capture(struct smp_test_walk *walk)
{
	walk->count = backtrace_capture((uint64_t)__builtin_frame_address(0),
					walk->addresses, 32);
	walk->cpu = cpu_current();
}

/* The thread's function: the walk must reach it from two calls down. */
static __attribute__((noinline)) void smp_test_walk_thread(void *argument)
{
	smp_test_capture(argument);
	__asm__ __volatile__("" : : : "memory");	/* not a tail call */
}

/* Whether a walk passed through the thread's first function. */
static bool smp_test_walk_found(const struct smp_test_walk *walk)
{
	for (unsigned f = 0; f < walk->count; f++) {
		const char *name;
		uint64_t offset;
		/* - 1: the call, inside the caller (a call to a noreturn
		 * function may end its caller). */
		if (ksym_lookup(walk->addresses[f] - 1, &name, &offset) &&
		    strcmp(name, "smp_test_walk_thread") == 0)
			return true;
	}
	return false;
}

/* A backtrace on any CPU follows the frames of an allocated kernel stack
 * (a thread's) up to the function the thread began with. Every CPU's
 * thread is started before any is joined: one after another, 64 CPUs of
 * a 2-core host took 6 s of the 10 s limit. */
KTEST_SLOW(smp, backtrace_walks_every_cpu_stack, 60000)
{
	unsigned cpus = cpu_count();
	struct smp_test_walk *walks = kmalloc(cpus * sizeof(*walks));
	struct thread **threads = kmalloc(cpus * sizeof(*threads));

	KTEST_ASSERT(t, walks != NULL && threads != NULL);
	for (unsigned i = 0; i < cpus; i++) {
		walks[i] = (struct smp_test_walk){ .count = 0, .cpu = ~0u };
		threads[i] = thread_create_on("walk", smp_test_walk_thread,
					      &walks[i], 1ull << i);
		KTEST_ASSERT(t, threads[i] != NULL);
	}
	for (unsigned i = 0; i < cpus; i++) {
		thread_join(threads[i]);
		bool found = smp_test_walk_found(&walks[i]);
		if (!found)
			ktest_log(t, "CPU %u: %u frames, no smp_test_walk_thread",
				  i, walks[i].count);
		KTEST_EXPECT(t, found);
		KTEST_EXPECT_EQ(t, walks[i].cpu, i);
	}
	kfree(threads);
	kfree(walks);
}
