/*
 * A test module (ktest suite `module`): a transform "faults" whose seal
 * scribbles over the first half of the page in place and then reads
 * through a null pointer. The call guard (kernel/module/module_guard.c)
 * must catch the page fault, report it, put the page back as it was and
 * fail the seal, so that the page stays clear and intact.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/module/module_abi.h"
#include "transforms/xf.h"

/* Where the seal reads: nothing is mapped at the bottom of memory. */
static const volatile uint64_t *volatile test_faults_nowhere = (const uint64_t *)0x18;

static int test_faults_seal(void *context, const struct xf_page_id *page,
			    const void *in, size_t in_length, void *out,
			    size_t out_capacity, size_t *out_length)
{
	uint8_t *bytes = out;

	(void)context, (void)page, (void)in, (void)out_capacity;
	for (size_t i = 0; i < in_length / 2; i++)
		bytes[i] ^= 0xa5;
	*out_length = in_length + *test_faults_nowhere;
	return XF_OK;
}

static int test_faults_unseal(void *context, const struct xf_page_id *page,
			      const void *in, size_t in_length, void *out,
			      size_t out_capacity, size_t *out_length)
{
	(void)context, (void)page, (void)in, (void)out, (void)out_capacity;
	*out_length = in_length;
	return XF_CORRUPT;	/* never sealed anything */
}

static const struct xf_ops test_faults_ops = {
	.name = "faults",
	.in_place = true,
	.seal = test_faults_seal,
	.unseal = test_faults_unseal,
};

static struct xf_transform test_faults_transform = {
	.ops = &test_faults_ops,
};

static int test_faults_init(void)
{
	return xf_register(&test_faults_transform) == 0 ? 0 : -1;
}

static void test_faults_exit(void)
{
	xf_unregister(&test_faults_transform);
}

MODULE_DEFINE("test_faults", test_faults_init, test_faults_exit);
