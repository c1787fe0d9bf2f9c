/*
 * The crash tests of kernel/ktest/crashtest.h. Each one must end in a report and
 * the crash exit status; reaching the end of crashtest_run means the crash
 * did not happen, which is itself reported as a failure.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/ktest/crashtest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/time.h"
#include "kernel/power.h"
#include "kernel/lib/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/smp.h"
#include "kernel/trap.h"

struct crashtest {
	const char *name;
	const char *what;
	void (*run)(void);
};

static const struct crashtest *crashtest_chosen;

/* Each frame holds a buffer the compiler cannot drop, so the recursion
 * really consumes the stack until it reaches the guard page. */
static __attribute__((noinline)) unsigned crashtest_recurse(unsigned depth)
{
	volatile uint8_t buffer[256];

	buffer[0] = (uint8_t)depth;
	if (depth == ~0u)	/* never: the stack ends long before */
		return 0;
	return crashtest_recurse(depth + 1) + buffer[0];
}

static void crashtest_stack_overflow(void)
{
	crashtest_recurse(0);
}

#define CRASHTEST_OWNED_ADDRESS 0x0000100000000000ull

static enum fault_response crashtest_faulting_handler(struct fault_owner *owner,
						      const struct fault *fault,
						      const char **reason)
{
	(void)owner;
	(void)reason;
	/* A fault inside the fault handler: the kernel must not loop. */
	return *(volatile uint64_t *)(fault->address + 8) != 0 ? FAULT_HANDLED :
								 FAULT_ERROR;
}

static const struct fault_owner_ops crashtest_owner_ops = {
	.name = "crashtest",
	.handle = crashtest_faulting_handler,
};

static struct fault_owner crashtest_owner = {
	.ops = &crashtest_owner_ops,
	.start = CRASHTEST_OWNED_ADDRESS,
	.end = CRASHTEST_OWNED_ADDRESS + 4096,
};

static void crashtest_nested_exception(void)
{
	fault_owner_register(&crashtest_owner);
	(void)*(volatile uint64_t *)CRASHTEST_OWNED_ADDRESS;
}

static void crashtest_panic(void)
{
	panic("crashtest: a panic on purpose");
}

static void crashtest_invalid_opcode(void)
{
	__asm__ __volatile__("ud2");
}

static void crashtest_panic_here(void *argument)
{
	(void)argument;
	panic("crashtest: a panic on CPU %u", cpu_current());
}

/* How long the caller waits for CPU 1 to idle before it calls anyway. */
#define CRASHTEST_IDLE_WAIT_MS 2000u

/* Calls CPU 1 once it idles (halted in its idle loop, which
 * smp_ap_main runs): the boot flow's thread may be running there, on its
 * way to sleep in its join, and a call that interrupts it gives a report
 * of its frames, without smp_ap_main (the crashes step failed so once in
 * CI). */
static void crashtest_call_cpu_one(void *argument)
{
	uint64_t end = time_ticks_ms() + CRASHTEST_IDLE_WAIT_MS;

	(void)argument;
	while (!__atomic_load_n(&cpu_local_of(1)->idling, __ATOMIC_ACQUIRE) &&
	       time_ticks_ms() < end)
		thread_sleep_ms(1);
	smp_call_on(1, crashtest_panic_here, NULL);
}

/* CPU 1 panics inside smp_call_on while CPU 0 waits for it: CPU 0 must be
 * stopped by the NMI and the report printed once. The call is made from a
 * thread pinned to CPU 0, once CPU 1 idles: the boot flow's thread may
 * have moved to CPU 1, where smp_call_on runs the function in place (the
 * report then lacked smp_ap_main). */
static void crashtest_panic_secondary(void)
{
	struct thread *caller;

	if (cpu_count() < 2) {
		printk("crashtest: panic_secondary needs two CPUs, %u online\n",
		       cpu_count());
		return;
	}
	caller = thread_create_on("crashtest", crashtest_call_cpu_one, NULL,
				  1ull << 0);
	if (caller)
		thread_join(caller);
}

/* The tick (ms) at which every CPU panics; 0: not armed. */
static volatile uint64_t crashtest_panic_tick;

static void crashtest_tick_panic(void)
{
	if (crashtest_panic_tick && time_ticks_ms() >= crashtest_panic_tick)
		panic("crashtest: a panic on CPU %u at the same tick as the "
		      "others", cpu_current());
}

/* Every CPU panics from its own timer tick at about the same moment: one
 * report, whichever CPU wins, and the others halt. */
static void crashtest_panic_all_cpus(void)
{
	time_set_tick_hook(crashtest_tick_panic);
	crashtest_panic_tick = time_ticks_ms() + 5;
	for (uint64_t end = time_ticks_ms() + 2000; time_ticks_ms() < end;)
		__builtin_ia32_pause();
}

static const struct crashtest crashtests[] = {
	{ "stack_overflow", "recursion until the stack guard page",
	  crashtest_stack_overflow },
	{ "nested_exception", "a page fault inside the page-fault handler",
	  crashtest_nested_exception },
	{ "panic", "panic()", crashtest_panic },
	{ "invalid_opcode", "an unexpected #UD", crashtest_invalid_opcode },
	{ "panic_secondary", "panic() on CPU 1 while CPU 0 waits for it",
	  crashtest_panic_secondary },
	{ "panic_all_cpus", "panic() on every CPU at the same tick",
	  crashtest_panic_all_cpus },
};

static bool crashtest_set(const char *value)
{
	for (size_t i = 0; i < sizeof(crashtests) / sizeof(crashtests[0]); i++) {
		if (strcmp(crashtests[i].name, value) == 0) {
			crashtest_chosen = &crashtests[i];
			return true;
		}
	}
	return false;
}
CMDLINE_OPTION(crashtest, "crashtest",
	       "stack_overflow|nested_exception|panic|invalid_opcode|"
	       "panic_secondary|panic_all_cpus: "
	       "crash on purpose (tests the reports)", crashtest_set);

bool crashtest_requested(void)
{
	return crashtest_chosen != NULL;
}

void crashtest_run(void)
{
	printk("crashtest: %s (%s)\n", crashtest_chosen->name,
	       crashtest_chosen->what);
	crashtest_chosen->run();
	printk("crashtest: FAILED: %s returned instead of crashing\n",
	       crashtest_chosen->name);
	machine_exit(MACHINE_FAILED);
}
