/*
 * The byte ring a pipe keeps its unread bytes in (pipe.c): pure logic, no
 * locking of its own (the pipe's lock covers it), tested on the host
 * (tests/host/test_pipe_ring.c).
 */
#ifndef VEIL_KERNEL_USER_PIPE_RING_H
#define VEIL_KERNEL_USER_PIPE_RING_H

#include <stddef.h>
#include <stdint.h>

struct pipe_ring {
	uint8_t *bytes;		/* capacity bytes, the caller's */
	size_t capacity;
	size_t start;		/* index of the oldest unread byte */
	size_t count;		/* unread bytes */
};

/* An empty ring over bytes[0..capacity). */
void pipe_ring_init(struct pipe_ring *ring, uint8_t *bytes, size_t capacity);
/* Bytes that can be put before the ring is full. */
size_t pipe_ring_space(const struct pipe_ring *ring);
/* Appends min(length, space) bytes of source; returns how many. */
size_t pipe_ring_put(struct pipe_ring *ring, const void *source, size_t length);
/* Removes the oldest min(length, count) bytes into destination; returns
 * how many. */
size_t pipe_ring_take(struct pipe_ring *ring, void *destination, size_t length);

#endif
