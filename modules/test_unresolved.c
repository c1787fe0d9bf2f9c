/*
 * A test module (mm ktest suite `module`): its init calls frame_alloc, a
 * kernel function that exists but is not exported to modules, so the
 * loader must refuse it as an unresolved symbol and allocate nothing.
 */
#include <stdint.h>
#include "kernel/module/module_abi.h"

uint64_t frame_alloc(void);

static int test_unresolved_init(void)
{
	return frame_alloc() == 0 ? -1 : 0;
}

MODULE_DEFINE("test_unresolved", test_unresolved_init, 0);
