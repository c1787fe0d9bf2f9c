/*
 * The decoder of a module's bytes: a relocatable x86-64 ELF object
 * (ET_REL), untrusted. module_elf_parse checks every header, offset, size,
 * index and string it will follow; module_elf_layout places the allocated
 * sections in an image of three page-aligned parts (text, read-only data,
 * writable data) and reads the module's struct module_info; and
 * module_elf_relocate copies the sections into an image buffer and applies
 * the relocations for the address the image will run at. Portable (no
 * allocation, no CPU detail): the kernel loader (kernel/module/module.c),
 * the host tests and the fuzz target run the same code.
 */
#ifndef VEIL_KERNEL_MODULE_ELF_H
#define VEIL_KERNEL_MODULE_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sections an object may have (gcc -g gives about 30). */
#define MODULE_ELF_SECTIONS_MAX 256u
/* Bytes of the image (text, rodata and data together) at most. */
#define MODULE_IMAGE_MAX (1024u * 1024u)
#define MODULE_PAGE_BYTES 4096u

enum module_elf_result {
	MODULE_ELF_OK = 0,
	MODULE_ELF_TRUNCATED = -1,	/* a header or section past the end */
	MODULE_ELF_NOT_ELF = -2,	/* no ELF magic */
	MODULE_ELF_WRONG_CLASS = -3,	/* not 64-bit little-endian, version 1 */
	MODULE_ELF_WRONG_MACHINE = -4,	/* not x86-64 */
	MODULE_ELF_NOT_RELOCATABLE = -5,	/* not ET_REL */
	MODULE_ELF_BAD_SECTION = -6,	/* a malformed section header */
	MODULE_ELF_BAD_SYMBOL = -7,	/* a symbol naming no usable section */
	MODULE_ELF_NO_INFO = -8,	/* no valid .veil_module section */
	MODULE_ELF_WRONG_VERSION = -9,	/* built for another module ABI */
	MODULE_ELF_BAD_RELOCATION = -10,	/* outside its section, bad symbol */
	MODULE_ELF_UNKNOWN_RELOCATION = -11,	/* a type the loader does not apply */
	MODULE_ELF_RELOCATION_OVERFLOW = -12,	/* a value out of its field's range */
	MODULE_ELF_UNRESOLVED = -13,	/* an undefined symbol the kernel does not export */
	MODULE_ELF_TOO_LARGE = -14,	/* above MODULE_IMAGE_MAX or too many sections */
	MODULE_ELF_WRITABLE_CODE = -15,	/* a section both writable and executable */
};

/* The parts of an image, in address order. */
enum module_segment {
	MODULE_SEGMENT_NONE = -1,	/* not loaded (debug info, symbols...) */
	MODULE_SEGMENT_TEXT = 0,	/* read and execute */
	MODULE_SEGMENT_RODATA,		/* read */
	MODULE_SEGMENT_DATA,		/* read and write (bss included) */
	MODULE_SEGMENTS
};

/* What the loader keeps of one section header (checked). */
struct module_elf_section {
	uint32_t name;		/* offset in the section-name table */
	uint32_t type;
	uint64_t flags;
	uint64_t offset, size, align;
	uint32_t link, info;
	int segment;		/* enum module_segment */
	uint64_t image_offset;	/* where it starts in the image */
};

struct module_elf {
	const uint8_t *bytes;
	size_t size;
	unsigned section_count;
	struct module_elf_section sections[MODULE_ELF_SECTIONS_MAX];
	unsigned names_section;		/* section names (e_shstrndx) */
	unsigned symbol_section;	/* the SYMTAB */
	uint64_t symbol_count;
	unsigned info_section;		/* .veil_module */
	/* After module_elf_layout: */
	uint64_t segment_offset[MODULE_SEGMENTS];	/* page-aligned */
	uint64_t segment_size[MODULE_SEGMENTS];		/* page-rounded */
	uint64_t image_size;
	uint32_t abi_version;		/* what the module says it was built for */
	/* What the last failure was about (for the message): a symbol's
	 * name (NUL-terminated, inside bytes) or NULL, and a number (a
	 * relocation type, a section index, a version). */
	const char *detail_name;
	uint64_t detail_value;
};

/* Returns the address a name resolves to, 0 when it does not. */
typedef uint64_t (*module_elf_resolver)(void *context, const char *name);

/* Checks the ELF header, every section header and the symbol table of
 * bytes (size bytes, kept by the caller while elf is used). MODULE_ELF_OK
 * or the first problem found. */
int module_elf_parse(struct module_elf *elf, const void *bytes, size_t size);
/* After a successful parse: places the allocated sections, finds and
 * checks .veil_module (its magic, a NUL-terminated name, then the ABI
 * version against abi_version: MODULE_ELF_WRONG_VERSION). */
int module_elf_layout(struct module_elf *elf, uint32_t abi_version);
/*
 * After a successful layout: fills image (elf->image_size bytes, which
 * it zeroes first) with the sections' bytes and applies every relocation
 * aimed at an allocated section, for an image running at image_address.
 * Undefined symbols go to resolve. On failure the image is garbage.
 */
int module_elf_relocate(struct module_elf *elf, void *image,
			uint64_t image_address, module_elf_resolver resolve,
			void *context);
/* The section named name (SHF_ALLOC or not), or 0 when there is none. */
unsigned module_elf_find_section(const struct module_elf *elf, const char *name);
/* A short description of a result ("unresolved symbol"). */
const char *module_elf_result_name(int result);

#endif
