/*
 * The byte ring of a pipe (pipe_ring.h): at most two copies per call, one
 * up to the end of the storage and one from its start.
 */
#include <string.h>
#include "kernel/user/pipe_ring.h"

void pipe_ring_init(struct pipe_ring *ring, uint8_t *bytes, size_t capacity)
{
	ring->bytes = bytes;
	ring->capacity = capacity;
	ring->start = 0;
	ring->count = 0;
}

size_t pipe_ring_space(const struct pipe_ring *ring)
{
	return ring->capacity - ring->count;
}

size_t pipe_ring_put(struct pipe_ring *ring, const void *source, size_t length)
{
	const uint8_t *from = source;
	size_t total = length < pipe_ring_space(ring) ? length
						      : pipe_ring_space(ring);
	size_t end = (ring->start + ring->count) % (ring->capacity ? ring->capacity : 1);
	size_t first = total < ring->capacity - end ? total : ring->capacity - end;

	memcpy(ring->bytes + end, from, first);
	memcpy(ring->bytes, from + first, total - first);
	ring->count += total;
	return total;
}

size_t pipe_ring_take(struct pipe_ring *ring, void *destination, size_t length)
{
	uint8_t *to = destination;
	size_t total = length < ring->count ? length : ring->count;
	size_t first = total < ring->capacity - ring->start
			       ? total : ring->capacity - ring->start;

	memcpy(to, ring->bytes + ring->start, first);
	memcpy(to + first, ring->bytes, total - first);
	ring->count -= total;
	ring->start = ring->count == 0 ? 0
				       : (ring->start + total) % ring->capacity;
	return total;
}
