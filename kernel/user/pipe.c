/*
 * Pipes (pipe.h): the ring under the pipe's queue lock, the bytes moved
 * to and from the caller through a bounce buffer of PIPE_BUFFER_ATOMIC
 * bytes, so no user copy happens with the spinlock held.
 */
#include <stddef.h>
#include "kernel/user/file.h"
#include "kernel/user/pipe.h"
#include "kernel/user/pipe_ring.h"
#include "kernel/user/process.h"
#include "kernel/user/user_errno.h"
#include "mm/slab.h"

#define PIPE_MODE 0010600u	/* S_IFIFO, rw------- */

struct pipe {
	struct wait_queue queue;	/* its lock protects what follows */
	struct pipe_ring ring;
	unsigned readers, writers;	/* open ends of each kind */
};

/* Inode numbers of pipes: unique per pipe, apart from the files'. */
static uint64_t pipe_next_inode = 1ull << 40;

static struct file *pipe_end_new(struct pipe *pipe, bool write_end,
				 uint64_t inode)
{
	struct file *file = file_new(FILE_PIPE);

	if (!file)
		return NULL;
	file->pipe = pipe;
	file->readable = !write_end;
	file->writable = write_end;
	file->mode = PIPE_MODE;
	file->inode = inode;
	return file;
}

int pipe_create(struct file **read_end, struct file **write_end)
{
	struct pipe *pipe = kmalloc(sizeof(*pipe));
	uint8_t *bytes = kmalloc(PIPE_BUFFER_BYTES);

	if (!pipe || !bytes) {
		kfree(pipe);
		kfree(bytes);
		return -USER_ENOMEM;
	}
	wait_queue_init(&pipe->queue, "pipe");
	pipe_ring_init(&pipe->ring, bytes, PIPE_BUFFER_BYTES);
	pipe->readers = pipe->writers = 0;
	uint64_t inode = __atomic_fetch_add(&pipe_next_inode, 1,
					    __ATOMIC_RELAXED);
	*read_end = pipe_end_new(pipe, false, inode);
	if (*read_end)
		pipe->readers = 1;
	*write_end = pipe_end_new(pipe, true, inode);
	if (*write_end)
		pipe->writers = 1;
	if (!*read_end || !*write_end) {
		/* The one made is closed by its put; the pipe goes with it
		 * (or here when neither was made). */
		bool none = !*read_end && !*write_end;
		file_put(*read_end);
		file_put(*write_end);
		if (none) {
			kfree(bytes);
			kfree(pipe);
		}
		return -USER_ENOMEM;
	}
	return 0;
}

void pipe_end_close(struct pipe *pipe, bool write_end)
{
	unsigned long flags = wait_queue_lock(&pipe->queue);

	if (write_end)
		pipe->writers--;
	else
		pipe->readers--;
	wake_up_all_locked(&pipe->queue);
	bool last = pipe->readers == 0 && pipe->writers == 0;
	wait_queue_unlock(&pipe->queue, flags);
	if (last) {
		kfree(pipe->ring.bytes);
		kfree(pipe);
	}
}

/* Whether the calling process has a signal to act on: its wait ends
 * (-ERESTARTSYS: restarted after an SA_RESTART handler, else -EINTR) so
 * that it can (kernel threads, the ktests', never do). */
static bool pipe_interrupted(void)
{
	struct process *process = process_current();

	return process && process_signal_pending(process);
}

/* Takes up to want bytes into bounce; waits first (when allowed) while
 * the pipe is empty and has a writer, unless a signal ends the wait.
 * Returns how many were taken; *ended says the stream is over (empty, no
 * writer). */
static size_t pipe_take(struct pipe *pipe, uint8_t *bounce, size_t want,
			bool wait, bool *ended)
{
	unsigned long flags = wait_queue_lock(&pipe->queue);

	while (wait && pipe->ring.count == 0 && pipe->writers > 0 &&
	       !pipe_interrupted())
		wait_sleep_locked(&pipe->queue, &flags);
	size_t got = pipe_ring_take(&pipe->ring, bounce, want);
	if (got)
		wake_up_all_locked(&pipe->queue);
	*ended = pipe->ring.count == 0 && pipe->writers == 0;
	wait_queue_unlock(&pipe->queue, flags);
	return got;
}

/* Whether buffer[at..at+want) can be written, tried by writing its own
 * bytes back (bounce holds them meanwhile): 0 or -EFAULT. */
static int pipe_probe(struct file_buffer buffer, uint64_t at, uint8_t *bounce,
		      size_t want)
{
	if (buffer.kernel)
		return 0;
	int result = file_buffer_from(bounce, buffer, at, want);
	return result ? result : file_buffer_to(buffer, at, bounce, want);
}

long pipe_read(struct pipe *pipe, struct file_buffer buffer, uint64_t length,
	       bool nonblocking)
{
	uint64_t done = 0;
	long result = 0;

	if (length == 0)
		return 0;
	uint8_t *bounce = kmalloc(PIPE_BUFFER_ATOMIC);
	if (!bounce)
		return -USER_ENOMEM;
	while (done < length) {
		size_t want = length - done < PIPE_BUFFER_ATOMIC
				      ? (size_t)(length - done) : PIPE_BUFFER_ATOMIC;
		bool ended;
		/* A destination that faults leaves the bytes in the pipe,
		 * as Linux does: it is tried before anything is taken. */
		if (pipe_probe(buffer, done, bounce, want)) {
			result = -USER_EFAULT;
			break;
		}
		size_t got = pipe_take(pipe, bounce, want,
				       !nonblocking && done == 0, &ended);
		if (got == 0) {	/* at its end, would wait, or a signal */
			result = ended ? 0
				 : nonblocking || done ? -USER_EAGAIN
				 : -USER_ERESTARTSYS;
			break;
		}
		if (file_buffer_to(buffer, done, bounce, got)) {
			result = -USER_EFAULT;
			break;
		}
		done += got;
		if (got < want)
			break;
	}
	kfree(bounce);
	return done ? (long)done : result;
}

/* Puts bounce[0..step) into the pipe, waiting for room (all of it at
 * once when whole is set): how many went; *result is set to -EPIPE or
 * -EAGAIN when it stopped short for that. */
static size_t pipe_put(struct pipe *pipe, const uint8_t *bounce, size_t step,
		       bool whole, bool nonblocking, long *result)
{
	unsigned long flags = wait_queue_lock(&pipe->queue);
	size_t put = 0;

	while (put < step) {
		if (pipe->readers == 0) {
			*result = -USER_EPIPE;
			break;
		}
		size_t space = pipe_ring_space(&pipe->ring);
		if (space == 0 || (whole && space < step)) {
			if (nonblocking) {
				*result = -USER_EAGAIN;
				break;
			}
			if (pipe_interrupted()) {
				*result = -USER_ERESTARTSYS;
				break;
			}
			wait_sleep_locked(&pipe->queue, &flags);
			continue;
		}
		put += pipe_ring_put(&pipe->ring, bounce + put, step - put);
		wake_up_all_locked(&pipe->queue);
	}
	wait_queue_unlock(&pipe->queue, flags);
	return put;
}

long pipe_write(struct pipe *pipe, struct file_buffer buffer, uint64_t length,
		bool nonblocking)
{
	uint64_t done = 0;
	long result = 0;

	if (length == 0)
		return 0;
	uint8_t *bounce = kmalloc(PIPE_BUFFER_ATOMIC);
	if (!bounce)
		return -USER_ENOMEM;
	while (done < length && result == 0) {
		size_t step = length - done < PIPE_BUFFER_ATOMIC
				      ? (size_t)(length - done) : PIPE_BUFFER_ATOMIC;
		if (file_buffer_from(bounce, buffer, done, step)) {
			result = -USER_EFAULT;
			break;
		}
		done += pipe_put(pipe, bounce, step,
				 length <= PIPE_BUFFER_ATOMIC, nonblocking,
				 &result);
	}
	kfree(bounce);
	return done ? (long)done : result;
}

unsigned pipe_poll(struct pipe *pipe, bool write_end)
{
	unsigned long flags = wait_queue_lock(&pipe->queue);
	unsigned events = 0;

	if (write_end) {
		events |= pipe->readers == 0 ? PIPE_POLLERR : 0;
		events |= pipe_ring_space(&pipe->ring) ? PIPE_POLLOUT : 0;
	} else {
		events |= pipe->ring.count ? PIPE_POLLIN : 0;
		events |= pipe->writers == 0 ? PIPE_POLLIN | PIPE_POLLHUP : 0;
	}
	wait_queue_unlock(&pipe->queue, flags);
	return events;
}
