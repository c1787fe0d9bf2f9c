/*
 * Checks the writable RAM file system at /tmp and pipes from user mode:
 * every call with good and bad input (bad pointers -EFAULT, bad
 * descriptors -EBADF, invalid flags -EINVAL, huge lengths), Linux's error
 * codes for each refusal. Prints a KTAP line per check; the ktest
 * (kernel/user/file_test.c) requires exit status 0, "# checks N" with N
 * "ok" lines, and that /tmp holds no more than before the run (the
 * program removes all it makes).
 * Built with musl-gcc -static (tests/user).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <poll.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int checks, failures;
static void *const bad = (void *)0x8;		/* never mapped */
static void *const kernel = (void *)0xffffffff80100000ull;
static char big[70000];

static void check(int ok, const char *name)
{
	checks++;
	if (!ok)
		failures++;
	printf("%sok %d %s\n", ok ? "" : "not ", checks, name);
}

/* A raw system call's result as Linux gives it: -errno on failure. */
static long raw(long number, long a, long b, long c, long d)
{
	long result = syscall(number, a, b, c, d, 0, 0);
	return result == -1 ? -errno : result;
}

static void files_create(void)
{
	char buffer[64];
	struct stat st;

	check(mkdir("/tmp/t", 0755) == 0, "mkdir");
	check(mkdir("/tmp/t", 0755) == -1 && errno == EEXIST, "mkdir existing EEXIST");
	check(mkdir("/tmp/none/x", 0755) == -1 && errno == ENOENT, "mkdir missing parent ENOENT");
	check(mkdir("/etc/x", 0755) == -1 && errno == EROFS, "mkdir outside /tmp EROFS");
	check(mkdir("/etc", 0755) == -1 && errno == EEXIST, "mkdir existing outside EEXIST");
	check(raw(SYS_mkdir, (long)bad, 0755, 0, 0) == -EFAULT, "mkdir bad path EFAULT");
	int fd = open("/tmp/t/a", O_RDWR | O_CREAT | O_EXCL, 0644);
	check(fd >= 3, "open O_CREAT O_EXCL");
	check(open("/tmp/t/a", O_RDWR | O_CREAT | O_EXCL, 0644) == -1 && errno == EEXIST, "O_EXCL existing EEXIST");
	check(open("/tmp/t/missing", O_RDONLY) == -1 && errno == ENOENT, "open missing ENOENT");
	check(open("/tmp/t/a/x", O_RDWR | O_CREAT, 0644) == -1 && errno == ENOTDIR, "create under a file ENOTDIR");
	check(open("/tmp/t", O_RDWR) == -1 && errno == EISDIR, "open directory for write EISDIR");
	check(open("/tmp/t/a", O_RDONLY | O_DIRECTORY) == -1 && errno == ENOTDIR, "O_DIRECTORY on a file ENOTDIR");
	check(write(fd, "hello world", 11) == 11, "write");
	check(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 11 &&
	      (st.st_mode & 0777) == 0644, "fstat size and mode");
	check(lseek(fd, 0, SEEK_SET) == 0 && read(fd, buffer, 64) == 11 &&
	      memcmp(buffer, "hello world", 11) == 0, "read back");
	check(read(fd, buffer, 64) == 0, "read at the end 0");
	check(raw(SYS_read, fd, (long)bad, 4, 0) == 0, "read at the end, bad pointer, 0");
	check(raw(SYS_write, fd, (long)bad, 4, 0) == -EFAULT, "write bad pointer EFAULT");
	check(raw(SYS_write, fd, (long)kernel, 4, 0) == -EFAULT, "write kernel pointer EFAULT");
	check(lseek(fd, 0, SEEK_SET) == 0 && raw(SYS_read, fd, (long)bad, 4, 0) == -EFAULT, "read bad pointer EFAULT");
	check(raw(SYS_write, 99, (long)"x", 1, 0) == -EBADF, "write bad fd EBADF");
	check(pwrite(fd, "HELLO", 5, 0) == 5 && lseek(fd, 0, SEEK_CUR) == 0, "pwrite keeps the offset");
	check(pread(fd, buffer, 5, 0) == 5 && memcmp(buffer, "HELLO", 5) == 0, "pread");
	check(raw(SYS_pwrite64, fd, (long)"x", 1, -1) == -EINVAL, "pwrite negative offset EINVAL");
	check(raw(SYS_pwrite64, fd, (long)bad, 1, 0) == -EFAULT, "pwrite bad pointer EFAULT");
	check(raw(SYS_pwrite64, 99, (long)"x", 1, 0) == -EBADF, "pwrite bad fd EBADF");
	check(raw(SYS_write, fd, (long)buffer, -1L, 0) == -EINVAL, "write huge length EINVAL");
	check(raw(SYS_read, fd, (long)buffer, -1L, 0) == -EINVAL, "read huge length EINVAL");
	/* A hole: past the end, read back as zeros. */
	check(lseek(fd, 10000, SEEK_SET) == 10000 && write(fd, "Z", 1) == 1, "write beyond the end");
	check(fstat(fd, &st) == 0 && st.st_size == 10001, "size after the hole");
	check(pread(fd, buffer, 8, 5000) == 8 && memcmp(buffer, "\0\0\0\0\0\0\0\0", 8) == 0, "hole reads as zeros");
	check(lseek(fd, 0, SEEK_END) == 10001, "lseek SEEK_END");
	check(lseek(fd, -20000, SEEK_END) == -1 && errno == EINVAL, "lseek before 0 EINVAL");
	check(pwrite(fd, "x", 1, 1ll << 40) == -1 && errno == EFBIG, "write beyond the file limit EFBIG");
	check(ftruncate(fd, 3) == 0 && fstat(fd, &st) == 0 && st.st_size == 3, "ftruncate shrinks");
	check(ftruncate(fd, 8) == 0 && pread(fd, buffer, 8, 0) == 8 &&
	      memcmp(buffer, "HEL\0\0\0\0\0", 8) == 0, "ftruncate grows with zeros");
	check(ftruncate(fd, -1) == -1 && errno == EINVAL, "ftruncate negative EINVAL");
	check(ftruncate(99, 0) == -1 && errno == EBADF, "ftruncate bad fd EBADF");
	check(ftruncate(0, 0) == -1 && errno == EINVAL, "ftruncate console EINVAL");
	check(fsync(fd) == 0, "fsync");
	check(fsync(99) == -1 && errno == EBADF, "fsync bad fd EBADF");
	close(fd);
	int ro = open("/tmp/t/a", O_RDONLY);
	check(ro >= 0 && write(ro, "x", 1) == -1 && errno == EBADF, "write to a read-only open EBADF");
	check(ftruncate(ro, 0) == -1 && errno == EINVAL, "ftruncate read-only open EINVAL");
	close(ro);
	int wo = open("/tmp/t/a", O_WRONLY | O_TRUNC);
	check(wo >= 0 && fstat(wo, &st) == 0 && st.st_size == 0, "O_TRUNC empties");
	check(read(wo, buffer, 1) == -1 && errno == EBADF, "read from a write-only open EBADF");
	close(wo);
	int ap = open("/tmp/t/a", O_WRONLY | O_APPEND);
	check(write(ap, "one", 3) == 3 && lseek(ap, 0, SEEK_SET) == 0 &&
	      write(ap, "two", 3) == 3, "O_APPEND writes");
	check(pread(open("/tmp/t/a", O_RDONLY), buffer, 6, 0) == 6 &&
	      memcmp(buffer, "onetwo", 6) == 0, "O_APPEND writes at the end");
	check((fcntl(ap, F_GETFL) & (O_APPEND | O_ACCMODE)) == (O_APPEND | O_WRONLY), "F_GETFL O_APPEND");
	close(ap);
}

static void files_names(void)
{
	struct stat st;
	char buffer[300];

	check(stat("/tmp/t/a", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 6, "stat");
	check(stat("/tmp/t", &st) == 0 && S_ISDIR(st.st_mode), "stat directory");
	check(stat("/tmp", &st) == 0 && S_ISDIR(st.st_mode), "stat /tmp");
	check(stat("/tmp/t/zz", &st) == -1 && errno == ENOENT, "stat missing ENOENT");
	check(stat("/tmp/t/a/b", &st) == -1 && errno == ENOTDIR, "stat under a file ENOTDIR");
	check(raw(SYS_stat, (long)"/tmp/t/a", (long)bad, 0, 0) == -EFAULT, "stat bad buffer EFAULT");
	check(access("/tmp/t/a", W_OK) == 0, "access W_OK in /tmp");
	check(chdir("/tmp/t") == 0, "chdir");
	check(getcwd(buffer, sizeof(buffer)) && strcmp(buffer, "/tmp/t") == 0, "getcwd after chdir");
	check(raw(SYS_getcwd, (long)buffer, 3, 0, 0) == -ERANGE, "getcwd small ERANGE");
	check(raw(SYS_getcwd, (long)bad, 100, 0, 0) == -EFAULT, "getcwd bad pointer EFAULT");
	check(stat("a", &st) == 0 && st.st_size == 6, "relative path");
	check(stat("../t/./a", &st) == 0 && st.st_size == 6, "relative path with .. and .");
	check(stat("../../../etc/motd", &st) == 0 && st.st_size == 42, ".. stops at /");
	check(chdir("a") == -1 && errno == ENOTDIR, "chdir to a file ENOTDIR");
	check(chdir("nothing") == -1 && errno == ENOENT, "chdir missing ENOENT");
	check(raw(SYS_chdir, (long)bad, 0, 0, 0) == -EFAULT, "chdir bad path EFAULT");
	check(chdir("..") == 0 && getcwd(buffer, sizeof(buffer)) && strcmp(buffer, "/tmp") == 0, "chdir ..");
	int dir = open("/tmp/t", O_RDONLY | O_DIRECTORY);
	check(dir >= 0 && fchdir(dir) == 0 && getcwd(buffer, sizeof(buffer)) &&
	      strcmp(buffer, "/tmp/t") == 0, "fchdir");
	int file = open("a", O_RDONLY);
	check(fchdir(file) == -1 && errno == ENOTDIR, "fchdir to a file ENOTDIR");
	check(fchdir(99) == -1 && errno == EBADF, "fchdir bad fd EBADF");
	check(openat(dir, "a", O_RDONLY) >= 0, "openat a directory fd");
	check(openat(file, "a", O_RDONLY) == -1 && errno == ENOTDIR, "openat a file fd ENOTDIR");
	close(file);
	/* getdents64 of a directory with a file and a subdirectory. */
	check(mkdir("sub", 0700) == 0, "mkdir relative");
	int count = 0, seen = 0;
	DIR *listing = fdopendir(dir);
	for (struct dirent *entry; listing && (entry = readdir(listing));) {
		count++;
		seen |= strcmp(entry->d_name, "a") == 0 && entry->d_type == DT_REG;
		seen |= (strcmp(entry->d_name, "sub") == 0 && entry->d_type == DT_DIR) << 1;
	}
	check(count == 4 && seen == 3, "getdents64 lists . .. a sub");
	check(raw(SYS_getdents64, dirfd(listing), (long)buffer, 4, 0) == -EINVAL ||
	      raw(SYS_getdents64, dirfd(listing), (long)buffer, 4, 0) == 0, "getdents64 small buffer");
	rewinddir(listing);
	check(raw(SYS_getdents64, dirfd(listing), (long)bad, 300, 0) == -EFAULT, "getdents64 bad pointer EFAULT");
	check(raw(SYS_getdents64, 99, (long)buffer, 300, 0) == -EBADF, "getdents64 bad fd EBADF");
	closedir(listing);
	check(chdir("/") == 0 && getcwd(buffer, sizeof(buffer)) && strcmp(buffer, "/") == 0, "chdir /");
	/* rename, unlink, rmdir. */
	check(rename("/tmp/t/a", "/tmp/t/sub/b") == 0, "rename");
	check(stat("/tmp/t/a", &st) == -1 && errno == ENOENT && stat("/tmp/t/sub/b", &st) == 0 &&
	      st.st_size == 6, "rename moves the file");
	close(open("/tmp/t/c", O_WRONLY | O_CREAT, 0600));
	check(rename("/tmp/t/c", "/tmp/t/sub/b") == 0 && stat("/tmp/t/sub/b", &st) == 0 &&
	      st.st_size == 0, "rename replaces a file");
	check(rename("/tmp/t/none", "/tmp/t/x") == -1 && errno == ENOENT, "rename missing ENOENT");
	check(rename("/tmp/t/sub/b", "/etc/b") == -1 && errno == EXDEV, "rename out of /tmp EXDEV");
	check(rename("/etc/motd", "/tmp/t/m") == -1 && errno == EXDEV, "rename into /tmp EXDEV");
	check(rename("/etc/motd", "/etc/m") == -1 && errno == EROFS, "rename outside /tmp EROFS");
	check(rename("/tmp/t/sub/b", "/tmp/t/sub") == -1 && errno == EISDIR, "rename onto a directory EISDIR");
	check(raw(SYS_rename, (long)bad, (long)"/tmp/x", 0, 0) == -EFAULT, "rename bad path EFAULT");
	check(rmdir("/tmp/t/sub") == -1 && errno == ENOTEMPTY, "rmdir not empty ENOTEMPTY");
	check(rmdir("/tmp/t/sub/b") == -1 && errno == ENOTDIR, "rmdir a file ENOTDIR");
	check(unlink("/tmp/t/sub") == -1 && errno == EISDIR, "unlink a directory EISDIR");
	check(unlink("/tmp/t/sub/b") == 0, "unlink");
	check(unlink("/tmp/t/sub/b") == -1 && errno == ENOENT, "unlink missing ENOENT");
	check(unlink("/etc/motd") == -1 && errno == EROFS, "unlink outside /tmp EROFS");
	check(raw(SYS_unlink, (long)bad, 0, 0, 0) == -EFAULT, "unlink bad path EFAULT");
	check(rmdir("/tmp/t/sub") == 0, "rmdir");
	check(rmdir("/tmp/t/sub") == -1 && errno == ENOENT, "rmdir missing ENOENT");
	/* The *at forms, relative to a directory descriptor. */
	int at = open("/tmp/t", O_RDONLY | O_DIRECTORY);
	check(raw(SYS_mkdirat, at, (long)"d", 0700, 0) == 0, "mkdirat");
	close(openat(at, "d/f", O_WRONLY | O_CREAT, 0600));
	check(raw(SYS_newfstatat, at, (long)"d/f", (long)&st, 0) == 0 && S_ISREG(st.st_mode) &&
	      st.st_size == 0, "newfstatat relative to a directory fd");
	check(raw(SYS_newfstatat, at, (long)"", (long)&st, AT_EMPTY_PATH) == 0 && S_ISDIR(st.st_mode),
	      "newfstatat AT_EMPTY_PATH");
	check(raw(SYS_renameat, at, (long)"d/f", at, (long)"g") == 0 && stat("/tmp/t/g", &st) == 0, "renameat");
	check(syscall(SYS_renameat2, at, "g", at, "h", 1) == -1 && errno == EINVAL, "renameat2 flags EINVAL");
	check(raw(SYS_unlinkat, at, (long)"g", 0, 0) == 0, "unlinkat");
	check(raw(SYS_unlinkat, at, (long)"d", 0, 0) == -EISDIR, "unlinkat a directory EISDIR");
	check(raw(SYS_unlinkat, at, (long)"d", AT_REMOVEDIR, 0) == 0, "unlinkat AT_REMOVEDIR");
	check(raw(SYS_mkdirat, 99, (long)"d", 0700, 0) == -EBADF, "mkdirat bad fd EBADF");
	close(at);
	/* The root lists /tmp's mount point. */
	int root = open("/", O_RDONLY | O_DIRECTORY), tmp_listed = 0;
	DIR *top = fdopendir(root);
	for (struct dirent *entry; top && (entry = readdir(top));)
		tmp_listed |= strcmp(entry->d_name, "tmp") == 0 && entry->d_type == DT_DIR;
	check(tmp_listed, "/ lists tmp");
	closedir(top);
	check(rmdir("/tmp") == -1 && errno == EBUSY, "rmdir /tmp EBUSY");
	check(rmdir("/etc") == -1 && errno == EROFS, "rmdir outside /tmp EROFS");
	check(raw(SYS_unlinkat, AT_FDCWD, (long)"/tmp/t", 0x8000, 0) == -EINVAL, "unlinkat bad flags EINVAL");
	char name[200];
	memset(name, 'n', sizeof(name));
	memcpy(name, "/tmp/", 5);
	name[sizeof(name) - 1] = '\0';
	check(open(name, O_WRONLY | O_CREAT, 0600) == -1 && errno == ENAMETOOLONG, "long name ENAMETOOLONG");
}

/* A file unlinked while open stays readable through its descriptor, and
 * its memory goes at the close. */
static void files_unlinked_open(void)
{
	char buffer[8];
	int fd = open("/tmp/t/open", O_RDWR | O_CREAT | O_TRUNC, 0600);

	check(write(fd, "kept", 4) == 4 && unlink("/tmp/t/open") == 0, "unlink an open file");
	check(pread(fd, buffer, 4, 0) == 4 && memcmp(buffer, "kept", 4) == 0, "read after unlink");
	struct stat st;
	check(fstat(fd, &st) == 0 && st.st_nlink == 0, "nlink 0 after unlink");
	check(close(fd) == 0 && close(fd) == -1 && errno == EBADF, "close, then EBADF");
}

static void files_sendfile(void)
{
	int from = open("/tmp/t/from", O_RDWR | O_CREAT | O_TRUNC, 0600);
	int to = open("/tmp/t/to", O_RDWR | O_CREAT | O_TRUNC, 0600);
	char buffer[16];
	off_t offset = 2;

	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	check(write(from, big, sizeof(big)) == (long)sizeof(big), "write 70000 bytes");
	check(lseek(from, 0, SEEK_SET) == 0 && sendfile(to, from, NULL, sizeof(big)) == (long)sizeof(big),
	      "sendfile file to file");
	check(lseek(from, 0, SEEK_CUR) == (long)sizeof(big), "sendfile advances the offset");
	check(pread(to, buffer, 4, 69998) == 2 && memcmp(buffer, big + 69998, 2) == 0, "sendfile copied it all");
	check(sendfile(to, from, &offset, 4) == 4 && offset == 6 && lseek(from, 0, SEEK_CUR) == (long)sizeof(big),
	      "sendfile at an offset");
	int motd = open("/etc/motd", O_RDONLY);
	printf("# ");
	fflush(stdout);
	long sent = sendfile(1, motd, NULL, 5);	/* "Veil " on this line */
	printf("\n");
	check(sent == 5, "sendfile initramfs to console");
	check(sendfile(to, 99, NULL, 4) == -1 && errno == EBADF, "sendfile bad fd EBADF");
	check(sendfile(motd, from, NULL, 4) == -1 && errno == EBADF, "sendfile to read-only EBADF");
	check(raw(SYS_sendfile, to, from, (long)bad, 4) == -EFAULT, "sendfile bad offset pointer EFAULT");
	int ends[2];
	check(pipe(ends) == 0, "pipe for sendfile");
	check(sendfile(to, ends[0], NULL, 4) == -1 && errno == EINVAL, "sendfile from a pipe EINVAL");
	offset = 0;
	check(sendfile(ends[1], motd, &offset, 8) == 8 && read(ends[0], buffer, 16) == 8 &&
	      memcmp(buffer, "Veil ini", 8) == 0, "sendfile file to pipe");
	close(ends[0]);
	close(ends[1]);
	close(motd);
	close(from);
	close(to);
	check(unlink("/tmp/t/from") == 0 && unlink("/tmp/t/to") == 0, "unlink sendfile's files");
}

static void files_pipes(void)
{
	int ends[2];
	char buffer[16];
	struct stat st;

	check(pipe(ends) == 0 && ends[0] >= 3 && ends[1] >= 3, "pipe");
	check(fstat(ends[0], &st) == 0 && S_ISFIFO(st.st_mode), "fstat pipe S_IFIFO");
	check(write(ends[1], "abc", 3) == 3 && read(ends[0], buffer, 16) == 3 &&
	      memcmp(buffer, "abc", 3) == 0, "write then read");
	check(write(ends[0], "x", 1) == -1 && errno == EBADF, "write to the read end EBADF");
	check(read(ends[1], buffer, 1) == -1 && errno == EBADF, "read from the write end EBADF");
	check(lseek(ends[0], 0, SEEK_SET) == -1 && errno == ESPIPE, "lseek pipe ESPIPE");
	check(pread(ends[0], buffer, 1, 0) == -1 && errno == ESPIPE, "pread pipe ESPIPE");
	check(raw(SYS_write, ends[1], (long)bad, 4, 0) == -EFAULT, "pipe write bad pointer EFAULT");
	check(raw(SYS_write, ends[1], (long)buffer, -1L, 0) == -EINVAL, "pipe write huge length EINVAL");
	check(raw(SYS_read, 99, (long)buffer, 1, 0) == -EBADF && lseek(99, 0, SEEK_SET) == -1 &&
	      errno == EBADF, "read lseek bad fd EBADF");
	check(write(ends[1], "kept", 4) == 4 && raw(SYS_read, ends[0], (long)bad, 4, 0) == -EFAULT &&
	      read(ends[0], buffer, 16) == 4 && memcmp(buffer, "kept", 4) == 0, "bytes stay after a read EFAULT");
	int copy = dup(ends[1]);
	check(copy >= 0 && write(copy, "d", 1) == 1 && read(ends[0], buffer, 1) == 1 && buffer[0] == 'd', "dup a pipe end");
	check(dup2(ends[1], 20) == 20 && dup3(ends[1], 21, O_CLOEXEC) == 21 &&
	      fcntl(21, F_GETFD) == FD_CLOEXEC, "dup2 dup3 a pipe end");
	close(copy); close(20); close(21);
	/* Non-blocking: empty read and full write are EAGAIN. */
	check(fcntl(ends[0], F_SETFL, O_NONBLOCK) == 0 && (fcntl(ends[0], F_GETFL) & O_NONBLOCK), "F_SETFL O_NONBLOCK");
	check(read(ends[0], buffer, 1) == -1 && errno == EAGAIN, "empty non-blocking read EAGAIN");
	check(fcntl(ends[1], F_SETFL, O_NONBLOCK) == 0, "write end non-blocking");
	check(write(ends[1], big, sizeof(big)) == 65536, "a 64 KiB pipe fills");
	check(write(ends[1], "x", 1) == -1 && errno == EAGAIN, "full non-blocking write EAGAIN");
	check(read(ends[0], buffer, 10) == 10 && write(ends[1], big, 4096) == -1 && errno == EAGAIN,
	      "a 4096-byte write goes whole or not at all");
	check(write(ends[1], big, 10) == 10, "a write that fits goes");
	long drained = 0, got;
	while ((got = read(ends[0], big, sizeof(big))) > 0)
		drained += got;
	check(drained == 65536 && errno == EAGAIN, "the ring drains in order of size");
	check(fcntl(ends[0], F_SETFL, 0) == 0 && !(fcntl(ends[0], F_GETFL) & O_NONBLOCK), "F_SETFL clears O_NONBLOCK");
	/* End of file once every writer closed. */
	check(write(ends[1], "end", 3) == 3 && close(ends[1]) == 0, "write, close the writer");
	check(read(ends[0], buffer, 16) == 3 && read(ends[0], buffer, 16) == 0, "EOF after the last writer");
	close(ends[0]);
	check(raw(SYS_pipe, (long)bad, 0, 0, 0) == -EFAULT, "pipe bad pointer EFAULT");
	check(raw(SYS_pipe2, (long)ends, 0x4, 0, 0) == -EINVAL, "pipe2 bad flags EINVAL");
	check(pipe2(ends, O_CLOEXEC | O_NONBLOCK) == 0 && fcntl(ends[0], F_GETFD) == FD_CLOEXEC &&
	      (fcntl(ends[1], F_GETFL) & O_NONBLOCK), "pipe2 O_CLOEXEC O_NONBLOCK");
	close(ends[1]);
	check(read(ends[0], buffer, 1) == 0, "non-blocking read after the writer closed 0");
	close(ends[0]);
	/* poll: readiness of pipe ends, bad descriptors and pointers. */
	check(pipe(ends) == 0, "pipe for poll");
	struct pollfd polled[3] = { { ends[0], POLLIN, 0 }, { ends[1], POLLOUT, 0 }, { 99, POLLIN, 0 } };
	check(poll(polled, 1, 0) == 0 && polled[0].revents == 0, "poll empty pipe 0");
	check(poll(polled, 1, 5) == 0, "poll empty pipe times out");
	check(poll(polled, 3, 0) == 2 && polled[1].revents == POLLOUT && polled[2].revents == POLLNVAL,
	      "poll write end POLLOUT, bad fd POLLNVAL");
	check(write(ends[1], "p", 1) == 1 && poll(polled, 1, -1) == 1 && polled[0].revents == POLLIN,
	      "poll pipe with bytes POLLIN");
	check(raw(SYS_poll, (long)bad, 1, 0, 0) == -EFAULT, "poll bad pointer EFAULT");
	check(raw(SYS_poll, (long)polled, 100000, 0, 0) == -EINVAL, "poll too many EINVAL");
	close(ends[0]);
	check(poll(&polled[1], 1, 0) == 1 && (polled[1].revents & POLLERR), "poll no reader POLLERR");
	close(ends[1]);
	/* No reader left: EPIPE (SIGPIPE ignored here, else it ends us). */
	check(pipe(ends) == 0 && close(ends[0]) == 0, "pipe, close the reader");
	signal(SIGPIPE, SIG_IGN);
	check(write(ends[1], "x", 1) == -1 && errno == EPIPE, "write with no reader EPIPE");
	signal(SIGPIPE, SIG_DFL);
	close(ends[1]);
	int many[2], opened = 0;
	while (pipe(many) == 0)
		opened += 2;
	check(errno == EMFILE && opened > 0, "pipe out of descriptors EMFILE");
	for (int fd = 3; fd < 64; fd++)
		close(fd);
}

/* Fills /tmp to its limit: ENOSPC, and the space comes back at unlink. */
static void files_full(void)
{
	int fd = open("/tmp/t/full", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	long written = 0, got = 0;

	while (written < (32l << 20) && (got = write(fd, big, 65536)) > 0)
		written += got;
	check(got == -1 && errno == ENOSPC && written >= (1l << 20), "writes stop at ENOSPC");
	printf("# wrote %ld bytes before ENOSPC\n", written);
	close(fd);
	check(unlink("/tmp/t/full") == 0, "unlink the full file");
	fd = open("/tmp/t/after", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	check(write(fd, big, 65536) == 65536, "space is back after unlink");
	close(fd);
	unlink("/tmp/t/after");
}

/* A write to a pipe nobody reads, with SIGPIPE's default: the process
 * ends as killed by signal 13 (the ktest runs it so: "files sigpipe"). */
static int files_sigpipe(void)
{
	int ends[2];

	if (pipe(ends) || close(ends[0]))
		return 2;
	printf("writing to a pipe with no reader\n");
	fflush(stdout);
	write(ends[1], "x", 1);
	printf("still alive\n");
	return 3;
}

/* /dev/null and /dev/zero: character devices, reads at the end / of
 * zeros, writes taken whole, every access mode. */
static void files_devices(void)
{
	char buffer[64];
	struct stat st;

	int fd = open("/dev/null", O_RDONLY);
	check(fd >= 0 && read(fd, buffer, sizeof(buffer)) == 0, "/dev/null O_RDONLY reads EOF");
	check(write(fd, "x", 1) == -1 && errno == EBADF, "/dev/null O_RDONLY write EBADF");
	check(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0x103, "fstat /dev/null: a character device 1,3");
	check(close(fd) == 0, "close /dev/null");
	fd = open("/dev/null", O_WRONLY);
	check(fd >= 0 && write(fd, "hello", 5) == 5, "/dev/null O_WRONLY write taken whole");
	check(write(fd, big, sizeof(big)) == (ssize_t)sizeof(big), "/dev/null large write");
	check(raw(SYS_write, fd, (long)bad, 10, 0) == 10, "/dev/null write of unmapped bytes (not read)");
	check(raw(SYS_write, fd, (long)kernel, 10, 0) == -EFAULT, "/dev/null write of kernel address EFAULT");
	check(read(fd, buffer, 1) == -1 && errno == EBADF, "/dev/null O_WRONLY read EBADF");
	check(lseek(fd, 100, SEEK_SET) == 0, "lseek /dev/null gives 0");
	check(fsync(fd) == -1 && errno == EINVAL, "fsync /dev/null EINVAL");
	check(ftruncate(fd, 0) == -1 && errno == EINVAL, "ftruncate /dev/null EINVAL");
	close(fd);
	fd = open("/dev/null", O_RDWR | O_CREAT | O_TRUNC, 0644);
	check(fd >= 0 && write(fd, "ab", 2) == 2 && read(fd, buffer, 2) == 0, "/dev/null O_RDWR|O_CREAT|O_TRUNC");
	check(pread(fd, buffer, 2, 10) == 0 && pwrite(fd, "ab", 2, 10) == 2, "pread/pwrite /dev/null");
	check(isatty(fd) == 0 && errno == ENOTTY, "/dev/null is not a tty");
	check(raw(SYS_getdents64, fd, (long)buffer, sizeof(buffer), 0) == -ENOTDIR, "getdents64 /dev/null ENOTDIR");
	close(fd);
	check(open("/dev/null", O_RDONLY | O_DIRECTORY) == -1 && errno == ENOTDIR, "/dev/null O_DIRECTORY ENOTDIR");
	check(open("/dev/null", O_WRONLY | O_CREAT | O_EXCL, 0644) == -1 && errno == EEXIST, "/dev/null O_EXCL EEXIST");
	check(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && (st.st_mode & 0777) == 0666, "stat /dev/null: crw-rw-rw-");
	check(access("/dev/null", R_OK | W_OK) == 0, "access /dev/null read-write");
	check(open("/dev/no-such", O_RDONLY) == -1 && errno == ENOENT, "open /dev/no-such ENOENT");

	fd = open("/dev/zero", O_RDWR);
	memset(buffer, 'x', sizeof(buffer));
	int zeros = fd >= 0 && read(fd, buffer, sizeof(buffer)) == (ssize_t)sizeof(buffer);
	for (size_t i = 0; i < sizeof(buffer); i++)
		zeros = zeros && buffer[i] == 0;
	check(zeros, "/dev/zero reads zeros, the whole length");
	check(read(fd, big, sizeof(big)) == (ssize_t)sizeof(big) && big[0] == 0 && big[sizeof(big) - 1] == 0, "/dev/zero large read");
	check(raw(SYS_read, fd, (long)bad, 10, 0) == -EFAULT, "/dev/zero read to bad pointer EFAULT");
	check(write(fd, "ab", 2) == 2, "/dev/zero write taken");
	check(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0x105, "fstat /dev/zero: a character device 1,5");
	close(fd);
}

/* Whether length bytes hold at least distinct different byte values. */
static int bytes_spread(const char *bytes, size_t length, int distinct)
{
	unsigned char seen[256] = { 0 };
	int count = 0;

	for (size_t i = 0; i < length; i++) {
		count += !seen[(unsigned char)bytes[i]];
		seen[(unsigned char)bytes[i]] = 1;
	}
	return count >= distinct;
}

/* /dev/full, /dev/random and /dev/urandom (1,7, 1,8 and 1,9 as Linux
 * numbers them): full reads zeros and refuses every write with ENOSPC;
 * random and urandom read bytes of the kernel's random source (getrandom's),
 * never blocking, and take writes, reading the bytes. These checks pass
 * on Linux as well ("devices" runs them alone). */
static void files_more_devices(void)
{
	char buffer[64], other[64];
	struct stat st;

	int fd = open("/dev/full", O_RDWR);
	check(fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0x107,
	      "fstat /dev/full: a character device 1,7");
	memset(buffer, 'x', sizeof(buffer));
	int zeros = read(fd, buffer, sizeof(buffer)) == (ssize_t)sizeof(buffer);
	for (size_t i = 0; i < sizeof(buffer); i++)
		zeros = zeros && buffer[i] == 0;
	check(zeros, "/dev/full reads zeros, the whole length");
	check(write(fd, "ab", 2) == -1 && errno == ENOSPC, "/dev/full write ENOSPC");
	check(write(fd, big, sizeof(big)) == -1 && errno == ENOSPC, "/dev/full large write ENOSPC");
	check(write(fd, "", 0) == -1 && errno == ENOSPC, "/dev/full write of 0 bytes ENOSPC");
	check(pwrite(fd, "ab", 2, 10) == -1 && errno == ENOSPC, "/dev/full pwrite ENOSPC");
	check(raw(SYS_write, fd, (long)bad, 10, 0) == -ENOSPC, "/dev/full write of unmapped bytes ENOSPC (not read)");
	check(raw(SYS_write, fd, (long)kernel, 10, 0) == -EFAULT, "/dev/full write of kernel address EFAULT");
	check(raw(SYS_read, fd, (long)bad, 10, 0) == -EFAULT, "/dev/full read to bad pointer EFAULT");
	close(fd);

	fd = open("/dev/urandom", O_RDONLY);
	check(fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0x109,
	      "fstat /dev/urandom: a character device 1,9");
	/* Two equal 64-byte reads: a chance of 2^-512. */
	check(read(fd, buffer, sizeof(buffer)) == (ssize_t)sizeof(buffer) &&
	      read(fd, other, sizeof(other)) == (ssize_t)sizeof(other) &&
	      memcmp(buffer, other, sizeof(buffer)) != 0,
	      "/dev/urandom reads the whole length, and two reads differ");
	/* 70000 random bytes miss one of the 256 values with a chance of
	 * about 256 * e^-273: every value shows. */
	memset(big, 0, sizeof(big));
	check(read(fd, big, sizeof(big)) == (ssize_t)sizeof(big) && bytes_spread(big, sizeof(big), 256),
	      "/dev/urandom large read: every byte value comes");
	check(raw(SYS_read, fd, (long)bad, 10, 0) == -EFAULT, "/dev/urandom read to bad pointer EFAULT");
	check(write(fd, "x", 1) == -1 && errno == EBADF, "/dev/urandom O_RDONLY write EBADF");
	close(fd);

	fd = open("/dev/random", O_RDWR | O_NONBLOCK);
	check(fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0x108,
	      "fstat /dev/random: a character device 1,8");
	check(read(fd, buffer, sizeof(buffer)) == (ssize_t)sizeof(buffer) &&
	      read(fd, other, sizeof(other)) == (ssize_t)sizeof(other) &&
	      memcmp(buffer, other, sizeof(buffer)) != 0,
	      "/dev/random reads the whole length without blocking, and two reads differ");
	check(write(fd, "seed", 4) == 4, "/dev/random takes a write");
	check(raw(SYS_write, fd, (long)bad, 10, 0) == -EFAULT, "/dev/random write of unmapped bytes EFAULT (they are read)");
	check(raw(SYS_write, fd, (long)kernel, 10, 0) == -EFAULT, "/dev/random write of kernel address EFAULT");
	close(fd);
	check(stat("/dev/urandom", &st) == 0 && (st.st_mode & 0777) == 0666, "stat /dev/urandom: crw-rw-rw-");
	check(access("/dev/full", R_OK | W_OK) == 0, "access /dev/full read-write");
}

/* The entries of directory fd from its start: how many, and a bit each
 * for "." and ".." (directories), null, zero, full, random and urandom
 * (character devices). */
static int files_dev_listing(int fd, int *seen)
{
	DIR *listing = fdopendir(dup(fd));
	int count = 0;

	*seen = 0;
	for (struct dirent *entry; listing && (entry = readdir(listing));) {
		count++;
		*seen |= (strcmp(entry->d_name, ".") == 0 && entry->d_type == DT_DIR) |
			 (strcmp(entry->d_name, "..") == 0 && entry->d_type == DT_DIR) << 1 |
			 (strcmp(entry->d_name, "null") == 0 && entry->d_type == DT_CHR) << 2 |
			 (strcmp(entry->d_name, "zero") == 0 && entry->d_type == DT_CHR) << 3 |
			 (strcmp(entry->d_name, "full") == 0 && entry->d_type == DT_CHR) << 4 |
			 (strcmp(entry->d_name, "random") == 0 && entry->d_type == DT_CHR) << 5 |
			 (strcmp(entry->d_name, "urandom") == 0 && entry->d_type == DT_CHR) << 6;
	}
	if (listing)
		closedir(listing);
	return count;
}

/* /dev is a read-only directory: stat, open, getdents64, chdir, and
 * Linux's errors for what is not there or cannot be made. */
static void files_dev_directory(void)
{
	char buffer[64];
	struct stat st, by_fd;
	int seen = 0;

	check(stat("/dev", &st) == 0 && S_ISDIR(st.st_mode) && st.st_nlink >= 2, "stat /dev: a directory");
	check(lstat("/dev", &st) == 0 && S_ISDIR(st.st_mode), "lstat /dev: a directory");
	check(raw(SYS_newfstatat, AT_FDCWD, (long)"/dev", (long)&st, 0) == 0 && S_ISDIR(st.st_mode),
	      "newfstatat /dev: a directory");
	check(access("/dev", R_OK | X_OK) == 0, "access /dev R_OK X_OK");
	int fd = open("/dev", O_RDONLY | O_DIRECTORY);
	check(fd >= 0 && fstat(fd, &by_fd) == 0 && S_ISDIR(by_fd.st_mode) && by_fd.st_ino == st.st_ino,
	      "open /dev O_DIRECTORY, fstat the same directory");
	check(files_dev_listing(fd, &seen) == 7 && seen == 127,
	      "getdents64 /dev lists . .. null zero full random urandom");
	check(lseek(fd, 0, SEEK_SET) == 0 && files_dev_listing(fd, &seen) == 7 && seen == 127,
	      "lseek /dev to 0 lists it again");
	check(read(fd, buffer, sizeof(buffer)) == -1 && errno == EISDIR, "read /dev EISDIR");
	int null = openat(fd, "null", O_WRONLY);
	check(null >= 0 && write(null, "x", 1) == 1, "openat /dev's descriptor, null");
	close(null);
	check(fchdir(fd) == 0 && getcwd(buffer, sizeof(buffer)) && strcmp(buffer, "/dev") == 0,
	      "fchdir /dev");
	close(fd);
	check(chdir("/") == 0 && chdir("/dev") == 0 && getcwd(buffer, sizeof(buffer)) &&
	      strcmp(buffer, "/dev") == 0, "chdir /dev");
	check(stat("zero", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0x105, "relative name in /dev");
	check(chdir("null") == -1 && errno == ENOTDIR, "chdir /dev/null ENOTDIR");
	check(chdir("/") == 0, "chdir / again");
	check(open("/dev", O_WRONLY) == -1 && errno == EISDIR, "open /dev for write EISDIR");
	check(open("/dev", O_RDONLY | O_CREAT, 0644) == -1 && errno == EISDIR, "open /dev O_CREAT EISDIR");
	check(open("/dev", O_RDONLY | O_CREAT | O_EXCL, 0644) == -1 && errno == EEXIST, "open /dev O_CREAT O_EXCL EEXIST");
	check(open("/dev/nonexistent", O_RDONLY) == -1 && errno == ENOENT, "open /dev/nonexistent ENOENT");
	check(stat("/dev/nonexistent", &st) == -1 && errno == ENOENT, "stat /dev/nonexistent ENOENT");
	check(open("/dev/null/x", O_RDONLY) == -1 && errno == ENOTDIR, "open below /dev/null ENOTDIR");
	check(open("/dev/new", O_WRONLY | O_CREAT, 0644) == -1 && errno == EROFS, "create in /dev EROFS");
	check(mkdir("/dev", 0755) == -1 && errno == EEXIST, "mkdir /dev EEXIST");
	check(mkdir("/dev/d", 0755) == -1 && errno == EROFS, "mkdir in /dev EROFS");
	check(unlink("/dev/null") == -1 && errno == EROFS, "unlink /dev/null EROFS");
	check(unlink("/dev/nonexistent") == -1 && errno == ENOENT, "unlink /dev/nonexistent ENOENT");
	check(rename("/dev/nonexistent", "/dev/other") == -1 && errno == ENOENT, "rename in /dev, missing ENOENT");
	check(rename("/dev/zero", "/tmp/zero") == -1 && errno == EXDEV, "rename /dev/zero into /tmp EXDEV");
	int root = open("/", O_RDONLY | O_DIRECTORY), dev_listed = 0;
	DIR *top = fdopendir(root);
	for (struct dirent *entry; top && (entry = readdir(top));)
		dev_listed |= strcmp(entry->d_name, "dev") == 0 && entry->d_type == DT_DIR;
	check(dev_listed, "/ lists dev");
	closedir(top);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "sigpipe") == 0)
		return files_sigpipe();
	if (argc > 1 && strcmp(argv[1], "devices") == 0) {
		files_more_devices();
		printf("# checks %d failures %d\n", checks, failures);
		return failures;
	}
	printf("KTAP version 1\n");
	files_create();
	files_names();
	files_unlinked_open();
	files_sendfile();
	files_pipes();
	files_full();
	files_devices();
	files_more_devices();
	files_dev_directory();
	check(rmdir("/tmp/t") == 0, "rmdir the test directory");
	printf("1..%d\n# checks %d failures %d\n", checks, checks, failures);
	return failures;
}
