/*
 * ktest suite "bootinfo": the boot information the kernel copied is
 * consistent with itself and with the machine (the host runner checks it
 * against what GRUB was given), and the parser rejects malformed blocks.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/arch.h"
#include "kernel/bootinfo.h"
#include "kernel/ktest/ktest.h"

static const struct boot_memory_range *range_containing(uint64_t start,
							uint64_t end)
{
	for (unsigned i = 0; i < boot_info.memory_range_count; i++) {
		const struct boot_memory_range *r = &boot_info.memory[i];
		if (r->type == BOOT_MEMORY_USABLE && start >= r->base &&
		    end <= r->base + r->length)
			return r;
	}
	return NULL;
}

KTEST(bootinfo, memory_map_is_sane)
{
	KTEST_ASSERT(t, boot_info.memory_range_count > 0);
	KTEST_EXPECT(t, boot_usable_bytes(&boot_info) >= (16ull << 20));
	for (unsigned i = 0; i < boot_info.memory_range_count; i++) {
		const struct boot_memory_range *a = &boot_info.memory[i];
		KTEST_EXPECT(t, a->length > 0);
		for (unsigned j = i + 1; j < boot_info.memory_range_count; j++) {
			const struct boot_memory_range *b = &boot_info.memory[j];
			bool overlap = a->base < b->base + b->length &&
				       b->base < a->base + a->length;
			KTEST_EXPECT(t, !overlap || a->type == b->type);
		}
	}
}

KTEST(bootinfo, kernel_and_modules_in_usable_ram)
{
	KTEST_EXPECT(t, range_containing(arch_kernel_physical_start(),
					 arch_kernel_physical_end()) != NULL);
	for (unsigned i = 0; i < boot_info.module_count; i++)
		KTEST_EXPECT(t, range_containing(boot_info.modules[i].start,
						 boot_info.modules[i].end) != NULL);
}

KTEST(bootinfo, bootcheck_module_present)
{
	bool found = false;

	for (unsigned i = 0; i < boot_info.module_count; i++) {
		if (strcmp(boot_info.modules[i].name, "bootcheck") == 0) {
			found = true;
			KTEST_EXPECT_EQ(t, boot_info.modules[i].end -
					   boot_info.modules[i].start, 12345);
		}
	}
	if (!found)
		ktest_skip(t, "booted without the bootcheck module");
}

KTEST(bootinfo, cmdline_and_loader)
{
	KTEST_EXPECT(t, strstr(boot_info.cmdline, "ktest=") != NULL);
	KTEST_EXPECT(t, boot_info.loader_name[0] != '\0');
}

/* A minimal valid block: header, one cmdline tag, end tag. */
static unsigned build_block(uint8_t *block, const char *cmdline)
{
	unsigned length = (unsigned)strlen(cmdline) + 1;
	unsigned tag_size = 8 + length, at = 8;

	memset(block, 0, 256);
	memcpy(block + at, &(uint32_t){ 1 }, 4);
	memcpy(block + at + 4, &tag_size, 4);
	memcpy(block + at + 8, cmdline, length);
	at += (tag_size + 7) & ~7u;
	memcpy(block + at, &(uint32_t){ 0 }, 4);
	memcpy(block + at + 4, &(uint32_t){ 8 }, 4);
	at += 8;
	memcpy(block, &at, 4);
	return at;
}

/* Scratch for the parser; too large for the stack. */
static struct boot_info parsed;

KTEST(bootinfo, parser_accepts_valid_and_rejects_corrupt)
{
	uint8_t block[256] __attribute__((aligned(8)));
	unsigned total = build_block(block, "a=1 b");

	KTEST_EXPECT(t, multiboot2_parse(block, total, &parsed) == NULL);
	KTEST_EXPECT(t, strcmp(parsed.cmdline, "a=1 b") == 0);
	/* truncated: the available bytes end before the declared total */
	KTEST_EXPECT(t, multiboot2_parse(block, total - 8, &parsed) != NULL);
	/* a tag size running past the end */
	memcpy(block + 12, &(uint32_t){ 4096 }, 4);
	KTEST_EXPECT(t, multiboot2_parse(block, total, &parsed) != NULL);
	/* no end tag */
	total = build_block(block, "x");
	memcpy(block + total - 8, &(uint32_t){ 99 }, 4);
	KTEST_EXPECT(t, multiboot2_parse(block, total, &parsed) != NULL);
	/* a tag smaller than its own header */
	total = build_block(block, "x");
	memcpy(block + 12, &(uint32_t){ 4 }, 4);
	KTEST_EXPECT(t, multiboot2_parse(block, total, &parsed) != NULL);
}
