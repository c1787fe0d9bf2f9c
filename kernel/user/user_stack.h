/*
 * The System V x86-64 initial process stack (psABI 1.0, section 3.4.1,
 * figure 3.9), built in kernel memory that the loader then maps at the top
 * of the new process's stack. From the stack pointer up: argc; argv[0..argc)
 * and a NULL; envp[] and a NULL; auxv pairs (type, value) ending with
 * AT_NULL; zero padding; then the information block: the 16 AT_RANDOM bytes
 * (16-aligned), the AT_PLATFORM string, the argv strings then the envp
 * strings, one after the other in order upwards (as Linux has them), and a
 * zero word at the very top (the end marker Linux leaves there too).
 * Portable; host tests in tests/host/test_user_stack.c.
 */
#ifndef VEIL_KERNEL_USER_USER_STACK_H
#define VEIL_KERNEL_USER_USER_STACK_H

#include <stddef.h>
#include <stdint.h>

/* Auxiliary vector types (System V gABI and Linux's include/uapi/linux/auxvec.h). */
enum user_stack_auxv_type {
	AT_NULL = 0,
	AT_IGNORE = 1,
	AT_EXECFD = 2,
	AT_PHDR = 3,
	AT_PHENT = 4,
	AT_PHNUM = 5,
	AT_PAGESZ = 6,
	AT_BASE = 7,
	AT_FLAGS = 8,
	AT_ENTRY = 9,
	AT_NOTELF = 10,
	AT_UID = 11,
	AT_EUID = 12,
	AT_GID = 13,
	AT_EGID = 14,
	AT_PLATFORM = 15,
	AT_HWCAP = 16,
	AT_CLKTCK = 17,
	AT_SECURE = 23,
	AT_BASE_PLATFORM = 24,
	AT_RANDOM = 25,
	AT_HWCAP2 = 26,
	AT_EXECFN = 31,
	AT_SYSINFO_EHDR = 33,
	AT_MINSIGSTKSZ = 51,
};

/* The string AT_PLATFORM points at (what Linux gives on x86-64). */
#define USER_STACK_PLATFORM "x86_64"

struct user_stack_auxv { uint64_t type, value; };

enum user_stack_result {
	USER_STACK_OK = 0,
	USER_STACK_TOO_BIG = -1,
	USER_STACK_BAD_TOP = -2,	/* addition: top not 16-aligned, or below buffer_size */
};

/*
 * Builds the initial stack into buffer, which will be mapped so that its END
 * is at user address top (top 16-byte aligned). argv/envp are
 * NULL-terminated arrays (either may be NULL: no entries). auxv has
 * auxv_count entries, copied in order up to the first AT_NULL among them;
 * the AT_NULL pair that ends the vector is always written. Values filled in
 * here: AT_RANDOM points at the 16 bytes copied from random16; AT_EXECFN
 * at the copied argv[0] (kept as given when argc is 0); AT_PLATFORM at a
 * copied USER_STACK_PLATFORM string. *stack_pointer receives the user
 * address of argc, 16-byte aligned as the ABI requires at process entry.
 * Only the bytes from there to the end of buffer are written (padding
 * zeroed). USER_STACK_TOO_BIG when they do not fit in buffer_size (buffer
 * untouched); USER_STACK_BAD_TOP for a top that is not 16-aligned or lies
 * below buffer_size (the mapping would wrap).
 */
int user_stack_build(void *buffer, size_t buffer_size, uint64_t top,
		     const char *const *argv, const char *const *envp,
		     const struct user_stack_auxv *auxv, unsigned auxv_count,
		     const uint8_t random16[16], uint64_t *stack_pointer);

#endif
