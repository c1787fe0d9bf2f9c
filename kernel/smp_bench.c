/*
 * bench=ipi: the cost of one smp_call_on round trip from CPU 0 to CPU 1
 * (the call IPI, the handler's empty function, the answer seen by the
 * caller), in time_cycles() per trip. Under QEMU's -icount shift=0 the
 * cycle counter counts guest instructions, so the figure is printed as
 * insns_per_ipi_roundtrip; without -icount it is cycles of the host's TSC.
 */
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "kernel/smp.h"

static void smp_bench_nothing(void *argument)
{
	(*(volatile unsigned *)argument)++;
}

KBENCH(ipi)
{
	enum { WARM_UP = 100, ROUNDS = 2000 };
	unsigned calls = 0;

	if (cpu_count() < 2) {
		ktest_bench_fail("ipi: needs two CPUs online, %u are (boot with "
				 "-smp 2)", cpu_count());
		return;
	}
	for (unsigned i = 0; i < WARM_UP; i++)
		smp_call_on(1, smp_bench_nothing, &calls);
	uint64_t start = time_cycles();
	for (unsigned i = 0; i < ROUNDS; i++)
		smp_call_on(1, smp_bench_nothing, &calls);
	uint64_t per_trip = (time_cycles() - start) / ROUNDS;
	if (calls != WARM_UP + ROUNDS) {
		ktest_bench_fail("ipi: %u calls ran, %u were made", calls,
				 WARM_UP + ROUNDS);
		return;
	}
	printk("bench ipi: from CPU 0 to CPU 1, %u round trips: "
	       "insns_per_ipi_roundtrip=%llu\n", ROUNDS,
	       (unsigned long long)per_trip);
}
