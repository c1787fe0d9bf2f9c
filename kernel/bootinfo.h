/*
 * What the boot loader told the kernel, copied out of the multiboot2
 * information (kernel/multiboot2.c) into kernel memory before anything can
 * overwrite it: the memory map, command line, modules (their bytes stay
 * where GRUB put them; the frame allocator reserves them), framebuffer,
 * ACPI RSDP and, when booted from UEFI, the EFI memory map.
 */
#ifndef VEIL_KERNEL_BOOTINFO_H
#define VEIL_KERNEL_BOOTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum boot_memory_type {
	BOOT_MEMORY_USABLE = 1,
	BOOT_MEMORY_RESERVED = 2,
	BOOT_MEMORY_ACPI_RECLAIMABLE = 3,
	BOOT_MEMORY_ACPI_NVS = 4,
	BOOT_MEMORY_BAD = 5,
};

struct boot_memory_range {
	uint64_t base;
	uint64_t length;
	uint32_t type;	/* enum boot_memory_type; other values: reserved */
};

struct boot_module {
	uint64_t start;	/* physical, first byte */
	uint64_t end;	/* physical, one past the last byte */
	char name[64];	/* the string after the file name in module2 */
};

enum boot_framebuffer_type {
	BOOT_FRAMEBUFFER_INDEXED = 0,
	BOOT_FRAMEBUFFER_RGB = 1,
	BOOT_FRAMEBUFFER_EGA_TEXT = 2,
};

struct boot_framebuffer {
	uint64_t address;	/* physical */
	uint32_t pitch, width, height;	/* bytes per line; pixels or chars */
	uint8_t bits_per_pixel;
	uint8_t type;		/* enum boot_framebuffer_type */
	uint8_t red_shift, red_bits, green_shift, green_bits, blue_shift,
		blue_bits;
};

struct boot_efi_memory_range {
	uint32_t type;
	uint64_t physical_start;
	uint64_t pages;
	uint64_t attributes;
};

#define BOOT_MEMORY_RANGES_MAX 128
#define BOOT_MODULES_MAX 16
#define BOOT_EFI_RANGES_MAX 256
#define BOOT_CMDLINE_MAX 1024

struct boot_info {
	/* Whole words only: a longer command line is cut before the first
	 * word that does not fit (kernel/multiboot2.c). */
	char cmdline[BOOT_CMDLINE_MAX];
	uint32_t cmdline_length;	/* bytes the loader passed, before its NUL */
	char loader_name[64];
	unsigned memory_range_count;
	struct boot_memory_range memory[BOOT_MEMORY_RANGES_MAX];
	unsigned module_count;
	struct boot_module modules[BOOT_MODULES_MAX];
	bool has_framebuffer;
	struct boot_framebuffer framebuffer;
	unsigned rsdp_version;	/* 0: none, 1: ACPI 1.0, 2: ACPI 2.0+ */
	uint8_t rsdp[36];
	bool efi_booted;	/* an EFI system table or memory map was passed */
	uint64_t efi_system_table;
	unsigned efi_memory_range_count;
	struct boot_efi_memory_range efi_memory[BOOT_EFI_RANGES_MAX];
	unsigned dropped;	/* entries that did not fit the tables above */
	uint64_t info_physical;	/* where the multiboot2 information was */
	uint32_t info_size;
};

/* The boot information, filled once by kmain before anything else. */
extern struct boot_info boot_info;

#define MULTIBOOT2_LOADER_MAGIC 0x36d76289u

/*
 * Parses the multiboot2 information at info (available bytes readable
 * there) into *out. Every length is checked against the declared total and
 * the available bytes. Returns NULL on success, or a message that says what
 * is wrong; *out is then partly filled and must not be trusted.
 */
const char *multiboot2_parse(const void *info, size_t available,
			     struct boot_info *out);

/* Usable bytes at or above floor that neither the kernel image
 * [image_start, image_end) nor a boot module occupies: what the kernel
 * can allocate. Overlapping image and modules are counted once. */
uint64_t boot_free_bytes(const struct boot_info *info, uint64_t floor,
			 uint64_t image_start, uint64_t image_end);
/* Sum of the usable bytes in the memory map. */
uint64_t boot_usable_bytes(const struct boot_info *info);
const char *boot_memory_type_name(uint32_t type);

#endif
