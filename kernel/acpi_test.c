/*
 * ktest suite "acpi": the machine the boot read from the firmware's MADT
 * (QEMU's and OVMF's tables, under SeaBIOS through the RSDT, under UEFI
 * through the XSDT): at least the CPU running this, each listed APIC id
 * once, the local APIC where the architecture puts it by default or at a
 * page-aligned override.
 */
#include "kernel/acpi.h"
#include "kernel/ktest/ktest.h"

KTEST(acpi, machine_read_at_boot)
{
	const struct acpi_machine *m = acpi_machine();

	KTEST_ASSERT(t, m != NULL);
	ktest_log(t, "%u CPUs, %u I/O APICs, %s", m->cpu_count, m->ioapic_count,
		  m->used_xsdt ? "XSDT" : "RSDT");
	KTEST_EXPECT(t, m->cpu_count >= 1);
	KTEST_EXPECT(t, m->ioapic_count >= 1);
	KTEST_EXPECT_EQ(t, m->local_apic_address & 0xfff, 0);
	unsigned enabled = 0;
	for (unsigned i = 0; i < m->cpu_count; i++) {
		enabled += m->cpus[i].enabled;
		for (unsigned j = i + 1; j < m->cpu_count; j++)
			KTEST_EXPECT(t, m->cpus[i].apic_id != m->cpus[j].apic_id);
	}
	KTEST_EXPECT(t, enabled >= 1);
}
