/*
 * System calls of processes' lives (syscall.h): fork, vfork, clone,
 * execve, wait4, kill and tgkill. The work is process_fork.c's,
 * process_exec.c's, process_tree.c's and process_signal.c's; here the
 * arguments are checked as Linux checks them.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/user/process_internal.h"
#include "kernel/user/syscall.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_errno.h"

#define CLONE_EXIT_SIGNAL 0xffull
#define CLONE_VM 0x100ull
#define CLONE_FS 0x200ull
#define CLONE_FILES 0x400ull
#define CLONE_SIGHAND 0x800ull
#define CLONE_VFORK 0x4000ull
#define CLONE_THREAD 0x10000ull
#define CLONE_SETTLS 0x80000ull
#define CLONE_PARENT_SETTID 0x100000ull
#define CLONE_CHILD_CLEARTID 0x200000ull
#define CLONE_CHILD_SETTID 0x1000000ull
#define WNOHANG 1u
#define WUNTRACED 2u
#define WCONTINUED 8u
#define WNOTHREAD 0x20000000u
#define WALL 0x40000000u
#define WCLONE 0x80000000u
#define RUSAGE_BYTES 144u		/* struct rusage on x86-64 */

long syscall_fork(const uint64_t a[6])
{
	(void)a;
	return process_fork(0, 0, 0, 0);
}

/* As on Linux: the child runs in the parent's memory (no copy), and the
 * parent is suspended until the child execs or ends. */
long syscall_vfork(const uint64_t a[6])
{
	(void)a;
	return process_fork(0, 0, 0, PROCESS_FORK_WAIT | PROCESS_FORK_SHARE);
}

/* clone(flags, stack, parent_tid, child_tid, tls): fork-like flags only.
 * CLONE_VM is accepted with CLONE_VFORK (posix_spawn's way): the child
 * runs in the caller's memory, as vfork's does; CLONE_VFORK alone
 * suspends the caller the same way, the child with a copy. Threads and
 * shared tables are not offered: -ENOSYS, after the checks Linux itself
 * makes (-EINVAL). */
long syscall_clone(const uint64_t a[6])
{
	uint64_t flags = a[0];
	const uint64_t accepted = CLONE_EXIT_SIGNAL | CLONE_VM | CLONE_VFORK |
				  CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |
				  CLONE_CHILD_SETTID;

	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -USER_EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -USER_EINVAL;
	if (flags & ~accepted)
		return -USER_ENOSYS;
	if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
		return -USER_ENOSYS;	/* a thread in all but name */
	long pid = process_fork(a[1],
				(flags & CLONE_CHILD_SETTID) ? a[3] : 0,
				(flags & CLONE_CHILD_CLEARTID) ? a[3] : 0,
				((flags & CLONE_VFORK) ? PROCESS_FORK_WAIT : 0) |
				((flags & CLONE_VM) ? PROCESS_FORK_SHARE : 0));
	if (pid > 0 && (flags & CLONE_PARENT_SETTID)) {
		int tid = (int)pid;
		user_copy_to(a[2], &tid, sizeof(tid));	/* Linux ignores a fault */
	}
	return pid;
}

long syscall_execve(const uint64_t a[6])
{
	return process_exec(a[0], a[1], a[2]);
}

/* Where wait4 puts a status: the user's int (a checked pointer). */
static int syscall_wait_deliver(int wait_status, void *context)
{
	uint64_t address = *(const uint64_t *)context;

	return address ? user_copy_to(address, &wait_status, sizeof(wait_status))
		       : 0;
}

/* wait4(pid, status, options, rusage). No process groups: pid 0 and
 * pid < -1 wait for any child, as -1 does. The rusage is zeros. */
long syscall_wait4(const uint64_t a[6])
{
	int pid = (int)a[0];
	unsigned options = (unsigned)a[2];
	uint64_t status = a[1];

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL |
			WCLONE))
		return -USER_EINVAL;
	if (a[3]) {
		uint8_t zeros[RUSAGE_BYTES];
		memset(zeros, 0, sizeof(zeros));
		int result = user_copy_to(a[3], zeros, sizeof(zeros));
		if (result)
			return result;
	}
	return process_tree_wait(pid, options & WNOHANG, syscall_wait_deliver,
				 &status);
}

/* Sends to a process of the walk (tree lock held). */
static void syscall_kill_one(struct process *process, void *context)
{
	const int *signal = context;
	struct process_signal_origin origin =
		process_signal_origin_here(PROCESS_SI_USER);

	process_signal_deliver(process, *signal, &origin);
}

/* kill(pid, signal). Without process groups or users, pid 0 and pid < -1
 * (the caller's group) reach the caller and its descendants; pid -1
 * (everyone the caller may signal) its descendants. */
long syscall_kill(const uint64_t a[6])
{
	int pid = (int)a[0];
	int signal = (int)a[1];

	if (signal < 0 || signal > PROCESS_SIGNALS)
		return -USER_EINVAL;
	if (pid > 0)
		return process_signal_send(pid, signal);
	unsigned reached = process_tree_each_descendant(syscall_kill_one,
							&signal);
	if (pid == -1)
		return reached ? 0 : -USER_ESRCH;
	return process_signal_send(process_current()->pid, signal);
}

/* tkill(tid, signal): tid is the pid (musl's raise). */
long syscall_tkill(const uint64_t a[6])
{
	int tid = (int)a[0], signal = (int)a[1];

	if (tid <= 0 || signal < 0 || signal > PROCESS_SIGNALS)
		return -USER_EINVAL;
	return process_signal_send_code(tid, signal, PROCESS_SI_TKILL);
}

/* tgkill(tgid, tid, signal): one thread per process, so tid is the pid
 * and tgid must be too. */
long syscall_tgkill(const uint64_t a[6])
{
	int tgid = (int)a[0], tid = (int)a[1], signal = (int)a[2];

	if (tgid <= 0 || tid <= 0 || signal < 0 || signal > PROCESS_SIGNALS)
		return -USER_EINVAL;
	if (tgid != tid)
		return -USER_ESRCH;
	return process_signal_send_code(tid, signal, PROCESS_SI_TKILL);
}
