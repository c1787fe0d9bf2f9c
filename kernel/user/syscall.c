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
	SYSCALL(0, read), SYSCALL(1, write), SYSCALL(2, open),
	SYSCALL(3, close), SYSCALL(4, stat), SYSCALL(5, fstat),
	SYSCALL(6, lstat), SYSCALL(8, lseek), SYSCALL(9, mmap),
	SYSCALL(10, mprotect), SYSCALL(11, munmap), SYSCALL(12, brk),
	SYSCALL(16, ioctl), SYSCALL(17, pread64), SYSCALL(19, readv),
	SYSCALL(20, writev), SYSCALL(21, access), SYSCALL(24, sched_yield),
	SYSCALL(28, madvise), SYSCALL(32, dup), SYSCALL(33, dup2),
	SYSCALL(35, nanosleep), SYSCALL(39, getpid), SYSCALL(60, exit),
	SYSCALL(63, uname), SYSCALL(72, fcntl), SYSCALL(79, getcwd),
	SYSCALL(95, umask), SYSCALL(96, gettimeofday),
	SYSCALL(102, getuid), SYSCALL(104, getuid), SYSCALL(107, getuid),
	SYSCALL(108, getuid), SYSCALL(110, getppid), SYSCALL(158, arch_prctl),
	SYSCALL(186, gettid), SYSCALL(218, set_tid_address),
	SYSCALL(228, clock_gettime), SYSCALL(231, exit_group),
	SYSCALL(257, openat), SYSCALL(262, newfstatat), SYSCALL(292, dup3),
	SYSCALL(318, getrandom),
	/* Files at /tmp and pipes. */
	SYSCALL(18, pwrite64), SYSCALL(22, pipe), SYSCALL(40, sendfile),
	SYSCALL(74, fsync), SYSCALL(77, ftruncate), SYSCALL(80, chdir),
	SYSCALL(81, fchdir), SYSCALL(82, rename), SYSCALL(83, mkdir),
	SYSCALL(84, rmdir), SYSCALL(87, unlink), SYSCALL(258, mkdirat),
	SYSCALL(263, unlinkat), SYSCALL(264, renameat), SYSCALL(293, pipe2),
	SYSCALL(316, renameat2), SYSCALL(7, poll),
	/* Known by name, not (yet) implemented: logged as such. */
	SYSCALL(13, rt_sigaction),
	SYSCALL(14, rt_sigprocmask), SYSCALL_NAMED(15, "rt_sigreturn"),
	SYSCALL_NAMED(25, "mremap"),
	SYSCALL_NAMED(56, "clone"), SYSCALL_NAMED(57, "fork"),
	SYSCALL_NAMED(58, "vfork"), SYSCALL_NAMED(59, "execve"),
	SYSCALL_NAMED(61, "wait4"), SYSCALL_NAMED(62, "kill"),
	SYSCALL(89, readlink), SYSCALL(99, sysinfo),
	SYSCALL_NAMED(131, "sigaltstack"), SYSCALL(157, prctl),
	SYSCALL(202, futex), SYSCALL(204, sched_getaffinity),
	SYSCALL(217, getdents64), SYSCALL_NAMED(234, "tgkill"),
	SYSCALL(267, readlinkat), SYSCALL(273, set_robust_list),
	SYSCALL(302, prlimit64),
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
