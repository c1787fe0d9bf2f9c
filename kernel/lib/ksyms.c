/*
 * Lookup in the generated symbol table (section .ksyms, laid out by
 * tools/gen-ksyms): a header, entries sorted by address, then the names.
 * The table is read-only data; lookups take no lock.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/ksyms.h"

#define KSYMS_MAGIC 0x534d59534c494556ull	/* "VEILSYMS" */

struct ksyms_header {
	uint64_t magic;
	uint64_t count;
};

struct ksyms_entry {
	uint64_t address;
	uint32_t name_offset;	/* from the start of the names */
	uint32_t size;		/* 0 when the ELF gave none */
};

extern const uint8_t kernel_ksyms_start[], kernel_ksyms_end[];

static const struct ksyms_header *ksyms_table(void)
{
	const struct ksyms_header *header = (const void *)kernel_ksyms_start;

	if ((size_t)(kernel_ksyms_end - kernel_ksyms_start) < sizeof(*header) ||
	    header->magic != KSYMS_MAGIC)
		return NULL;
	return header;
}

static const struct ksyms_entry *ksyms_entries(const struct ksyms_header *h)
{
	return (const struct ksyms_entry *)(h + 1);
}

static const char *ksyms_name(const struct ksyms_header *h, uint32_t offset)
{
	return (const char *)(ksyms_entries(h) + h->count) + offset;
}

unsigned ksym_count(void)
{
	const struct ksyms_header *header = ksyms_table();

	return header ? (unsigned)header->count : 0;
}

bool ksym_lookup(uint64_t address, const char **name, uint64_t *offset)
{
	const struct ksyms_header *header = ksyms_table();
	size_t low = 0, high;

	if (!header || header->count == 0)
		return false;
	const struct ksyms_entry *entries = ksyms_entries(header);
	high = header->count;
	/* The last entry whose address is <= the one asked for. */
	while (high - low > 1) {
		size_t middle = low + (high - low) / 2;
		if (entries[middle].address <= address)
			low = middle;
		else
			high = middle;
	}
	const struct ksyms_entry *entry = &entries[low];
	if (entry->address > address ||
	    (entry->size && address - entry->address >= entry->size))
		return false;
	*name = ksyms_name(header, entry->name_offset);
	*offset = address - entry->address;
	return true;
}

uint64_t ksym_address(const char *name)
{
	const struct ksyms_header *header = ksyms_table();

	if (!header)
		return 0;
	for (uint64_t i = 0; i < header->count; i++) {
		const struct ksyms_entry *entry = &ksyms_entries(header)[i];
		if (strcmp(ksyms_name(header, entry->name_offset), name) == 0)
			return entry->address;
	}
	return 0;
}
