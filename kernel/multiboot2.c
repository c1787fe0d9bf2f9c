/*
 * The multiboot2 information parser. Portable (the host tests and a fuzz
 * target run it on crafted input): the information comes from outside the
 * kernel, so every field is bounds-checked, and a malformed block is
 * rejected with a message that names the problem. Layout: the Multiboot2
 * Specification, version 2.0, section 3.6.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/bootinfo.h"

enum multiboot2_tag_type {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_LOADER_NAME = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_MEMORY_MAP = 6,
	MB2_TAG_FRAMEBUFFER = 8,
	MB2_TAG_EFI64_SYSTEM_TABLE = 12,
	MB2_TAG_ACPI_OLD_RSDP = 14,
	MB2_TAG_ACPI_NEW_RSDP = 15,
	MB2_TAG_EFI_MEMORY_MAP = 17,
};

#define MB2_INFO_MAX (1u << 20)	/* larger than any loader builds */

static uint32_t read32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t read64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Copies a string field of at most length bytes, NUL-terminated. */
static void copy_string(char *dst, size_t capacity, const uint8_t *src,
			size_t length)
{
	size_t n = strnlen((const char *)src, length);

	if (n >= capacity)
		n = capacity - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Copies the command line, whole words only: when it does not fit, it is
 * cut before the first word that would not fit whole (a value cut short
 * can mean another one), and cmdline_length keeps the length the loader
 * passed so that the kernel can say what it dropped. */
static void copy_cmdline(struct boot_info *out, const uint8_t *src,
			 size_t length)
{
	size_t n = strnlen((const char *)src, length);

	out->cmdline_length = (uint32_t)n;
	if (n < sizeof(out->cmdline)) {
		memcpy(out->cmdline, src, n);
		out->cmdline[n] = '\0';
		return;
	}
	/* src[keep] is the first byte that does not fit; back up to the
	 * blank before the word it belongs to, unless it starts a word. */
	size_t keep = sizeof(out->cmdline) - 1;
	while (keep > 0 && src[keep] != ' ' && src[keep] != '\t' &&
	       src[keep - 1] != ' ' && src[keep - 1] != '\t')
		keep--;
	memcpy(out->cmdline, src, keep);
	out->cmdline[keep] = '\0';
}

static const char *parse_memory_map(const uint8_t *tag, uint32_t size,
				    struct boot_info *out)
{
	if (size < 16)
		return "memory map tag shorter than its header";
	uint32_t entry_size = read32(tag + 8);
	if (entry_size < 24 || entry_size % 8)
		return "memory map entry size is not a multiple of 8 of at least 24";
	/* size - at, not at + entry_size: a huge entry size must not wrap */
	for (uint32_t at = 16; entry_size <= size - at; at += entry_size) {
		if (out->memory_range_count == BOOT_MEMORY_RANGES_MAX) {
			out->dropped++;
			continue;
		}
		struct boot_memory_range *r = &out->memory[out->memory_range_count++];
		r->base = read64(tag + at);
		r->length = read64(tag + at + 8);
		r->type = read32(tag + at + 16);
		if (r->base + r->length < r->base)
			return "memory map range wraps around the address space";
	}
	return NULL;
}

static const char *parse_module(const uint8_t *tag, uint32_t size,
				struct boot_info *out)
{
	if (size < 16)
		return "module tag shorter than its header";
	uint32_t start = read32(tag + 8), end = read32(tag + 12);
	if (end < start)
		return "module ends before it starts";
	if (out->module_count == BOOT_MODULES_MAX) {
		out->dropped++;
		return NULL;
	}
	struct boot_module *m = &out->modules[out->module_count++];
	m->start = start;
	m->end = end;
	copy_string(m->name, sizeof(m->name), tag + 16, size - 16);
	return NULL;
}

static const char *parse_framebuffer(const uint8_t *tag, uint32_t size,
				     struct boot_info *out)
{
	if (size < 31)
		return "framebuffer tag shorter than its header";
	struct boot_framebuffer *fb = &out->framebuffer;
	fb->address = read64(tag + 8);
	fb->pitch = read32(tag + 16);
	fb->width = read32(tag + 20);
	fb->height = read32(tag + 24);
	fb->bits_per_pixel = tag[28];
	fb->type = tag[29];
	if (fb->type == BOOT_FRAMEBUFFER_RGB) {
		if (size < 38)
			return "RGB framebuffer tag without its colour fields";
		fb->red_shift = tag[32];
		fb->red_bits = tag[33];
		fb->green_shift = tag[34];
		fb->green_bits = tag[35];
		fb->blue_shift = tag[36];
		fb->blue_bits = tag[37];
	}
	out->has_framebuffer = true;
	return NULL;
}

static const char *parse_efi_memory_map(const uint8_t *tag, uint32_t size,
					struct boot_info *out)
{
	if (size < 16)
		return "EFI memory map tag shorter than its header";
	uint32_t descriptor_size = read32(tag + 8);
	if (descriptor_size < 40)
		return "EFI memory descriptor size below 40 bytes";
	out->efi_booted = true;
	for (uint32_t at = 16; descriptor_size <= size - at;
	     at += descriptor_size) {
		if (out->efi_memory_range_count == BOOT_EFI_RANGES_MAX) {
			out->dropped++;
			continue;
		}
		struct boot_efi_memory_range *r =
			&out->efi_memory[out->efi_memory_range_count++];
		r->type = read32(tag + at);
		r->physical_start = read64(tag + at + 8);
		r->pages = read64(tag + at + 24);
		r->attributes = read64(tag + at + 32);
	}
	return NULL;
}

static const char *parse_rsdp(const uint8_t *tag, uint32_t size,
			      unsigned version, struct boot_info *out)
{
	size_t length = size - 8;

	if (length < 20)
		return "ACPI RSDP tag shorter than an RSDP";
	if (length > sizeof(out->rsdp))
		length = sizeof(out->rsdp);
	if (version >= out->rsdp_version) {
		memcpy(out->rsdp, tag + 8, length);
		out->rsdp_version = version;
	}
	return NULL;
}

static const char *parse_tag(const uint8_t *tag, uint32_t type, uint32_t size,
			     struct boot_info *out)
{
	switch (type) {
	case MB2_TAG_CMDLINE:
		copy_cmdline(out, tag + 8, size - 8);
		return NULL;
	case MB2_TAG_LOADER_NAME:
		copy_string(out->loader_name, sizeof(out->loader_name), tag + 8,
			    size - 8);
		return NULL;
	case MB2_TAG_MODULE:
		return parse_module(tag, size, out);
	case MB2_TAG_MEMORY_MAP:
		return parse_memory_map(tag, size, out);
	case MB2_TAG_FRAMEBUFFER:
		return parse_framebuffer(tag, size, out);
	case MB2_TAG_EFI64_SYSTEM_TABLE:
		if (size < 16)
			return "EFI system table tag too short";
		out->efi_booted = true;
		out->efi_system_table = read64(tag + 8);
		return NULL;
	case MB2_TAG_ACPI_OLD_RSDP:
		return parse_rsdp(tag, size, 1, out);
	case MB2_TAG_ACPI_NEW_RSDP:
		return parse_rsdp(tag, size, 2, out);
	case MB2_TAG_EFI_MEMORY_MAP:
		return parse_efi_memory_map(tag, size, out);
	default:
		return NULL;	/* tags Veil does not use */
	}
}

const char *multiboot2_parse(const void *info, size_t available,
			     struct boot_info *out)
{
	const uint8_t *base = info;

	memset(out, 0, sizeof(*out));
	if (available < 8)
		return "information shorter than its 8-byte header";
	uint32_t total = read32(base);
	if (total < 16 || total > MB2_INFO_MAX || total > available)
		return "total size out of range (corrupt or truncated)";
	if (total % 8)
		return "total size is not a multiple of 8";
	out->info_size = total;

	for (uint32_t at = 8; at + 8 <= total;) {
		uint32_t type = read32(base + at), size = read32(base + at + 4);
		if (size < 8 || size > total - at)
			return "a tag's size runs past the end of the information";
		if (type == MB2_TAG_END)
			return size == 8 ? NULL : "end tag with a size other than 8";
		const char *error = parse_tag(base + at, type, size, out);
		if (error)
			return error;
		at += (size + 7) & ~7u;
	}
	return "no end tag";
}

uint64_t boot_usable_bytes(const struct boot_info *info)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < info->memory_range_count; i++) {
		if (info->memory[i].type == BOOT_MEMORY_USABLE)
			total += info->memory[i].length;
	}
	return total;
}

struct boot_span {
	uint64_t start, end;
};

/* Sorts spans by start (insertion: at most BOOT_MODULES_MAX + 1) and
 * merges overlapping ones; returns how many remain. */
static unsigned boot_merge_spans(struct boot_span *spans, unsigned count)
{
	for (unsigned i = 1; i < count; i++) {
		struct boot_span span = spans[i];
		unsigned j = i;
		for (; j > 0 && spans[j - 1].start > span.start; j--)
			spans[j] = spans[j - 1];
		spans[j] = span;
	}
	unsigned merged = 0;
	for (unsigned i = 0; i < count; i++) {
		if (spans[i].end <= spans[i].start)
			continue;
		if (merged && spans[i].start <= spans[merged - 1].end) {
			if (spans[i].end > spans[merged - 1].end)
				spans[merged - 1].end = spans[i].end;
		} else {
			spans[merged++] = spans[i];
		}
	}
	return merged;
}

uint64_t boot_free_bytes(const struct boot_info *info, uint64_t floor,
			 uint64_t image_start, uint64_t image_end)
{
	struct boot_span taken[BOOT_MODULES_MAX + 1];
	unsigned count = 0;
	uint64_t total = 0;

	taken[count++] = (struct boot_span){ image_start, image_end };
	for (unsigned i = 0; i < info->module_count && i < BOOT_MODULES_MAX; i++)
		taken[count++] = (struct boot_span){ info->modules[i].start,
						     info->modules[i].end };
	count = boot_merge_spans(taken, count);
	for (unsigned i = 0; i < info->memory_range_count; i++) {
		const struct boot_memory_range *r = &info->memory[i];
		if (r->type != BOOT_MEMORY_USABLE)
			continue;
		uint64_t start = r->base < floor ? floor : r->base;
		uint64_t end = r->base + r->length;
		if (end <= start)
			continue;
		total += end - start;
		for (unsigned k = 0; k < count; k++) {
			uint64_t from = taken[k].start > start ? taken[k].start : start;
			uint64_t to = taken[k].end < end ? taken[k].end : end;
			if (to > from)
				total -= to - from;
		}
	}
	return total;
}

const char *boot_memory_type_name(uint32_t type)
{
	switch (type) {
	case BOOT_MEMORY_USABLE: return "usable";
	case BOOT_MEMORY_RESERVED: return "reserved";
	case BOOT_MEMORY_ACPI_RECLAIMABLE: return "ACPI reclaimable";
	case BOOT_MEMORY_ACPI_NVS: return "ACPI NVS";
	case BOOT_MEMORY_BAD: return "bad";
	default: return "unknown";
	}
}
