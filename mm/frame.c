/*
 * mm/frame.h in the kernel: single frames of pmm_kernel, reached through
 * the direct map.
 */
#include <stdint.h>
#include "kernel/build_config.h"
#include "kernel/lib/failpoint.h"
#include "kernel/lib/spinlock.h"
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

#if CONFIG_KTEST
/* The quarantine (mm/frame.h); the lock protects the four fields below and
 * is a leaf (taken under region, store and allocator callers' locks). */
static struct spinlock frame_quarantine_lock = SPINLOCK_INIT("frame_quarantine");
static bool frame_quarantine_on;	/* also read unlocked, as a hint */
static uint64_t *frame_quarantine_slots;
static uint32_t frame_quarantine_capacity, frame_quarantine_kept;
static uint32_t frame_quarantine_leaked;

bool frame_quarantine_begin(uint64_t *slots, uint32_t capacity)
{
	unsigned long flags = spin_lock_irqsave(&frame_quarantine_lock);
	bool started = !frame_quarantine_on;

	if (started) {
		frame_quarantine_slots = slots;
		frame_quarantine_capacity = capacity;
		frame_quarantine_kept = frame_quarantine_leaked = 0;
		__atomic_store_n(&frame_quarantine_on, true, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&frame_quarantine_lock, flags);
	return started;
}

void frame_quarantine_end(uint32_t *kept, uint32_t *leaked)
{
	unsigned long flags = spin_lock_irqsave(&frame_quarantine_lock);

	__atomic_store_n(&frame_quarantine_on, false, __ATOMIC_RELEASE);
	*kept = frame_quarantine_kept;
	*leaked = frame_quarantine_leaked;
	spin_unlock_irqrestore(&frame_quarantine_lock, flags);
	/* Off now: nobody adds to slots any more, they are ours to free. */
	for (uint32_t i = 0; i < *kept; i++)
		pmm_free(&pmm_kernel, frame_quarantine_slots[i], 0);
}

/* True when the quarantine took the frame (kept or leaked). */
static bool frame_quarantine_take(uint64_t frame)
{
	if (!__atomic_load_n(&frame_quarantine_on, __ATOMIC_ACQUIRE))
		return false;
	unsigned long flags = spin_lock_irqsave(&frame_quarantine_lock);
	bool taken = frame_quarantine_on;

	if (taken && frame_quarantine_kept < frame_quarantine_capacity)
		frame_quarantine_slots[frame_quarantine_kept++] = frame;
	else if (taken)
		frame_quarantine_leaked++;
	spin_unlock_irqrestore(&frame_quarantine_lock, flags);
	return taken;
}
#endif

void frame_free(uint64_t frame)
{
#if CONFIG_KTEST
	if (frame_quarantine_take(frame))
		return;
#endif
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
