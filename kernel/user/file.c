/*
 * Descriptor tables and open-file records (file.h).
 */
#include <stddef.h>
#include <string.h>
#include "kernel/user/file.h"
#include "kernel/user/pipe.h"
#include "kernel/user/tmpfs.h"
#include "kernel/user/user_errno.h"
#include "mm/slab.h"

struct file *file_new(enum file_kind kind)
{
	struct file *file = kmalloc(sizeof(*file));

	if (!file)
		return NULL;
	memset(file, 0, sizeof(*file));
	file->kind = kind;
	file->references = 1;
	mutex_init(&file->lock, "file");
	return file;
}

void file_put(struct file *file)
{
	if (!file || --file->references != 0)
		return;
	if (file->kind == FILE_PIPE && file->pipe)
		pipe_end_close(file->pipe, file->writable);
	if (file->kind == FILE_TMPFS && file->node)
		tmpfs_close(file->node);
	kfree(file);
}

uint32_t file_status_flags(const struct file *file)
{
	return __atomic_load_n(&file->status_flags, __ATOMIC_RELAXED);
}

void file_set_status_flags(struct file *file, uint32_t flags)
{
	__atomic_store_n(&file->status_flags, flags, __ATOMIC_RELAXED);
}

int file_table_init(struct file_table *table)
{
	memset(table, 0, sizeof(*table));
	struct file *console = file_new(FILE_CONSOLE);
	if (!console)
		return -USER_ENOMEM;
	console->readable = console->writable = true;
	console->mode = 0020620;	/* a character device, rw--w---- */
	console->inode = 1;
	for (int fd = 0; fd < 3; fd++)
		file_install(table, console, fd);
	file_put(console);
	return 0;
}

void file_table_release(struct file_table *table)
{
	for (int fd = 0; fd < FILE_TABLE_MAX; fd++)
		file_close(table, fd);
}

struct file *file_get(struct file_table *table, int fd)
{
	if (fd < 0 || fd >= FILE_TABLE_MAX)
		return NULL;
	return table->files[fd];
}

int file_install(struct file_table *table, struct file *file, int minimum)
{
	for (int fd = minimum < 0 ? 0 : minimum; fd < FILE_TABLE_MAX; fd++) {
		if (!table->files[fd]) {
			table->files[fd] = file;
			table->close_on_exec[fd] = false;
			file->references++;
			return fd;
		}
	}
	return -USER_EMFILE;
}

int file_close(struct file_table *table, int fd)
{
	struct file *file = file_get(table, fd);

	if (!file)
		return -USER_EBADF;
	table->files[fd] = NULL;
	file_put(file);
	return 0;
}

int file_duplicate_to(struct file_table *table, int old_fd, int new_fd)
{
	struct file *file = file_get(table, old_fd);

	if (!file || new_fd < 0 || new_fd >= FILE_TABLE_MAX)
		return -USER_EBADF;
	if (old_fd == new_fd)
		return new_fd;
	file_close(table, new_fd);
	table->files[new_fd] = file;
	table->close_on_exec[new_fd] = false;
	file->references++;
	return new_fd;
}

int file_table_copy(struct file_table *copy, struct file_table *table)
{
	memset(copy, 0, sizeof(*copy));
	for (int fd = 0; fd < FILE_TABLE_MAX; fd++) {
		struct file *file = file_get(table, fd);
		if (!file)
			continue;
		/* file_install takes the reference: the lowest free fd >= fd
		 * is fd itself in a copy filled in order. */
		if (file_install(copy, file, fd) != fd) {
			file_table_release(copy);
			return -USER_EMFILE;
		}
		copy->close_on_exec[fd] = table->close_on_exec[fd];
	}
	return 0;
}

void file_table_close_on_exec(struct file_table *table)
{
	for (int fd = 0; fd < FILE_TABLE_MAX; fd++) {
		if (table->files[fd] && table->close_on_exec[fd])
			file_close(table, fd);
	}
}
