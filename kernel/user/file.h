/*
 * Open files of a process: the console (stdin, stdout, stderr), read-only
 * files of the initramfs, pipes (pipe.h), the RAM file system at /tmp
 * (tmpfs.h) and /dev with /dev/null and /dev/zero (device.h).
 * Descriptors index a per-process table of shared open-file records
 * (dup shares one: offset included, as POSIX says; after fork the
 * parent's and the child's tables name the same records).
 *
 * Locking:
 * - A descriptor table is touched only by its process's one thread (fork
 *   copies it, from the parent's thread): no lock. A record a descriptor
 *   names stays alive during that thread's calls, since only it can close
 *   the descriptor.
 * - references of a record is atomic: tables of several processes, and
 *   calls in flight, hold it.
 * - A record's lock (a mutex: it is held across copies to and from user
 *   memory, which may sleep) protects offset; a read, write or lseek of a
 *   shared record holds it for the whole transfer, so transfers through
 *   one record do not interleave. Pipes and the console do not take it.
 * - The console's write lock (a mutex, syscall_file.c) makes each write
 *   to the console whole, as a tty's is on Linux; it is taken alone.
 * - status_flags (O_APPEND, O_NONBLOCK) are read and written with atomic
 *   loads and stores (fcntl F_SETFL may change them while another process
 *   blocks on the record).
 * - What the record points at has its own lock: pipe.h's, tmpfs.h's.
 * Order: a record's lock, then tmpfs's lock or a pipe's.
 */
#ifndef VEIL_KERNEL_USER_FILE_H
#define VEIL_KERNEL_USER_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/sched/wait.h"
#include "kernel/user/user_path.h"

struct pipe;
struct tmpfs_node;

enum file_kind {
	FILE_CONSOLE,		/* reads stdin's source, writes the output */
	FILE_INITRAMFS,		/* a regular file or directory, read-only */
	FILE_PIPE,		/* one end of a pipe (pipe.h) */
	FILE_TMPFS,		/* a file or directory under /tmp (tmpfs.h) */
	FILE_DEVICE,		/* /dev, /dev/null or /dev/zero (device.h) */
};

struct file {
	enum file_kind kind;
	/* Descriptors (of any process) and calls that hold it: atomic, so
	 * ++ and -- are atomic read-modify-writes. */
	_Atomic unsigned references;
	bool readable, writable;	/* set at open, then constant */
	uint32_t status_flags;	/* O_APPEND, O_NONBLOCK: atomic accesses */
	uint32_t mode;		/* st_mode (constant) */
	const uint8_t *data;	/* FILE_INITRAMFS: the bytes */
	uint64_t size;		/* FILE_INITRAMFS */
	struct mutex lock;	/* protects offset */
	uint64_t offset;
	uint64_t inode;		/* a number stable for the file */
	uint32_t rdev;		/* FILE_DEVICE: which (device.h) */
	struct pipe *pipe;	/* FILE_PIPE: the end's pipe */
	struct tmpfs_node *node;	/* FILE_TMPFS: the file (one open of it) */
	char path[USER_PATH_MAX];	/* directories: their absolute form */
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
/* Drops a reference; the last one closes the pipe end or the tmpfs
 * open and frees the record. */
void file_put(struct file *file);
/* The status flags (O_APPEND, O_NONBLOCK) of file, and setting them. */
uint32_t file_status_flags(const struct file *file);
void file_set_status_flags(struct file *file, uint32_t flags);

/* fork: copy (uninitialised) gets every descriptor of table, sharing its
 * open files (a reference each) and close-on-exec flags: 0, or -EMFILE
 * with copy empty. */
int file_table_copy(struct file_table *copy, struct file_table *table);
/* execve: closes the descriptors marked close-on-exec. */
void file_table_close_on_exec(struct file_table *table);

#endif
