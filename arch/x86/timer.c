/*
 * Time on x86 (kernel/lib/time.h): the TSC, calibrated once against the
 * PIT's channel 2, gives uptime in nanoseconds; each CPU's local APIC timer
 * (arch/x86/lapic.c, calibrated against the TSC) interrupts it at 1 kHz.
 * The PIT serves the calibration only: its channel 0 is never started and
 * its PIC line stays masked. CPU 0's ticks are the global millisecond count
 * (ktest's watchdog reads it), made up from the TSC for ticks an emulator
 * dropped; every CPU counts its own in its per-CPU area.
 */
#include <stdint.h>
#include "arch/x86/irq_lines.h"
#include "arch/x86/lapic.h"
#include "arch/x86/x86.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"

#define PIT_FREQUENCY 1193182u
#define PIT_CHANNEL2 0x42
#define PIT_COMMAND 0x43
#define PIT_GATE_PORT 0x61	/* bit 0: channel 2 gate, bit 5: its output */
#define TIMER_HZ 1000u
#define CALIBRATION_MS 20u

/* Set once by timer_init, read-only after. */
static uint64_t tsc_at_start;
static uint64_t tsc_per_second;
/* Counted by the timer interrupt on CPU 0; read anywhere. */
static volatile uint64_t timer_ticks;
/* Called on every tick of every CPU after the EOI; set at boot by ktest. */
static void (*timer_tick_hook)(void);

/* Counts TSC cycles over CALIBRATION_MS of the PIT's channel 2 one-shot. */
static uint64_t timer_calibrate_tsc(void)
{
	uint16_t count = PIT_FREQUENCY * CALIBRATION_MS / 1000u;
	uint8_t gate = inb(PIT_GATE_PORT);

	outb(PIT_GATE_PORT, (gate & ~0x02) | 0x01);	/* gate on, speaker off */
	outb(PIT_COMMAND, 0xb0);	/* channel 2, lobyte/hibyte, mode 0 */
	outb(PIT_CHANNEL2, count & 0xff);
	outb(PIT_CHANNEL2, count >> 8);
	/* Mode 0 starts counting when the count is written; wait for OUT. */
	uint64_t start = rdtsc();
	while (!(inb(PIT_GATE_PORT) & 0x20))
		cpu_pause();
	uint64_t cycles = rdtsc() - start;
	outb(PIT_GATE_PORT, gate);
	return cycles * (1000u / CALIBRATION_MS);
}

void timer_tick(void)
{
	if (cpu_current() == 0) {
		/* An emulator may drop ticks while its CPU thread waits for
		 * the host (a periodic timer does not catch up): the count is
		 * made up from the TSC, so it stays in step with the uptime. */
		uint64_t due = time_uptime_ns() / (1000000000ull / TIMER_HZ);
		timer_ticks = due > timer_ticks ? due : timer_ticks + 1;
	}
	/* Time slices, sleepers and this CPU's tick counts; the hook (ktest's
	 * watchdog) last, as it may abandon the interrupted code. */
	sched_tick();
	if (timer_tick_hook)
		timer_tick_hook();
}

void timer_init(void)
{
	tsc_per_second = timer_calibrate_tsc();
	tsc_at_start = rdtsc();
	lapic_boot_init();
	timer_cpu_start();
}

void timer_cpu_start(void)
{
	lapic_timer_start(TIMER_HZ);
}

void time_set_tick_hook(void (*hook)(void))
{
	timer_tick_hook = hook;
}

uint64_t time_cycles(void)
{
	return rdtsc();
}

uint64_t time_cycles_per_second(void)
{
	return tsc_per_second;
}

uint64_t time_uptime_ns(void)
{
	if (!tsc_per_second)
		return 0;
	uint64_t cycles = rdtsc() - tsc_at_start;
	/* Split to avoid overflow: whole seconds, then the remainder. */
	return cycles / tsc_per_second * 1000000000ull +
	       cycles % tsc_per_second * 1000000000ull / tsc_per_second;
}

uint64_t time_ticks_ms(void)
{
	return timer_ticks * (1000u / TIMER_HZ);
}

void time_delay_ms(unsigned ms)
{
	uint64_t end = rdtsc() + tsc_per_second / 1000u * ms;

	while (rdtsc() < end)
		cpu_pause();
}
