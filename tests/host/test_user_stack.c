/*
 * Host tests of the initial process stack (kernel/user/user_stack.c): the
 * layout read back word by word as a process would from its stack pointer,
 * every pointer inside the mapped range and at the right string, the
 * alignment, the AT_RANDOM bytes, the sizes that do not fit; and the AT_*
 * values against the host's <elf.h>.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/user/user_stack.h"
#include "tests/host/elf_host_view.h"
#include "tests/host/htest.h"

#define TOP 0x00007ffffffff000ull

static const uint8_t random_bytes[16] = {
	0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87,
	0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f,
};

/* The stack as the process sees it: buffer mapped with its end at top. */
struct mapped {
	uint8_t *buffer;
	size_t size;
	uint64_t top;
};

static bool mapped_holds(const struct mapped *m, uint64_t address, size_t length)
{
	return address >= m->top - m->size && address <= m->top && length <= m->top - address;
}

static uint64_t mapped_word(const struct mapped *m, uint64_t address)
{
	uint64_t value = 0;

	HCHECK(mapped_holds(m, address, 8));
	if (mapped_holds(m, address, 8))
		memcpy(&value, m->buffer + (address - (m->top - m->size)), 8);
	return value;
}

/* True when address holds the NUL-terminated string expected. */
static bool mapped_string_is(const struct mapped *m, uint64_t address, const char *expected)
{
	size_t length = strlen(expected) + 1;

	return mapped_holds(m, address, length) &&
	       memcmp(m->buffer + (address - (m->top - m->size)), expected, length) == 0;
}

HTEST(auxv_types_match_the_host)
{
	static const struct { const char *name; uint64_t value; } ours[] = {
#define OURS(n) { #n, n }
		OURS(AT_NULL), OURS(AT_IGNORE), OURS(AT_EXECFD), OURS(AT_PHDR), OURS(AT_PHENT),
		OURS(AT_PHNUM), OURS(AT_PAGESZ), OURS(AT_BASE), OURS(AT_FLAGS), OURS(AT_ENTRY),
		OURS(AT_NOTELF), OURS(AT_UID), OURS(AT_EUID), OURS(AT_GID), OURS(AT_EGID),
		OURS(AT_PLATFORM), OURS(AT_HWCAP), OURS(AT_CLKTCK), OURS(AT_SECURE),
		OURS(AT_BASE_PLATFORM), OURS(AT_RANDOM), OURS(AT_HWCAP2), OURS(AT_EXECFN),
		OURS(AT_SYSINFO_EHDR), OURS(AT_MINSIGSTKSZ),
#undef OURS
	};

	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		uint64_t host;
		HCHECK(host_at_value(ours[i].name, &host));
		if (host != ours[i].value)
			htest_log("%s: ours %llu, <elf.h> %llu", ours[i].name,
				  (unsigned long long)ours[i].value, (unsigned long long)host);
		HCHECK_EQ(ours[i].value, host);
	}
}

HTEST(layout_word_by_word)
{
	const char *const argv[] = { "/bin/prog", "-x", "", "last argument", NULL };
	const char *const envp[] = { "HOME=/", "TERM=dumb", NULL };
	const struct user_stack_auxv auxv[] = {
		{ AT_PAGESZ, 4096 }, { AT_PHDR, 0x400040 }, { AT_RANDOM, 0 },
		{ AT_EXECFN, 0 }, { AT_PLATFORM, 0 }, { AT_ENTRY, 0x401000 },
	};
	struct mapped m = { .size = 4096, .top = TOP };
	uint64_t sp = 0;

	m.buffer = malloc(m.size);
	memset(m.buffer, 0xa5, m.size);
	HCHECK_EQ(user_stack_build(m.buffer, m.size, m.top, argv, envp, auxv, 6, random_bytes, &sp),
		  USER_STACK_OK);
	HCHECK_EQ(sp % 16, 0);
	HCHECK(sp < m.top && sp >= m.top - m.size);

	uint64_t at = sp;
	HCHECK_EQ(mapped_word(&m, at), 4);	/* argc */
	at += 8;
	for (int i = 0; i < 4; i++, at += 8)
		HCHECK(mapped_string_is(&m, mapped_word(&m, at), argv[i]));
	HCHECK_EQ(mapped_word(&m, at), 0);
	at += 8;
	for (int i = 0; i < 2; i++, at += 8)
		HCHECK(mapped_string_is(&m, mapped_word(&m, at), envp[i]));
	HCHECK_EQ(mapped_word(&m, at), 0);
	at += 8;

	uint64_t random = 0, execfn = 0, platform = 0;
	for (int i = 0; i < 6; i++, at += 16) {
		uint64_t type = mapped_word(&m, at), value = mapped_word(&m, at + 8);
		HCHECK_EQ(type, auxv[i].type);
		if (type == AT_RANDOM)
			random = value;
		else if (type == AT_EXECFN)
			execfn = value;
		else if (type == AT_PLATFORM)
			platform = value;
		else
			HCHECK_EQ(value, auxv[i].value);	/* kept as given */
	}
	HCHECK_EQ(mapped_word(&m, at), AT_NULL);
	HCHECK_EQ(mapped_word(&m, at + 8), 0);
	at += 16;

	/* AT_RANDOM: the 16 bytes, 16-aligned, above the vectors */
	HCHECK_EQ(random % 16, 0);
	HCHECK(random >= at && mapped_holds(&m, random, 16));
	HCHECK(memcmp(m.buffer + (random - (m.top - m.size)), random_bytes, 16) == 0);
	/* AT_EXECFN is argv[0]'s copy; AT_PLATFORM the platform string */
	HCHECK_EQ(execfn, mapped_word(&m, sp + 8));
	HCHECK(mapped_string_is(&m, platform, USER_STACK_PLATFORM));
	HCHECK(platform >= random + 16);
	/* the strings are above the random bytes and below the end marker */
	for (uint64_t p = sp + 8; p < sp + 8 * 8; p += 8) {
		uint64_t string = mapped_word(&m, p);
		if (string)
			HCHECK(string >= random + 16 && string < m.top - 8);
	}
	HCHECK_EQ(mapped_word(&m, m.top - 8), 0);
	/* the padding between the vectors and the random bytes is zero, and
	 * nothing below the stack pointer was written */
	for (uint64_t p = at; p < random; p++)
		HCHECK_EQ(m.buffer[p - (m.top - m.size)], 0);
	size_t below = sp - (m.top - m.size);
	unsigned untouched = 0;
	for (size_t i = 0; i < below; i++)
		untouched += m.buffer[i] == 0xa5;
	HCHECK_EQ(untouched, below);
	free(m.buffer);
}

/* The bytes a build needs: the smallest buffer that is not TOO_BIG. */
static size_t size_needed(const char *const *argv, const char *const *envp,
			  const struct user_stack_auxv *auxv, unsigned auxv_count)
{
	uint8_t *buffer = malloc(8192);
	uint64_t sp;

	HCHECK_EQ(user_stack_build(buffer, 8192, TOP, argv, envp, auxv, auxv_count,
				   random_bytes, &sp), USER_STACK_OK);
	free(buffer);
	return TOP - sp;
}

HTEST(too_big_leaves_the_buffer_alone)
{
	const char *const argv[] = { "prog", "a", "bb", "ccc", NULL };
	const char *const envp[] = { "X=1", NULL };
	const struct user_stack_auxv auxv[] = { { AT_PAGESZ, 4096 }, { AT_RANDOM, 0 } };
	size_t needed = size_needed(argv, envp, auxv, 2);
	unsigned failures = 0;

	htest_log("needed %zu bytes", needed);
	/* 8 + 5+2+3+4+4 strings = 26, round 16 -> 32, + 16 random = 48;
	 * words 1+5+2+6 = 14 -> 112; 160 in all */
	HCHECK_EQ(needed, 160);
	for (size_t size = 0; size <= needed + 32; size++) {
		uint8_t *buffer = malloc(size ? size : 1);
		uint64_t sp = 1;
		memset(buffer, 0x5a, size);
		int result = user_stack_build(buffer, size, TOP, argv, envp, auxv, 2,
					      random_bytes, &sp);
		if (size < needed) {
			bool untouched = sp == 1;
			for (size_t i = 0; i < size; i++)
				untouched &= buffer[i] == 0x5a;
			failures += result != USER_STACK_TOO_BIG || !untouched;
		} else {
			failures += result != USER_STACK_OK || sp != TOP - needed;
		}
		free(buffer);
	}
	HCHECK_EQ(failures, 0);
}

HTEST(huge_argument_lists_do_not_wrap)
{
	enum { COUNT = 100000 };
	const char **argv = malloc((COUNT + 1) * sizeof(*argv));
	uint8_t *buffer = malloc(65536);
	uint64_t sp;

	for (int i = 0; i < COUNT; i++)
		argv[i] = "x";
	argv[COUNT] = NULL;
	HCHECK_EQ(user_stack_build(buffer, 65536, TOP, argv, NULL, NULL, 0, random_bytes, &sp),
		  USER_STACK_TOO_BIG);
	HCHECK_EQ(user_stack_build(buffer, 65536, TOP, NULL, argv, NULL, 0, random_bytes, &sp),
		  USER_STACK_TOO_BIG);
	/* one string longer than the buffer */
	char *long_string = malloc(70000);
	memset(long_string, 'y', 69999);
	long_string[69999] = 0;
	const char *const one[] = { long_string, NULL };
	HCHECK_EQ(user_stack_build(buffer, 65536, TOP, one, NULL, NULL, 0, random_bytes, &sp),
		  USER_STACK_TOO_BIG);
	/* and the same list fits a buffer large enough */
	uint8_t *large = malloc(4u << 20);
	HCHECK_EQ(user_stack_build(large, 4u << 20, TOP, argv, NULL, NULL, 0, random_bytes, &sp),
		  USER_STACK_OK);
	struct mapped m = { large, 4u << 20, TOP };
	HCHECK_EQ(mapped_word(&m, sp), COUNT);
	HCHECK(mapped_string_is(&m, mapped_word(&m, sp + 8 * COUNT), "x"));
	free(large);
	free(long_string);
	free(buffer);
	free(argv);
}

HTEST(empty_lists_bad_top_and_auxv_end)
{
	const struct user_stack_auxv auxv[] = {
		{ AT_EXECFN, 1234 }, { AT_NULL, 0 }, { AT_PAGESZ, 4096 },
	};
	struct mapped m = { .size = 512, .top = TOP };
	uint64_t sp;

	m.buffer = malloc(m.size);
	/* no argv nor envp: argc 0, two NULLs; AT_EXECFN kept; the auxv ends
	 * at the caller's AT_NULL */
	HCHECK_EQ(user_stack_build(m.buffer, m.size, m.top, NULL, NULL, auxv, 3, random_bytes, &sp),
		  USER_STACK_OK);
	HCHECK_EQ(sp % 16, 0);
	HCHECK_EQ(mapped_word(&m, sp), 0);
	HCHECK_EQ(mapped_word(&m, sp + 8), 0);
	HCHECK_EQ(mapped_word(&m, sp + 16), 0);
	HCHECK_EQ(mapped_word(&m, sp + 24), AT_EXECFN);
	HCHECK_EQ(mapped_word(&m, sp + 32), 1234);
	HCHECK_EQ(mapped_word(&m, sp + 40), AT_NULL);
	HCHECK_EQ(mapped_word(&m, sp + 48), 0);
	/* then the random bytes (always there, even without AT_RANDOM) */
	HCHECK(memcmp(m.buffer + (sp + 64 - (m.top - m.size)), random_bytes, 16) == 0);

	HCHECK_EQ(user_stack_build(m.buffer, m.size, m.top + 8, NULL, NULL, NULL, 0, random_bytes,
				   &sp), USER_STACK_BAD_TOP);
	HCHECK_EQ(user_stack_build(m.buffer, m.size, 256, NULL, NULL, NULL, 0, random_bytes, &sp),
		  USER_STACK_BAD_TOP);
	/* the lowest top there is: the buffer mapped at address 0 */
	HCHECK_EQ(user_stack_build(m.buffer, m.size, 512, NULL, NULL, NULL, 0, random_bytes, &sp),
		  USER_STACK_OK);
	free(m.buffer);
}
