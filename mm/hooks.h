/*
 * Hooks of the TLB event layer: subscribers are told of the four events in
 * the life of a mapping of a transformed region.
 *   MAP        a PTE became present (the page is in clear form);
 *   FAULT      an access hit a non-present page: called after the page was
 *              restored into its new frame, before that frame is mapped;
 *   EVICT      a page left the clear set: its PTE is non-present and its TLB
 *              entry invalidated, the frame still holds the clear content and
 *              is about to be sealed;
 *   INVALIDATE an explicit purge (unmap, protection change, destroy): called
 *              after the invalidation, before the frame is freed or sealed.
 * Each subscriber is an ops table (in the manner of Linux's mmu_notifier);
 * subscribers run in ascending priority, equal priorities in registration
 * order, with interrupts off and the region's lock held: they must not
 * sleep, fault on the region, or (un)subscribe from inside a callback.
 *
 * CONFIG_TLB_HOOKS (make TLB_HOOKS=0|1, default 1): with 0 every hook site
 * below is an empty inline function and no dispatch code exists; with 1 and
 * no subscriber a hook site is one load and one branch predicted not taken.
 *
 * Locking: tlb_hooks_lock serialises (un)subscription. The subscriber list
 * is an array published by pointer (copy on change, two buffers): dispatch
 * reads it without a lock, inside a per-CPU reader count. A writer builds
 * the new array in the idle buffer, publishes it, then waits until no other
 * CPU is inside a dispatch, so the old buffer (and a removed subscriber) is
 * unused when the call returns. A cheap grace period, not RCU: dispatches
 * are short and run with interrupts off, so the wait is short too.
 */
#ifndef VEIL_MM_HOOKS_H
#define VEIL_MM_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

#ifndef CONFIG_TLB_HOOKS
#define CONFIG_TLB_HOOKS 1
#endif

struct region;

enum tlb_event_type {
	TLB_EVENT_MAP = 0,
	TLB_EVENT_FAULT,
	TLB_EVENT_EVICT,
	TLB_EVENT_INVALIDATE,
	TLB_EVENT_TYPES,
};

/* The most subscribers registered at once. */
#define TLB_HOOKS_MAX 16

/* Results of (un)subscription. */
enum tlb_hooks_result {
	TLB_HOOKS_OK       = 0,
	TLB_HOOKS_FULL     = -1,	/* TLB_HOOKS_MAX already registered */
	TLB_HOOKS_EXISTS   = -2,	/* this subscriber is registered */
	TLB_HOOKS_UNKNOWN  = -3,	/* unsubscribe: not registered */
	TLB_HOOKS_BUSY     = -4,	/* called from inside a callback */
	TLB_HOOKS_DISABLED = -5,	/* built with CONFIG_TLB_HOOKS=0 */
	TLB_HOOKS_INVALID  = -6,	/* no ops or no name */
};

struct tlb_subscriber;

/* Every callback may be NULL (that event is not wanted). `frame` is the
 * physical address of the page's frame. */
typedef void (*tlb_hook_fn)(struct tlb_subscriber *subscriber,
			    struct region *region, uintptr_t address,
			    uint64_t frame);

struct tlb_subscriber_ops {
	const char *name;
	int priority;			/* lower runs first */
	tlb_hook_fn on_map;
	tlb_hook_fn on_fault;
	tlb_hook_fn on_evict;
	tlb_hook_fn on_invalidate;
};

/* One subscriber: its ops and the owner's data. Stays valid until
 * tlb_unsubscribe returns. */
struct tlb_subscriber {
	const struct tlb_subscriber_ops *ops;
	void *private_data;
};

int tlb_subscribe(struct tlb_subscriber *subscriber);
int tlb_unsubscribe(struct tlb_subscriber *subscriber);
/* Subscribers registered now. */
unsigned tlb_subscriber_count(void);
const char *tlb_event_name(enum tlb_event_type type);
const char *tlb_hooks_result_name(int result);

#if CONFIG_TLB_HOOKS

/* Non-zero while at least one subscriber is registered. */
extern int tlb_hooks_active;

void tlb_hooks_dispatch(enum tlb_event_type type, struct region *region,
			uintptr_t address, uint64_t frame);

static inline void tlb_hook_event(enum tlb_event_type type,
				  struct region *region, uintptr_t address,
				  uint64_t frame)
{
	if (__builtin_expect(__atomic_load_n(&tlb_hooks_active,
					     __ATOMIC_RELAXED), 0))
		tlb_hooks_dispatch(type, region, address, frame);
}

#else

static inline void tlb_hook_event(enum tlb_event_type type,
				  struct region *region, uintptr_t address,
				  uint64_t frame)
{
	(void)type;
	(void)region;
	(void)address;
	(void)frame;
}

#endif

/* The hook sites. */
static inline void tlb_hook_map(struct region *region, uintptr_t address,
				uint64_t frame)
{
	tlb_hook_event(TLB_EVENT_MAP, region, address, frame);
}

static inline void tlb_hook_fault(struct region *region, uintptr_t address,
				  uint64_t frame)
{
	tlb_hook_event(TLB_EVENT_FAULT, region, address, frame);
}

static inline void tlb_hook_evict(struct region *region, uintptr_t address,
				  uint64_t frame)
{
	tlb_hook_event(TLB_EVENT_EVICT, region, address, frame);
}

static inline void tlb_hook_invalidate(struct region *region,
				       uintptr_t address, uint64_t frame)
{
	tlb_hook_event(TLB_EVENT_INVALIDATE, region, address, frame);
}

#endif
