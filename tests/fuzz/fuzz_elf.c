/*
 * libFuzzer target: the ELF checks (kernel/user/elf.c) on arbitrary bytes.
 * A program file is untrusted input: the parser must accept or reject it
 * without reading outside it, and what it accepts must be a load plan a
 * loader can follow blindly: segments in order, not overlapping, inside
 * the file and under the limit, the entry in an executable one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/user/elf.h"

#define USER_LIMIT 0x0000800000000000ull

static struct elf_image image;

static void image_check(size_t size)
{
	bool entry_ok = false;

	if (image.segment_count == 0 || image.segment_count > ELF_SEGMENTS_MAX ||
	    image.phentsize != 56 || image.lowest > image.highest ||
	    (image.position_independent ? image.highest - image.lowest > USER_LIMIT
					: image.highest > USER_LIMIT))
		abort();
	for (unsigned i = 0; i < image.segment_count; i++) {
		const struct elf_segment *s = &image.segments[i];
		if (s->memory_size == 0 || s->file_size > s->memory_size ||
		    s->file_offset > size || s->file_size > size - s->file_offset ||
		    s->vaddr % 4096 != s->file_offset % 4096 || s->vaddr < image.lowest ||
		    s->vaddr + s->memory_size > image.highest ||
		    (i > 0 && s->vaddr < image.segments[i - 1].vaddr + image.segments[i - 1].memory_size) ||
		    (s->prot & ~(unsigned)(VMM_READ | VMM_WRITE | VMM_EXEC)))
			abort();
		if ((s->prot & VMM_EXEC) && image.entry >= s->vaddr &&
		    image.entry - s->vaddr < s->memory_size)
			entry_ok = true;
	}
	if (!entry_ok || image.lowest % 4096 || image.highest % 4096)
		abort();
	if (image.tls_align & (image.tls_align - 1) || image.tls_file_size > image.tls_memory_size)
		abort();
	if (image.load_align < 4096 || (image.load_align & (image.load_align - 1)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	/* an exact-size heap copy, so ASan sees any read past the end */
	uint8_t *file = malloc(size ? size : 1);

	memcpy(file, bytes, size);
	int result = elf_parse(file, size, USER_LIMIT, &image);
	if (result == ELF_OK)
		image_check(size);
	else if (result > 0 || strcmp(elf_result_name(result), "?") == 0)
		abort();
	free(file);
	return 0;
}
