/*
 * Slab caches: creating and destroying caches, cutting slabs (layout,
 * colouring), the full/partial/empty lists, the slab layer that moves
 * single objects in and out of slabs, reaping, statistics and the
 * slabinfo dump. The magazines in front of it are in slab_magazine.c, the
 * debug checks in slab_debug.c.
 *
 * A slab is 2^order pages from the provider: a header with the stack of
 * free object indices, then the objects, shifted by a colour offset that
 * differs from one slab to the next so that objects at the same index of
 * different slabs fall on different cache lines. Objects are constructed
 * when their slab is made and destroyed when it is released (Bonwick's
 * constructed-state caching): the slab layer never touches object bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "mm/slab.h"
#include "mm/slab_internal.h"

struct slab_page_provider slab_provider;
/* The caches of the allocator itself: cache descriptors and magazines. They
 * have no magazine layer (magazines would need magazines). */
static struct slab_cache slab_cache_cache;
struct slab_cache slab_magazine_cache;

/* Protects slab_caches (the list of every cache, linked by next_cache) and
 * slab_debug_default. Outermost slab lock. */
static struct spinlock slab_caches_lock = SPINLOCK_INIT("slab_caches");
static struct slab_cache *slab_caches;
static bool slab_debug_default;
static bool slab_ready;

static uint32_t slab_align_up(uint32_t value, uint32_t align)
{
	return (value + align - 1) & ~(align - 1);
}

/* The host C library may lack strlcpy, so names are copied by hand. */
static void slab_copy_name(char *to, const char *from)
{
	size_t n = strnlen(from, SLAB_NAME_MAX - 1);

	memcpy(to, from, n);
	to[n] = '\0';
}

/* ---- layout ---------------------------------------------------------- */

static uint32_t slab_header_bytes(uint32_t count)
{
	return (uint32_t)(sizeof(struct slab) + count * sizeof(uint16_t));
}

/* Objects of `count` in a slab of `bytes`, if they fit with the header. */
static uint32_t slab_fit(uint32_t bytes, uint32_t stride, uint32_t align)
{
	uint32_t count = (bytes - (uint32_t)sizeof(struct slab)) / (stride + 2);

	if (count > UINT16_MAX)
		count = UINT16_MAX;
	while (count > 0 &&
	       slab_align_up(slab_header_bytes(count), align) + count * stride > bytes)
		count--;
	return count;
}

/* The smallest slab order that wastes at most an eighth of the slab. */
static bool slab_layout_compute(struct slab_layout *layout, uint32_t stride,
				uint32_t align, uint32_t colour_step)
{
	for (unsigned order = 0; order <= SLAB_MAX_ORDER; order++) {
		uint32_t bytes = SLAB_PAGE_SIZE << order;
		uint32_t count = slab_fit(bytes, stride, align);
		uint32_t header, waste;

		if (count == 0)
			continue;
		header = slab_align_up(slab_header_bytes(count), align);
		waste = bytes - header - count * stride;
		if (waste * 8 > bytes && order < SLAB_MAX_ORDER)
			continue;
		layout->stride = stride;
		layout->header = header;
		layout->count = (uint16_t)count;
		layout->order = (uint8_t)order;
		layout->colours = (uint16_t)(waste / colour_step + 1);
		return true;
	}
	return false;
}

static unsigned slab_magazine_capacity_for(size_t size)
{
	if (size <= 1024)
		return SLAB_MAGAZINE_ROUNDS;
	if (size <= 4096)
		return 31;
	return 15;
}

bool slab_cache_setup(struct slab_cache *cache, const char *name, size_t size,
		      size_t align, void (*ctor)(void *), void (*dtor)(void *),
		      unsigned magazine_capacity)
{
	uint32_t stride;

	if (align < SLAB_MIN_ALIGN)
		align = SLAB_MIN_ALIGN;
	memset(cache, 0, sizeof(*cache));
	slab_copy_name(cache->name, name ? name : "?");
	cache->size = (uint32_t)size;
	cache->align = (uint32_t)align;
	cache->ctor = ctor;
	cache->dtor = dtor;
	cache->magazine_capacity = magazine_capacity;
	cache->colour_step = align > SLAB_CACHE_LINE ? (uint32_t)align : SLAB_CACHE_LINE;
	cache->trailer_offset = slab_debug_trailer_offset(cache->size);
	stride = slab_align_up(cache->size, cache->align);
	if (!slab_layout_compute(&cache->layout[0], stride, cache->align, cache->colour_step) ||
	    !slab_layout_compute(&cache->layout[1],
				 slab_debug_stride(cache->size, cache->align),
				 cache->align, cache->colour_step))
		return false;
	spin_init(&cache->lock, "slab_cache");
	spin_init(&cache->depot.lock, "slab_depot");
	return true;
}

void slab_cache_link(struct slab_cache *cache)
{
	unsigned long flags = spin_lock_irqsave(&slab_caches_lock);

	cache->next_cache = slab_caches;
	slab_caches = cache;
	spin_unlock_irqrestore(&slab_caches_lock, flags);
}

/* ---- lists (cache lock held) ----------------------------------------- */

static void slab_list_remove(struct slab_cache *cache, struct slab *slab)
{
	if (slab->prev)
		slab->prev->next = slab->next;
	else
		cache->lists[slab->list] = slab->next;
	if (slab->next)
		slab->next->prev = slab->prev;
	cache->list_count[slab->list]--;
}

static void slab_list_add(struct slab_cache *cache, struct slab *slab,
			  enum slab_list_kind kind)
{
	slab->list = (uint8_t)kind;
	slab->prev = NULL;
	slab->next = cache->lists[kind];
	if (slab->next)
		slab->next->prev = slab;
	cache->lists[kind] = slab;
	cache->list_count[kind]++;
}

/* Moves a slab to the list its use count calls for. */
static void slab_list_update(struct slab_cache *cache, struct slab *slab)
{
	enum slab_list_kind kind = slab->in_use == 0 ? SLAB_LIST_EMPTY :
				   slab->in_use == slab->count ? SLAB_LIST_FULL :
				   SLAB_LIST_PARTIAL;

	if (kind == slab->list)
		return;
	slab_list_remove(cache, slab);
	slab_list_add(cache, slab, kind);
}

/* ---- making and releasing slabs (no lock held) ----------------------- */

static void *slab_pages(unsigned order)
{
	void *base = slab_provider.alloc_pages(slab_provider.context, order);

	if (!base) {
		/* Memory is short: give back what the caches hold, then retry. */
		slab_reap();
		base = slab_provider.alloc_pages(slab_provider.context, order);
	}
	return base;
}

static struct slab *slab_create(struct slab_cache *cache, bool debug)
{
	const struct slab_layout *layout = &cache->layout[debug];
	char *base = slab_pages(layout->order);
	struct slab *slab = (struct slab *)base;
	uint32_t colour;

	if (!base)
		return NULL;
	colour = __atomic_fetch_add(&cache->colour_next, 1, __ATOMIC_RELAXED) %
		 layout->colours;
	slab->magic = SLAB_MAGIC;
	slab->cache = cache;
	slab->next = slab->prev = NULL;
	slab->objects = base + layout->header + colour * cache->colour_step;
	slab->stride = layout->stride;
	slab->count = layout->count;
	slab->in_use = 0;
	slab->free_top = layout->count;
	slab->order = layout->order;
	slab->debug = debug;
	slab->list = SLAB_LIST_EMPTY;
	/* Lowest index on top, so a fresh slab is used front to back. */
	for (uint32_t i = 0; i < slab->count; i++)
		slab->free_index[i] = (uint16_t)(slab->count - 1 - i);
	for (uint32_t i = 0; i < slab->count; i++) {
		void *object = slab->objects + i * slab->stride;

		if (debug)
			slab_debug_prepare(cache, slab, object);
		if (cache->ctor)
			cache->ctor(object);
	}
	slab_provider.set_owner(slab_provider.context, base, slab->order, slab);
	if (cache->page_map_tag)
		kmalloc_page_map_add(cache, base, slab->order);
	return slab;
}

static void slab_release(struct slab_cache *cache, struct slab *slab)
{
	if (cache->dtor) {
		for (uint32_t i = 0; i < slab->count; i++) {
			void *object = slab->objects + i * slab->stride;

			if (!slab->debug || slab_debug_constructed(cache, object))
				cache->dtor(object);
		}
	}
	if (cache->page_map_tag)
		kmalloc_page_map_remove(cache, slab, slab->order);
	slab_provider.set_owner(slab_provider.context, slab, slab->order, NULL);
	slab->magic = 0;
	slab_provider.free_pages(slab_provider.context, slab, slab->order);
}

/* Releases every empty slab of the cache; returns the pages given back. */
static size_t slab_release_empty(struct slab_cache *cache)
{
	unsigned long flags = spin_lock_irqsave(&cache->lock);
	struct slab *slab = cache->lists[SLAB_LIST_EMPTY];
	size_t pages = 0;

	cache->lists[SLAB_LIST_EMPTY] = NULL;
	cache->list_count[SLAB_LIST_EMPTY] = 0;
	for (struct slab *s = slab; s; s = s->next) {
		cache->pages -= 1u << s->order;
		cache->objects_total -= s->count;
		cache->slabs_released++;
		pages += 1u << s->order;
	}
	spin_unlock_irqrestore(&cache->lock, flags);
	while (slab) {
		struct slab *next = slab->next;

		slab_release(cache, slab);
		slab = next;
	}
	return pages;
}

/* ---- the slab layer -------------------------------------------------- */

void *slab_layer_alloc(struct slab_cache *cache, size_t requested,
		       const void *caller)
{
	bool checking = slab_debug_active(cache);
	unsigned long flags = spin_lock_irqsave(&cache->lock);
	struct slab *slab = cache->lists[SLAB_LIST_PARTIAL];
	bool construct = false;
	void *object;
	uint16_t index;

	if (!slab)
		slab = cache->lists[SLAB_LIST_EMPTY];
	if (!slab) {
		/* Grow without the lock: the provider and ctors may be slow. */
		spin_unlock_irqrestore(&cache->lock, flags);
		slab = slab_create(cache, checking);
		if (!slab)
			return NULL;
		flags = spin_lock_irqsave(&cache->lock);
		slab_list_add(cache, slab, SLAB_LIST_EMPTY);
		cache->pages += 1u << slab->order;
		cache->objects_total += slab->count;
		cache->slabs_created++;
	}
	index = slab->free_index[--slab->free_top];
	slab->in_use++;
	slab_list_update(cache, slab);
	cache->objects_out++;
	cache->slab_allocations++;
	object = slab->objects + (size_t)index * slab->stride;
	if (slab->debug)
		construct = slab_debug_on_alloc(cache, slab, object, requested,
						caller, checking);
	spin_unlock_irqrestore(&cache->lock, flags);
	if (construct)
		cache->ctor(object);
	return object;
}

/* The index of object in its slab, or -1 when it is not an object start. */
static long slab_object_index(const struct slab *slab, const void *object)
{
	uintptr_t offset = (uintptr_t)object - (uintptr_t)slab->objects;

	if ((uintptr_t)object < (uintptr_t)slab->objects || offset % slab->stride ||
	    offset / slab->stride >= slab->count)
		return -1;
	return (long)(offset / slab->stride);
}

static void slab_layer_free_locked(struct slab_cache *cache, void *object,
				   const void *caller, bool checking)
{
	struct slab *slab = slab_of(object);
	long index = slab && slab->cache == cache ? slab_object_index(slab, object) : -1;

	if (index < 0) {
		slab_report(SLAB_FOREIGN_POINTER, cache, object, caller, NULL, 0);
		return;
	}
	if (slab->debug) {
		if (!slab_debug_on_free(cache, slab, object, caller, checking))
			return;
	} else if (slab->free_top == slab->count ||
		   (checking && slab_debug_index_free(slab, (uint16_t)index))) {
		slab_report(SLAB_DOUBLE_FREE, cache, object, caller, NULL, 0);
		return;
	}
	slab->free_index[slab->free_top++] = (uint16_t)index;
	slab->in_use--;
	slab_list_update(cache, slab);
	cache->objects_out--;
}

void slab_layer_free(struct slab_cache *cache, void *object, const void *caller)
{
	slab_layer_free_many(cache, &object, 1, caller);
}

void slab_layer_free_many(struct slab_cache *cache, void **objects, unsigned n,
			  const void *caller)
{
	bool checking = slab_debug_active(cache);
	unsigned long flags = spin_lock_irqsave(&cache->lock);

	for (unsigned i = 0; i < n; i++)
		slab_layer_free_locked(cache, objects[i], caller, checking);
	spin_unlock_irqrestore(&cache->lock, flags);
}

/* ---- caches ---------------------------------------------------------- */

void slab_init(const struct slab_page_provider *provider)
{
	KASSERT(!slab_ready);
	slab_provider = *provider;
	KASSERT(slab_cache_setup(&slab_cache_cache, "slab_cache",
				 sizeof(struct slab_cache), SLAB_CACHE_LINE,
				 NULL, NULL, 0));
	KASSERT(slab_cache_setup(&slab_magazine_cache, "slab_magazine",
				 sizeof(struct slab_magazine), SLAB_CACHE_LINE,
				 NULL, NULL, 0));
	slab_cache_link(&slab_magazine_cache);
	slab_cache_link(&slab_cache_cache);
	slab_ready = true;
	kmalloc_init();
}

struct slab_cache *slab_cache_create(const char *name, size_t size, size_t align,
				     void (*ctor)(void *object),
				     void (*dtor)(void *object))
{
	const void *caller = __builtin_return_address(0);
	struct slab_cache *cache;

	if (!slab_ready || size == 0 || size > SLAB_OBJECT_MAX ||
	    (align & (align - 1)) != 0 || align > SLAB_ALIGN_MAX)
		return NULL;
	cache = slab_layer_alloc(&slab_cache_cache, sizeof(*cache), caller);
	if (!cache)
		return NULL;
	if (!slab_cache_setup(cache, name, size, align, ctor, dtor,
			      slab_magazine_capacity_for(size))) {
		slab_layer_free(&slab_cache_cache, cache, caller);
		return NULL;
	}
	cache->debug = __atomic_load_n(&slab_debug_default, __ATOMIC_RELAXED);
	slab_cache_link(cache);
	return cache;
}

bool slab_cache_create_static(struct slab_cache *cache, const char *name,
			      size_t size, size_t align, uint32_t page_map_tag)
{
	if (!slab_cache_setup(cache, name, size, align, NULL, NULL,
			      slab_magazine_capacity_for(size)))
		return false;
	cache->page_map_tag = page_map_tag;
	cache->debug = __atomic_load_n(&slab_debug_default, __ATOMIC_RELAXED);
	slab_cache_link(cache);
	return true;
}

static void slab_cache_unlink(struct slab_cache *cache)
{
	unsigned long flags = spin_lock_irqsave(&slab_caches_lock);

	for (struct slab_cache **link = &slab_caches; *link; link = &(*link)->next_cache) {
		if (*link == cache) {
			*link = cache->next_cache;
			break;
		}
	}
	spin_unlock_irqrestore(&slab_caches_lock, flags);
}

void slab_cache_destroy(struct slab_cache *cache)
{
	const void *caller = __builtin_return_address(0);
	unsigned long flags;
	uint64_t live;

	if (!cache)
		return;
	slab_magazine_flush_all_cpus(cache);
	slab_magazine_flush_depot(cache);
	flags = spin_lock_irqsave(&cache->lock);
	live = cache->objects_out;
	spin_unlock_irqrestore(&cache->lock, flags);
	if (live) {
		slab_report(SLAB_CACHE_BUSY, cache, NULL, caller, NULL, 0);
		return;
	}
	slab_cache_unlink(cache);
	slab_release_empty(cache);
	slab_layer_free(&slab_cache_cache, cache, caller);
}

void *slab_alloc(struct slab_cache *cache)
{
	return slab_fast_alloc(cache, cache->size, __builtin_return_address(0));
}

void slab_free(struct slab_cache *cache, void *object)
{
	if (object)
		slab_fast_free(cache, object, __builtin_return_address(0));
}

/* ---- reaping --------------------------------------------------------- */

size_t slab_cache_reap(struct slab_cache *cache)
{
	slab_magazine_flush_cpu(cache);
	slab_magazine_flush_depot(cache);
	return slab_release_empty(cache);
}

/* The magazine cache goes last: reaping the others frees magazines into it.
 * The caches lock is held throughout so no cache vanishes meanwhile. */
size_t slab_reap(void)
{
	unsigned long flags = spin_lock_irqsave(&slab_caches_lock);
	size_t pages = 0;

	for (struct slab_cache *cache = slab_caches; cache; cache = cache->next_cache)
		if (cache != &slab_magazine_cache)
			pages += slab_cache_reap(cache);
	pages += slab_cache_reap(&slab_magazine_cache);
	spin_unlock_irqrestore(&slab_caches_lock, flags);
	return pages;
}

void slab_cpu_flush(void)
{
	unsigned long flags = spin_lock_irqsave(&slab_caches_lock);

	for (struct slab_cache *cache = slab_caches; cache; cache = cache->next_cache)
		slab_magazine_flush_cpu(cache);
	spin_unlock_irqrestore(&slab_caches_lock, flags);
}

/* ---- debug switches -------------------------------------------------- */

/* Turning debug on empties this CPU's magazines and the depot, so that the
 * objects they held are checked from now on; other CPUs empty their own
 * at their next call on the cache. */
void slab_cache_set_debug(struct slab_cache *cache, bool on)
{
	__atomic_store_n(&cache->debug, on ? 1u : 0u, __ATOMIC_RELAXED);
	if (on) {
		slab_magazine_flush_cpu(cache);
		slab_magazine_flush_depot(cache);
	}
}

bool slab_debug_enabled(void)
{
	return __atomic_load_n(&slab_debug_default, __ATOMIC_RELAXED);
}

void slab_debug_enable(bool on)
{
	unsigned long flags = spin_lock_irqsave(&slab_caches_lock);

	slab_debug_default = on;
	for (struct slab_cache *cache = slab_caches; cache; cache = cache->next_cache)
		if (cache != &slab_magazine_cache && cache != &slab_cache_cache)
			slab_cache_set_debug(cache, on);
	spin_unlock_irqrestore(&slab_caches_lock, flags);
}

/* ---- figures --------------------------------------------------------- */

void slab_cache_get_stats(struct slab_cache *cache, struct slab_cache_stats *stats)
{
	unsigned long flags;

	memset(stats, 0, sizeof(*stats));
	stats->name = cache->name;
	stats->object_size = cache->size;
	stats->stride = cache->layout[0].stride;
	stats->objects_per_slab = cache->layout[0].count;
	stats->pages_per_slab = 1u << cache->layout[0].order;
	stats->debug = slab_debug_active(cache);
	stats->objects_in_magazines = slab_magazine_rounds(cache);
	for (unsigned cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++) {
		stats->allocations += cache->cpu[cpu].allocations;
		stats->frees += cache->cpu[cpu].frees;
	}
	stats->allocations += __atomic_load_n(&cache->bypass_allocations, __ATOMIC_RELAXED);
	stats->frees += __atomic_load_n(&cache->bypass_frees, __ATOMIC_RELAXED);
	flags = spin_lock_irqsave(&cache->lock);
	stats->slabs_full = cache->list_count[SLAB_LIST_FULL];
	stats->slabs_partial = cache->list_count[SLAB_LIST_PARTIAL];
	stats->slabs_empty = cache->list_count[SLAB_LIST_EMPTY];
	stats->slabs = stats->slabs_full + stats->slabs_partial + stats->slabs_empty;
	stats->pages = cache->pages;
	stats->objects_total = cache->objects_total;
	stats->slab_allocations = cache->slab_allocations;
	stats->slabs_created = cache->slabs_created;
	stats->slabs_released = cache->slabs_released;
	stats->objects_active = cache->objects_out > stats->objects_in_magazines ?
				cache->objects_out - stats->objects_in_magazines : 0;
	spin_unlock_irqrestore(&cache->lock, flags);
	stats->findings = __atomic_load_n(&cache->findings, __ATOMIC_RELAXED);
}

void slab_dump(void)
{
	unsigned long flags = spin_lock_irqsave(&slab_caches_lock);

	printk("slabinfo: name active total size stride per_slab pages_per_slab "
	       "slabs full partial empty pages in_magazines allocs frees findings debug\n");
	for (struct slab_cache *cache = slab_caches; cache; cache = cache->next_cache) {
		struct slab_cache_stats s;

		slab_cache_get_stats(cache, &s);
		printk("slabinfo: %s %llu %llu %zu %zu %u %u %llu %llu %llu %llu %llu "
		       "%llu %llu %llu %llu %d\n", s.name,
		       (unsigned long long)s.objects_active,
		       (unsigned long long)s.objects_total, s.object_size, s.stride,
		       s.objects_per_slab, s.pages_per_slab,
		       (unsigned long long)s.slabs, (unsigned long long)s.slabs_full,
		       (unsigned long long)s.slabs_partial,
		       (unsigned long long)s.slabs_empty, (unsigned long long)s.pages,
		       (unsigned long long)s.objects_in_magazines,
		       (unsigned long long)s.allocations, (unsigned long long)s.frees,
		       (unsigned long long)s.findings, s.debug ? 1 : 0);
	}
	spin_unlock_irqrestore(&slab_caches_lock, flags);
}
