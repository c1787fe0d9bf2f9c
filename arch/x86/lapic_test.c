/*
 * ktest suite "lapic": the local APIC as the boot CPU set it up. The PIC's
 * lines still reach CPU 0 through LINT0 (ExtINT): a one-shot of the PIT's
 * channel 0, which Veil otherwise leaves idle, must arrive as line 0.
 */
#include <stdint.h>
#include "arch/x86/irq_lines.h"
#include "arch/x86/lapic.h"
#include "arch/x86/pic.h"
#include "arch/x86/x86.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"

#define PIT_CHANNEL0 0x40
#define PIT_COMMAND 0x43

/* Written by the line 0 handler on CPU 0, read by the case. */
static volatile unsigned lapic_test_pit_interrupts;
static volatile unsigned lapic_test_pit_cpu;

static void lapic_test_pit_handler(void)
{
	lapic_test_pit_interrupts++;
	lapic_test_pit_cpu = cpu_current();
}

/* On CPU 0, the only one LINT0 reaches: a one-shot of the PIT and the
 * interrupts of line 0 it brings. */
static void lapic_test_pit_on_boot_cpu(void *argument)
{
	uint64_t start;

	(void)argument;
	lapic_test_pit_interrupts = 0;
	lapic_test_pit_cpu = ~0u;
	/* Mode 0 first: it also stops a periodic mode the firmware left, whose
	 * ticks would otherwise count here once the line is unmasked. */
	outb(PIT_COMMAND, 0x30);	/* channel 0, lobyte/hibyte, mode 0 */
	outb(PIT_CHANNEL0, 0x00);
	outb(PIT_CHANNEL0, 0x10);	/* 4096 PIT clocks: about 3.4 ms */
	irq_line_set_handler(0, lapic_test_pit_handler);
	/* Up to half a second for the first: under TCG on a loaded host the
	 * emulated PIT can fall far behind; then 20 ms for a late second. */
	start = time_uptime_ns();
	while (!lapic_test_pit_interrupts &&
	       time_uptime_ns() - start < 500ull * 1000000u)
		time_delay_ms(1);
	time_delay_ms(20);
	irq_line_set_handler(0, NULL);	/* unmasks: mask again */
	pic_mask(0);
}

KTEST(lapic, pic_line_reaches_boot_cpu)
{
	/* A thread of its own on CPU 0: the case's thread may run on any */
	struct thread *thread = thread_create_on("lapic_pit",
						 lapic_test_pit_on_boot_cpu,
						 NULL, 1ull << 0);

	KTEST_ASSERT(t, thread != NULL);
	thread_join(thread);
	/* Mode 0 raises its output once, at the end of the count; an edge
	 * left latched while the line was masked may come first, at the
	 * unmask. */
	ktest_log(t, "PIT interrupts seen: %u", lapic_test_pit_interrupts);
	KTEST_EXPECT(t, lapic_test_pit_interrupts >= 1 &&
			lapic_test_pit_interrupts <= 2);
	KTEST_EXPECT_EQ(t, lapic_test_pit_cpu, 0);
}

KTEST(lapic, own_id_matches_per_cpu_area)
{
	KTEST_EXPECT_EQ(t, lapic_id(), cpu_local()->apic_id);
}
