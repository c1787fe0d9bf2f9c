/*
 * The machine as ACPI describes it, read once at boot from the RSDP the
 * boot loader passed (kernel/acpi.h), through the direct map. Kept for the
 * code that will start the other CPUs; today the boot log says what it
 * found, or why nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/acpi.h"
#include "kernel/bootinfo.h"
#include "kernel/lib/printk.h"
#include "mm/direct_map.h"

/* Written once at boot, read only after. */
static struct acpi_machine acpi_machine_found;
static bool acpi_machine_valid;

/* Physical memory through the direct map; NULL outside it. */
static const void *acpi_boot_map(void *context, uint64_t physical,
				 size_t length)
{
	(void)context;
	if (length == 0 || physical + length < physical)
		return NULL;
	const uint8_t *first = phys_to_virt(physical);
	if (!direct_map_contains(first) ||
	    !direct_map_contains(first + length - 1))
		return NULL;
	return first;
}

void acpi_boot_init(const struct boot_info *info)
{
	struct acpi_memory memory = { acpi_boot_map, NULL };
	struct acpi_machine *m = &acpi_machine_found;

	if (!info->rsdp_version) {
		log_warn("acpi: the boot loader passed no RSDP: CPUs unknown");
		return;
	}
	const char *reason = acpi_read_machine(info->rsdp, sizeof(info->rsdp),
					       &memory, m);
	if (reason) {
		log_error("acpi: MADT not read: %s", reason);
		return;
	}
	acpi_machine_valid = true;
	unsigned enabled = 0;
	for (unsigned i = 0; i < m->cpu_count; i++)
		enabled += m->cpus[i].enabled;
	log_info("acpi: MADT (through the %s) lists %u CPUs, %u enabled%s; "
		 "local APIC at 0x%llx, %u I/O APICs, %u interrupt overrides",
		 m->used_xsdt ? "XSDT" : "RSDT", m->cpu_count, enabled,
		 m->cpus_beyond_max ? " (more than Veil keeps)" : "",
		 (unsigned long long)m->local_apic_address, m->ioapic_count,
		 m->overrides);
}

const struct acpi_machine *acpi_machine(void)
{
	return acpi_machine_valid ? &acpi_machine_found : NULL;
}
