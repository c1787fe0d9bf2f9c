/*
 * A scheme: what happens to a region's pages when they leave the clear
 * set. A replacement policy (which page leaves) and an ordered chain of
 * transforms (what is done to it), e.g. "clock: adaptive, aes128-xts".
 * Sealing runs the chain first to last and returns the last output, which
 * the region puts into its page store; unsealing runs it last to first.
 *
 * Tiers: one step of the chain may name a fast codec and a dense one,
 * "FAST>DENSE" (e.g. "clock:adaptive>dense,aes128-xts-mac"). The scheme
 * seals with the fast codec; its dense chain (scheme_dense_tier: the same
 * chain with DENSE in that step) is the one pages that stay sealed long
 * are moved to (mm/region_tier.h). Both sides must be non-cipher steps.
 *
 * The chain works in per-CPU buffers: callers run it with interrupts off
 * (the region's lock is an irqsave lock), so a CPU's buffers have one user.
 */
#ifndef VEIL_MM_SCHEME_H
#define VEIL_MM_SCHEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mm/policy.h"
#include "transforms/xf.h"

struct scheme {
	const struct policy_ops *policy;
	unsigned length;	/* transforms in the chain, 0..XF_CHAIN_MAX */
	struct xf_transform *chain[XF_CHAIN_MAX];
	/* Tiers: the dense codec for step tier_step, or NULL (no tiers). */
	struct xf_transform *tier_dense;
	uint8_t tier_step;
	/* This chain is the dense tier of a tiered scheme (made by
	 * scheme_dense_tier): a region seals into it only by age. */
	bool dense_tier;
};

/* Results beyond xf_result's: */
#define SCHEME_BAD_NAME (-20)	/* an unknown policy or transform name */
#define SCHEME_BAD_ORDER (-21)	/* a cipher before a codec (never useful) */
#define SCHEME_BAD_TIER (-22)	/* "A>B" with a cipher or nothing on a side,
				 * or more than one '>' */

/*
 * Builds a scheme from text: "POLICY" or "POLICY:XF[,XF...]" (for example
 * "clock:adaptive,aes128-xts"). Names are looked up in the policy and
 * transform registries. Returns 0 or a negative result; *scheme is left
 * unchanged on failure.
 */
int scheme_parse(const char *text, struct scheme *scheme);
/* Whether a step of the chain is a cipher (struct xf_ops.cipher): the
 * chain then wipes its clear intermediates, and the region its frames. */
bool scheme_confidential(const struct scheme *scheme);
/* Whether two chains run the same transform objects in the same order:
 * the same keys (a key rotation's new cipher instances differ), whatever
 * the policies. */
bool scheme_same_chain(const struct scheme *a, const struct scheme *b);
/* Writes the scheme as scheme_parse reads it. */
void scheme_format(const struct scheme *scheme, char *buffer, size_t size);
/* Whether the scheme names a dense tier ("FAST>DENSE"). */
bool scheme_tiered(const struct scheme *scheme);
/* The dense chain of a tiered scheme: the same policy and chain with the
 * dense codec in the tiered step, marked dense_tier, without tiers of its
 * own. The scheme must be tiered. */
void scheme_dense_tier(const struct scheme *scheme, struct scheme *dense);

/* Allocates CPU cpu's chain buffers (cpu_memory_alloc); true when it has
 * them. mm_cpu_prepare calls it before the CPU runs; scheme_seal and
 * scheme_unseal may run only on prepared CPUs. */
bool scheme_cpu_prepare(unsigned cpu);
/* Wipes the running CPU's chain buffers, the last seal's output included
 * (ciphertext, kept by scheme_seal): a key rotation does it on every CPU,
 * interrupts off, before the old key is retired (mm/region_rekey.c). */
void scheme_cpu_wipe(void);

/*
 * Seals the page (XF_PAGE_BYTES at page). On success *sealed points at the
 * result (a per-CPU buffer, or the page itself when every step works in
 * place) and *sealed_length is its length. In-place steps change the page;
 * on failure they are undone, so the page is as it was.
 */
int scheme_seal(const struct scheme *scheme, const struct xf_page_id *id,
		void *page, const void **sealed, size_t *sealed_length);
/*
 * Restores a page from its sealed bytes into page (XF_PAGE_BYTES). Returns
 * XF_CORRUPT when any step finds the bytes malformed or tampered with; the
 * page's content is then undefined.
 */
int scheme_unseal(const struct scheme *scheme, const struct xf_page_id *id,
		  const void *sealed, size_t sealed_length, void *page);

#endif
