/*
 * libFuzzer target: the multiboot2 information parser (kernel/multiboot2.c)
 * on arbitrary bytes. The boot loader's block is untrusted input: the
 * parser must reject or accept it without reading outside it, and what it
 * accepts must be self-consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/bootinfo.h"

static struct boot_info parsed;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size heap copy, 8-aligned like a real block, so ASan sees
	 * any read past the end. */
	uint8_t *block = malloc(size ? size : 1);

	memcpy(block, data, size);
	if (multiboot2_parse(block, size, &parsed) == NULL) {
		if (parsed.memory_range_count > BOOT_MEMORY_RANGES_MAX ||
		    parsed.module_count > BOOT_MODULES_MAX ||
		    strnlen(parsed.cmdline, sizeof(parsed.cmdline)) == sizeof(parsed.cmdline) ||
		    parsed.info_size > size)
			abort();
		/* the kept command line is never longer than what was passed */
		size_t kept = strlen(parsed.cmdline);
		if (kept > parsed.cmdline_length)
			abort();
		/* the floor's sum over fuzzed ranges and modules runs under
		 * the sanitizers (sums may wrap on absurd maps: not checked) */
		volatile uint64_t free_bytes =
			boot_free_bytes(&parsed, 1u << 20, 1u << 20, 2u << 20);
		(void)free_bytes;
	}
	free(block);
	return 0;
}
