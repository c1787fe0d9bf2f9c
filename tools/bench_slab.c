/*
 * bench-slab: Veil's kmalloc/kfree against glibc, jemalloc and mimalloc on
 * the host. One source, built once per allocator (BENCH_VEIL, BENCH_GLIBC,
 * BENCH_JEMALLOC, BENCH_MIMALLOC) so that the allocators, which all claim
 * malloc, never share a process. Veil's slab runs over the provider the
 * kernel will use: the buddy (mm/pmm.c) over an arena standing in for the
 * direct map.
 *
 * Patterns, each for sizes 32, 64, 256, 1024:
 *   lifo   an allocation and its free, back to back
 *   batch  10^5 allocations, then their 10^5 frees
 *   random a precomputed random walk over 4096 slots: an empty slot is
 *          allocated, a full one freed (the same walk for every allocator)
 * Every allocation's first byte is written. An op is one allocation or one
 * free; each figure is the best of several runs after a warm-up.
 * Prints "alloc=NAME pattern=NAME size=N ns_per_op=X" lines; asserts nothing.
 *
 * Interrupt masking: in the kernel the slab's per-CPU fast path runs with
 * interrupts off, irq_save (pushfq, pop, cli) then irq_restore (sti), once
 * per kmalloc and once per kfree (mm/slab_magazine.c). Veil's binary is
 * built with HOST_IRQ_FLAGS_MEASURED, so the host stand-ins
 * (tests/host/host_shim.c) run the pushfq/pop and, in place of sti, a
 * pushq/popfq: user mode may run pushf and popf, not cli or sti (they
 * fault at IOPL 0). So the figure includes the flag save and a flags
 * restore, and leaves out cli; popfq is not sti, and the two do not cost
 * the same on every CPU, so the masking part of the figure is an estimate
 * of the kernel's, not its measure. The other allocators mask nothing (a
 * user-space allocator has no interrupts to fear).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#if defined(BENCH_VEIL)
#include "mm/pmm.h"
#include "mm/slab.h"
#define BENCH_NAME "veil-slab"
/* Called, never inlined into the loops (-flto would otherwise do it): the
 * other allocators are entered through a call too, and so are kernel
 * callers of kmalloc/kfree. */
static __attribute__((noinline)) void *bench_alloc(size_t size)
{
	return kmalloc(size);
}

static __attribute__((noinline)) void bench_free(void *object)
{
	kfree(object);
}
#elif defined(BENCH_JEMALLOC)
#include <jemalloc/jemalloc.h>	/* Debian's has no prefix: malloc is jemalloc's */
#define BENCH_NAME "jemalloc"
#define bench_alloc malloc
#define bench_free free
#elif defined(BENCH_MIMALLOC)
#include <mimalloc.h>
#define BENCH_NAME "mimalloc"
#define bench_alloc mi_malloc
#define bench_free mi_free
#else
#define BENCH_NAME "glibc"
#define bench_alloc malloc
#define bench_free free
#endif

#define BENCH_RUNS	7
#define LIFO_PAIRS	2000000
#define BATCH		100000
#define BATCH_ROUNDS	10
#define RANDOM_SLOTS	4096
#define RANDOM_STEPS	2000000

static void *slots[BATCH];
static uint16_t *walk;

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *touch(void *p)
{
	*(volatile char *)p = 1;
	return p;
}

/* Each pattern returns the ops it made. */
static double run_lifo(size_t size)
{
	for (long i = 0; i < LIFO_PAIRS; i++)
		bench_free(touch(bench_alloc(size)));
	return 2.0 * LIFO_PAIRS;
}

static double run_batch(size_t size)
{
	for (int round = 0; round < BATCH_ROUNDS; round++) {
		for (long i = 0; i < BATCH; i++)
			slots[i] = touch(bench_alloc(size));
		for (long i = 0; i < BATCH; i++) {
			bench_free(slots[i]);
			slots[i] = NULL;
		}
	}
	return 2.0 * BATCH * BATCH_ROUNDS;
}

static double run_random(size_t size)
{
	for (long i = 0; i < RANDOM_STEPS; i++) {
		void **slot = &slots[walk[i]];

		if (*slot) {
			bench_free(*slot);
			*slot = NULL;
		} else {
			*slot = touch(bench_alloc(size));
		}
	}
	for (long i = 0; i < RANDOM_SLOTS; i++) {
		if (slots[i])
			bench_free(slots[i]);
		slots[i] = NULL;
	}
	return RANDOM_STEPS;
}

static void bench(const char *pattern, double (*run)(size_t), size_t size)
{
	double best = 1e300;

	run(size);	/* warm-up: caches, magazines, page faults */
	for (int i = 0; i < BENCH_RUNS; i++) {
		double start = bench_now();
		double ops = run(size);
		double ns = (bench_now() - start) / ops;

		if (ns < best)
			best = ns;
	}
	printf("alloc=%s pattern=%s size=%zu ns_per_op=%.2f\n", BENCH_NAME, pattern,
	       size, best);
}

#if defined(BENCH_VEIL)
/* The kernel glue in miniature: buddy frames, an arena as the direct map. */
#define ARENA_BYTES (1ull << 30)
static struct pmm bench_pmm;
static char *bench_arena;

static void *veil_alloc_pages(void *context, unsigned order)
{
	uint64_t phys = pmm_alloc(&bench_pmm, order);

	(void)context;
	return phys == PMM_NO_FRAME ? NULL : bench_arena + phys;
}

static void veil_free_pages(void *context, void *address, unsigned order)
{
	(void)context;
	pmm_free(&bench_pmm, (uint64_t)((char *)address - bench_arena), order);
}

static void veil_set_owner(void *context, void *address, unsigned order, void *owner)
{
	(void)context;
	pmm_set_owner(&bench_pmm, (uint64_t)((char *)address - bench_arena), order,
		      (uintptr_t)owner);
}

static void *veil_owner_of(void *context, const void *address)
{
	uint64_t offset = (uint64_t)((const char *)address - bench_arena);

	(void)context;
	if (offset >= ARENA_BYTES)
		return NULL;
	return (void *)bench_pmm.frames[offset >> PMM_FRAME_SHIFT].owner;
}

static void bench_setup(void)
{
	size_t bytes = pmm_descriptor_bytes(0, ARENA_BYTES >> PMM_FRAME_SHIFT);
	static const struct slab_page_provider provider = {
		veil_alloc_pages, veil_free_pages, veil_set_owner, veil_owner_of, NULL,
	};

	bench_arena = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (bench_arena == MAP_FAILED ||
	    pmm_init(&bench_pmm, 0, ARENA_BYTES >> PMM_FRAME_SHIFT, malloc(bytes),
		     bytes) != PMM_OK ||
	    pmm_add_free_range(&bench_pmm, 0, ARENA_BYTES) != PMM_OK) {
		fprintf(stderr, "bench-slab: no arena\n");
		exit(1);
	}
	slab_init(&provider);
}
#else
static void bench_setup(void)
{
}
#endif

int main(void)
{
	static const size_t sizes[] = { 32, 64, 256, 1024 };
	uint64_t state = 0x2545f4914f6cdd1dull;

	bench_setup();
	walk = malloc(RANDOM_STEPS * sizeof(*walk));
	for (long i = 0; i < RANDOM_STEPS; i++) {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		walk[i] = (uint16_t)(state % RANDOM_SLOTS);
	}
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		bench("lifo", run_lifo, sizes[i]);
		bench("batch", run_batch, sizes[i]);
		bench("random", run_random, sizes[i]);
	}
	free(walk);
	return 0;
}
