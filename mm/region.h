/*
 * Transformed regions: ranges of kernel virtual memory whose pages may be
 * kept sealed (transformed: compressed, encrypted, ...) while no TLB can
 * hold a mapping to them. Each page is
 *   UNPOPULATED  never touched, or dropped: reads as zeros on first touch;
 *   CLEAR        present, in the region's clear set, in its frame;
 *   SEALED       not present; its sealed copy is in the page store, and the
 *                non-present PTE holds the store handle (as a swap entry
 *                does). The region also keeps the handle, and the two must
 *                agree, so a corrupt PTE is detected, never followed.
 * The clear set bounds the CLEAR pages (the region's software model of what
 * a TLB may hold); touching a page beyond the limit evicts the victim the
 * policy picks: PTE cleared and invalidated first, then sealed.
 *
 * Events (mm/hooks.h): MAP whenever a page becomes present, FAULT when a
 * fault restores or zero-fills a page, EVICT when the clear set pushes a
 * page out, INVALIDATE on explicit purges (unmap, protection change, purge,
 * destroy).
 *
 * Locking: each region's lock (irqsave) protects its page states, handles,
 * clear set, statistics and its PTEs; the registry lock protects the list
 * of regions. A fault takes the registry lock only to find the region. A
 * region in a clear share is locked with its share's lock taken first
 * (mm/clear_share.h).
 */
#ifndef VEIL_MM_REGION_H
#define VEIL_MM_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/spinlock.h"
#include "mm/clearset.h"
#include "mm/fault.h"
#include "mm/region_page.h"
#include "mm/region_tier.h"
#include "mm/scheme.h"
#include "mm/store.h"

struct vmm_space;
struct region;
struct clear_share;
struct region_migration;

/* Results (negative on failure). */
enum region_result {
	REGION_OK = 0,
	REGION_NO_MEMORY = -1,
	REGION_BAD_ARGUMENT = -2,
	REGION_BAD_SCHEME = -3,
	REGION_CORRUPT = -4,	/* a sealed copy failed to restore */
	REGION_STORE_REFUSED = -5,
	REGION_NO_SPACE = -6,	/* no virtual space left for regions */
	REGION_INTEGRITY = -7,	/* a sealed copy failed its MAC or checksum */
	REGION_PAGE_POISONED = -8,	/* the page is REGION_POISONED */
};

struct region_stats {
	uint64_t faults;	/* faults this region resolved */
	uint64_t zero_fills;	/* first touches */
	uint64_t restores;	/* sealed pages restored */
	uint64_t evictions;	/* pages pushed out of the clear set and sealed */
	uint64_t invalidations;	/* explicit purges of clear pages */
	uint64_t seal_failures;	/* evictions refused (store full, no memory) */
	uint64_t corrupt;	/* restores that failed: tampered or bad handle */
	uint64_t reseals;	/* sealed pages moved to a newer chain */
	uint64_t migrated;	/* of them, moved by an active migration
				 * (mm/region_migrate.h) */
	uint64_t recompressed;	/* sealed pages moved to the dense tier
				 * (mm/region_tier.h) */
	uint64_t tier_kept;	/* pages the dense chain did not shrink */
	uint64_t stores_retired;	/* stores given with a scheme change
					 * (region_set_scheme_store) destroyed
					 * once their last page had left */
	uint64_t restore_failures;	/* restores refused for now (a store
					 * read or unseal without resources):
					 * the page stays sealed */
	uint64_t no_memory;	/* faults refused: no frame or page-table page */
	uint64_t shares;	/* pages made copy-on-write by a fork (in the
				 * parent and in the child) */
	uint64_t shared_copies;	/* writes to shared pages that copied the
				 * frame (other spaces still mapped it) */
	uint64_t poisoned;	/* pages POISONED now */
	uint64_t sealed_pages;	/* SEALED now */
	uint64_t clear_pages;	/* CLEAR now */
	uint64_t bytes_stored;	/* store bytes of the sealed pages now */
	uint64_t same_filled_pages;	/* of sealed_pages, those kept as their
					 * word, in no store (region_page.h) */
	uint64_t parked_pages;	/* of sealed_pages, those that left while
				 * other spaces mapped their frame: they name
				 * a shared copy (mm/region_shared_copy.h) */
	uint64_t parks;		/* evictions and purges that parked a page so */
};

/*
 * Regions counted together (a process's mappings): totals over every
 * member, exact at any moment. Members update them with atomics under
 * their own locks, so the group needs no lock of its own.
 */
struct region_group {
	uint64_t sealed_pages;		/* SEALED now, over the members */
	uint64_t sealed_peak;		/* the most sealed_pages has been */
	uint64_t seals;			/* pages sealed, ever */
	uint64_t seal_bytes;		/* store bytes those seals took */
	uint64_t faults;		/* faults the members resolved */
};

struct region_config {
	const char *name;
	uint32_t pages;
	uint32_t clear_limit;		/* >= 1: pages present at most */
	const char *scheme;		/* "POLICY[:XF,...]", see scheme.h */
	struct store *store;		/* where sealed pages go */
	unsigned protection;		/* enum vmm_prot; 0 means read-write */
	/* Told when a page is poisoned (its sealed copy failed its MAC or
	 * checksum; error is REGION_INTEGRITY), with owner_context. Called
	 * with the region's lock held: it records, it must not call into the
	 * region. NULL: the log line and the counters only. */
	void (*poisoned)(struct region *region, uint32_t page, int error,
			 void *owner_context);
	void *owner_context;
	/* Pages a fault with a full clear set evicts at once, with one
	 * invalidation round (1 .. REGION_EVICT_BATCH_MAX; 1 is one victim
	 * per fault), never more than a quarter of clear_limit (at least
	 * 1); 0 means REGION_EVICT_BATCH_DEFAULT. */
	uint32_t evict_batch;
	/* Where the region lives: NULL puts it in the kernel's region area
	 * (found by its fault owner); a process's space places it at base
	 * (page-aligned, in the user half), and the process's own fault
	 * owner finds it (kernel/user). protection then includes VMM_USER. */
	struct vmm_space *space;
	uintptr_t base;
	/* Counted with other regions (NULL: alone); must outlive it. */
	struct region_group *group;
	/* 1..100: the clear set's limit follows this percentage of the
	 * region's populated pages (clear and sealed), never below
	 * clear_limit; 0: clear_limit is the limit. */
	uint32_t clear_percent;
	/* A clear set shared with other regions (mm/clear_share.h): the
	 * share's budget and policy bound and order this region's present
	 * pages with theirs, and clear_limit, clear_percent and the scheme's
	 * policy are not used. NULL: the region's own set. Must outlive it. */
	struct clear_share *share;
};

/* Eviction batches (docs/tlb-events.md, "Batching"). */
#define REGION_EVICT_BATCH_DEFAULT 16u
#define REGION_EVICT_BATCH_MAX 32u

/* Schemes a region can hold at once: pages sealed under an older chain are
 * restored with the chain that sealed them (the old scheme reads, the new
 * one writes), so a scheme changes while the region is in use. */
#define REGION_SCHEMES_MAX 4

struct region {
	uint64_t id;
	char name[32];
	uintptr_t base;
	uint32_t pages;
	struct vmm_space *space;
	/* The store of the config: where slots seal unless a scheme change
	 * named another. Not the region's: it outlives it. */
	struct store *store;
	/* The store each slot's sealed copies live in (a slot's chain reads
	 * its pages from there; the sealing slot puts new ones there). */
	struct store *slot_stores[REGION_SCHEMES_MAX];
	/* Stores the region was given (region_set_scheme_store) and destroys
	 * once no slot that holds pages or seals uses them; NULL entries
	 * are free. */
	struct store *owned_stores[REGION_SCHEMES_MAX];
	unsigned protection;		/* enum vmm_prot of present pages */
	struct spinlock lock;		/* see the top of this file */
	struct scheme schemes[REGION_SCHEMES_MAX];
	uint32_t scheme_pages[REGION_SCHEMES_MAX];	/* sealed pages of each */
	uint8_t current_scheme;		/* index of the one that seals */
	struct clearset clear;
	uint32_t evict_batch;		/* victims per eviction round */
	uint32_t clear_percent;		/* from the config (0: fixed limit) */
	uint32_t clear_floor;		/* the config's clear_limit */
	struct region_page *records;	/* one per page (mm/region_page.h) */
	struct region_stats stats;
	int last_error;			/* the last failed restore's result */
	void (*poisoned)(struct region *region, uint32_t page, int error,
			 void *owner_context);	/* from the config */
	void *owner_context;
	struct region_group *group;	/* from the config, or NULL */
	struct clear_share *share;	/* from the config, or NULL */
	/* Its active migration (mm/region_migrate.c), or NULL: set under
	 * the region's lock, freed by region_destroy. */
	struct region_migration *migration;
	/* Its tiers (mm/region_tier.h): the dense slot, age, walk. */
	struct region_tier tier;
	/* Holds taken by region_hold_all (atomic): region_destroy waits
	 * until none is left. dying (under the registry's lock): destroy
	 * has begun, no new hold is taken. */
	uint32_t holders;
	bool dying;
};

/* Whether slot holds the sealing scheme or its dense tier: an active
 * migration drains every other slot. Region lock held. */
static inline bool region_slot_sealing(const struct region *region,
				       unsigned slot)
{
	return slot == region->current_scheme || slot == region->tier.slot;
}

/* Allocates CPU cpu's bounce buffer for restores (cpu_memory_alloc); true
 * when it has one. mm_cpu_prepare calls it before the CPU runs; regions
 * restore pages only on prepared CPUs. */
bool region_cpu_prepare(unsigned cpu);
/* Wipes the running CPU's bounce buffer (the last sealed copy that was
 * read through it): a key rotation does it on every CPU, interrupts off,
 * before the old key is retired (mm/region_rekey.c). */
void region_cpu_wipe(void);

int region_create(const struct region_config *config, struct region **out);
/* Releases every frame, sealed copy and page-table page of the region. */
void region_destroy(struct region *region);
/* fork: makes child (new and empty, created with the parent's pages, base
 * and protection in another space) hold a copy of every page of parent:
 * clear pages shared copy-on-write, sealed pages copied, poisoned pages
 * poisoned (mm/region_fork.c). REGION_OK; REGION_NO_MEMORY (or a failed
 * restore's result) with the child holding the pages given so far
 * (region_destroy frees them); REGION_BAD_ARGUMENT when child does not
 * mirror parent. */
int region_fork(struct region *parent, struct region *child);

/* The fault owner of the region area (registered with the first region):
 * a kernel-mode access to a region page that is not present is HANDLED
 * once the page is; an access to a page that cannot be brought back (its
 * sealed copy fails to restore, no memory) is an ERROR counted by the
 * region; an access outside any region, a user-mode access, a protection
 * violation or a reserved bit is an ERROR too (not a region's to serve). */
enum fault_response region_handle_fault(struct fault_owner *owner,
					const struct fault *fault,
					const char **reason);

/* Explicit purges (INVALIDATE). unmap drops the page's content (it reads
 * as zeros again); purge seals it now (a page being moved); protect
 * changes the protection of every present page and of future mappings. */
int region_unmap_page(struct region *region, uint32_t page);
/* Brings the page in as a fault would, for a workload that wants an error
 * instead of a fault it cannot take: REGION_OK when the page is present
 * now (it stays so until the region's next fault or purge), else why not:
 * REGION_NO_MEMORY (no frame or page-table page, or a store read refused
 * for now: the page is as it was, try again later), REGION_PAGE_POISONED,
 * REGION_INTEGRITY (poisoned just now), REGION_CORRUPT (bad handle). */
int region_fault_page(struct region *region, uint32_t page);
int region_purge_page(struct region *region, uint32_t page);
int region_protect(struct region *region, unsigned protection);
/* Purge and unmap of the pages [first, first + count): every present page
 * of the range loses its PTE and its TLB entries in rounds of up to
 * REGION_EVICT_BATCH_MAX pages (one shootdown each), then each is sealed
 * (purge) or freed (unmap); pages the operation does not concern (not
 * clear for a purge, unpopulated for an unmap) are skipped. REGION_OK, the
 * first failure (the other pages are still done), or REGION_BAD_ARGUMENT
 * for a range outside the region (nothing done). */
int region_purge_range(struct region *region, uint32_t first, uint32_t count);
int region_unmap_range(struct region *region, uint32_t first, uint32_t count);
/* Sets how many pages a fault with a full clear set evicts at once
 * (1 .. REGION_EVICT_BATCH_MAX; a quarter of the clear limit at most
 * takes effect, at least 1); REGION_BAD_ARGUMENT otherwise. */
int region_set_evict_batch(struct region *region, uint32_t batch);

/* Changes the scheme at run time: the new policy takes over the resident
 * pages, and the new chain seals from now on; pages sealed before are
 * restored with their own chain. A change to a chain with a cipher first
 * moves every page sealed by a chain without one to the new chain. REGION_BAD_SCHEME when the text does not
 * parse, REGION_NO_SPACE when REGION_SCHEMES_MAX chains still hold pages. */
int region_set_scheme(struct region *region, const char *scheme);
/*
 * As region_set_scheme, and the new chain seals into store (not NULL: the
 * store swap of docs/live-swap.md) instead of the current slot's store:
 * the region owns store from REGION_OK on (the caller keeps it on any
 * error). Pages sealed into the older stores are read from there until
 * the migration (or a fault) moves them; a store the region owns is
 * destroyed, counted in stores_retired, once no slot that holds pages or
 * seals uses it. REGION_BUSY when the region owns REGION_SCHEMES_MAX
 * stores already.
 */
int region_set_scheme_store(struct region *region, const char *scheme,
			    struct store *store);
/* The store of slot's sealed copies (region lock held, or a stable slot). */
static inline struct store *region_slot_store(const struct region *region,
					      unsigned slot)
{
	return region->slot_stores[slot];
}
/* Every chain holding pages (and the sealing one), as
 * "SCHEME(sealing)=N,SCHEME=N"; *unencrypted: pages sealed by chains
 * without a cipher (a region is confidential only when it is 0 and the
 * sealing chain has a cipher). */
void region_chains(struct region *region, char *buffer, size_t size,
		   uint32_t *unencrypted);
/* The scheme now sealing, as text. */
void region_scheme_name(struct region *region, char *buffer, size_t size);

enum region_page_state region_page_state(struct region *region, uint32_t page);
/* Adds the event counters of add to sum (the sizes of now are left out:
 * sealed, clear and poisoned pages, bytes stored). */
void region_stats_add(struct region_stats *sum, const struct region_stats *add);
/* Adds the group add to sum as a later or concurrent one: counts summed,
 * the peak the larger of the two. */
void region_group_add(struct region_group *sum, const struct region_group *add);
/* The counters of group now, each read atomically (its members' regions
 * change them as they run): for a reader outside every member's lock. */
void region_group_snapshot(const struct region_group *group,
			   struct region_group *out);
void region_get_stats(struct region *region, struct region_stats *stats);
/* The record of a page (page < region->pages). */
static inline struct region_page *region_page_record(struct region *region,
						     uint32_t page)
{
	return &region->records[page];
}

static inline void *region_page_address(const struct region *region,
					uint32_t page)
{
	return (void *)(region->base + (uintptr_t)page * 4096u);
}

/* Serves a fault on page of region for its owner when that owner is not
 * the region area's (a process's mappings): FAULT_HANDLED once the page
 * is present (a write to a page shared copy-on-write: once it has a frame
 * of its own, writable), FAULT_RETRY when it was already (another path
 * mapped it), FAULT_ERROR with *reason when it cannot be brought back;
 * *result is the region's result (REGION_NO_MEMORY: no frame, page-table
 * page or store read now). The owner has checked that the region's
 * mapping allows access. Traced as region_handle_fault is. */
enum fault_response region_serve_fault(struct region *region, uint32_t page,
				       enum fault_access access,
				       const char **reason, int *result);

/* Calls fn for each region (registry order), under the registry lock. */
void region_for_each(void (*fn)(struct region *region, void *arg), void *arg);
/*
 * Up to max of the regions registered now, in regions[], each held: it is
 * not freed until region_release_held, so a caller may change it with
 * calls that sleep (a scheme change, a migration wait) while its owner
 * tries to destroy it (region_destroy then waits). Returns how many.
 */
unsigned region_hold_all(struct region **regions, unsigned max);
/* Drops the holds region_hold_all took. */
void region_release_held(struct region **regions, unsigned count);
void region_print(struct region *region);

#endif
