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
	uint8_t bytes[512];
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
