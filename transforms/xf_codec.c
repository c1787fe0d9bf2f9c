/*
 * The codec transforms: codec_seal restricted to one codec (or all of them
 * for "adaptive", same-filled or dense for "dense") behind struct xf_ops.
 * Encoders need about 45 KiB of scratch, too much for a kernel stack, so
 * each CPU has its own workspace; seal runs with interrupts off
 * (transforms/xf.h), so the CPU's workspace cannot be reentered while in
 * use.
 */
#include <string.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/panic.h"
#include "transforms/codec.h"
#include "transforms/xf_codec.h"

/* Per-CPU scratch, indexed by cpu_current(); owned by the running seal.
 * Allocated by xf_codec_cpu_prepare before the CPU runs; each pointer is
 * written once. */
static struct codec_workspace *xf_codec_workspaces[CONFIG_MAX_CPUS];

bool xf_codec_cpu_prepare(unsigned cpu)
{
	struct codec_workspace *workspace;

	if (cpu >= CONFIG_MAX_CPUS)
		return false;
	if (__atomic_load_n(&xf_codec_workspaces[cpu], __ATOMIC_ACQUIRE))
		return true;
	workspace = cpu_memory_alloc(sizeof(*workspace));
	if (!workspace)
		return false;
	__atomic_store_n(&xf_codec_workspaces[cpu], workspace, __ATOMIC_RELEASE);
	return true;
}

/* The running CPU's workspace; it must have been prepared. */
static struct codec_workspace *xf_codec_workspace(void)
{
	struct codec_workspace *workspace =
		__atomic_load_n(&xf_codec_workspaces[cpu_current()], __ATOMIC_RELAXED);

	KASSERT(workspace != NULL);
	return workspace;
}

static int xf_codec_seal_with(unsigned allowed, const void *in,
			      size_t in_length, void *out,
			      size_t out_capacity, size_t *out_length)
{
	struct codec_workspace *workspace = xf_codec_workspace();

	return codec_seal(workspace, allowed, in, in_length, out, out_capacity,
			  out_length);
}

#define XF_CODEC_SEAL(suffix, allowed)                                         \
	static int xf_codec_seal_##suffix(void *context,                       \
					  const struct xf_page_id *page,        \
					  const void *in, size_t in_length,     \
					  void *out, size_t out_capacity,       \
					  size_t *out_length)                   \
	{                                                                      \
		(void)context;                                                 \
		(void)page;                                                    \
		return xf_codec_seal_with(allowed, in, in_length, out,         \
					  out_capacity, out_length);           \
	}

XF_CODEC_SEAL(samefill, CODEC_ALLOW(CODEC_ID_SAMEFILL))
XF_CODEC_SEAL(wkdm, CODEC_ALLOW(CODEC_ID_WKDM))
XF_CODEC_SEAL(lz4, CODEC_ALLOW(CODEC_ID_LZ4))
XF_CODEC_SEAL(adaptive, CODEC_ALLOW_ALL)
/* dense: a same-filled page is still its word alone */
XF_CODEC_SEAL(dense, CODEC_ALLOW(CODEC_ID_SAMEFILL) | CODEC_ALLOW(CODEC_ID_DENSE))

static int xf_codec_unseal(void *context, const struct xf_page_id *page,
			   const void *in, size_t in_length, void *out,
			   size_t out_capacity, size_t *out_length)
{
	(void)context;
	(void)page;
	return codec_unseal(in, in_length, out, out_capacity, out_length);
}

/* The workspace keeps the adaptive choice's losing candidate and the LZ4
 * table (positions keyed by hashes of the clear bytes): a scheme that
 * encrypts after us asks for it to be wiped after each seal. A transform
 * wipes what its codecs write, not the whole workspace (about 45 KiB):
 * samefill writes nothing there, lz4 only its table (16 KiB). */
static void xf_codec_scrub_all(void *context)
{
	(void)context;
	memset(xf_codec_workspace(), 0, sizeof(struct codec_workspace));
}

static void xf_codec_scrub_lz4(void *context)
{
	struct codec_workspace *workspace = xf_codec_workspace();

	(void)context;
	memset(workspace->lz4_table, 0, sizeof(workspace->lz4_table));
}

#define XF_CODEC_OPS(suffix, scrub_fn)                                         \
	static const struct xf_ops xf_codec_ops_##suffix = {                   \
		.name = #suffix,                                               \
		.in_place = false,                                             \
		.max_growth = CODEC_HEADER_BYTES,                              \
		.seal = xf_codec_seal_##suffix,                                \
		.unseal = xf_codec_unseal,                                     \
		.scrub = scrub_fn,                                             \
	};                                                                     \
	struct xf_transform xf_codec_##suffix = { .ops = &xf_codec_ops_##suffix };

XF_CODEC_OPS(samefill, NULL)
XF_CODEC_OPS(wkdm, xf_codec_scrub_all)
XF_CODEC_OPS(lz4, xf_codec_scrub_lz4)
XF_CODEC_OPS(adaptive, xf_codec_scrub_all)
XF_CODEC_OPS(dense, xf_codec_scrub_all)

void xf_codec_register(void)
{
	/* Already-registered transforms are refused harmlessly. */
	xf_register(&xf_codec_samefill);
	xf_register(&xf_codec_wkdm);
	xf_register(&xf_codec_lz4);
	xf_register(&xf_codec_adaptive);
	xf_register(&xf_codec_dense);
}
