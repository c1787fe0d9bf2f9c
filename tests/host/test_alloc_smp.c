/*
 * Allocators under concurrency (issue 12), on the host: every "CPU" (a
 * pthread with its own CPU index) runs alloc_torture_worker (mm/
 * alloc_torture.c) at once over kmalloc, one slab cache and a buddy
 * allocator, with slab debug on and then off (the magazines). At the end:
 * no pattern was found changed, nothing failed, and every counter is back:
 * the slab's pages all returned to the provider after reaping, the cache
 * has no live object and as many frees as allocations, the buddy has every
 * frame free. mk/alloc_smp.mk builds it under ASan/UBSan and again under
 * ThreadSanitizer.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "mm/alloc_torture.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "mm/slab_internal.h"
#include "tests/host/htest.h"

extern __thread unsigned host_cpu_index;

#define SMP_CPUS	4u
#define SMP_OPERATIONS	40000u
#define ARENA_BYTES	(256ull << 20)	/* the slab's pages */
#define FRAMES_BYTES	(64ull << 20)	/* the torture's buddy */

/* The slab's page provider: a buddy over an mmap'd arena. */
static struct {
	pthread_mutex_t lock;	/* protects live */
	struct pmm pmm;		/* has its own lock */
	char *arena;		/* physical address p is at arena + p */
	long live;		/* pages handed out and not returned */
} provider = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *provider_alloc(void *context, unsigned order)
{
	uint64_t phys = pmm_alloc(&provider.pmm, order);

	(void)context;
	if (phys == PMM_NO_FRAME)
		return NULL;
	pthread_mutex_lock(&provider.lock);
	provider.live += 1l << order;
	pthread_mutex_unlock(&provider.lock);
	return provider.arena + phys;
}

static void provider_free(void *context, void *address, unsigned order)
{
	(void)context;
	pmm_free(&provider.pmm, (uint64_t)((char *)address - provider.arena), order);
	pthread_mutex_lock(&provider.lock);
	provider.live -= 1l << order;
	pthread_mutex_unlock(&provider.lock);
}

static void provider_set_owner(void *context, void *address, unsigned order,
			       void *owner)
{
	(void)context;
	pmm_set_owner(&provider.pmm, (uint64_t)((char *)address - provider.arena),
		      order, (uintptr_t)owner);
}

static void *provider_owner_of(void *context, const void *address)
{
	const char *byte = address;

	(void)context;
	if (byte < provider.arena || byte >= provider.arena + ARENA_BYTES)
		return NULL;
	return (void *)pmm_owner(&provider.pmm, (uint64_t)(byte - provider.arena));
}

static long provider_live(void)
{
	long live;

	pthread_mutex_lock(&provider.lock);
	live = provider.live;
	pthread_mutex_unlock(&provider.lock);
	return live;
}

/* The torture's own buddy, its frames' bytes in a second arena. */
static struct pmm frames;
static char *frames_arena;

static void *frames_address(uint64_t phys)
{
	return frames_arena + phys;
}

static void *arena_map(size_t bytes)
{
	void *arena = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return arena == MAP_FAILED ? NULL : arena;
}

/* A buddy over [0, bytes) with all of it free. */
static bool buddy_make(struct pmm *pmm, size_t bytes)
{
	uint64_t pfns = bytes >> PMM_FRAME_SHIFT;
	void *storage = malloc(pmm_descriptor_bytes(0, pfns));

	return storage && pmm_init(pmm, 0, pfns, storage,
				   pmm_descriptor_bytes(0, pfns)) == PMM_OK &&
	       pmm_add_free_range(pmm, 0, bytes) == PMM_OK;
}

static void setup(void)
{
	static bool done;
	static const struct slab_page_provider ops = {
		.alloc_pages = provider_alloc,
		.free_pages = provider_free,
		.set_owner = provider_set_owner,
		.owner_of = provider_owner_of,
	};

	if (done)
		return;
	done = true;
	provider.arena = arena_map(ARENA_BYTES);
	frames_arena = arena_map(FRAMES_BYTES);
	if (!provider.arena || !frames_arena ||
	    !buddy_make(&provider.pmm, ARENA_BYTES) ||
	    !buddy_make(&frames, FRAMES_BYTES)) {
		fprintf(stderr, "test-alloc_smp: no memory for the arenas\n");
		abort();
	}
	slab_init(&ops);
}

struct smp_cpu {
	pthread_t thread;
	unsigned index;
	struct alloc_torture *torture;
	pthread_barrier_t *start;
};

/* One "CPU": the worker, then empties its magazines as a CPU going
 * offline would, so the counts can settle. */
static void *smp_cpu_run(void *argument)
{
	struct smp_cpu *cpu = argument;

	host_cpu_index = cpu->index;
	pthread_barrier_wait(cpu->start);
	alloc_torture_worker(cpu->index, cpu->torture);
	slab_cpu_flush();
	return NULL;
}

/* Runs the torture on SMP_CPUS threads (CPUs 1..N) and checks the end. */
static void smp_torture(bool debug, uint64_t seed)
{
	static struct alloc_torture torture;
	struct smp_cpu cpus[SMP_CPUS];
	pthread_barrier_t start;
	struct slab_cache_stats stats;
	struct pmm_stats frame_stats;
	struct slab_cache *cache;
	long live_before;

	setup();
	slab_debug_enable(debug);
	slab_reap();
	live_before = provider_live();
	cache = slab_cache_create("smp-torture-200", 200, 0, NULL, NULL);
	HCHECK(cache != NULL);
	memset(&torture, 0, sizeof(torture));
	torture.pmm = &frames;
	torture.frame_address = frames_address;
	torture.cache = cache;
	torture.cache_size = 200;
	torture.operations = SMP_OPERATIONS;
	torture.seed = seed;
	pthread_barrier_init(&start, NULL, SMP_CPUS);
	for (unsigned i = 0; i < SMP_CPUS; i++) {
		cpus[i] = (struct smp_cpu){ .index = i + 1, .torture = &torture,
					    .start = &start };
		pthread_create(&cpus[i].thread, NULL, smp_cpu_run, &cpus[i]);
	}
	for (unsigned i = 0; i < SMP_CPUS; i++)
		pthread_join(cpus[i].thread, NULL);
	pthread_barrier_destroy(&start);
	alloc_torture_drain(&torture);
	slab_cpu_flush();	/* the drain ran here, on CPU 0 */

	HCHECK_EQ(torture.corruptions, 0);
	HCHECK_EQ(torture.failures, 0);
	HCHECK(torture.handed_over > 0);
	htest_log("debug %s: %llu objects freed by another CPU", debug ? "on" : "off",
		  (unsigned long long)torture.handed_over);

	slab_cache_get_stats(cache, &stats);
	HCHECK_EQ(stats.objects_active, 0);
	HCHECK_EQ(stats.objects_in_magazines, 0);
	HCHECK_EQ(stats.allocations, stats.frees);
	HCHECK(stats.allocations > 0);
	HCHECK_EQ(stats.findings, 0);
	slab_cache_destroy(cache);

	pmm_get_stats(&frames, &frame_stats);
	HCHECK_EQ(frame_stats.free_frames, frame_stats.usable_frames);
	HCHECK_EQ(frame_stats.allocations, frame_stats.frees);
	HCHECK(frame_stats.allocations > 0);

	slab_reap();
	HCHECK_EQ(provider_live(), live_before);
	slab_debug_enable(false);
}

HTEST(cpus_allocate_and_free_at_once_debug_on)
{
	smp_torture(true, 1);
}

HTEST(cpus_allocate_and_free_at_once_magazines)
{
	smp_torture(false, 2);
}

/* An interrupt handler that allocates while the code it interrupted is in
 * the fast path: modelled by claiming this CPU's magazines (as the fast
 * path does) and then calling the allocator, as the handler would. The
 * calls must go around the claimed magazines (straight to the slab layer),
 * leave them as they were, and still be counted. */
HTEST(allocation_inside_a_claimed_fast_path_goes_around_the_magazines)
{
	struct slab_cache_stats before, after;
	struct slab_cache *cache;
	struct slab_cpu_cache *claimed;
	void *warm, *inner[3];

	setup();
	host_cpu_index = 0;
	cache = slab_cache_create("claimed-64", 64, 0, NULL, NULL);
	HCHECK(cache != NULL);
	warm = slab_alloc(cache);	/* loads this CPU's magazines */
	slab_free(cache, warm);
	slab_cache_get_stats(cache, &before);

	claimed = slab_cpu_claim(cache);
	HCHECK(claimed != NULL);
	uint32_t rounds = claimed->loaded_rounds;
	HCHECK(rounds > 0);
	HCHECK(slab_cpu_claim(cache) == NULL);	/* the handler's own claim fails */
	for (unsigned i = 0; i < 3; i++)
		inner[i] = slab_alloc(cache);
	for (unsigned i = 0; i < 3; i++) {
		HCHECK(inner[i] != NULL && inner[i] != warm);
		slab_free(cache, inner[i]);
	}
	HCHECK_EQ(claimed->loaded_rounds, rounds);	/* untouched */
	slab_cpu_flush();			/* skipped while claimed */
	HCHECK_EQ(claimed->loaded_rounds, rounds);
	slab_cpu_release(claimed);

	slab_cache_get_stats(cache, &after);
	HCHECK_EQ(after.allocations - before.allocations, 3);
	HCHECK_EQ(after.frees - before.frees, 3);
	HCHECK_EQ(after.slab_allocations - before.slab_allocations, 3);
	HCHECK_EQ(after.objects_active, 0);
	HCHECK(slab_alloc(cache) == warm);	/* the magazine works again */
	slab_free(cache, warm);
	slab_cpu_flush();
	slab_cache_destroy(cache);
}
