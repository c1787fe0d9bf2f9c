/*
 * mm/frame.h in the kernel: single frames of pmm_kernel, reached through
 * the direct map.
 */
#include <stdint.h>
#include "kernel/lib/failpoint.h"
#include "mm/direct_map.h"
#include "mm/frame.h"
#include "mm/mm.h"
#include "mm/pmm.h"

_Static_assert(FRAME_BYTES == PMM_FRAME_SIZE, "a frame is a pmm frame");
_Static_assert(FRAME_NONE == PMM_NO_FRAME, "same failure value");

uint64_t frame_alloc(void)
{
	if (FAILPOINT(FAILPOINT_FRAME_ALLOC))
		return FRAME_NONE;
	return pmm_alloc(&pmm_kernel, 0);
}

void frame_free(uint64_t frame)
{
	pmm_free(&pmm_kernel, frame, 0);
}

void *frame_address(uint64_t frame)
{
	return phys_to_virt(frame);
}

uint64_t frame_free_count(void)
{
	struct pmm_stats stats;

	pmm_get_stats(&pmm_kernel, &stats);
	return stats.free_frames;
}
