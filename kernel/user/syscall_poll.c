/*
 * poll (syscall.h): which descriptors are ready. Files and the console's
 * output always are; the console's input is when the spawner gave it
 * (else reading may wait for a key: reported ready, as no key can be
 * peeked at); a pipe end by its state (pipe_poll). Waits by sleeping a
 * millisecond at a time until something is ready, the timeout passes or
 * a signal is to be acted on (-EINTR; no wakeup from the pipes yet).
 */
#include <stdint.h>
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/user/pipe.h"
#include "kernel/user/process.h"
#include "kernel/user/syscall.h"
#include "kernel/user/syscall_file_internal.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_errno.h"

#define POLLNVAL 0x020

struct user_pollfd {
	int32_t fd;
	int16_t events, revents;
};

/* The events of file, among those asked (POLLERR, POLLHUP always). */
static int16_t syscall_poll_file(struct file *file, int16_t asked)
{
	unsigned ready = PIPE_POLLIN | PIPE_POLLOUT;

	if (file->kind == FILE_PIPE)
		ready = pipe_poll(file->pipe, file->writable);
	return (int16_t)(ready & ((unsigned)(uint16_t)asked | PIPE_POLLERR |
				  PIPE_POLLHUP));
}

/* Fills every revents: how many are non-zero. */
static long syscall_poll_scan(struct user_pollfd *fds, uint64_t count)
{
	long ready = 0;

	for (uint64_t i = 0; i < count; i++) {
		struct file *file = file_get(syscall_files(), fds[i].fd);
		fds[i].revents = fds[i].fd < 0 ? 0
				 : !file ? POLLNVAL
				 : syscall_poll_file(file, fds[i].events);
		ready += fds[i].revents != 0;
	}
	return ready;
}

long syscall_poll(const uint64_t a[6])
{
	struct user_pollfd fds[FILE_TABLE_MAX];
	int64_t timeout_ms = (int32_t)a[2];
	uint64_t start = time_uptime_ns();

	if (a[1] > FILE_TABLE_MAX)
		return -USER_EINVAL;
	int result = user_copy_from(fds, a[0], a[1] * sizeof(fds[0]));
	if (result)
		return result;
	long ready;
	while ((ready = syscall_poll_scan(fds, a[1])) == 0 && timeout_ms != 0) {
		if (timeout_ms > 0 &&
		    time_uptime_ns() - start >= (uint64_t)timeout_ms * 1000000)
			break;
		/* A signal ends the wait: -EINTR, never restarted (SA_RESTART
		 * or not), as Linux's poll after a handler. */
		if (process_signal_pending(process_current()))
			return -USER_EINTR;
		thread_sleep_ms(1);
	}
	result = user_copy_to(a[0], fds, a[1] * sizeof(fds[0]));
	return result ? result : ready;
}
