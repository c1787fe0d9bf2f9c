/*
 * zstore frames: every frame the store holds comes through here from the
 * page provider and is counted against the frame limit (reserved before
 * the provider is asked, so concurrent puts never overshoot). Metadata
 * frames are also cut into 64-byte chunks for zspage descriptors, the
 * header frame's tail first; the chunk allocator's meta_lock is the
 * innermost lock of the store.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "mm/zstore_internal.h"

/* Reserves n frames against the limit; false when that would exceed it. */
bool zstore_reserve(struct zstore *z, uint64_t n)
{
	uint64_t held = __atomic_load_n(&z->frames_held, __ATOMIC_RELAXED);

	do {
		if (held + n > z->frame_limit)
			return false;
	} while (!__atomic_compare_exchange_n(&z->frames_held, &held, held + n,
					      true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

void zstore_unreserve(struct zstore *z, uint64_t n)
{
	__atomic_sub_fetch(&z->frames_held, n, __ATOMIC_RELAXED);
}

/* One frame from the provider, already reserved by the caller. */
void *zstore_frame_get(struct zstore *z, uint64_t *kind)
{
	void *frame = z->provider.alloc_page(z->provider.context);

	if (!frame)
		return NULL;
	KASSERT(((uintptr_t)frame & (ZSTORE_FRAME_SIZE - 1)) == 0);
	zstore_count(kind, 1);
	return frame;
}

void zstore_frame_put(struct zstore *z, void *frame, uint64_t *kind)
{
	z->provider.free_page(z->provider.context, frame);
	zstore_count(kind, -1);
	zstore_unreserve(z, 1);
}

/* Reserves and takes one metadata frame, zeroed; result code on failure. */
int zstore_metadata_frame(struct zstore *z, void **frame)
{
	if (!zstore_reserve(z, 1))
		return STORE_FULL;
	*frame = zstore_frame_get(z, &z->metadata_frames);
	if (!*frame) {
		zstore_unreserve(z, 1);
		return STORE_NO_MEMORY;
	}
	memset(*frame, 0, ZSTORE_FRAME_SIZE);
	return STORE_OK;
}

/* Puts the header frame's chunks past struct zstore on the free list, so
 * the first zspage descriptors take no frame of their own (a store of a few
 * dozen zspages has no chunk frame). At creation, before any other chunk. */
void zstore_chunks_seed(struct zstore *z)
{
	for (unsigned i = ZSTORE_CHUNKS_PER_FRAME; i-- > ZSTORE_HEADER_CHUNK_FIRST;) {
		void **free_chunk = (void **)((char *)z + i * ZSTORE_CHUNK_SIZE);

		*free_chunk = z->meta_free;
		z->meta_free = free_chunk;
	}
}

/* A zeroed 64-byte chunk for a zspage descriptor: from the free list, or
 * cut from a new metadata frame; result code on failure. */
int zstore_chunk_alloc(struct zstore *z, void **chunk)
{
	unsigned long flags = spin_lock_irqsave(&z->meta_lock);
	int result = STORE_OK;

	if (!z->meta_free) {
		struct zstore_meta_frame *meta;
		char *frame;

		result = zstore_metadata_frame(z, (void **)&frame);
		if (result != STORE_OK)
			goto out;
		meta = (struct zstore_meta_frame *)frame;
		meta->next = z->meta_frames;
		z->meta_frames = meta;
		/* chunk 0 is the frame's link; the rest become free chunks */
		for (unsigned i = ZSTORE_CHUNKS_PER_FRAME - 1; i >= 1; i--) {
			void **free_chunk = (void **)(frame + i * ZSTORE_CHUNK_SIZE);
			*free_chunk = z->meta_free;
			z->meta_free = free_chunk;
		}
	}
	*chunk = z->meta_free;
	z->meta_free = *(void **)*chunk;
	memset(*chunk, 0, ZSTORE_CHUNK_SIZE);
out:
	spin_unlock_irqrestore(&z->meta_lock, flags);
	return result;
}

void zstore_chunk_free(struct zstore *z, void *chunk)
{
	unsigned long flags = spin_lock_irqsave(&z->meta_lock);

	*(void **)chunk = z->meta_free;
	z->meta_free = chunk;
	spin_unlock_irqrestore(&z->meta_lock, flags);
}
