/*
 * System calls that name files by path (syscall.h): open, stat, access,
 * the working directory, and making, removing and renaming names. A path
 * is resolved (user_path.h) against the process's working directory or a
 * directory descriptor, then goes to the RAM file system when it lies
 * under /tmp (tmpfs.h), to the devices when it is /dev or lies below it
 * (device.h), else to the read-only initramfs (writes there and in /dev
 * are -EROFS).
 */
#include <stdint.h>
#include <string.h>
#include "kernel/lib/printk.h"
#include "kernel/user/device.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/process.h"
#include "kernel/user/syscall.h"
#include "kernel/user/syscall_file_internal.h"
#include "kernel/user/tmpfs.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_errno.h"
#include "kernel/user/user_fcntl.h"
#include "kernel/user/user_path.h"

#define AT_SYMLINK_NOFOLLOW 0x100u
#define AT_REMOVEDIR 0x200u
#define AT_EMPTY_PATH 0x1000u
#define W_OK 2

/* The working directory of the calling process ("/" when unset). */
static const char *syscall_cwd(void)
{
	const char *cwd = process_current()->cwd;

	return cwd[0] ? cwd : "/";
}

/* The absolute form (out[USER_PATH_MAX]) of user_path relative to dirfd:
 * 0, or -EFAULT, -ENAMETOOLONG, -ENOENT (empty), -EBADF / -ENOTDIR for a
 * bad dirfd. */
static long syscall_path(int dirfd, uint64_t user_path, char *out)
{
	char name[USER_PATH_MAX];
	long length = user_string_from(name, user_path, sizeof(name));

	if (length < 0)
		return length;
	if (length == 0)
		return -USER_ENOENT;
	const char *base = syscall_cwd();
	if (name[0] != '/' && dirfd != AT_FDCWD) {
		struct file *directory = file_get(syscall_files(), dirfd);
		if (!directory)
			return -USER_EBADF;
		if ((directory->mode & S_IFMT) != S_IFDIR)
			return -USER_ENOTDIR;
		base = directory->path;
	}
	return user_path_resolve(base, name, out, USER_PATH_MAX);
}

static bool syscall_in_tmpfs(const char *path)
{
	return user_path_within(path, TMPFS_ROOT);
}

/* Fills an open-file record for an initramfs path: 0, -ENOENT, or -EIO
 * for a malformed archive. "/" is a directory even when the archive has
 * no entry for it. */
static long syscall_initramfs_lookup(const char *path, struct file *file)
{
	struct cpio_entry entry;

	file->kind = FILE_INITRAMFS;
	ksnprintf(file->path, sizeof(file->path), "%s", path);
	if (strcmp(path, "/") == 0) {
		file->mode = S_IFDIR | 0555;
		file->inode = 2;
		return 0;
	}
	int result = initramfs_find(path, &entry);
	if (result == CPIO_END)
		return -USER_ENOENT;
	if (result != CPIO_OK)
		return -USER_EIO;
	file->mode = entry.mode;
	file->data = entry.data;
	file->size = entry.size;
	/* Stable per file: where its bytes are in the archive. */
	file->inode = (uint64_t)(uintptr_t)entry.data;
	return 0;
}

/* Whether a path outside /tmp (in the initramfs or below /dev) names
 * something: 0, -ENOENT, -ENOTDIR (below a device), -EIO. */
static long syscall_read_only_exists(const char *path)
{
	struct file file;

	memset(&file, 0, sizeof(file));
	if (device_within(path))
		return device_lookup(path, &file);
	return syscall_initramfs_lookup(path, &file);
}

static long syscall_open_initramfs(const char *path, uint64_t flags,
				   struct file *file)
{
	long result = syscall_initramfs_lookup(path, file);
	bool directory = (file->mode & S_IFMT) == S_IFDIR;

	if (result == -USER_ENOENT && (flags & O_CREAT))
		return -USER_EROFS;
	if (result)
		return result;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		return directory ? -USER_EISDIR : -USER_EROFS;
	if ((flags & O_DIRECTORY) && !directory)
		return -USER_ENOTDIR;
	file->readable = true;
	return 0;
}

static long syscall_open_tmpfs(const char *path, uint64_t flags,
			       uint32_t mode, struct file *file)
{
	uint32_t access = flags & O_ACCMODE;
	bool write = access == O_WRONLY || access == O_RDWR;
	struct tmpfs_stat stat;

	int result = tmpfs_open(path, (uint32_t)flags, write, mode, &file->node);
	if (result)
		return result;
	file->kind = FILE_TMPFS;
	file->readable = access != O_WRONLY;
	file->writable = write;
	tmpfs_node_stat(file->node, &stat);
	file->mode = stat.mode;
	file->inode = stat.inode;
	ksnprintf(file->path, sizeof(file->path), "%s", path);
	return 0;
}

/* Below /dev: its devices in any access mode (O_CREAT and O_TRUNC do
 * nothing to a device, as on Linux), /dev itself read-only as any
 * directory; nothing can be made there (-EROFS). */
static long syscall_open_device(const char *path, uint64_t flags,
				struct file *file)
{
	uint32_t access = flags & O_ACCMODE;
	long result = device_lookup(path, file);

	if (result == -USER_ENOENT && (flags & O_CREAT))
		return -USER_EROFS;
	if (result)
		return result;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return -USER_EEXIST;
	if (device_is_directory(file)) {
		if (access != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
			return -USER_EISDIR;
	} else if (flags & O_DIRECTORY) {
		return -USER_ENOTDIR;
	}
	file->readable = access != O_WRONLY;
	file->writable = access == O_WRONLY || access == O_RDWR;
	return 0;
}

static long syscall_open_at(int dirfd, uint64_t user_path, uint64_t flags,
			    uint64_t mode)
{
	char path[USER_PATH_MAX];
	long result = syscall_path(dirfd, user_path, path);

	if (result)
		return result;
	struct file *file = file_new(FILE_INITRAMFS);
	if (!file)
		return -USER_ENOMEM;
	if (syscall_in_tmpfs(path))
		result = syscall_open_tmpfs(path, flags, (uint32_t)mode &
					    ~process_current()->umask, file);
	else if (device_within(path))
		result = syscall_open_device(path, flags, file);
	else
		result = syscall_open_initramfs(path, flags, file);
	if (result == 0) {
		file_set_status_flags(file, (uint32_t)flags &
						    (O_APPEND | O_NONBLOCK));
		result = file_install(syscall_files(), file, 0);
		if (result >= 0)
			syscall_files()->close_on_exec[result] = flags & O_CLOEXEC;
	}
	file_put(file);
	return result;
}

long syscall_open(const uint64_t a[6])
{
	return syscall_open_at(AT_FDCWD, a[0], a[1], a[2]);
}

long syscall_openat(const uint64_t a[6])
{
	return syscall_open_at((int)a[0], a[1], a[2], a[3]);
}

/* stat of an absolute path. */
static long syscall_stat_path(const char *path, struct syscall_stat *out)
{
	struct file file;

	if (syscall_in_tmpfs(path)) {
		struct tmpfs_stat stat;
		int result = tmpfs_stat(path, &stat);
		if (result)
			return result;
		memset(out, 0, sizeof(*out));
		out->device = 2;
		out->inode = stat.inode;
		out->links = stat.links;
		out->mode = stat.mode;
		out->size = stat.size;
		out->blocks = stat.blocks;
		return 0;
	}
	memset(&file, 0, sizeof(file));
	long result = device_within(path)
			      ? device_lookup(path, &file)
			      : syscall_initramfs_lookup(path, &file);
	if (result == 0)
		syscall_stat_of_file(&file, out);
	return result;
}

static long syscall_stat_at(int dirfd, uint64_t user_path, uint64_t buffer,
			    uint64_t flags)
{
	char path[USER_PATH_MAX];
	struct syscall_stat stat;

	if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -USER_EINVAL;
	if (flags & AT_EMPTY_PATH) {
		char first;
		if (user_copy_from(&first, user_path, 1) == 0 && first == '\0') {
			uint64_t fstat_arguments[6] = { (uint64_t)dirfd, buffer };
			return syscall_fstat(fstat_arguments);
		}
	}
	long result = syscall_path(dirfd, user_path, path);
	if (result == 0)
		result = syscall_stat_path(path, &stat);
	return result ? result : syscall_stat_to_user(&stat, buffer);
}

long syscall_stat(const uint64_t a[6])
{
	return syscall_stat_at(AT_FDCWD, a[0], a[1], 0);
}

long syscall_lstat(const uint64_t a[6])
{
	return syscall_stat_at(AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW);
}

long syscall_newfstatat(const uint64_t a[6])
{
	return syscall_stat_at((int)a[0], a[1], a[2], a[3]);
}

long syscall_access(const uint64_t a[6])
{
	char path[USER_PATH_MAX];
	struct syscall_stat stat;

	if (a[1] & ~7ull)
		return -USER_EINVAL;
	long result = syscall_path(AT_FDCWD, a[0], path);
	if (result == 0)
		result = syscall_stat_path(path, &stat);
	if (result)
		return result;
	return (a[1] & W_OK) && !syscall_in_tmpfs(path) && !device_exists(path)
		       ? -USER_EROFS : 0;
}

long syscall_getcwd(const uint64_t a[6])
{
	const char *cwd = syscall_cwd();
	size_t length = strlen(cwd) + 1;

	if (a[1] < length)
		return -USER_ERANGE;
	int result = user_copy_to(a[0], cwd, length);
	return result ? result : (long)length;
}

/* Makes path (absolute, a directory's) the working directory. */
static void syscall_set_cwd(const char *path)
{
	struct process *process = process_current();

	ksnprintf(process->cwd, sizeof(process->cwd), "%s", path);
}

long syscall_chdir(const uint64_t a[6])
{
	char path[USER_PATH_MAX];
	struct syscall_stat stat;
	long result = syscall_path(AT_FDCWD, a[0], path);

	if (result == 0)
		result = syscall_stat_path(path, &stat);
	if (result == 0 && (stat.mode & S_IFMT) != S_IFDIR)
		result = -USER_ENOTDIR;
	if (result == 0)
		syscall_set_cwd(path);
	return result;
}

long syscall_fchdir(const uint64_t a[6])
{
	struct file *file = file_get(syscall_files(), (int)a[0]);

	if (!file)
		return -USER_EBADF;
	if ((file->mode & S_IFMT) != S_IFDIR)
		return -USER_ENOTDIR;
	syscall_set_cwd(file->path);
	return 0;
}

/* What a change outside /tmp answers: -EEXIST when creating what exists,
 * else -EROFS when the name exists (or is to be made), or -ENOENT. */
static long syscall_read_only(const char *path, bool create)
{
	long exists = syscall_read_only_exists(path);

	if (create)
		return exists == 0 ? -USER_EEXIST : -USER_EROFS;
	return exists == 0 ? -USER_EROFS : exists;
}

static long syscall_mkdir_at(int dirfd, uint64_t user_path, uint64_t mode)
{
	char path[USER_PATH_MAX];
	long result = syscall_path(dirfd, user_path, path);

	if (result)
		return result;
	if (!syscall_in_tmpfs(path))
		return syscall_read_only(path, true);
	return tmpfs_mkdir(path, (uint32_t)mode & ~process_current()->umask);
}

long syscall_mkdir(const uint64_t a[6])
{
	return syscall_mkdir_at(AT_FDCWD, a[0], a[1]);
}

long syscall_mkdirat(const uint64_t a[6])
{
	return syscall_mkdir_at((int)a[0], a[1], a[2]);
}

static long syscall_remove_at(int dirfd, uint64_t user_path, bool directory)
{
	char path[USER_PATH_MAX];
	long result = syscall_path(dirfd, user_path, path);

	if (result)
		return result;
	if (!syscall_in_tmpfs(path))
		return syscall_read_only(path, false);
	return directory ? tmpfs_rmdir(path) : tmpfs_unlink(path);
}

long syscall_unlink(const uint64_t a[6])
{
	return syscall_remove_at(AT_FDCWD, a[0], false);
}

long syscall_rmdir(const uint64_t a[6])
{
	return syscall_remove_at(AT_FDCWD, a[0], true);
}

long syscall_unlinkat(const uint64_t a[6])
{
	if (a[2] & ~(uint64_t)AT_REMOVEDIR)
		return -USER_EINVAL;
	return syscall_remove_at((int)a[0], a[1], a[2] & AT_REMOVEDIR);
}

static long syscall_rename_at(int from_dirfd, uint64_t user_from,
			      int to_dirfd, uint64_t user_to)
{
	char from[USER_PATH_MAX], to[USER_PATH_MAX];
	long result = syscall_path(from_dirfd, user_from, from);

	if (result == 0)
		result = syscall_path(to_dirfd, user_to, to);
	if (result)
		return result;
	bool from_tmpfs = syscall_in_tmpfs(from), to_tmpfs = syscall_in_tmpfs(to);
	if (from_tmpfs && to_tmpfs)
		return tmpfs_rename(from, to);
	if (!from_tmpfs) {
		result = syscall_read_only_exists(from);
		if (result)
			return result;
		return to_tmpfs ? -USER_EXDEV : -USER_EROFS;
	}
	struct syscall_stat stat;
	result = syscall_stat_path(from, &stat);
	return result ? result : -USER_EXDEV;
}

long syscall_rename(const uint64_t a[6])
{
	return syscall_rename_at(AT_FDCWD, a[0], AT_FDCWD, a[1]);
}

long syscall_renameat(const uint64_t a[6])
{
	return syscall_rename_at((int)a[0], a[1], (int)a[2], a[3]);
}

long syscall_renameat2(const uint64_t a[6])
{
	if (a[4])
		return -USER_EINVAL;	/* RENAME_NOREPLACE and the rest */
	return syscall_rename_at((int)a[0], a[1], (int)a[2], a[3]);
}

long syscall_readlinkat(const uint64_t a[6])
{
	struct process *process = process_current();
	char path[USER_PATH_MAX];
	struct syscall_stat stat;
	long result = syscall_path((int)a[0], a[1], path);

	if (result)
		return result;
	if ((int64_t)a[3] <= 0)
		return -USER_EINVAL;
	/* The one link Veil has: the running program. */
	if (strcmp(path, "/proc/self/exe") == 0) {
		size_t size = strlen(process->path);
		size_t copied = size < a[3] ? size : a[3];
		int copy = user_copy_to(a[2], process->path, copied);
		return copy ? copy : (long)copied;
	}
	result = syscall_stat_path(path, &stat);
	return result ? result : -USER_EINVAL;	/* there, and not a link */
}

long syscall_readlink(const uint64_t a[6])
{
	const uint64_t at[6] = { (uint64_t)(int64_t)AT_FDCWD, a[0], a[1], a[2] };

	return syscall_readlinkat(at);
}
