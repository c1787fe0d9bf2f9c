/*
 * The life of a region's pages (mm/region.h): the fault path (zero-fill or
 * restore, then map), eviction from the clear set (unmap and invalidate
 * first, then seal), and the explicit purges. Each step announces its event
 * to the hook subscribers (mm/hooks.h) at the moment the contract
 * names: MAP after the PTE is present, FAULT after the page is restored and
 * before it is mapped, EVICT after the invalidation and before sealing,
 * INVALIDATE after the invalidation and before the frame is freed or sealed.
 *
 * Nothing here loses a page: a seal that fails leaves the page clear and
 * mapped (the eviction is skipped and counted), and a sealed copy is freed
 * only after the page it held has been restored and mapped.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/trap.h"
#include "mm/frame.h"
#include "mm/hooks.h"
#include "mm/region.h"
#include "mm/region_internal.h"
#include "mm/vmm.h"

#ifndef CONFIG_MM_DEBUG
#define CONFIG_MM_DEBUG 1
#endif

static uintptr_t region_va(const struct region *region, uint32_t page)
{
	return (uintptr_t)region_page_address(region, page);
}

static struct xf_page_id region_page_id(const struct region *region,
					uint32_t page)
{
	return (struct xf_page_id){ .region_id = region->id, .page_index = page };
}

/* FNV-1a over the page's words: what the page held when it was sealed,
 * compared when it is restored (the MAP contract in debug builds). */
static uint64_t region_checksum(const void *page)
{
	const uint64_t *words = page;
	uint64_t hash = 0xcbf29ce484222325ull;

	for (unsigned i = 0; i < FRAME_BYTES / 8; i++)
		hash = (hash ^ words[i]) * 0x100000001b3ull;
	return hash;
}

/*
 * Frees a frame that held a clear page. Under a confidential scheme (one
 * with a cipher) the frame is wiped first: the frame allocator does not
 * clear what it hands back, and a freed frame left with the page in it
 * would be exactly the clear copy in RAM the cipher is there to prevent.
 */
static void region_free_clear_frame(struct region *region, uint64_t frame)
{
	if (scheme_confidential(&region->schemes[region->current_scheme]))
		memset(frame_address(frame), 0, FRAME_BYTES);
	frame_free(frame);
}

/* Makes the page present in frame and admits it to the clear set. */
static int region_map_page(struct region *region, uint32_t page,
			   uint64_t frame)
{
	uintptr_t va = region_va(region, page);
	int result = vmm_map(region->space, va, frame, region->protection);

	if (result != VMM_OK)
		return REGION_NO_MEMORY;
	region->state[page] = REGION_CLEAR;
	clearset_admit(&region->clear, page);
	tlb_hook_map(region, va, frame);
	return REGION_OK;
}

/* Seals the page held in frame; on success the page is SEALED. The PTE
 * must already be non-present and invalidated. */
static int region_seal_frame(struct region *region, uint32_t page,
			     uint64_t frame)
{
	struct scheme *scheme = &region->schemes[region->current_scheme];
	struct xf_page_id id = region_page_id(region, page);
	void *bytes = frame_address(frame);
	uint64_t checksum = CONFIG_MM_DEBUG ? region_checksum(bytes) : 0;
	const void *sealed;
	size_t length;
	store_handle_t handle;

	if (scheme_seal(scheme, &id, bytes, &sealed, &length) != XF_OK)
		return REGION_STORE_REFUSED;
	if (store_put(region->store, sealed, length, &handle) != STORE_OK) {
		/* In-place steps may have changed the page: restoring from the
		 * sealed bytes gives back exactly what it held. */
		scheme_unseal(scheme, &id, sealed, length, bytes);
		return REGION_STORE_REFUSED;
	}
	vmm_set_handle(region->space, region_va(region, page), handle);
	region->handles[page] = handle;
	region->checksums[page] = checksum;
	region->sealed_by[page] = region->current_scheme;
	region->scheme_pages[region->current_scheme]++;
	region->state[page] = REGION_SEALED;
	region->stats.sealed_pages++;
	region->stats.bytes_stored += length;
	region_free_clear_frame(region, frame);
	return REGION_OK;
}

/* Takes a clear page out of its PTE (invalidated through the vmm); returns
 * its frame. The clear set no longer holds it. */
static uint64_t region_unmap_clear(struct region *region, uint32_t page,
				   bool evicted)
{
	uint64_t frame = FRAME_NONE;

	vmm_unmap(region->space, region_va(region, page), &frame);
	clearset_remove(&region->clear, page, evicted);
	region->state[page] = REGION_UNPOPULATED;
	return frame;
}

/* Evicts the policy's victim. On a failed seal the victim goes back where
 * it was (mapped, in the set) and the eviction is skipped. */
static int region_evict_one(struct region *region)
{
	uint32_t victim = clearset_pick_victim(&region->clear);

	if (victim == POLICY_NO_PAGE)
		return REGION_BAD_ARGUMENT;
	uint64_t frame = region_unmap_clear(region, victim, true);
	tlb_hook_evict(region, region_va(region, victim), frame);
	int result = region_seal_frame(region, victim, frame);
	if (result != REGION_OK) {
		region->stats.seal_failures++;
		region_map_page(region, victim, frame);
		return result;
	}
	region->stats.evictions++;
	return REGION_OK;
}

/* Sealed copies are read here before unsealing; a CPU's buffer is used
 * under a region lock (interrupts off), so it has one user. Not on the
 * stack: faults run on a 16 KiB exception stack. */
static uint8_t region_read_buffers[CONFIG_MAX_CPUS][STORE_OBJECT_MAX];

/* Restores a sealed page into frame. The handle in the PTE must be the one
 * the region recorded: a mismatch is a corrupt PTE, not followed. */
static int region_restore(struct region *region, uint32_t page, uint64_t frame)
{
	uintptr_t va = region_va(region, page);
	uint64_t pte_handle;
	uint8_t *sealed = region_read_buffers[cpu_current()];
	size_t length;
	struct xf_page_id id = region_page_id(region, page);
	struct scheme *scheme = &region->schemes[region->sealed_by[page]];
	void *bytes = frame_address(frame);

	if (!vmm_get_handle(region->space, va, &pte_handle) ||
	    pte_handle != region->handles[page])
		return REGION_CORRUPT;
	if (store_read(region->store, pte_handle, sealed, STORE_OBJECT_MAX,
		       &length) != STORE_OK)
		return REGION_CORRUPT;
	if (scheme_unseal(scheme, &id, sealed, length, bytes) != XF_OK)
		return REGION_CORRUPT;
	if (CONFIG_MM_DEBUG && region_checksum(bytes) != region->checksums[page])
		return REGION_CORRUPT;
	return REGION_OK;
}

/* Releases a page's sealed copy (the caller has cleared or replaced the
 * PTE that named it). */
static void region_release_sealed(struct region *region, uint32_t page)
{
	size_t length = 0;

	store_size(region->store, region->handles[page], &length);
	store_free(region->store, region->handles[page]);
	region->scheme_pages[region->sealed_by[page]]--;
	region->handles[page] = STORE_HANDLE_NONE;
	region->stats.sealed_pages--;
	region->stats.bytes_stored -= length;
}

/* Fills frame with the page's content: zeros or its restored copy. */
static int region_fill(struct region *region, uint32_t page, uint64_t frame)
{
	if (region->state[page] == REGION_UNPOPULATED) {
		memset(frame_address(frame), 0, FRAME_BYTES);
		region->stats.zero_fills++;
		return REGION_OK;
	}
	int result = region_restore(region, page, frame);
	if (result != REGION_OK) {
		region->stats.corrupt++;
		region->last_error = result;
		log_error("region %s: page %u: sealed copy failed to restore "
			  "(tampered with, or a corrupt handle); not mapped",
			  region->name, page);
		return result;
	}
	region->stats.restores++;
	return REGION_OK;
}

static int region_fault_in(struct region *region, uint32_t page)
{
	while (clearset_full(&region->clear)) {
		if (region_evict_one(region) != REGION_OK)
			break;	/* over the limit for now: nothing is lost */
	}
	uint64_t frame = frame_alloc();
	if (frame == FRAME_NONE)
		return REGION_NO_MEMORY;
	int result = region_fill(region, page, frame);
	if (result != REGION_OK) {
		region_free_clear_frame(region, frame);
		return result;
	}
	bool was_sealed = region->state[page] == REGION_SEALED;
	uintptr_t va = region_va(region, page);
	if (was_sealed)
		vmm_clear_handle(region->space, va);
	tlb_hook_fault(region, va, frame);
	result = region_map_page(region, page, frame);
	if (result != REGION_OK) {
		if (was_sealed)	/* keep the sealed copy: put the handle back */
			vmm_set_handle(region->space, va, region->handles[page]);
		region_free_clear_frame(region, frame);
		return result;
	}
	if (was_sealed)
		region_release_sealed(region, page);
	region->stats.faults++;
	return REGION_OK;
}

bool region_handle_fault(uintptr_t address, unsigned fault_flags)
{
	struct region *region = region_find(address);

	if (!region || (fault_flags & (FAULT_PRESENT | FAULT_RESERVED | FAULT_USER)))
		return false;
	uint32_t page = (uint32_t)((address - region->base) / FRAME_BYTES);
	unsigned long flags = spin_lock_irqsave(&region->lock);
	bool resolved = true;

	if (region->state[page] == REGION_CLEAR)
		clearset_touch(&region->clear, page);	/* raced: mapped already */
	else
		resolved = region_fault_in(region, page) == REGION_OK;
	spin_unlock_irqrestore(&region->lock, flags);
	return resolved;
}

int region_unmap_page(struct region *region, uint32_t page)
{
	if (page >= region->pages)
		return REGION_BAD_ARGUMENT;
	unsigned long flags = spin_lock_irqsave(&region->lock);

	if (region->state[page] == REGION_CLEAR) {
		uint64_t frame = region_unmap_clear(region, page, false);
		tlb_hook_invalidate(region, region_va(region, page), frame);
		region_free_clear_frame(region, frame);
		region->stats.invalidations++;
	} else if (region->state[page] == REGION_SEALED) {
		vmm_clear_handle(region->space, region_va(region, page));
		region_release_sealed(region, page);
		region->state[page] = REGION_UNPOPULATED;
	}
	spin_unlock_irqrestore(&region->lock, flags);
	return REGION_OK;
}

int region_purge_page(struct region *region, uint32_t page)
{
	int result = REGION_OK;

	if (page >= region->pages)
		return REGION_BAD_ARGUMENT;
	unsigned long flags = spin_lock_irqsave(&region->lock);
	if (region->state[page] == REGION_CLEAR) {
		uint64_t frame = region_unmap_clear(region, page, true);
		tlb_hook_invalidate(region, region_va(region, page), frame);
		region->stats.invalidations++;
		result = region_seal_frame(region, page, frame);
		if (result != REGION_OK) {
			region->stats.seal_failures++;
			region_map_page(region, page, frame);
		}
	}
	spin_unlock_irqrestore(&region->lock, flags);
	return result;
}

int region_protect(struct region *region, unsigned protection)
{
	unsigned long flags = spin_lock_irqsave(&region->lock);

	region->protection = protection;
	for (uint32_t page = 0; page < region->pages; page++) {
		if (region->state[page] != REGION_CLEAR)
			continue;
		uintptr_t va = region_va(region, page);
		uint64_t frame = 0;
		vmm_protect(region->space, va, protection);
		vmm_translate(region->space, va, &frame, NULL);
		tlb_hook_invalidate(region, va, frame);
		region->stats.invalidations++;
	}
	spin_unlock_irqrestore(&region->lock, flags);
	return REGION_OK;
}

void region_release_pages(struct region *region)
{
	unsigned long flags = spin_lock_irqsave(&region->lock);

	for (uint32_t page = 0; page < region->pages; page++) {
		if (region->state[page] == REGION_CLEAR) {
			uint64_t frame = region_unmap_clear(region, page, false);
			tlb_hook_invalidate(region, region_va(region, page), frame);
			region_free_clear_frame(region, frame);
		} else if (region->state[page] == REGION_SEALED) {
			vmm_clear_handle(region->space, region_va(region, page));
			region_release_sealed(region, page);
			region->state[page] = REGION_UNPOPULATED;
		}
	}
	spin_unlock_irqrestore(&region->lock, flags);
}
