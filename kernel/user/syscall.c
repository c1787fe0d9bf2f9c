/*
 * The system-call table: Linux's x86-64 numbers to Veil's handlers.
 * Unimplemented numbers answer -ENOSYS; each is logged once by name, so a
 * program's first unsupported call is visible without a flood.
 *
 * Locking: syscall_reported is a bitmap updated atomically.
 */
#include <stdint.h>
#include "kernel/lib/printk.h"
#include "kernel/user/process.h"
#include "kernel/user/syscall.h"
#include "kernel/user/user_errno.h"

#define SYSCALL(number, function) [number] = { #function, syscall_##function }
#define SYSCALL_NAMED(number, text) [number] = { text, NULL }

static const struct syscall_entry syscall_table[SYSCALL_TABLE_SIZE] = {
	/* Files, descriptors, pipes and /tmp. */
	SYSCALL(0, read), SYSCALL(1, write), SYSCALL(2, open),
	SYSCALL(3, close), SYSCALL(4, stat), SYSCALL(5, fstat),
	SYSCALL(6, lstat), SYSCALL(7, poll), SYSCALL(8, lseek),
	SYSCALL(16, ioctl),
	SYSCALL(17, pread64), SYSCALL(18, pwrite64), SYSCALL(19, readv),
	SYSCALL(20, writev), SYSCALL(21, access), SYSCALL(22, pipe),
	SYSCALL(32, dup), SYSCALL(33, dup2), SYSCALL(40, sendfile),
	SYSCALL(72, fcntl), SYSCALL(74, fsync), SYSCALL(77, ftruncate),
	SYSCALL(79, getcwd), SYSCALL(80, chdir), SYSCALL(81, fchdir),
	SYSCALL(82, rename), SYSCALL(83, mkdir), SYSCALL(84, rmdir),
	SYSCALL(87, unlink), SYSCALL(89, readlink), SYSCALL(217, getdents64),
	SYSCALL(257, openat), SYSCALL(258, mkdirat), SYSCALL(262, newfstatat),
	SYSCALL(263, unlinkat), SYSCALL(264, renameat),
	SYSCALL(267, readlinkat), SYSCALL(292, dup3), SYSCALL(293, pipe2),
	SYSCALL(316, renameat2),
	/* Memory. */
	SYSCALL(9, mmap), SYSCALL(10, mprotect), SYSCALL(11, munmap),
	SYSCALL(12, brk), SYSCALL(25, mremap), SYSCALL(28, madvise),
	/* Processes and signals. */
	SYSCALL(13, rt_sigaction), SYSCALL(14, rt_sigprocmask),
	SYSCALL(15, rt_sigreturn), SYSCALL(39, getpid), SYSCALL(56, clone),
	SYSCALL(57, fork), SYSCALL(58, vfork), SYSCALL(59, execve),
	SYSCALL(60, exit), SYSCALL(61, wait4), SYSCALL(62, kill),
	SYSCALL(110, getppid), SYSCALL(130, rt_sigsuspend),
	SYSCALL(131, sigaltstack), SYSCALL(158, arch_prctl),
	SYSCALL(186, gettid), SYSCALL(200, tkill), SYSCALL(202, futex),
	SYSCALL(218, set_tid_address), SYSCALL(231, exit_group),
	SYSCALL(234, tgkill), SYSCALL(273, set_robust_list),
	/* The machine, time and identity. */
	SYSCALL(24, sched_yield), SYSCALL(35, nanosleep), SYSCALL(63, uname),
	SYSCALL(95, umask), SYSCALL(96, gettimeofday), SYSCALL(99, sysinfo),
	SYSCALL(102, getuid), SYSCALL(104, getuid), SYSCALL(107, getuid),
	SYSCALL(108, getuid), SYSCALL(157, prctl),
	SYSCALL(201, time), SYSCALL(204, sched_getaffinity),
	SYSCALL(228, clock_gettime), SYSCALL(230, clock_nanosleep),
	SYSCALL(302, prlimit64), SYSCALL(318, getrandom),
	/* Known by name, not (yet) implemented: logged as such. */
	SYSCALL_NAMED(334, "rseq"),
};

/* Bit n: number n was answered -ENOSYS and logged. */
static uint64_t syscall_reported[(SYSCALL_TABLE_SIZE + 63) / 64 + 1];

const char *syscall_name(uint64_t number)
{
	if (number < SYSCALL_TABLE_SIZE && syscall_table[number].name)
		return syscall_table[number].name;
	return "?";
}

static long syscall_unimplemented(uint64_t number)
{
	uint64_t slot = number < SYSCALL_TABLE_SIZE ? number : SYSCALL_TABLE_SIZE;
	uint64_t bit = 1ull << (slot % 64);
	uint64_t old = __atomic_fetch_or(&syscall_reported[slot / 64], bit,
					 __ATOMIC_RELAXED);

	if (!(old & bit)) {
		struct process *process = process_current();
		log_warn("user: %s (pid %d) called %s (%llu), which Veil does "
			 "not have: -ENOSYS%s", process ? process->name : "?",
			 process ? process->pid : 0, syscall_name(number),
			 (unsigned long long)number,
			 slot == SYSCALL_TABLE_SIZE ? " (further unknown numbers "
						      "are not logged)" : "");
	}
	return -USER_ENOSYS;
}

long syscall_run(uint64_t number, const uint64_t argument[6])
{
	if (number < SYSCALL_TABLE_SIZE && syscall_table[number].handler)
		return syscall_table[number].handler(argument);
	return syscall_unimplemented(number);
}
