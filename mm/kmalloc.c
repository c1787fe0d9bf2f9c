/*
 * kmalloc: general-purpose allocation on top of the slab. Sizes up to
 * KMALLOC_SLAB_MAX go to one of 19 size-class caches (steps of at most a
 * half, so at most a third of a block is lost to rounding); larger sizes
 * take a block of pages straight from the page provider.
 *
 * kfree first looks the pointer's page up in the page map below, kmalloc's
 * own record of the pages of its classes' slabs: a hit names the class, and
 * the object goes to that cache's magazine without anything at the pointer
 * being read. A miss (a large block, an object of another cache, a page
 * whose map entry another page took, or a foreign pointer) asks the
 * provider for the owner: a slab (the object goes back to that slab's
 * cache) or one of the tags below, which mark the pages of a large block.
 * Anything else is reported as a foreign pointer and left alone.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "mm/slab.h"
#include "mm/slab_internal.h"

static const uint16_t kmalloc_class_sizes[] = {
	8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768,
	1024, 1536, 2048, 3072, 4096, 6144, 8192,
};
#define KMALLOC_CLASSES (sizeof(kmalloc_class_sizes) / sizeof(kmalloc_class_sizes[0]))

/* The class caches live here (not in slab_cache_cache), so that a class
 * index leads to its cache without a load. Set up by kmalloc_init. */
static struct slab_cache kmalloc_caches[KMALLOC_CLASSES];
/* The class of a size, indexed by (size + 7) / 8. Written once by
 * kmalloc_init, read-only afterwards. */
static uint8_t kmalloc_class_of[KMALLOC_SLAB_MAX / 8 + 1];

/*
 * The page map: a direct-mapped table of the pages of kmalloc slabs. The
 * entry of a page is at index (address / 4 KiB) mod entries and holds
 * page address + class + 1 while the page belongs to a slab of that class,
 * so a hit proves what the page is: no foreign pointer is ever followed on
 * the strength of it. Two slab pages with the same index share the entry,
 * the later one wins and the other one's frees take the provider's way
 * (slower, same result). Entries are written when a slab is made and
 * cleared (if still theirs) before its pages go back to the provider;
 * objects are handed out only after their slab is made, under a lock, so
 * a hit never sees an entry older than the object it is asked about.
 * 2^KMALLOC_MAP_ORDER pages from the provider at kmalloc_init (512 KiB:
 * 64 Ki entries, 256 MiB of slab pages without a shared entry), fewer if
 * it is short; a single static entry if it has nothing.
 */
#define KMALLOC_MAP_ORDER	7u
static uintptr_t kmalloc_map_single;
static uintptr_t *kmalloc_map = &kmalloc_map_single;
static uintptr_t kmalloc_map_mask;	/* entries - 1 */

static inline uintptr_t *kmalloc_map_entry(uintptr_t address)
{
	return &kmalloc_map[(address / SLAB_PAGE_SIZE) & kmalloc_map_mask];
}

/* The class cache whose slab holds the page of object, or NULL (not known
 * to the map: ask the provider). */
static inline struct slab_cache *kmalloc_map_lookup(const void *object)
{
	uintptr_t address = (uintptr_t)object;
	uintptr_t entry = __atomic_load_n(kmalloc_map_entry(address), __ATOMIC_RELAXED);
	/* entry - page - 1 is the class on a hit; on a miss it is at least
	 * 4096 - 1 - KMALLOC_CLASSES away from it, or wraps. */
	uintptr_t class = entry - (address & ~(uintptr_t)(SLAB_PAGE_SIZE - 1)) - 1;

	return class < KMALLOC_CLASSES ? &kmalloc_caches[class] : NULL;
}

void kmalloc_page_map_add(const struct slab_cache *cache, const void *base,
			  unsigned order)
{
	uintptr_t page = (uintptr_t)base, end = page + ((uintptr_t)SLAB_PAGE_SIZE << order);

	for (; page < end; page += SLAB_PAGE_SIZE)
		__atomic_store_n(kmalloc_map_entry(page), page + cache->page_map_tag,
				 __ATOMIC_RELAXED);
}

void kmalloc_page_map_remove(const struct slab_cache *cache, const void *base,
			     unsigned order)
{
	uintptr_t page = (uintptr_t)base, end = page + ((uintptr_t)SLAB_PAGE_SIZE << order);

	for (; page < end; page += SLAB_PAGE_SIZE) {
		uintptr_t mine = page + cache->page_map_tag;

		/* Only if no later slab page took the entry meanwhile. */
		__atomic_compare_exchange_n(kmalloc_map_entry(page), &mine, 0, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
}

static void kmalloc_map_init(void)
{
	for (unsigned order = KMALLOC_MAP_ORDER + 1; order-- > 0;) {
		uintptr_t *map = slab_provider.alloc_pages(slab_provider.context, order);
		size_t entries = ((size_t)SLAB_PAGE_SIZE << order) / sizeof(*map);

		if (!map)
			continue;
		for (size_t i = 0; i < entries; i++)
			map[i] = 0;
		kmalloc_map = map;
		kmalloc_map_mask = entries - 1;
		return;
	}
}

/*
 * Owner tags of large blocks: the first page of a block of order k points
 * at kmalloc_large_tags[k], its other pages at the last entry, so a pointer
 * into the middle of a block is told from the block's start.
 */
#define KMALLOC_TAIL_TAG (KMALLOC_MAX_ORDER + 1)
static char kmalloc_large_tags[KMALLOC_MAX_ORDER + 2];

static size_t kmalloc_align_for(size_t size)
{
	if (size >= 64 && (size & (size - 1)) == 0)
		return 64;
	return size >= 16 ? 16 : 8;
}

void kmalloc_init(void)
{
	unsigned class = 0;

	/* Before the caches: their first slab goes into the map. */
	kmalloc_map_init();
	for (unsigned i = 0; i < KMALLOC_CLASSES; i++) {
		char name[SLAB_NAME_MAX];

		ksnprintf(name, sizeof(name), "kmalloc-%u", kmalloc_class_sizes[i]);
		KASSERT(slab_cache_create_static(&kmalloc_caches[i], name,
						 kmalloc_class_sizes[i],
						 kmalloc_align_for(kmalloc_class_sizes[i]),
						 i + 1));
	}
	for (unsigned slot = 0; slot <= KMALLOC_SLAB_MAX / 8; slot++) {
		while (kmalloc_class_sizes[class] < slot * 8)
			class++;
		kmalloc_class_of[slot] = (uint8_t)class;
	}
}

/* The large-block order of an owner tag, or -1 when it is not one. */
static int kmalloc_large_order(const void *owner)
{
	uintptr_t offset = (uintptr_t)owner - (uintptr_t)kmalloc_large_tags;

	return offset < sizeof(kmalloc_large_tags) ? (int)offset : -1;
}

static __attribute__((noinline)) void *kmalloc_large(size_t size)
{
	unsigned order = 0;
	void *block;

	if (size == 0 || size > KMALLOC_MAX_SIZE)
		return NULL;
	while ((4096ul << order) < size)
		order++;
	block = slab_provider.alloc_pages(slab_provider.context, order);
	if (!block) {
		slab_reap();
		block = slab_provider.alloc_pages(slab_provider.context, order);
		if (!block)
			return NULL;
	}
	slab_provider.set_owner(slab_provider.context, block, order,
				&kmalloc_large_tags[KMALLOC_TAIL_TAG]);
	slab_provider.set_owner(slab_provider.context, block, 0,
				&kmalloc_large_tags[order]);
	return block;
}

void *kmalloc(size_t size)
{
	/* size - 1 wraps for 0, which thus goes the large way (NULL). */
	if (__builtin_expect(size - 1 < KMALLOC_SLAB_MAX, 1))
		return slab_fast_alloc(&kmalloc_caches[kmalloc_class_of[(size + 7) >> 3]],
				       size, __builtin_return_address(0));
	return kmalloc_large(size);
}

static void kfree_large(void *object, int order, const void *caller)
{
	if (order == KMALLOC_TAIL_TAG || ((uintptr_t)object & (SLAB_PAGE_SIZE - 1))) {
		slab_report(SLAB_FOREIGN_POINTER, NULL, object, caller, NULL, 0);
		return;
	}
	slab_provider.set_owner(slab_provider.context, object, (unsigned)order, NULL);
	slab_provider.free_pages(slab_provider.context, object, (unsigned)order);
}

/* Not in the page map: ask the provider who owns the page. */
static __attribute__((noinline)) void kfree_slow(void *object, const void *caller)
{
	void *owner;
	struct slab *slab;
	int order;

	if (!object)
		return;
	owner = slab_provider.owner_of(slab_provider.context, object);
	order = kmalloc_large_order(owner);
	slab = owner;
	if (order < 0 && slab != NULL && slab->magic == SLAB_MAGIC) {
		slab_fast_free(slab->cache, object, caller);
		return;
	}
	if (order >= 0)
		kfree_large(object, order, caller);
	else
		slab_report(SLAB_FOREIGN_POINTER, NULL, object, caller, NULL, 0);
}

void kfree(void *object)
{
	struct slab_cache *cache = kmalloc_map_lookup(object);

	if (__builtin_expect(cache != NULL, 1))
		slab_fast_free(cache, object, __builtin_return_address(0));
	else
		kfree_slow(object, __builtin_return_address(0));
}

size_t kmalloc_usable_size(const void *object)
{
	struct slab_cache *cache = kmalloc_map_lookup(object);
	void *owner;
	struct slab *slab;
	int order;

	if (cache)
		return cache->size;
	if (!object)
		return 0;
	owner = slab_provider.owner_of(slab_provider.context, object);
	order = kmalloc_large_order(owner);
	if (order >= 0)
		return order == KMALLOC_TAIL_TAG ? 0 : 4096ul << order;
	slab = owner;
	if (slab && slab->magic == SLAB_MAGIC)
		return slab->cache->size;
	return 0;
}
