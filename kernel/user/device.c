/*
 * /dev/null and /dev/zero (device.h): a name table and the two
 * transfers. No locking: the devices have no state.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/lib/printk.h"
#include "kernel/user/device.h"
#include "kernel/user/user_cpu.h"
#include "kernel/user/user_errno.h"
#include "kernel/user/user_fcntl.h"

#define DEVICE_MODE (S_IFCHR | 0666u)
#define DEVICE_ZERO_CHUNK 256u

static const struct device_name {
	const char *path;
	uint32_t rdev;
} device_names[] = {
	{ "/dev/null", DEVICE_NULL },
	{ "/dev/zero", DEVICE_ZERO },
};

/* The table's entry for path, or NULL. */
static const struct device_name *device_find(const char *path)
{
	size_t count = sizeof(device_names) / sizeof(device_names[0]);

	for (size_t i = 0; i < count; i++)
		if (strcmp(device_names[i].path, path) == 0)
			return &device_names[i];
	return NULL;
}

bool device_exists(const char *path)
{
	return device_find(path) != NULL;
}

long device_lookup(const char *path, struct file *file)
{
	const struct device_name *name = device_find(path);

	if (!name)
		return -USER_ENOENT;
	file->kind = FILE_DEVICE;
	file->mode = DEVICE_MODE;
	file->rdev = name->rdev;
	file->inode = 0x10000u + name->rdev;	/* apart from others' */
	ksnprintf(file->path, sizeof(file->path), "%s", path);
	return 0;
}

long device_read(const struct file *file, struct file_buffer buffer,
		 uint64_t length)
{
	static const uint8_t zeros[DEVICE_ZERO_CHUNK];
	uint64_t done = 0;

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
