/*
 * System calls on descriptors and paths (syscall.h): the console and the
 * initramfs's read-only files. Paths are absolute or relative to "/"
 * (the only working directory for now).
 */
#include <stdint.h>
#include <string.h>
#include "kernel/console.h"
#include "kernel/lib/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/process.h"
#include "kernel/user/syscall.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_errno.h"

#define O_ACCMODE 3u
#define O_WRONLY 1u
#define O_RDWR 2u
#define O_CREAT 0x40u
#define O_TRUNC 0x200u
#define O_DIRECTORY 0x10000u
#define O_CLOEXEC 0x80000u
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100u
#define AT_EMPTY_PATH 0x1000u
#define S_IFMT 0170000u
#define S_IFDIR 0040000u
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1
#define TCGETS 0x5401u
#define TCSETS 0x5402u
#define TCSETSW 0x5403u
#define TCSETSF 0x5404u
#define TIOCGWINSZ 0x5413u
#define IOV_MAX 1024
#define IO_CHUNK 512u
#define PATH_MAX 4096u
#define W_OK 2

static struct file_table *syscall_files(void)
{
	return &process_current()->files;
}

/* One byte of stdin: the process's given input, else the console
 * (waiting for a key when wait). -1 at the end of given input, or when
 * no key is waiting and wait is false. */
static int syscall_console_byte(struct process *process, struct file *file,
				bool wait)
{
	const struct process_input *input = &process->input;

	if (input->bytes) {
		if (file->offset >= input->length)
			return -1;
		return (unsigned char)input->bytes[file->offset++];
	}
	for (;;) {
		int c = console_getc();
		if (c >= 0)
			return c == '\r' ? '\n' : c;
		if (!wait)
			return -1;
		thread_sleep_ms(10);
	}
}

/* Reads the console: at least one byte (blocking), up to a newline. */
static long syscall_console_read(struct file *file, uint64_t buffer,
				 uint64_t length)
{
	struct process *process = process_current();
	char bytes[IO_CHUNK];
	uint64_t count = 0;

	if (length == 0)
		return 0;
	while (count < length && count < sizeof(bytes)) {
		int c = syscall_console_byte(process, file, count == 0);
		if (c < 0)
			break;
		bytes[count++] = (char)c;
		if (c == '\n')
			break;
	}
	int result = user_copy_to(buffer, bytes, count);
	return result ? result : (long)count;
}

/* Writes to the process's output (its sink, or the console). */
static long syscall_console_write(int fd, uint64_t buffer, uint64_t length)
{
	struct process *process = process_current();
	char bytes[IO_CHUNK];
	uint64_t done = 0;

	while (done < length) {
		size_t step = length - done < sizeof(bytes) ? length - done
							    : sizeof(bytes);
		int result = user_copy_from(bytes, buffer + done, step);
		if (result)
			return done ? (long)done : result;
		if (process->output)
			process->output(process->output_context, fd, bytes, step);
		else
			printk_bytes(bytes, step);
		done += step;
	}
	return (long)done;
}

/* Reads from an initramfs file at *offset. */
static long syscall_file_read(struct file *file, uint64_t buffer,
			      uint64_t length, uint64_t *offset)
{
	if ((file->mode & S_IFMT) == S_IFDIR)
		return -USER_EISDIR;
	if (*offset >= file->size || length == 0)
		return 0;
	uint64_t bytes = file->size - *offset < length ? file->size - *offset
						       : length;
	int result = user_copy_to(buffer, file->data + *offset, bytes);
	if (result)
		return result;
	*offset += bytes;
	return (long)bytes;
}

static long syscall_read_file(int fd, uint64_t buffer, uint64_t length)
{
	struct file *file = file_get(syscall_files(), fd);

	if (!file || !file->readable)
		return -USER_EBADF;
	if (length > INT64_MAX)
		return -USER_EINVAL;
	if (file->kind == FILE_CONSOLE)
		return syscall_console_read(file, buffer, length);
	return syscall_file_read(file, buffer, length, &file->offset);
}

static long syscall_write_file(int fd, uint64_t buffer, uint64_t length)
{
	struct file *file = file_get(syscall_files(), fd);

	if (!file || !file->writable)
		return -USER_EBADF;
	if (length > INT64_MAX)
		return -USER_EINVAL;
	return syscall_console_write(fd, buffer, length);
}

long syscall_read(const uint64_t a[6])
{
	return syscall_read_file((int)a[0], a[1], a[2]);
}

long syscall_write(const uint64_t a[6])
{
	return syscall_write_file((int)a[0], a[1], a[2]);
}

long syscall_pread64(const uint64_t a[6])
{
	struct file *file = file_get(syscall_files(), (int)a[0]);
	uint64_t offset = a[3];

	if (!file || !file->readable)
		return -USER_EBADF;
	if (file->kind == FILE_CONSOLE)
		return -USER_ESPIPE;
	if ((int64_t)offset < 0 || a[2] > INT64_MAX)
		return -USER_EINVAL;
	return syscall_file_read(file, a[1], a[2], &offset);
}

/* readv and writev: each iovec in turn, stopping at a short transfer. */
static long syscall_vector(const uint64_t a[6], bool write)
{
	int64_t count = (int64_t)a[2];
	uint64_t total = 0;

	if (!file_get(syscall_files(), (int)a[0]))
		return -USER_EBADF;
	if (count < 0 || count > IOV_MAX)
		return -USER_EINVAL;
	for (int64_t i = 0; i < count; i++) {
		uint64_t iov[2];
		int result = user_copy_from(iov, a[1] + (uint64_t)i * 16, 16);
		if (result)
			return total ? (long)total : result;
		if (iov[1] > INT64_MAX - total)
			return total ? (long)total : -USER_EINVAL;
		if (iov[1] == 0)
			continue;
		long done = write ? syscall_write_file((int)a[0], iov[0], iov[1])
				  : syscall_read_file((int)a[0], iov[0], iov[1]);
		if (done < 0)
			return total ? (long)total : done;
		total += (uint64_t)done;
		if ((uint64_t)done < iov[1])
			break;
	}
	return (long)total;
}

long syscall_readv(const uint64_t a[6])
{
	return syscall_vector(a, false);
}

long syscall_writev(const uint64_t a[6])
{
	return syscall_vector(a, true);
}

/* The absolute path of user_path relative to dirfd: 0, or -EFAULT,
 * -ENAMETOOLONG, -ENOENT (empty), -EBADF / -ENOTDIR for a bad dirfd. */
static long syscall_path(int dirfd, uint64_t user_path, char *path,
			 size_t size)
{
	char name[256];
	long length = user_string_from(name, user_path, sizeof(name));

	if (length < 0)
		return length;
	if (length == 0)
		return -USER_ENOENT;
	if (name[0] == '/') {
		ksnprintf(path, size, "%s", name);
		return 0;
	}
	const char *base = "";
	if (dirfd != AT_FDCWD) {
		struct file *directory = file_get(syscall_files(), dirfd);
		if (!directory)
			return -USER_EBADF;
		if ((directory->mode & S_IFMT) != S_IFDIR)
			return -USER_ENOTDIR;
		base = directory->path;
	}
	if (ksnprintf(path, size, "%s/%s", base, name) >= (int)size)
		return -USER_ENAMETOOLONG;
	return 0;
}

/* path without empty or "." components, as "/a/b" ("" for the root):
 * what directories compare their entries' names with. */
static void syscall_path_normal(char *out, size_t size, const char *path)
{
	size_t used = 0;

	out[0] = '\0';
	while (*path) {
		while (*path == '/')
			path++;
		const char *end = path;
		while (*end && *end != '/')
			end++;
		size_t length = (size_t)(end - path);
		bool skip = length == 0 || (length == 1 && path[0] == '.');
		if (!skip && used + length + 2 <= size) {
			out[used++] = '/';
			memcpy(out + used, path, length);
			used += length;
			out[used] = '\0';
		}
		path = end;
	}
}

/* Fills an open-file record for path: 0, -ENOENT, or -EIO for a
 * malformed archive. "/" is a directory even when the archive has no
 * entry for it. */
static long syscall_lookup(const char *path, struct file *file)
{
	struct cpio_entry entry;
	bool root = true;

	for (const char *p = path; *p; p++)
		root = root && (*p == '/' || *p == '.');
	syscall_path_normal(file->path, sizeof(file->path), root ? "" : path);
	if (root) {
		file->mode = S_IFDIR | 0555;
		file->inode = 2;
		return 0;
	}
	int result = initramfs_find(path, &entry);
	if (result == CPIO_END)
		return -USER_ENOENT;
	if (result != CPIO_OK)
		return -USER_EIO;
	file->kind = FILE_INITRAMFS;
	file->mode = entry.mode;
	file->data = entry.data;
	file->size = entry.size;
	/* Stable per file: where its bytes are in the archive. */
	file->inode = (uint64_t)(uintptr_t)entry.data;
	return 0;
}

static long syscall_open_at(int dirfd, uint64_t user_path, uint64_t flags)
{
	char path[PATH_MAX < 512 ? PATH_MAX : 512];
	long result = syscall_path(dirfd, user_path, path, sizeof(path));

	if (result)
		return result;
	struct file *file = file_new(FILE_INITRAMFS);
	if (!file)
		return -USER_ENOMEM;
	result = syscall_lookup(path, file);
	if (result == -USER_ENOENT && (flags & O_CREAT))
		result = -USER_EROFS;	/* no writable file system yet */
	else if (result == 0 && ((flags & O_ACCMODE) != 0 || (flags & O_TRUNC)))
		result = (file->mode & S_IFMT) == S_IFDIR ? -USER_EISDIR
							   : -USER_EROFS;
	else if (result == 0 && (flags & O_DIRECTORY) &&
		 (file->mode & S_IFMT) != S_IFDIR)
		result = -USER_ENOTDIR;
	if (result == 0) {
		file->readable = true;
		result = file_install(syscall_files(), file, 0);
		if (result >= 0)
			syscall_files()->close_on_exec[result] = flags & O_CLOEXEC;
	}
	file_put(file);
	return result;
}

long syscall_open(const uint64_t a[6])
{
	return syscall_open_at(AT_FDCWD, a[0], a[1]);
}

long syscall_openat(const uint64_t a[6])
{
	return syscall_open_at((int)a[0], a[1], a[2]);
}

long syscall_close(const uint64_t a[6])
{
	return file_close(syscall_files(), (int)a[0]);
}

long syscall_lseek(const uint64_t a[6])
{
	struct file *file = file_get(syscall_files(), (int)a[0]);
	int64_t offset = (int64_t)a[1], base;

	if (!file)
		return -USER_EBADF;
	if (file->kind == FILE_CONSOLE)
		return -USER_ESPIPE;
	switch (a[2]) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)file->offset; break;
	case SEEK_END: base = (int64_t)file->size; break;
	default: return -USER_EINVAL;
	}
	if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0)
		return -USER_EINVAL;
	file->offset = (uint64_t)(base + offset);
	return (long)file->offset;
}

/* struct stat of x86-64 Linux (144 bytes). */
struct user_stat {
	uint64_t dev, inode, links;
	uint32_t mode, uid, gid, pad;
	uint64_t rdev;
	int64_t size, block_size, blocks;
	int64_t times[6];
	int64_t reserved[3];
};
_Static_assert(sizeof(struct user_stat) == 144, "struct stat of x86-64");

static long syscall_stat_to_user(const struct file *file, uint64_t buffer)
{
	struct user_stat stat;

	memset(&stat, 0, sizeof(stat));
	stat.dev = file->kind == FILE_CONSOLE ? 5 : 1;
	stat.inode = file->inode;
	stat.links = 1;
	stat.mode = file->mode;
	if (file->kind == FILE_CONSOLE && process_current()->stdio_is_pipe)
		stat.mode = 0010600;	/* a FIFO, as a piped program sees */
	stat.rdev = file->kind == FILE_CONSOLE ? 0x0401 : 0;	/* tty1-like */
	stat.size = (int64_t)file->size;
	stat.block_size = 4096;
	stat.blocks = (int64_t)((file->size + 511) / 512);
	return user_copy_to(buffer, &stat, sizeof(stat));
}

long syscall_fstat(const uint64_t a[6])
{
	struct file *file = file_get(syscall_files(), (int)a[0]);

	if (!file)
		return -USER_EBADF;
	return syscall_stat_to_user(file, a[1]);
}

static long syscall_stat_at(int dirfd, uint64_t user_path, uint64_t buffer,
			    uint64_t flags)
{
	char path[512];
	struct file file;

	if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -USER_EINVAL;
	if (flags & AT_EMPTY_PATH) {
		char first;
		if (user_copy_from(&first, user_path, 1) == 0 && first == '\0') {
			uint64_t fstat_arguments[6] = { (uint64_t)dirfd, buffer };
			return syscall_fstat(fstat_arguments);
		}
	}
	long result = syscall_path(dirfd, user_path, path, sizeof(path));
	if (result)
		return result;
	memset(&file, 0, sizeof(file));
	result = syscall_lookup(path, &file);
	if (result)
		return result;
	return syscall_stat_to_user(&file, buffer);
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
	char path[512];
	struct file file;

	if (a[1] & ~7ull)
		return -USER_EINVAL;
	long result = syscall_path(AT_FDCWD, a[0], path, sizeof(path));
	if (result)
		return result;
	memset(&file, 0, sizeof(file));
	result = syscall_lookup(path, &file);
	if (result)
		return result;
	return (a[1] & W_OK) ? -USER_EROFS : 0;
}

/* struct termios as the kernel's TCGETS fills it (36 bytes used). */
static long syscall_console_termios(uint64_t buffer)
{
	uint8_t termios[36];
	uint32_t flags[4] = {
		0x0500,		/* ICRNL | IXON */
		0x0005,		/* OPOST | ONLCR */
		0x00bf,		/* B38400 | CS8 | CREAD */
		0x8a3b,		/* ISIG | ICANON | ECHO | ECHOE | ECHOK | IEXTEN ... */
	};

	memset(termios, 0, sizeof(termios));
	memcpy(termios, flags, sizeof(flags));
	termios[17 + 0] = 3;	/* VINTR: ^C */
	termios[17 + 2] = 127;	/* VERASE */
	termios[17 + 4] = 4;	/* VEOF: ^D */
	termios[17 + 6] = 1;	/* VMIN */
	return user_copy_to(buffer, termios, sizeof(termios));
}

long syscall_ioctl(const uint64_t a[6])
{
	struct file *file = file_get(syscall_files(), (int)a[0]);
	uint16_t window[4] = { 24, 80, 0, 0 };	/* rows, columns */

	if (!file)
		return -USER_EBADF;
	if (file->kind != FILE_CONSOLE || process_current()->stdio_is_pipe)
		return -USER_ENOTTY;
	switch (a[1]) {
	case TCGETS:
		return syscall_console_termios(a[2]);
	case TCSETS: case TCSETSW: case TCSETSF: {
		uint8_t termios[36];
		/* Accepted: the console does no line editing for processes
		 * (bytes reach them as typed), raw mode or not. */
		return user_copy_from(termios, a[2], sizeof(termios));
	}
	case TIOCGWINSZ:
		return user_copy_to(a[2], window, sizeof(window));
	}
	return -USER_ENOTTY;
}

long syscall_fcntl(const uint64_t a[6])
{
	struct file_table *files = syscall_files();
	int fd = (int)a[0];
	struct file *file = file_get(files, fd);

	if (!file)
		return -USER_EBADF;
	switch (a[1]) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC: {
		if ((int64_t)a[2] < 0 || a[2] >= FILE_TABLE_MAX)
			return -USER_EINVAL;
		int new_fd = file_install(files, file, (int)a[2]);
		if (new_fd >= 0)
			files->close_on_exec[new_fd] = a[1] == F_DUPFD_CLOEXEC;
		return new_fd;
	}
	case F_GETFD:
		return files->close_on_exec[fd] ? FD_CLOEXEC : 0;
	case F_SETFD:
		files->close_on_exec[fd] = a[2] & FD_CLOEXEC;
		return 0;
	case F_GETFL:
		return file->writable ? (file->readable ? O_RDWR : O_WRONLY) : 0;
	case F_SETFL:
		return 0;	/* O_APPEND, O_NONBLOCK: nothing here blocks long */
	}
	return -USER_EINVAL;
}

long syscall_dup(const uint64_t a[6])
{
	struct file *file = file_get(syscall_files(), (int)a[0]);

	if (!file)
		return -USER_EBADF;
	return file_install(syscall_files(), file, 0);
}

long syscall_dup2(const uint64_t a[6])
{
	return file_duplicate_to(syscall_files(), (int)a[0], (int)a[1]);
}

long syscall_dup3(const uint64_t a[6])
{
	if (a[0] == a[1] || (a[2] & ~(uint64_t)O_CLOEXEC))
		return -USER_EINVAL;
	long result = file_duplicate_to(syscall_files(), (int)a[0], (int)a[1]);
	if (result >= 0)
		syscall_files()->close_on_exec[result] = a[2] & O_CLOEXEC;
	return result;
}

long syscall_getcwd(const uint64_t a[6])
{
	if (a[1] < 2)
		return -USER_ERANGE;
	int result = user_copy_to(a[0], "/", 2);
	return result ? result : 2;
}

/* A directory's next entry of the archive (its index in *position). */
struct syscall_directory_entry {
	const char *name;
	size_t length;
	uint64_t inode;
	unsigned char type;
};

#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10

/* Whether entry (archive name, no leading '/') is directly in the
 * directory whose path (no leading '/', "" for the root) is given; the
 * child's name then starts at *child. */
static bool syscall_directory_has(const char *directory,
				  const struct cpio_entry *entry,
				  const char **child, size_t *child_length)
{
	const char *name = entry->name;
	size_t length = entry->name_length;
	size_t prefix = strlen(directory);

	while (length >= 2 && name[0] == '.' && name[1] == '/') {
		name += 2;
		length -= 2;
	}
	if (prefix) {
		if (length <= prefix + 1 || memcmp(name, directory, prefix) != 0 ||
		    name[prefix] != '/')
			return false;
		name += prefix + 1;
		length -= prefix + 1;
	}
	if (length == 0 || (length == 1 && name[0] == '.'))
		return false;
	for (size_t i = 0; i < length; i++) {
		if (name[i] == '/')
			return false;	/* deeper down */
	}
	*child = name;
	*child_length = length;
	return true;
}

/* The position-th entry of directory ("." and ".." first): false past
 * the last. */
static bool syscall_directory_entry(const char *directory, uint64_t position,
				    struct syscall_directory_entry *out)
{
	const void *archive;
	size_t size;
	struct cpio_cursor cursor;
	struct cpio_entry entry;
	uint64_t index = 2;

	if (position < 2) {
		out->name = position == 0 ? "." : "..";
		out->length = position + 1;
		out->inode = position + 2;
		out->type = DT_DIR;
		return true;
	}
	initramfs_archive(&archive, &size);
	cpio_cursor_init(&cursor, archive, size);
	while (cpio_next(&cursor, &entry) == CPIO_OK) {
		if (!syscall_directory_has(directory, &entry, &out->name,
					   &out->length) || index++ != position)
			continue;
		out->inode = (uint64_t)(uintptr_t)entry.data;
		out->type = (entry.mode & S_IFMT) == S_IFDIR ? DT_DIR :
			    (entry.mode & S_IFMT) == 0120000u ? DT_LNK : DT_REG;
		return true;
	}
	return false;
}

long syscall_getdents64(const uint64_t a[6])
{
	struct file *file = file_get(syscall_files(), (int)a[0]);
	struct syscall_directory_entry entry;
	uint8_t record[280];
	uint64_t done = 0;

	if (!file)
		return -USER_EBADF;
	if ((file->mode & S_IFMT) != S_IFDIR)
		return -USER_ENOTDIR;
	const char *directory = file->path[0] == '/' ? file->path + 1 : file->path;
	while (syscall_directory_entry(directory, file->offset, &entry)) {
		/* struct linux_dirent64: ino, off, reclen, type, name. */
		size_t length = entry.length < 255 ? entry.length : 255;
		uint16_t size = (uint16_t)((19 + length + 1 + 7) & ~7u);
		if (done + size > a[2])
			break;
		uint64_t next = file->offset + 1;
		memset(record, 0, size);
		memcpy(record, &entry.inode, 8);
		memcpy(record + 8, &next, 8);
		memcpy(record + 16, &size, 2);
		record[18] = entry.type;
		memcpy(record + 19, entry.name, length);
		int result = user_copy_to(a[1] + done, record, size);
		if (result)
			return done ? (long)done : result;
		done += size;
		file->offset = next;
	}
	if (done == 0 && syscall_directory_entry(directory, file->offset, &entry))
		return -USER_EINVAL;	/* the buffer cannot hold one entry */
	return (long)done;
}
