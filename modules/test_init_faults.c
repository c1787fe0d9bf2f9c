/*
 * A test module (ktest suite `module`): its init registers a transform,
 * then writes through a null pointer. The call guard must catch the fault
 * and the loader refuse the module, remove the registration and free the
 * image, the kernel going on.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/module/module_abi.h"
#include "transforms/xf.h"

static volatile uint64_t *volatile test_init_faults_nowhere = (uint64_t *)0x20;

/* Never called: the module is refused before a scheme can name it. */
static int test_init_faults_apply(void *context, const struct xf_page_id *page,
				  const void *in, size_t in_length, void *out,
				  size_t out_capacity, size_t *out_length)
{
	(void)context, (void)page, (void)in, (void)out, (void)out_capacity;
	*out_length = in_length;
	return XF_REFUSED;
}

static const struct xf_ops test_init_faults_ops = {
	.name = "init-faults",
	.seal = test_init_faults_apply,
	.unseal = test_init_faults_apply,
};

static struct xf_transform test_init_faults_transform = {
	.ops = &test_init_faults_ops,
};

static int test_init_faults_init(void)
{
	xf_register(&test_init_faults_transform);
	*test_init_faults_nowhere = 1;
	return 0;
}

MODULE_DEFINE("test_init_faults", test_init_faults_init, 0);
