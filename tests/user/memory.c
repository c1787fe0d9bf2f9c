/*
 * A workload larger than any clear set the tests give it: fills a heap
 * (malloc: brk and mmap) and an anonymous mapping with a pattern that
 * depends on each word's address, reads everything back in another order,
 * and exits 0 only when every word is what was written. Under a scheme
 * most of its pages are sealed and brought back while it runs.
 * Built with musl-gcc -static (tests/user).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static uint64_t pattern(const void *address, uint64_t round)
{
	uint64_t x = (uint64_t)(uintptr_t)address * 0x9e3779b97f4a7c15ull + round;
	return x ^ (x >> 29);
}

static size_t fill_and_check(uint64_t *words, size_t count, uint64_t round)
{
	size_t wrong = 0;

	for (size_t i = 0; i < count; i += 7)
		words[i] = pattern(&words[i], round);
	/* Back to front, page by page: the oldest pages were sealed. */
	for (size_t i = (count - 1) / 7 * 7 + 7; i >= 7; i -= 7)
		wrong += words[i - 7] != pattern(&words[i - 7], round);
	return wrong;
}

int main(int argc, char **argv)
{
	size_t megabytes = argc > 1 ? (size_t)atoi(argv[1]) : 4;
	size_t count = megabytes << 17;	/* words */
	size_t wrong = 0;

	uint64_t *heap = malloc(count * sizeof(uint64_t));
	uint64_t *map = mmap(NULL, count * sizeof(uint64_t),
			     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);
	if (!heap || map == MAP_FAILED) {
		printf("memory: no memory for %zu MiB\n", megabytes);
		return 2;
	}
	for (uint64_t round = 0; round < 2; round++) {
		wrong += fill_and_check(heap, count, round);
		wrong += fill_and_check(map, count, round + 10);
	}
	/* Many small blocks through malloc's own bookkeeping too. */
	char *blocks[256];
	for (int i = 0; i < 256; i++) {
		blocks[i] = malloc(100 + i * 13);
		memset(blocks[i], i, 100 + i * 13);
	}
	for (int i = 0; i < 256; i++) {
		for (int j = 0; j < 100 + i * 13; j++)
			wrong += (unsigned char)blocks[i][j] != (unsigned char)i;
		free(blocks[i]);
	}
	munmap(map, count * sizeof(uint64_t));
	free(heap);
	printf("memory: %zu MiB twice, %zu wrong words\n", megabytes, wrong);
	return wrong != 0;
}
