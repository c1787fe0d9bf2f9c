/*
 * Replacement policies of the clear set: which present page of a region
 * stops being present when the region admits one more than its limit.
 * Each policy is an ops table; a region names one in its scheme and may
 * switch at run time (mm/clearset.c migrates the resident pages).
 *
 * Pages are named by their index in the region (0 .. page_count-1). The
 * policy owns only its bookkeeping; the clear set (mm/clearset.h) owns the
 * residency itself, calls the policy under the region's lock, and checks
 * what it answers. Policies: FIFO, CLOCK (second chance on the Accessed
 * bit) and 2Q (scan-resistant: a FIFO probation queue, a ghost queue of
 * recently evicted pages, and a CLOCK main set for pages seen twice).
 */
#ifndef VEIL_MM_POLICY_H
#define VEIL_MM_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "No page": pick_victim's answer for an empty set. */
#define POLICY_NO_PAGE UINT32_MAX

/* What a policy gets from its region: memory and the reference bits. */
struct policy_env {
	/* Zeroed memory for the policy's tables; NULL when none is left. */
	void *(*alloc)(void *context, size_t bytes);
	void (*free)(void *context, void *memory, size_t bytes);
	/*
	 * Reads and clears the page's referenced bit (in the kernel, the PTE's
	 * Accessed bit through vmm_test_and_clear_accessed, which also
	 * invalidates the TLB entry so the next access sets it again).
	 */
	bool (*test_and_clear_referenced)(void *context, uint32_t page);
	void *context;
};

struct policy_ops {
	const char *name;
	/* Per-region state for pages 0..page_count-1 and a clear-set limit;
	 * NULL when memory is short. */
	void *(*init)(const struct policy_env *env, uint32_t page_count,
		      uint32_t limit);
	void (*destroy)(void *state);
	/* The page became present (it was not resident). */
	void (*admit)(void *state, uint32_t page);
	/* A reference the kernel saw in software (a fault on a present page,
	 * an explicit touch); may be NULL. */
	void (*touch)(void *state, uint32_t page);
	/* The page that should leave next; it stays resident until remove. */
	uint32_t (*pick_victim)(void *state);
	/* The page left the set: evicted (sealed) or dropped (unmapped). */
	void (*remove)(void *state, uint32_t page, bool evicted);
	/* Visits the resident pages, those leaving soonest first. */
	void (*walk)(void *state, void (*fn)(void *arg, uint32_t page),
		     void *arg);
};

extern const struct policy_ops policy_fifo;
extern const struct policy_ops policy_clock;
extern const struct policy_ops policy_2q;

/* Every built-in policy, NULL-terminated; and the one of a name, built in
 * or registered (NULL if unknown). */
extern const struct policy_ops *const policy_all[];
const struct policy_ops *policy_lookup(const char *name);

/* Policies added at run time (loadable modules, kernel/module/): at most
 * POLICY_REGISTERED_MAX at once. register: 0, or -1 when the name is
 * taken, an op is missing or the table is full; the owner keeps ops alive
 * until unregister. for_each_registered visits a snapshot, unlocked. */
#define POLICY_REGISTERED_MAX 8u
int policy_register(const struct policy_ops *ops);
void policy_unregister(const struct policy_ops *ops);
void policy_for_each_registered(void (*fn)(const struct policy_ops *ops, void *arg),
				void *arg);

#endif
