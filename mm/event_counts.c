/*
 * A statistics subscriber: counts every TLB event, per type, over all
 * regions. Small on purpose: docs/tlb-events.md shows it whole as the
 * example of how to write a subscriber.
 */
#include "mm/event_counts.h"
#include "mm/hooks.h"

/* Updated by callbacks on any CPU, read by anyone: atomic counters. */
static uint64_t event_counts[TLB_EVENT_TYPES];

static void count(enum tlb_event_type type)
{
	__atomic_fetch_add(&event_counts[type], 1, __ATOMIC_RELAXED);
}

static void on_map(struct tlb_subscriber *s, struct region *r,
		   uintptr_t address, uint64_t frame)
{
	(void)s, (void)r, (void)address, (void)frame;
	count(TLB_EVENT_MAP);
}

static void on_fault(struct tlb_subscriber *s, struct region *r,
		     uintptr_t address, uint64_t frame)
{
	(void)s, (void)r, (void)address, (void)frame;
	count(TLB_EVENT_FAULT);
}

static void on_evict(struct tlb_subscriber *s, struct region *r,
		     uintptr_t address, uint64_t frame)
{
	(void)s, (void)r, (void)address, (void)frame;
	count(TLB_EVENT_EVICT);
}

static void on_invalidate(struct tlb_subscriber *s, struct region *r,
			  uintptr_t address, uint64_t frame)
{
	(void)s, (void)r, (void)address, (void)frame;
	count(TLB_EVENT_INVALIDATE);
}

static const struct tlb_subscriber_ops event_counts_ops = {
	.name = "event-counts",
	.priority = 100,	/* after subscribers that change pages */
	.on_map = on_map,
	.on_fault = on_fault,
	.on_evict = on_evict,
	.on_invalidate = on_invalidate,
};

static struct tlb_subscriber event_counts_subscriber = {
	.ops = &event_counts_ops,
};

int event_counts_start(void)
{
	return tlb_subscribe(&event_counts_subscriber);
}

int event_counts_stop(void)
{
	return tlb_unsubscribe(&event_counts_subscriber);
}

uint64_t event_counts_get(enum tlb_event_type type)
{
	return __atomic_load_n(&event_counts[type], __ATOMIC_RELAXED);
}
