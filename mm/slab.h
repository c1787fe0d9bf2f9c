/*
 * The slab allocator: object caches in the manner of Bonwick's slab
 * (constructed-state caching, colouring, per-CPU magazines over a depot) and
 * kmalloc on top of a set of size-class caches. Contract and bad-input
 * behaviour: docs/memory.md.
 *
 * The slab gets memory only through the page provider handed to slab_init
 * (kernel: the buddy through the direct map; host tests: mmap). Objects are
 * mapped back to their slab through the provider's owner record (kfree
 * first tries kmalloc's own page map, which knows only live kmalloc slab
 * pages), so a pointer the slab never gave out is recognised without being
 * followed.
 *
 * Findings (double free, foreign pointer, write past the end, write after
 * free, destroying a cache in use) go to the report hook; the default hook
 * panics naming the finding, the cache and the caller. A hook that returns
 * (host tests) leaves the offending object alone: it is neither freed nor
 * handed out twice.
 */
#ifndef VEIL_MM_SLAB_H
#define VEIL_MM_SLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Where slabs come from. All ops may be called from several CPUs at once and
 * with interrupts off; none may call back into the slab.
 *   alloc_pages: 2^order contiguous pages (4 KiB each, page aligned, usable
 *                by the CPU at the returned address); NULL when none.
 *   free_pages:  gives back a block alloc_pages returned, same order.
 *   set_owner:   records owner for every page of the block at address
 *                (NULL clears it before the block is freed).
 *   owner_of:    what set_owner recorded for the page holding address, and
 *                NULL for any address not in a block the provider gave the
 *                slab (foreign pointers must give NULL, not garbage).
 */
struct slab_page_provider {
	void *(*alloc_pages)(void *context, unsigned order);
	void (*free_pages)(void *context, void *address, unsigned order);
	void (*set_owner)(void *context, void *address, unsigned order, void *owner);
	void *(*owner_of)(void *context, const void *address);
	void *context;
};

/* Limits. Objects up to SLAB_OBJECT_MAX bytes, alignment up to a page.
 * A slab is 2^0..2^SLAB_MAX_ORDER pages. */
#define SLAB_OBJECT_MAX		32768u
#define SLAB_ALIGN_MAX		4096u
#define SLAB_MAX_ORDER		5u
#define SLAB_NAME_MAX		32u
/* kmalloc: sizes 1..KMALLOC_SLAB_MAX come from size-class caches (8 .. 8 KiB),
 * larger ones up to KMALLOC_MAX_SIZE straight from the page provider. */
#define KMALLOC_SLAB_MAX	8192u
#define KMALLOC_MAX_ORDER	10u
#define KMALLOC_MAX_SIZE	(4096ul << KMALLOC_MAX_ORDER)

struct slab_cache;

/* What the debug checks found. */
enum slab_finding {
	SLAB_DOUBLE_FREE = 1,	/* the object is already free */
	SLAB_FOREIGN_POINTER,	/* not an object of this cache / not from kmalloc */
	SLAB_WRITE_PAST_END,	/* the red zone after the object was written */
	SLAB_WRITE_AFTER_FREE,	/* a free object's poison was overwritten */
	SLAB_CACHE_BUSY,	/* destroy of a cache that still has live objects */
};

struct slab_report {
	enum slab_finding finding;
	const char *cache;	/* the cache's name ("kmalloc" when unknown) */
	const void *object;	/* the pointer concerned */
	const void *caller;	/* who made the call that found it */
	const void *last_caller;	/* debug layout: last alloc/free of it, or NULL */
	size_t offset;		/* write past end / after free: first bad byte */
};

/* Replaces the report hook; NULL restores the default (panic). Returns the
 * previous hook (NULL for the default). */
typedef void (*slab_report_hook_t)(const struct slab_report *report);
slab_report_hook_t slab_set_report_hook(slab_report_hook_t hook);
const char *slab_finding_name(enum slab_finding finding);

/* Once, before any other call; provider is copied. Creates the kmalloc caches. */
void slab_init(const struct slab_page_provider *provider);

/*
 * A cache of objects of size bytes (1..SLAB_OBJECT_MAX), aligned to align
 * (0 or a power of two up to SLAB_ALIGN_MAX; at least 8 is used). ctor runs
 * once per object when its slab is created and dtor when the slab is
 * released, so a freed object keeps its constructed state for the next
 * allocation (debug mode excepted, see docs/memory.md). name is copied
 * (SLAB_NAME_MAX - 1 characters). NULL for bad arguments or no memory.
 */
struct slab_cache *slab_cache_create(const char *name, size_t size, size_t align,
				     void (*ctor)(void *object),
				     void (*dtor)(void *object));
/* Every object must have been freed, and no CPU may use the cache during the
 * call; live objects are reported as SLAB_CACHE_BUSY (then, if the hook
 * returns, the cache is left as it was). */
void slab_cache_destroy(struct slab_cache *cache);

/* NULL when the provider has no pages even after reaping. */
void *slab_alloc(struct slab_cache *cache);
/* object must come from slab_alloc(cache); NULL is ignored. */
void slab_free(struct slab_cache *cache, void *object);

/*
 * kmalloc(0) and sizes above KMALLOC_MAX_SIZE return NULL; kfree(NULL) does
 * nothing. Memory is 8-aligned for sizes up to 8, 16-aligned above, and
 * 64-aligned for power-of-two sizes of 64 bytes or more; blocks above
 * KMALLOC_SLAB_MAX are page aligned.
 */
void *kmalloc(size_t size);
void kfree(void *object);
/* The bytes usable at object (its size class); 0 for a foreign pointer. */
size_t kmalloc_usable_size(const void *object);

/*
 * Memory pressure: returns to the provider every empty slab of every cache,
 * after moving the depot's magazines and the calling CPU's own magazines back
 * into their slabs. Returns the pages released. (Other CPUs' loaded
 * magazines stay: slab_cpu_flush on each CPU releases those.)
 */
size_t slab_reap(void);
size_t slab_cache_reap(struct slab_cache *cache);
/* Empties the calling CPU's magazines of every cache into the slabs. */
void slab_cpu_flush(void);

/*
 * Debug mode: red zones, poisoning and the double-free / foreign-pointer /
 * overflow / use-after-free checks. slab_debug_enable switches every cache,
 * and is the default for caches created later; slab_cache_set_debug one
 * cache. Slabs created while debug is on get the debug layout (red zone and
 * a trailer per object); objects of older slabs get the double-free and
 * foreign checks only. Debug mode bypasses the magazines.
 */
void slab_debug_enable(bool on);
/* Whether debug mode is the default (the last slab_debug_enable). */
bool slab_debug_enabled(void);
void slab_cache_set_debug(struct slab_cache *cache, bool on);

/* Figures of one cache; magazine figures are read without stopping the
 * other CPUs, so they are a snapshot, exact when the cache is quiet. */
struct slab_cache_stats {
	const char *name;
	size_t object_size;		/* as created */
	size_t stride;			/* bytes per object in a normal slab */
	unsigned objects_per_slab;
	unsigned pages_per_slab;
	uint64_t slabs, slabs_full, slabs_partial, slabs_empty;
	uint64_t pages;			/* pages held by the cache's slabs */
	uint64_t objects_total;		/* capacity of all slabs */
	uint64_t objects_active;	/* handed out to callers */
	uint64_t objects_in_magazines;	/* free, cached in magazines */
	uint64_t allocations, frees;	/* all calls, magazine hits included */
	uint64_t slab_allocations;	/* allocations that reached the slab layer */
	uint64_t slabs_created, slabs_released;
	uint64_t findings;		/* debug findings reported for the cache */
	bool debug;
};
void slab_cache_get_stats(struct slab_cache *cache, struct slab_cache_stats *stats);
/* One slabinfo-style line per cache through printk. */
void slab_dump(void);

#endif
