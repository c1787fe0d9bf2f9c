/*
 * The directory /dev and its character devices, as Linux's memory
 * devices behave: /dev/null (reads give the end of the file, writes are
 * taken whole and dropped), /dev/zero (reads give zero bytes, writes are
 * dropped), /dev/full (reads give zero bytes, writes fail with -ENOSPC),
 * /dev/random and /dev/urandom (reads give bytes of the kernel's random
 * source, getrandom's, and never block; writes are read and dropped).
 * They have no state: an open-file record of kind FILE_DEVICE names one
 * by its device number (file->rdev), or /dev itself (mode S_IFDIR, rdev
 * 0): a read-only directory listing ".", ".." and the devices, in which
 * nothing can be made or removed (-EROFS).
 */
#ifndef VEIL_KERNEL_USER_DEVICE_H
#define VEIL_KERNEL_USER_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/user/file.h"
#include "kernel/user/file_buffer.h"

/* Linux's numbers (major 1, the memory devices), as st_rdev encodes them. */
#define DEVICE_NULL 0x0103u
#define DEVICE_ZERO 0x0105u
#define DEVICE_FULL 0x0107u
#define DEVICE_RANDOM 0x0108u
#define DEVICE_URANDOM 0x0109u

#define DEVICE_DIRECTORY "/dev"
/* /dev's inode number (the devices' are it plus their number). */
#define DEVICE_DIRECTORY_INODE 0x10000u

/* One entry of /dev's listing: name (constant), inode, and whether it
 * is a directory (".", "..") or a character device. */
struct device_entry {
	const char *name;
	uint64_t inode;
	bool directory;
};

/* Whether path (absolute, resolved) names one of the devices. */
bool device_exists(const char *path);
/* Whether path (absolute, resolved) is /dev or lies below it: device_lookup
 * answers for it, not the initramfs. */
bool device_within(const char *path);
/* Fills an open-file record for /dev or path's device (kind, mode, rdev,
 * inode, path): 0, -ENOTDIR when it lies below a device, or -ENOENT
 * when it names neither. */
long device_lookup(const char *path, struct file *file);
/* Whether an open FILE_DEVICE record is /dev itself. */
bool device_is_directory(const struct file *file);
/* The position-th entry of /dev ("." and ".." first, then the devices in
 * a fixed order): true and *out filled, false past the last. */
bool device_directory_entry(uint64_t position, struct device_entry *out);
/* Reads up to length bytes from the device into buffer: how many (0 for
 * /dev/null), -EFAULT when nothing could be written, -EISDIR for /dev. */
long device_read(const struct file *file, struct file_buffer buffer,
		 uint64_t length);
/* Writes: length, the bytes dropped unread (null, zero), -ENOSPC (full),
 * or the bytes read and dropped (random, urandom: how many could be
 * read, -EFAULT when none); -EFAULT for a range outside the user half,
 * which Linux checks first; -EISDIR for /dev. */
long device_write(const struct file *file, struct file_buffer buffer,
		  uint64_t length);

/* length bytes of the kernel's random source (user_random_bytes) into
 * buffer, 256 at a time, the kernel's copy wiped after: how many reached
 * buffer, -EFAULT when none did. /dev/random and /dev/urandom's reads,
 * and getrandom's. */
long device_random_read(struct file_buffer buffer, uint64_t length);

#endif
