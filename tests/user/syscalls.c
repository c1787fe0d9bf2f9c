/*
 * Checks Veil's system calls from user mode, with Linux's error codes for
 * bad pointers, bad descriptors, huge lengths and invalid flags. Prints a
 * KTAP line per check (the ktest compares none of the text: it requires
 * exit status 0, the number of failed checks, and "# checks N" to match
 * the count it expects).
 * Built with musl-gcc -static (tests/user).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

static int checks, failures;
static void *const bad = (void *)0x8;		/* never mapped */
static void *const kernel = (void *)0xffffffff80100000ull;

static void check(int ok, const char *name)
{
	checks++;
	if (!ok)
		failures++;
	printf("%sok %d %s\n", ok ? "" : "not ", checks, name);
}

/* A raw system call's result as Linux gives it: -errno on failure. */
static long raw(long number, long a, long b, long c, long d, long e, long f)
{
	long result = syscall(number, a, b, c, d, e, f);
	return result == -1 ? -errno : result;
}
#define RAW(n, ...) raw_n(n, __VA_ARGS__)
#define raw_n(n, ...) raw(n, __VA_ARGS__)

static void files(void)
{
	char buffer[64];
	struct stat st;

	check(raw(SYS_write, 1, (long)bad, 4, 0, 0, 0) == -EFAULT, "write bad pointer EFAULT");
	check(raw(SYS_write, 1, (long)kernel, 4, 0, 0, 0) == -EFAULT, "write kernel pointer EFAULT");
	check(raw(SYS_write, 77, (long)"x", 1, 0, 0, 0) == -EBADF, "write bad fd EBADF");
	check(raw(SYS_write, -1, (long)"x", 1, 0, 0, 0) == -EBADF, "write negative fd EBADF");
	check(raw(SYS_write, 1, (long)"", 0, 0, 0, 0) == 0, "write zero bytes");
	check(raw(SYS_read, 1000, (long)buffer, 1, 0, 0, 0) == -EBADF, "read bad fd EBADF");
	int fd = open("/etc/motd", O_RDONLY);
	check(fd >= 3, "open motd");
	check(raw(SYS_read, fd, (long)bad, 8, 0, 0, 0) == -EFAULT, "read into bad pointer EFAULT");
	check(read(fd, buffer, 4) == 4 && memcmp(buffer, "Veil", 4) == 0, "read motd");
	check(lseek(fd, 0, SEEK_CUR) == 4, "lseek cur");
	check(lseek(fd, -1, SEEK_SET) == -1 && errno == EINVAL, "lseek negative EINVAL");
	check(lseek(fd, 0, 99) == -1 && errno == EINVAL, "lseek bad whence EINVAL");
	check(pread(fd, buffer, 4, 5) == 4 && memcmp(buffer, "init", 4) == 0, "pread");
	check(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 42, "fstat size");
	check(raw(SYS_fstat, fd, (long)bad, 0, 0, 0, 0) == -EFAULT, "fstat bad pointer EFAULT");
	check(stat("/etc/motd", &st) == 0 && st.st_size == 42, "stat");
	check(stat("/etc/nothing", &st) == -1 && errno == ENOENT, "stat missing ENOENT");
	check(raw(SYS_stat, (long)bad, (long)&st, 0, 0, 0, 0) == -EFAULT, "stat bad path EFAULT");
	check(stat("/", &st) == 0 && S_ISDIR(st.st_mode), "stat root dir");
	check(raw(SYS_newfstatat, AT_FDCWD, (long)"etc/motd", (long)&st, 0, 0, 0) == 0, "newfstatat relative");
	check(raw(SYS_newfstatat, AT_FDCWD, (long)"/etc/motd", (long)&st, 0x8000, 0, 0) == -EINVAL, "newfstatat bad flags EINVAL");
	check(open("/etc/motd", O_WRONLY) == -1 && errno == EROFS, "open for write EROFS");
	check(open("/etc/new", O_WRONLY | O_CREAT, 0644) == -1 && errno == EROFS, "create EROFS");
	check(open("/nothing", O_RDONLY) == -1 && errno == ENOENT, "open missing ENOENT");
	check(open("/etc/motd", O_RDONLY | O_DIRECTORY) == -1 && errno == ENOTDIR, "O_DIRECTORY on file ENOTDIR");
	check(raw(SYS_open, (long)bad, O_RDONLY, 0, 0, 0, 0) == -EFAULT, "open bad path EFAULT");
	check(raw(SYS_openat, 55, (long)"x", O_RDONLY, 0, 0, 0) == -EBADF, "openat bad dirfd EBADF");
	check(access("/etc/motd", R_OK) == 0, "access R_OK");
	check(access("/etc/motd", W_OK) == -1 && errno == EROFS, "access W_OK EROFS");
	check(access("/etc/motd", 0x40) == -1 && errno == EINVAL, "access bad mode EINVAL");
	int copy = dup(fd);
	check(copy > fd && lseek(copy, 0, SEEK_CUR) == 4, "dup shares the offset");
	check(dup2(fd, 20) == 20, "dup2");
	check(raw(SYS_dup3, fd, fd, 0, 0, 0, 0) == -EINVAL, "dup3 same fd EINVAL");
	check(raw(SYS_dup3, fd, 21, 0x1, 0, 0, 0) == -EINVAL, "dup3 bad flags EINVAL");
	check(raw(SYS_dup2, 99, 3, 0, 0, 0, 0) == -EBADF, "dup2 bad fd EBADF");
	check(fcntl(fd, F_GETFD) == 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 &&
	      fcntl(fd, F_GETFD) == FD_CLOEXEC, "fcntl FD_CLOEXEC");
	check(fcntl(fd, F_DUPFD, 30) == 30, "fcntl F_DUPFD");
	check(raw(SYS_fcntl, fd, 9999, 0, 0, 0, 0) == -EINVAL, "fcntl bad command EINVAL");
	check(close(copy) == 0 && close(20) == 0 && close(30) == 0 && close(fd) == 0, "close");
	check(close(fd) == -1 && errno == EBADF, "close twice EBADF");
	struct iovec iov[2] = { { "wr", 2 }, { "itev\n", 5 } };
	check(writev(1, iov, 2) == 7, "writev");
	check(raw(SYS_writev, 1, (long)iov, -1, 0, 0, 0) == -EINVAL, "writev negative count EINVAL");
	check(raw(SYS_writev, 1, (long)iov, 2000, 0, 0, 0) == -EINVAL, "writev too many EINVAL");
	check(raw(SYS_writev, 1, (long)bad, 1, 0, 0, 0) == -EFAULT, "writev bad vector EFAULT");
	struct winsize window;
	check(ioctl(1, TIOCGWINSZ, &window) == 0 && window.ws_col > 0, "ioctl TIOCGWINSZ");
	struct termios terminal;
	check(tcgetattr(0, &terminal) == 0, "tcgetattr");
	check(raw(SYS_ioctl, 1, TIOCGWINSZ, (long)bad, 0, 0, 0) == -EFAULT, "ioctl bad pointer EFAULT");
	check(raw(SYS_ioctl, 1, 0x1234, 0, 0, 0, 0) == -ENOTTY, "ioctl unknown ENOTTY");
	fd = open("/etc/motd", O_RDONLY);
	check(raw(SYS_ioctl, fd, TCGETS, (long)&terminal, 0, 0, 0) == -ENOTTY, "ioctl on a file ENOTTY");
	close(fd);
	check(getcwd(buffer, sizeof(buffer)) && strcmp(buffer, "/") == 0, "getcwd");
	check(raw(SYS_getcwd, (long)buffer, 1, 0, 0, 0, 0) == -ERANGE, "getcwd small ERANGE");
}

static void memory(void)
{
	long page = 4096;
	/* Raw: musl's brk() refuses on purpose (its malloc never uses it). */
	char *heap = (char *)raw(SYS_brk, 0, 0, 0, 0, 0, 0);
	check(raw(SYS_brk, (long)(heap + 3 * page), 0, 0, 0, 0, 0) == (long)(heap + 3 * page), "brk grows");
	heap[2 * page] = 7;
	check(heap[2 * page] == 7, "brk memory usable");
	check(raw(SYS_brk, (long)heap, 0, 0, 0, 0, 0) == (long)heap, "brk shrinks");
	check(raw(SYS_brk, 1, 0, 0, 0, 0, 0) == (long)heap, "brk below the start keeps the end");
	char *map = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(map != MAP_FAILED, "mmap anonymous");
	check(map[5 * page] == 0, "mmap reads zeros");
	map[5 * page] = 9;
	check(madvise(map, 8 * page, MADV_DONTNEED) == 0 && map[5 * page] == 0, "madvise DONTNEED zeros");
	check(munmap(map + 2 * page, 2 * page) == 0, "munmap middle");
	map[page] = 1;
	map[5 * page] = 2;
	check(map[page] == 1 && map[5 * page] == 2, "pieces around a hole");
	check(munmap(map, 8 * page) == 0, "munmap whole");
	check(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL, "mmap zero length EINVAL");
	check(mmap(NULL, page, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL, "mmap no type EINVAL");
	check(mmap(NULL, page, 0x100, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL, "mmap bad prot EINVAL");
	check(mmap(NULL, (size_t)1 << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == ENOMEM, "mmap huge ENOMEM");
	check(mmap(NULL, page, PROT_READ, MAP_PRIVATE, 77, 0) == MAP_FAILED && errno == EBADF, "mmap bad fd EBADF");
	check(munmap((void *)0x10001, page) == -1 && errno == EINVAL, "munmap unaligned EINVAL");
	int fd = open("/etc/motd", O_RDONLY);
	char *text = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 0);
	check(text != MAP_FAILED && memcmp(text, "Veil", 4) == 0, "mmap private file");
	check(mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 1) == MAP_FAILED && errno == EINVAL, "mmap unaligned offset EINVAL");
	check(mmap(NULL, page, PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EACCES, "mmap shared writable read-only file EACCES");
	close(fd);
	map = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	map[0] = 1;
	check(mprotect(map, page, PROT_READ) == 0 && map[0] == 1, "mprotect read-only");
	check(mprotect(map, page, 0x80) == -1 && errno == EINVAL, "mprotect bad prot EINVAL");
	fd = open("/etc/motd", O_RDONLY);
	check(raw(SYS_read, fd, (long)map, 1, 0, 0, 0) == -EFAULT, "read into read-only page EFAULT");
	close(fd);
}

static void identity(void)
{
	struct utsname name;
	struct timespec a, b;
	unsigned char random[32];

	check(getpid() > 0 && syscall(SYS_gettid) == getpid(), "getpid gettid");
	check(getuid() == 0 && geteuid() == 0 && getgid() == 0, "ids");
	check(uname(&name) == 0 && strcmp(name.machine, "x86_64") == 0, "uname");
	check(raw(SYS_uname, (long)bad, 0, 0, 0, 0, 0) == -EFAULT, "uname bad pointer EFAULT");
	check(clock_gettime(CLOCK_MONOTONIC, &a) == 0 && clock_gettime(CLOCK_MONOTONIC, &b) == 0 &&
	      (b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec)), "clock_gettime monotonic");
	check(raw(SYS_clock_gettime, 99, (long)&a, 0, 0, 0, 0) == -EINVAL, "clock_gettime bad clock EINVAL");
	struct timespec nap = { 0, 2000000 };
	check(nanosleep(&nap, NULL) == 0, "nanosleep");
	nap.tv_nsec = 2000000000;
	check(nanosleep(&nap, NULL) == -1 && errno == EINVAL, "nanosleep bad EINVAL");
	long now = 0, seconds = raw(SYS_time, (long)&now, 0, 0, 0, 0, 0);
	check(seconds >= 0 && now == seconds, "time");
	check(raw(SYS_time, (long)bad, 0, 0, 0, 0, 0) == -EFAULT, "time bad pointer EFAULT");
	check(raw(SYS_getrandom, (long)random, sizeof(random), 0, 0, 0, 0) == sizeof(random), "getrandom");
	check(raw(SYS_getrandom, (long)random, 8, 0x80, 0, 0, 0) == -EINVAL, "getrandom bad flags EINVAL");
	check(raw(SYS_getrandom, (long)bad, 8, 0, 0, 0, 0) == -EFAULT, "getrandom bad pointer EFAULT");
	check(raw(SYS_arch_prctl, 0x9999, 0, 0, 0, 0, 0) == -EINVAL, "arch_prctl bad code EINVAL");
	check(raw(999, 0, 0, 0, 0, 0, 0) == -ENOSYS, "unknown number ENOSYS");
}

/* futex for a process of one thread: nobody can wake a waiter, so a wait
 * ends by its timeout; the word is checked first. */
static void futexes(void)
{
	static unsigned word = 7;
	struct timespec ten_ms = { 0, 10000000 }, broken = { 0, 2000000000 };

	check(raw(SYS_futex, (long)&word, 128 | 0, 8, 0, 0, 0) == -EAGAIN,
	      "futex wait on another value EAGAIN");
	check(raw(SYS_futex, (long)&word, 0, 7, (long)&ten_ms, 0, 0) == -ETIMEDOUT,
	      "futex wait times out ETIMEDOUT");
	check(raw(SYS_futex, (long)&word, 0, 7, (long)&broken, 0, 0) == -EINVAL,
	      "futex bad timeout EINVAL");
	check(raw(SYS_futex, (long)&word, 128 | 1, 1, 0, 0, 0) == 0,
	      "futex wake wakes nobody");
	check(raw(SYS_futex, (long)bad, 0, 7, 0, 0, 0) == -EFAULT,
	      "futex bad pointer EFAULT");
	check(raw(SYS_futex, (long)&word + 1, 0, 7, 0, 0, 0) == -EINVAL,
	      "futex unaligned word EINVAL");
	check(raw(SYS_futex, (long)&word, 9, 7, 0, 0, 0) == -EINVAL,
	      "futex wait_bitset with no bits EINVAL");
	check(raw(SYS_futex, (long)&word, 99, 7, 0, 0, 0) == -ENOSYS,
	      "futex unknown operation ENOSYS");
}

int main(void)
{
	printf("KTAP version 1\n");
	files();
	memory();
	identity();
	futexes();
	printf("1..%d\n# checks %d failures %d\n", checks, checks, failures);
	return failures;
}
