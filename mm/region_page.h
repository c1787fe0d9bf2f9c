/*
 * One record per region page: its state (unpopulated, clear, sealed or
 * poisoned: the four values of a 2-bit field), the scheme slot that sealed it,
 * the store handle of its sealed copy (or, for a same-filled page, its
 * word), whether a clear page's frame is
 * shared copy-on-write with other address spaces (mm/rmap.h), the age stamp
 * and dense-tier mark of a sealed page (mm/region_tier.h) and, in debug builds
 * (CONFIG_MM_DEBUG), the checksum of its content when it was sealed. Packed
 * in one word (two in debug builds): 8 or 16 bytes per page. Regions, the
 * transition code and tests use it through the accessors below only.
 */
#ifndef VEIL_MM_REGION_PAGE_H
#define VEIL_MM_REGION_PAGE_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/store.h"

/* Debug checks of the page path (checksums on every seal and restore):
 * make DEBUG=1 (test builds) or 0 (make run, benchmarks). */
#ifndef CONFIG_MM_DEBUG
#define CONFIG_MM_DEBUG 1
#endif

enum region_page_state {
	REGION_UNPOPULATED = 0,
	REGION_CLEAR = 1,
	REGION_SEALED = 2,
	/* Its sealed copy failed its MAC or checksum: the content is gone, the
	 * owner was told, and every access is an error until the owner unmaps
	 * the page (then it is unpopulated again). No copy, no frame. */
	REGION_POISONED = 3,
};

struct region_page {
	uint64_t handle : STORE_HANDLE_BITS;	/* SEALED: its copy in the store */
	uint64_t state : 2;			/* enum region_page_state */
	uint64_t scheme_slot : 2;		/* SEALED: the chain that sealed it */
	/* CLEAR: its frame may be mapped by other spaces too (read only).
	 * SEALED: no store copy of its own: handle is either the page's
	 * word (one 8-byte word repeated, region_same_filled_word) or, with
	 * REGION_SHARED_COPY_TAG, a shared copy (mm/region_shared_copy.h). */
	uint64_t shared : 1;
	/* SEALED: the region's eviction clock (in tier epochs, modulo 256)
	 * when the page was sealed: its age for the dense tier */
	uint64_t tier_stamp : 8;
	/* SEALED: the dense chain did not make it smaller; the tier walk
	 * leaves it (its content cannot change while it is sealed) */
	uint64_t tier_kept : 1;
#if CONFIG_MM_DEBUG
	uint64_t checksum;			/* SEALED: content when sealed */
#endif
};

_Static_assert(STORE_HANDLE_BITS + 14 == 64, "the record's fields fill one word");
_Static_assert(sizeof(struct region_page) == (CONFIG_MM_DEBUG ? 16 : 8),
	       "a region page record is one word, two in debug builds");

static inline enum region_page_state
region_record_state(const struct region_page *record)
{
	return (enum region_page_state)record->state;
}

static inline store_handle_t region_record_handle(const struct region_page *record)
{
	return record->handle;
}

static inline unsigned region_record_slot(const struct region_page *record)
{
	return record->scheme_slot;
}

/* Whether a clear page's frame is shared copy-on-write: mapped read only
 * here, written only after a copy (or once no other space maps it). */
static inline bool region_record_shared(const struct region_page *record)
{
	return record->state == REGION_CLEAR && record->shared;
}

/* The page is present in its frame (the frame is the PTE's to know),
 * which is its own. */
static inline void region_record_set_clear(struct region_page *record)
{
	*record = (struct region_page){ .state = REGION_CLEAR };
}

/* The page is present in a frame other spaces may map too (after fork). */
static inline void region_record_set_clear_shared(struct region_page *record)
{
	*record = (struct region_page){ .state = REGION_CLEAR, .shared = 1 };
}

static inline void region_record_set_unpopulated(struct region_page *record)
{
	*record = (struct region_page){ .state = REGION_UNPOPULATED };
}

static inline void region_record_set_poisoned(struct region_page *record)
{
	*record = (struct region_page){ .state = REGION_POISONED };
}

/* checksum is ignored in builds without CONFIG_MM_DEBUG; stamp is the
 * tier age stamp (mm/region_tier.h). */
static inline void region_record_set_sealed(struct region_page *record,
					    store_handle_t handle,
					    unsigned slot, unsigned stamp,
					    uint64_t checksum)
{
	*record = (struct region_page){
		.handle = handle, .state = REGION_SEALED, .scheme_slot = slot,
		.tier_stamp = stamp & 0xffu,
#if CONFIG_MM_DEBUG
		.checksum = checksum,
#endif
	};
	(void)checksum;
}

/*
 * A same-filled page sealed without a store copy: one 8-byte word repeated,
 * whose value fits REGION_SAME_FILLED_BITS bits sign-extended (zero, all
 * ones, small integers, canonical pointers), kept in the handle field and
 * named so in the PTE. The handle field is wide enough for it, but not for
 * the words VMM_HANDLE_BUSY and VMM_HANDLE_POISON would take: the payload
 * stays below 2^49. Marked kept for the tier walk (a denser codec has
 * nothing to win on it).
 */
#define REGION_SAME_FILLED_BITS 49

/* A sealed page with no store copy of its own: the shared bit set, and
 * handle (a same-filled word, or a shared copy's tag and index) all the
 * record holds of it. Marked kept for the tier walk. */
static inline void region_record_set_sealed_in_record(struct region_page *record,
						      store_handle_t handle,
						      unsigned slot,
						      uint64_t checksum)
{
	*record = (struct region_page){
		.handle = handle, .state = REGION_SEALED, .scheme_slot = slot,
		.shared = 1, .tier_kept = 1,
#if CONFIG_MM_DEBUG
		.checksum = checksum,
#endif
	};
	(void)checksum;
}

/* The bit of the handle field above a same-filled payload: set, the
 * rest names a shared copy (mm/region_shared_copy.h). Below
 * VMM_HANDLE_POISON and VMM_HANDLE_BUSY with any index under 2^48. */
#define REGION_SHARED_COPY_TAG (1ull << REGION_SAME_FILLED_BITS)

static inline bool region_record_same_filled(const struct region_page *record)
{
	return record->state == REGION_SEALED && record->shared &&
	       !(record->handle & REGION_SHARED_COPY_TAG);
}

/* A sealed page that left its space while its frame was shared: the
 * record names a shared copy (the frame, or its one sealed copy). */
static inline bool region_record_shared_copy(const struct region_page *record)
{
	return record->state == REGION_SEALED && record->shared &&
	       (record->handle & REGION_SHARED_COPY_TAG);
}

/* handle: REGION_SHARED_COPY_TAG and the copy's index. Kept by the tier
 * walk (its bytes are not this region's to recompress). */
static inline void region_record_set_shared_copy(struct region_page *record,
						 store_handle_t handle,
						 unsigned slot,
						 uint64_t checksum)
{
	region_record_set_sealed_in_record(record, handle, slot, checksum);
}

static inline void region_record_set_same_filled(struct region_page *record,
						 store_handle_t payload,
						 unsigned slot,
						 uint64_t checksum)
{
	region_record_set_sealed_in_record(record, payload, slot, checksum);
}

static inline unsigned region_record_tier_stamp(const struct region_page *record)
{
	return record->tier_stamp;
}

static inline bool region_record_tier_kept(const struct region_page *record)
{
	return record->tier_kept;
}

/* The dense chain left the sealed page as it was: the walk skips it. */
static inline void region_record_set_tier_kept(struct region_page *record)
{
	record->tier_kept = 1;
}

/* Names another copy for a sealed page (tests that forge a handle). */
static inline void region_record_replace_handle(struct region_page *record,
						store_handle_t handle)
{
	record->handle = handle;
}

#if CONFIG_MM_DEBUG
static inline uint64_t region_record_checksum(const struct region_page *record)
{
	return record->checksum;
}
#endif

#endif
