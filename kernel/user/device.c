/*
 * /dev, /dev/null and /dev/zero (device.h): a name table, the directory's
 * listing and the two transfers. No locking: the devices have no state
 * and the table is constant.
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
#define DEVICE_ZERO_CHUNK 256u

static const struct device_name {
	const char *path;
	uint32_t rdev;
} device_names[] = {
	{ DEVICE_DIRECTORY "/null", DEVICE_NULL },
	{ DEVICE_DIRECTORY "/zero", DEVICE_ZERO },
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

long device_read(const struct file *file, struct file_buffer buffer,
		 uint64_t length)
{
	static const uint8_t zeros[DEVICE_ZERO_CHUNK];
	uint64_t done = 0;

	if (device_is_directory(file))
		return -USER_EISDIR;
	if (file->rdev != DEVICE_ZERO)
		return 0;
	while (done < length) {
		size_t step = length - done < sizeof(zeros) ? length - done
							    : sizeof(zeros);
		if (file_buffer_to(buffer, done, zeros, step))
			return done ? (long)done : -USER_EFAULT;
		done += step;
	}
	return (long)done;
}

long device_write(const struct file *file, struct file_buffer buffer,
		  uint64_t length)
{
	uint64_t limit = user_address_limit();

	(void)file;
	if (!buffer.kernel &&
	    (buffer.user > limit || length > limit - buffer.user))
		return -USER_EFAULT;
	return (long)length;
}
