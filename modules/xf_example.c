/*
 * The example module: a transform "xor-offset" that XORs each byte of a
 * page with a byte derived from its offset in the page and the page's
 * index, so that a sealed page differs from the clear one at every offset
 * (a scrambler for demonstrations and tests, not a cipher: it claims no
 * secrecy, so a scheme may put a codec after it). Built by mk/module.mk as
 * a relocatable object and carried in the test initramfs at
 * /lib/modules/xf_example.o; `modload xf_example` loads it.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/module/module_abi.h"
#include "transforms/xf.h"

/* The byte XORed at offset of the page with index page_index. */
static uint8_t xf_example_pad(uint64_t page_index, size_t offset)
{
	return (uint8_t)(offset * 131u + (offset >> 8) + page_index * 29u + 0x5a);
}

/* Seal and unseal are the same involution; in may equal out. */
static int xf_example_apply(void *context, const struct xf_page_id *page,
			    const void *in, size_t in_length, void *out,
			    size_t out_capacity, size_t *out_length)
{
	const uint8_t *source = in;
	uint8_t *target = out;

	(void)context;
	if (in_length > out_capacity)
		return XF_NO_SPACE;
	for (size_t i = 0; i < in_length; i++)
		target[i] = source[i] ^ xf_example_pad(page->page_index, i);
	*out_length = in_length;
	return XF_OK;
}

static const struct xf_ops xf_example_ops = {
	.name = "xor-offset",
	.in_place = true,
	.max_growth = 0,
	.cipher = false,
	.seal = xf_example_apply,
	.unseal = xf_example_apply,
};

static struct xf_transform xf_example_transform = {
	.ops = &xf_example_ops,
};

/* Registers the transform; fails when the name is taken. */
static int xf_example_init(void)
{
	return xf_register(&xf_example_transform) == 0 ? 0 : -1;
}

static void xf_example_exit(void)
{
	xf_unregister(&xf_example_transform);
}

MODULE_DEFINE("xf_example", xf_example_init, xf_example_exit);
