/*
 * The RAM file system at /tmp: regular files and directories that
 * processes create at run time (the initramfs at / stays read-only).
 * Content lives in kernel memory, one kmalloc'd 4 KiB page per written
 * page of a file (holes read as zeros and take none); a file's pages go
 * when it is unlinked and no open-file record has it open any more.
 *
 * Limits: TMPFS_PAGES_MAX pages of content in all (16 MiB; more is
 * -ENOSPC), TMPFS_NODES_MAX files and directories (-ENOSPC), a file's
 * size at most TMPFS_FILE_MAX (64 MiB, -EFBIG: a sparse file may be
 * larger than the content limit), names of at most TMPFS_NAME_MAX
 * bytes (-ENAMETOOLONG). Directories cannot be renamed (-EXDEV, which
 * makes mv copy them). No symbolic or hard links, no times.
 *
 * Paths are absolute forms (user_path.h) at or below TMPFS_ROOT.
 *
 * Locking: tmpfs_lock, a mutex (held across copies to and from user
 * memory, which may sleep), protects the whole tree, every node's fields
 * and content, and the usage counts. Taken after an open-file record's
 * lock (file.h), never before it.
 */
#ifndef VEIL_KERNEL_USER_TMPFS_H
#define VEIL_KERNEL_USER_TMPFS_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/user/file_buffer.h"

#define TMPFS_ROOT "/tmp"
#define TMPFS_PAGES_MAX 4096u
#define TMPFS_NODES_MAX 1024u
#define TMPFS_FILE_MAX (64ull << 20)
#define TMPFS_NAME_MAX 127u

struct tmpfs_node;

/* What stat reports of a node. */
struct tmpfs_stat {
	uint32_t mode;
	uint64_t size, inode, links, blocks;	/* blocks of 512 bytes */
};

/* One entry of a directory, for getdents64. */
struct tmpfs_entry {
	char name[TMPFS_NAME_MAX + 1];
	uint64_t inode;
	bool directory;
};

/* Opens path (flags as open's: O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY;
 * write says the access mode writes), creating a regular file of mode
 * when asked; *out is opened until tmpfs_close. 0, or -ENOENT, -EEXIST,
 * -EISDIR, -ENOTDIR, -ENAMETOOLONG, -ENOSPC, -ENOMEM. */
int tmpfs_open(const char *path, uint32_t flags, bool write, uint32_t mode,
	       struct tmpfs_node **out);
/* Ends one open of node (freed when also unlinked). */
void tmpfs_close(struct tmpfs_node *node);

/* Reads up to length bytes at offset into buffer: how many (0 at or past
 * the end), -EISDIR, or -EFAULT. */
long tmpfs_read(struct tmpfs_node *node, struct file_buffer buffer,
		uint64_t length, uint64_t offset);
/* Writes length bytes at *offset (the end of the file when append),
 * advancing *offset: how many (short on -ENOSPC or -EFAULT after some
 * went), or -ENOSPC, -EFBIG, -EFAULT, -EISDIR. */
long tmpfs_write(struct tmpfs_node *node, struct file_buffer buffer,
		 uint64_t length, uint64_t *offset, bool append);
/* Sets the size (holes read as zeros): 0, -EFBIG, -EISDIR. */
int tmpfs_truncate(struct tmpfs_node *node, uint64_t size);
/* The size of node now. */
uint64_t tmpfs_size(struct tmpfs_node *node);

void tmpfs_node_stat(struct tmpfs_node *node, struct tmpfs_stat *out);
/* stat of a path: 0, -ENOENT, -ENOTDIR. */
int tmpfs_stat(const char *path, struct tmpfs_stat *out);
/* The position-th entry of directory node ("." and ".." first): false
 * past the last. */
bool tmpfs_directory_entry(struct tmpfs_node *node, uint64_t position,
			   struct tmpfs_entry *out);

/* 0, or -EEXIST, -ENOENT, -ENOTDIR, -ENAMETOOLONG, -ENOSPC, -ENOMEM. */
int tmpfs_mkdir(const char *path, uint32_t mode);
/* Removes a file's name: 0, -ENOENT, -ENOTDIR, -EISDIR. */
int tmpfs_unlink(const char *path);
/* Removes an empty directory: 0, -ENOENT, -ENOTDIR, -ENOTEMPTY, -EBUSY
 * (TMPFS_ROOT itself). */
int tmpfs_rmdir(const char *path);
/* Renames a regular file, replacing a file at to: 0, -ENOENT, -ENOTDIR,
 * -EISDIR (to is a directory), -EXDEV (from is a directory),
 * -ENAMETOOLONG. */
int tmpfs_rename(const char *from, const char *to);

/* Pages of content and nodes in use (the root not counted): what tests
 * check comes back to where it was. */
void tmpfs_usage(uint64_t *pages, uint64_t *nodes);

#endif
