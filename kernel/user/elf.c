/*
 * The ELF64 reader for static x86-64 executables (kernel/user/elf.h). The
 * file comes from the initramfs, that is from outside the kernel: every
 * offset and size is checked for overflow and against the file before it is
 * used, fields are read byte-wise (the file may sit at any alignment), and
 * what is accepted is a load plan the loader can follow without checking
 * again. Layouts: ELF-64 Object File Format 1.5, sections 3 (file header)
 * and 6 (program header); ABI values from the System V gABI and its x86-64
 * supplement.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/user/elf.h"

/* File header (Elf64_Ehdr), 64 bytes. */
enum {
	EHDR_IDENT_CLASS = 4,	/* EI_CLASS */
	EHDR_IDENT_DATA = 5,	/* EI_DATA */
	EHDR_IDENT_VERSION = 6,	/* EI_VERSION */
	EHDR_TYPE = 16,
	EHDR_MACHINE = 18,
	EHDR_VERSION = 20,
	EHDR_ENTRY = 24,
	EHDR_PHOFF = 32,
	EHDR_PHENTSIZE = 54,
	EHDR_PHNUM = 56,
	EHDR_SIZE = 64,
};

/* Program header (Elf64_Phdr), 56 bytes. */
enum {
	PHDR_TYPE = 0,
	PHDR_FLAGS = 4,
	PHDR_OFFSET = 8,
	PHDR_VADDR = 16,
	PHDR_FILESZ = 32,
	PHDR_MEMSZ = 40,
	PHDR_ALIGN = 48,
	PHDR_SIZE = 56,
};

enum {
	ELFCLASS64 = 2,
	ELFDATA2LSB = 1,
	EV_CURRENT = 1,
	ET_EXEC = 2,
	ET_DYN = 3,
	EM_X86_64 = 62,
};

enum {
	PT_LOAD = 1,
	PT_INTERP = 3,
	PT_PHDR = 6,
	PT_TLS = 7,
	PT_GNU_STACK = 0x6474e551,
	PT_GNU_RELRO = 0x6474e552,
};

enum { PF_X = 1, PF_W = 2, PF_R = 4 };

static uint16_t read16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t read32(const uint8_t *p)
{
	return (uint32_t)read16(p) | (uint32_t)read16(p + 2) << 16;
}

static uint64_t read64(const uint8_t *p)
{
	return (uint64_t)read32(p) | (uint64_t)read32(p + 4) << 32;
}

/* One program header, decoded. */
struct elf_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, file_size, memory_size, align;
};

static void phdr_read(const uint8_t *p, struct elf_phdr *phdr)
{
	phdr->type = read32(p + PHDR_TYPE);
	phdr->flags = read32(p + PHDR_FLAGS);
	phdr->offset = read64(p + PHDR_OFFSET);
	phdr->vaddr = read64(p + PHDR_VADDR);
	phdr->file_size = read64(p + PHDR_FILESZ);
	phdr->memory_size = read64(p + PHDR_MEMSZ);
	phdr->align = read64(p + PHDR_ALIGN);
}

/* True when [offset, offset + length) lies inside a file of size bytes. */
static bool in_file(uint64_t offset, uint64_t length, size_t size)
{
	uint64_t end;

	return !__builtin_add_overflow(offset, length, &end) && end <= size;
}

static unsigned prot_of(uint32_t flags)
{
	return (flags & PF_R ? VMM_READ : 0) | (flags & PF_W ? VMM_WRITE : 0) |
	       (flags & PF_X ? VMM_EXEC : 0);
}

/* The checks of the file header, up to the program header table. */
static int header_check(const uint8_t *file, size_t size)
{
	static const uint8_t magic[4] = { 0x7f, 'E', 'L', 'F' };

	if (size == 0 || memcmp(file, magic, size < 4 ? size : 4) != 0)
		return ELF_NOT_ELF;
	if (size < EHDR_SIZE)
		return ELF_TRUNCATED;
	if (file[EHDR_IDENT_VERSION] != EV_CURRENT || read32(file + EHDR_VERSION) != EV_CURRENT)
		return ELF_NOT_ELF;
	if (file[EHDR_IDENT_CLASS] != ELFCLASS64 || file[EHDR_IDENT_DATA] != ELFDATA2LSB)
		return ELF_WRONG_CLASS;
	if (read16(file + EHDR_MACHINE) != EM_X86_64)
		return ELF_WRONG_MACHINE;
	uint16_t type = read16(file + EHDR_TYPE);
	if (type != ET_EXEC && type != ET_DYN)
		return ELF_WRONG_TYPE;
	/* PN_XNUM (0xffff, the count kept in section 0) is simply too many */
	if (read16(file + EHDR_PHENTSIZE) != PHDR_SIZE)
		return ELF_BAD_SEGMENT;
	if (read16(file + EHDR_PHNUM) == 0)
		return ELF_NO_SEGMENTS;
	if (!in_file(read64(file + EHDR_PHOFF),
		     (uint64_t)read16(file + EHDR_PHNUM) * PHDR_SIZE, size))
		return ELF_TRUNCATED;
	return ELF_OK;
}

/* Adds one PT_LOAD to image after checking it against the file and the
 * previous segment. */
static int load_add(struct elf_image *image, const struct elf_phdr *phdr, size_t size)
{
	uint64_t end, page_end;

	if (phdr->memory_size == 0)
		return ELF_OK;
	if (phdr->file_size > phdr->memory_size || !in_file(phdr->offset, phdr->file_size, size) ||
	    phdr->vaddr % ELF_PAGE_SIZE != phdr->offset % ELF_PAGE_SIZE ||
	    __builtin_add_overflow(phdr->vaddr, phdr->memory_size, &end) ||
	    __builtin_add_overflow(end, ELF_PAGE_SIZE - 1, &page_end))
		return ELF_BAD_SEGMENT;
	if (image->segment_count > 0) {
		const struct elf_segment *last = &image->segments[image->segment_count - 1];
		if (phdr->vaddr < last->vaddr + last->memory_size)
			return ELF_BAD_SEGMENT;	/* overlapping or out of order */
	}
	if (image->segment_count == ELF_SEGMENTS_MAX)
		return ELF_TOO_MANY_SEGMENTS;
	/* an alignment the offset does not share is not one to keep */
	if (phdr->align > image->load_align && (phdr->align & (phdr->align - 1)) == 0 &&
	    phdr->vaddr % phdr->align == phdr->offset % phdr->align)
		image->load_align = phdr->align;
	image->segments[image->segment_count++] = (struct elf_segment){
		.vaddr = phdr->vaddr,
		.memory_size = phdr->memory_size,
		.file_offset = phdr->offset,
		.file_size = phdr->file_size,
		.prot = prot_of(phdr->flags),
	};
	return ELF_OK;
}

/* The PT_LOAD whose file bytes hold [vaddr, vaddr + length), or NULL. */
static const struct elf_segment *segment_holding(const struct elf_image *image,
						 uint64_t vaddr, uint64_t length)
{
	for (unsigned i = 0; i < image->segment_count; i++) {
		const struct elf_segment *segment = &image->segments[i];
		if (vaddr >= segment->vaddr && vaddr - segment->vaddr <= segment->file_size &&
		    length <= segment->file_size - (vaddr - segment->vaddr))
			return segment;
	}
	return NULL;
}

/* Where the program headers are in memory: PT_PHDR's address (which must
 * lie in a segment's file bytes), else the segment whose file bytes cover
 * them; 0 when no segment does. */
static int phdr_place(struct elf_image *image, const struct elf_phdr *pt_phdr, uint64_t phoff)
{
	uint64_t length = (uint64_t)image->phnum * PHDR_SIZE;

	if (pt_phdr) {
		if (pt_phdr->memory_size < length || !segment_holding(image, pt_phdr->vaddr, length))
			return ELF_BAD_SEGMENT;
		image->phdr_vaddr = pt_phdr->vaddr;
		return ELF_OK;
	}
	for (unsigned i = 0; i < image->segment_count; i++) {
		const struct elf_segment *segment = &image->segments[i];
		if (phoff >= segment->file_offset &&
		    phoff - segment->file_offset <= segment->file_size &&
		    length <= segment->file_size - (phoff - segment->file_offset)) {
			image->phdr_vaddr = segment->vaddr + (phoff - segment->file_offset);
			return ELF_OK;
		}
	}
	return ELF_OK;
}

/* Checks PT_TLS: its image must be in the file and inside a segment's file
 * bytes (the C library copies it from memory), its alignment a power of 2. */
static int tls_check(struct elf_image *image, const struct elf_phdr *tls, size_t size)
{
	uint64_t end;

	if (tls->file_size > tls->memory_size || !in_file(tls->offset, tls->file_size, size) ||
	    (tls->align & (tls->align - 1)) != 0 ||
	    __builtin_add_overflow(tls->vaddr, tls->memory_size, &end) ||
	    (tls->file_size > 0 && !segment_holding(image, tls->vaddr, tls->file_size)))
		return ELF_BAD_SEGMENT;
	image->tls_vaddr = tls->vaddr;
	image->tls_file_size = tls->file_size;
	image->tls_memory_size = tls->memory_size;
	image->tls_align = tls->align;
	return ELF_OK;
}

/* True when entry lies inside an executable segment. */
static bool entry_executable(const struct elf_image *image)
{
	for (unsigned i = 0; i < image->segment_count; i++) {
		const struct elf_segment *segment = &image->segments[i];
		if ((segment->prot & VMM_EXEC) && image->entry >= segment->vaddr &&
		    image->entry - segment->vaddr < segment->memory_size)
			return true;
	}
	return false;
}

/* The span of the segments and its check against user_limit. */
static int span_check(struct elf_image *image, uint64_t user_limit)
{
	const struct elf_segment *last = &image->segments[image->segment_count - 1];

	/* load_add checked that the rounded end does not overflow */
	image->lowest = image->segments[0].vaddr & ~(uint64_t)(ELF_PAGE_SIZE - 1);
	image->highest = (last->vaddr + last->memory_size + ELF_PAGE_SIZE - 1) &
			 ~(uint64_t)(ELF_PAGE_SIZE - 1);
	if (image->position_independent ? image->highest - image->lowest > user_limit
					: image->highest > user_limit)
		return ELF_BAD_SEGMENT;
	return ELF_OK;
}

/* PT_GNU_RELRO: kept when its pages lie inside one writable PT_LOAD
 * (what libc will make read-only after its relocations); ignored
 * otherwise, as Linux's loader ignores it (it is libc's business). */
static void relro_place(struct elf_image *image, const struct elf_phdr *relro)
{
	uint64_t start = relro->vaddr & ~(uint64_t)(ELF_PAGE_SIZE - 1);
	uint64_t end;

	if (__builtin_add_overflow(relro->vaddr, relro->memory_size, &end))
		return;
	end &= ~(uint64_t)(ELF_PAGE_SIZE - 1);
	if (end <= start)
		return;
	for (unsigned i = 0; i < image->segment_count; i++) {
		const struct elf_segment *segment = &image->segments[i];
		if ((segment->prot & VMM_WRITE) && start >= segment->vaddr -
		    segment->vaddr % ELF_PAGE_SIZE &&
		    end <= segment->vaddr + segment->memory_size) {
			image->relro_vaddr = start;
			image->relro_size = end - start;
			return;
		}
	}
}

int elf_parse(const void *file_bytes, size_t size, uint64_t user_limit, struct elf_image *image)
{
	const uint8_t *file = file_bytes;
	struct elf_phdr phdr, tls = { 0 }, pt_phdr = { 0 }, relro = { 0 };
	bool have_tls = false, have_pt_phdr = false, have_relro = false;
	int result;

	memset(image, 0, sizeof(*image));
	result = header_check(file, size);
	if (result != ELF_OK)
		return result;
	uint64_t phoff = read64(file + EHDR_PHOFF);
	image->phnum = read16(file + EHDR_PHNUM);
	image->phentsize = PHDR_SIZE;
	image->entry = read64(file + EHDR_ENTRY);
	image->position_independent = read16(file + EHDR_TYPE) == ET_DYN;
	image->load_align = ELF_PAGE_SIZE;

	/* a program needing a dynamic linker is told as such, whatever else */
	for (unsigned i = 0; i < image->phnum; i++)
		if (read32(file + phoff + (uint64_t)i * PHDR_SIZE + PHDR_TYPE) == PT_INTERP)
			return ELF_DYNAMIC;
	for (unsigned i = 0; i < image->phnum; i++) {
		phdr_read(file + phoff + (uint64_t)i * PHDR_SIZE, &phdr);
		switch (phdr.type) {
		case PT_LOAD:
			result = load_add(image, &phdr, size);
			if (result != ELF_OK)
				return result;
			break;
		case PT_GNU_STACK:
			image->executable_stack = (phdr.flags & PF_X) != 0;
			break;
		case PT_GNU_RELRO:
			relro = phdr;
			have_relro = true;
			break;
		case PT_TLS:
			if (have_tls)
				return ELF_BAD_SEGMENT;
			tls = phdr;
			have_tls = true;
			break;
		case PT_PHDR:
			if (have_pt_phdr)
				return ELF_BAD_SEGMENT;
			pt_phdr = phdr;
			have_pt_phdr = true;
			break;
		}
	}
	if (image->segment_count == 0)
		return ELF_NO_SEGMENTS;
	result = span_check(image, user_limit);
	if (result == ELF_OK && have_tls)
		result = tls_check(image, &tls, size);
	if (result == ELF_OK)
		result = phdr_place(image, have_pt_phdr ? &pt_phdr : NULL, phoff);
	if (result == ELF_OK && !entry_executable(image))
		result = ELF_BAD_ENTRY;
	if (result == ELF_OK && have_relro)
		relro_place(image, &relro);
	return result;
}

const char *elf_result_name(int result)
{
	switch (result) {
	case ELF_OK: return "ELF_OK";
	case ELF_TRUNCATED: return "ELF_TRUNCATED";
	case ELF_NOT_ELF: return "ELF_NOT_ELF";
	case ELF_WRONG_CLASS: return "ELF_WRONG_CLASS";
	case ELF_WRONG_MACHINE: return "ELF_WRONG_MACHINE";
	case ELF_WRONG_TYPE: return "ELF_WRONG_TYPE";
	case ELF_DYNAMIC: return "ELF_DYNAMIC";
	case ELF_BAD_SEGMENT: return "ELF_BAD_SEGMENT";
	case ELF_TOO_MANY_SEGMENTS: return "ELF_TOO_MANY_SEGMENTS";
	case ELF_NO_SEGMENTS: return "ELF_NO_SEGMENTS";
	case ELF_BAD_ENTRY: return "ELF_BAD_ENTRY";
	}
	return "?";
}
