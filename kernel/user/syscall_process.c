/*
 * System calls about the process itself, its identity, time and
 * randomness (syscall.h).
 */
#include <stdint.h>
#include <string.h>
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/user/process.h"
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
	return 0;	/* started by the kernel */
}

/* getuid, geteuid, getgid, getegid: everything runs as root. */
long syscall_getuid(const uint64_t a[6])
{
	(void)a;
	return 0;
}

long syscall_umask(const uint64_t a[6])
{
	(void)a;
	return 022;
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

long syscall_gettimeofday(const uint64_t a[6])
{
	uint64_t now = time_uptime_ns();
	int64_t value[2] = { (int64_t)(now / NANOSECONDS),
			     (int64_t)(now % NANOSECONDS / 1000) };

	if (a[0] == 0)
		return 0;
	return user_copy_to(a[0], value, sizeof(value));
}

long syscall_nanosleep(const uint64_t a[6])
{
	int64_t request[2];
	int result = user_copy_from(request, a[0], sizeof(request));

	if (result)
		return result;
	if (request[0] < 0 || request[1] < 0 || request[1] >= (int64_t)NANOSECONDS)
		return -USER_EINVAL;
	uint64_t ms = (uint64_t)request[0] * 1000 + (uint64_t)request[1] / 1000000;
	thread_sleep_ms(ms > UINT32_MAX ? UINT32_MAX : (unsigned)ms);
	return 0;
}

long syscall_getrandom(const uint64_t a[6])
{
	uint8_t chunk[256];
	uint64_t length = a[1], done = 0;

	if (a[2] & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -USER_EINVAL;
	if (length > 33554431)		/* Linux caps a call at 32 MiB - 1 */
		length = 33554431;
	while (done < length) {
		size_t step = length - done < sizeof(chunk) ? length - done
							    : sizeof(chunk);
		user_random_bytes(chunk, step);
		int result = user_copy_to(a[0] + done, chunk, step);
		if (result)
			return done ? (long)done : result;
		done += step;
	}
	memset(chunk, 0, sizeof(chunk));
	return (long)done;
}

long syscall_sched_yield(const uint64_t a[6])
{
	(void)a;
	thread_yield();
	return 0;
}
