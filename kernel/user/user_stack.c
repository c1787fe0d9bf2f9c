/*
 * The System V x86-64 initial process stack (kernel/user/user_stack.h). The
 * sizes are computed first, each addition checked against buffer_size, so
 * that nothing is written unless everything fits; the arguments are kernel
 * copies, but their count and lengths come from a program (execve), so a
 * huge argument list is an error, never a wrap.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/user/user_stack.h"

#define WORD 8u

/* What the stack holds, measured before anything is written. */
struct stack_plan {
	size_t argc, envc;	/* entries of argv and envp */
	size_t auxc;		/* auxv entries copied, before the AT_NULL */
	size_t strings;		/* bytes of the argv and envp strings with NULs */
	size_t total;		/* bytes from the stack pointer to the top */
	bool platform;		/* AT_PLATFORM asked for */
};

/* Adds b to *a; false when it would pass limit. */
static bool add_within(size_t *a, size_t b, size_t limit)
{
	return !__builtin_add_overflow(*a, b, a) && *a <= limit;
}

/* Counts the entries of a NULL-terminated array and adds its strings'
 * bytes to *strings; false past limit. */
static bool strings_measure(const char *const *array, size_t *count, size_t *strings, size_t limit)
{
	*count = 0;
	if (!array)
		return true;
	for (; array[*count]; (*count)++)
		if (!add_within(strings, strnlen(array[*count], limit) + 1, limit))
			return false;
	return true;
}

static size_t round_up16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

/* Fills *plan; false when the stack does not fit in limit bytes. */
static bool plan_make(struct stack_plan *plan, const char *const *argv, const char *const *envp,
		      const struct user_stack_auxv *auxv, unsigned auxv_count, size_t limit)
{
	size_t info, words;

	memset(plan, 0, sizeof(*plan));
	if (!strings_measure(argv, &plan->argc, &plan->strings, limit) ||
	    !strings_measure(envp, &plan->envc, &plan->strings, limit))
		return false;
	while (plan->auxc < auxv_count && auxv[plan->auxc].type != AT_NULL) {
		if (auxv[plan->auxc].type == AT_PLATFORM)
			plan->platform = true;
		plan->auxc++;
	}
	/* the information block: end marker, strings, platform, random */
	info = WORD;
	if (!add_within(&info, plan->strings, limit) ||
	    !add_within(&info, plan->platform ? sizeof(USER_STACK_PLATFORM) : 0, limit))
		return false;
	info = round_up16(info);
	if (!add_within(&info, 16, limit))
		return false;
	/* argc, argv and NULL, envp and NULL, auxv and AT_NULL: each bounded
	 * by limit / WORD, so the sum cannot wrap */
	if (plan->argc > limit / WORD || plan->envc > limit / WORD || plan->auxc > limit / WORD)
		return false;
	words = 1 + (plan->argc + 1) + (plan->envc + 1) + 2 * (plan->auxc + 1);
	if (words > limit / WORD)
		return false;
	plan->total = info;
	if (!add_within(&plan->total, words * WORD, limit))
		return false;
	plan->total = round_up16(plan->total);
	return plan->total <= limit;
}

/* Writes one 64-bit word at p. */
static void word_put(uint8_t *p, uint64_t value)
{
	memcpy(p, &value, sizeof(value));
}

/* Copies the strings of array below *cursor (a user address, with base the
 * user address of buffer), the last highest so that they read in order
 * upwards, storing their user addresses at pointers (one word each, then a
 * NULL word); *cursor ends at the first string. */
static void strings_copy(uint8_t *buffer, uint64_t base, uint64_t *cursor,
			 const char *const *array, size_t count, uint8_t *pointers)
{
	for (size_t i = count; i-- > 0;) {
		size_t length = strlen(array[i]) + 1;
		*cursor -= length;
		memcpy(buffer + (*cursor - base), array[i], length);
		word_put(pointers + i * WORD, *cursor);
	}
	word_put(pointers + count * WORD, 0);
}

int user_stack_build(void *buffer_bytes, size_t buffer_size, uint64_t top,
		     const char *const *argv, const char *const *envp,
		     const struct user_stack_auxv *auxv, unsigned auxv_count,
		     const uint8_t random16[16], uint64_t *stack_pointer)
{
	uint8_t *buffer = buffer_bytes;
	struct stack_plan plan;

	if (top % 16 != 0 || top < buffer_size)
		return USER_STACK_BAD_TOP;
	if (!plan_make(&plan, argv, envp, auxv, auxv_count, buffer_size))
		return USER_STACK_TOO_BIG;

	uint64_t base = top - buffer_size;	/* user address of buffer[0] */
	uint64_t sp = top - plan.total;
	memset(buffer + (sp - base), 0, plan.total);

	/* the information block, from the top down; the end marker word
	 * stays zero */
	uint64_t cursor = top - WORD;
	uint8_t *argv_pointers = buffer + (sp - base) + WORD;
	uint8_t *envp_pointers = argv_pointers + (plan.argc + 1) * WORD;
	uint8_t *auxv_words = envp_pointers + (plan.envc + 1) * WORD;
	/* argv's strings then envp's, upwards, as Linux lays them out */
	strings_copy(buffer, base, &cursor, envp, plan.envc, envp_pointers);
	strings_copy(buffer, base, &cursor, argv, plan.argc, argv_pointers);
	uint64_t execfn = cursor;	/* argv[0], the last string copied */
	uint64_t platform = 0;
	if (plan.platform) {
		cursor -= sizeof(USER_STACK_PLATFORM);
		memcpy(buffer + (cursor - base), USER_STACK_PLATFORM, sizeof(USER_STACK_PLATFORM));
		platform = cursor;
	}
	cursor = (cursor & ~(uint64_t)15) - 16;
	memcpy(buffer + (cursor - base), random16, 16);
	uint64_t random = cursor;

	word_put(buffer + (sp - base), plan.argc);
	for (size_t i = 0; i < plan.auxc; i++) {
		uint64_t value = auxv[i].value;
		if (auxv[i].type == AT_RANDOM)
			value = random;
		else if (auxv[i].type == AT_EXECFN && plan.argc)
			value = execfn;
		else if (auxv[i].type == AT_PLATFORM)
			value = platform;
		word_put(auxv_words + 2 * i * WORD, auxv[i].type);
		word_put(auxv_words + (2 * i + 1) * WORD, value);
	}
	/* the AT_NULL pair is already zero */
	*stack_pointer = sp;
	return USER_STACK_OK;
}
