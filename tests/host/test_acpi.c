/*
 * Host tests of the MADT reader (kernel/acpi.c) over tables built here,
 * in a fake physical memory: an RSDT machine, an XSDT machine with x2APIC
 * entries and an address override, and each kind of damage refused with
 * its reason.
 */
#include <string.h>
#include "kernel/acpi.h"
#include "tests/host/htest.h"

#define FAKE_BYTES 8192
static uint8_t fake_memory[FAKE_BYTES];

static const void *fake_map(void *context, uint64_t physical, size_t length)
{
	(void)context;
	if (physical > FAKE_BYTES || length > FAKE_BYTES - physical)
		return NULL;
	return fake_memory + physical;
}

static const struct acpi_memory memory = { fake_map, NULL };

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* Sets the byte at checksum_at so that bytes[0..length) sum to zero. */
static void fix_sum(uint8_t *bytes, size_t length, size_t checksum_at)
{
	uint8_t sum = 0;

	bytes[checksum_at] = 0;
	for (size_t i = 0; i < length; i++)
		sum = (uint8_t)(sum + bytes[i]);
	bytes[checksum_at] = (uint8_t)-sum;
}

static void header(uint8_t *table, const char *signature, uint32_t length)
{
	memcpy(table, signature, 4);
	put32(table + 4, length);
	table[8] = 1;
	memcpy(table + 10, "VEILTS", 6);
}

/* A MADT at 0x1000: two local APICs (one disabled, online capable), an I/O
 * APIC, an override, an x2APIC and, if asked, a 64-bit address override. */
static uint32_t build_madt(bool with_x2apic_and_override)
{
	uint8_t *madt = fake_memory + 0x1000;
	uint32_t at = 44;

	memset(madt, 0, 512);
	put32(madt + 36, 0xfee00000);
	put32(madt + 40, 1);
	uint8_t lapic0[8] = { 0, 8, 1, 0 }, lapic1[8] = { 0, 8, 2, 3 };
	put32(lapic0 + 4, 1);
	put32(lapic1 + 4, 2);
	memcpy(madt + at, lapic0, 8), at += 8;
	memcpy(madt + at, lapic1, 8), at += 8;
	uint8_t ioapic[12] = { 1, 12, 4, 0 };
	put32(ioapic + 4, 0xfec00000);
	memcpy(madt + at, ioapic, 12), at += 12;
	uint8_t override[10] = { 2, 10, 0, 0 };
	memcpy(madt + at, override, 10), at += 10;
	if (with_x2apic_and_override) {
		uint8_t x2apic[16] = { 9, 16 };
		put32(x2apic + 4, 300);
		put32(x2apic + 8, 1);
		put32(x2apic + 12, 77);
		memcpy(madt + at, x2apic, 16), at += 16;
		uint8_t address[12] = { 5, 12 };
		put64(address + 4, 0x1fee00000ull);
		memcpy(madt + at, address, 12), at += 12;
	}
	header(madt, "APIC", at);
	fix_sum(madt, at, 9);
	return at;
}

/* An RSDP (revision 0, RSDT at 0x200) or (revision 2, XSDT at 0x400). */
static void build_rsdp(uint8_t rsdp[36], bool xsdt)
{
	memset(rsdp, 0, 36);
	memcpy(rsdp, "RSD PTR ", 8);
	rsdp[15] = xsdt ? 2 : 0;
	put32(rsdp + 16, 0x200);
	put32(rsdp + 20, 36);
	put64(rsdp + 24, xsdt ? 0x400 : 0);
	fix_sum(rsdp, 20, 8);
	fix_sum(rsdp, 36, 32);
}

static void build_roots(void)
{
	uint8_t *rsdt = fake_memory + 0x200, *xsdt = fake_memory + 0x400;

	header(rsdt, "RSDT", 36 + 8);
	put32(rsdt + 36, 0x800);	/* another table first: skipped */
	put32(rsdt + 40, 0x1000);
	fix_sum(rsdt, 44, 9);
	header(xsdt, "XSDT", 36 + 8);
	put64(xsdt + 36, 0x1000);
	fix_sum(xsdt, 44, 9);
	header(fake_memory + 0x800, "FACP", 36);
	fix_sum(fake_memory + 0x800, 36, 9);
}

HTEST(rsdt_machine)
{
	uint8_t rsdp[36];
	struct acpi_machine m;

	memset(fake_memory, 0, sizeof(fake_memory));
	build_roots();
	build_madt(false);
	build_rsdp(rsdp, false);
	HCHECK(acpi_read_machine(rsdp, 20, &memory, &m) == NULL);
	HCHECK(!m.used_xsdt);
	HCHECK_EQ(m.cpu_count, 2);
	HCHECK_EQ(m.cpus[0].apic_id, 0);
	HCHECK(m.cpus[0].enabled);
	HCHECK_EQ(m.cpus[1].apic_id, 3);
	HCHECK(!m.cpus[1].enabled && m.cpus[1].online_capable);
	HCHECK_EQ(m.ioapic_count, 1);
	HCHECK_EQ(m.ioapics[0].address, 0xfec00000);
	HCHECK_EQ(m.overrides, 1);
	HCHECK_EQ(m.local_apic_address, 0xfee00000);
	HCHECK(m.pc_at_compatible);
}

HTEST(xsdt_machine_with_x2apic)
{
	uint8_t rsdp[36];
	struct acpi_machine m;

	memset(fake_memory, 0, sizeof(fake_memory));
	build_roots();
	build_madt(true);
	build_rsdp(rsdp, true);
	HCHECK(acpi_read_machine(rsdp, 36, &memory, &m) == NULL);
	HCHECK(m.used_xsdt);
	HCHECK_EQ(m.cpu_count, 3);
	HCHECK_EQ(m.cpus[2].apic_id, 300);
	HCHECK_EQ(m.cpus[2].processor_uid, 77);
	HCHECK(m.cpus[2].x2apic && m.cpus[2].enabled);
	HCHECK_EQ(m.local_apic_address, 0x1fee00000ull);
}

/* Each damage, refused with a reason (never a crash or a wrong answer). */
HTEST(damage_is_refused)
{
	uint8_t rsdp[36];
	struct acpi_machine m;

	memset(fake_memory, 0, sizeof(fake_memory));
	build_roots();
	uint32_t madt_length = build_madt(false);
	build_rsdp(rsdp, false);
	rsdp[0] = 'X';
	HCHECK(acpi_read_machine(rsdp, 20, &memory, &m) != NULL);
	build_rsdp(rsdp, false);
	rsdp[9] ^= 1;			/* OEM id: checksum now wrong */
	HCHECK(acpi_read_machine(rsdp, 20, &memory, &m) != NULL);
	build_rsdp(rsdp, false);
	HCHECK(acpi_read_machine(rsdp, 12, &memory, &m) != NULL);	/* short */
	put32(rsdp + 16, 0x7ffc);	/* RSDT past the end of memory */
	fix_sum(rsdp, 20, 8);
	HCHECK(acpi_read_machine(rsdp, 20, &memory, &m) != NULL);
	build_rsdp(rsdp, false);
	fake_memory[0x1000 + 20] ^= 0x40;	/* MADT checksum */
	HCHECK(acpi_read_machine(rsdp, 20, &memory, &m) != NULL);
	fake_memory[0x1000 + 20] ^= 0x40;
	HCHECK(acpi_read_machine(rsdp, 20, &memory, &m) == NULL);
	fake_memory[0x1000 + 44 + 1] = 200;	/* an entry runs past the table */
	fix_sum(fake_memory + 0x1000, madt_length, 9);
	const char *reason = acpi_read_machine(rsdp, 20, &memory, &m);
	HCHECK(reason != NULL);
	htest_log("entry past the table: %s", reason ? reason : "(accepted)");
	fake_memory[0x1000 + 44 + 1] = 1;	/* an entry shorter than its header */
	fix_sum(fake_memory + 0x1000, madt_length, 9);
	HCHECK(acpi_read_machine(rsdp, 20, &memory, &m) != NULL);
	put32(fake_memory + 0x1000 + 4, 0xffffffff);	/* huge length */
	HCHECK(acpi_read_machine(rsdp, 20, &memory, &m) != NULL);
}
