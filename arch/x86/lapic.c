/*
 * The local APIC (arch/x86/lapic.h). The boot CPU chooses the mode once:
 * x2APIC when CPUID.1:ECX[21] says the CPU has it (registers are MSRs
 * 0x800 + offset/16, the ICR one 64-bit write), xAPIC otherwise (registers
 * in the 4 KiB page IA32_APIC_BASE names, read through the direct map; an
 * IPI is two writes and a wait for the delivery-status bit). Every CPU then
 * uses the same mode. The timer is calibrated once against the TSC; all
 * CPUs share the bus clock, so one count serves them all.
 */
#include <stdbool.h>
#include <stdint.h>
#include <arch/cpuid.h>
#include "arch/x86/irq_lines.h"
#include "arch/x86/lapic.h"
#include "arch/x86/memlayout.h"
#include "arch/x86/tlb_internal.h"
#include "arch/x86/x86.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "kernel/smp.h"

#define MSR_APIC_BASE		0x1bu
#define APIC_BASE_ENABLE	(1ull << 11)
#define APIC_BASE_X2APIC	(1ull << 10)
#define APIC_BASE_ADDRESS	0xffffff000ull
#define MSR_X2APIC_FIRST	0x800u

/* Register offsets in the xAPIC page (x2APIC: MSR 0x800 + offset / 16). */
#define LAPIC_ID		0x020
#define LAPIC_TPR		0x080
#define LAPIC_EOI		0x0b0
#define LAPIC_SVR		0x0f0
#define LAPIC_ESR		0x280
#define LAPIC_ICR_LOW		0x300
#define LAPIC_ICR_HIGH		0x310
#define LAPIC_LVT_TIMER		0x320
#define LAPIC_LVT_LINT0		0x350
#define LAPIC_LVT_LINT1		0x360
#define LAPIC_LVT_ERROR		0x370
#define LAPIC_TIMER_INITIAL	0x380
#define LAPIC_TIMER_CURRENT	0x390
#define LAPIC_TIMER_DIVIDE	0x3e0

#define SVR_ENABLE		(1u << 8)
#define LVT_MASKED		(1u << 16)
#define LVT_PERIODIC		(1u << 17)
#define LVT_NMI			(4u << 8)
#define LVT_EXTINT		(7u << 8)
#define TIMER_DIVIDE_BY_16	0x3u
#define ICR_DELIVERY_PENDING	(1u << 12)
#define ICR_ASSERT		(1u << 14)
#define ICR_FIXED		(0u << 8)
#define ICR_NMI			(4u << 8)
#define ICR_INIT		(5u << 8)
#define ICR_STARTUP		(6u << 8)
#define CALIBRATION_MS		10u

/* Chosen by the boot CPU before any other CPU starts; read-only after. */
static bool lapic_use_x2apic;
static volatile uint32_t *lapic_mmio;
static uint32_t lapic_timer_ticks_per_ms;

static uint32_t lapic_read(unsigned offset)
{
	if (lapic_use_x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC_FIRST + (offset >> 4));
	return lapic_mmio[offset / 4];
}

static void lapic_write(unsigned offset, uint32_t value)
{
	if (lapic_use_x2apic)
		wrmsr(MSR_X2APIC_FIRST + (offset >> 4), value);
	else
		lapic_mmio[offset / 4] = value;
}

static bool lapic_cpu_has_x2apic(void)
{
	uint32_t eax, ebx, ecx, edx;

	cpuid_query(1, 0, &eax, &ebx, &ecx, &edx);
	return ecx & (1u << 21);
}

/* Enables this CPU's APIC in the chosen mode and makes it deliver: the
 * spurious vector set, nothing masked by priority, LINT0 as the PIC's
 * ExtINT line on the boot CPU (the 8259's interrupts keep arriving there,
 * as in the PC's virtual-wire mode) and masked on the others, LINT1 as
 * NMI, errors cleared. */
static void lapic_enable_here(bool boot_cpu)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	/* x2APIC is reached from xAPIC only: enable first, then extend. */
	wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	if (lapic_use_x2apic)
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
	lapic_write(LAPIC_SVR, SVR_ENABLE | LAPIC_VECTOR_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT0, boot_cpu ? LVT_EXTINT : LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_NMI);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_ESR, 0);
	lapic_eoi();
}

/* Counts the timer's decrements over CALIBRATION_MS of the TSC. */
static uint32_t lapic_timer_calibrate(void)
{
	lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TIMER_INITIAL, 0xffffffffu);
	time_delay_ms(CALIBRATION_MS);
	uint32_t elapsed = 0xffffffffu - lapic_read(LAPIC_TIMER_CURRENT);
	lapic_write(LAPIC_TIMER_INITIAL, 0);
	return elapsed / CALIBRATION_MS;
}

void lapic_boot_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	lapic_use_x2apic = lapic_cpu_has_x2apic();
	if (!lapic_use_x2apic)
		lapic_mmio = (volatile uint32_t *)(DIRECT_MAP_BASE +
						   (base & APIC_BASE_ADDRESS));
	lapic_enable_here(true);
	lapic_timer_ticks_per_ms = lapic_timer_calibrate();
	if (lapic_timer_ticks_per_ms == 0)
		panic("lapic: the timer did not count during calibration");
	log_info("lapic: %s mode, boot CPU APIC id %u, timer %u kHz (divide "
		 "by 16)", lapic_use_x2apic ? "x2APIC" : "xAPIC", lapic_id(),
		 lapic_timer_ticks_per_ms);
}

void lapic_cpu_init(void)
{
	lapic_enable_here(false);
}

void lapic_timer_start(unsigned hz)
{
	lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | LAPIC_VECTOR_TIMER);
	lapic_write(LAPIC_TIMER_INITIAL,
		    (uint32_t)((uint64_t)lapic_timer_ticks_per_ms * 1000u / hz));
}

bool lapic_x2apic(void)
{
	return lapic_use_x2apic;
}

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_ID);

	return lapic_use_x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void lapic_send_ipi(uint32_t apic_id, enum lapic_ipi kind, uint8_t vector)
{
	static const uint32_t modes[] = {
		[LAPIC_IPI_FIXED] = ICR_FIXED, [LAPIC_IPI_NMI] = ICR_NMI,
		[LAPIC_IPI_INIT] = ICR_INIT, [LAPIC_IPI_STARTUP] = ICR_STARTUP,
	};
	uint32_t low = modes[kind] | ICR_ASSERT |
		       (kind == LAPIC_IPI_FIXED || kind == LAPIC_IPI_STARTUP ?
			vector : 0);

	/* Stores before the IPI must be visible to its receiver: the x2APIC
	 * ICR write is not serialising, so fence first. */
	__asm__ __volatile__("mfence" : : : "memory");
	if (lapic_use_x2apic) {
		wrmsr(MSR_X2APIC_FIRST + (LAPIC_ICR_LOW >> 4),
		      ((uint64_t)apic_id << 32) | low);
		return;
	}
	/* Two writes that must not be split by an IPI sent from a handler. */
	unsigned long flags = irq_save();
	lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
	lapic_write(LAPIC_ICR_LOW, low);
	while (lapic_read(LAPIC_ICR_LOW) & ICR_DELIVERY_PENDING)
		cpu_pause();
	irq_restore(flags);
}

void lapic_dispatch(unsigned vector)
{
	/* The EOI first: a handler may not return (the ktest watchdog resumes
	 * a test from the tick; a call may panic). */
	lapic_eoi();
	switch (vector) {
	case LAPIC_VECTOR_TIMER:
		timer_tick();
		break;
	case LAPIC_VECTOR_CALL:
		smp_call_interrupt();
		break;
	case LAPIC_VECTOR_TLB:
		tlb_shootdown_interrupt();
		break;
	case LAPIC_VECTOR_KICK:
		smp_kick_interrupt();	/* counts it; the return is the point */
		break;
	default:	/* nothing to do but the EOI */
		break;
	}
}
