/*
 * pipe and pipe2 (syscall.h): a pipe's two ends (pipe.h) at the lowest
 * free descriptors, their numbers written to the caller's int[2].
 */
#include <stdint.h>
#include "kernel/user/pipe.h"
#include "kernel/user/syscall.h"
#include "kernel/user/syscall_file_internal.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_errno.h"
#include "kernel/user/user_fcntl.h"

/* Installs both ends with flags (O_CLOEXEC, O_NONBLOCK); writes the two
 * descriptors to user_fds: 0 or an error, nothing left open then. */
static long syscall_pipe_install(struct file *ends[2], uint64_t flags,
				 uint64_t user_fds)
{
	struct file_table *files = syscall_files();
	int fds[2] = { -1, -1 };
	long result = 0;

	for (int i = 0; i < 2 && result == 0; i++) {
		file_set_status_flags(ends[i], (uint32_t)flags & O_NONBLOCK);
		fds[i] = file_install(files, ends[i], 0);
		if (fds[i] < 0)
			result = fds[i];
		else
			files->close_on_exec[fds[i]] = flags & O_CLOEXEC;
	}
	if (result == 0)
		result = user_copy_to(user_fds, fds, sizeof(fds));
	if (result) {
		for (int i = 0; i < 2; i++) {
			if (fds[i] >= 0)
				file_close(files, fds[i]);
		}
	}
	return result;
}

static long syscall_pipe_with(uint64_t user_fds, uint64_t flags)
{
	struct file *ends[2];

	if (flags & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK))
		return -USER_EINVAL;
	long result = pipe_create(&ends[0], &ends[1]);
	if (result)
		return result;
	result = syscall_pipe_install(ends, flags, user_fds);
	file_put(ends[0]);
	file_put(ends[1]);
	return result;
}

long syscall_pipe(const uint64_t a[6])
{
	return syscall_pipe_with(a[0], 0);
}

long syscall_pipe2(const uint64_t a[6])
{
	return syscall_pipe_with(a[0], a[1]);
}
