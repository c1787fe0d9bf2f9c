/*
 * libFuzzer target: the initial stack builder (kernel/user/user_stack.c)
 * with argument and environment lists, auxv entries and a buffer size taken
 * from the input. The lists come from a program (execve): whatever their
 * count and lengths, the builder must write only inside the buffer, write
 * nothing when they do not fit, and on success leave a stack whose every
 * pointer reads back the right string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/user/user_stack.h"

#define TOP 0x00007ffffffff000ull
#define STRINGS_MAX 64

static const uint8_t random16[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static uint64_t word_at(const uint8_t *buffer, size_t size, uint64_t address)
{
	uint64_t value;

	if (address < TOP - size || address > TOP - 8)
		abort();
	memcpy(&value, buffer + (address - (TOP - size)), 8);
	return value;
}

static void string_check(const uint8_t *buffer, size_t size, uint64_t address, const char *expected)
{
	size_t length = strlen(expected) + 1;

	if (address < TOP - size || address > TOP || length > TOP - address ||
	    memcmp(buffer + (address - (TOP - size)), expected, length) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	size_t buffer_size = (size_t)(data[0] | data[1] << 8) * 4;	/* 0..256 KiB */
	unsigned argc_wanted = data[2], auxv_count = data[3] % 8;
	data += 4;
	size -= 4;

	/* the rest, split at NULs: argv first, then envp */
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	const char *strings[STRINGS_MAX + 2];
	unsigned count = 0;
	for (size_t at = 0; at < size && count < STRINGS_MAX; at += strlen(text + at) + 1)
		strings[count++] = text + at;
	unsigned argc = argc_wanted < count ? argc_wanted : count;
	const char *argv[STRINGS_MAX + 1], *envp[STRINGS_MAX + 1];
	memcpy(argv, strings, argc * sizeof(*argv));
	argv[argc] = NULL;
	memcpy(envp, strings + argc, (count - argc) * sizeof(*envp));
	envp[count - argc] = NULL;

	struct user_stack_auxv auxv[8];
	static const uint64_t types[8] = { AT_PAGESZ, AT_RANDOM, AT_EXECFN, AT_PLATFORM,
					   AT_PHDR, AT_ENTRY, AT_HWCAP, AT_NULL };
	for (unsigned i = 0; i < auxv_count; i++)
		auxv[i] = (struct user_stack_auxv){ types[(i * 3 + argc) % 8], 0x1000 + i };

	uint8_t *buffer = malloc(buffer_size ? buffer_size : 1);
	memset(buffer, 0xa5, buffer_size);
	uint64_t sp = 0;
	int result = user_stack_build(buffer, buffer_size, TOP, argv, envp, auxv, auxv_count,
				      random16, &sp);
	if (result == USER_STACK_TOO_BIG) {
		for (size_t i = 0; i < buffer_size; i++)
			if (buffer[i] != 0xa5)
				abort();
	} else if (result == USER_STACK_OK) {
		if (sp % 16 || sp < TOP - buffer_size || sp >= TOP ||
		    word_at(buffer, buffer_size, sp) != argc)
			abort();
		uint64_t at = sp + 8;
		for (unsigned i = 0; i < argc; i++, at += 8)
			string_check(buffer, buffer_size, word_at(buffer, buffer_size, at), argv[i]);
		if (word_at(buffer, buffer_size, at) != 0)
			abort();
		at += 8;
		for (unsigned i = 0; i < count - argc; i++, at += 8)
			string_check(buffer, buffer_size, word_at(buffer, buffer_size, at), envp[i]);
		if (word_at(buffer, buffer_size, at) != 0)
			abort();
		at += 8;
		for (;; at += 16) {
			uint64_t type = word_at(buffer, buffer_size, at);
			uint64_t value = word_at(buffer, buffer_size, at + 8);
			if (type == AT_NULL)
				break;
			if (type == AT_RANDOM &&
			    (value % 16 || value < TOP - buffer_size || value > TOP - 16 ||
			     memcmp(buffer + (value - (TOP - buffer_size)), random16, 16) != 0))
				abort();
			if (type == AT_PLATFORM)
				string_check(buffer, buffer_size, value, USER_STACK_PLATFORM);
			if (type == AT_EXECFN && argc)
				string_check(buffer, buffer_size, value, argv[0]);
		}
	} else {
		abort();
	}
	free(buffer);
	free(text);
	return 0;
}
