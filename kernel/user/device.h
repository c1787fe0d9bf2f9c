/*
 * The character devices at /dev: /dev/null (reads give the end of the
 * file, writes are taken whole and dropped) and /dev/zero (reads give
 * zero bytes, writes are dropped), as Linux's memory devices behave.
 * They have no state: an open-file record of kind FILE_DEVICE names one
 * by its device number (file->rdev).
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

/* Whether path (absolute, resolved) names one of the devices. */
bool device_exists(const char *path);
/* Fills an open-file record for path's device (kind, mode, rdev, inode):
 * 0, or -ENOENT when it names none. */
long device_lookup(const char *path, struct file *file);
/* Reads up to length bytes from the device into buffer: how many (0 for
 * /dev/null), or -EFAULT when nothing could be written. */
long device_read(const struct file *file, struct file_buffer buffer,
		 uint64_t length);
/* Writes: length, the bytes dropped unread (Linux only checks that the
 * range lies in the user half: -EFAULT otherwise). */
long device_write(const struct file *file, struct file_buffer buffer,
		  uint64_t length);

#endif
