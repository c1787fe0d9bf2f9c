/*
 * System calls on descriptors (syscall.h): reads, writes, seeks, stat,
 * control and directory listings of the console, initramfs files, pipes,
 * /tmp's files and /dev (file.h says who locks what). Calls that name
 * files by path are in syscall_path.c, pipe creation in syscall_pipe.c.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/console.h"
#include "kernel/lib/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/user/device.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/pipe.h"
#include "kernel/user/process.h"
#include "kernel/user/syscall.h"
#include "kernel/user/syscall_file_internal.h"
#include "kernel/user/tmpfs.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_errno.h"
#include "kernel/user/user_fcntl.h"
#include "mm/slab.h"

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
/* Linux's cap on one transfer (MAX_RW_COUNT): INT_MAX rounded down to a
 * page. */
#define IO_MAX 0x7ffff000ull

struct file_table *syscall_files(void)
{
	return &process_current()->files;
}

long syscall_write_result(long result)
{
	/* SIGPIPE with the error, as Linux sends it: its default action
	 * ends the writer on the way back to user mode, a handler runs, an
	 * ignored one leaves the error alone. */
	if (result == -USER_EPIPE)
		(void)process_signal_send(process_current()->pid,
					  PROCESS_SIGNAL_PIPE);
	return result;
}

/* One byte of stdin: the process's given input (at *offset), else the
 * console (waiting for a key when wait). -1 at the end of given input, or
 * when no key is waiting and wait is false. */
static int syscall_console_byte(struct process *process, uint64_t *offset,
				bool wait)
{
	const struct process_input *input = &process->input;

	if (input->bytes) {
		if (*offset >= input->length)
			return -1;
		return (unsigned char)input->bytes[(*offset)++];
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
static long syscall_console_read(struct file *file, struct file_buffer buffer,
				 uint64_t length)
{
	struct process *process = process_current();
	char bytes[IO_CHUNK];
	uint64_t count = 0;

	if (length == 0)
		return 0;
	mutex_lock(&file->lock);
	while (count < length && count < sizeof(bytes)) {
		int c = syscall_console_byte(process, &file->offset, count == 0);
		if (c < 0)
			break;
		bytes[count++] = (char)c;
		if (c == '\n')
			break;
	}
	mutex_unlock(&file->lock);
	int result = file_buffer_to(buffer, 0, bytes, count);
	return result ? result : (long)count;
}

/* Serializes whole console writes, as Linux's tty atomic_write_lock: the
 * bytes of one write call reach the sink (or the console) together, never
 * cut at IO_CHUNK by another process's write. Held across user copies
 * (which may fault a page in) and the sink's call, never across a
 * sleep of the writer's own choosing. */
static struct mutex syscall_console_write_lock =
	MUTEX_INIT(syscall_console_write_lock, "console_write");

/* Writes to the process's output (its sink, or the console), the whole
 * write at once with respect to other writers. */
static long syscall_console_write(int fd, struct file_buffer buffer,
				  uint64_t length)
{
	struct process *process = process_current();
	char bytes[IO_CHUNK];
	uint64_t done = 0;

	mutex_lock(&syscall_console_write_lock);
	while (done < length) {
		size_t step = length - done < sizeof(bytes) ? length - done
							    : sizeof(bytes);
		int result = file_buffer_from(bytes, buffer, done, step);
		if (result) {
			mutex_unlock(&syscall_console_write_lock);
			return done ? (long)done : result;
		}
		if (process->output)
			process->output(process->output_context, fd, bytes, step);
		else
			printk_bytes(bytes, step);
		done += step;
	}
	mutex_unlock(&syscall_console_write_lock);
	return (long)done;
}

/* Reads from an initramfs file at offset. */
static long syscall_initramfs_read(struct file *file, struct file_buffer buffer,
				   uint64_t length, uint64_t offset)
{
	if ((file->mode & S_IFMT) == S_IFDIR)
		return -USER_EISDIR;
	if (offset >= file->size || length == 0)
		return 0;
	uint64_t bytes = file->size - offset < length ? file->size - offset
						      : length;
	int result = file_buffer_to(buffer, 0, file->data + offset, bytes);
	return result ? result : (long)bytes;
}

static bool syscall_nonblocking(const struct file *file)
{
	return file_status_flags(file) & O_NONBLOCK;
}

long syscall_file_read_at(struct file *file, struct file_buffer buffer,
			  uint64_t length, uint64_t *position)
{
	if (file->kind == FILE_CONSOLE)
		return syscall_console_read(file, buffer, length);
	if (file->kind == FILE_PIPE)
		return pipe_read(file->pipe, buffer, length,
				 syscall_nonblocking(file));
	if (file->kind == FILE_DEVICE)
		return device_read(file, buffer, length);	/* no offset */
	bool own = position == NULL;
	if (own) {
		mutex_lock(&file->lock);
		position = &file->offset;
	}
	long result = file->kind == FILE_TMPFS
			      ? tmpfs_read(file->node, buffer, length, *position)
			      : syscall_initramfs_read(file, buffer, length,
						       *position);
	if (result > 0)
		*position += (uint64_t)result;
	if (own)
		mutex_unlock(&file->lock);
	return result;
}

long syscall_file_write_at(int fd, struct file *file,
			   struct file_buffer buffer, uint64_t length,
			   uint64_t *position)
{
	if (file->kind == FILE_CONSOLE)
		return syscall_console_write(fd, buffer, length);
	if (file->kind == FILE_PIPE)
		return pipe_write(file->pipe, buffer, length,
				  syscall_nonblocking(file));
	if (file->kind == FILE_DEVICE)
		return device_write(file, buffer, length);
	if (file->kind != FILE_TMPFS)
		return -USER_EBADF;
	bool own = position == NULL;
	if (own) {
		mutex_lock(&file->lock);
		position = &file->offset;
	}
	long result = tmpfs_write(file->node, buffer, length, position,
				  own && (file_status_flags(file) & O_APPEND));
	if (own)
		mutex_unlock(&file->lock);
	return result;
}

static long syscall_read_file(int fd, uint64_t buffer, uint64_t length)
{
	struct file *file = file_get(syscall_files(), fd);

	if (!file || !file->readable)
		return -USER_EBADF;
	if (length > INT64_MAX)
		return -USER_EINVAL;
	return syscall_file_read_at(file, file_buffer_user(buffer),
				    length < IO_MAX ? length : IO_MAX, NULL);
}

static long syscall_write_file(int fd, uint64_t buffer, uint64_t length)
{
	struct file *file = file_get(syscall_files(), fd);

	if (!file || !file->writable)
		return -USER_EBADF;
	if (length > INT64_MAX)
		return -USER_EINVAL;
	return syscall_file_write_at(fd, file, file_buffer_user(buffer),
				     length < IO_MAX ? length : IO_MAX, NULL);
}

long syscall_read(const uint64_t a[6])
{
	return syscall_read_file((int)a[0], a[1], a[2]);
}

long syscall_write(const uint64_t a[6])
{
	return syscall_write_result(syscall_write_file((int)a[0], a[1], a[2]));
}

/* pread64 and pwrite64: at a given offset, the file's own untouched. */
static long syscall_positioned(const uint64_t a[6], bool write)
{
	struct file *file = file_get(syscall_files(), (int)a[0]);
	uint64_t offset = a[3];

	if (!file || !(write ? file->writable : file->readable))
		return -USER_EBADF;
	if (file->kind == FILE_CONSOLE || file->kind == FILE_PIPE)
		return -USER_ESPIPE;
	if ((int64_t)offset < 0 || a[2] > INT64_MAX)
		return -USER_EINVAL;
	uint64_t length = a[2] < IO_MAX ? a[2] : IO_MAX;
	if (write)
		return syscall_file_write_at((int)a[0], file,
					     file_buffer_user(a[1]), length,
					     &offset);
	return syscall_file_read_at(file, file_buffer_user(a[1]), length,
				    &offset);
}

long syscall_pread64(const uint64_t a[6])
{
	return syscall_positioned(a, false);
}

long syscall_pwrite64(const uint64_t a[6])
{
	return syscall_positioned(a, true);
}

/* A writev of at most this many bytes in all is one write: gathered into
 * a kernel buffer, it reaches a pipe (PIPE_BUF) or the console whole, as
 * Linux's pipes and ttys take it. stdio writes a line as a writev of its
 * buffered prefix and the caller's bytes; written iovec by iovec, another
 * process's line could land between the two halves. */
#define VECTOR_GATHER_BYTES PIPE_BUFFER_ATOMIC

/* Reads iovec i of the user's vector (struct iovec: base, then length,
 * 16 bytes): 0 or -EFAULT. */
static int syscall_iovec_read(uint64_t vector, int64_t i, uint64_t iov[2])
{
	return user_copy_from(iov, vector + (uint64_t)i * 16, 16);
}

/* Checks the vector before any transfer, as Linux's import_iovec does:
 * -EFAULT if an iovec cannot be read, -EINVAL if a length is negative as
 * a signed size; else 0 with *total the sum of the lengths, capped at
 * IO_MAX (the rest of the vector is then never reached). */
static int syscall_vector_total(uint64_t vector, int64_t count,
				uint64_t *total)
{
	*total = 0;
	for (int64_t i = 0; i < count; i++) {
		uint64_t iov[2];
		int result = syscall_iovec_read(vector, i, iov);
		if (result)
			return result;
		if (iov[1] > INT64_MAX)
			return -USER_EINVAL;
		*total += iov[1] < IO_MAX - *total ? iov[1] : IO_MAX - *total;
	}
	return 0;
}

/* readv, and writev over VECTOR_GATHER_BYTES: each iovec in turn,
 * stopping at a short transfer or at IO_MAX bytes. */
static long syscall_vector_each(int fd, uint64_t vector, int64_t count,
				bool write)
{
	uint64_t total = 0;

	for (int64_t i = 0; i < count && total < IO_MAX; i++) {
		uint64_t iov[2];
		int result = syscall_iovec_read(vector, i, iov);
		if (result)
			return total ? (long)total : result;
		uint64_t want = iov[1] < IO_MAX - total ? iov[1] : IO_MAX - total;
		if (want == 0)
			continue;
		long done = write ? syscall_write_file(fd, iov[0], want)
				  : syscall_read_file(fd, iov[0], want);
		if (done < 0)
			return total ? (long)total : done;
		total += (uint64_t)done;
		if ((uint64_t)done < want)
			break;
	}
	return (long)total;
}

/* A writev of total bytes (at most VECTOR_GATHER_BYTES) as one write:
 * the iovecs are copied in up to the first that faults (-EFAULT if that
 * is the first), then written in one call. */
static long syscall_vector_gathered(int fd, struct file *file,
				    uint64_t vector, int64_t count,
				    uint64_t total)
{
	uint64_t gathered = 0;
	long result = -USER_EFAULT;
	uint8_t *bytes = kmalloc(total);

	if (!bytes)
		return -USER_ENOMEM;
	for (int64_t i = 0; i < count; i++) {
		uint64_t iov[2];
		if (syscall_iovec_read(vector, i, iov) ||
		    iov[1] > total - gathered ||
		    user_copy_from(bytes + gathered, iov[0], iov[1]))
			break;
		gathered += iov[1];
	}
	if (gathered)
		result = syscall_file_write_at(fd, file, file_buffer_kernel(bytes),
					       gathered, NULL);
	kfree(bytes);
	return result;
}

/* readv and writev: the descriptor and the vector checked whole, then
 * the bytes transferred (none: 0, the file untouched, as Linux). */
static long syscall_vector(const uint64_t a[6], bool write)
{
	struct file *file = file_get(syscall_files(), (int)a[0]);
	int64_t count = (int64_t)a[2];
	uint64_t total;

	if (!file || !(write ? file->writable : file->readable))
		return -USER_EBADF;
	if (count < 0 || count > IOV_MAX)
		return -USER_EINVAL;
	int result = syscall_vector_total(a[1], count, &total);
	if (result || total == 0)
		return result;
	if (write && total <= VECTOR_GATHER_BYTES)
		return syscall_vector_gathered((int)a[0], file, a[1], count,
					       total);
	return syscall_vector_each((int)a[0], a[1], count, write);
}

long syscall_readv(const uint64_t a[6])
{
	return syscall_vector(a, false);
}

long syscall_writev(const uint64_t a[6])
{
	return syscall_write_result(syscall_vector(a, true));
}

long syscall_close(const uint64_t a[6])
{
	return file_close(syscall_files(), (int)a[0]);
}

/* The size SEEK_END counts from. */
static uint64_t syscall_file_size(struct file *file)
{
	if (file->kind == FILE_TMPFS)
		return tmpfs_size(file->node);
	return file->size;
}

long syscall_lseek(const uint64_t a[6])
{
	struct file *file = file_get(syscall_files(), (int)a[0]);
	int64_t offset = (int64_t)a[1], base;
	long result;

	if (!file)
		return -USER_EBADF;
	if (file->kind == FILE_CONSOLE || file->kind == FILE_PIPE)
		return -USER_ESPIPE;
	if (file->kind == FILE_DEVICE && !device_is_directory(file))
		return 0;	/* Linux's null and zero: always at 0 */
	mutex_lock(&file->lock);
	switch (a[2]) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)file->offset; break;
	case SEEK_END: base = (int64_t)syscall_file_size(file); break;
	default: base = -1; break;
	}
	if (base < 0 || (offset > 0 && base > INT64_MAX - offset) ||
	    base + offset < 0) {
		result = -USER_EINVAL;
	} else {
		file->offset = (uint64_t)(base + offset);
		result = (long)file->offset;
	}
	mutex_unlock(&file->lock);
	return result;
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

long syscall_stat_to_user(const struct syscall_stat *stat, uint64_t buffer)
{
	struct user_stat out;

	memset(&out, 0, sizeof(out));
	out.dev = stat->device;
	out.inode = stat->inode;
	out.links = stat->links;
	out.mode = stat->mode;
	out.rdev = stat->rdev;
	out.size = (int64_t)stat->size;
	out.block_size = 4096;
	out.blocks = (int64_t)stat->blocks;
	return user_copy_to(buffer, &out, sizeof(out));
}

void syscall_stat_of_file(struct file *file, struct syscall_stat *out)
{
	memset(out, 0, sizeof(*out));
	out->device = 1;
	out->inode = file->inode;
	out->links = 1;
	out->mode = file->mode;
	if (file->kind == FILE_TMPFS) {
		struct tmpfs_stat stat;
		tmpfs_node_stat(file->node, &stat);
		out->device = 2;
		out->mode = stat.mode;
		out->size = stat.size;
		out->links = stat.links;
		out->blocks = stat.blocks;
		return;
	}
	if (file->kind == FILE_CONSOLE) {
		out->device = 5;
		out->rdev = 0x0401;	/* tty1-like */
		if (process_current()->stdio_is_pipe)
			out->mode = 0010600;	/* a FIFO, as a piped program sees */
		return;
	}
	if (file->kind == FILE_PIPE) {
		out->device = 3;
		return;
	}
	if (file->kind == FILE_DEVICE) {
		out->device = 6;	/* /dev's own file system */
		out->rdev = file->rdev;
		if (device_is_directory(file))
			out->links = 2;	/* its entry and its "." */
		return;
	}
	out->size = file->size;
	out->blocks = (file->size + 511) / 512;
}

long syscall_fstat(const uint64_t a[6])
{
	struct file *file = file_get(syscall_files(), (int)a[0]);
	struct syscall_stat stat;

	if (!file)
		return -USER_EBADF;
	syscall_stat_of_file(file, &stat);
	return syscall_stat_to_user(&stat, a[1]);
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

/* F_GETFL's answer: the access mode and the status flags. */
static long syscall_file_flags(const struct file *file)
{
	uint32_t access = file->writable ? (file->readable ? O_RDWR : O_WRONLY)
					 : O_RDONLY;
	return (long)(access | file_status_flags(file));
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
		return syscall_file_flags(file);
	case F_SETFL:
		/* The others (O_ASYNC, O_DIRECT, O_NOATIME) are not kept. */
		file_set_status_flags(file, (uint32_t)a[2] & (O_APPEND | O_NONBLOCK));
		return 0;
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

/* A directory's entry as getdents64 writes it. */
struct syscall_directory_entry {
	char name[256];
	size_t length;
	uint64_t inode;
	unsigned char type;
};

#define DT_CHR 2
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

static void syscall_entry_name(struct syscall_directory_entry *out,
			       const char *name, size_t length)
{
	out->length = length < sizeof(out->name) - 1 ? length
						     : sizeof(out->name) - 1;
	memcpy(out->name, name, out->length);
	out->name[out->length] = '\0';
}

/* The position-th entry of an initramfs directory ("." and ".." first;
 * the root ends with the mount points of /tmp and /dev): false past the
 * last. */
static bool syscall_initramfs_entry(const char *directory, uint64_t position,
				    struct syscall_directory_entry *out)
{
	const void *archive;
	size_t size;
	struct cpio_cursor cursor;
	struct cpio_entry entry;
	uint64_t index = 2;
	const char *name;
	size_t length;

	if (position < 2) {
		syscall_entry_name(out, "..", position + 1);
		out->inode = position + 2;
		out->type = DT_DIR;
		return true;
	}
	initramfs_archive(&archive, &size);
	cpio_cursor_init(&cursor, archive, size);
	while (cpio_next(&cursor, &entry) == CPIO_OK) {
		if (!syscall_directory_has(directory, &entry, &name, &length) ||
		    index++ != position)
			continue;
		syscall_entry_name(out, name, length);
		out->inode = (uint64_t)(uintptr_t)entry.data;
		out->type = (entry.mode & S_IFMT) == S_IFDIR ? DT_DIR :
			    (entry.mode & S_IFMT) == S_IFLNK ? DT_LNK : DT_REG;
		return true;
	}
	/* Then the root's mount points: /tmp, /dev. */
	if (directory[0] != '\0' || position - index > 1)
		return false;
	bool tmp = position == index;
	syscall_entry_name(out, tmp ? "tmp" : "dev", 3);
	out->inode = tmp ? 3 : DEVICE_DIRECTORY_INODE;
	out->type = DT_DIR;
	return true;
}

/* The position-th entry of /dev (device.h). */
static bool syscall_device_entry(uint64_t position,
				 struct syscall_directory_entry *out)
{
	struct device_entry entry;

	if (!device_directory_entry(position, &entry))
		return false;
	syscall_entry_name(out, entry.name, strlen(entry.name));
	out->inode = entry.inode;
	out->type = entry.directory ? DT_DIR : DT_CHR;
	return true;
}

static bool syscall_directory_entry(struct file *file, uint64_t position,
				    struct syscall_directory_entry *out)
{
	if (file->kind == FILE_TMPFS) {
		struct tmpfs_entry entry;
		if (!tmpfs_directory_entry(file->node, position, &entry))
			return false;
		syscall_entry_name(out, entry.name, strlen(entry.name));
		out->inode = entry.inode;
		out->type = entry.directory ? DT_DIR : DT_REG;
		return true;
	}
	if (file->kind == FILE_DEVICE)
		return syscall_device_entry(position, out);
	/* The archive names entries without the leading '/'. */
	return syscall_initramfs_entry(file->path + 1, position, out);
}

/* Writes getdents64's records from the file's offset on (its lock held):
 * bytes written, or a negative error. */
static long syscall_directory_read(struct file *file, uint64_t buffer,
				   uint64_t size)
{
	struct syscall_directory_entry entry;
	uint8_t record[280];
	uint64_t done = 0;

	while (syscall_directory_entry(file, file->offset, &entry)) {
		/* struct linux_dirent64: ino, off, reclen, type, name. */
		uint16_t length = (uint16_t)((19 + entry.length + 1 + 7) & ~7u);
		if (done + length > size)
			break;
		uint64_t next = file->offset + 1;
		memset(record, 0, length);
		memcpy(record, &entry.inode, 8);
		memcpy(record + 8, &next, 8);
		memcpy(record + 16, &length, 2);
		record[18] = entry.type;
		memcpy(record + 19, entry.name, entry.length);
		int result = user_copy_to(buffer + done, record, length);
		if (result)
			return done ? (long)done : result;
		done += length;
		file->offset = next;
	}
	if (done == 0 && syscall_directory_entry(file, file->offset, &entry))
		return -USER_EINVAL;	/* the buffer cannot hold one entry */
	return (long)done;
}

long syscall_getdents64(const uint64_t a[6])
{
	struct file *file = file_get(syscall_files(), (int)a[0]);

	if (!file)
		return -USER_EBADF;
	if ((file->mode & S_IFMT) != S_IFDIR)
		return -USER_ENOTDIR;
	mutex_lock(&file->lock);
	long result = syscall_directory_read(file, a[1], a[2]);
	mutex_unlock(&file->lock);
	return result;
}

long syscall_ftruncate(const uint64_t a[6])
{
	struct file *file = file_get(syscall_files(), (int)a[0]);

	if (!file)
		return -USER_EBADF;
	if ((int64_t)a[1] < 0 || !file->writable || file->kind != FILE_TMPFS)
		return -USER_EINVAL;
	return tmpfs_truncate(file->node, a[1]);
}

long syscall_fsync(const uint64_t a[6])
{
	struct file *file = file_get(syscall_files(), (int)a[0]);

	if (!file)
		return -USER_EBADF;
	/* Nothing to write back: /tmp lives in RAM, the rest is read-only. */
	return file->kind == FILE_CONSOLE || file->kind == FILE_PIPE ||
		       (file->kind == FILE_DEVICE && !device_is_directory(file))
		       ? -USER_EINVAL : 0;
}

/* Copies up to count bytes of in from *position to out through a kernel
 * buffer: bytes moved (advancing *position by them) or an error. */
static long syscall_send(int out_fd, struct file *out, struct file *in,
			 uint64_t *position, uint64_t count)
{
	uint8_t *bounce = kmalloc(PIPE_BUFFER_ATOMIC);
	uint64_t done = 0;
	long result = 0;

	if (!bounce)
		return -USER_ENOMEM;
	while (done < count) {
		uint64_t step = count - done < PIPE_BUFFER_ATOMIC
					? count - done : PIPE_BUFFER_ATOMIC;
		uint64_t at = *position;
		long got = syscall_file_read_at(in, file_buffer_kernel(bounce),
						step, &at);
		if (got <= 0) {
			result = got;
			break;
		}
		long put = syscall_file_write_at(out_fd, out,
						 file_buffer_kernel(bounce),
						 (uint64_t)got, NULL);
		if (put <= 0) {
			result = put;
			break;
		}
		*position += (uint64_t)put;
		done += (uint64_t)put;
		if (put < got)
			break;
	}
	kfree(bounce);
	return done ? (long)done : result;
}

/* sendfile(out_fd, in_fd, offset pointer or 0, count). */
static long syscall_sendfile_checked(const uint64_t a[6])
{
	struct file *out = file_get(syscall_files(), (int)a[0]);
	struct file *in = file_get(syscall_files(), (int)a[1]);
	uint64_t position;

	if (!out || !in || !out->writable || !in->readable)
		return -USER_EBADF;
	if ((in->kind != FILE_INITRAMFS && in->kind != FILE_TMPFS) ||
	    (in->mode & S_IFMT) != S_IFREG || (int64_t)a[3] < 0)
		return -USER_EINVAL;
	uint64_t count = a[3] < IO_MAX ? a[3] : IO_MAX;
	if (a[2]) {
		if (user_copy_from(&position, a[2], sizeof(position)))
			return -USER_EFAULT;
		if ((int64_t)position < 0)
			return -USER_EINVAL;
		long result = syscall_send((int)a[0], out, in, &position, count);
		int copied = user_copy_to(a[2], &position, sizeof(position));
		return copied && result >= 0 ? copied : result;
	}
	/* The file's own offset: read now, stored back after (not held
	 * across the transfer, which may block on a pipe). */
	mutex_lock(&in->lock);
	position = in->offset;
	mutex_unlock(&in->lock);
	long result = syscall_send((int)a[0], out, in, &position, count);
	mutex_lock(&in->lock);
	in->offset = position;
	mutex_unlock(&in->lock);
	return result;
}

long syscall_sendfile(const uint64_t a[6])
{
	return syscall_write_result(syscall_sendfile_checked(a));
}
