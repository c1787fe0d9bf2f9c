/*
 * Host tests of a pipe's byte ring (kernel/user/pipe_ring.c): puts and
 * takes across the end of the storage, full and empty rings, and a long
 * random run checked byte for byte against a counter.
 */
#include <stdlib.h>
#include <string.h>
#include "kernel/user/pipe_ring.h"
#include "tests/host/htest.h"

HTEST(put_then_take_gives_the_bytes_back)
{
	uint8_t storage[8], out[8];
	struct pipe_ring ring;

	pipe_ring_init(&ring, storage, sizeof(storage));
	HCHECK_EQ(pipe_ring_space(&ring), 8);
	HCHECK_EQ(pipe_ring_take(&ring, out, 4), 0);
	HCHECK_EQ(pipe_ring_put(&ring, "abc", 3), 3);
	HCHECK_EQ(pipe_ring_space(&ring), 5);
	HCHECK_EQ(pipe_ring_take(&ring, out, 8), 3);
	HCHECK(memcmp(out, "abc", 3) == 0);
	HCHECK_EQ(pipe_ring_space(&ring), 8);
}

HTEST(a_full_ring_takes_no_more)
{
	uint8_t storage[8], out[8];
	struct pipe_ring ring;

	pipe_ring_init(&ring, storage, sizeof(storage));
	HCHECK_EQ(pipe_ring_put(&ring, "0123456789", 10), 8);
	HCHECK_EQ(pipe_ring_space(&ring), 0);
	HCHECK_EQ(pipe_ring_put(&ring, "x", 1), 0);
	HCHECK_EQ(pipe_ring_take(&ring, out, 8), 8);
	HCHECK(memcmp(out, "01234567", 8) == 0);
}

HTEST(bytes_wrap_around_the_end_of_the_storage)
{
	uint8_t storage[8], out[8];
	struct pipe_ring ring;

	pipe_ring_init(&ring, storage, sizeof(storage));
	HCHECK_EQ(pipe_ring_put(&ring, "abcdef", 6), 6);
	HCHECK_EQ(pipe_ring_take(&ring, out, 5), 5);
	HCHECK_EQ(pipe_ring_put(&ring, "ghijklm", 7), 7);	/* wraps */
	HCHECK_EQ(pipe_ring_space(&ring), 0);
	HCHECK_EQ(pipe_ring_take(&ring, out, 3), 3);
	HCHECK(memcmp(out, "fgh", 3) == 0);
	HCHECK_EQ(pipe_ring_take(&ring, out, 8), 5);
	HCHECK(memcmp(out, "ijklm", 5) == 0);
}

HTEST(a_long_random_run_keeps_every_byte_in_order)
{
	enum { CAPACITY = 97 };
	uint8_t storage[CAPACITY], chunk[300];
	struct pipe_ring ring;
	unsigned long long put = 0, taken = 0, wrong = 0;

	srand(14);
	pipe_ring_init(&ring, storage, sizeof(storage));
	for (int round = 0; round < 20000; round++) {
		size_t length = (size_t)(rand() % 200);
		for (size_t i = 0; i < length; i++)
			chunk[i] = (uint8_t)(put + i);
		size_t space = pipe_ring_space(&ring);
		size_t went = pipe_ring_put(&ring, chunk, length);
		wrong += went != (length < space ? length : space);
		put += went;
		size_t want = (size_t)(rand() % 200);
		size_t got = pipe_ring_take(&ring, chunk, want);
		for (size_t i = 0; i < got; i++)
			wrong += chunk[i] != (uint8_t)(taken + i);
		taken += got;
		wrong += ring.count != put - taken;
	}
	htest_log("%llu bytes through a %d-byte ring", taken, CAPACITY);
	HCHECK(taken > 100000);
	HCHECK_EQ(wrong, 0);
}
