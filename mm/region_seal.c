/*
 * The content steps of a region page's transitions: sealing a clear page
 * into the store, restoring a sealed copy into a frame, releasing a copy,
 * freeing a frame that held clear content. They touch bytes, the store and
 * the statistics of sealed pages; the PTE, the invalidation and the hooks
 * are mm/region_transition.c's. Callers hold the region's lock.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/failpoint.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "mm/frame.h"
#include "mm/region_internal.h"
#include "mm/region_shared_copy.h"
#include "mm/trace.h"
#include "transforms/codec.h"

static struct xf_page_id region_page_id(const struct region *region,
					uint32_t page)
{
	return (struct xf_page_id){ .region_id = region->id, .page_index = page };
}

#if CONFIG_MM_DEBUG
/* FNV-1a over the page's words: what the page held when it was sealed,
 * compared when it is restored (the MAP contract, checked in debug
 * builds). */
static uint64_t region_checksum(const void *page)
{
	const uint64_t *words = page;
	uint64_t hash = 0xcbf29ce484222325ull;

	for (unsigned i = 0; i < FRAME_BYTES / 8; i++)
		hash = (hash ^ words[i]) * 0x100000001b3ull;
	return hash;
}
#endif

/*
 * Under a confidential scheme (one with a cipher) a freed frame is wiped
 * first: the frame allocator does not clear what it hands back, and a
 * freed frame left with the page in it would be exactly the clear copy in
 * RAM the cipher is there to prevent.
 */
void region_free_clear_frame(struct region *region, uint64_t frame)
{
	if (scheme_confidential(&region->schemes[region->current_scheme]))
		memset(frame_address(frame), 0, FRAME_BYTES);
	frame_free(frame);
}

/*
 * Puts the sealed bytes into the store. When the chain left them in the
 * frame itself, a whole page (the identity transform, an in-place cipher),
 * the store may keep the frame instead of a copy: *adopted then says the
 * frame is the store's now.
 */
static int region_store_sealed(struct store *store, const void *sealed,
			       size_t length, void *bytes,
			       store_handle_t *handle, bool *adopted)
{
	*adopted = false;
	if (sealed == bytes && length == FRAME_BYTES) {
		int result = store_adopt_page(store, bytes, handle);
		if (result != STORE_UNSUPPORTED) {
			*adopted = result == STORE_OK;
			return result;
		}
	}
	return store_put(store, sealed, length, handle);
}

bool region_same_filled_kept = true;

/* Whether page is one word repeated that the record can hold: then
 * *payload is the word in REGION_SAME_FILLED_BITS bits. */
static bool region_same_filled_payload(const void *page, store_handle_t *payload)
{
	const unsigned unused = 64 - REGION_SAME_FILLED_BITS;
	uint64_t word;

	if (!codec_samefill_word(page, FRAME_BYTES, &word) ||
	    (uint64_t)((int64_t)(word << unused) >> unused) != word)
		return false;
	*payload = word & ((1ull << REGION_SAME_FILLED_BITS) - 1);
	return true;
}

/* The word a same-filled record's payload stands for (sign-extended). */
static uint64_t region_same_filled_word(store_handle_t payload)
{
	const unsigned unused = 64 - REGION_SAME_FILLED_BITS;

	return (uint64_t)((int64_t)(payload << unused) >> unused);
}

int region_seal_bytes(const struct scheme *scheme, const struct xf_page_id *id,
		      struct store *store, uint64_t frame,
		      struct region_sealed_copy *copy)
{
	void *bytes = frame_address(frame);
	const void *sealed;

	if (scheme_seal(scheme, id, bytes, &sealed, &copy->length) != XF_OK)
		return REGION_STORE_REFUSED;
	if (region_store_sealed(store, sealed, copy->length, bytes,
				&copy->handle, &copy->adopted) == STORE_OK)
		return REGION_OK;
	/* In-place steps may have changed the page: restoring from the
	 * sealed bytes gives back exactly what it held. Bytes just sealed
	 * always unseal; if not, the chain is broken. */
	if (scheme_unseal(scheme, id, sealed, copy->length, bytes) != XF_OK)
		return REGION_CORRUPT;
	return REGION_STORE_REFUSED;
}

/* Whether a seal by slot's chain keeps the page in frame as its word
 * (same-filled, no store copy): *payload is the word then. */
static bool region_keeps_same_filled(struct region *region, unsigned slot,
				     uint64_t frame, store_handle_t *payload)
{
	return !scheme_confidential(&region->schemes[slot]) &&
	       __atomic_load_n(&region_same_filled_kept, __ATOMIC_RELAXED) &&
	       region_same_filled_payload(frame_address(frame), payload);
}

bool region_frame_same_filled(struct region *region, unsigned slot,
			      uint64_t frame)
{
	store_handle_t payload;

	return region_keeps_same_filled(region, slot, frame, &payload);
}

int region_seal_frame(struct region *region, uint32_t page, uint64_t frame,
		      unsigned slot, struct region_sealed_copy *copy)
{
	struct xf_page_id id = region_page_id(region, page);

	*copy = (struct region_sealed_copy){
		.checksum = region_content_checksum(frame),
	};
	if (region_keeps_same_filled(region, slot, frame, &copy->handle)) {
		copy->same_filled = true;
		return REGION_OK;
	}
	int result = region_seal_bytes(&region->schemes[slot], &id,
				       region_slot_store(region, slot), frame,
				       copy);
	if (result == REGION_CORRUPT) {
		region->stats.corrupt++;
		log_error("region %s: page %u: the chain could not undo its "
			  "own seal; the page's content is lost",
			  region->name, page);
		return REGION_STORE_REFUSED;
	}
	return result;
}

/* Objects that span two of the store's frames are copied here to be read
 * (store_map); a CPU's buffer is used under a region lock with interrupts
 * off, so it has one user. Not on the stack: faults run on a 16 KiB
 * exception stack. Allocated by region_cpu_prepare before the CPU runs;
 * each pointer is written once. */
static uint8_t *region_bounce_buffers[CONFIG_MAX_CPUS];

bool region_cpu_prepare(unsigned cpu)
{
	uint8_t *buffer;

	if (cpu >= CONFIG_MAX_CPUS)
		return false;
	if (__atomic_load_n(&region_bounce_buffers[cpu], __ATOMIC_ACQUIRE))
		return true;
	buffer = cpu_memory_alloc(STORE_OBJECT_MAX);
	if (!buffer)
		return false;
	__atomic_store_n(&region_bounce_buffers[cpu], buffer, __ATOMIC_RELEASE);
	return true;
}

void region_cpu_wipe(void)
{
	uint8_t *buffer = __atomic_load_n(&region_bounce_buffers[cpu_current()],
					  __ATOMIC_RELAXED);

	if (buffer)
		memset(buffer, 0, STORE_OBJECT_MAX);
}

/* The running CPU's bounce buffer; it must have been prepared. */
static uint8_t *region_bounce_buffer(void)
{
	uint8_t *buffer = __atomic_load_n(&region_bounce_buffers[cpu_current()],
					  __ATOMIC_RELAXED);

	KASSERT(buffer != NULL);
	return buffer;
}

/* A copy made by a chain without a cipher, in a region whose scheme now
 * has one: its bytes are the page's (or compressed), and must not stay in
 * RAM once freed. And any copy a chain with a cipher sealed: its key may
 * be retired by a later rotation, and no page sealed under a retired key
 * may stay in RAM (docs/live-swap.md, "Key rotation"). Wiping only the
 * copies of chains already replaced was not enough: a copy freed while its
 * key was still current stayed as dead bytes in the store (or in a frame
 * the store gave back), and the cold-boot test found one after a rotation.
 * Schemes without a cipher promise nothing and wipe nothing. */
static bool region_copy_needs_wipe(const struct region *region, unsigned slot)
{
	bool sealing = scheme_confidential(&region->schemes[region->current_scheme]);
	bool copy = scheme_confidential(&region->schemes[slot]);

	return sealing || copy;
}

int region_free_copy(struct region *region, unsigned slot,
		     store_handle_t handle, size_t *length)
{
	struct store *store = region_slot_store(region, slot);
	int result = STORE_UNSUPPORTED;

	if (region_copy_needs_wipe(region, slot))
		result = store_free_wipe(store, handle, length);
	if (result == STORE_UNSUPPORTED)
		result = store_free_length(store, handle, length);
	return result;
}

/* Fills frame with the word of a same-filled record. */
static void region_fill_same_filled(const struct region_page *record,
				    uint64_t frame)
{
	uint64_t word = region_same_filled_word(region_record_handle(record));
	uint64_t *words = frame_address(frame);

	for (size_t i = 0; i < FRAME_BYTES / sizeof(word); i++)
		words[i] = word;
}

/* The checksum a restore compares: debug builds only. */
static int region_restore_check(const struct region_page *record,
				uint64_t frame)
{
#if CONFIG_MM_DEBUG
	if (region_content_checksum(frame) != region_record_checksum(record))
		return REGION_INTEGRITY;
#else
	(void)record;
	(void)frame;
#endif
	return REGION_OK;
}

int region_unseal_bytes(const struct scheme *scheme,
			const struct xf_page_id *id, struct store *store,
			store_handle_t handle, bool wipe_bounce, uint64_t frame)
{
	struct store_view view;
	int result = store_map(store, handle, region_bounce_buffer(), &view);

	if (result != STORE_OK)
		return result == STORE_NO_MEMORY ? REGION_NO_MEMORY : REGION_CORRUPT;
	int unsealed = FAILPOINT(FAILPOINT_UNSEAL) ? XF_NO_MEMORY :
		       scheme_unseal(scheme, id, view.data, view.length,
				     frame_address(frame));
	store_unmap(store, &view);
	/* A copy spanning two store frames came through the bounce buffer:
	 * one that must not stay in RAM once freed must not stay there
	 * either (the last one read would, until the next bounce). */
	if (view.data == region_bounce_buffer() && wipe_bounce)
		memset(region_bounce_buffer(), 0, STORE_OBJECT_MAX);
	if (unsealed != XF_OK)
		return unsealed == XF_NO_MEMORY ? REGION_NO_MEMORY : REGION_INTEGRITY;
	return REGION_OK;
}

int region_restore_frame(struct region *region, uint32_t page, uint64_t frame)
{
	struct region_page *record = region_page_record(region, page);
	unsigned slot = region_record_slot(record);
	int result;

	if (region_record_same_filled(record)) {
		region_fill_same_filled(record, frame);
		return region_restore_check(record, frame);
	}
	if (region_record_shared_copy(record)) {
		result = region_shared_copy_restore(region_record_handle(record),
						    frame);
	} else {
		struct xf_page_id id = region_page_id(region, page);
		result = region_unseal_bytes(&region->schemes[slot], &id,
					     region_slot_store(region, slot),
					     region_record_handle(record),
					     region_copy_needs_wipe(region, slot),
					     frame);
	}
	if (result != REGION_OK)
		return result;
	return region_restore_check(record, frame);
}

size_t region_release_sealed(struct region *region, uint32_t page)
{
	struct region_page *record = region_page_record(region, page);
	store_handle_t handle = region_record_handle(record);
	size_t length = 0;
	bool same_filled = region_record_same_filled(record);
	bool parked = region_record_shared_copy(record);

	int result = STORE_UNSUPPORTED;
	if (same_filled) {
		result = STORE_OK;	/* no copy anywhere */
		region->stats.same_filled_pages--;
	} else if (parked) {
		region_shared_copy_drop(handle);	/* not this region's bytes */
		result = STORE_OK;
		region->stats.parked_pages--;
	} else {
		result = region_free_copy(region, region_record_slot(record),
					  handle, &length);
	}
	if (result != STORE_OK) {	/* the copy stays in the store, lost */
		region->stats.corrupt++;
		log_error("region %s: page %u: its sealed copy could not be "
			  "freed (%s)", region->name, page,
			  store_result_name(result));
	}
	region->scheme_pages[region_record_slot(record)]--;
	region->stats.sealed_pages--;
	region->stats.bytes_stored -= length;
	region_group_count(region, -1, length);
	if (!same_filled && !parked)	/* else this region stored nothing */
		trace_store_change(false, (uint32_t)region->id,
				   (uintptr_t)region_page_address(region, page),
				   length, region->stats.bytes_stored);
	return length;
}

/* The checksum a seal records (0 in builds without CONFIG_MM_DEBUG). */
uint64_t region_content_checksum(uint64_t frame)
{
#if CONFIG_MM_DEBUG
	return region_checksum(frame_address(frame));
#else
	(void)frame;
	return 0;
#endif
}
