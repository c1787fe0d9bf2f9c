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
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
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

/* writev's vector is checked whole before a byte moves (Linux's
 * import_iovec); a bad buffer ends the transfer short; nothing to write
 * is 0. Through a pipe, whose contents show what was written. */
static void writev_edges(void)
{
	int ends[2];
	char got[8];

	check(pipe(ends) == 0, "pipe for writev");
	struct iovec half_bad[2] = { { "ab", 2 }, { bad, 3 } };
	check(writev(ends[1], half_bad, 2) == 2 && read(ends[0], got, 8) == 2 &&
	      memcmp(got, "ab", 2) == 0, "writev stops short at a bad buffer");
	struct iovec huge[2] = { { "ab", 2 }, { "cd", (size_t)-1 } };
	check(raw(SYS_writev, ends[1], (long)huge, 2, 0, 0, 0) == -EINVAL,
	      "writev negative length EINVAL");
	struct iovec empty[2] = { { bad, 0 }, { "x", 0 } };
	check(writev(ends[1], empty, 2) == 0, "writev of nothing is 0");
	fcntl(ends[0], F_SETFL, O_NONBLOCK);
	check(read(ends[0], got, 8) == -1 && errno == EAGAIN,
	      "writev: nothing written by the refused or empty vectors");
	check(raw(SYS_readv, ends[1], (long)empty, 2, 0, 0, 0) == -EBADF,
	      "readv of a write end EBADF");
	close(ends[0]);
	close(ends[1]);
}

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
	writev_edges();
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

/* Whether page i of base holds the byte i + seed everywhere it was set. */
static int pattern_at(const char *base, long page, int i, int seed)
{
	return base[i * page] == (char)(i + seed) &&
	       base[i * page + page - 1] == (char)(i + seed);
}

static void fill(char *base, long page, int pages, int seed)
{
	for (int i = 0; i < pages; i++)
		base[i * page] = base[i * page + page - 1] = (char)(i + seed);
}

/* mremap: shrink, grow in place, grow by moving, a fixed target, and
 * Linux's errors. */
static void remaps(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	fill(m, page, 4, 10);
	check(mremap(m, 4 * page, 2 * page, 0) == m, "mremap shrinks in place");
	check(mprotect(m + 3 * page, page, PROT_READ) == -1 && errno == ENOMEM, "mremap shrink unmapped the tail");
	check(mremap(m, 2 * page, 4 * page, 0) == m, "mremap grows in place");
	check(pattern_at(m, page, 0, 10) && pattern_at(m, page, 1, 10) && m[3 * page] == 0,
	      "mremap in place keeps the pages, new ones zero");
	fill(m, page, 4, 20);
	char *block = mmap(m + 4 * page, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	check(block == m + 4 * page || (block == MAP_FAILED && errno == EEXIST),
	      "the page right after is taken (by a mapping of ours, or one already there)");
	check(mremap(m, 4 * page, 8 * page, 0) == MAP_FAILED && errno == ENOMEM, "mremap cannot grow in place ENOMEM");
	char *q = mremap(m, 4 * page, 8 * page, MREMAP_MAYMOVE);
	check(q != MAP_FAILED && q != m, "mremap MAYMOVE moves");
	int kept = q != MAP_FAILED;
	for (int i = 0; kept && i < 4; i++)
		kept = pattern_at(q, page, i, 20);
	check(kept && q[7 * page] == 0, "mremap moved the bytes, new pages zero");
	check(mprotect(m, page, PROT_READ) == -1 && errno == ENOMEM, "mremap move unmapped the old range");
	if (block != MAP_FAILED)
		munmap(block, page);
	char *target = mmap(NULL, 2 * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(target, 2 * page);
	char *r = mremap(q, 8 * page, 2 * page, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	check(r == target && pattern_at(r, page, 0, 20) && pattern_at(r, page, 1, 20), "mremap FIXED");
	check(mremap(r + 1, page, page, 0) == MAP_FAILED && errno == EINVAL, "mremap unaligned EINVAL");
	check(mremap(r, page, 0, 0) == MAP_FAILED && errno == EINVAL, "mremap new size zero EINVAL");
	check(mremap(r, page, page, 0x80) == MAP_FAILED && errno == EINVAL, "mremap bad flags EINVAL");
	check(mremap(r, page, 2 * page, MREMAP_FIXED, target + 4 * page) == MAP_FAILED && errno == EINVAL,
	      "mremap FIXED without MAYMOVE EINVAL");
	check(mremap(m, page, 2 * page, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT, "mremap unmapped EFAULT");
	munmap(r, 2 * page);
}

/* mprotect of part of a mapping, and of a PROT_NONE reservation. */
static void partial_protections(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	fill(m, page, 4, 30);
	check(mprotect(m + page, page, PROT_READ) == 0, "mprotect part of a mapping");
	m[0] = 7;
	m[2 * page] = 8;
	check(pattern_at(m, page, 1, 30) && pattern_at(m, page, 3, 30) && m[0] == 7 && m[2 * page] == 8,
	      "the rest stays writable, bytes kept");
	check(raw(SYS_getrandom, (long)(m + page), 8, 0, 0, 0, 0) == -EFAULT, "the part is read-only (EFAULT)");
	check(mprotect(m, 4 * page, PROT_READ | PROT_WRITE) == 0, "mprotect over the pieces");
	m[page] = 9;
	check(m[page] == 9 && pattern_at(m, page, 3, 30), "writable again");
	munmap(m, 4 * page);
	char *r = mmap(NULL, 8 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(mprotect(r, 2 * page, PROT_READ | PROT_WRITE) == 0, "mprotect part of a PROT_NONE reservation");
	r[0] = 1;
	r[page] = 2;
	check(r[0] == 1 && r[page] == 2, "the opened part works");
	fill(r, page, 2, 40);
	check(mprotect(r, 2 * page, PROT_NONE) == 0 && mprotect(r + page, page, PROT_READ) == 0 &&
	      pattern_at(r, page, 1, 40), "bytes kept through PROT_NONE and back");
	munmap(r, 8 * page);
}

/* The calls static programs make at start-up and now and then: each
 * once as it should work and once with a bad argument. */
static void start_up_calls(void)
{
	char buffer[64], one[4] = { 0 }, two[4] = { 0 };
	struct iovec parts[2] = { { one, 3 }, { two, 3 } };
	struct stat st;
	struct timeval tv;
	struct sysinfo info;
	unsigned long mask[16];
	unsigned long limit[2];
	unsigned long set = 0;

	int fd = open("/etc/motd", O_RDONLY);
	check(readv(fd, parts, 2) == 6 && memcmp(one, "Vei", 3) == 0, "readv");
	check(raw(SYS_readv, fd, (long)bad, 2, 0, 0, 0) == -EFAULT, "readv bad iovec EFAULT");
	check(pread(fd, buffer, 4, 0) == 4 && memcmp(buffer, "Veil", 4) == 0, "pread64");
	check(pread(fd, buffer, 4, -1) == -1 && errno == EINVAL, "pread64 negative offset EINVAL");
	check(pread(99, buffer, 4, 0) == -1 && errno == EBADF, "pread64 bad fd EBADF");
	close(fd);
	check(lstat("/etc/motd", &st) == 0 && S_ISREG(st.st_mode), "lstat");
	check(raw(SYS_lstat, (long)bad, (long)&st, 0, 0, 0, 0) == -EFAULT, "lstat bad path EFAULT");
	check(raw(SYS_set_tid_address, (long)&set, 0, 0, 0, 0, 0) == getpid(), "set_tid_address gives the tid");
	check(raw(SYS_set_robust_list, (long)buffer, 7, 0, 0, 0, 0) == -EINVAL, "set_robust_list bad length EINVAL");
	check(raw(SYS_rt_sigprocmask, 0, 0, (long)&set, 8, 0, 0) == 0, "rt_sigprocmask reads the mask");
	check(raw(SYS_rt_sigprocmask, 7, (long)&set, 0, 8, 0, 0) == -EINVAL, "rt_sigprocmask bad how EINVAL");
	check(raw(SYS_rt_sigprocmask, 0, (long)bad, 0, 8, 0, 0) == -EFAULT, "rt_sigprocmask bad pointer EFAULT");
	check(getegid() == 0, "getegid");
	check(gettimeofday(&tv, NULL) == 0 && tv.tv_usec < 1000000, "gettimeofday");
	check(raw(SYS_gettimeofday, (long)bad, 0, 0, 0, 0, 0) == -EFAULT, "gettimeofday bad pointer EFAULT");
	check(raw(SYS_prlimit64, 0, RLIMIT_STACK, 0, (long)limit, 0, 0) == 0 && limit[0] > 0, "prlimit64 stack");
	check(raw(SYS_prlimit64, 0, 99, 0, (long)limit, 0, 0) == -EINVAL, "prlimit64 bad resource EINVAL");
	check(raw(SYS_sched_getaffinity, 0, sizeof(mask), (long)mask, 0, 0, 0) > 0 && (mask[0] & 1),
	      "sched_getaffinity");
	check(raw(SYS_sched_getaffinity, 0, 1, (long)mask, 0, 0, 0) == -EINVAL, "sched_getaffinity short EINVAL");
	check(raw(SYS_sched_getaffinity, 0, sizeof(mask), (long)bad, 0, 0, 0) == -EFAULT,
	      "sched_getaffinity bad pointer EFAULT");
	mode_t old = umask(027);
	check(umask(old) == 027, "umask gives the old mask");
	umask(077);
	int made = open("/tmp/umask-probe", O_CREAT | O_WRONLY | O_TRUNC, 0666);
	check(made >= 0 && fstat(made, &st) == 0 && (st.st_mode & 0777) == 0600,
	      "umask clears a new file's mode bits");
	close(made);
	unlink("/tmp/umask-probe");
	umask(old);
	check(sysinfo(&info) == 0 && info.totalram > 0 && info.mem_unit > 0, "sysinfo");
	check(raw(SYS_sysinfo, (long)bad, 0, 0, 0, 0, 0) == -EFAULT, "sysinfo bad pointer EFAULT");
	check(readlink("/proc/self/exe", buffer, sizeof(buffer)) > 0, "readlink /proc/self/exe");
	check(readlink("/etc/motd", buffer, sizeof(buffer)) == -1 && errno == EINVAL, "readlink not a link EINVAL");
	check(raw(SYS_readlink, (long)bad, (long)buffer, 8, 0, 0, 0) == -EFAULT, "readlink bad path EFAULT");
	check(readlinkat(AT_FDCWD, "/proc/self/exe", buffer, sizeof(buffer)) > 0, "readlinkat");
	check(readlinkat(99, "relative", buffer, sizeof(buffer)) == -1 && errno == EBADF, "readlinkat bad dirfd EBADF");
	int root = open("/", O_RDONLY | O_DIRECTORY);
	check(readlinkat(root, "etc/motd", buffer, sizeof(buffer)) == -1 && errno == EINVAL,
	      "readlinkat relative to a directory: not a link EINVAL");
	check(readlinkat(root, "no-such-name", buffer, sizeof(buffer)) == -1 && errno == ENOENT,
	      "readlinkat relative: missing ENOENT");
	close(root);
	check(prctl(PR_SET_NAME, "renamed", 0, 0, 0) == 0 && prctl(PR_GET_NAME, buffer, 0, 0, 0) == 0 &&
	      strcmp(buffer, "renamed") == 0, "prctl names the process");
	check(raw(SYS_prctl, PR_GET_NAME, (long)bad, 0, 0, 0, 0) == -EFAULT, "prctl bad pointer EFAULT");
	check(raw(SYS_prctl, 0x7fff, 0, 0, 0, 0, 0) == -EINVAL, "prctl unknown option EINVAL");
	check(sched_yield() == 0, "sched_yield");
}

/* Nanoseconds from a to b. */
static long long elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000000ll + (b->tv_nsec - a->tv_nsec);
}

/* nanosleep and clock_nanosleep without a signal: Linux's order of
 * checks, never shorter than asked, the remaining time untouched (the
 * interrupted sleeps are in tests/user/process.c). */
static void sleeps(void)
{
	struct timespec nap = { -1, 0 }, before, after, until;

	check(raw(SYS_nanosleep, (long)bad, 0, 0, 0, 0, 0) == -EFAULT, "nanosleep bad request EFAULT");
	check(raw(SYS_nanosleep, (long)bad, (long)bad, 0, 0, 0, 0) == -EFAULT,
	      "nanosleep bad request and remaining: the request's EFAULT");
	check(raw(SYS_nanosleep, (long)&nap, 0, 0, 0, 0, 0) == -EINVAL, "nanosleep negative tv_sec EINVAL");
	nap.tv_sec = 0;
	nap.tv_nsec = -1;
	check(raw(SYS_nanosleep, (long)&nap, 0, 0, 0, 0, 0) == -EINVAL, "nanosleep negative tv_nsec EINVAL");
	nap.tv_nsec = 1000000000;
	check(raw(SYS_nanosleep, (long)&nap, (long)bad, 0, 0, 0, 0) == -EINVAL,
	      "nanosleep tv_nsec 1000000000 EINVAL (before the remaining pointer)");
	nap.tv_nsec = 0;
	check(raw(SYS_nanosleep, (long)&nap, 0, 0, 0, 0, 0) == 0, "nanosleep of zero");
	nap.tv_nsec = 3000000;
	clock_gettime(CLOCK_MONOTONIC, &before);
	long slept = raw(SYS_nanosleep, (long)&nap, (long)bad, 0, 0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &after);
	check(slept == 0, "nanosleep to its end: the remaining pointer unused");
	check(elapsed_ns(&before, &after) >= 3000000, "nanosleep sleeps at least the request");

	check(raw(SYS_clock_nanosleep, 99, 0, (long)&nap, 0, 0, 0) == -EINVAL, "clock_nanosleep bad clock EINVAL");
	check(raw(SYS_clock_nanosleep, CLOCK_MONOTONIC_RAW, 0, (long)&nap, 0, 0, 0) == -EOPNOTSUPP,
	      "clock_nanosleep CLOCK_MONOTONIC_RAW EOPNOTSUPP");
	check(raw(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, (long)&nap, 0, 0, 0) == -EINVAL,
	      "clock_nanosleep CLOCK_THREAD_CPUTIME_ID EINVAL");
	check(raw(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, (long)bad, 0, 0, 0) == -EFAULT,
	      "clock_nanosleep: the request is read before the thread clock is refused");
	check(raw(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (long)bad, 0, 0, 0) == -EFAULT,
	      "clock_nanosleep bad request EFAULT");
	nap.tv_nsec = 1000000000;
	check(raw(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (long)&nap, 0, 0, 0) == -EINVAL,
	      "clock_nanosleep bad tv_nsec EINVAL");
	nap.tv_nsec = 2000000;
	clock_gettime(CLOCK_MONOTONIC, &before);
	slept = raw(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (long)&nap, (long)bad, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &after);
	check(slept == 0 && elapsed_ns(&before, &after) >= 2000000, "clock_nanosleep relative");
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += 3000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	slept = raw(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, (long)&until, 0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &after);
	check(slept == 0 && elapsed_ns(&until, &after) >= 0, "clock_nanosleep TIMER_ABSTIME sleeps until the time");
	until.tv_sec = 0;
	until.tv_nsec = 5;
	check(raw(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, (long)&until, 0, 0, 0) == 0,
	      "clock_nanosleep TIMER_ABSTIME in the past returns at once");
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
	sleeps();
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
	remaps();
	partial_protections();
	start_up_calls();
	identity();
	futexes();
	printf("1..%d\n# checks %d failures %d\n", checks, checks, failures);
	return failures;
}
