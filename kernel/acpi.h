/*
 * ACPI tables, read for one thing so far: which CPUs and interrupt
 * controllers the machine has (the MADT), found from the RSDP the boot
 * loader passed, through the XSDT (ACPI 2.0+) or the RSDT. The tables are
 * untrusted bytes: every length and checksum is checked before a field is
 * read, and a table is reached only through the caller's map function, so
 * the parser is portable and runs on the host (tests, fuzz target).
 */
#ifndef VEIL_KERNEL_ACPI_H
#define VEIL_KERNEL_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_CPUS_MAX    64
#define ACPI_IOAPICS_MAX 8

/* Physical memory as the parser reads it: length bytes at physical, or
 * NULL when they are not RAM the caller can show (out of range). */
struct acpi_memory {
	const void *(*map)(void *context, uint64_t physical, size_t length);
	void *context;
};

struct acpi_cpu {
	uint32_t apic_id;	/* local APIC or x2APIC id */
	uint32_t processor_uid;
	bool enabled;		/* usable now */
	bool online_capable;	/* disabled, but may be brought online */
	bool x2apic;		/* listed by a Processor Local x2APIC entry */
};

struct acpi_ioapic {
	uint32_t id;
	uint32_t address;
	uint32_t gsi_base;
};

struct acpi_machine {
	uint8_t revision;		/* the RSDP's: 0 is ACPI 1.0 (RSDT) */
	bool used_xsdt;
	uint64_t local_apic_address;	/* MADT's, or its 64-bit override */
	bool pc_at_compatible;		/* 8259 PICs present too */
	unsigned cpu_count;		/* in cpus[] */
	unsigned cpus_beyond_max;	/* listed but over ACPI_CPUS_MAX */
	struct acpi_cpu cpus[ACPI_CPUS_MAX];
	unsigned ioapic_count;
	struct acpi_ioapic ioapics[ACPI_IOAPICS_MAX];
	unsigned overrides;		/* interrupt source overrides seen */
};

/*
 * Reads the MADT reached from rsdp (rsdp_length bytes, as the boot loader
 * copied them). NULL on success with *out filled; otherwise a one-line
 * reason, and *out holds what was read before the fault was found.
 */
const char *acpi_read_machine(const uint8_t *rsdp, size_t rsdp_length,
			      const struct acpi_memory *memory,
			      struct acpi_machine *out);

struct boot_info;
/* Reads the machine at boot (kernel/acpi_boot.c) and logs what it found. */
void acpi_boot_init(const struct boot_info *info);
/* What acpi_boot_init read, or NULL when it could not. */
const struct acpi_machine *acpi_machine(void);

#endif
