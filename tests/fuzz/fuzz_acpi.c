/*
 * libFuzzer target: the MADT reader (kernel/acpi.c) on arbitrary bytes.
 * The input is the machine's physical memory from address 0; its first 36
 * bytes are also the RSDP the boot loader would pass. Whatever the bytes,
 * the reader must not read outside them, and what it accepts must be
 * within its bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/acpi.h"

struct fuzz_memory {
	const uint8_t *bytes;
	size_t size;
};

static const void *fuzz_map(void *context, uint64_t physical, size_t length)
{
	const struct fuzz_memory *m = context;

	if (physical > m->size || length > m->size - physical)
		return NULL;
	return m->bytes + physical;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);	/* exact size: ASan sees overreads */
	struct fuzz_memory m = { copy, size };
	struct acpi_memory memory = { fuzz_map, &m };
	struct acpi_machine machine;

	memcpy(copy, data, size);
	if (acpi_read_machine(copy, size < 36 ? size : 36, &memory, &machine) == NULL &&
	    (machine.cpu_count == 0 || machine.cpu_count > ACPI_CPUS_MAX ||
	     machine.ioapic_count > ACPI_IOAPICS_MAX))
		abort();
	free(copy);
	return 0;
}
