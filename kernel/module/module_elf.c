/*
 * Decoding, placing and relocating a module's ELF object
 * (kernel/module/module_elf.h). The bytes are untrusted: every field is
 * read with a bounds-checked copy (no alignment is assumed), every sum of
 * an offset and a size is checked for overflow before it is compared with
 * the end, and every index and string is checked before it is followed.
 */
#include <string.h>
#include "kernel/module/module_abi.h"
#include "kernel/module/module_elf.h"
#include "kernel/module/module_reloc.h"

#define ELF_HEADER_BYTES 64u
#define ELF_SECTION_BYTES 64u
#define ELF_SYMBOL_BYTES 24u
#define ELF_RELA_BYTES 24u
#define ELF_TYPE_REL 1u
#define ELF_MACHINE_X86_64 62u

#define SHT_NULL 0u
#define SHT_PROGBITS 1u
#define SHT_SYMTAB 2u
#define SHT_STRTAB 3u
#define SHT_RELA 4u
#define SHT_NOBITS 8u
#define SHT_REL 9u
#define SHT_SYMTAB_SHNDX 18u

#define SHF_WRITE 1u
#define SHF_ALLOC 2u
#define SHF_EXECINSTR 4u

#define SHN_UNDEF 0u
#define SHN_LORESERVE 0xff00u
#define SHN_ABS 0xfff1u
#define SHN_COMMON 0xfff2u

/* Little-endian reads at any alignment; the caller checked the bounds. */
static uint16_t elf_read16(const uint8_t *at)
{
	return (uint16_t)(at[0] | at[1] << 8);
}

static uint32_t elf_read32(const uint8_t *at)
{
	return (uint32_t)at[0] | (uint32_t)at[1] << 8 | (uint32_t)at[2] << 16 |
	       (uint32_t)at[3] << 24;
}

static uint64_t elf_read64(const uint8_t *at)
{
	return (uint64_t)elf_read32(at) | (uint64_t)elf_read32(at + 4) << 32;
}

/* Whether [offset, offset + length) lies within size bytes. */
static bool elf_range_ok(uint64_t offset, uint64_t length, uint64_t size)
{
	return offset <= size && length <= size - offset;
}

static bool elf_power_of_two_or_zero(uint64_t value)
{
	return (value & (value - 1)) == 0;
}

/* A string table whose names all end: non-empty, last byte NUL. */
static bool elf_string_table_ok(const struct module_elf *elf, unsigned index)
{
	const struct module_elf_section *s;

	if (index == 0 || index >= elf->section_count)
		return false;
	s = &elf->sections[index];
	return s->type == SHT_STRTAB && s->size > 0 &&
	       elf->bytes[s->offset + s->size - 1] == '\0';
}

/* The name at offset in string table index (checked by the parse). */
static const char *elf_string(const struct module_elf *elf, unsigned index,
			      uint32_t offset)
{
	return (const char *)elf->bytes + elf->sections[index].offset + offset;
}

static int elf_parse_header(struct module_elf *elf, uint64_t *section_offset)
{
	const uint8_t *b = elf->bytes;

	if (elf->size < ELF_HEADER_BYTES)
		return MODULE_ELF_TRUNCATED;
	if (b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F')
		return MODULE_ELF_NOT_ELF;
	if (b[4] != 2 || b[5] != 1 || b[6] != 1 || elf_read32(b + 20) != 1)
		return MODULE_ELF_WRONG_CLASS;
	elf->detail_value = elf_read16(b + 18);
	if (elf_read16(b + 18) != ELF_MACHINE_X86_64)
		return MODULE_ELF_WRONG_MACHINE;
	elf->detail_value = elf_read16(b + 16);
	if (elf_read16(b + 16) != ELF_TYPE_REL)
		return MODULE_ELF_NOT_RELOCATABLE;
	if (elf_read16(b + 58) != ELF_SECTION_BYTES)
		return MODULE_ELF_BAD_SECTION;
	elf->section_count = elf_read16(b + 60);
	elf->names_section = elf_read16(b + 62);
	*section_offset = elf_read64(b + 40);
	elf->detail_value = elf->section_count;
	if (elf->section_count == 0)	/* or the extended count: not taken */
		return MODULE_ELF_BAD_SECTION;
	if (elf->section_count > MODULE_ELF_SECTIONS_MAX)
		return MODULE_ELF_TOO_LARGE;
	if (!elf_range_ok(*section_offset,
			  (uint64_t)elf->section_count * ELF_SECTION_BYTES,
			  elf->size))
		return MODULE_ELF_TRUNCATED;
	return MODULE_ELF_OK;
}

/* Reads and checks section header index on its own (its bytes in range,
 * a sane alignment); links are checked once all are read. */
static int elf_parse_section(struct module_elf *elf, unsigned index,
			     uint64_t section_offset)
{
	const uint8_t *h = elf->bytes + section_offset +
			   (uint64_t)index * ELF_SECTION_BYTES;
	struct module_elf_section *s = &elf->sections[index];

	s->name = elf_read32(h);
	s->type = elf_read32(h + 4);
	s->flags = elf_read64(h + 8);
	s->offset = elf_read64(h + 24);
	s->size = elf_read64(h + 32);
	s->link = elf_read32(h + 40);
	s->info = elf_read32(h + 44);
	s->align = elf_read64(h + 48);
	s->segment = MODULE_SEGMENT_NONE;
	s->image_offset = 0;
	elf->detail_value = index;
	/* Every section but NOBITS has its bytes in the file (a NULL one
	 * too: flagged SHF_ALLOC, it would be copied like any other). */
	if (s->type != SHT_NOBITS && !elf_range_ok(s->offset, s->size, elf->size))
		return MODULE_ELF_TRUNCATED;
	if (!elf_power_of_two_or_zero(s->align) ||
	    ((s->flags & SHF_ALLOC) && s->align > MODULE_PAGE_BYTES))
		return MODULE_ELF_BAD_SECTION;
	if ((s->flags & SHF_ALLOC) && s->size > MODULE_IMAGE_MAX)
		return MODULE_ELF_TOO_LARGE;
	if (s->type == SHT_SYMTAB_SHNDX)
		return MODULE_ELF_BAD_SECTION;	/* only past 65280 sections */
	if ((s->type == SHT_SYMTAB || s->type == SHT_RELA) &&
	    (elf_read64(h + 56) != ELF_SYMBOL_BYTES ||
	     s->size % ELF_SYMBOL_BYTES != 0))
		return MODULE_ELF_BAD_SECTION;	/* both entries are 24 bytes */
	return MODULE_ELF_OK;
}

/* Every symbol names a string inside the table and a section that exists
 * (a value inside it when it is loaded), or is undefined, absolute or
 * common. */
static int elf_parse_symbols(struct module_elf *elf)
{
	const struct module_elf_section *table =
		&elf->sections[elf->symbol_section];
	uint64_t names_size;

	if (!elf_string_table_ok(elf, table->link))
		return MODULE_ELF_BAD_SECTION;
	names_size = elf->sections[table->link].size;
	elf->symbol_count = table->size / ELF_SYMBOL_BYTES;
	for (uint64_t i = 0; i < elf->symbol_count; i++) {
		const uint8_t *sym = elf->bytes + table->offset + i * ELF_SYMBOL_BYTES;
		uint16_t shndx = elf_read16(sym + 6);
		elf->detail_value = i;
		if (elf_read32(sym) >= names_size)
			return MODULE_ELF_BAD_SYMBOL;
		if (shndx == SHN_UNDEF || shndx == SHN_ABS || shndx == SHN_COMMON)
			continue;
		if (shndx >= SHN_LORESERVE || shndx >= elf->section_count)
			return MODULE_ELF_BAD_SYMBOL;
		if ((elf->sections[shndx].flags & SHF_ALLOC) &&
		    elf_read64(sym + 8) > elf->sections[shndx].size)
			return MODULE_ELF_BAD_SYMBOL;
	}
	return MODULE_ELF_OK;
}

/* Links between sections: names, the one symbol table, relocations. */
static int elf_parse_links(struct module_elf *elf)
{
	elf->symbol_section = 0;
	if (!elf_string_table_ok(elf, elf->names_section))
		return MODULE_ELF_BAD_SECTION;
	for (unsigned i = 0; i < elf->section_count; i++) {
		const struct module_elf_section *s = &elf->sections[i];
		elf->detail_value = i;
		if (s->name >= elf->sections[elf->names_section].size)
			return MODULE_ELF_BAD_SECTION;
		if (s->type == SHT_SYMTAB) {
			if (elf->symbol_section)
				return MODULE_ELF_BAD_SECTION;	/* two tables */
			elf->symbol_section = i;
		}
	}
	if (!elf->symbol_section)
		return MODULE_ELF_BAD_SECTION;
	for (unsigned i = 0; i < elf->section_count; i++) {
		const struct module_elf_section *s = &elf->sections[i];
		elf->detail_value = i;
		if (s->type == SHT_RELA &&
		    (s->link != elf->symbol_section || s->info == 0 ||
		     s->info >= elf->section_count))
			return MODULE_ELF_BAD_SECTION;
		/* REL (no addend) is not x86-64's: refused if it matters. */
		if (s->type == SHT_REL && s->info < elf->section_count &&
		    (elf->sections[s->info].flags & SHF_ALLOC))
			return MODULE_ELF_BAD_RELOCATION;
	}
	return elf_parse_symbols(elf);
}

int module_elf_parse(struct module_elf *elf, const void *bytes, size_t size)
{
	uint64_t section_offset = 0;
	int result;

	memset(elf, 0, sizeof(*elf));
	elf->bytes = bytes;
	elf->size = size;
	result = elf_parse_header(elf, &section_offset);
	for (unsigned i = 0; result == MODULE_ELF_OK && i < elf->section_count; i++)
		result = elf_parse_section(elf, i, section_offset);
	if (result == MODULE_ELF_OK)
		result = elf_parse_links(elf);
	return result;
}

unsigned module_elf_find_section(const struct module_elf *elf, const char *name)
{
	for (unsigned i = 1; i < elf->section_count; i++)
		if (strcmp(elf_string(elf, elf->names_section,
				      elf->sections[i].name), name) == 0)
			return i;
	return 0;
}

static uint64_t elf_round_up(uint64_t value, uint64_t align)
{
	return align > 1 ? (value + align - 1) & ~(align - 1) : value;
}

/* Which part of the image a loaded section goes to. */
static int elf_segment_of(const struct module_elf_section *s)
{
	if (s->flags & SHF_EXECINSTR)
		return MODULE_SEGMENT_TEXT;
	return s->flags & SHF_WRITE ? MODULE_SEGMENT_DATA : MODULE_SEGMENT_RODATA;
}

/* Reads .veil_module from the file: magic, name, then the version. */
static int elf_check_info(struct module_elf *elf, uint32_t abi_version)
{
	unsigned index = module_elf_find_section(elf, MODULE_INFO_SECTION);
	const struct module_elf_section *s = &elf->sections[index];
	const uint8_t *info;

	if (index == 0 || s->type != SHT_PROGBITS || s->segment == MODULE_SEGMENT_NONE ||
	    s->segment == MODULE_SEGMENT_TEXT || s->size < sizeof(struct module_info))
		return MODULE_ELF_NO_INFO;
	info = elf->bytes + s->offset;
	if (elf_read32(info + offsetof(struct module_info, magic)) != MODULE_INFO_MAGIC ||
	    strnlen((const char *)info + offsetof(struct module_info, name),
		    MODULE_NAME_MAX) == MODULE_NAME_MAX)
		return MODULE_ELF_NO_INFO;
	elf->info_section = index;
	elf->abi_version = elf_read32(info + offsetof(struct module_info, abi_version));
	elf->detail_value = elf->abi_version;
	return elf->abi_version == abi_version ? MODULE_ELF_OK :
						 MODULE_ELF_WRONG_VERSION;
}

int module_elf_layout(struct module_elf *elf, uint32_t abi_version)
{
	uint64_t used[MODULE_SEGMENTS] = { 0 };
	uint64_t offset = 0;

	for (unsigned i = 1; i < elf->section_count; i++) {
		struct module_elf_section *s = &elf->sections[i];
		if (!(s->flags & SHF_ALLOC))
			continue;
		elf->detail_value = i;
		if ((s->flags & SHF_WRITE) && (s->flags & SHF_EXECINSTR))
			return MODULE_ELF_WRITABLE_CODE;
		s->segment = elf_segment_of(s);
		/* Both terms are at most MODULE_IMAGE_MAX: no overflow. */
		s->image_offset = elf_round_up(used[s->segment], s->align);
		used[s->segment] = s->image_offset + s->size;
		if (used[s->segment] > MODULE_IMAGE_MAX)
			return MODULE_ELF_TOO_LARGE;
	}
	for (int segment = 0; segment < MODULE_SEGMENTS; segment++) {
		elf->segment_offset[segment] = offset;
		elf->segment_size[segment] = elf_round_up(used[segment], MODULE_PAGE_BYTES);
		offset += elf->segment_size[segment];
	}
	elf->image_size = offset;
	if (offset > MODULE_IMAGE_MAX || offset == 0)
		return MODULE_ELF_TOO_LARGE;
	for (unsigned i = 1; i < elf->section_count; i++) {
		struct module_elf_section *s = &elf->sections[i];
		if (s->segment != MODULE_SEGMENT_NONE)
			s->image_offset += elf->segment_offset[s->segment];
	}
	return elf_check_info(elf, abi_version);
}

/* The run-time value of symbol index (for a relocation), or a failure. */
static int elf_symbol_value(struct module_elf *elf, uint64_t index,
			    uint64_t image_address, module_elf_resolver resolve,
			    void *context, uint64_t *value)
{
	const struct module_elf_section *table =
		&elf->sections[elf->symbol_section];
	const uint8_t *sym;
	uint16_t shndx;

	elf->detail_value = index;
	if (index >= elf->symbol_count)
		return MODULE_ELF_BAD_RELOCATION;
	sym = elf->bytes + table->offset + index * ELF_SYMBOL_BYTES;
	shndx = elf_read16(sym + 6);
	*value = elf_read64(sym + 8);
	if (shndx == SHN_ABS)
		return MODULE_ELF_OK;
	if (shndx == SHN_COMMON)
		return MODULE_ELF_BAD_SYMBOL;	/* modules build with -fno-common */
	if (shndx == SHN_UNDEF) {
		const char *name = elf_string(elf, table->link, elf_read32(sym));
		elf->detail_name = name;
		if (index == 0 || name[0] == '\0')
			return MODULE_ELF_BAD_RELOCATION;
		*value = resolve(context, name);
		return *value ? MODULE_ELF_OK : MODULE_ELF_UNRESOLVED;
	}
	if (elf->sections[shndx].segment == MODULE_SEGMENT_NONE)
		return MODULE_ELF_BAD_RELOCATION;	/* into debug info */
	*value += image_address + elf->sections[shndx].image_offset;
	return MODULE_ELF_OK;
}

/* Applies the RELA section index to its (loaded) target section. */
static int elf_relocate_section(struct module_elf *elf, unsigned index,
				uint8_t *image, uint64_t image_address,
				module_elf_resolver resolve, void *context)
{
	const struct module_elf_section *rela = &elf->sections[index];
	const struct module_elf_section *target = &elf->sections[rela->info];

	for (uint64_t at = 0; at < rela->size; at += ELF_RELA_BYTES) {
		const uint8_t *entry = elf->bytes + rela->offset + at;
		uint64_t offset = elf_read64(entry);
		uint64_t info = elf_read64(entry + 8);
		int64_t addend = (int64_t)elf_read64(entry + 16);
		uint32_t type = (uint32_t)info;
		unsigned width = module_reloc_width(type);
		uint64_t symbol;
		int result;

		elf->detail_value = type;
		if (width == 0 && type != R_X86_64_NONE)
			return MODULE_ELF_UNKNOWN_RELOCATION;
		if (!elf_range_ok(offset, width, target->size))
			return MODULE_ELF_BAD_RELOCATION;
		result = elf_symbol_value(elf, info >> 32, image_address,
					  resolve, context, &symbol);
		if (result != MODULE_ELF_OK)
			return result;
		uint64_t place = target->image_offset + offset;
		result = module_reloc_apply(type, image + place,
					    image_address + place, symbol, addend);
		elf->detail_value = type;
		if (result == MODULE_RELOC_OVERFLOW)
			return MODULE_ELF_RELOCATION_OVERFLOW;
		if (result != MODULE_RELOC_OK)
			return MODULE_ELF_UNKNOWN_RELOCATION;
	}
	return MODULE_ELF_OK;
}

int module_elf_relocate(struct module_elf *elf, void *image,
			uint64_t image_address, module_elf_resolver resolve,
			void *context)
{
	uint8_t *bytes = image;

	memset(image, 0, elf->image_size);
	for (unsigned i = 1; i < elf->section_count; i++) {
		const struct module_elf_section *s = &elf->sections[i];
		if (s->segment != MODULE_SEGMENT_NONE && s->type != SHT_NOBITS)
			memcpy(bytes + s->image_offset, elf->bytes + s->offset, s->size);
	}
	for (unsigned i = 1; i < elf->section_count; i++) {
		const struct module_elf_section *s = &elf->sections[i];
		if (s->type != SHT_RELA ||
		    elf->sections[s->info].segment == MODULE_SEGMENT_NONE)
			continue;	/* debug info is not loaded */
		int result = elf_relocate_section(elf, i, bytes, image_address,
						  resolve, context);
		if (result != MODULE_ELF_OK)
			return result;
	}
	return MODULE_ELF_OK;
}

const char *module_elf_result_name(int result)
{
	switch (result) {
	case MODULE_ELF_OK: return "ok";
	case MODULE_ELF_TRUNCATED: return "truncated ELF";
	case MODULE_ELF_NOT_ELF: return "not an ELF file";
	case MODULE_ELF_WRONG_CLASS: return "not 64-bit little-endian ELF version 1";
	case MODULE_ELF_WRONG_MACHINE: return "wrong machine (not x86-64)";
	case MODULE_ELF_NOT_RELOCATABLE: return "not a relocatable object (ET_REL)";
	case MODULE_ELF_BAD_SECTION: return "malformed section header";
	case MODULE_ELF_BAD_SYMBOL: return "malformed symbol";
	case MODULE_ELF_NO_INFO: return "no valid " MODULE_INFO_SECTION " section";
	case MODULE_ELF_WRONG_VERSION: return "wrong module ABI version";
	case MODULE_ELF_BAD_RELOCATION: return "malformed relocation";
	case MODULE_ELF_UNKNOWN_RELOCATION: return "unknown relocation type";
	case MODULE_ELF_RELOCATION_OVERFLOW: return "relocation out of range";
	case MODULE_ELF_UNRESOLVED: return "unresolved symbol";
	case MODULE_ELF_TOO_LARGE: return "too large";
	case MODULE_ELF_WRITABLE_CODE: return "section both writable and executable";
	default: return "unknown error";
	}
}
