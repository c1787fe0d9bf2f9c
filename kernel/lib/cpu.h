/*
 * The running CPU and its per-CPU area. Each CPU owns one struct cpu_local,
 * reached through the architecture's per-CPU register (GS on x86, set up
 * before kmain runs on the boot CPU and before an application processor runs
 * any C code), so cpu_local() and cpu_current() are valid from the first
 * line of kmain on. Per-CPU arrays elsewhere are indexed with cpu_current().
 *
 * Fields are owned by the CPU itself: only that CPU writes them, except
 * where a field's comment says otherwise (others may read them for reports).
 */
#ifndef VEIL_KERNEL_CPU_H
#define VEIL_KERNEL_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_CPUS 64

struct thread;

enum cpu_state {
	CPU_ABSENT = 0,		/* not listed, or not started */
	CPU_STARTING,		/* start-up sent, not yet answered */
	CPU_ONLINE,		/* running kernel code */
	CPU_FAILED,		/* listed, but never answered its start-up */
	CPU_STOPPED,		/* halted for good (panic on some CPU) */
};

struct cpu_local {
	struct cpu_local *self;	/* first: the arch finds the area through it */
	/* Second and third, at offsets the entry code knows: the top of the
	 * running user thread's kernel stack, where entries from user mode
	 * land, and the user stack pointer during a system call's entry. */
	uint64_t entry_stack_top;
	uint64_t entry_user_stack;
	unsigned index;		/* 0 .. CONFIG_MAX_CPUS - 1; the boot CPU is 0 */
	uint32_t apic_id;	/* the interrupt controller's id of this CPU */
	enum cpu_state state;	/* written by the CPU starting it, then itself */
	unsigned preempt_count;	/* > 0: no thread switch on this CPU */
	bool need_resched;	/* set by the tick or a wakeup; read at preempt points */
	struct thread *current;	/* the thread running here (kernel/sched) */
	struct thread *idle;	/* this CPU's idle thread */
	void *run_queue;	/* the scheduler's per-CPU state */
	uint64_t ticks;		/* timer interrupts taken on this CPU */
	uint64_t idle_ticks;	/* of those, taken while idle */
	bool idling;		/* halted in the idle thread (kernel/sched sets
				 * it before the halt; a switch clears it) */
};

/*
 * Zeroed memory for one CPU's private buffers, 64-byte aligned, for the
 * *_cpu_prepare functions that mm_cpu_prepare (mm/mm.h) calls before a CPU
 * starts: kmalloc in the kernel (mm/mm_cpu.c), calloc on the host
 * (tests/host/host_shim.c). NULL when memory is short. Never freed: a CPU
 * prepared once stays prepared.
 */
void *cpu_memory_alloc(size_t bytes);

/* Answers what other CPUs may be waiting for from this one (a TLB
 * shootdown: arch/x86/tlb_shootdown.c). Busy waits that may run with
 * interrupts off call it on each turn, so a CPU that waits never holds up
 * one that waits on it. Cheap when nothing is pending. */
void cpu_answer_requests(void);

#ifdef VEIL_HOST
/* Host tests: each test thread says which "CPU" it is (tests/host). */
unsigned cpu_current(void);
/* How many CPUs run (indices 0 .. cpu_count() - 1): what reports of
 * per-CPU data should cover, not CONFIG_MAX_CPUS. */
unsigned cpu_count(void);
#else
#include <arch/cpu_local.h>

/* The CPUs online, counted up as each one starts (kernel/smp). */
extern unsigned cpu_online_count;

/* Index of the running CPU, below CONFIG_MAX_CPUS. The caller must not
 * migrate while it uses the result (preemption or interrupts off, or a
 * spinlock held). */
static inline unsigned cpu_current(void)
{
	return arch_cpu_local_index();
}

/* This CPU's area; the same migration rule as cpu_current(). */
static inline struct cpu_local *cpu_local(void)
{
	return arch_cpu_local_self();
}

static inline unsigned cpu_count(void)
{
	return __atomic_load_n(&cpu_online_count, __ATOMIC_ACQUIRE);
}

/* The area of CPU index (any CPU, online or not). */
struct cpu_local *cpu_local_of(unsigned index);
#endif

#endif
