/*
 * xf: the transform interface of the TLB event layer. A transform turns the
 * bytes of a page that is about to become non-present into a sealed form
 * (copied, compressed, encrypted ...) and back. Transforms are ops tables
 * registered at run time; a scheme (mm/scheme.h) chains them in order and
 * puts the last output into a page store. The core never names one: codecs
 * and ciphers plug in by registering a struct xf_transform.
 *
 * Chain rules (see docs/tlb-events.md):
 * - seal steps run first to last, unseal steps last to first;
 * - a step's output may be longer than its input by at most max_growth bytes
 *   (a MAC tag, a header), and never longer than XF_BUFFER_BYTES;
 * - an in_place transform accepts out == in; the chain then gives it the
 *   same buffer, which for the first step is the page itself (so a debugging
 *   transform scrambles the page a stale TLB entry would still reach);
 * - unseal must write exactly the length seal read (the whole page for the
 *   first step); anything else is reported as corrupt.
 * Both ops may run on several CPUs at once with interrupts off: they must
 * not sleep and keep per-call state on the stack or in their context.
 */
#ifndef VEIL_TRANSFORMS_XF_H
#define VEIL_TRANSFORMS_XF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XF_PAGE_BYTES 4096u
/* Size of every chain buffer: a page plus room for headers and tags. */
#define XF_BUFFER_BYTES (XF_PAGE_BYTES + 256u)
/* Longest chain a scheme may hold. */
#define XF_CHAIN_MAX 4

/* Results: 0 or a negative code. */
enum xf_result {
	XF_OK        = 0,
	XF_NO_SPACE  = -1,	/* output would not fit out_capacity */
	XF_CORRUPT   = -2,	/* unseal: the input is not a valid sealed form */
	XF_NO_MEMORY = -3,	/* a resource the transform needs is exhausted */
	XF_REFUSED   = -4,	/* the transform declines this page (not an error of the data) */
	XF_FAULTED   = -5,	/* its code took an exception (a loaded module's,
				 * caught by the call guard below); the input
				 * is as it was, in place or not */
};

/* Which page is being sealed: ciphers bind it into the tweak, the debugging
 * transform into its pattern. */
struct xf_page_id {
	uint64_t region_id;
	uint64_t page_index;
};

/* Counters of one registered transform; updated atomically (many CPUs). */
struct xf_stats {
	uint64_t seals;
	uint64_t unseals;
	uint64_t bytes_in;	/* seal input bytes */
	uint64_t bytes_out;	/* seal output bytes */
	uint64_t errors;	/* seal or unseal calls that failed */
};

struct xf_ops {
	const char *name;
	/* Accepts out == in (the chain then passes one buffer). */
	bool in_place;
	/* Upper bound of output length minus input length. */
	unsigned max_growth;
	/* Output reveals nothing of the input but its length (a cipher): a
	 * scheme refuses a non-cipher step after one, and a scheme holding
	 * one wipes the clear bytes its buffers held (mm/scheme.c). */
	bool cipher;
	/*
	 * Reads in_length bytes at in, writes *out_length bytes at out (at
	 * most out_capacity). Returns XF_OK or a negative xf_result; on
	 * failure the output is undefined and the input unchanged unless
	 * in == out (the chain then undoes the earlier in-place steps).
	 */
	int (*seal)(void *context, const struct xf_page_id *page,
		    const void *in, size_t in_length, void *out,
		    size_t out_capacity, size_t *out_length);
	int (*unseal)(void *context, const struct xf_page_id *page,
		      const void *in, size_t in_length, void *out,
		      size_t out_capacity, size_t *out_length);
	/* Optional: wipes this CPU's scratch that may still hold bytes of
	 * the page (a codec's trial output). Schemes with a cipher call it
	 * after each seal, so no clear copy outlives the sealing. */
	void (*scrub)(void *context);
};

/* One registered transform: its ops, private context and statistics. The
 * owner keeps it alive while registered. */
struct xf_transform {
	const struct xf_ops *ops;
	void *context;
	struct xf_stats stats;
	struct xf_transform *next;	/* registry link, owned by xf.c */
};

/* Adds a transform to the registry; -1 when the name is already taken. */
int xf_register(struct xf_transform *transform);
void xf_unregister(struct xf_transform *transform);
/* By name; NULL if none is registered under it. */
struct xf_transform *xf_lookup(const char *name);
/* Calls fn for each registered transform in registration order. */
void xf_for_each(void (*fn)(struct xf_transform *transform, void *arg),
		 void *arg);
/* Registers the transforms of this file set (identity, xor-debug); safe to
 * call more than once. */
void xf_register_builtin(void);

/* Called by the chain: runs one step and keeps the statistics. */
int xf_seal(struct xf_transform *transform, const struct xf_page_id *page,
	    const void *in, size_t in_length, void *out, size_t out_capacity,
	    size_t *out_length);
int xf_unseal(struct xf_transform *transform, const struct xf_page_id *page,
	      const void *in, size_t in_length, void *out, size_t out_capacity,
	      size_t *out_length);
void xf_get_stats(const struct xf_transform *transform, struct xf_stats *stats);

const char *xf_result_name(int result);

/*
 * A guard around calls into transform code that may fault (loaded modules,
 * kernel/module/module_guard.c): when covers(fn) says so, xf_seal and
 * xf_unseal call the step through call, which runs it, catches an
 * exception it takes, restores its input and returns XF_FAULTED. Set once
 * (the first module load); NULL (host builds, no modules): direct calls.
 */
typedef int (*xf_step_fn)(void *context, const struct xf_page_id *page,
			  const void *in, size_t in_length, void *out,
			  size_t out_capacity, size_t *out_length);
struct xf_call_guard {
	bool (*covers)(xf_step_fn fn);
	int (*call)(const struct xf_transform *transform, xf_step_fn fn,
		    bool sealing, const struct xf_page_id *page, const void *in,
		    size_t in_length, void *out, size_t out_capacity,
		    size_t *out_length);
};
void xf_set_call_guard(const struct xf_call_guard *guard);

/* The transforms of this layer (transforms/xf_identity.c, xf_xor.c). */
extern struct xf_transform xf_identity;
extern struct xf_transform xf_xor_debug;

/* The XOR pattern word number `word` of a page: exposed so that tests can
 * tell a scrambled page from a clear one. */
uint64_t xf_xor_pattern(const struct xf_page_id *page, size_t word);

#endif
