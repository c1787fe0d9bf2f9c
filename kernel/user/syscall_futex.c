/*
 * futex(2) for Veil's processes, which have one thread each and share no
 * memory with another process (fork copies on write; there is no
 * MAP_SHARED): no thread can ever wake a waiter. So FUTEX_WAIT checks the
 * word (-EAGAIN when it is not the value expected, as Linux does) and then
 * sleeps until its timeout (-ETIMEDOUT), or, without one, until a signal
 * ends it (-EINTR, or a restart after an SA_RESTART handler; Linux with
 * no waker does the same); FUTEX_WAKE wakes
 * nobody and returns 0. glibc and musl use the two for their locks and
 * once-only initialisation, which a single thread never contends.
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/user/process.h"
#include "kernel/user/syscall.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_errno.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_NANOSECONDS 1000000000ll

/* The wait's length in nanoseconds from its timespec (relative for
 * FUTEX_WAIT, absolute on the uptime clock for FUTEX_WAIT_BITSET):
 * 0 or a negative Linux error; *forever when there is none. */
static int futex_timeout(uint64_t address, bool absolute, uint64_t *wait_ns,
			 bool *forever)
{
	int64_t timespec[2];

	*forever = address == 0;
	if (*forever)
		return 0;
	int result = user_copy_from(timespec, address, sizeof(timespec));
	if (result)
		return result;
	if (timespec[0] < 0 || timespec[1] < 0 || timespec[1] >= FUTEX_NANOSECONDS)
		return -USER_EINVAL;
	uint64_t at = (uint64_t)timespec[0] * FUTEX_NANOSECONDS + (uint64_t)timespec[1];
	uint64_t now = time_uptime_ns();
	*wait_ns = absolute ? (at > now ? at - now : 0) : at;
	return 0;
}

/* Sleeps wait_ns (or for good): nobody can wake a futex waiter here,
 * but a signal ends the wait, as it ends other waits: -EINTR with a
 * timeout; without one -ERESTARTSYS (restarted after an SA_RESTART
 * handler, as Linux restarts an untimed wait). */
static long futex_sleep(uint64_t wait_ns, bool forever)
{
	uint64_t end = time_uptime_ns() + wait_ns;

	for (;;) {
		uint64_t now = time_uptime_ns();
		if (process_signal_pending(process_current()))
			return forever ? -USER_ERESTARTSYS : -USER_EINTR;
		if (!forever && now >= end)
			return -USER_ETIMEDOUT;
		uint64_t left_ms = forever ? 100 : (end - now + 999999) / 1000000;
		thread_sleep_ms(left_ms > 100 ? 100 : (unsigned)left_ms);
	}
}

static long futex_wait(const uint64_t a[6], bool bitset)
{
	uint32_t word;
	uint64_t wait_ns = 0;
	bool forever;

	if (bitset && (uint32_t)a[5] == 0)
		return -USER_EINVAL;
	int result = futex_timeout(a[3], bitset, &wait_ns, &forever);
	if (result)
		return result;
	result = user_copy_from(&word, a[0], sizeof(word));
	if (result)
		return result;
	if (word != (uint32_t)a[2])
		return -USER_EAGAIN;
	return futex_sleep(wait_ns, forever);
}

long syscall_futex(const uint64_t a[6])
{
	unsigned operation = (unsigned)a[1] & ~(unsigned)(FUTEX_PRIVATE_FLAG |
							   FUTEX_CLOCK_REALTIME);

	if (a[0] % 4)
		return -USER_EINVAL;
	switch (operation) {
	case FUTEX_WAIT:
		return futex_wait(a, false);
	case FUTEX_WAIT_BITSET:
		return futex_wait(a, true);
	case FUTEX_WAKE:
		return 0;
	case FUTEX_WAKE_BITSET:
		return (uint32_t)a[5] == 0 ? -USER_EINVAL : 0;
	}
	return -USER_ENOSYS;
}
