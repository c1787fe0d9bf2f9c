/*
 * Host tests of the multiboot2 parser (kernel/multiboot2.c) on crafted
 * blocks, including the inputs the fuzz target found.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/bootinfo.h"
#include "tests/host/htest.h"

static struct boot_info info;

struct block {
	uint8_t bytes[2048];
	uint32_t length;
};

static void block_start(struct block *b)
{
	memset(b, 0, sizeof(*b));
	b->length = 8;
}

static void block_tag(struct block *b, uint32_t type, const void *payload,
		      uint32_t payload_length)
{
	uint32_t size = 8 + payload_length;

	memcpy(b->bytes + b->length, &type, 4);
	memcpy(b->bytes + b->length + 4, &size, 4);
	if (payload_length)
		memcpy(b->bytes + b->length + 8, payload, payload_length);
	b->length += (size + 7) & ~7u;
}

static uint8_t *block_end(struct block *b)
{
	block_tag(b, 0, NULL, 0);
	memcpy(b->bytes, &b->length, 4);
	/* an exact-size copy, so ASan sees reads past the end */
	uint8_t *copy = malloc(b->length);
	memcpy(copy, b->bytes, b->length);
	return copy;
}

HTEST(parses_memory_map_modules_cmdline)
{
	struct block b;
	uint8_t mmap[8 + 24];
	uint32_t entry_size = 24, usable = 1;
	uint64_t base = 0x100000, length = 0x1000000;
	uint8_t module[8 + 10] = { 0 };
	uint32_t start = 0x164000, end = 0x167039;

	block_start(&b);
	block_tag(&b, 1, "a=1 b\0", 6);
	memset(mmap, 0, sizeof(mmap));
	memcpy(mmap, &entry_size, 4);
	memcpy(mmap + 8, &base, 8);
	memcpy(mmap + 16, &length, 8);
	memcpy(mmap + 24, &usable, 4);
	block_tag(&b, 6, mmap, sizeof(mmap));
	memcpy(module, &start, 4);
	memcpy(module + 4, &end, 4);
	memcpy(module + 8, "bootcheck", 10);
	block_tag(&b, 3, module, sizeof(module));
	uint8_t *block = block_end(&b);
	HCHECK(multiboot2_parse(block, b.length, &info) == NULL);
	HCHECK(strcmp(info.cmdline, "a=1 b") == 0);
	HCHECK_EQ(info.memory_range_count, 1);
	HCHECK_EQ(info.memory[0].length, 0x1000000);
	HCHECK_EQ(boot_usable_bytes(&info), 0x1000000);
	HCHECK_EQ(info.module_count, 1);
	HCHECK_EQ(info.modules[0].end - info.modules[0].start, 0x3039);
	HCHECK(strcmp(info.modules[0].name, "bootcheck") == 0);
	free(block);
}

/* Found by fuzz_multiboot2: an entry size near 2^32 wrapped the bounds
 * check and read past the block. */
HTEST(huge_entry_sizes_do_not_wrap)
{
	struct block b;
	uint32_t header[4] = { 0xffffffffu, 0, 0, 0 };

	block_start(&b);
	block_tag(&b, 6, header, sizeof(header));
	uint8_t *block = block_end(&b);
	multiboot2_parse(block, b.length, &info);
	HCHECK_EQ(info.memory_range_count, 0);
	free(block);

	block_start(&b);
	header[0] = 0xfffffff8u;
	block_tag(&b, 17, header, sizeof(header));
	block = block_end(&b);
	multiboot2_parse(block, b.length, &info);
	HCHECK_EQ(info.efi_memory_range_count, 0);
	free(block);
}

HTEST(rejects_malformed_blocks)
{
	struct block b;
	uint8_t *block;

	block_start(&b);
	block_tag(&b, 1, "x\0", 2);
	block = block_end(&b);
	HCHECK(multiboot2_parse(block, b.length - 8, &info) != NULL);	/* truncated */
	HCHECK(multiboot2_parse(block, 4, &info) != NULL);
	memcpy(block + 12, &(uint32_t){ 4 }, 4);			/* tag < header */
	HCHECK(multiboot2_parse(block, b.length, &info) != NULL);
	memcpy(block + 12, &(uint32_t){ 0x10000 }, 4);			/* past the end */
	HCHECK(multiboot2_parse(block, b.length, &info) != NULL);
	free(block);

	block_start(&b);
	block_tag(&b, 3, "\x10\0\0\0\x08\0\0\0", 8);			/* end < start */
	block = block_end(&b);
	HCHECK(multiboot2_parse(block, b.length, &info) != NULL);
	free(block);
}

/* Parses a block holding only a command-line tag of `text`. */
static void parse_cmdline(const char *text)
{
	struct block b;

	block_start(&b);
	block_tag(&b, 1, text, (uint32_t)strlen(text) + 1);
	uint8_t *block = block_end(&b);
	HCHECK(multiboot2_parse(block, b.length, &info) == NULL);
	free(block);
}

/* A command line longer than the buffer is cut before the word that does
 * not fit whole: `loglevel=77` across the limit must not become
 * `loglevel=7`; the loader's length is kept so the kernel can say so. */
HTEST(long_cmdline_keeps_whole_words)
{
	static char text[1100];
	size_t limit = BOOT_CMDLINE_MAX - 1;

	memset(text, 'a', sizeof(text));
	memcpy(text, "x=", 2);
	text[limit - 11] = ' ';				/* "loglevel=77" on 1023 */
	memcpy(text + limit - 10, "loglevel=77", 11);
	text[limit + 1] = ' ';
	memcpy(text + limit + 2, "demo=off", 9);
	parse_cmdline(text);
	HCHECK_EQ(info.cmdline_length, limit + 10);
	HCHECK_EQ(strlen(info.cmdline), limit - 10);	/* up to the blank */
	HCHECK(strstr(info.cmdline, "loglevel") == NULL);
	HCHECK(strstr(info.cmdline, "demo") == NULL);

	/* A word that ends exactly at the limit is kept whole. */
	memset(text, 'b', sizeof(text));
	text[limit - 12] = ' ';
	memcpy(text + limit - 11, "loglevel=77", 11);
	text[limit] = ' ';
	memcpy(text + limit + 1, "demo=off", 9);
	parse_cmdline(text);
	HCHECK_EQ(strlen(info.cmdline), limit);
	HCHECK(strcmp(info.cmdline + limit - 11, "loglevel=77") == 0);

	/* One word longer than the buffer: nothing of it is kept. */
	memset(text, 'c', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	parse_cmdline(text);
	HCHECK_EQ(strlen(info.cmdline), 0);
	HCHECK_EQ(info.cmdline_length, sizeof(text) - 1);

	/* Exactly the limit fits: nothing is cut. */
	text[limit] = '\0';
	parse_cmdline(text);
	HCHECK_EQ(strlen(info.cmdline), limit);
	HCHECK_EQ(info.cmdline_length, limit);
}

/* Adds a usable memory range and modules to b. */
static uint8_t *block_with_memory(struct block *b, uint64_t base,
				  uint64_t length, const uint32_t *modules,
				  unsigned module_count)
{
	uint8_t mmap[8 + 24] = { 0 };
	uint32_t entry_size = 24, usable = 1;

	block_start(b);
	memcpy(mmap, &entry_size, 4);
	memcpy(mmap + 8, &base, 8);
	memcpy(mmap + 16, &length, 8);
	memcpy(mmap + 24, &usable, 4);
	block_tag(b, 6, mmap, sizeof(mmap));
	for (unsigned i = 0; i < module_count; i++) {
		uint8_t module[8 + 2] = { 0 };
		memcpy(module, &modules[2 * i], 4);
		memcpy(module + 4, &modules[2 * i + 1], 4);
		module[8] = 'm';
		block_tag(b, 3, module, sizeof(module));
	}
	return block_end(b);
}

/* The memory floor counts module bytes as taken (once, where modules
 * overlap each other or the image), and nothing below the floor. */
HTEST(free_bytes_leave_out_image_and_modules)
{
	struct block b;
	const uint64_t mib = 1u << 20;
	uint32_t modules[] = { 4 * mib, 12 * mib,		/* 8 MiB */
			       10 * mib, 14 * mib,		/* overlaps: +2 */
			       1 * mib + 0x1000, 2 * mib };	/* inside the image */
	uint8_t *block = block_with_memory(&b, 0, 24 * mib, modules, 3);

	HCHECK(multiboot2_parse(block, b.length, &info) == NULL);
	HCHECK_EQ(info.module_count, 3);
	/* 24 MiB, less the first MiB, the image [1, 3) MiB, modules [4, 14) */
	HCHECK_EQ(boot_free_bytes(&info, mib, mib, 3 * mib), 11 * mib);
	info.module_count = 0;
	HCHECK_EQ(boot_free_bytes(&info, mib, mib, 3 * mib), 21 * mib);
	free(block);
}
