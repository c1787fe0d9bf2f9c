/*
 * What the descriptor calls (syscall_file.c), the path calls
 * (syscall_path.c) and the pipe calls (syscall_pipe.c) share.
 */
#ifndef VEIL_KERNEL_USER_SYSCALL_FILE_INTERNAL_H
#define VEIL_KERNEL_USER_SYSCALL_FILE_INTERNAL_H

#include <stdint.h>
#include "kernel/user/file.h"
#include "kernel/user/file_buffer.h"

#define AT_FDCWD (-100)

/* The calling process's descriptor table. */
struct file_table *syscall_files(void);

/* What stat reports, from an open file or a path. */
struct syscall_stat {
	uint64_t device, inode, links, rdev, size, blocks;
	uint32_t mode;
};
/* The stat of an open file. */
void syscall_stat_of_file(struct file *file, struct syscall_stat *out);
/* Copies it to user memory as x86-64's struct stat: 0 or -EFAULT. */
long syscall_stat_to_user(const struct syscall_stat *stat, uint64_t buffer);

/* Reads / writes file through its own offset (position NULL, under the
 * file's lock) or at *position (advanced), as read and pread do: bytes
 * moved or a negative error. fd names the output stream for the
 * console. */
long syscall_file_read_at(struct file *file, struct file_buffer buffer,
			  uint64_t length, uint64_t *position);
long syscall_file_write_at(int fd, struct file *file,
			   struct file_buffer buffer, uint64_t length,
			   uint64_t *position);
/* A write's result on its way out: with -EPIPE the process is sent
 * SIGPIPE (its default action ends it; a handler runs; ignored, only the
 * error remains). */
long syscall_write_result(long result);

#endif
