/*
 * Helpers shared by the ktests that run user programs
 * (kernel/user/process_test.c defines them; the other user tests use them
 * too): the output sink a test passes as a process's output and a
 * program's configuration with it, the free-frame count that tells
 * whether a run gave everything back, and the check of a test program's
 * KTAP summary.
 */
#ifndef VEIL_KERNEL_USER_USER_TEST_UTIL_H
#define VEIL_KERNEL_USER_USER_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/user/process.h"

#define USER_TEST_OUTPUT 16384

/* What a process wrote to fds 1 and 2 (every process of a tree: fork
 * copies the sink), NUL-terminated; overflowed when some was cut. */
struct user_test_output {
	char bytes[USER_TEST_OUTPUT];
	size_t length;
	bool overflowed;
};

/* A process_output_fn appending to the user_test_output at context. */
void user_test_capture(void *context, int fd, const char *bytes, size_t length);
/* The configuration of a test program: path with argv, its output
 * captured into output, no input, the default scheme and clear set. */
struct process_config user_test_config(const char *path,
				       const char *const *argv,
				       struct user_test_output *output);
/* Free frames once every CPU's slab magazines are emptied and empty slabs
 * reaped: what is still taken is in use. */
uint64_t user_test_free_frames(void);
/* Checks a test program's output (the programs of tests/user print a
 * KTAP line per check and "# checks N failures F"): nothing cut, a
 * summary, N "ok" lines, no failure; logs each "not ok" line. Returns N. */
unsigned long long user_test_check_summary(struct ktest *t,
					   const struct user_test_output *output);

#endif
