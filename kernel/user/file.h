/*
 * Open files of a process: the console (stdin, stdout, stderr), and
 * read-only files of the initramfs. Descriptors index a per-process table
 * of shared open-file records (dup shares one: offset included, as POSIX
 * says).
 *
 * Locking: none. A table is touched only by its process's one thread.
 */
#ifndef VEIL_KERNEL_USER_FILE_H
#define VEIL_KERNEL_USER_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum file_kind {
	FILE_CONSOLE,		/* reads stdin's source, writes the output */
	FILE_INITRAMFS,		/* a regular file or directory, read-only */
};

struct file {
	enum file_kind kind;
	unsigned references;	/* descriptors that share it */
	bool readable, writable;
	uint32_t mode;		/* st_mode */
	const uint8_t *data;	/* FILE_INITRAMFS: the bytes */
	uint64_t size;
	uint64_t offset;
	uint64_t inode;		/* a number stable for the file */
	char path[128];		/* directories list their entries by it */
};

#define FILE_TABLE_MAX 64

struct file_table {
	struct file *files[FILE_TABLE_MAX];
	bool close_on_exec[FILE_TABLE_MAX];
};

/* Descriptors 0, 1 and 2 on the console; -ENOMEM when memory is short. */
int file_table_init(struct file_table *table);
/* Closes every descriptor. */
void file_table_release(struct file_table *table);

/* The open file of fd, or NULL (a bad descriptor). */
struct file *file_get(struct file_table *table, int fd);
/* Installs file at the lowest free descriptor >= minimum: the fd, or
 * -EMFILE. Takes a reference on success. */
int file_install(struct file_table *table, struct file *file, int minimum);
/* Closes fd: 0 or -EBADF. */
int file_close(struct file_table *table, int fd);
/* dup2/dup3: new_fd names old_fd's file (closing what it named). */
int file_duplicate_to(struct file_table *table, int old_fd, int new_fd);

/* A new open-file record (one reference is the caller's until
 * file_install takes its own: file_put after). */
struct file *file_new(enum file_kind kind);
void file_put(struct file *file);

/* fork: copy (uninitialised) gets every descriptor of table, sharing its
 * open files (a reference each) and close-on-exec flags: 0, or -EMFILE
 * with copy empty. */
int file_table_copy(struct file_table *copy, struct file_table *table);
/* execve: closes the descriptors marked close-on-exec. */
void file_table_close_on_exec(struct file_table *table);

#endif
