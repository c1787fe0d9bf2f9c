/*
 * Where the bytes of a transfer are: user memory (checked copies,
 * user_copy.h) or, for the kernel's own transfers between two files
 * (sendfile), a kernel buffer. The file systems and pipes read and write
 * through these, so one code path serves both.
 */
#ifndef VEIL_KERNEL_USER_FILE_BUFFER_H
#define VEIL_KERNEL_USER_FILE_BUFFER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/user/user_copy.h"

struct file_buffer {
	uint64_t user;		/* a user address, when kernel is NULL */
	uint8_t *kernel;	/* else the kernel's bytes */
};

static inline struct file_buffer file_buffer_user(uint64_t address)
{
	return (struct file_buffer){ .user = address };
}

static inline struct file_buffer file_buffer_kernel(void *bytes)
{
	return (struct file_buffer){ .kernel = bytes };
}

/* Copies bytes to buffer at offset at: 0 or -EFAULT. */
static inline int file_buffer_to(struct file_buffer buffer, uint64_t at,
				 const void *source, size_t bytes)
{
	if (buffer.kernel) {
		memcpy(buffer.kernel + at, source, bytes);
		return 0;
	}
	return user_copy_to(buffer.user + at, source, bytes);
}

/* Copies bytes from buffer at offset at: 0 or -EFAULT. */
static inline int file_buffer_from(void *destination,
				   struct file_buffer buffer, uint64_t at,
				   size_t bytes)
{
	if (buffer.kernel) {
		memcpy(destination, buffer.kernel + at, bytes);
		return 0;
	}
	return user_copy_from(destination, buffer.user + at, bytes);
}

#endif
