/*
 * Pipes: a 64 KiB byte ring (pipe_ring.h) between a read end and a write
 * end, each an open-file record (FILE_PIPE) that descriptors of one or
 * several processes share.
 *
 * Reads block while the ring is empty and a writer is left, and return 0
 * (the end of the stream) once every write end is closed. Writes block
 * while the ring is full; a write of at most PIPE_BUFFER_ATOMIC bytes goes
 * in whole or waits (never interleaved with another writer's), a larger
 * one in pieces. A write with no read end left is -EPIPE (the caller then
 * ends the process by SIGPIPE, syscall_file.c). Non-blocking ends answer
 * -EAGAIN instead of blocking.
 *
 * Locking: a pipe's queue lock (a spinlock, interrupts off) protects its
 * ring and its counts of ends; readers and writers sleep on that one
 * queue, and every change wakes them all. Bytes cross to and from user
 * memory outside the lock, through a kernel bounce buffer (a copy may
 * fault and sleep).
 */
#ifndef VEIL_KERNEL_USER_PIPE_H
#define VEIL_KERNEL_USER_PIPE_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/user/file_buffer.h"

struct file;
struct pipe;

#define PIPE_BUFFER_BYTES 65536u	/* Linux's default capacity */
#define PIPE_BUFFER_ATOMIC 4096u	/* PIPE_BUF */

/* Makes a pipe and its two ends (*read_end readable, *write_end
 * writable), each with one reference the caller owns: 0 or -ENOMEM. */
int pipe_create(struct file **read_end, struct file **write_end);
/* Called once per end as its record's last reference goes; the pipe is
 * freed with its last end. */
void pipe_end_close(struct pipe *pipe, bool write_end);

/* Reads up to length bytes into buffer: how many (0 at the end of the
 * stream), -EAGAIN (nonblocking, nothing yet), -EFAULT, or -ERESTARTSYS
 * (a user process's signal ended the wait before any byte came). */
long pipe_read(struct pipe *pipe, struct file_buffer buffer, uint64_t length,
	       bool nonblocking);
/* Writes length bytes from buffer: how many (short only when nonblocking,
 * on a fault or a signal after some went), -EPIPE (no reader), -EAGAIN,
 * -EFAULT, -ERESTARTSYS (a signal before any byte went). */
long pipe_write(struct pipe *pipe, struct file_buffer buffer, uint64_t length,
		bool nonblocking);

/* poll's events for one end: POLLIN (bytes, or no writer left: the end
 * of the stream, with POLLHUP), POLLOUT (room), POLLERR (writing with no
 * reader). */
#define PIPE_POLLIN 0x001
#define PIPE_POLLOUT 0x004
#define PIPE_POLLERR 0x008
#define PIPE_POLLHUP 0x010
unsigned pipe_poll(struct pipe *pipe, bool write_end);

#endif
