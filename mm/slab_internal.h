/*
 * Inside the slab allocator: the structures its files share (slab_cache.c:
 * caches, slabs and their lists; slab_magazine.c: per-CPU magazines and the
 * depot; slab_debug.c: red zones, poison and findings; kmalloc.c) and the
 * magazine fast path, inline so that kmalloc and slab_alloc share it.
 *
 * Locks, outermost first: slab_caches_lock (the list of caches), a cache's
 * depot.lock, a cache's lock (its slabs), then whatever the provider takes.
 * A CPU's slab_cpu_cache is not locked: only that CPU touches it, either
 * claimed (the fast path: its `busy` flag set, no thread switch, interrupts
 * left on) or with interrupts off and unclaimed (the slow path); see
 * struct slab_cpu_cache.
 */
#ifndef VEIL_MM_SLAB_INTERNAL_H
#define VEIL_MM_SLAB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/failpoint.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/spinlock.h"
#include "mm/slab.h"

#define SLAB_PAGE_SIZE		4096u
#define SLAB_CACHE_LINE		64u
#define SLAB_MIN_ALIGN		8u
#define SLAB_MAGAZINE_ROUNDS	63u	/* a magazine is 512 bytes */
#define SLAB_MAGIC		0x51ab51ab5ab1e000ull

/* A stack of free, constructed objects. */
struct slab_magazine {
	struct slab_magazine *next;	/* in the depot's lists */
	void *rounds[SLAB_MAGAZINE_ROUNDS];
};

/*
 * One CPU's magazines of one cache (Bonwick's CPU layer): `loaded` is used
 * first, `previous` is kept so that alternating alloc/free at a magazine
 * boundary does not go to the depot every time. Rounds are counted here so
 * the fast path reads one line. Only the owning CPU touches it, which is
 * what makes it safe without an atomic, in one of two ways:
 *  - the fast path claims it (slab_cpu_claim: `busy` set, no thread switch)
 *    without masking interrupts, which would cost more than the rest of
 *    the fast path (pushfq and the popfq/sti back); an interrupt handler on
 *    this CPU that allocates meanwhile finds it claimed and goes around it
 *    (straight to the slab layer, counted in the cache's `bypass_*`);
 *  - the slow path masks interrupts and uses it only when it is not
 *    claimed (a handler that interrupted a fast path goes around it too).
 * slab_cache_destroy, whose caller guarantees the cache is quiet, is the
 * only other reader/writer; statistics readers read it racily.
 */
struct slab_cpu_cache {
	struct slab_magazine *loaded;
	uint32_t loaded_rounds;
	uint32_t loaded_capacity;	/* 0 while loaded is NULL */
	struct slab_magazine *previous;
	uint32_t previous_rounds;
	uint32_t busy;			/* claimed by the fast path on this CPU */
	uint64_t allocations, frees;	/* statistics, written by the owner only */
} __attribute__((aligned(SLAB_CACHE_LINE)));

/* Full and empty magazines shared by the CPUs. */
struct slab_depot {
	/* Protects the two lists and their counts. Taken with interrupts off. */
	struct spinlock lock;
	struct slab_magazine *full, *empty;
	uint64_t full_count, empty_count;
};

enum slab_list_kind { SLAB_LIST_FULL, SLAB_LIST_PARTIAL, SLAB_LIST_EMPTY, SLAB_LISTS };

/*
 * A slab: the header at the start of its pages, then (after the colour
 * offset) count objects of `stride` bytes. Free objects are a stack of
 * indices in the header, not links inside the objects, so that a free
 * object keeps its constructed state (and its poison in debug slabs).
 * Protected by its cache's lock, except magic/cache/objects/stride/count/
 * debug, which are fixed when the slab is made.
 */
struct slab {
	uint64_t magic;
	struct slab_cache *cache;
	struct slab *next, *prev;	/* in one of the cache's lists */
	char *objects;
	uint32_t stride;
	uint16_t count;
	uint16_t in_use;
	uint16_t free_top;		/* entries of free_index in use */
	uint8_t order;
	uint8_t debug;			/* debug layout: red zone and trailer */
	uint8_t list;			/* enum slab_list_kind */
	uint16_t free_index[];
};

/* How a cache's slabs are cut: one layout for normal, one for debug slabs. */
struct slab_layout {
	uint32_t stride;
	uint32_t header;		/* bytes before the first colour offset */
	uint16_t count;
	uint8_t order;
	uint16_t colours;		/* distinct colour offsets */
};

struct slab_cache {
	/* Read by the fast path. */
	uint32_t debug;			/* atomics: debug mode for this cache */
	uint32_t magazine_capacity;	/* 0: no magazine layer */
	uint32_t size;
	uint32_t align;
	struct slab_layout layout[2];	/* [0] normal, [1] debug */
	uint32_t colour_step;
	uint32_t colour_next;		/* atomics */
	uint32_t trailer_offset;	/* debug layout: red zone ends here */
	uint32_t page_map_tag;		/* kmalloc class + 1: slab pages go in
					 * kmalloc's page map; 0: they do not */
	void (*ctor)(void *object);
	void (*dtor)(void *object);
	char name[SLAB_NAME_MAX];

	/* Protects the lists, the slabs' mutable fields and the counters
	 * below it. Taken with interrupts off. */
	struct spinlock lock;
	struct slab *lists[SLAB_LISTS];
	uint64_t list_count[SLAB_LISTS];
	uint64_t pages, objects_total, objects_out;
	uint64_t slab_allocations, slabs_created, slabs_released;
	uint64_t findings;		/* atomics */
	/* Calls made from an interrupt handler while its CPU's magazines were
	 * claimed (they went straight to the slab layer). Atomics. */
	uint64_t bypass_allocations, bypass_frees;

	struct slab_depot depot;
	struct slab_cache *next_cache;	/* slab_caches_lock */

	struct slab_cpu_cache cpu[CONFIG_MAX_CPUS];
};

/* ---- shared state (slab_cache.c) ------------------------------------- */

extern struct slab_page_provider slab_provider;
extern struct slab_cache slab_magazine_cache;

/* The slab an object's page belongs to, or NULL (not from the slab). */
static inline struct slab *slab_of(const void *object)
{
	struct slab *slab = slab_provider.owner_of(slab_provider.context, object);

	if (slab && slab->magic == SLAB_MAGIC)
		return slab;
	return NULL;
}

static inline bool slab_debug_active(const struct slab_cache *cache)
{
	return __atomic_load_n(&cache->debug, __ATOMIC_RELAXED) != 0;
}

/* ---- slab layer (slab_cache.c): objects in and out of slabs ---------- */

void *slab_layer_alloc(struct slab_cache *cache, size_t requested,
		       const void *caller);
void slab_layer_free(struct slab_cache *cache, void *object, const void *caller);
/* n objects back under one lock (a magazine's rounds). */
void slab_layer_free_many(struct slab_cache *cache, void **objects, unsigned n,
			  const void *caller);
bool slab_cache_setup(struct slab_cache *cache, const char *name, size_t size,
		      size_t align, void (*ctor)(void *), void (*dtor)(void *),
		      unsigned magazine_capacity);
void slab_cache_link(struct slab_cache *cache);
/* A cache in storage of the caller's (kmalloc's classes): set up with the
 * magazines and debug default of slab_cache_create, then linked. */
bool slab_cache_create_static(struct slab_cache *cache, const char *name,
			      size_t size, size_t align, uint32_t page_map_tag);

/* ---- magazine layer (slab_magazine.c) -------------------------------- */

/* Out of line on purpose: the fast paths tail-call them. */
__attribute__((noinline)) void *slab_alloc_slow(struct slab_cache *cache,
						size_t requested, const void *caller);
__attribute__((noinline)) void slab_free_slow(struct slab_cache *cache, void *object,
					      const void *caller);
/* Empties the calling CPU's magazines of cache into the slabs. */
void slab_magazine_flush_cpu(struct slab_cache *cache);
/* Empties every CPU's magazines (the cache must be quiet). */
void slab_magazine_flush_all_cpus(struct slab_cache *cache);
/* Empties the depot into the slabs and frees its magazines. */
void slab_magazine_flush_depot(struct slab_cache *cache);
uint64_t slab_magazine_rounds(struct slab_cache *cache);

/* ---- debug (slab_debug.c) -------------------------------------------- */

/* Extra bytes per object in the debug layout, and where its trailer goes. */
uint32_t slab_debug_trailer_offset(uint32_t size);
uint32_t slab_debug_stride(uint32_t size, uint32_t align);
/* A new slab's object, before its ctor: red zone, trailer, poison. */
void slab_debug_prepare(struct slab_cache *cache, struct slab *slab, void *object);
/* Slab layer hooks, cache lock held; checking = debug mode is on. on_alloc
 * returns whether the ctor must run again (the object was poisoned);
 * on_free returns false when the free must not go ahead (a finding was
 * reported). */
bool slab_debug_on_alloc(struct slab_cache *cache, struct slab *slab, void *object,
			 size_t requested, const void *caller, bool checking);
bool slab_debug_on_free(struct slab_cache *cache, struct slab *slab, void *object,
			const void *caller, bool checking);
/* Whether index is on a (normal layout) slab's free stack: O(count). */
bool slab_debug_index_free(const struct slab *slab, uint16_t index);
/* Whether dtor should run for this free object when its slab is released. */
bool slab_debug_constructed(const struct slab_cache *cache, const void *object);
/* Hands a finding to the report hook (the default panics). */
void slab_report(enum slab_finding finding, struct slab_cache *cache,
		 const void *object, const void *caller, const void *last_caller,
		 size_t offset);

/* ---- kmalloc (kmalloc.c) --------------------------------------------- */

void kmalloc_init(void);
/* A slab of a kmalloc class was made / is about to be released: enter its
 * pages into kfree's page map, or take them out (slab_cache.c). */
void kmalloc_page_map_add(const struct slab_cache *cache, const void *base,
			  unsigned order);
void kmalloc_page_map_remove(const struct slab_cache *cache, const void *base,
			     unsigned order);

/* ---- the fast path --------------------------------------------------- */

#ifdef VEIL_HOST
/* Host builds: a thread-local count standing in for the kernel's (no
 * scheduler to honour it; it keeps bench-slab's fast path the kernel's). */
extern __thread unsigned host_preempt_count;
#define slab_preempt_count() (&host_preempt_count)
#else
/* The running CPU's preemption count (kernel/lib/cpu.h: > 0, no thread
 * switch on this CPU). A bare count: a reschedule asked for while it is
 * raised waits for the next preemption point, a few instructions later. */
#define slab_preempt_count() (&cpu_local()->preempt_count)
#endif

/*
 * Claims the running CPU's magazines of cache, or returns NULL when they
 * are claimed already (we interrupted a fast path on this CPU). Between
 * claim and release the thread stays on this CPU (preemption is off), and
 * interrupt handlers only check the flag; the signal fences keep the
 * compiler from moving magazine accesses outside the claim, and are all
 * that is needed: only this CPU reads the flag (the check and the set are
 * not one instruction, but a handler that runs between them is done
 * before we set it).
 */
static inline __attribute__((always_inline)) struct slab_cpu_cache *
slab_cpu_claim(struct slab_cache *cache)
{
	unsigned *preempt = slab_preempt_count();

	(*preempt)++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	struct slab_cpu_cache *cpu = &cache->cpu[cpu_current()];
	if (__builtin_expect(__atomic_load_n(&cpu->busy, __ATOMIC_RELAXED) != 0, 0)) {
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		(*preempt)--;
		return NULL;
	}
	__atomic_store_n(&cpu->busy, 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return cpu;
}

static inline __attribute__((always_inline)) void
slab_cpu_release(struct slab_cpu_cache *cpu)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&cpu->busy, 0, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	(*slab_preempt_count())--;
}

/*
 * A magazine hit: pop one round. Anything else (no round, debug mode, a
 * cache without magazines: its loaded_capacity stays 0, magazines claimed
 * by the code we interrupted) goes to the slow path, which is out of line
 * so that the hit needs no stack frame.
 */
static inline __attribute__((always_inline)) void *
slab_fast_alloc(struct slab_cache *cache, size_t requested, const void *caller)
{
	if (FAILPOINT(FAILPOINT_SLAB_ALLOC))
		return NULL;
	struct slab_cpu_cache *cpu = slab_cpu_claim(cache);

	if (__builtin_expect(cpu != NULL, 1)) {
		uint32_t rounds = cpu->loaded_rounds;

		if (__builtin_expect(rounds != 0 && !slab_debug_active(cache), 1)) {
			void *object = cpu->loaded->rounds[rounds - 1];

			cpu->loaded_rounds = rounds - 1;
			cpu->allocations++;
			slab_cpu_release(cpu);
			return object;
		}
		slab_cpu_release(cpu);
	}
	return slab_alloc_slow(cache, requested, caller);
}

/* Room in the loaded magazine: push one round. */
static inline __attribute__((always_inline)) void
slab_fast_free(struct slab_cache *cache, void *object, const void *caller)
{
	struct slab_cpu_cache *cpu = slab_cpu_claim(cache);

	if (__builtin_expect(cpu != NULL, 1)) {
		uint32_t rounds = cpu->loaded_rounds;

		if (__builtin_expect(rounds < cpu->loaded_capacity &&
				     !slab_debug_active(cache), 1)) {
			cpu->loaded->rounds[rounds] = object;
			cpu->loaded_rounds = rounds + 1;
			cpu->frees++;
			slab_cpu_release(cpu);
			return;
		}
		slab_cpu_release(cpu);
	}
	slab_free_slow(cache, object, caller);
}

#endif
