/*
 * The identity transform: the sealed form is the page itself. A scheme whose
 * chain is just this copies pages to the store unchanged; it is the baseline
 * for the fault-path cost and for the stress tests.
 */
#include <string.h>
#include "transforms/xf.h"

static int xf_identity_copy(void *context, const struct xf_page_id *page,
			    const void *in, size_t in_length, void *out,
			    size_t out_capacity, size_t *out_length)
{
	(void)context;
	(void)page;
	if (in_length > out_capacity)
		return XF_NO_SPACE;
	if (out != in)
		memcpy(out, in, in_length);
	*out_length = in_length;
	return XF_OK;
}

static const struct xf_ops xf_identity_ops = {
	.name = "identity",
	.in_place = true,
	.max_growth = 0,
	.seal = xf_identity_copy,
	.unseal = xf_identity_copy,
};

struct xf_transform xf_identity = { .ops = &xf_identity_ops };
