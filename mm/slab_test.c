/*
 * ktest suite "slab": the slab and kmalloc over the kernel's page provider
 * (buddy + direct map). Leak checks compare free frames after slab_reap()
 * with the figure taken the same way before. (The kmalloc benchmark is in
 * mm/slab_bench.c, linked into every build.)
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "mm/mm.h"
#include "mm/pmm.h"
#include "mm/slab.h"

static uint64_t slab_test_free_frames(void)
{
	struct pmm_stats stats;

	slab_reap();
	pmm_get_stats(&pmm_kernel, &stats);
	return stats.free_frames;
}

/* --- constructed state ------------------------------------------------ */

#define SLAB_TEST_MAGIC 0x636f6e73747275ull

struct slab_test_object {
	uint64_t magic;
	uint64_t uses;
	uint8_t payload[40];
};

static unsigned slab_test_ctors, slab_test_dtors;

static void slab_test_ctor(void *object)
{
	struct slab_test_object *o = object;

	o->magic = SLAB_TEST_MAGIC;
	o->uses = 0;
	slab_test_ctors++;
}

static void slab_test_dtor(void *object)
{
	struct slab_test_object *o = object;

	if (o->magic == SLAB_TEST_MAGIC)
		slab_test_dtors++;
}

KTEST(slab, ctor_once_per_object_life)
{
	enum { COUNT = 300 };
	static struct slab_test_object *objects[COUNT];
	struct slab_cache_stats stats;
	uint64_t start = slab_test_free_frames();

	slab_test_ctors = slab_test_dtors = 0;
	struct slab_cache *cache = slab_cache_create("ktest-ctor", sizeof(struct slab_test_object),
						     0, slab_test_ctor, slab_test_dtor);
	KTEST_ASSERT(t, cache);
	for (unsigned round = 0; round < 3; round++) {
		for (unsigned i = 0; i < COUNT; i++) {
			objects[i] = slab_alloc(cache);
			KTEST_ASSERT(t, objects[i]);
			KTEST_EXPECT_EQ(t, objects[i]->magic, SLAB_TEST_MAGIC);
			/* Constructed state survives a free: uses counts rounds. */
			KTEST_EXPECT_EQ(t, objects[i]->uses <= round, 1);
			objects[i]->uses++;
		}
		for (unsigned i = 0; i < COUNT; i++)
			slab_free(cache, objects[i]);
	}
	slab_cache_get_stats(cache, &stats);
	/* One ctor per object of every slab made, none for reuse. */
	KTEST_EXPECT_EQ(t, slab_test_ctors, stats.objects_total);
	KTEST_EXPECT(t, stats.objects_total >= COUNT);
	slab_cache_destroy(cache);
	KTEST_EXPECT_EQ(t, slab_test_dtors, slab_test_ctors);
	KTEST_EXPECT_EQ(t, slab_test_free_frames(), start);
}

/* --- alignment and colouring ------------------------------------------ */

static void slab_test_alignment(struct ktest *t, size_t size, size_t align,
				bool expect_colours)
{
	enum { COUNT = 200 };
	static void *objects[COUNT];
	static uintptr_t colours[COUNT];
	struct slab_cache_stats stats;
	unsigned distinct = 0;

	struct slab_cache *cache = slab_cache_create("ktest-align", size, align, NULL, NULL);
	KTEST_ASSERT(t, cache);
	slab_cache_get_stats(cache, &stats);
	uintptr_t slab_bytes = (uintptr_t)stats.pages_per_slab * 4096;
	for (unsigned i = 0; i < COUNT; i++) {
		objects[i] = slab_alloc(cache);
		KTEST_ASSERT(t, objects[i]);
		KTEST_EXPECT_EQ(t, (uintptr_t)objects[i] % align, 0);
		memset(objects[i], 0xa5, size);
	}
	/* Slabs are naturally aligned buddy blocks: the lowest object offset
	 * in each is its colour (plus the header). */
	for (unsigned i = 0; i < COUNT; i++) {
		uintptr_t base = (uintptr_t)objects[i] & ~(slab_bytes - 1);
		uintptr_t lowest = (uintptr_t)objects[i] - base;
		for (unsigned j = 0; j < COUNT; j++)
			if (((uintptr_t)objects[j] & ~(slab_bytes - 1)) == base &&
			    (uintptr_t)objects[j] - base < lowest)
				lowest = (uintptr_t)objects[j] - base;
		bool seen = false;
		for (unsigned k = 0; k < distinct; k++)
			seen |= colours[k] == lowest;
		if (!seen)
			colours[distinct++] = lowest;
	}
	slab_cache_get_stats(cache, &stats);
	ktest_log(t, "size %zu align %zu: %llu slabs, %u colour offsets",
		  size, align, (unsigned long long)stats.slabs, distinct);
	/* Only caches with slack for several colours can show them. */
	if (expect_colours)
		KTEST_EXPECT(t, stats.slabs > 2 && distinct >= 2);
	for (unsigned i = 0; i < COUNT; i++)
		slab_free(cache, objects[i]);
	slab_cache_destroy(cache);
}

KTEST(slab, alignment_and_colouring)
{
	uint64_t start = slab_test_free_frames();

	slab_test_alignment(t, 24, 8, false);
	slab_test_alignment(t, 200, 64, true);	/* 20 a page, 96 bytes left */
	slab_test_alignment(t, 700, 256, false);
	slab_test_alignment(t, 1000, 1024, false);
	slab_test_alignment(t, 4096, 4096, false);
	for (size_t size = 1; size <= KMALLOC_MAX_SIZE; size = size * 3 + 1) {
		void *p = kmalloc(size);
		KTEST_ASSERT(t, p);
		KTEST_EXPECT_EQ(t, (uintptr_t)p % (size <= 8 ? 8 : 16), 0);
		KTEST_EXPECT(t, kmalloc_usable_size(p) >= size);
		kfree(p);
	}
	KTEST_EXPECT(t, kmalloc(0) == NULL);
	KTEST_EXPECT(t, kmalloc(KMALLOC_MAX_SIZE + 1) == NULL);
	KTEST_EXPECT_EQ(t, slab_test_free_frames(), start);
}

/* --- random stress ----------------------------------------------------- */

#define SLAB_STRESS_SLOTS 2048u
#define SLAB_STRESS_OPS   1000000u
#define SLAB_STRESS_CACHES 4u

struct slab_stress_slot {
	uint8_t *object;
	uint32_t size;
	uint8_t cache;		/* 0: kmalloc, else cache index + 1 */
	uint8_t seed;
};

static struct slab_stress_slot slab_stress_slots[SLAB_STRESS_SLOTS];
static const uint32_t slab_stress_cache_sizes[SLAB_STRESS_CACHES] = { 40, 136, 520, 3000 };

static uint64_t slab_stress_random(uint64_t *state)
{
	/* xorshift64*: cheap and good enough to pick sizes and slots. */
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dull;
}

/* Pattern: the first and the last 32 bytes (all of a small object); the
 * tail starts after the head so the two never overlap. */
static uint32_t slab_stress_tail(const struct slab_stress_slot *s)
{
	return s->size > 64 ? s->size - 32 : (s->size < 32 ? s->size : 32);
}

static void slab_stress_fill(struct slab_stress_slot *s)
{
	uint32_t head = s->size < 32 ? s->size : 32;

	for (uint32_t i = 0; i < head; i++)
		s->object[i] = (uint8_t)(s->seed + i);
	for (uint32_t i = slab_stress_tail(s); i < s->size; i++)
		s->object[i] = (uint8_t)(s->seed ^ i);
}

static bool slab_stress_intact(const struct slab_stress_slot *s)
{
	uint32_t head = s->size < 32 ? s->size : 32;

	for (uint32_t i = 0; i < head; i++)
		if (s->object[i] != (uint8_t)(s->seed + i))
			return false;
	for (uint32_t i = slab_stress_tail(s); i < s->size; i++)
		if (s->object[i] != (uint8_t)(s->seed ^ i))
			return false;
	return true;
}

/* Checks the slot's object and gives it back where it came from; false
 * when its content was damaged. */
static bool slab_stress_release(struct slab_stress_slot *s,
				struct slab_cache *const *caches)
{
	bool intact = slab_stress_intact(s);

	if (s->cache)
		slab_free(caches[s->cache - 1], s->object);
	else
		kfree(s->object);
	s->object = NULL;
	return intact;
}

static uint32_t slab_stress_size(uint64_t random)
{
	/* Log-uniform over 1..8192, sometimes a large block (up to 64 KiB). */
	unsigned shift = (unsigned)(random % 14);
	if ((random >> 8) % 512 == 0)
		shift = 16;
	uint32_t limit = 1u << shift;
	return 1 + (uint32_t)((random >> 16) % limit);
}

KTEST_SLOW(slab, random_stress_no_leak, 60000)
{
	struct slab_cache *caches[SLAB_STRESS_CACHES];
	uint64_t state = 0x9e3779b97f4a7c15ull, bad = 0, failed = 0;
	uint64_t start = slab_test_free_frames();
	uint64_t cycles = time_cycles();

	for (unsigned c = 0; c < SLAB_STRESS_CACHES; c++) {
		caches[c] = slab_cache_create("ktest-stress", slab_stress_cache_sizes[c],
					      c == 2 ? 64 : 0, NULL, NULL);
		KTEST_ASSERT(t, caches[c]);
	}
	for (unsigned op = 0; op < SLAB_STRESS_OPS; op++) {
		uint64_t random = slab_stress_random(&state);
		struct slab_stress_slot *s = &slab_stress_slots[random % SLAB_STRESS_SLOTS];
		random >>= 11;
		if (s->object) {
			bad += !slab_stress_release(s, caches);
			continue;
		}
		s->cache = (uint8_t)(random % 3 == 0 ? 1 + (random >> 2) % SLAB_STRESS_CACHES : 0);
		s->size = s->cache ? slab_stress_cache_sizes[s->cache - 1]
				   : slab_stress_size(random >> 5);
		s->seed = (uint8_t)op;
		s->object = s->cache ? slab_alloc(caches[s->cache - 1]) : kmalloc(s->size);
		if (!s->object) {
			failed++;
			continue;
		}
		slab_stress_fill(s);
	}
	for (unsigned i = 0; i < SLAB_STRESS_SLOTS; i++) {
		struct slab_stress_slot *s = &slab_stress_slots[i];
		if (s->object)
			bad += !slab_stress_release(s, caches);
	}
	for (unsigned c = 0; c < SLAB_STRESS_CACHES; c++)
		slab_cache_destroy(caches[c]);
	ktest_log(t, "%u operations, %llu Mcycles", SLAB_STRESS_OPS,
		  (unsigned long long)((time_cycles() - cycles) / 1000000));
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_EQ(t, failed, 0);
	KTEST_EXPECT_EQ(t, slab_test_free_frames(), start);
}

/* --- debug mode -------------------------------------------------------- */

static unsigned slab_test_findings[SLAB_CACHE_BUSY + 1];

static void slab_test_record(const struct slab_report *report)
{
	if (report->finding <= SLAB_CACHE_BUSY)
		slab_test_findings[report->finding]++;
}

KTEST(slab, debug_catches_double_free_and_overflow)
{
	memset(slab_test_findings, 0, sizeof(slab_test_findings));
	slab_report_hook_t previous = slab_set_report_hook(slab_test_record);
	slab_debug_enable(true);

	char *p = kmalloc(24);
	KTEST_ASSERT(t, p);
	kfree(p);
	kfree(p);
	KTEST_EXPECT_EQ(t, slab_test_findings[SLAB_DOUBLE_FREE], 1);

	/* The red zone is in slabs made while debug mode is on: a cache of
	 * the case's own has no older slab (kmalloc's classes may keep a
	 * partial one from before, whose objects get no red zone). */
	struct slab_cache *cache = slab_cache_create("ktest-redzone", 40, 0,
						     NULL, NULL);
	KTEST_ASSERT(t, cache);
	char *q = slab_alloc(cache);
	KTEST_ASSERT(t, q);
	q[40] = 'x';		/* one byte past the object's size */
	slab_free(cache, q);
	KTEST_EXPECT_EQ(t, slab_test_findings[SLAB_WRITE_PAST_END], 1);
	slab_cache_destroy(cache);

	int on_stack;
	kfree(&on_stack);	/* never followed: not in the direct map */
	KTEST_EXPECT_EQ(t, slab_test_findings[SLAB_FOREIGN_POINTER], 1);

	slab_debug_enable(false);
	slab_set_report_hook(previous);
}
