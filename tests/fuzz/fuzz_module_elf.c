/*
 * libFuzzer target: the module loader's decoder and relocator
 * (kernel/module/module_elf.c) on arbitrary bytes. A module file is
 * untrusted: parse, layout and relocate must accept or refuse it without
 * reading outside the bytes or writing outside the image, and what they
 * accept must be a layout the loader can map blindly: segments in order,
 * page-aligned, within MODULE_IMAGE_MAX, every loaded section inside its
 * segment, the module info in a loaded section that is not code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/module/module_abi.h"
#include "kernel/module/module_elf.h"

#define FUZZ_MODULE_BASE 0xffffffffc0000000ull

static struct module_elf elf;

/* Resolves every name to an address in the kernel's text, but one. */
static uint64_t fuzz_resolve(void *context, const char *name)
{
	(void)context;
	return strcmp(name, "unexported") == 0 ? 0 : 0xffffffff80200000ull + strlen(name);
}

static void layout_check(void)
{
	uint64_t end = 0;

	if (elf.image_size == 0 || elf.image_size > MODULE_IMAGE_MAX)
		abort();
	for (int s = 0; s < MODULE_SEGMENTS; s++) {
		if (elf.segment_offset[s] != end || elf.segment_size[s] % MODULE_PAGE_BYTES)
			abort();
		end += elf.segment_size[s];
	}
	if (end != elf.image_size)
		abort();
	for (unsigned i = 1; i < elf.section_count; i++) {
		const struct module_elf_section *s = &elf.sections[i];
		if (s->segment == MODULE_SEGMENT_NONE)
			continue;
		if (s->segment < 0 || s->segment >= MODULE_SEGMENTS ||
		    s->image_offset < elf.segment_offset[s->segment] ||
		    s->image_offset + s->size >
			    elf.segment_offset[s->segment] + elf.segment_size[s->segment])
			abort();
	}
	const struct module_elf_section *info = &elf.sections[elf.info_section];
	if (elf.info_section == 0 || info->segment == MODULE_SEGMENT_NONE ||
	    info->segment == MODULE_SEGMENT_TEXT || info->size < sizeof(struct module_info))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so AddressSanitizer sees any read
	 * past the end. */
	uint8_t *bytes = malloc(size ? size : 1);

	memcpy(bytes, data, size);
	if (module_elf_parse(&elf, bytes, size) == MODULE_ELF_OK &&
	    module_elf_layout(&elf, MODULE_ABI_VERSION) == MODULE_ELF_OK) {
		layout_check();
		uint8_t *target = malloc(elf.image_size);
		module_elf_relocate(&elf, target, FUZZ_MODULE_BASE, fuzz_resolve, NULL);
		free(target);
	}
	free(bytes);
	return 0;
}
