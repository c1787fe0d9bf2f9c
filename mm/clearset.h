/*
 * The clear set: Veil's software model of what a TLB may hold for one
 * region. x86 does not report TLB evictions, so the region keeps at most
 * `limit` pages present; a page outside the set is guaranteed to have no
 * present PTE and no TLB entry, and only such a page may be transformed.
 *
 * The clear set owns residency (which pages are in it, how many) and asks
 * the region's replacement policy which page should leave; it checks every
 * answer (a victim is always resident) so that a broken policy is a panic,
 * never a lost page. Not locked itself: the region's lock covers it.
 */
#ifndef VEIL_MM_CLEARSET_H
#define VEIL_MM_CLEARSET_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/policy.h"

struct clearset {
	const struct policy_ops *policy;
	void *policy_state;
	struct policy_env env;
	uint32_t page_count;
	uint32_t limit;		/* pages the set may hold */
	uint32_t resident;	/* pages it holds now (leaving ones included) */
	uint32_t leaving;	/* taken as victims, their PTE not yet changed */
	uint8_t *member;	/* per page: a CLEARSET_* value */
};

/* What member[] says of a page. A LEAVING page is still resident (its PTE
 * is present) but the policy no longer knows it: clearset_take_victims
 * handed it out and clearset_remove or clearset_keep is due before the
 * region's lock is dropped. */
enum {
	CLEARSET_OUT = 0,
	CLEARSET_IN = 1,
	CLEARSET_LEAVING = 2,
};

/* 0 on success, -1 when memory is short or the arguments are unusable. */
int clearset_init(struct clearset *set, const struct policy_ops *policy,
		  const struct policy_env *env, uint32_t page_count,
		  uint32_t limit);
void clearset_destroy(struct clearset *set);

static inline bool clearset_contains(const struct clearset *set, uint32_t page)
{
	return page < set->page_count && set->member[page];
}

/* True while page is LEAVING (taken as a victim, still present). */
static inline bool clearset_leaving(const struct clearset *set, uint32_t page)
{
	return page < set->page_count && set->member[page] == CLEARSET_LEAVING;
}

/* True when admitting one more page needs an eviction first. */
static inline bool clearset_full(const struct clearset *set)
{
	return set->resident >= set->limit;
}

void clearset_admit(struct clearset *set, uint32_t page);
/* A reference seen in software (passed on to the policy). */
void clearset_touch(struct clearset *set, uint32_t page);
/* The policy's victim (resident, still in the set); POLICY_NO_PAGE if empty. */
uint32_t clearset_pick_victim(struct clearset *set);
/*
 * Up to max victims at once, in the order the policy would evict them one
 * by one (each is picked, then removed from the policy, before the next is
 * picked): pages[0..n), returns n (0 when nothing is resident). They stay
 * resident, LEAVING, until their PTE changes (clearset_remove) or the
 * eviction is given up (clearset_keep).
 */
unsigned clearset_take_victims(struct clearset *set, uint32_t *pages,
			       unsigned max);
/* A LEAVING page that stays present after all: the policy admits it again
 * (as a newly admitted page). */
void clearset_keep(struct clearset *set, uint32_t page);
/* The page left the set: evicted (about to be sealed) or dropped. A
 * LEAVING page was already removed from the policy. */
void clearset_remove(struct clearset *set, uint32_t page, bool evicted);
/* Replaces the policy, handing it the resident pages oldest first; -1 (and
 * the old policy kept) when the new one cannot get its memory. No page may
 * be LEAVING. */
int clearset_set_policy(struct clearset *set, const struct policy_ops *policy);
/* Lets the set name pages up to page_count (>= today's), the resident ones
 * handed to a new state of the same policy oldest first; -1 (nothing
 * changed) when memory is short. No page may be LEAVING. */
int clearset_resize(struct clearset *set, uint32_t page_count);

#endif
