/*
 * Host tests of the module loader's portable half: the relocation
 * arithmetic (kernel/module/module_reloc.c) and the ELF decoder and
 * relocator (kernel/module/module_elf.c), run on the example module as
 * the Makefile built it with gcc and with clang (MODULE_OBJECT_GCC and
 * MODULE_OBJECT_CLANG, mk/module.mk), and on damaged copies of it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/module/module_abi.h"
#include "kernel/module/module_elf.h"
#include "kernel/module/module_reloc.h"
#include "tests/host/htest.h"

/* Where the kernel puts modules and where its text is (arch/x86). */
#define TEST_MODULE_BASE 0xffffffffc0000000ull
#define TEST_KERNEL_TEXT 0xffffffff80200000ull

static uint8_t *test_read_file(const char *path, size_t *size)
{
	FILE *file = fopen(path, "rb");
	uint8_t *bytes;
	long length;

	if (!file)
		return NULL;
	fseek(file, 0, SEEK_END);
	length = ftell(file);
	fseek(file, 0, SEEK_SET);
	bytes = malloc((size_t)length);
	if (bytes && fread(bytes, 1, (size_t)length, file) != (size_t)length) {
		free(bytes);
		bytes = NULL;
	}
	fclose(file);
	*size = (size_t)length;
	return bytes;
}

/* A kernel with a few exports at made-up text addresses; the names the
 * test resolves are counted. */
struct test_kernel {
	unsigned resolved;
	const char *refuse;	/* a name that does not resolve */
};

static uint64_t test_resolve(void *context, const char *name)
{
	static const char *const exports[] = { "xf_register", "xf_unregister",
					       "memcpy", "memset", NULL };
	struct test_kernel *kernel = context;

	if (kernel->refuse && strcmp(name, kernel->refuse) == 0)
		return 0;
	for (unsigned i = 0; exports[i]; i++) {
		if (strcmp(name, exports[i]) == 0) {
			kernel->resolved++;
			return TEST_KERNEL_TEXT + 0x100u * (i + 1);
		}
	}
	return 0;
}

static struct module_elf test_elf;

/* Parse, layout and relocate at base; the result of the first failure. */
static int test_load(const uint8_t *bytes, size_t size, uint64_t base,
		     struct test_kernel *kernel, uint8_t **image_out)
{
	int result = module_elf_parse(&test_elf, bytes, size);
	uint8_t *image;

	if (result == MODULE_ELF_OK)
		result = module_elf_layout(&test_elf, MODULE_ABI_VERSION);
	if (result != MODULE_ELF_OK)
		return result;
	image = malloc(test_elf.image_size);
	result = module_elf_relocate(&test_elf, image, base, test_resolve, kernel);
	if (image_out)
		*image_out = image;
	else
		free(image);
	return result;
}

static uint8_t *test_object(const char *path, size_t *size)
{
	uint8_t *bytes = test_read_file(path, size);

	if (!bytes)
		htest_log("cannot read %s", path);
	HCHECK(bytes != NULL);
	return bytes;
}

/* The example loads: its info's init and exit point into its text, its
 * two calls resolve, and the image is text, rodata, data in that order. */
static void test_example_loads(const char *path)
{
	struct test_kernel kernel = { 0 };
	struct module_info info;
	uint8_t *image = NULL;
	size_t size;
	uint8_t *bytes = test_object(path, &size);

	if (!bytes)
		return;
	HCHECK_EQ(test_load(bytes, size, TEST_MODULE_BASE, &kernel, &image),
		  MODULE_ELF_OK);
	HCHECK(kernel.resolved >= 2);	/* xf_register, xf_unregister */
	HCHECK_EQ(test_elf.segment_offset[MODULE_SEGMENT_TEXT], 0);
	HCHECK(test_elf.segment_size[MODULE_SEGMENT_TEXT] > 0);
	HCHECK_EQ(test_elf.image_size % MODULE_PAGE_BYTES, 0);
	HCHECK_EQ(test_elf.abi_version, MODULE_ABI_VERSION);
	memcpy(&info, image + test_elf.sections[test_elf.info_section].image_offset,
	       sizeof(info));
	HCHECK_EQ(info.magic, MODULE_INFO_MAGIC);
	HCHECK(strcmp(info.name, "xf_example") == 0);
	uint64_t init = (uint64_t)(uintptr_t)info.init;
	uint64_t exit = (uint64_t)(uintptr_t)info.exit;
	HCHECK(init >= TEST_MODULE_BASE &&
	       init < TEST_MODULE_BASE + test_elf.segment_size[MODULE_SEGMENT_TEXT]);
	HCHECK(exit >= TEST_MODULE_BASE &&
	       exit < TEST_MODULE_BASE + test_elf.segment_size[MODULE_SEGMENT_TEXT]);
	free(image);

	/* Placed far from the kernel (the direct map), the calls overflow. */
	kernel.resolved = 0;
	HCHECK_EQ(test_load(bytes, size, 0xffff800000000000ull, &kernel, NULL),
		  MODULE_ELF_RELOCATION_OVERFLOW);
	/* Built for another ABI: refused at layout. */
	HCHECK_EQ(module_elf_parse(&test_elf, bytes, size), MODULE_ELF_OK);
	HCHECK_EQ(module_elf_layout(&test_elf, MODULE_ABI_VERSION + 1),
		  MODULE_ELF_WRONG_VERSION);
	HCHECK_EQ(test_elf.detail_value, MODULE_ABI_VERSION);
	/* A symbol the kernel does not export: named in the failure. */
	kernel.refuse = "xf_register";
	HCHECK_EQ(test_load(bytes, size, TEST_MODULE_BASE, &kernel, NULL),
		  MODULE_ELF_UNRESOLVED);
	HCHECK(test_elf.detail_name && strcmp(test_elf.detail_name, "xf_register") == 0);
	free(bytes);
}

HTEST(example_built_by_gcc_loads)
{
	test_example_loads(MODULE_OBJECT_GCC);
}

HTEST(example_built_by_clang_loads)
{
	test_example_loads(MODULE_OBJECT_CLANG);
}

/* Every proper prefix of the object is refused (its section headers come
 * last), and none is read past its end (AddressSanitizer). */
HTEST(every_truncation_is_refused)
{
	struct test_kernel kernel = { 0 };
	size_t size;
	uint8_t *bytes = test_object(MODULE_OBJECT_GCC, &size);
	unsigned accepted = 0;

	if (!bytes)
		return;
	for (size_t length = 0; length < size; length++) {
		uint8_t *copy = malloc(length ? length : 1);
		memcpy(copy, bytes, length);
		accepted += test_load(copy, length, TEST_MODULE_BASE, &kernel,
				      NULL) == MODULE_ELF_OK;
		free(copy);
	}
	HCHECK_EQ(accepted, 0);
	free(bytes);
}

/* Each byte of the ELF header and the section headers set to a few
 * values: whatever the result, nothing is read or written out of bounds,
 * and a load that succeeds stays inside its image. */
HTEST(damaged_headers_never_escape)
{
	static const uint8_t values[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
	struct test_kernel kernel = { 0 };
	size_t size;
	uint8_t *bytes = test_object(MODULE_OBJECT_GCC, &size);
	unsigned refused = 0, runs = 0;

	if (!bytes)
		return;
	uint64_t shoff;
	memcpy(&shoff, bytes + 40, sizeof(shoff));
	uint8_t *copy = malloc(size);
	for (size_t at = 0; at < size; at++) {
		if (at >= 64 && at < shoff)
			continue;	/* section contents: relocations below */
		for (unsigned v = 0; v < sizeof(values); v++) {
			memcpy(copy, bytes, size);
			copy[at] = values[v];
			refused += test_load(copy, size, TEST_MODULE_BASE, &kernel,
					     NULL) != MODULE_ELF_OK;
			runs++;
		}
	}
	htest_log("%u damaged headers, %u refused", runs, refused);
	HCHECK(refused > 0);
	free(copy);
	free(bytes);
}

/* A section of type NULL flagged SHF_ALLOC with its bytes past the end
 * (found by the fuzz target): refused, never copied. */
HTEST(null_section_outside_the_file_is_refused)
{
	struct test_kernel kernel = { 0 };
	size_t size;
	uint8_t *bytes = test_object(MODULE_OBJECT_GCC, &size);

	if (!bytes)
		return;
	uint64_t shoff, flags = 2 /* SHF_ALLOC */, offset = 1ull << 40;
	uint32_t type = 0;
	memcpy(&shoff, bytes + 40, sizeof(shoff));
	uint8_t *header = bytes + shoff + 64;	/* section 1 */
	memcpy(header + 4, &type, sizeof(type));
	memcpy(header + 8, &flags, sizeof(flags));
	memcpy(header + 24, &offset, sizeof(offset));
	HCHECK_EQ(test_load(bytes, size, TEST_MODULE_BASE, &kernel, NULL),
		  MODULE_ELF_TRUNCATED);
	free(bytes);
}

/* The relocation entries damaged: types and symbol indices. */
HTEST(damaged_relocations_are_refused)
{
	struct test_kernel kernel = { 0 };
	size_t size;
	uint8_t *bytes = test_object(MODULE_OBJECT_GCC, &size);

	if (!bytes)
		return;
	HCHECK_EQ(module_elf_parse(&test_elf, bytes, size), MODULE_ELF_OK);
	unsigned rela = 0;
	for (unsigned i = 1; i < test_elf.section_count && !rela; i++)
		if (test_elf.sections[i].type == 4 && test_elf.sections[i].size &&
		    test_elf.sections[test_elf.sections[i].info].flags & 2)
			rela = i;
	HCHECK(rela != 0);
	uint64_t entry = test_elf.sections[rela].offset;
	uint8_t *copy = malloc(size);
	static const struct { uint32_t type; int result; } types[] = {
		{ 9, MODULE_ELF_UNKNOWN_RELOCATION },	/* GOTPCREL */
		{ 41, MODULE_ELF_UNKNOWN_RELOCATION },	/* GOTPCRELX */
		{ 42, MODULE_ELF_UNKNOWN_RELOCATION },	/* REX_GOTPCRELX */
		{ 1000, MODULE_ELF_UNKNOWN_RELOCATION },
	};
	for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memcpy(copy, bytes, size);
		memcpy(copy + entry + 8, &types[i].type, 4);
		HCHECK_EQ(test_load(copy, size, TEST_MODULE_BASE, &kernel, NULL),
			  types[i].result);
		HCHECK_EQ(test_elf.detail_value, types[i].type);
	}
	/* A symbol index past the table. */
	memcpy(copy, bytes, size);
	uint32_t symbol = 0xffffffu;
	memcpy(copy + entry + 12, &symbol, 4);
	HCHECK_EQ(test_load(copy, size, TEST_MODULE_BASE, &kernel, NULL),
		  MODULE_ELF_BAD_RELOCATION);
	/* An offset past the target section. */
	memcpy(copy, bytes, size);
	uint64_t offset = 1ull << 40;
	memcpy(copy + entry, &offset, 8);
	HCHECK_EQ(test_load(copy, size, TEST_MODULE_BASE, &kernel, NULL),
		  MODULE_ELF_BAD_RELOCATION);
	free(copy);
	free(bytes);
}

HTEST(relocation_arithmetic)
{
	uint8_t field[8];
	uint32_t word;
	uint64_t quad;

	/* 64: S + A */
	HCHECK_EQ(module_reloc_apply(R_X86_64_64, field, 0, 0xffffffff80001000ull, 8),
		  MODULE_RELOC_OK);
	memcpy(&quad, field, 8);
	HCHECK_EQ(quad, 0xffffffff80001008ull);
	/* PC32 and PLT32: S + A - P, backwards across 1 GiB */
	HCHECK_EQ(module_reloc_apply(R_X86_64_PLT32, field + 1, TEST_MODULE_BASE + 0x10,
				     TEST_KERNEL_TEXT, -4), MODULE_RELOC_OK);
	memcpy(&word, field + 1, 4);
	HCHECK_EQ((int32_t)word, (int64_t)(TEST_KERNEL_TEXT - 4 - (TEST_MODULE_BASE + 0x10)));
	HCHECK_EQ(module_reloc_apply(R_X86_64_PC32, field, 0x1000, 0x1000 + 0x7fffffffull, 0),
		  MODULE_RELOC_OK);
	HCHECK_EQ(module_reloc_apply(R_X86_64_PC32, field, 0x1000, 0x1000 + 0x80000000ull, 0),
		  MODULE_RELOC_OVERFLOW);
	/* 32S: the top 2 GiB fits, the direct map does not */
	HCHECK_EQ(module_reloc_apply(R_X86_64_32S, field, 0, TEST_MODULE_BASE, 0),
		  MODULE_RELOC_OK);
	memcpy(&word, field, 4);
	HCHECK_EQ((uint64_t)(int64_t)(int32_t)word, TEST_MODULE_BASE);
	HCHECK_EQ(module_reloc_apply(R_X86_64_32S, field, 0, 0xffff800000000000ull, 0),
		  MODULE_RELOC_OVERFLOW);
	/* 32: zero-extended, so no kernel address fits */
	HCHECK_EQ(module_reloc_apply(R_X86_64_32, field, 0, 0xfffff000u, 0), MODULE_RELOC_OK);
	HCHECK_EQ(module_reloc_apply(R_X86_64_32, field, 0, TEST_MODULE_BASE, 0),
		  MODULE_RELOC_OVERFLOW);
	/* A failure writes nothing; an unknown type is refused. */
	memset(field, 0xaa, sizeof(field));
	HCHECK_EQ(module_reloc_apply(R_X86_64_32S, field, 0, 1ull << 40, 0),
		  MODULE_RELOC_OVERFLOW);
	HCHECK_EQ(module_reloc_apply(42, field, 0, 0, 0), MODULE_RELOC_UNKNOWN);
	HCHECK_EQ(field[0], 0xaa);
	HCHECK_EQ(module_reloc_width(42), 0);
	HCHECK_EQ(module_reloc_width(R_X86_64_PLT32), 4);
}
