/*
 * Host tests of the ELF checks (kernel/user/elf.c): real static programs
 * linked at build time by gcc and musl-gcc (mk/user.mk), compared with the
 * host's own <elf.h> reading and "loaded" into memory by the plan; and
 * crafted headers for every result code.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/user/elf.h"
#include "tests/host/elf_host_view.h"
#include "tests/host/htest.h"
#include "tests/host/user_samples.h"

#define USER_LIMIT 0x0000800000000000ull	/* the lower half of a 48-bit space */

static struct elf_image image;

/* ---------------------------------------------------------- crafted files */

#define CRAFT_SIZE 0x3000
#define CRAFT_PHNUM_MAX 20

struct craft {
	uint8_t bytes[CRAFT_SIZE];
	size_t size;
};

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void craft_phdr(struct craft *c, unsigned index, uint32_t type, uint32_t flags,
		       uint64_t offset, uint64_t vaddr, uint64_t file_size, uint64_t memory_size)
{
	uint8_t *p = c->bytes + 64 + index * 56;

	put32(p, type);
	put32(p + 4, flags);
	put64(p + 8, offset);
	put64(p + 16, vaddr);
	put64(p + 24, vaddr);
	put64(p + 32, file_size);
	put64(p + 40, memory_size);
	put64(p + 48, 0x1000);
	if (index + 1 > (unsigned)(c->bytes[56] | c->bytes[57] << 8))
		put16(c->bytes + 56, (uint16_t)(index + 1));
}

/* A valid ET_EXEC: text R+X at 0x400000 (file 0..0x1000, with the header
 * and program headers), data RW at 0x401000 (file 0x1000..0x1100, memory
 * to 0x403000), a non-executable GNU_STACK; entry 0x400100. */
static void craft_start(struct craft *c)
{
	memset(c, 0, sizeof(*c));
	c->size = 0x2000;
	memcpy(c->bytes, "\x7f" "ELF", 4);
	c->bytes[4] = 2;	/* ELFCLASS64 */
	c->bytes[5] = 1;	/* ELFDATA2LSB */
	c->bytes[6] = 1;	/* EV_CURRENT */
	put16(c->bytes + 16, 2);	/* ET_EXEC */
	put16(c->bytes + 18, 62);	/* EM_X86_64 */
	put32(c->bytes + 20, 1);
	put64(c->bytes + 24, 0x400100);
	put64(c->bytes + 32, 64);	/* e_phoff */
	put16(c->bytes + 52, 64);
	put16(c->bytes + 54, 56);
	craft_phdr(c, 0, 1, 4 | 1, 0, 0x400000, 0x1000, 0x1000);
	craft_phdr(c, 1, 1, 4 | 2, 0x1000, 0x401000, 0x100, 0x2000);
	craft_phdr(c, 2, 0x6474e551, 4 | 2, 0, 0, 0, 0);
	for (size_t i = 0x100; i < 0x1100; i++)
		if (c->bytes[i] == 0)
			c->bytes[i] = (uint8_t)(i * 7);
}

/* Checks a result, naming both codes when they differ. */
#define CHECK_RESULT(expression, expected)                                      \
	do {                                                                    \
		int check_result_ = (expression);                               \
		if (check_result_ != (expected))                                \
			htest_log("got %s, expected %s", elf_result_name(check_result_), \
				  elf_result_name(expected));                   \
		HCHECK_EQ(check_result_, expected);                             \
	} while (0)

/* Parses an exact-size heap copy (ASan sees any read past its end). */
static int craft_parse(const struct craft *c, uint64_t limit)
{
	uint8_t *copy = malloc(c->size ? c->size : 1);

	memcpy(copy, c->bytes, c->size);
	int result = elf_parse(copy, c->size, limit, &image);
	free(copy);
	return result;
}

HTEST(crafted_valid_executable)
{
	struct craft c;

	craft_start(&c);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_OK);
	HCHECK_EQ(image.entry, 0x400100);
	HCHECK(!image.position_independent);
	HCHECK_EQ(image.segment_count, 2);
	HCHECK_EQ(image.segments[0].vaddr, 0x400000);
	HCHECK_EQ(image.segments[0].prot, VMM_READ | VMM_EXEC);
	HCHECK_EQ(image.segments[1].vaddr, 0x401000);
	HCHECK_EQ(image.segments[1].file_offset, 0x1000);
	HCHECK_EQ(image.segments[1].file_size, 0x100);
	HCHECK_EQ(image.segments[1].memory_size, 0x2000);
	HCHECK_EQ(image.segments[1].prot, VMM_READ | VMM_WRITE);
	HCHECK_EQ(image.lowest, 0x400000);
	HCHECK_EQ(image.highest, 0x403000);
	/* no PT_PHDR: found in the first segment's file bytes */
	HCHECK_EQ(image.phdr_vaddr, 0x400040);
	HCHECK_EQ(image.phnum, 3);
	HCHECK_EQ(image.phentsize, 56);
	HCHECK(!image.executable_stack);
	HCHECK_EQ(image.tls_memory_size, 0);
	HCHECK_EQ(image.load_align, 0x1000);
	/* the limit is inclusive of the page-rounded end */
	CHECK_RESULT(craft_parse(&c, 0x403000), ELF_OK);
	CHECK_RESULT(craft_parse(&c, 0x402fff), ELF_BAD_SEGMENT);
}

HTEST(crafted_stack_tls_phdr_and_pie)
{
	struct craft c;

	craft_start(&c);
	craft_phdr(&c, 2, 0x6474e551, 4 | 2 | 1, 0, 0, 0, 0);	/* PF_X stack */
	craft_phdr(&c, 3, 7, 4, 0x1010, 0x401010, 0x20, 0x80);	/* PT_TLS */
	uint8_t *tls_align = c.bytes + 64 + 3 * 56 + 48;
	put64(tls_align, 64);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_OK);
	HCHECK(image.executable_stack);
	HCHECK_EQ(image.tls_vaddr, 0x401010);
	HCHECK_EQ(image.tls_file_size, 0x20);
	HCHECK_EQ(image.tls_memory_size, 0x80);
	HCHECK_EQ(image.tls_align, 64);

	/* no GNU_STACK at all: the x86-64 default, not executable */
	craft_start(&c);
	put32(c.bytes + 64 + 2 * 56, 4);	/* PT_NOTE instead */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_OK);
	HCHECK(!image.executable_stack);

	/* PT_PHDR is believed when it lies in a segment's file bytes */
	craft_start(&c);
	craft_phdr(&c, 3, 6, 4, 64, 0x400040, 4 * 56, 4 * 56);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_OK);
	HCHECK_EQ(image.phdr_vaddr, 0x400040);

	/* program headers outside every segment: not loaded, 0 */
	craft_start(&c);
	put64(c.bytes + 32, 0x1800);
	memcpy(c.bytes + 0x1800, c.bytes + 64, 3 * 56);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_OK);
	HCHECK_EQ(image.phdr_vaddr, 0);

	/* ET_DYN at 0: the span must fit under the limit, not its end */
	craft_start(&c);
	put16(c.bytes + 16, 3);
	craft_phdr(&c, 0, 1, 4 | 1, 0, 0x7fff00000000, 0x1000, 0x1000);
	craft_phdr(&c, 1, 1, 4 | 2, 0x1000, 0x7fff00001000, 0x100, 0x2000);
	put64(c.bytes + 24, 0x7fff00000100);
	CHECK_RESULT(craft_parse(&c, 0x3000), ELF_OK);
	HCHECK(image.position_independent);
	HCHECK_EQ(image.highest - image.lowest, 0x3000);
	CHECK_RESULT(craft_parse(&c, 0x2fff), ELF_BAD_SEGMENT);

	/* neighbours sharing a page (not a byte) are accepted */
	craft_start(&c);
	craft_phdr(&c, 0, 1, 4 | 1, 0, 0x400000, 0x1000, 0x1000);
	craft_phdr(&c, 1, 1, 4 | 2, 0x1000, 0x401000, 0x100, 0x100);
	craft_phdr(&c, 3, 1, 4, 0x1100, 0x401100, 0x100, 0x100);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_OK);
	HCHECK_EQ(image.segment_count, 3);

	/* load_align: the largest power-of-2 p_align that vaddr and offset
	 * agree modulo */
	craft_start(&c);
	put64(c.bytes + 64 + 48, 0x200000);
	HCHECK_EQ(craft_parse(&c, USER_LIMIT), ELF_OK);
	HCHECK_EQ(image.load_align, 0x200000);
	put64(c.bytes + 64 + 48, 0x300000);	/* not a power of 2 */
	HCHECK_EQ(craft_parse(&c, USER_LIMIT), ELF_OK);
	HCHECK_EQ(image.load_align, 0x1000);
	put64(c.bytes + 64 + 48, 0x800000);	/* 0x400000 vs offset 0 */
	HCHECK_EQ(craft_parse(&c, USER_LIMIT), ELF_OK);
	HCHECK_EQ(image.load_align, 0x1000);

	/* a zero-size PT_LOAD is ignored */
	craft_start(&c);
	craft_phdr(&c, 3, 1, 4, 0, 0x300000, 0, 0);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_OK);
	HCHECK_EQ(image.segment_count, 2);
}

HTEST(crafted_not_elf_truncated_class_machine_type)
{
	struct craft c;

	craft_start(&c);
	c.bytes[0] = 0x7e;
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_NOT_ELF);
	craft_start(&c);
	c.size = 0;
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_NOT_ELF);
	craft_start(&c);
	c.bytes[2] = 'X';
	c.size = 3;
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_NOT_ELF);
	craft_start(&c);
	c.bytes[6] = 0;	/* EI_VERSION */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_NOT_ELF);

	craft_start(&c);
	c.size = 3;	/* a magic cut short */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_TRUNCATED);
	craft_start(&c);
	c.size = 63;
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_TRUNCATED);
	craft_start(&c);
	c.size = 64 + 3 * 56 - 1;	/* the program headers cut */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_TRUNCATED);
	craft_start(&c);
	put64(c.bytes + 32, UINT64_MAX - 8);	/* e_phoff wraps */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_TRUNCATED);
	craft_start(&c);
	put16(c.bytes + 56, 0xffff);	/* PN_XNUM */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_TRUNCATED);

	craft_start(&c);
	c.bytes[4] = 1;	/* ELFCLASS32 */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_WRONG_CLASS);
	craft_start(&c);
	c.bytes[5] = 2;	/* big-endian */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_WRONG_CLASS);
	craft_start(&c);
	put16(c.bytes + 18, 183);	/* EM_AARCH64 */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_WRONG_MACHINE);
	craft_start(&c);
	put16(c.bytes + 18, 3);	/* EM_386 */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_WRONG_MACHINE);
	craft_start(&c);
	put16(c.bytes + 16, 1);	/* ET_REL */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_WRONG_TYPE);
	craft_start(&c);
	put16(c.bytes + 16, 4);	/* ET_CORE */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_WRONG_TYPE);
}

HTEST(crafted_dynamic_too_many_none)
{
	struct craft c;

	craft_start(&c);
	craft_phdr(&c, 3, 3, 4, 0x200, 0x400200, 28, 28);	/* PT_INTERP */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_DYNAMIC);

	craft_start(&c);
	for (unsigned i = 0; i < ELF_SEGMENTS_MAX + 1; i++)
		craft_phdr(&c, i, 1, 4 | 1, 0, 0x400000 + 0x1000 * (uint64_t)i, 0x100, 0x1000);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_TOO_MANY_SEGMENTS);
	/* exactly the maximum is fine */
	put16(c.bytes + 56, ELF_SEGMENTS_MAX);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_OK);
	HCHECK_EQ(image.segment_count, ELF_SEGMENTS_MAX);

	craft_start(&c);
	put16(c.bytes + 56, 0);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_NO_SEGMENTS);
	craft_start(&c);
	put32(c.bytes + 64, 4);	/* both loads turned into notes */
	put32(c.bytes + 64 + 56, 4);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_NO_SEGMENTS);
	craft_start(&c);
	put64(c.bytes + 64 + 32, 0);	/* loads with no memory */
	put64(c.bytes + 64 + 40, 0);
	put64(c.bytes + 64 + 56 + 32, 0);
	put64(c.bytes + 64 + 56 + 40, 0);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_NO_SEGMENTS);
}

HTEST(crafted_bad_segments)
{
	struct craft c;
	uint8_t *data = c.bytes + 64 + 56;	/* the second PT_LOAD */

	craft_start(&c);
	put64(data + 32, 0x2001);	/* file_size > memory_size */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_SEGMENT);
	craft_start(&c);
	put64(data + 32, 0x1001);	/* past the end of the file */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_SEGMENT);
	craft_start(&c);
	put64(data + 8, UINT64_MAX - 0xfff);	/* offset + size wraps */
	put64(data + 16, 0x401000 + 0x1000);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_SEGMENT);
	craft_start(&c);
	put64(data + 16, 0x401008);	/* vaddr % 4096 != offset % 4096 */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_SEGMENT);
	craft_start(&c);
	put64(data + 16, UINT64_MAX & ~0xfffull);	/* vaddr + memsz wraps */
	CHECK_RESULT(craft_parse(&c, UINT64_MAX), ELF_BAD_SEGMENT);
	craft_start(&c);
	put64(data + 16, UINT64_MAX - 0x2fff);	/* the page rounding wraps */
	put64(data + 40, 0x2001);
	CHECK_RESULT(craft_parse(&c, UINT64_MAX), ELF_BAD_SEGMENT);
	craft_start(&c);
	put64(data + 16, USER_LIMIT);	/* above the user limit */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_SEGMENT);
	craft_start(&c);
	put64(data + 16, 0x400000 + 0x1000 - 0x1000);	/* overlaps the text */
	put64(data + 8, 0x1000);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_SEGMENT);
	craft_start(&c);
	put64(data + 16, 0x3ff000);	/* below the previous: out of order */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_SEGMENT);
	craft_start(&c);
	put16(c.bytes + 54, 32);	/* e_phentsize */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_SEGMENT);

	/* PT_TLS: twice, a bad alignment, outside the segments' file bytes */
	craft_start(&c);
	craft_phdr(&c, 3, 7, 4, 0x1010, 0x401010, 0x20, 0x80);
	craft_phdr(&c, 4, 7, 4, 0x1010, 0x401010, 0x20, 0x80);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_SEGMENT);
	craft_start(&c);
	craft_phdr(&c, 3, 7, 4, 0x1010, 0x401010, 0x20, 0x80);
	put64(c.bytes + 64 + 3 * 56 + 48, 24);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_SEGMENT);
	craft_start(&c);
	craft_phdr(&c, 3, 7, 4, 0x10f0, 0x4010f0, 0x20, 0x80);	/* past file bytes */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_SEGMENT);
	craft_start(&c);
	craft_phdr(&c, 3, 7, 4, 0x1010, 0x401010, 0x90, 0x80);	/* file > memory */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_SEGMENT);

	/* PT_PHDR outside the segments, or smaller than the table */
	craft_start(&c);
	craft_phdr(&c, 3, 6, 4, 64, 0x500040, 4 * 56, 4 * 56);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_SEGMENT);
	craft_start(&c);
	craft_phdr(&c, 3, 6, 4, 64, 0x400040, 56, 56);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_SEGMENT);
}

HTEST(crafted_bad_entry)
{
	struct craft c;

	craft_start(&c);
	put64(c.bytes + 24, 0x401000);	/* in the data, not executable */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_ENTRY);
	craft_start(&c);
	put64(c.bytes + 24, 0x401000 - 1);	/* the last byte of the text: fine */
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_OK);
	craft_start(&c);
	put64(c.bytes + 24, 0x3fffff);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_ENTRY);
	craft_start(&c);
	put64(c.bytes + 24, 0);
	CHECK_RESULT(craft_parse(&c, USER_LIMIT), ELF_BAD_ENTRY);
}

HTEST(result_names)
{
	for (int r = ELF_BAD_ENTRY; r <= ELF_OK; r++)
		HCHECK(strcmp(elf_result_name(r), "?") != 0);
	HCHECK(strcmp(elf_result_name(ELF_DYNAMIC), "ELF_DYNAMIC") == 0);
	HCHECK(strcmp(elf_result_name(5), "?") == 0);
}

/* ---------------------------------------------------------- real programs */

/* Checks image against the host's <elf.h> reading of file. */
static void image_matches_host_view(const uint8_t *file)
{
	uint64_t entry, phoff;
	unsigned phnum, loads = 0;
	struct host_phdr phdr;
	bool stack_seen = false;

	host_elf_header(file, &entry, &phoff, &phnum);
	HCHECK_EQ(image.entry, entry);
	HCHECK_EQ(image.phnum, phnum);
	for (unsigned i = 0; i < phnum; i++) {
		host_elf_phdr(file, i, &phdr);
		if (phdr.type == host_pt_load() && phdr.memory_size) {
			const struct elf_segment *segment = &image.segments[loads++];
			HCHECK_EQ(segment->vaddr, phdr.vaddr);
			HCHECK_EQ(segment->memory_size, phdr.memory_size);
			HCHECK_EQ(segment->file_offset, phdr.offset);
			HCHECK_EQ(segment->file_size, phdr.file_size);
			HCHECK_EQ(!!(segment->prot & VMM_EXEC), !!(phdr.flags & host_pf_x()));
			HCHECK(image.load_align >= phdr.align);
		} else if (phdr.type == host_pt_tls()) {
			HCHECK_EQ(image.tls_vaddr, phdr.vaddr);
			HCHECK_EQ(image.tls_file_size, phdr.file_size);
			HCHECK_EQ(image.tls_memory_size, phdr.memory_size);
			HCHECK_EQ(image.tls_align, phdr.align);
		} else if (phdr.type == host_pt_gnu_stack()) {
			stack_seen = true;
			HCHECK_EQ(image.executable_stack, !!(phdr.flags & host_pf_x()));
		}
	}
	HCHECK_EQ(image.segment_count, loads);
	HCHECK(stack_seen);
	/* the samples have a TLS variable with an initial value */
	HCHECK(image.tls_file_size > 0);
}

/* Follows the load plan into memory as a loader would and checks that the
 * program headers, the TLS image and the entry's bytes land where the image
 * says. */
static void image_load_and_check(const uint8_t *file)
{
	uint64_t span = image.highest - image.lowest;
	uint8_t *memory = calloc(1, span);
	uint64_t phoff;
	uint64_t entry;
	unsigned phnum;

	for (unsigned i = 0; i < image.segment_count; i++) {
		const struct elf_segment *segment = &image.segments[i];
		HCHECK(segment->vaddr + segment->memory_size <= image.highest);
		memcpy(memory + (segment->vaddr - image.lowest), file + segment->file_offset,
		       segment->file_size);
	}
	host_elf_header(file, &entry, &phoff, &phnum);
	HCHECK(image.phdr_vaddr != 0);
	HCHECK(memcmp(memory + (image.phdr_vaddr - image.lowest), file + phoff,
		      (size_t)phnum * 56) == 0);
	/* the TLS image lands where the file's PT_TLS says its bytes are */
	struct host_phdr phdr;
	bool tls_seen = false;
	for (unsigned i = 0; i < phnum; i++) {
		host_elf_phdr(file, i, &phdr);
		if (phdr.type != host_pt_tls())
			continue;
		tls_seen = true;
		HCHECK(memcmp(memory + (image.tls_vaddr - image.lowest), file + phdr.offset,
			      image.tls_file_size) == 0);
	}
	HCHECK(tls_seen);
	HCHECK(memory[image.entry - image.lowest] != 0);
	free(memory);
}

/* The cuts tried: every length in the first 4 KiB and around needed,
 * about 300 others between. */
static size_t next_cut(size_t cut, size_t size, uint64_t needed)
{
	size_t step = size / 300 + 1;

	if (cut < 4096 || (cut + 8 >= needed && cut < needed + 8))
		return cut + 1;
	if (cut < needed - 8 && needed - 8 - cut < step)
		return needed - 8;
	return cut + step;
}

/* Parses sample name and checks it every way; position_independent as
 * expected. */
static void sample_check(const char *name, bool position_independent)
{
	size_t size;
	uint8_t *file = user_sample_read(name, &size);

	if (!file)
		return;
	int result = elf_parse(file, size, USER_LIMIT, &image);
	htest_log("%s: %s, %u segments, span 0x%llx..0x%llx, entry 0x%llx, phdr 0x%llx",
		  name, elf_result_name(result), image.segment_count,
		  (unsigned long long)image.lowest, (unsigned long long)image.highest,
		  (unsigned long long)image.entry, (unsigned long long)image.phdr_vaddr);
	HCHECK_EQ(result, ELF_OK);
	if (result == ELF_OK) {
		HCHECK_EQ(image.position_independent, position_independent);
		image_matches_host_view(file);
		image_load_and_check(file);
	}
	/* every cut of the file fails, or (cut after the last segment's file
	 * bytes) gives the same plan; exact-size copies for ASan */
	uint64_t needed = 0;
	for (unsigned i = 0; i < image.segment_count; i++) {
		uint64_t end = image.segments[i].file_offset + image.segments[i].file_size;
		needed = end > needed ? end : needed;
	}
	unsigned failures = 0, tried_around_needed = 0;
	for (size_t cut = 0; cut < size; cut = next_cut(cut, size, needed)) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, file, cut);
		struct elf_image cut_image;
		int cut_result = elf_parse(copy, cut, USER_LIMIT, &cut_image);
		if ((cut_result == ELF_OK) != (cut >= needed))
			failures++;
		tried_around_needed += cut + 1 == needed || cut == needed;
		free(copy);
	}
	HCHECK_EQ(failures, 0);
	HCHECK_EQ(tried_around_needed, needed < size ? 2 : 1);
	free(file);
}

HTEST(real_gcc_static)
{
	sample_check("gcc-static", false);
}

HTEST(real_gcc_static_pie)
{
	sample_check("gcc-static-pie", true);
	HCHECK_EQ(image.lowest, 0);
}

HTEST(real_musl_static)
{
	sample_check("musl-static", false);
}

HTEST(real_dynamic_is_refused)
{
	size_t size;
	uint8_t *file = user_sample_read("gcc-dynamic", &size);

	if (!file)
		return;
	HCHECK_EQ(elf_parse(file, size, USER_LIMIT, &image), ELF_DYNAMIC);
	free(file);
}
