/*
 * /dev and its devices (device.h): a name table whose rows carry each
 * device's transfers (an ops table: null, zero, full, random), the
 * directory's listing, and the read and write that call through a row.
 * No locking: the devices have no state and the table is constant (the
 * random source locks itself).
 */
#include <stdint.h>
#include <string.h>
#include "kernel/lib/printk.h"
#include "kernel/user/device.h"
#include "kernel/user/user_cpu.h"
#include "kernel/user/user_errno.h"
#include "kernel/user/user_fcntl.h"
#include "kernel/user/user_path.h"

#define DEVICE_MODE (S_IFCHR | 0666u)
#define DEVICE_DIRECTORY_MODE (S_IFDIR | 0755u)
#define DEVICE_ROOT_INODE 2u	/* "/" (syscall_path.c) */
#define DEVICE_CHUNK 256u	/* bytes made on the stack at a time */

/* Reads: the end of the file. */
static long device_read_end(struct file_buffer buffer, uint64_t length)
{
	(void)buffer;
	(void)length;
	return 0;
}

/* Reads: length bytes from fill, DEVICE_CHUNK at a time (fill may be
 * NULL: zeros); how many reached buffer, -EFAULT when none did. */
static long device_read_filled(struct file_buffer buffer, uint64_t length,
			       void (*fill)(void *bytes, size_t length))
{
	uint8_t chunk[DEVICE_CHUNK];
	uint64_t done = 0;
	long result = 0;

	memset(chunk, 0, sizeof(chunk));
	while (done < length) {
		size_t step = length - done < sizeof(chunk) ? length - done
							    : sizeof(chunk);
		if (fill)
			fill(chunk, step);
		if (file_buffer_to(buffer, done, chunk, step)) {
			result = done ? 0 : -USER_EFAULT;
			break;
		}
		done += step;
	}
	if (fill)
		memset(chunk, 0, sizeof(chunk));	/* leave no random bytes behind */
	return result ? result : (long)done;
}

static long device_read_zeros(struct file_buffer buffer, uint64_t length)
{
	return device_read_filled(buffer, length, NULL);
}

long device_random_read(struct file_buffer buffer, uint64_t length)
{
	return device_read_filled(buffer, length, user_random_bytes);
}

/* Whether a write's range lies outside the user half (Linux checks that
 * much before the device sees the bytes: -EFAULT). */
static bool device_write_outside(struct file_buffer buffer, uint64_t length)
{
	uint64_t limit = user_address_limit();

	return !buffer.kernel &&
	       (buffer.user > limit || length > limit - buffer.user);
}

/* Writes: taken whole, the bytes dropped unread. */
static long device_write_drop(struct file_buffer buffer, uint64_t length)
{
	return device_write_outside(buffer, length) ? -USER_EFAULT
						    : (long)length;
}

/* Writes: the device is always full. */
static long device_write_full(struct file_buffer buffer, uint64_t length)
{
	return device_write_outside(buffer, length) ? -USER_EFAULT
						    : -USER_ENOSPC;
}

/* Writes: the bytes are read (a bad pointer stops the write as it does
 * on Linux, which mixes them into its pool) and dropped: Veil's random
 * source takes no input from programs. */
static long device_write_read_and_drop(struct file_buffer buffer,
				       uint64_t length)
{
	uint8_t chunk[DEVICE_CHUNK];
	uint64_t done = 0;

	if (device_write_outside(buffer, length))
		return -USER_EFAULT;
	while (done < length) {
		size_t step = length - done < sizeof(chunk) ? length - done
							    : sizeof(chunk);
		if (file_buffer_from(chunk, buffer, done, step))
			return done ? (long)done : -USER_EFAULT;
		done += step;
	}
	return (long)done;
}

/* A device's transfers (its row of the table). */
struct device_ops {
	long (*read)(struct file_buffer buffer, uint64_t length);
	long (*write)(struct file_buffer buffer, uint64_t length);
};

static const struct device_ops device_null_ops = {
	.read = device_read_end, .write = device_write_drop,
};
static const struct device_ops device_zero_ops = {
	.read = device_read_zeros, .write = device_write_drop,
};
static const struct device_ops device_full_ops = {
	.read = device_read_zeros, .write = device_write_full,
};
/* /dev/random as /dev/urandom: the source never runs dry (as on Linux
 * since 5.6 once its generator is seeded). */
static const struct device_ops device_random_ops = {
	.read = device_random_read, .write = device_write_read_and_drop,
};

static const struct device_name {
	const char *path;
	uint32_t rdev;
	const struct device_ops *ops;
} device_names[] = {
	{ DEVICE_DIRECTORY "/null", DEVICE_NULL, &device_null_ops },
	{ DEVICE_DIRECTORY "/zero", DEVICE_ZERO, &device_zero_ops },
	{ DEVICE_DIRECTORY "/full", DEVICE_FULL, &device_full_ops },
	{ DEVICE_DIRECTORY "/random", DEVICE_RANDOM, &device_random_ops },
	{ DEVICE_DIRECTORY "/urandom", DEVICE_URANDOM, &device_random_ops },
};
#define DEVICE_COUNT (sizeof(device_names) / sizeof(device_names[0]))

/* The table's entry for path, or NULL. */
static const struct device_name *device_find(const char *path)
{
	for (size_t i = 0; i < DEVICE_COUNT; i++)
		if (strcmp(device_names[i].path, path) == 0)
			return &device_names[i];
	return NULL;
}

bool device_exists(const char *path)
{
	return device_find(path) != NULL;
}

/* Whether path lies below one of the devices ("/dev/null/x"), which
 * Linux's walk refuses with -ENOTDIR. */
static bool device_below_one(const char *path)
{
	for (size_t i = 0; i < DEVICE_COUNT; i++)
		if (user_path_within(path, device_names[i].path))
			return true;
	return false;
}

bool device_within(const char *path)
{
	return user_path_within(path, DEVICE_DIRECTORY);
}

long device_lookup(const char *path, struct file *file)
{
	const struct device_name *name = device_find(path);

	file->kind = FILE_DEVICE;
	ksnprintf(file->path, sizeof(file->path), "%s", path);
	if (strcmp(path, DEVICE_DIRECTORY) == 0) {
		file->mode = DEVICE_DIRECTORY_MODE;
		file->rdev = 0;
		file->inode = DEVICE_DIRECTORY_INODE;
		return 0;
	}
	if (!name)
		return device_below_one(path) ? -USER_ENOTDIR : -USER_ENOENT;
	file->mode = DEVICE_MODE;
	file->rdev = name->rdev;
	file->inode = DEVICE_DIRECTORY_INODE + name->rdev;	/* apart from others' */
	return 0;
}

bool device_is_directory(const struct file *file)
{
	return (file->mode & S_IFMT) == S_IFDIR;
}

bool device_directory_entry(uint64_t position, struct device_entry *out)
{
	if (position < 2) {
		out->name = position == 0 ? "." : "..";
		out->inode = position == 0 ? DEVICE_DIRECTORY_INODE
					   : DEVICE_ROOT_INODE;
		out->directory = true;
		return true;
	}
	if (position - 2 >= DEVICE_COUNT)
		return false;
	const struct device_name *name = &device_names[position - 2];
	out->name = user_path_last(name->path);
	out->inode = DEVICE_DIRECTORY_INODE + name->rdev;
	out->directory = false;
	return true;
}

/* The table's row for an open device's number, or NULL. */
static const struct device_name *device_of(const struct file *file)
{
	for (size_t i = 0; i < DEVICE_COUNT; i++)
		if (device_names[i].rdev == file->rdev)
			return &device_names[i];
	return NULL;
}

long device_read(const struct file *file, struct file_buffer buffer,
		 uint64_t length)
{
	const struct device_name *device = device_of(file);

	if (device_is_directory(file))
		return -USER_EISDIR;
	return device ? device->ops->read(buffer, length) : -USER_EINVAL;
}

long device_write(const struct file *file, struct file_buffer buffer,
		  uint64_t length)
{
	const struct device_name *device = device_of(file);

	if (device_is_directory(file))
		return -USER_EISDIR;
	return device ? device->ops->write(buffer, length) : -USER_EINVAL;
}
