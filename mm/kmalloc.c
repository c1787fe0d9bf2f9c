/*
 * kmalloc: general-purpose allocation on top of the slab. Sizes up to
 * KMALLOC_SLAB_MAX go to one of 19 size-class caches (steps of at most a
 * half, so at most a third of a block is lost to rounding); larger sizes
 * take a block of pages straight from the page provider.
 *
 * kfree finds a pointer's owner through the provider: a slab (the object
 * goes back to that slab's cache) or one of the tags below, which mark
 * the pages of a large block. Anything else is reported as a foreign
 * pointer and left alone.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/slab.h"
#include "mm/slab_internal.h"

static const uint16_t kmalloc_class_sizes[] = {
	8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768,
	1024, 1536, 2048, 3072, 4096, 6144, 8192,
};
#define KMALLOC_CLASSES (sizeof(kmalloc_class_sizes) / sizeof(kmalloc_class_sizes[0]))

/* Written once by kmalloc_init, read-only afterwards. */
static struct slab_cache *kmalloc_caches[KMALLOC_CLASSES];
/* The class of a size, indexed by (size + 7) / 8. */
static uint8_t kmalloc_class_of[KMALLOC_SLAB_MAX / 8 + 1];

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

	for (unsigned i = 0; i < KMALLOC_CLASSES; i++) {
		char name[SLAB_NAME_MAX];

		ksnprintf(name, sizeof(name), "kmalloc-%u", kmalloc_class_sizes[i]);
		kmalloc_caches[i] = slab_cache_create(name, kmalloc_class_sizes[i],
						      kmalloc_align_for(kmalloc_class_sizes[i]),
						      NULL, NULL);
		KASSERT(kmalloc_caches[i] != NULL);
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

static void *kmalloc_large(size_t size)
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
		return slab_fast_alloc(kmalloc_caches[kmalloc_class_of[(size + 7) >> 3]],
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

void kfree(void *object)
{
	const void *caller = __builtin_return_address(0);
	void *owner;
	struct slab *slab;
	int order;

	if (!object)
		return;
	owner = slab_provider.owner_of(slab_provider.context, object);
	order = kmalloc_large_order(owner);
	slab = owner;
	if (__builtin_expect(order < 0 && slab != NULL && slab->magic == SLAB_MAGIC, 1)) {
		slab_fast_free(slab->cache, object, caller);
		return;
	}
	if (order >= 0)
		kfree_large(object, order, caller);
	else
		slab_report(SLAB_FOREIGN_POINTER, NULL, object, caller, NULL, 0);
}

size_t kmalloc_usable_size(const void *object)
{
	void *owner;
	struct slab *slab;
	int order;

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
