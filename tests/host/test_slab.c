/*
 * Host tests of the slab allocator (mm/slab*.c, mm/kmalloc.c). The page
 * provider is what the kernel glue does, in miniature: the buddy (mm/pmm.c)
 * over an mmap-backed arena standing in for the direct map, with the slab
 * recorded as each frame's owner. It counts its pages, so leaks show, and
 * can be given a budget to model memory running short.
 *
 * Debug findings are expected results here: a report hook records them
 * instead of panicking (one case checks that the default does panic).
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mm/pmm.h"
#include "mm/slab.h"
#include "tests/host/host_shim.h"
#include "tests/host/htest.h"

extern __thread unsigned host_cpu_index;

/* ---- the page provider ------------------------------------------------ */

#define ARENA_BYTES (512ull << 20)

static struct {
	pthread_mutex_t lock;	/* protects live and limit */
	struct pmm pmm;
	char *arena;		/* physical address p is at arena + p */
	long live;		/* pages handed out and not returned */
	long limit;		/* most pages live at once; <0: no limit */
} provider = { .lock = PTHREAD_MUTEX_INITIALIZER, .limit = -1 };

static void *test_alloc_pages(void *context, unsigned order)
{
	uint64_t phys = PMM_NO_FRAME;

	(void)context;
	pthread_mutex_lock(&provider.lock);
	if (provider.limit < 0 || provider.live + (1l << order) <= provider.limit) {
		phys = pmm_alloc(&provider.pmm, order);
		if (phys != PMM_NO_FRAME)
			provider.live += 1l << order;
	}
	pthread_mutex_unlock(&provider.lock);
	if (phys == PMM_NO_FRAME)
		return NULL;
	memset(provider.arena + phys, 0xa5, 4096ul << order);	/* stale bytes */
	return provider.arena + phys;
}

static void test_free_pages(void *context, void *address, unsigned order)
{
	(void)context;
	HCHECK_EQ(pmm_free(&provider.pmm, (uint64_t)((char *)address - provider.arena),
			   order), PMM_OK);
	pthread_mutex_lock(&provider.lock);
	provider.live -= 1l << order;
	pthread_mutex_unlock(&provider.lock);
}

static bool in_arena(const void *address)
{
	return (const char *)address >= provider.arena &&
	       (const char *)address < provider.arena + ARENA_BYTES;
}

static void test_set_owner(void *context, void *address, unsigned order, void *owner)
{
	(void)context;
	pmm_set_owner(&provider.pmm, (uint64_t)((char *)address - provider.arena), order,
		      (uintptr_t)owner);
}

static void *test_owner_of(void *context, const void *address)
{
	(void)context;
	if (!in_arena(address))
		return NULL;
	return (void *)pmm_owner(&provider.pmm,
				 (uint64_t)((const char *)address - provider.arena));
}

static long provider_live(void)
{
	long live;

	pthread_mutex_lock(&provider.lock);
	live = provider.live;
	pthread_mutex_unlock(&provider.lock);
	return live;
}

static void provider_set_limit(long pages)
{
	pthread_mutex_lock(&provider.lock);
	provider.limit = pages;
	pthread_mutex_unlock(&provider.lock);
}

/* Findings the report hook recorded. */
static struct slab_report last_report;
static unsigned report_count;

static void test_report(const struct slab_report *report)
{
	last_report = *report;
	report_count++;
}

/* One slab for the whole binary (slab_init runs once). */
static void setup(void)
{
	static bool done;
	size_t bytes = pmm_descriptor_bytes(0, ARENA_BYTES >> 12);

	if (done)
		return;
	done = true;
	provider.arena = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (provider.arena == MAP_FAILED)
		abort();
	if (pmm_init(&provider.pmm, 0, ARENA_BYTES >> 12, malloc(bytes), bytes) != PMM_OK ||
	    pmm_add_free_range(&provider.pmm, 0, ARENA_BYTES) != PMM_OK)
		abort();
	slab_init(&(struct slab_page_provider){ test_alloc_pages, test_free_pages,
						test_set_owner, test_owner_of, NULL });
	slab_set_report_hook(test_report);
}

/* The provider's pages once every cache is reaped. */
static long settled_pages(void)
{
	slab_reap();
	return provider_live();
}

static uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/* ---- kmalloc ---------------------------------------------------------- */

HTEST(kmalloc_zero_huge_and_sizes)
{
	long before;
	void *big;
	bool usable = true, aligned = true;

	setup();
	before = settled_pages();
	HCHECK(kmalloc(0) == NULL);
	HCHECK(kmalloc(KMALLOC_MAX_SIZE + 1) == NULL);
	HCHECK(kmalloc(SIZE_MAX) == NULL);
	HCHECK(kmalloc(SIZE_MAX / 2) == NULL);
	kfree(NULL);
	big = kmalloc(KMALLOC_MAX_SIZE);
	HCHECK(big != NULL && ((uintptr_t)big & 4095) == 0);
	HCHECK_EQ(kmalloc_usable_size(big), KMALLOC_MAX_SIZE);
	memset(big, 1, KMALLOC_MAX_SIZE);
	kfree(big);
	for (size_t size = 1; size <= 20000; size += size < 300 ? 1 : 97) {
		uint8_t *p = kmalloc(size);

		HCHECK(p != NULL);
		if (!p)
			continue;
		memset(p, 0x5a, size);
		usable &= kmalloc_usable_size(p) >= size;
		aligned &= (uintptr_t)p % (size <= 8 ? 8 : 16) == 0;
		if (size >= 64 && (size & (size - 1)) == 0 && size <= KMALLOC_SLAB_MAX)
			aligned &= (uintptr_t)p % 64 == 0;
		kfree(p);
	}
	HCHECK(usable);
	HCHECK(aligned);
	HCHECK_EQ(report_count, 0);
	HCHECK_EQ(settled_pages(), before);
}

/* ---- constructed-state caching --------------------------------------- */

struct counted {
	uint64_t constructed;	/* set by the ctor, kept across alloc/free */
	uint64_t uses;
	char payload[40];
};

static long ctor_calls, dtor_calls;

static void counted_ctor(void *object)
{
	struct counted *c = object;

	c->constructed = 0xc0257ed;
	c->uses = 0;
	ctor_calls++;
}

static void counted_dtor(void *object)
{
	struct counted *c = object;

	HCHECK_EQ(c->constructed, 0xc0257ed);
	dtor_calls++;
}

HTEST(ctor_once_per_object_life)
{
	enum { N = 3000 };
	static struct counted *objects[N];
	struct slab_cache *cache;
	struct slab_cache_stats stats;
	bool constructed = true;
	long before;

	setup();
	before = settled_pages();
	ctor_calls = dtor_calls = 0;
	cache = slab_cache_create("counted", sizeof(struct counted), 0,
				  counted_ctor, counted_dtor);
	HCHECK(cache != NULL);
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < N; i++) {
			objects[i] = slab_alloc(cache);
			constructed &= objects[i]->constructed == 0xc0257ed;
			objects[i]->uses++;
		}
		for (int i = 0; i < N; i++)
			slab_free(cache, objects[i]);
	}
	HCHECK(constructed);
	slab_cache_get_stats(cache, &stats);
	/* one ctor per object slot ever created, however many allocations */
	HCHECK_EQ(ctor_calls, stats.slabs_created * stats.objects_per_slab);
	HCHECK(ctor_calls < 2 * N);
	HCHECK_EQ(stats.allocations, 5 * N);
	HCHECK_EQ(dtor_calls, 0);
	slab_cache_reap(cache);
	HCHECK_EQ(dtor_calls, ctor_calls);	/* dtor when the slab goes */
	slab_cache_destroy(cache);
	HCHECK_EQ(report_count, 0);
	HCHECK_EQ(settled_pages(), before);
}

/* ---- alignment and colouring ----------------------------------------- */

HTEST(alignment_and_colouring)
{
	static const size_t sizes[] = { 1, 7, 24, 100, 250, 1000, 3000, 5000, 20000 };
	static const size_t aligns[] = { 0, 8, 16, 64, 128, 512, 4096 };
	static void *objects[600];
	long before;

	setup();
	before = settled_pages();
	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (unsigned a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
			struct slab_cache *cache = slab_cache_create("aligned", sizes[s],
								     aligns[a], NULL, NULL);
			size_t align = aligns[a] < 8 ? 8 : aligns[a];
			bool aligned = true, apart = true;

			HCHECK(cache != NULL);
			for (unsigned i = 0; i < 600; i++) {
				objects[i] = slab_alloc(cache);
				aligned &= (uintptr_t)objects[i] % align == 0;
				memset(objects[i], (int)i, sizes[s]);
			}
			for (unsigned i = 1; i < 600; i++)
				apart &= objects[i] != objects[i - 1];
			for (unsigned i = 0; i < 600; i++)
				slab_free(cache, objects[i]);
			HCHECK(aligned);
			HCHECK(apart);
			slab_cache_destroy(cache);
		}
	}
	HCHECK(slab_cache_create("bad", 64, 24, NULL, NULL) == NULL);
	HCHECK(slab_cache_create("bad", 64, 8192, NULL, NULL) == NULL);
	HCHECK(slab_cache_create("bad", 0, 8, NULL, NULL) == NULL);
	HCHECK(slab_cache_create("bad", SLAB_OBJECT_MAX + 1, 8, NULL, NULL) == NULL);
	HCHECK_EQ(report_count, 0);
	HCHECK_EQ(settled_pages(), before);
}

/* The first object of successive slabs sits at different offsets: the
 * offset of any object from its slab's start, modulo the stride, is the
 * slab's header plus its colour. */
HTEST(colouring_spreads_slabs)
{
	enum { N = 2000 };
	static void *objects[N];
	struct slab_cache *cache;
	struct slab_cache_stats stats;
	uint64_t seen = 0;	/* bit k: colour offset 64k seen */
	unsigned distinct = 0;

	setup();
	/* 700-byte objects, 64-aligned: 5 in a page, about 500 bytes over */
	cache = slab_cache_create("colour", 700, 64, NULL, NULL);
	slab_cache_get_stats(cache, &stats);
	for (unsigned i = 0; i < N; i++) {
		uintptr_t base;

		objects[i] = slab_alloc(cache);
		base = (uintptr_t)test_owner_of(NULL, objects[i]);
		seen |= 1ull << (((uintptr_t)objects[i] - base) % stats.stride / 64 % 64);
	}
	for (unsigned i = 0; i < N; i++)
		slab_free(cache, objects[i]);
	for (unsigned bit = 0; bit < 64; bit++)
		distinct += (seen >> bit) & 1;
	htest_log("stride %zu, %u objects per slab, %u distinct colours",
		  stats.stride, stats.objects_per_slab, distinct);
	HCHECK(distinct >= 4);
	slab_cache_destroy(cache);
}

/* ---- stress ------------------------------------------------------------ */

struct live_object {
	uint8_t *data;
	uint32_t size;
	uint32_t cache;		/* index into caches[], or CACHES: kmalloc */
	uint8_t pattern;
};

static void fill_pattern(uint8_t *data, uint32_t size, uint8_t pattern)
{
	memset(data, pattern, size);
	if (size >= 8)
		memcpy(data, &data, sizeof(data));	/* its own address */
}

static bool pattern_ok(const uint8_t *data, uint32_t size, uint8_t pattern)
{
	uint32_t i = 0;

	if (size >= 8) {
		if (memcmp(data, &data, sizeof(data)) != 0)
			return false;
		i = 8;
	}
	for (; i < size; i++)
		if (data[i] != pattern)
			return false;
	return true;
}

HTEST(random_stress_many_caches)
{
	enum { CACHES = 12, SLOTS = 20000, STEPS = 1000000 };
	static const uint32_t sizes[CACHES] = { 8, 16, 24, 40, 64, 96, 136, 200,
						256, 512, 1000, 2100 };
	static struct live_object live[SLOTS];
	struct slab_cache *caches[CACHES];
	uint64_t state = 12345;
	bool content = true, got_all = true;
	long before;

	setup();
	before = settled_pages();
	for (unsigned c = 0; c < CACHES; c++)
		caches[c] = slab_cache_create("stress", sizes[c], c % 3 == 0 ? 64 : 0,
					      NULL, NULL);
	memset(live, 0, sizeof(live));
	for (unsigned step = 0; step < STEPS; step++) {
		struct live_object *o = &live[rng_next(&state) % SLOTS];

		if (o->data) {
			content &= pattern_ok(o->data, o->size, o->pattern);
			if (o->cache < CACHES)
				slab_free(caches[o->cache], o->data);
			else
				kfree(o->data);
			o->data = NULL;
			continue;
		}
		o->cache = (uint32_t)(rng_next(&state) % (CACHES + 4));
		if (o->cache < CACHES) {
			o->size = sizes[o->cache];
			o->data = slab_alloc(caches[o->cache]);
		} else {
			o->cache = CACHES;
			o->size = (uint32_t)(rng_next(&state) % 100 == 0 ?
					     rng_next(&state) % 40000 + 1 :
					     rng_next(&state) % 1500 + 1);
			o->data = kmalloc(o->size);
		}
		got_all &= o->data != NULL;
		if (!o->data)
			continue;
		o->pattern = (uint8_t)step;
		fill_pattern(o->data, o->size, o->pattern);
	}
	for (unsigned i = 0; i < SLOTS; i++) {
		struct live_object *o = &live[i];

		if (!o->data)
			continue;
		content &= pattern_ok(o->data, o->size, o->pattern);
		if (o->cache < CACHES)
			slab_free(caches[o->cache], o->data);
		else
			kfree(o->data);
		o->data = NULL;
	}
	HCHECK(content);
	HCHECK(got_all);
	for (unsigned c = 0; c < CACHES; c++)
		slab_cache_destroy(caches[c]);
	HCHECK_EQ(report_count, 0);
	HCHECK_EQ(settled_pages(), before);	/* no leak */
}

/* ---- reaping ----------------------------------------------------------- */

HTEST(reap_returns_empty_slabs)
{
	enum { N = 5000 };
	static void *objects[N];
	struct slab_cache *cache;
	struct slab_cache_stats stats;
	long before, with_cache, full;
	size_t released;

	setup();
	before = settled_pages();
	cache = slab_cache_create("reap", 300, 0, NULL, NULL);
	/* the descriptor itself may take a slab of slab_cache_cache */
	with_cache = provider_live();
	for (unsigned i = 0; i < N; i++)
		objects[i] = slab_alloc(cache);
	slab_cache_get_stats(cache, &stats);
	full = (long)stats.pages;
	for (unsigned i = 0; i < N; i++)
		slab_free(cache, objects[i]);
	/* freed objects stay cached: magazines, then empty slabs */
	slab_cache_get_stats(cache, &stats);
	HCHECK_EQ(stats.pages, full);
	HCHECK(stats.objects_in_magazines > 0);
	HCHECK_EQ(stats.objects_active, 0);
	HCHECK(stats.pages > 0);
	released = slab_reap();
	HCHECK(released >= stats.pages);
	slab_cache_get_stats(cache, &stats);
	HCHECK_EQ(stats.pages, 0);
	HCHECK_EQ(stats.slabs, 0);
	HCHECK_EQ(provider_live(), with_cache);
	slab_cache_destroy(cache);
	HCHECK_EQ(settled_pages(), before);
}

/* When the provider runs dry, the slab reaps the other caches and retries. */
HTEST(memory_short_reaps_and_retries)
{
	enum { N = 4000 };
	static void *objects[N];
	struct slab_cache *hoarder, *needy;
	unsigned got = 0;
	long before;

	setup();
	before = settled_pages();
	hoarder = slab_cache_create("hoarder", 500, 0, NULL, NULL);
	needy = slab_cache_create("needy", 500, 0, NULL, NULL);
	for (unsigned i = 0; i < N; i++)
		objects[i] = slab_alloc(hoarder);
	for (unsigned i = 0; i < N; i++)
		slab_free(hoarder, objects[i]);
	provider_set_limit(provider_live());	/* no more pages than now */
	for (unsigned i = 0; i < N / 2; i++) {
		objects[i] = slab_alloc(needy);
		got += objects[i] != NULL;
	}
	HCHECK_EQ(got, N / 2);		/* served from the hoarder's reaped pages */
	for (unsigned i = 0; i < N / 2; i++)
		slab_free(needy, objects[i]);
	provider_set_limit(-1);
	slab_cache_destroy(hoarder);
	slab_cache_destroy(needy);
	HCHECK_EQ(settled_pages(), before);
}

/* ---- debug mode -------------------------------------------------------- */

static void expect_finding(enum slab_finding finding, unsigned *expected,
			   const char *cache)
{
	(*expected)++;
	HCHECK_EQ(report_count, *expected);
	HCHECK_EQ(last_report.finding, finding);
	HCHECK(strcmp(last_report.cache, cache) == 0);
	HCHECK(last_report.caller != NULL);
}

HTEST(debug_catches_bad_frees_and_writes)
{
	struct slab_cache *cache;
	unsigned expected;
	uint8_t *a, *b, *c;
	char on_stack[64];
	void *from_libc = malloc(64);
	long before;

	setup();
	before = settled_pages();
	cache = slab_cache_create("debugged", 100, 0, NULL, NULL);
	slab_cache_set_debug(cache, true);
	expected = report_count;

	/* double free */
	a = slab_alloc(cache);
	slab_free(cache, a);
	slab_free(cache, a);
	expect_finding(SLAB_DOUBLE_FREE, &expected, "debugged");
	HCHECK(last_report.object == a);
	HCHECK(last_report.last_caller != NULL);	/* who freed it first */

	/* write past the end */
	b = slab_alloc(cache);
	b[100] = 1;
	slab_free(cache, b);
	expect_finding(SLAB_WRITE_PAST_END, &expected, "debugged");
	HCHECK_EQ(last_report.offset, 100);

	/* write after free: the freed object is the next one handed out */
	c = slab_alloc(cache);
	slab_free(cache, c);
	c[50] = 7;
	HCHECK(slab_alloc(cache) == c);
	expect_finding(SLAB_WRITE_AFTER_FREE, &expected, "debugged");
	HCHECK_EQ(last_report.offset, 50);
	slab_free(cache, c);

	/* foreign pointers: stack, libc heap, inside an object, other cache */
	slab_free(cache, on_stack);
	expect_finding(SLAB_FOREIGN_POINTER, &expected, "debugged");
	slab_free(cache, from_libc);
	expect_finding(SLAB_FOREIGN_POINTER, &expected, "debugged");
	a = slab_alloc(cache);
	slab_free(cache, a + 8);
	expect_finding(SLAB_FOREIGN_POINTER, &expected, "debugged");
	b = kmalloc(100);
	slab_free(cache, b);
	expect_finding(SLAB_FOREIGN_POINTER, &expected, "debugged");
	kfree(b);
	slab_free(cache, a);
	HCHECK_EQ(report_count, expected);	/* the good frees are quiet */

	slab_cache_set_debug(cache, false);
	slab_cache_destroy(cache);
	free(from_libc);
	HCHECK_EQ(settled_pages(), before);
}

/* kfree's page map in normal mode: hits only for pages of live kmalloc
 * slabs; everything else takes the provider's way and gets its verdict. */
HTEST(kfree_page_map_normal_mode)
{
	struct slab_cache *cache;
	struct slab_cache_stats stats;
	unsigned expected;
	char on_stack[16];
	uint8_t *p, *q;
	void *o;
	long before;

	setup();
	before = settled_pages();
	expected = report_count;

	p = kmalloc(5000);			/* kmalloc-6144, its own slab */
	HCHECK_EQ(kmalloc_usable_size(p), 6144);
	HCHECK_EQ(kmalloc_usable_size(p + 8), 6144);	/* same page: same class */
	kfree(p);
	slab_reap();				/* the slab goes back to the provider */
	HCHECK_EQ(kmalloc_usable_size(p), 0);
	kfree(p);				/* stale: its page is no slab's now */
	expect_finding(SLAB_FOREIGN_POINTER, &expected, "kmalloc");

	kfree(on_stack);
	expect_finding(SLAB_FOREIGN_POINTER, &expected, "kmalloc");
	HCHECK_EQ(kmalloc_usable_size(on_stack), 0);
	q = kmalloc(40000);
	kfree(q + 4096);			/* inside a large block */
	expect_finding(SLAB_FOREIGN_POINTER, &expected, "kmalloc");
	kfree(q);

	/* an object of another cache given to kfree goes back to its cache */
	cache = slab_cache_create("kfreed", 100, 0, NULL, NULL);
	o = slab_alloc(cache);
	kfree(o);
	slab_cache_get_stats(cache, &stats);
	HCHECK_EQ(stats.objects_active, 0);
	HCHECK_EQ(stats.frees, 1);
	slab_cache_destroy(cache);

	HCHECK_EQ(report_count, expected);
	HCHECK_EQ(settled_pages(), before);
}

HTEST(debug_kmalloc_global_switch)
{
	unsigned expected;
	uint8_t *p, *q;
	char on_stack[16];
	long before;

	setup();
	before = settled_pages();
	slab_debug_enable(true);
	expected = report_count;

	/* the red zone starts at the requested size, inside the class */
	p = kmalloc(20);
	p[19] = 1;
	p[20] = 1;
	kfree(p);
	expect_finding(SLAB_WRITE_PAST_END, &expected, "kmalloc-32");
	HCHECK_EQ(last_report.offset, 20);
	kfree(p);
	expect_finding(SLAB_DOUBLE_FREE, &expected, "kmalloc-32");
	kfree(on_stack);
	expect_finding(SLAB_FOREIGN_POINTER, &expected, "kmalloc");
	q = kmalloc(40000);
	kfree(q + 4096);			/* inside a large block */
	expect_finding(SLAB_FOREIGN_POINTER, &expected, "kmalloc");
	kfree(q);
	kfree(q);				/* large double free */
	expect_finding(SLAB_FOREIGN_POINTER, &expected, "kmalloc");

	/* a ctor cache in debug mode: poisoned while free, rebuilt at alloc */
	{
		struct slab_cache *cache = slab_cache_create("debug-ctor",
					sizeof(struct counted), 0, counted_ctor, counted_dtor);
		struct counted *o = slab_alloc(cache);

		HCHECK_EQ(o->constructed, 0xc0257ed);
		slab_free(cache, o);
		o->uses = 99;			/* after free */
		o = slab_alloc(cache);
		expect_finding(SLAB_WRITE_AFTER_FREE, &expected, "debug-ctor");
		HCHECK_EQ(o->constructed, 0xc0257ed);
		slab_free(cache, o);
		slab_cache_destroy(cache);
	}
	slab_debug_enable(false);
	HCHECK_EQ(report_count, expected);
	HCHECK_EQ(settled_pages(), before);
}

/* Objects that went through debug slabs stay consistent when debug mode is
 * switched off and on again with objects outstanding. */
HTEST(debug_switching_with_live_objects)
{
	enum { N = 500 };
	static void *objects[N];
	struct slab_cache *cache;
	unsigned expected;
	long before;

	setup();
	before = settled_pages();
	expected = report_count;
	cache = slab_cache_create("switching", 48, 0, counted_ctor, NULL);
	for (unsigned round = 0; round < 6; round++) {
		slab_cache_set_debug(cache, round % 2 == 1);
		for (unsigned i = 0; i < N; i++)
			if (!objects[i] || i % 3 == round % 3) {
				if (objects[i])
					slab_free(cache, objects[i]);
				objects[i] = slab_alloc(cache);
				HCHECK(((struct counted *)objects[i])->constructed == 0xc0257ed);
			}
	}
	for (unsigned i = 0; i < N; i++)
		slab_free(cache, objects[i]);
	HCHECK_EQ(report_count, expected);
	slab_cache_set_debug(cache, false);
	slab_cache_destroy(cache);
	HCHECK_EQ(settled_pages(), before);
}

HTEST(destroy_busy_cache_reported)
{
	struct slab_cache *cache;
	unsigned expected;
	void *object;

	setup();
	expected = report_count;
	cache = slab_cache_create("busy", 64, 0, NULL, NULL);
	object = slab_alloc(cache);
	slab_cache_destroy(cache);
	expect_finding(SLAB_CACHE_BUSY, &expected, "busy");
	slab_free(cache, object);	/* the cache is still usable */
	slab_cache_destroy(cache);
	HCHECK_EQ(report_count, expected);
}

/* ---- several CPUs -------------------------------------------------------- */

enum { THREADS = 4, THREAD_STEPS = 150000, EXCHANGE = 256 };

static struct slab_cache *shared_caches[3];
static pthread_mutex_t exchange_lock = PTHREAD_MUTEX_INITIALIZER;
/* Objects handed from one CPU to another (freed by whoever picks them). */
static struct { void *data; int cache; } exchange[EXCHANGE];
static long thread_bad_content;

static void free_any(void *data, int cache)
{
	if (cache < 3)
		slab_free(shared_caches[cache], data);
	else
		kfree(data);
}

static void *cpu_thread(void *arg)
{
	static const uint32_t sizes[4] = { 32, 192, 1024, 80 };
	enum { MINE = 1000 };
	struct { uint8_t *data; int cache; } mine[MINE] = { { 0 } };
	uint64_t state = 77 + (uintptr_t)arg;
	long bad = 0;

	host_cpu_index = (unsigned)(uintptr_t)arg;	/* this thread is that CPU */
	for (unsigned step = 0; step < THREAD_STEPS; step++) {
		unsigned slot = rng_next(&state) % MINE;
		uint8_t tag = (uint8_t)(host_cpu_index * 16 + 1);

		if (mine[slot].data) {
			bad += !pattern_ok(mine[slot].data, sizes[mine[slot].cache], tag);
			if (rng_next(&state) % 4 == 0) {
				unsigned e = rng_next(&state) % EXCHANGE;
				void *old;
				int old_cache;

				/* swap with the exchange: free what another CPU left */
				pthread_mutex_lock(&exchange_lock);
				old = exchange[e].data;
				old_cache = exchange[e].cache;
				exchange[e].data = mine[slot].data;
				exchange[e].cache = mine[slot].cache;
				pthread_mutex_unlock(&exchange_lock);
				if (old)
					free_any(old, old_cache);
			} else {
				free_any(mine[slot].data, mine[slot].cache);
			}
			mine[slot].data = NULL;
		} else {
			int cache = (int)(rng_next(&state) % 4);

			mine[slot].data = cache < 3 ? slab_alloc(shared_caches[cache])
						    : kmalloc(sizes[3]);
			mine[slot].cache = cache;
			if (mine[slot].data)
				fill_pattern(mine[slot].data, sizes[cache], tag);
			else
				bad++;
		}
	}
	for (unsigned i = 0; i < MINE; i++)
		if (mine[i].data)
			free_any(mine[i].data, mine[i].cache);
	slab_cpu_flush();		/* as a CPU going offline would */
	__atomic_add_fetch(&thread_bad_content, bad, __ATOMIC_RELAXED);
	return NULL;
}

HTEST(several_cpus_with_threads)
{
	pthread_t threads[THREADS];
	struct slab_cache_stats stats;
	long before;

	setup();
	before = settled_pages();
	shared_caches[0] = slab_cache_create("mt-32", 32, 0, NULL, NULL);
	shared_caches[1] = slab_cache_create("mt-192", 192, 64, NULL, NULL);
	shared_caches[2] = slab_cache_create("mt-1024", 1024, 0, NULL, NULL);
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&threads[i], NULL, cpu_thread, (void *)(i + 1));
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	for (unsigned e = 0; e < EXCHANGE; e++)
		if (exchange[e].data)
			free_any(exchange[e].data, exchange[e].cache);
	HCHECK_EQ(thread_bad_content, 0);
	slab_cache_get_stats(shared_caches[0], &stats);
	HCHECK(stats.allocations > THREADS * 10000);
	HCHECK_EQ(stats.objects_active, 0);
	for (unsigned c = 0; c < 3; c++)
		slab_cache_destroy(shared_caches[c]);
	HCHECK_EQ(settled_pages(), before);
}

/* ---- reporting ----------------------------------------------------------- */

/* slab_dump prints its header and, for a cache of known content, the line
 * of the figures slab_cache_get_stats gives: three objects in use. */
HTEST(dump)
{
	static char printed[1 << 16];
	char expected[512];
	struct slab_cache *cache;
	struct slab_cache_stats s;
	void *objects[3];
	size_t length;

	setup();
	cache = slab_cache_create("dump-check", 48, 0, NULL, NULL);
	HCHECK(cache != NULL);
	for (unsigned i = 0; i < 3; i++)
		HCHECK((objects[i] = slab_alloc(cache)) != NULL);
	slab_cache_get_stats(cache, &s);
	host_printk_capture_start(printed, sizeof(printed));
	slab_dump();
	length = host_printk_capture_stop();
	HCHECK(length > 0 && length < sizeof(printed));
	HCHECK(strncmp(printed, "slabinfo: name active total size ", 33) == 0);
	snprintf(expected, sizeof(expected),
		 "slabinfo: dump-check %llu %llu %zu %zu %u %u %llu %llu %llu %llu "
		 "%llu %llu %llu %llu %llu %d\n",
		 (unsigned long long)s.objects_active,
		 (unsigned long long)s.objects_total, s.object_size, s.stride,
		 s.objects_per_slab, s.pages_per_slab,
		 (unsigned long long)s.slabs, (unsigned long long)s.slabs_full,
		 (unsigned long long)s.slabs_partial,
		 (unsigned long long)s.slabs_empty, (unsigned long long)s.pages,
		 (unsigned long long)s.objects_in_magazines,
		 (unsigned long long)s.allocations, (unsigned long long)s.frees,
		 (unsigned long long)s.findings, s.debug ? 1 : 0);
	HCHECK(strstr(printed, expected) != NULL);
	HCHECK_EQ(s.objects_active, 3);
	HCHECK_EQ(s.object_size, 48);
	for (unsigned i = 0; i < 3; i++)
		slab_free(cache, objects[i]);
	slab_cache_destroy(cache);
}

HTEST(default_report_panics)
{
	int status = 0;
	pid_t child;

	setup();
	child = fork();
	if (child == 0) {
		char on_stack[8];

		slab_set_report_hook(NULL);
		if (!freopen("/dev/null", "w", stderr))
			_exit(2);
		kfree(on_stack);
		_exit(0);
	}
	waitpid(child, &status, 0);
	HCHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}
