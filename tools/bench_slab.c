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
 *
 * Threads: every pattern runs with 1 and then 2 threads at once, each with
 * its own slots (and, for Veil, its own host CPU index, so its own
 * magazines, as on two CPUs). The figure is the wall time of the run over
 * the ops of one thread: with perfect scaling, 2 threads print what 1
 * prints. The machines here have 2 cores, shared: 2 threads only show
 * scaling when nothing else runs.
 * Prints "alloc=NAME threads=T pattern=NAME size=N ns_per_op=X" lines;
 * asserts nothing.
 *
 * Interrupts: the slab's per-CPU fast path does not mask them; it claims
 * its CPU's magazines (a preemption count and a per-CPU flag, see
 * mm/slab_internal.h), which the host build runs as the kernel does (the
 * count is a thread-local variable here, a GS-relative one there). The
 * slow path (depot, slabs) masks interrupts: Veil's binary is built with
 * HOST_IRQ_FLAGS_MEASURED, so the host stand-ins (tests/host/host_shim.c)
 * run the pushfq/pop and, in place of sti, a pushq/popfq (user mode may
 * not run cli or sti), an estimate of the kernel's cost from above. The
 * other allocators mask nothing (a user-space allocator has no interrupts
 * to fear).
 */
#include <pthread.h>
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
/* The host shim's CPU index (tests/host/host_shim.c): one per thread. */
extern __thread unsigned host_cpu_index;
#define bench_set_cpu(index) (host_cpu_index = (index))
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
#ifndef bench_set_cpu
#define bench_set_cpu(index) ((void)(index))
#endif

#define BENCH_RUNS	7
#define LIFO_PAIRS	2000000
#define BATCH		100000
#define BATCH_ROUNDS	10
#define RANDOM_SLOTS	4096
#define RANDOM_STEPS	2000000
#define BENCH_THREADS_MAX 2

/* Each thread's own slots; the walk is shared, read only. */
static void *thread_slots[BENCH_THREADS_MAX][BATCH];
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
static double run_lifo(void **slots, size_t size)
{
	(void)slots;
	for (long i = 0; i < LIFO_PAIRS; i++)
		bench_free(touch(bench_alloc(size)));
	return 2.0 * LIFO_PAIRS;
}

static double run_batch(void **slots, size_t size)
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

static double run_random(void **slots, size_t size)
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

typedef double (*bench_pattern_t)(void **slots, size_t size);

/* One thread of a run: waits for the others, runs the pattern once. */
struct bench_thread {
	pthread_t id;
	unsigned index;
	bench_pattern_t run;
	size_t size;
	pthread_barrier_t *start;
	double ops;
};

static void *bench_thread_run(void *argument)
{
	struct bench_thread *thread = argument;

	bench_set_cpu(thread->index);
	pthread_barrier_wait(thread->start);
	thread->ops = thread->run(thread_slots[thread->index], thread->size);
	return NULL;
}

/* Wall-clock ns of one run of the pattern on `threads` threads at once,
 * over the ops of one thread. */
static double bench_once(unsigned threads, bench_pattern_t run, size_t size)
{
	struct bench_thread thread[BENCH_THREADS_MAX];
	pthread_barrier_t start;
	double begin, ops = 0;

	pthread_barrier_init(&start, NULL, threads + 1);
	for (unsigned i = 0; i < threads; i++) {
		thread[i] = (struct bench_thread){ .index = i, .run = run,
						   .size = size, .start = &start };
		pthread_create(&thread[i].id, NULL, bench_thread_run, &thread[i]);
	}
	pthread_barrier_wait(&start);
	begin = bench_now();
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(thread[i].id, NULL);
		ops += thread[i].ops;
	}
	double ns = (bench_now() - begin) / (ops / threads);
	pthread_barrier_destroy(&start);
	return ns;
}

static void bench(unsigned threads, const char *pattern, bench_pattern_t run,
		  size_t size)
{
	double best = 1e300;

	bench_once(threads, run, size);	/* warm-up: caches, magazines, page faults */
	for (int i = 0; i < BENCH_RUNS; i++) {
		double ns = bench_once(threads, run, size);

		if (ns < best)
			best = ns;
	}
	printf("alloc=%s threads=%u pattern=%s size=%zu ns_per_op=%.2f\n",
	       BENCH_NAME, threads, pattern, size, best);
	fflush(stdout);
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
	return (void *)pmm_owner(&bench_pmm, offset);
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
	for (unsigned threads = 1; threads <= BENCH_THREADS_MAX; threads++) {
		for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			bench(threads, "lifo", run_lifo, sizes[i]);
			bench(threads, "batch", run_batch, sizes[i]);
			bench(threads, "random", run_random, sizes[i]);
		}
	}
	free(walk);
	return 0;
}
