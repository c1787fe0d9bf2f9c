/*
 * Checked copies between a process's memory and the kernel's: every user
 * pointer a system call is given goes through these. A range outside the
 * process's mappings, or one its protection forbids, is -EFAULT before
 * anything is touched; a page that cannot be brought back while copying
 * is -EFAULT too, never a kernel fault (user_cpu.h's raw copies).
 */
#ifndef VEIL_KERNEL_USER_USER_COPY_H
#define VEIL_KERNEL_USER_USER_COPY_H

#include <stddef.h>
#include <stdint.h>

/* 0 or -EFAULT. */
int user_copy_from(void *destination, uint64_t user_source, size_t bytes);
int user_copy_to(uint64_t user_destination, const void *source, size_t bytes);
/* A NUL-terminated string of at most size - 1 bytes: its length,
 * -EFAULT, or -ENAMETOOLONG when no NUL came within size bytes. */
long user_string_from(char *destination, uint64_t user_source, size_t size);

#endif
