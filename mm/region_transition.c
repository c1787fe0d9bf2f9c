/*
 * Page transitions (mm/region_internal.h): the one place where a region
 * page changes state. Each row of region_transitions[] is one transition,
 * and region_transition() runs every row the same way, in the order of the
 * table in docs/tlb-events.md:
 *
 *   prepare   content before the PTE changes (a frame zeroed or restored)
 *   before    the event announced before the PTE change (FAULT)
 *   PTE       vmm_exchange from the entry the page's state implies to the
 *             next, which invalidates every TLB that may hold the old one
 *   clear set the software TLB model follows the PTE: a page leaves it as
 *             its PTE stops being present, joins it as it becomes present
 *   after     the event announced after the PTE change and its
 *             invalidation (MAP, EVICT or INVALIDATE)
 *   finish    content after (seal and name the handle in the PTE, release
 *             the sealed copy, free the frame) and the page's new record
 *   undo      when finish fails: the page goes back to where it was
 *
 * region_transition_batch() runs several pages through their rows with one
 * invalidation round: the first half of every row (prepare, before, PTE
 * with its invalidation recorded in a tlb_batch, clear set) for each page,
 * then one tlb_batch_finish, then the second half (after, finish, undo)
 * for each: nothing is sealed or freed before every CPU has dropped the
 * old entries. In a batch, the unmap of a clear page goes present -> BUSY
 * and, after the round, BUSY -> none (the batched exchange frees no
 * page-table page; the second one does, the entry being non-present).
 *
 * Lock order (the fault path, outermost first): region lock (held by every
 * caller), then the address space's page-table lock (inside vmm_exchange),
 * the shared copies' lock (a shared page leaving, mm/region_shared_copy.h)
 * and inside it the reverse map's, the store's locks (store_put/map/free),
 * the frame allocator's lock, the console's (log lines). None of these is
 * taken again in the other order.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "mm/frame.h"
#include "mm/hooks.h"
#include "mm/region_internal.h"
#include "mm/region_shared_copy.h"
#include "mm/rmap.h"
#include "mm/tlb.h"
#include "mm/trace.h"
#include "mm/vmm.h"

#define REGION_NO_EVENT (-1)

/* A batch never grows past what one round invalidates page by page. */
_Static_assert(REGION_BATCH_MAX <= TLB_BATCH_PAGES,
	       "a region batch fits one tlb_batch");

/* One transition under way. */
struct region_step {
	struct region *region;
	uint32_t page;
	uintptr_t va;
	struct region_page *record;
	enum region_cause cause;
	uint64_t frame;			/* the page's frame, once known */
	struct vmm_entry expected;	/* the PTE the state implies */
	struct vmm_entry replacement;	/* the PTE after the transition */
	bool batched;			/* its invalidation joins a batch */
	/* SHARE in the child: frame is the parent's (never freed here).
	 * WRITE: shared_frame is the frame the page shared until now. */
	bool frame_borrowed;
	uint64_t shared_frame;
};

struct region_transition_row {
	enum region_page_state from;
	enum region_cause cause;
	enum region_page_state to;
	int (*prepare)(struct region_step *step);	/* NULL: nothing */
	int event_before;		/* enum tlb_event_type or REGION_NO_EVENT */
	void (*entries)(struct region_step *step);	/* sets the two PTEs */
	int event_after;
	int (*finish)(struct region_step *step);	/* NULL: nothing */
	void (*undo)(struct region_step *step);		/* after a failed finish */
};

static void region_announce(int event, const struct region_step *step)
{
	if (event != REGION_NO_EVENT)
		tlb_hook_event((enum tlb_event_type)event, step->region, step->va,
			       step->frame);
}

/* The protection of the page's present PTE: the region's, without write
 * while the frame is shared copy-on-write. */
static unsigned region_present_protection(const struct region_step *step)
{
	if (region_record_shared(step->record) ||
	    step->cause == REGION_CAUSE_SHARE)
		return step->region->protection & ~(unsigned)VMM_WRITE;
	return step->region->protection;
}

/* ---- prepare: a frame with the page's content ------------------------ */

static int region_prepare_zero(struct region_step *step)
{
	step->frame = frame_alloc();
	if (step->frame == FRAME_NONE) {
		step->region->stats.no_memory++;
		return REGION_NO_MEMORY;
	}
	memset(frame_address(step->frame), 0, FRAME_BYTES);
	return REGION_OK;
}

static int region_prepare_restore(struct region_step *step)
{
	struct region *region = step->region;

	step->frame = frame_alloc();
	if (step->frame == FRAME_NONE) {
		region->stats.no_memory++;
		return REGION_NO_MEMORY;
	}
	int result = region_restore_frame(region, step->page, step->frame);
	if (result == REGION_OK)
		return result;
	region_free_clear_frame(region, step->frame);
	if (result == REGION_NO_MEMORY) {	/* for now: the copy is kept */
		region->stats.restore_failures++;
		return result;
	}
	region->stats.corrupt++;
	region->last_error = result;
	log_error("region %s: page %u: sealed copy %s; not mapped",
		  region->name, step->page,
		  result == REGION_INTEGRITY ? "failed its integrity check "
					       "(MAC or checksum)" :
					       "not in the store (a corrupt handle)");
	return result;
}

/* A write to a shared page: a copy of the frame when other spaces still
 * map it, else the frame itself made writable (step->frame stays NONE).
 * Read only everywhere, the shared frame does not change under the copy. */
static int region_prepare_private(struct region_step *step)
{
	struct region *region = step->region;

	if (!vmm_translate(region->space, step->va, &step->shared_frame, NULL))
		return REGION_CORRUPT;
	if (region_shared_copy_frame_alone(step->shared_frame))
		return REGION_OK;
	step->frame = frame_alloc();
	if (step->frame == FRAME_NONE) {
		region->stats.no_memory++;
		return REGION_NO_MEMORY;
	}
	memcpy(frame_address(step->frame), frame_address(step->shared_frame),
	       FRAME_BYTES);
	return REGION_OK;
}

/* ---- the PTEs of each row -------------------------------------------- */

static void region_entries_populate(struct region_step *step)
{
	step->expected = vmm_entry_none();
	step->replacement = vmm_entry_present(step->frame, step->region->protection);
}

static void region_entries_restore(struct region_step *step)
{
	step->expected = vmm_entry_handle(region_record_handle(step->record));
	step->replacement = vmm_entry_present(step->frame, step->region->protection);
}

static void region_entries_seal(struct region_step *step)
{
	step->expected = vmm_entry_present(VMM_FRAME_ANY, 0);
	step->replacement = vmm_entry_handle(VMM_HANDLE_BUSY);
}

/* In a batch, BUSY until the round is answered (see the top). */
static void region_entries_drop_clear(struct region_step *step)
{
	step->expected = vmm_entry_present(VMM_FRAME_ANY, 0);
	step->replacement = step->batched ? vmm_entry_handle(VMM_HANDLE_BUSY) :
					    vmm_entry_none();
}

static void region_entries_drop_sealed(struct region_step *step)
{
	step->expected = vmm_entry_handle(region_record_handle(step->record));
	step->replacement = vmm_entry_none();
}

static void region_entries_reseal(struct region_step *step)
{
	step->expected = vmm_entry_handle(region_record_handle(step->record));
	step->replacement = vmm_entry_handle(VMM_HANDLE_BUSY);
}

static void region_entries_poison(struct region_step *step)
{
	step->expected = vmm_entry_handle(region_record_handle(step->record));
	step->replacement = vmm_entry_handle(VMM_HANDLE_POISON);
}

static void region_entries_drop_poisoned(struct region_step *step)
{
	step->expected = vmm_entry_handle(VMM_HANDLE_POISON);
	step->replacement = vmm_entry_none();
}

static void region_entries_protect(struct region_step *step)
{
	step->expected = vmm_entry_present(VMM_FRAME_ANY, 0);
	step->replacement = vmm_entry_present(VMM_FRAME_ANY,
					      region_present_protection(step));
}

/* The child's page maps the parent's frame, read only. */
static void region_entries_share_child(struct region_step *step)
{
	step->expected = vmm_entry_none();
	step->replacement = vmm_entry_present(step->frame,
					      region_present_protection(step));
}

/* The child's copy of a sealed page: BUSY until its copy is named. */
static void region_entries_copy(struct region_step *step)
{
	step->expected = vmm_entry_none();
	step->replacement = vmm_entry_handle(VMM_HANDLE_BUSY);
}

static void region_entries_inherit_poison(struct region_step *step)
{
	step->expected = vmm_entry_none();
	step->replacement = vmm_entry_handle(VMM_HANDLE_POISON);
}

/* The page's own frame (the copy, or the shared one kept), writable. */
static void region_entries_private(struct region_step *step)
{
	step->expected = vmm_entry_present(step->shared_frame, 0);
	step->replacement = vmm_entry_present(
		step->frame == FRAME_NONE ? VMM_FRAME_ANY : step->frame,
		step->region->protection);
}

/* ---- finish and undo -------------------------------------------------- */

static int region_finish_populate(struct region_step *step)
{
	region_record_set_clear(step->record);
	step->region->stats.zero_fills++;
	return REGION_OK;
}

static int region_finish_restore(struct region_step *step)
{
	region_release_sealed(step->region, step->page);	/* checks, logs */
	region_record_set_clear(step->record);
	step->region->stats.restores++;
	return REGION_OK;
}

/* The slot a step seals into: the dense tier for RECOMPRESS, else the
 * sealing scheme's. */
static unsigned region_step_slot(const struct region_step *step)
{
	return step->cause == REGION_CAUSE_RECOMPRESS ? step->region->tier.slot :
							step->region->current_scheme;
}

/* Names handle in the page's PTE, BUSY until now. BUSY holds the
 * page-table page, so the exchange cannot fail for memory; one that fails
 * says the PTE was changed behind the region's back: the PTE is left
 * alone, and it is counted. */
static void region_name_copy(struct region_step *step, store_handle_t handle)
{
	struct region *region = step->region;
	struct vmm_entry busy = vmm_entry_handle(VMM_HANDLE_BUSY);
	struct vmm_entry sealed = vmm_entry_handle(handle);

	if (vmm_exchange(region->space, step->va, &busy, &sealed, NULL) != VMM_OK) {
		region->stats.corrupt++;
		log_error("region %s: page %u: its busy PTE changed while it "
			  "was sealed", region->name, step->page);
	}
}

/* Seals step->frame with the chain of the step's slot and names the copy
 * in the PTE (region_name_copy). The record is the caller's to update. */
static int region_seal_and_name(struct region_step *step,
				struct region_sealed_copy *copy)
{
	struct region *region = step->region;

	int result = region_seal_frame(region, step->page, step->frame,
				       region_step_slot(step), copy);
	if (result != REGION_OK)
		return result;
	region_name_copy(step, copy->handle);
	return REGION_OK;
}

/* The record and counters of a page now sealed as copy; the frame freed
 * unless the store kept it. */
static void region_record_sealed_copy(struct region_step *step,
				      const struct region_sealed_copy *copy)
{
	struct region *region = step->region;
	unsigned slot = region_step_slot(step);

	if (copy->same_filled) {
		region_record_set_same_filled(step->record, copy->handle, slot,
					      copy->checksum);
		region->stats.same_filled_pages++;
	} else {
		region_record_set_sealed(step->record, copy->handle, slot,
					 region_tier_stamp(region), copy->checksum);
	}
	region->scheme_pages[slot]++;
	region->stats.sealed_pages++;
	region->stats.bytes_stored += copy->length;
	region_group_count(region, 1, copy->length);
	if (!copy->same_filled)	/* else nothing went to the store */
		trace_store_change(true, (uint32_t)region->id, step->va,
				   copy->length, region->stats.bytes_stored);
	if (!copy->adopted)	/* else the frame is the sealed copy now */
		region_free_clear_frame(region, step->frame);
}

/* Seals a copy of a shared frame: the chain may work in place or the store
 * keep the frame, and other spaces may still read it. step->frame is the
 * shared frame again on a failure (for the undo). */
static int region_seal_shared(struct region_step *step,
			      struct region_sealed_copy *copy)
{
	struct region *region = step->region;
	uint64_t shared = step->frame;

	step->frame = frame_alloc();
	if (step->frame == FRAME_NONE) {
		step->frame = shared;
		region->stats.no_memory++;
		return REGION_NO_MEMORY;
	}
	memcpy(frame_address(step->frame), frame_address(shared), FRAME_BYTES);
	int result = region_seal_and_name(step, copy);
	if (result != REGION_OK) {
		region_free_clear_frame(region, step->frame);
		step->frame = shared;
		return result;
	}
	region_record_sealed_copy(step, copy);	/* frees the copy's frame */
	region_shared_copy_leave(region, shared, step->va);
	return REGION_OK;
}

/* The record and counters of a page that left its space into a shared
 * copy (handle), sealed by slot's chain. */
static void region_record_parked(struct region_step *step, unsigned slot,
				 store_handle_t handle, uint64_t checksum)
{
	struct region *region = step->region;

	region_record_set_shared_copy(step->record, handle, slot, checksum);
	region->scheme_pages[slot]++;
	region->stats.sealed_pages++;
	region->stats.parked_pages++;
	region->stats.parks++;
	region_group_count(region, 1, 0);
}

/* A shared page leaving its space: while other spaces map its frame, or
 * pages that left it already name a shared copy, it joins that copy
 * (sealed once, by the last to leave); a same-filled page is kept as its
 * word, and a page whose slot may not share is sealed from a copy of the
 * frame (region_seal_shared). On failure nothing changed. */
static int region_leave_shared(struct region_step *step,
			       struct region_sealed_copy *copy)
{
	unsigned slot = region_step_slot(step);
	store_handle_t handle;

	if (!region_frame_same_filled(step->region, slot, step->frame)) {
		uint64_t checksum = region_content_checksum(step->frame);
		int result = region_shared_copy_park(step->region, slot,
						     step->frame, step->va,
						     &handle);
		if (result < 0)
			return result;
		if (result == REGION_SHARED_PARKED) {
			region_name_copy(step, handle);
			region_record_parked(step, slot, handle, checksum);
			return REGION_OK;
		}
	}
	return region_seal_shared(step, copy);
}

static int region_finish_seal(struct region_step *step)
{
	struct region_sealed_copy copy;
	int result;

	if (region_record_shared(step->record)) {
		result = region_leave_shared(step, &copy);
	} else {
		result = region_seal_and_name(step, &copy);
		if (result == REGION_OK)
			region_record_sealed_copy(step, &copy);
	}
	if (result != REGION_OK)
		return result;
	if (step->cause == REGION_CAUSE_EVICT)
		step->region->stats.evictions++;
	else
		step->region->stats.invalidations++;
	return REGION_OK;
}

/* A seal that failed: the page is mapped again, as it was (MAP again). */
static void region_undo_seal(struct region_step *step)
{
	struct region *region = step->region;
	struct vmm_entry busy = vmm_entry_handle(VMM_HANDLE_BUSY);
	struct vmm_entry present = vmm_entry_present(
		step->frame, region_present_protection(step));

	if (vmm_exchange(region->space, step->va, &busy, &present, NULL) != VMM_OK) {
		region->stats.corrupt++;
		log_error("region %s: page %u: its busy PTE changed while a "
			  "failed seal was undone", region->name, step->page);
	}
	clearset_admit(&region->clear, step->page);
	region->stats.seal_failures++;
	if (step->cause == REGION_CAUSE_PURGE)
		region->stats.invalidations++;
	region_announce(TLB_EVENT_MAP, step);
}

/* The page, restored into step->frame, sealed again by the current chain:
 * the new copy replaces the old in the PTE (BUSY until then), the old one
 * is freed (wiped when it was not encrypted and the new chain is). */
static int region_finish_reseal(struct region_step *step)
{
	struct region_sealed_copy copy;
	int result = region_seal_and_name(step, &copy);

	if (result != REGION_OK)
		return result;
	region_release_sealed(step->region, step->page);	/* the old copy */
	region_record_sealed_copy(step, &copy);
	step->region->stats.reseals++;
	return REGION_OK;
}

/*
 * RECOMPRESS: the page, restored into step->frame, sealed by the dense
 * tier's chain. From the fast slot the dense copy is kept only when it is
 * smaller: else it is dropped, the old copy named in the PTE again and
 * the page marked so the walk leaves it (incompressible pages stay as
 * they are). From an old slot (a migration's drain) it is always kept.
 */
static int region_finish_recompress(struct region_step *step)
{
	struct region *region = step->region;
	store_handle_t old_handle = region_record_handle(step->record);
	struct region_sealed_copy copy;
	size_t old_length = 0;

	if (region->tier.slot == REGION_TIER_NONE)
		return REGION_BAD_ARGUMENT;	/* no tier: the page stays */
	int result = region_seal_frame(region, step->page, step->frame,
				       region->tier.slot, &copy);
	if (result != REGION_OK)
		return result;
	bool from_fast = region_record_slot(step->record) == region->current_scheme;
	if (from_fast && (region_record_same_filled(step->record) ||
			  region_record_shared_copy(step->record) ||
			  store_size(region_slot_store(region, region->current_scheme),
				     old_handle, &old_length) != STORE_OK ||
			  copy.length >= old_length)) {
		size_t dropped;

		if (!copy.same_filled)	/* frees an adopted frame too */
			(void)region_free_copy(region, region->tier.slot,
					       copy.handle, &dropped);
		region_name_copy(step, old_handle);
		if (!copy.adopted)
			region_free_clear_frame(region, step->frame);
		region_record_set_tier_kept(step->record);
		region->stats.tier_kept++;
		return REGION_OK;
	}
	region_name_copy(step, copy.handle);
	region_release_sealed(region, step->page);	/* the old copy */
	region_record_sealed_copy(step, &copy);
	region->stats.recompressed++;
	return REGION_OK;
}

/* A reseal that failed: the old copy stays, named by the PTE again. */
static void region_undo_reseal(struct region_step *step)
{
	struct region *region = step->region;
	struct vmm_entry busy = vmm_entry_handle(VMM_HANDLE_BUSY);
	struct vmm_entry old = vmm_entry_handle(region_record_handle(step->record));

	if (vmm_exchange(region->space, step->va, &busy, &old, NULL) != VMM_OK) {
		region->stats.corrupt++;
		log_error("region %s: page %u: its busy PTE changed while it "
			  "was being sealed again", region->name, step->page);
	}
	region_free_clear_frame(region, step->frame);
	region->stats.seal_failures++;
}

static int region_finish_drop_clear(struct region_step *step)
{
	struct region *region = step->region;

	if (step->batched) {	/* BUSY -> none: empty tables freed now */
		struct vmm_entry busy = vmm_entry_handle(VMM_HANDLE_BUSY);
		struct vmm_entry none = vmm_entry_none();
		if (vmm_exchange(region->space, step->va, &busy, &none,
				 NULL) != VMM_OK) {
			region->stats.corrupt++;
			log_error("region %s: page %u: its busy PTE changed "
				  "while it was unmapped", region->name,
				  step->page);
		}
	}
	if (region_record_shared(step->record))
		region_shared_copy_leave(region, step->frame, step->va);
	else
		region_free_clear_frame(region, step->frame);
	region_record_set_unpopulated(step->record);
	step->region->stats.invalidations++;
	return REGION_OK;
}

static int region_finish_drop_sealed(struct region_step *step)
{
	region_release_sealed(step->region, step->page);
	region_record_set_unpopulated(step->record);
	return REGION_OK;
}

/* The copy is freed (it cannot be restored), the owner told. */
static int region_finish_poison(struct region_step *step)
{
	struct region *region = step->region;

	region_release_sealed(region, step->page);
	region_record_set_poisoned(step->record);
	region->stats.poisoned++;
	log_error("region %s: page %u poisoned: every access is an error until "
		  "the page is unmapped", region->name, step->page);
	if (region->poisoned)
		region->poisoned(region, step->page, REGION_INTEGRITY,
				 region->owner_context);
	return REGION_OK;
}

static int region_finish_drop_poisoned(struct region_step *step)
{
	region_record_set_unpopulated(step->record);
	step->region->stats.poisoned--;
	return REGION_OK;
}

static int region_finish_protect(struct region_step *step)
{
	step->region->stats.invalidations++;
	return REGION_OK;
}

/* The parent's page is read only now; the fork records the child's
 * mapping in the reverse map. */
static int region_finish_share_parent(struct region_step *step)
{
	region_record_set_clear_shared(step->record);
	step->region->stats.shares++;
	return REGION_OK;
}

static int region_finish_share_child(struct region_step *step)
{
	region_record_set_clear_shared(step->record);
	step->region->stats.shares++;
	return REGION_OK;
}

/* The child's copy sealed and named; its frame is freed (or kept by the
 * store). */
static int region_finish_copy(struct region_step *step)
{
	struct region_sealed_copy copy;
	int result = region_seal_and_name(step, &copy);

	if (result != REGION_OK)
		return result;
	region_record_sealed_copy(step, &copy);
	return REGION_OK;
}

/* A copy that could not be sealed: the page stays unpopulated and the
 * caller (the fork) fails; the frame with the content is freed. */
static void region_undo_copy(struct region_step *step)
{
	struct region *region = step->region;
	struct vmm_entry busy = vmm_entry_handle(VMM_HANDLE_BUSY);
	struct vmm_entry none = vmm_entry_none();

	if (vmm_exchange(region->space, step->va, &busy, &none, NULL) != VMM_OK) {
		region->stats.corrupt++;
		log_error("region %s: page %u: its busy PTE changed while a "
			  "fork's copy was sealed", region->name, step->page);
	}
	region_free_clear_frame(region, step->frame);
	region->stats.seal_failures++;
}

static int region_finish_inherit_poison(struct region_step *step)
{
	region_record_set_poisoned(step->record);
	step->region->stats.poisoned++;
	return REGION_OK;
}

/* The page has a frame of its own now: the shared one is left to the
 * other spaces (freed when it was the last to leave), or kept when no
 * other space mapped it any more. */
static int region_finish_private(struct region_step *step)
{
	struct region *region = step->region;

	if (step->frame != step->shared_frame) {
		region_shared_copy_leave(region, step->shared_frame, step->va);
		region->stats.shared_copies++;
	} else {
		(void)rmap_remove(step->shared_frame, region->space, step->va);
	}
	region_record_set_clear(step->record);
	return REGION_OK;
}

/* The table docs/tlb-events.md writes out: one row per transition. */
static const struct region_transition_row region_transitions[] = {
	{ REGION_UNPOPULATED, REGION_CAUSE_FAULT, REGION_CLEAR,
	  region_prepare_zero, TLB_EVENT_FAULT, region_entries_populate,
	  TLB_EVENT_MAP, region_finish_populate, NULL },
	{ REGION_SEALED, REGION_CAUSE_FAULT, REGION_CLEAR,
	  region_prepare_restore, TLB_EVENT_FAULT, region_entries_restore,
	  TLB_EVENT_MAP, region_finish_restore, NULL },
	{ REGION_CLEAR, REGION_CAUSE_EVICT, REGION_SEALED,
	  NULL, REGION_NO_EVENT, region_entries_seal,
	  TLB_EVENT_EVICT, region_finish_seal, region_undo_seal },
	{ REGION_CLEAR, REGION_CAUSE_PURGE, REGION_SEALED,
	  NULL, REGION_NO_EVENT, region_entries_seal,
	  TLB_EVENT_INVALIDATE, region_finish_seal, region_undo_seal },
	{ REGION_CLEAR, REGION_CAUSE_UNMAP, REGION_UNPOPULATED,
	  NULL, REGION_NO_EVENT, region_entries_drop_clear,
	  TLB_EVENT_INVALIDATE, region_finish_drop_clear, NULL },
	{ REGION_SEALED, REGION_CAUSE_UNMAP, REGION_UNPOPULATED,
	  NULL, REGION_NO_EVENT, region_entries_drop_sealed,
	  REGION_NO_EVENT, region_finish_drop_sealed, NULL },
	{ REGION_CLEAR, REGION_CAUSE_PROTECT, REGION_CLEAR,
	  NULL, REGION_NO_EVENT, region_entries_protect,
	  TLB_EVENT_INVALIDATE, region_finish_protect, NULL },
	{ REGION_SEALED, REGION_CAUSE_RESEAL, REGION_SEALED,
	  region_prepare_restore, REGION_NO_EVENT, region_entries_reseal,
	  REGION_NO_EVENT, region_finish_reseal, region_undo_reseal },
	{ REGION_SEALED, REGION_CAUSE_POISON, REGION_POISONED,
	  NULL, REGION_NO_EVENT, region_entries_poison,
	  REGION_NO_EVENT, region_finish_poison, NULL },
	{ REGION_POISONED, REGION_CAUSE_UNMAP, REGION_UNPOPULATED,
	  NULL, REGION_NO_EVENT, region_entries_drop_poisoned,
	  REGION_NO_EVENT, region_finish_drop_poisoned, NULL },
	{ REGION_CLEAR, REGION_CAUSE_SHARE, REGION_CLEAR,
	  NULL, REGION_NO_EVENT, region_entries_protect,
	  TLB_EVENT_INVALIDATE, region_finish_share_parent, NULL },
	{ REGION_UNPOPULATED, REGION_CAUSE_SHARE, REGION_CLEAR,
	  NULL, REGION_NO_EVENT, region_entries_share_child,
	  TLB_EVENT_MAP, region_finish_share_child, NULL },
	{ REGION_UNPOPULATED, REGION_CAUSE_COPY, REGION_SEALED,
	  NULL, REGION_NO_EVENT, region_entries_copy,
	  REGION_NO_EVENT, region_finish_copy, region_undo_copy },
	{ REGION_UNPOPULATED, REGION_CAUSE_INHERIT_POISON, REGION_POISONED,
	  NULL, REGION_NO_EVENT, region_entries_inherit_poison,
	  REGION_NO_EVENT, region_finish_inherit_poison, NULL },
	{ REGION_CLEAR, REGION_CAUSE_WRITE, REGION_CLEAR,
	  region_prepare_private, TLB_EVENT_FAULT, region_entries_private,
	  TLB_EVENT_MAP, region_finish_private, NULL },
	{ REGION_SEALED, REGION_CAUSE_RECOMPRESS, REGION_SEALED,
	  region_prepare_restore, REGION_NO_EVENT, region_entries_reseal,
	  REGION_NO_EVENT, region_finish_recompress, region_undo_reseal },
};

static const struct region_transition_row *
region_transition_find(enum region_page_state from, enum region_cause cause)
{
	for (size_t i = 0; i < sizeof(region_transitions) /
			       sizeof(region_transitions[0]); i++) {
		const struct region_transition_row *row = &region_transitions[i];
		if (row->from == from && row->cause == cause)
			return row;
	}
	return NULL;
}

/* A PTE change that failed after prepare: give back what prepare took. */
static int region_pte_failed(struct region_step *step, int vmm_result)
{
	struct region *region = step->region;

	if (step->frame != FRAME_NONE && !step->frame_borrowed)
		region_free_clear_frame(region, step->frame);	/* prepare's,
								 * never mapped */
	if (vmm_result == VMM_NO_MEMORY) {
		region->stats.no_memory++;
		return REGION_NO_MEMORY;
	}
	/* The PTE is not what the page's record says: never followed. */
	region->stats.corrupt++;
	region->last_error = REGION_CORRUPT;
	log_error("region %s: page %u: its PTE does not match its record; "
		  "left alone", region->name, step->page);
	return REGION_CORRUPT;
}

/* The software TLB model follows the PTE. */
static void region_follow_clear_set(const struct region_transition_row *row,
				    struct region_step *step)
{
	struct clearset *clear = &step->region->clear;

	if (row->from == REGION_CLEAR && row->to != REGION_CLEAR)
		clearset_remove(clear, step->page,
				row->cause == REGION_CAUSE_EVICT ||
					row->cause == REGION_CAUSE_PURGE);
	else if (row->from != REGION_CLEAR && row->to == REGION_CLEAR)
		clearset_admit(clear, step->page);
}

/* The first half of a row: prepare, before, the PTE change (its
 * invalidation done, or recorded in batch when not NULL and the entry is
 * present), the clear set.
 * REGION_OK when the second half is due; else nothing changed. */
static int region_transition_start(const struct region_transition_row *row,
				   struct region_step *step,
				   struct tlb_batch *batch)
{
	struct region *region = step->region;
	struct vmm_entry old;
	int result = row->prepare ? row->prepare(step) : REGION_OK;

	if (result != REGION_OK)
		return result;
	region_announce(row->event_before, step);
	step->batched = batch != NULL;
	row->entries(step);
	/* A non-present entry needs no invalidation: the plain exchange,
	 * which also frees the page-table pages a NONE entry leaves empty. */
	if (step->expected.kind != VMM_ENTRY_PRESENT)
		batch = NULL;
	result = batch ? vmm_exchange_batched(region->space, step->va,
					      &step->expected,
					      &step->replacement, &old, batch) :
			 vmm_exchange(region->space, step->va, &step->expected,
				      &step->replacement, &old);
	if (result != VMM_OK)
		return region_pte_failed(step, result);
	if (old.kind == VMM_ENTRY_PRESENT && step->frame == FRAME_NONE)
		step->frame = old.value;
	region_follow_clear_set(row, step);
	return REGION_OK;
}

/* The second half, once no TLB holds the old entry: after, finish, and
 * undo when finish fails. */
static int region_transition_end(const struct region_transition_row *row,
				 struct region_step *step)
{
	region_announce(row->event_after, step);
	int result = row->finish ? row->finish(step) : REGION_OK;
	if (result != REGION_OK && row->undo)
		row->undo(step);
	return result;
}

static struct region_step region_step_of(struct region *region, uint32_t page,
					 enum region_cause cause)
{
	return (struct region_step){
		.region = region, .page = page, .va = region_va(region, page),
		.record = region_page_record(region, page), .cause = cause,
		.frame = FRAME_NONE, .shared_frame = FRAME_NONE,
	};
}

/* Runs step through its row with its own invalidation. */
static int region_transition_step(struct region_step *step)
{
	const struct region_transition_row *row = region_transition_find(
		region_record_state(step->record), step->cause);

	if (!row)
		return REGION_BAD_ARGUMENT;
	int result = region_transition_start(row, step, NULL);
	if (result != REGION_OK)
		return result;
	return region_transition_end(row, step);
}

int region_transition(struct region *region, uint32_t page,
		      enum region_cause cause)
{
	struct region_step step = region_step_of(region, page, cause);

	return region_transition_step(&step);
}

int region_transition_with_frame(struct region *region, uint32_t page,
				 enum region_cause cause, uint64_t frame)
{
	struct region_step step = region_step_of(region, page, cause);

	if (cause != REGION_CAUSE_SHARE && cause != REGION_CAUSE_COPY)
		return REGION_BAD_ARGUMENT;
	step.frame = frame;
	step.frame_borrowed = cause == REGION_CAUSE_SHARE;
	int result = region_transition_step(&step);
	if (result == REGION_BAD_ARGUMENT && cause == REGION_CAUSE_COPY)
		region_free_clear_frame(region, frame);	/* as promised */
	return result;
}

/* A page of a batch between its two halves: what the second needs. */
struct region_pending {
	const struct region_transition_row *row;
	uint32_t index;		/* in the caller's pages[] */
	uint64_t frame;
};

unsigned region_transition_batch(struct region *region, const uint32_t *pages,
				 unsigned count, enum region_cause cause,
				 int *results)
{
	struct region_pending pending[REGION_BATCH_MAX];
	unsigned started = 0, done = 0;
	struct tlb_batch batch;

	KASSERT(count <= REGION_BATCH_MAX);
	tlb_batch_begin(&batch, region->space);
	for (unsigned i = 0; i < count; i++) {
		struct region_step step = region_step_of(region, pages[i], cause);
		const struct region_transition_row *row = region_transition_find(
			region_record_state(step.record), cause);
		results[i] = row ? region_transition_start(row, &step, &batch) :
				   REGION_BAD_ARGUMENT;
		if (results[i] == REGION_OK)
			pending[started++] = (struct region_pending){
				row, i, step.frame };
	}
	tlb_batch_finish(&batch);	/* the one round */
	for (unsigned i = 0; i < started; i++) {
		struct region_step step = region_step_of(
			region, pages[pending[i].index], cause);
		step.frame = pending[i].frame;
		step.batched = true;
		results[pending[i].index] = region_transition_end(pending[i].row,
								  &step);
		done += results[pending[i].index] == REGION_OK;
	}
	return done;
}
