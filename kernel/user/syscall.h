/*
 * Linux x86-64 system calls on Veil: the table from Linux's numbers to
 * Veil's handlers (syscall.c), and the handlers, grouped by what they act
 * on (syscall_file.c, syscall_memory.c, syscall_process.c, ...). docs/
 * user.md lists what each does. A number without a handler returns
 * -ENOSYS and is logged by name once.
 */
#ifndef VEIL_KERNEL_USER_SYSCALL_H
#define VEIL_KERNEL_USER_SYSCALL_H

#include <stdint.h>

/* The six arguments (rdi, rsi, rdx, r10, r8, r9 on x86-64). */
typedef long (*syscall_handler_fn)(const uint64_t argument[6]);

struct syscall_entry {
	const char *name;
	syscall_handler_fn handler;	/* NULL: not implemented */
};

/* Linux's x86-64 numbers; names in the table are Linux's. */
#define SYSCALL_TABLE_SIZE 335

/* Runs system call number with its arguments; the return value goes to
 * user mode (a negative Linux error, or the result). Called by the arch's
 * entry with interrupts on, on the calling thread's kernel stack. */
long syscall_run(uint64_t number, const uint64_t argument[6]);
/* The name of number ("?" when unknown). */
const char *syscall_name(uint64_t number);

/* Handlers, by file. */
long syscall_read(const uint64_t a[6]);
long syscall_write(const uint64_t a[6]);
long syscall_readv(const uint64_t a[6]);
long syscall_writev(const uint64_t a[6]);
long syscall_pread64(const uint64_t a[6]);
long syscall_open(const uint64_t a[6]);
long syscall_openat(const uint64_t a[6]);
long syscall_close(const uint64_t a[6]);
long syscall_lseek(const uint64_t a[6]);
long syscall_fstat(const uint64_t a[6]);
long syscall_stat(const uint64_t a[6]);
long syscall_lstat(const uint64_t a[6]);
long syscall_newfstatat(const uint64_t a[6]);
long syscall_access(const uint64_t a[6]);
long syscall_ioctl(const uint64_t a[6]);
long syscall_fcntl(const uint64_t a[6]);
long syscall_dup(const uint64_t a[6]);
long syscall_dup2(const uint64_t a[6]);
long syscall_dup3(const uint64_t a[6]);
long syscall_getcwd(const uint64_t a[6]);
long syscall_getdents64(const uint64_t a[6]);
long syscall_pwrite64(const uint64_t a[6]);
long syscall_ftruncate(const uint64_t a[6]);
long syscall_fsync(const uint64_t a[6]);
long syscall_sendfile(const uint64_t a[6]);
long syscall_pipe(const uint64_t a[6]);
long syscall_pipe2(const uint64_t a[6]);
long syscall_poll(const uint64_t a[6]);
long syscall_chdir(const uint64_t a[6]);
long syscall_fchdir(const uint64_t a[6]);
long syscall_mkdir(const uint64_t a[6]);
long syscall_mkdirat(const uint64_t a[6]);
long syscall_rmdir(const uint64_t a[6]);
long syscall_unlink(const uint64_t a[6]);
long syscall_unlinkat(const uint64_t a[6]);
long syscall_rename(const uint64_t a[6]);
long syscall_renameat(const uint64_t a[6]);
long syscall_renameat2(const uint64_t a[6]);

long syscall_brk(const uint64_t a[6]);
long syscall_mmap(const uint64_t a[6]);
long syscall_munmap(const uint64_t a[6]);
long syscall_mprotect(const uint64_t a[6]);
long syscall_mremap(const uint64_t a[6]);
long syscall_madvise(const uint64_t a[6]);

long syscall_exit(const uint64_t a[6]);
long syscall_exit_group(const uint64_t a[6]);
long syscall_getpid(const uint64_t a[6]);
long syscall_getppid(const uint64_t a[6]);
long syscall_gettid(const uint64_t a[6]);
long syscall_getuid(const uint64_t a[6]);
long syscall_arch_prctl(const uint64_t a[6]);
long syscall_set_tid_address(const uint64_t a[6]);
long syscall_uname(const uint64_t a[6]);
long syscall_clock_gettime(const uint64_t a[6]);
long syscall_gettimeofday(const uint64_t a[6]);
long syscall_nanosleep(const uint64_t a[6]);
long syscall_clock_nanosleep(const uint64_t a[6]);
long syscall_getrandom(const uint64_t a[6]);
long syscall_futex(const uint64_t a[6]);
long syscall_time(const uint64_t a[6]);
long syscall_sched_yield(const uint64_t a[6]);
long syscall_umask(const uint64_t a[6]);
long syscall_prctl(const uint64_t a[6]);
long syscall_set_robust_list(const uint64_t a[6]);
long syscall_prlimit64(const uint64_t a[6]);
long syscall_sched_getaffinity(const uint64_t a[6]);
long syscall_sysinfo(const uint64_t a[6]);
long syscall_readlink(const uint64_t a[6]);
long syscall_readlinkat(const uint64_t a[6]);
long syscall_rt_sigaction(const uint64_t a[6]);
long syscall_rt_sigprocmask(const uint64_t a[6]);
long syscall_rt_sigreturn(const uint64_t a[6]);
long syscall_rt_sigsuspend(const uint64_t a[6]);
long syscall_sigaltstack(const uint64_t a[6]);

long syscall_fork(const uint64_t a[6]);
long syscall_vfork(const uint64_t a[6]);
long syscall_clone(const uint64_t a[6]);
long syscall_execve(const uint64_t a[6]);
long syscall_wait4(const uint64_t a[6]);
long syscall_kill(const uint64_t a[6]);
long syscall_tkill(const uint64_t a[6]);
long syscall_tgkill(const uint64_t a[6]);

#endif
