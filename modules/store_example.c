/*
 * An example page-store module: "page", one object per frame (two for an
 * object longer than a page, as a MAC-sealed raw page is). It keeps no
 * more than what was put in, and packs nothing: a store ratio of 1 at
 * best, the simplest design behind the store ops table (mm/store.h), and
 * one easy to tell apart from zstore and the log-structured store in a
 * test. Built by mk/module.mk; `modload store_example` registers the kind,
 * and `scheme REGION store page` then moves a region's sealed pages into a
 * new store of it (docs/live-swap.md, "Store swap" and "Modules").
 *
 * Everything, its table included, lives in frames of the provider the
 * kernel gives (store_kind_config). A store made for a store swap belongs
 * to one region, whose lock is held around every call but stats, so it
 * needs no lock of its own; its figures are kept with atomics for stats.
 * Frames are wiped before they go back: a freed copy leaves no bytes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/module/module_abi.h"
#include "mm/store.h"
#include "mm/store_kind.h"

#define PAGE_STORE_FRAME 4096u
#define PAGE_STORE_TABLE_FRAMES 16u

struct page_store_entry {
	void *frames[2];	/* the object's bytes; frames[1] past 4096 */
	uint16_t length;
	uint16_t pins;		/* views not unmapped yet */
	uint16_t generation;	/* bumped at every free */
	uint8_t live;
	uint8_t unused;
};

#define PAGE_STORE_PER_TABLE (PAGE_STORE_FRAME / sizeof(struct page_store_entry))
#define PAGE_STORE_SLOTS (PAGE_STORE_TABLE_FRAMES * PAGE_STORE_PER_TABLE)
#define PAGE_STORE_INDEX_BITS 12u

_Static_assert(PAGE_STORE_SLOTS < (1u << PAGE_STORE_INDEX_BITS),
	       "a slot index and one more fit the handle's index bits");

/* Lives in the first frame the provider gave. */
struct page_store {
	struct store base;
	struct store_page_provider provider;
	uint64_t frame_limit;
	struct page_store_entry *tables[PAGE_STORE_TABLE_FRAMES];
	uint64_t objects, bytes, data_frames, table_frames;	/* atomic */
	uint64_t puts, frees, refusals, bad_handles;		/* atomic */
};

_Static_assert(sizeof(struct page_store) <= PAGE_STORE_FRAME,
	       "the store's header fits its first frame");

static void page_store_add(uint64_t *figure, int64_t delta)
{
	__atomic_fetch_add(figure, (uint64_t)delta, __ATOMIC_RELAXED);
}

static uint64_t page_store_get(const uint64_t *figure)
{
	return __atomic_load_n(figure, __ATOMIC_RELAXED);
}

/* A frame from the provider within the limit, or NULL. */
static void *page_store_frame(struct page_store *ps)
{
	if (page_store_get(&ps->data_frames) + page_store_get(&ps->table_frames) + 1 >=
	    ps->frame_limit)
		return NULL;
	return ps->provider.alloc_page(ps->provider.context);
}

static void page_store_release(struct page_store *ps, void *frame)
{
	memset(frame, 0, PAGE_STORE_FRAME);
	ps->provider.free_page(ps->provider.context, frame);
}

/* The entry of slot index, its table made when make is set; or NULL. */
static struct page_store_entry *page_store_entry(struct page_store *ps,
						 uint32_t index, bool make)
{
	uint32_t table = index / PAGE_STORE_PER_TABLE;

	if (table >= PAGE_STORE_TABLE_FRAMES)
		return NULL;
	if (!ps->tables[table] && make) {
		ps->tables[table] = page_store_frame(ps);
		if (!ps->tables[table])
			return NULL;
		memset(ps->tables[table], 0, PAGE_STORE_FRAME);
		page_store_add(&ps->table_frames, 1);
	}
	return ps->tables[table] ? &ps->tables[table][index % PAGE_STORE_PER_TABLE] : NULL;
}

/* The live entry a handle names, or NULL (a bad handle, counted). */
static struct page_store_entry *page_store_lookup(struct page_store *ps,
						  store_handle_t handle)
{
	uint64_t index = handle & ((1u << PAGE_STORE_INDEX_BITS) - 1);
	uint64_t generation = handle >> PAGE_STORE_INDEX_BITS;
	struct page_store_entry *entry = NULL;

	if (index >= 1 && index <= PAGE_STORE_SLOTS && generation <= 0xffff)
		entry = page_store_entry(ps, (uint32_t)index - 1, false);
	if (!entry || !entry->live || entry->generation != generation) {
		page_store_add(&ps->bad_handles, 1);
		return NULL;
	}
	return entry;
}

static int page_store_put(struct store *store, const void *data, size_t length,
			  store_handle_t *handle)
{
	struct page_store *ps = (struct page_store *)store;
	unsigned frames = length > PAGE_STORE_FRAME ? 2 : 1;

	if (length == 0 || length > STORE_OBJECT_MAX)
		return STORE_BAD_LENGTH;
	for (uint32_t index = 0; index < PAGE_STORE_SLOTS; index++) {
		struct page_store_entry *entry = page_store_entry(ps, index, true);
		if (!entry)
			break;
		if (entry->live)
			continue;
		for (unsigned i = 0; i < frames; i++) {
			entry->frames[i] = page_store_frame(ps);
			if (!entry->frames[i]) {
				if (i)
					page_store_release(ps, entry->frames[0]);
				page_store_add(&ps->refusals, 1);
				return STORE_FULL;
			}
		}
		memcpy(entry->frames[0], data, frames == 2 ? PAGE_STORE_FRAME : length);
		if (frames == 2)
			memcpy(entry->frames[1], (const uint8_t *)data + PAGE_STORE_FRAME,
			       length - PAGE_STORE_FRAME);
		entry->length = (uint16_t)length;
		entry->pins = 0;
		entry->live = 1;
		*handle = (store_handle_t)(index + 1) |
			  (store_handle_t)entry->generation << PAGE_STORE_INDEX_BITS;
		page_store_add(&ps->objects, 1);
		page_store_add(&ps->bytes, (int64_t)length);
		page_store_add(&ps->data_frames, frames);
		page_store_add(&ps->puts, 1);
		return STORE_OK;
	}
	page_store_add(&ps->refusals, 1);
	return STORE_FULL;
}

/* Copies entry's bytes into buffer (at least its length). */
static void page_store_copy_out(const struct page_store_entry *entry, void *buffer)
{
	size_t first = entry->length > PAGE_STORE_FRAME ? PAGE_STORE_FRAME : entry->length;

	memcpy(buffer, entry->frames[0], first);
	if (entry->length > PAGE_STORE_FRAME)
		memcpy((uint8_t *)buffer + PAGE_STORE_FRAME, entry->frames[1],
		       entry->length - PAGE_STORE_FRAME);
}

static int page_store_read(struct store *store, store_handle_t handle,
			   void *buffer, size_t buffer_size, size_t *length)
{
	struct page_store_entry *entry = page_store_lookup((struct page_store *)store, handle);

	if (!entry)
		return STORE_BAD_HANDLE;
	if (buffer_size < entry->length)
		return STORE_SHORT_BUFFER;
	page_store_copy_out(entry, buffer);
	*length = entry->length;
	return STORE_OK;
}

static int page_store_map(struct store *store, store_handle_t handle,
			  void *bounce, struct store_view *view)
{
	struct page_store_entry *entry = page_store_lookup((struct page_store *)store, handle);

	if (!entry)
		return STORE_BAD_HANDLE;
	if (entry->length > PAGE_STORE_FRAME) {
		if (!bounce)
			return STORE_SHORT_BUFFER;
		page_store_copy_out(entry, bounce);
		view->data = bounce;
		view->pinned = false;
	} else {
		view->data = entry->frames[0];
		view->pinned = true;
		entry->pins++;
	}
	view->length = entry->length;
	view->handle = handle;
	view->slot = entry;
	return STORE_OK;
}

static void page_store_unmap(struct store *store, struct store_view *view)
{
	struct page_store_entry *entry = view->slot;

	(void)store;
	if (view->pinned && entry && entry->pins)
		entry->pins--;
	view->pinned = false;
}

static int page_store_size(struct store *store, store_handle_t handle, size_t *length)
{
	struct page_store_entry *entry = page_store_lookup((struct page_store *)store, handle);

	if (!entry)
		return STORE_BAD_HANDLE;
	*length = entry->length;
	return STORE_OK;
}

static int page_store_free_length(struct store *store, store_handle_t handle,
				  size_t *length)
{
	struct page_store *ps = (struct page_store *)store;
	struct page_store_entry *entry = page_store_lookup(ps, handle);

	if (!entry)
		return STORE_BAD_HANDLE;
	if (entry->pins)
		return STORE_BUSY;
	unsigned frames = entry->length > PAGE_STORE_FRAME ? 2 : 1;
	for (unsigned i = 0; i < frames; i++)
		page_store_release(ps, entry->frames[i]);
	*length = entry->length;
	page_store_add(&ps->objects, -1);
	page_store_add(&ps->bytes, -(int64_t)entry->length);
	page_store_add(&ps->data_frames, -(int64_t)frames);
	page_store_add(&ps->frees, 1);
	entry->live = 0;
	entry->generation++;
	entry->frames[0] = entry->frames[1] = NULL;
	return STORE_OK;
}

static int page_store_free(struct store *store, store_handle_t handle)
{
	size_t length;

	return page_store_free_length(store, handle, &length);
}

static void page_store_stats(struct store *store, struct store_stats *stats)
{
	struct page_store *ps = (struct page_store *)store;
	uint64_t data = page_store_get(&ps->data_frames);
	uint64_t metadata = page_store_get(&ps->table_frames) + 1;

	memset(stats, 0, sizeof(*stats));
	stats->pages_stored = page_store_get(&ps->objects);
	stats->bytes_stored = page_store_get(&ps->bytes);
	stats->frames_used = data;
	stats->metadata_frames = metadata;
	stats->frame_limit = ps->frame_limit;
	stats->ratio_milli = stats->pages_stored * 1000 / (data + metadata);
	stats->puts = page_store_get(&ps->puts);
	stats->frees = page_store_get(&ps->frees);
	stats->refusals = page_store_get(&ps->refusals);
	stats->bad_handles = page_store_get(&ps->bad_handles);
	stats->compact_threshold = 101;	/* never asks: nothing to pack */
}

static size_t page_store_compact(struct store *store)
{
	(void)store;
	return 0;	/* one object per frame: nothing to move */
}

static void page_store_destroy(struct store *store)
{
	struct page_store *ps = (struct page_store *)store;

	for (uint32_t index = 0; index < PAGE_STORE_SLOTS; index++) {
		struct page_store_entry *entry = page_store_entry(ps, index, false);
		if (entry && entry->live) {
			page_store_release(ps, entry->frames[0]);
			if (entry->length > PAGE_STORE_FRAME)
				page_store_release(ps, entry->frames[1]);
		}
	}
	for (unsigned t = 0; t < PAGE_STORE_TABLE_FRAMES; t++)
		if (ps->tables[t])
			page_store_release(ps, ps->tables[t]);
	struct store_page_provider provider = ps->provider;
	memset(ps, 0, PAGE_STORE_FRAME);
	provider.free_page(provider.context, ps);
}

static const struct store_ops page_store_ops = {
	.name = "page",
	.put = page_store_put,
	.read = page_store_read,
	.map = page_store_map,
	.unmap = page_store_unmap,
	.size = page_store_size,
	.free = page_store_free,
	.free_length = page_store_free_length,
	.free_wipe = page_store_free_length,	/* every free wipes */
	.stats = page_store_stats,
	.compact = page_store_compact,
	.destroy = page_store_destroy,
};

static struct store *page_store_create(const struct store_kind_config *config)
{
	struct page_store *ps;

	if (!config->provider.alloc_page || !config->provider.free_page ||
	    config->frame_limit < 2)
		return NULL;
	ps = config->provider.alloc_page(config->provider.context);
	if (!ps)
		return NULL;
	memset(ps, 0, PAGE_STORE_FRAME);
	ps->base.ops = &page_store_ops;
	ps->base.name = config->name ? config->name : "page";
	ps->provider = config->provider;
	ps->frame_limit = config->frame_limit;
	return &ps->base;
}

static const struct store_kind page_store_kind = {
	.name = "page",
	.create = page_store_create,
};

static int store_example_init(void)
{
	return store_kind_register(&page_store_kind) == 0 ? 0 : -17;
}

static void store_example_exit(void)
{
	store_kind_unregister(&page_store_kind);
}

MODULE_DEFINE("store_example", store_example_init, store_example_exit);
