/*
 * A workload larger than any clear set the tests give it: fills a heap
 * (malloc: brk and mmap) and an anonymous mapping with a pattern that
 * depends on each word's address, reads everything back in another order,
 * and exits 0 only when every word is what was written. Under a scheme
 * most of its pages are sealed and brought back while it runs.
 * "memory fork MIB": the parent fills a mapping and forks; the child
 * reads its first half (the pages sealed before the fork: bringing them
 * back pushes out the clear pages, last written, whose frames the parent
 * still maps), then the parent reads it all (pushing out the same frames
 * last), then the child reads it all: the pages the child let go of while
 * they were shared come back right after their frames were sealed.
 * Built with musl-gcc -static (tests/user).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Words of the mapping that do not read as round's pattern. */
static size_t check_only(const uint64_t *words, size_t count, uint64_t round)
{
	size_t wrong = 0;

	for (size_t i = 0; i < count; i += 7)
		wrong += words[i] != pattern(&words[i], round);
	return wrong;
}

/* One byte through a pipe: the other side's turn. */
static int pass_turn(int fd)
{
	char byte = 1;

	return write(fd, &byte, 1) == 1 ? 0 : -1;
}

static int wait_turn(int fd)
{
	char byte;

	return read(fd, &byte, 1) == 1 ? 0 : -1;
}

/* "memory fork MIB" (see the top). Exit status 0 when every word read
 * right in both processes, in each of the three passes. */
static int fork_reads(size_t megabytes)
{
	size_t count = megabytes << 17;
	int to_parent[2], to_child[2];
	uint64_t *map = mmap(NULL, count * sizeof(uint64_t),
			     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);

	if (map == MAP_FAILED || pipe(to_parent) || pipe(to_child)) {
		printf("memory: no memory or pipe for %zu MiB\n", megabytes);
		return 2;
	}
	for (size_t i = 0; i < count; i += 7)
		map[i] = pattern(&map[i], 5);
	pid_t child = fork();
	if (child == 0) {
		size_t wrong = check_only(map, count / 2, 5);
		if (pass_turn(to_parent[1]) || wait_turn(to_child[0]))
			_exit(3);
		wrong += check_only(map, count, 5);
		_exit(wrong != 0);
	}
	size_t wrong = 0;
	int status = -1;
	if (child < 0 || wait_turn(to_parent[0]))
		return 4;
	wrong += check_only(map, count, 5);
	if (pass_turn(to_child[1]) || waitpid(child, &status, 0) != child)
		return 5;
	printf("memory: fork, %zu MiB read by both, %zu wrong words in the "
	       "parent, child status %d\n", megabytes, wrong, status);
	return wrong != 0 || status != 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "fork") == 0)
		return fork_reads((size_t)atoi(argv[2]));
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
