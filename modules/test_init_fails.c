/*
 * A test module (ktest suite `module`): its init registers a transform
 * and then fails, breaking the contract that a failing init registers
 * nothing; the loader must remove the registration, free the image and
 * report the failure.
 */
#include <stddef.h>
#include "kernel/module/module_abi.h"
#include "transforms/xf.h"

/* Never called: the module is refused before a scheme can name it. */
static int test_init_fails_apply(void *context, const struct xf_page_id *page,
				 const void *in, size_t in_length, void *out,
				 size_t out_capacity, size_t *out_length)
{
	(void)context, (void)page, (void)in, (void)out, (void)out_capacity;
	*out_length = in_length;
	return XF_REFUSED;
}

static const struct xf_ops test_init_fails_ops = {
	.name = "init-fails",
	.seal = test_init_fails_apply,
	.unseal = test_init_fails_apply,
};

static struct xf_transform test_init_fails_transform = {
	.ops = &test_init_fails_ops,
};

static int test_init_fails_init(void)
{
	xf_register(&test_init_fails_transform);
	return -22;
}

MODULE_DEFINE("test_init_fails", test_init_fails_init, 0);
