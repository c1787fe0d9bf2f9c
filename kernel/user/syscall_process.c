/*
 * System calls about the process itself, its identity, time and
 * randomness (syscall.h).
 */
#include <stdint.h>
#include <string.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "kernel/user/device.h"
#include "kernel/user/initramfs.h"
#include "mm/mm.h"
#include "mm/pmm.h"
#include "kernel/sched/sched.h"
#include "kernel/user/process.h"
#include "kernel/user/process_internal.h"
#include "kernel/user/syscall.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_cpu.h"
#include "kernel/user/user_errno.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define GRND_NONBLOCK 1
#define GRND_RANDOM 2
#define GRND_INSECURE 4
#define NANOSECONDS 1000000000ull
#define NANOSLEEP_STEP_MS 10u
#define TIMER_ABSTIME 1

long syscall_exit(const uint64_t a[6])
{
	process_exit(PROCESS_STATUS_EXITED((int)a[0]));
}

long syscall_exit_group(const uint64_t a[6])
{
	process_exit(PROCESS_STATUS_EXITED((int)a[0]));
}

long syscall_getpid(const uint64_t a[6])
{
	(void)a;
	return process_current()->pid;
}

long syscall_gettid(const uint64_t a[6])
{
	(void)a;
	return process_current()->pid;
}

long syscall_getppid(const uint64_t a[6])
{
	(void)a;
	/* 0 for the first process and orphans: started by the kernel, or
	 * reaped by it (Linux gives init's or a subreaper's pid). */
	return process_tree_parent_pid(process_current());
}

/* getuid, geteuid, getgid, getegid: everything runs as root. */
long syscall_getuid(const uint64_t a[6])
{
	(void)a;
	return 0;
}

long syscall_umask(const uint64_t a[6])
{
	struct process *process = process_current();
	uint32_t old = process->umask;

	process->umask = (uint32_t)a[0] & 0777;
	return old;
}

long syscall_arch_prctl(const uint64_t a[6])
{
	uint64_t value;

	switch (a[0]) {
	case ARCH_SET_FS:
		if (a[1] >= user_address_limit())
			return -USER_EPERM;	/* Linux: not a user address */
		user_set_tls_base(a[1]);
		return 0;
	case ARCH_GET_FS:
		value = user_tls_base();
		return user_copy_to(a[1], &value, sizeof(value));
	case ARCH_SET_GS:
	case ARCH_GET_GS:
		return -USER_EINVAL;	/* GS is the kernel's: not offered */
	}
	return -USER_EINVAL;
}

long syscall_set_tid_address(const uint64_t a[6])
{
	struct process *process = process_current();

	process->tid_address = a[0];
	return process->pid;
}

/* struct utsname: six fields of 65 bytes. */
long syscall_uname(const uint64_t a[6])
{
	char name[6][65];

	memset(name, 0, sizeof(name));
	strlcpy(name[0], "Linux", sizeof(name[0]));	/* what programs test for */
	strlcpy(name[1], "veil", sizeof(name[1]));
	strlcpy(name[2], "6.1.0-veil", sizeof(name[2]));
	strlcpy(name[3], "#1 Veil", sizeof(name[3]));
	strlcpy(name[4], "x86_64", sizeof(name[4]));
	strlcpy(name[5], "(none)", sizeof(name[5]));
	return user_copy_to(a[0], name, sizeof(name));
}

long syscall_clock_gettime(const uint64_t a[6])
{
	uint64_t now = time_uptime_ns();
	int64_t value[2] = { (int64_t)(now / NANOSECONDS),
			     (int64_t)(now % NANOSECONDS) };

	switch (a[0]) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC:
	case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID:
	case CLOCK_MONOTONIC_RAW: case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME:
		return user_copy_to(a[1], value, sizeof(value));
	}
	return -USER_EINVAL;
}

/* time(2): seconds of the uptime clock (as clock_gettime's), also
 * stored at the pointer when it is not NULL. glibc's static time() makes
 * this call (Veil gives no vDSO). */
long syscall_time(const uint64_t a[6])
{
	int64_t seconds = (int64_t)(time_uptime_ns() / NANOSECONDS);

	if (a[0]) {
		int result = user_copy_to(a[0], &seconds, sizeof(seconds));
		if (result)
			return result;
	}
	return seconds;
}

long syscall_gettimeofday(const uint64_t a[6])
{
	uint64_t now = time_uptime_ns();
	int64_t value[2] = { (int64_t)(now / NANOSECONDS),
			     (int64_t)(now % NANOSECONDS / 1000) };

	if (a[0] == 0)
		return 0;
	return user_copy_to(a[0], value, sizeof(value));
}

/* Copies a sleep's request (struct timespec) from user and checks it as
 * Linux does: 0, -EFAULT, or -EINVAL for a negative tv_sec or a tv_nsec
 * outside [0, 999999999]. */
static long syscall_sleep_request(uint64_t user, int64_t request[2])
{
	int result = user_copy_from(request, user, 2 * sizeof(int64_t));

	if (result)
		return result;
	if (request[0] < 0 || (uint64_t)request[1] >= NANOSECONDS)
		return -USER_EINVAL;
	return 0;
}

/* The request as nanoseconds added to base (a checked request: tv_sec
 * >= 0), saturating at UINT64_MAX, which no uptime reaches. */
static uint64_t syscall_sleep_deadline(uint64_t base, const int64_t request[2])
{
	uint64_t seconds = (uint64_t)request[0];
	uint64_t total;

	if (seconds > (UINT64_MAX - (uint64_t)request[1]) / NANOSECONDS)
		return UINT64_MAX;
	total = seconds * NANOSECONDS + (uint64_t)request[1];
	return total > UINT64_MAX - base ? UINT64_MAX : base + total;
}

/* Sleeps until the uptime reaches deadline (ns): 0 then, even with a
 * signal pending, as Linux answers for an expired timer. A signal that
 * comes first ends the sleep with -EINTR (never restarted, as Linux's
 * nanosleep with a handler), after the time left is written at
 * user_remaining when that is not 0 (-EFAULT if it cannot be). In steps,
 * so a signal is seen within one (the sleep itself does not look at
 * signals); never shorter than asked. */
static long syscall_sleep_until(uint64_t deadline, uint64_t user_remaining)
{
	for (;;) {
		uint64_t now = time_uptime_ns();
		if (now >= deadline)
			return 0;
		uint64_t left = deadline - now;
		if (process_signal_pending(process_current())) {
			int64_t remaining[2] = { (int64_t)(left / NANOSECONDS),
						 (int64_t)(left % NANOSECONDS) };
			int result = user_remaining
				? user_copy_to(user_remaining, remaining,
					       sizeof(remaining)) : 0;
			return result ? result : -USER_EINTR;
		}
		uint64_t ms = (left + 999999) / 1000000;
		thread_sleep_ms(ms < NANOSLEEP_STEP_MS ? (unsigned)ms
						       : NANOSLEEP_STEP_MS);
	}
}

long syscall_nanosleep(const uint64_t a[6])
{
	int64_t request[2];
	long result = syscall_sleep_request(a[0], request);

	if (result)
		return result;
	return syscall_sleep_until(syscall_sleep_deadline(time_uptime_ns(),
							  request), a[1]);
}

/* Whether clock_nanosleep can sleep on clock: 0; -EINVAL for a clock
 * Veil does not know (as clock_gettime), -EOPNOTSUPP for one Linux
 * cannot sleep on (the raw and coarse clocks). */
static long syscall_sleep_clock(int clock)
{
	switch (clock) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_BOOTTIME:
	case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID:
		return 0;
	case CLOCK_MONOTONIC_RAW: case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
		return -USER_EOPNOTSUPP;
	}
	return -USER_EINVAL;
}

/* clock_nanosleep(clock, flags, request, remaining): Linux's order of
 * checks (the clock, the request, then the thread CPU clock, which
 * cannot be slept on: -EINVAL). Every clock Veil has reads the uptime
 * (clock_gettime), so TIMER_ABSTIME sleeps until the uptime reaches the
 * request, and a relative sleep is nanosleep's; an absolute sleep a
 * signal ends writes no remaining time. Other flag bits are ignored, as
 * Linux ignores them. */
long syscall_clock_nanosleep(const uint64_t a[6])
{
	int64_t request[2];
	int clock = (int)a[0];
	long result = syscall_sleep_clock(clock);

	if (result == 0)
		result = syscall_sleep_request(a[2], request);
	if (result)
		return result;
	if (clock == CLOCK_THREAD_CPUTIME_ID)
		return -USER_EINVAL;
	if ((int)a[1] & TIMER_ABSTIME)
		return syscall_sleep_until(syscall_sleep_deadline(0, request), 0);
	return syscall_sleep_until(syscall_sleep_deadline(time_uptime_ns(),
							  request), a[3]);
}

long syscall_getrandom(const uint64_t a[6])
{
	uint64_t length = a[1];

	if (a[2] & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -USER_EINVAL;
	if (length > 33554431)		/* Linux caps a call at 32 MiB - 1 */
		length = 33554431;
	return device_random_read(file_buffer_user(a[0]), length);
}

long syscall_sched_yield(const uint64_t a[6])
{
	(void)a;
	thread_yield();
	return 0;
}

#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define RLIMIT_STACK 3
#define RLIMIT_NOFILE 7
#define RLIMIT_NLIMITS 16
#define RLIMIT_INFINITY (~0ull)

long syscall_prctl(const uint64_t a[6])
{
	struct process *process = process_current();
	char name[16];

	switch (a[0]) {
	case PR_SET_NAME: {
		long length = user_string_from(name, a[1], sizeof(name));
		if (length == -USER_EFAULT)
			return length;
		name[sizeof(name) - 1] = '\0';	/* Linux cuts at 15 bytes */
		ksnprintf(process->name, sizeof(process->name), "%s", name);
		return 0;
	}
	case PR_GET_NAME:
		memset(name, 0, sizeof(name));
		ksnprintf(name, sizeof(name), "%s", process->name);
		return user_copy_to(a[1], name, sizeof(name));
	}
	return -USER_EINVAL;
}

long syscall_set_robust_list(const uint64_t a[6])
{
	struct process *process = process_current();

	if (a[1] != 24)		/* sizeof(struct robust_list_head) */
		return -USER_EINVAL;
	/* Recorded; walked at exit once processes have several threads
	 * (with one thread nobody waits on its futexes). */
	process->robust_list = a[0];
	process->robust_list_length = a[1];
	return 0;
}

/* The limits Veil's processes live under: what the kernel really allows
 * (the stack mapping, the descriptor table); the rest unlimited. */
static void syscall_limit(unsigned resource, uint64_t limit[2])
{
	limit[0] = limit[1] = RLIMIT_INFINITY;
	if (resource == RLIMIT_STACK)
		limit[0] = limit[1] = (uint64_t)USER_STACK_PAGES * 4096;
	if (resource == RLIMIT_NOFILE)
		limit[0] = limit[1] = FILE_TABLE_MAX;
}

long syscall_prlimit64(const uint64_t a[6])
{
	uint64_t limit[2], wanted[2];

	if (a[0] != 0 && (int)a[0] != process_current()->pid)
		return -USER_ESRCH;
	if (a[1] >= RLIMIT_NLIMITS)
		return -USER_EINVAL;
	syscall_limit((unsigned)a[1], limit);
	if (a[2]) {
		int result = user_copy_from(wanted, a[2], sizeof(wanted));
		if (result)
			return result;
		if (wanted[0] > wanted[1])
			return -USER_EINVAL;
		/* The limits are the kernel's own: none can be changed. */
		if (wanted[0] != limit[0] || wanted[1] != limit[1])
			return -USER_EPERM;
	}
	if (a[3])
		return user_copy_to(a[3], limit, sizeof(limit));
	return 0;
}

long syscall_sched_getaffinity(const uint64_t a[6])
{
	uint64_t mask = 0;
	unsigned cpus = cpu_count();

	if (a[0] != 0 && (int)a[0] != process_current()->pid)
		return -USER_ESRCH;
	if (a[1] < sizeof(mask) || a[1] % sizeof(uint64_t))
		return -USER_EINVAL;
	for (unsigned i = 0; i < cpus && i < 64; i++)
		mask |= 1ull << i;
	int result = user_copy_to(a[2], &mask, sizeof(mask));
	return result ? result : (long)sizeof(mask);
}

/* struct sysinfo of x86-64 Linux (112 bytes). */
struct user_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t total_ram, free_ram, shared_ram, buffer_ram;
	uint64_t total_swap, free_swap;
	uint16_t processes;
	uint16_t pad;
	uint32_t pad2;
	uint64_t total_high, free_high;
	uint32_t unit;
	char reserved[4];
};
_Static_assert(sizeof(struct user_sysinfo) == 112, "struct sysinfo");

long syscall_sysinfo(const uint64_t a[6])
{
	struct user_sysinfo info;
	struct pmm_stats stats;

	memset(&info, 0, sizeof(info));
	pmm_get_stats(&pmm_kernel, &stats);
	info.uptime = (int64_t)(time_uptime_ns() / NANOSECONDS);
	info.total_ram = stats.usable_frames;
	info.free_ram = stats.free_frames;
	info.processes = (uint16_t)process_snapshot(NULL, 0);
	info.unit = 4096;
	return user_copy_to(a[0], &info, sizeof(info));
}

