/*
 * The MADT reader (kernel/acpi.h). Layouts from the ACPI specification:
 * RSDP (signature "RSD PTR ", checksum over the first 20 bytes, revision at
 * 15, RSDT address at 16; from revision 2 the length at 20, the XSDT
 * address at 24 and an extended checksum over the whole structure), the
 * 36-byte system description header (signature, length at 4, checksum
 * over the whole table), and the MADT's entries after its 44-byte fixed
 * part: type and length, then per type the fields read below.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/acpi.h"

#define ACPI_RSDP_V1_BYTES   20
#define ACPI_RSDP_V2_BYTES   36
#define ACPI_HEADER_BYTES    36
#define ACPI_MADT_FIXED      44
#define ACPI_TABLE_MAX_BYTES (1u << 20)	/* no real MADT, RSDT or XSDT nears it */

enum acpi_madt_type {
	ACPI_MADT_LOCAL_APIC = 0,
	ACPI_MADT_IOAPIC = 1,
	ACPI_MADT_SOURCE_OVERRIDE = 2,
	ACPI_MADT_LOCAL_APIC_ADDRESS = 5,
	ACPI_MADT_LOCAL_X2APIC = 9,
};

static uint32_t acpi_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t acpi_u64(const uint8_t *p)
{
	return acpi_u32(p) | (uint64_t)acpi_u32(p + 4) << 32;
}

static bool acpi_sums_to_zero(const uint8_t *bytes, size_t length)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < length; i++)
		sum = (uint8_t)(sum + bytes[i]);
	return sum == 0;
}

/* A whole table at physical with signature, its checksum right; NULL and
 * *reason otherwise. *length gets its length. */
static const uint8_t *acpi_table(const struct acpi_memory *memory,
				 uint64_t physical, const char *signature,
				 uint32_t *length, const char **reason)
{
	const uint8_t *header = memory->map(memory->context, physical,
					    ACPI_HEADER_BYTES);

	if (!header) {
		*reason = "a table address is outside memory";
		return NULL;
	}
	if (memcmp(header, signature, 4) != 0) {
		*reason = "a table does not have the signature it should";
		return NULL;
	}
	*length = acpi_u32(header + 4);
	if (*length < ACPI_HEADER_BYTES || *length > ACPI_TABLE_MAX_BYTES) {
		*reason = "a table's length is out of range";
		return NULL;
	}
	const uint8_t *table = memory->map(memory->context, physical, *length);
	if (!table) {
		*reason = "a table runs outside memory";
		return NULL;
	}
	if (!acpi_sums_to_zero(table, *length)) {
		*reason = "a table's checksum is wrong";
		return NULL;
	}
	return table;
}

/* The MADT's address from the RSDT or XSDT, or 0. */
static uint64_t acpi_find_madt(const struct acpi_memory *memory,
			       const uint8_t *root, uint32_t length,
			       unsigned entry_bytes, const char **reason)
{
	for (uint32_t at = ACPI_HEADER_BYTES; at + entry_bytes <= length;
	     at += entry_bytes) {
		uint64_t physical = entry_bytes == 8 ? acpi_u64(root + at) :
						       acpi_u32(root + at);
		const uint8_t *header = memory->map(memory->context, physical, 4);
		if (header && memcmp(header, "APIC", 4) == 0)
			return physical;
	}
	*reason = "no MADT (signature APIC) in the root table";
	return 0;
}

static void acpi_add_cpu(struct acpi_machine *out, uint32_t apic_id,
			 uint32_t uid, uint32_t flags, bool x2apic)
{
	if (out->cpu_count == ACPI_CPUS_MAX) {
		out->cpus_beyond_max++;
		return;
	}
	out->cpus[out->cpu_count++] = (struct acpi_cpu){
		.apic_id = apic_id, .processor_uid = uid,
		.enabled = flags & 1, .online_capable = flags & 2,
		.x2apic = x2apic,
	};
}

/* One MADT entry of the given type and length (both checked by the
 * caller to lie in the table); a reason when its length is wrong. */
static const char *acpi_madt_entry(const uint8_t *entry, uint8_t length,
				   struct acpi_machine *out)
{
	switch (entry[0]) {
	case ACPI_MADT_LOCAL_APIC:
		if (length < 8)
			return "a local APIC entry is too short";
		acpi_add_cpu(out, entry[3], entry[2], acpi_u32(entry + 4), false);
		return NULL;
	case ACPI_MADT_LOCAL_X2APIC:
		if (length < 16)
			return "a local x2APIC entry is too short";
		acpi_add_cpu(out, acpi_u32(entry + 4), acpi_u32(entry + 12),
			     acpi_u32(entry + 8), true);
		return NULL;
	case ACPI_MADT_IOAPIC:
		if (length < 12)
			return "an I/O APIC entry is too short";
		if (out->ioapic_count < ACPI_IOAPICS_MAX)
			out->ioapics[out->ioapic_count++] = (struct acpi_ioapic){
				.id = entry[2], .address = acpi_u32(entry + 4),
				.gsi_base = acpi_u32(entry + 8),
			};
		return NULL;
	case ACPI_MADT_SOURCE_OVERRIDE:
		if (length < 10)
			return "an interrupt source override is too short";
		out->overrides++;
		return NULL;
	case ACPI_MADT_LOCAL_APIC_ADDRESS:
		if (length < 12)
			return "a local APIC address override is too short";
		out->local_apic_address = acpi_u64(entry + 4);
		return NULL;
	default:
		return NULL;	/* types this reader does not need */
	}
}

static const char *acpi_read_madt(const uint8_t *madt, uint32_t length,
				  struct acpi_machine *out)
{
	if (length < ACPI_MADT_FIXED)
		return "the MADT is shorter than its fixed part";
	out->local_apic_address = acpi_u32(madt + 36);
	out->pc_at_compatible = acpi_u32(madt + 40) & 1;
	for (uint32_t at = ACPI_MADT_FIXED; at < length;) {
		if (length - at < 2)
			return "a MADT entry header runs past the table";
		uint8_t entry_length = madt[at + 1];
		if (entry_length < 2 || entry_length > length - at)
			return "a MADT entry's length is out of range";
		const char *reason = acpi_madt_entry(madt + at, entry_length, out);
		if (reason)
			return reason;
		at += entry_length;
	}
	return out->cpu_count ? NULL : "the MADT lists no CPU";
}

const char *acpi_read_machine(const uint8_t *rsdp, size_t rsdp_length,
			      const struct acpi_memory *memory,
			      struct acpi_machine *out)
{
	const char *reason = NULL;
	uint32_t length;

	memset(out, 0, sizeof(*out));
	if (rsdp_length < ACPI_RSDP_V1_BYTES || memcmp(rsdp, "RSD PTR ", 8) != 0)
		return "no RSDP (signature RSD PTR)";
	if (!acpi_sums_to_zero(rsdp, ACPI_RSDP_V1_BYTES))
		return "the RSDP's checksum is wrong";
	out->revision = rsdp[15];
	bool xsdt = out->revision >= 2 && rsdp_length >= ACPI_RSDP_V2_BYTES &&
		    acpi_u32(rsdp + 20) >= ACPI_RSDP_V2_BYTES &&
		    acpi_u32(rsdp + 20) <= rsdp_length &&
		    acpi_sums_to_zero(rsdp, acpi_u32(rsdp + 20)) &&
		    acpi_u64(rsdp + 24) != 0;
	const uint8_t *root = xsdt ?
		acpi_table(memory, acpi_u64(rsdp + 24), "XSDT", &length, &reason) :
		acpi_table(memory, acpi_u32(rsdp + 16), "RSDT", &length, &reason);
	if (!root)
		return reason;
	out->used_xsdt = xsdt;
	uint64_t madt_address = acpi_find_madt(memory, root, length, xsdt ? 8 : 4,
					       &reason);
	if (!madt_address)
		return reason;
	const uint8_t *madt = acpi_table(memory, madt_address, "APIC", &length,
					 &reason);
	if (!madt)
		return reason;
	return acpi_read_madt(madt, length, out);
}
