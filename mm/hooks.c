/*
 * Subscriber registry and dispatch of the TLB event hooks (see mm/hooks.h
 * for the events, the ordering and the locking scheme). With
 * CONFIG_TLB_HOOKS=0 only the registration calls exist, and they refuse.
 */
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/spinlock.h"
#include "mm/hooks.h"

const char *tlb_event_name(enum tlb_event_type type)
{
	static const char *const names[TLB_EVENT_TYPES] = {
		[TLB_EVENT_MAP] = "MAP",
		[TLB_EVENT_FAULT] = "FAULT",
		[TLB_EVENT_EVICT] = "EVICT",
		[TLB_EVENT_INVALIDATE] = "INVALIDATE",
	};

	return (unsigned)type < TLB_EVENT_TYPES ? names[type] : "UNKNOWN";
}

const char *tlb_hooks_result_name(int result)
{
	switch (result) {
	case TLB_HOOKS_OK:
		return "ok";
	case TLB_HOOKS_FULL:
		return "too many subscribers";
	case TLB_HOOKS_EXISTS:
		return "already subscribed";
	case TLB_HOOKS_UNKNOWN:
		return "not subscribed";
	case TLB_HOOKS_BUSY:
		return "called from a hook callback";
	case TLB_HOOKS_DISABLED:
		return "hooks compiled out (CONFIG_TLB_HOOKS=0)";
	case TLB_HOOKS_INVALID:
		return "subscriber without ops or name";
	default:
		return "unknown result";
	}
}

#if CONFIG_TLB_HOOKS

struct tlb_hook_table {
	unsigned count;
	struct tlb_subscriber *entries[TLB_HOOKS_MAX];
};

/* Serialises writers; protects tlb_hook_tables (the buffer not published)
 * and the writes of tlb_hook_current and tlb_hooks_active. */
static struct spinlock tlb_hooks_lock = SPINLOCK_INIT("tlb_hooks");
static struct tlb_hook_table tlb_hook_tables[2];
/* The published table; read without a lock by dispatch. */
static struct tlb_hook_table *tlb_hook_current = &tlb_hook_tables[0];
int tlb_hooks_active;

/* Per CPU: how deep this CPU is inside dispatch (0 outside). On its own
 * cache line so that CPUs do not share one. */
static struct {
	unsigned depth;
	char pad[60];
} tlb_hook_readers[CONFIG_MAX_CPUS] __attribute__((aligned(64)));

void tlb_hooks_dispatch(enum tlb_event_type type, struct region *region,
			uintptr_t address, uint64_t frame)
{
	unsigned long flags = irq_save();
	unsigned cpu = cpu_current();
	struct tlb_hook_table *table;

	/* The increment must be visible before the table is read: a writer
	 * that sees depth 0 knows this CPU holds no old table. */
	__atomic_fetch_add(&tlb_hook_readers[cpu].depth, 1, __ATOMIC_SEQ_CST);
	table = __atomic_load_n(&tlb_hook_current, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < table->count; i++) {
		struct tlb_subscriber *subscriber = table->entries[i];
		const struct tlb_subscriber_ops *ops = subscriber->ops;
		tlb_hook_fn fn;

		switch (type) {
		case TLB_EVENT_MAP:
			fn = ops->on_map;
			break;
		case TLB_EVENT_FAULT:
			fn = ops->on_fault;
			break;
		case TLB_EVENT_EVICT:
			fn = ops->on_evict;
			break;
		case TLB_EVENT_INVALIDATE:
			fn = ops->on_invalidate;
			break;
		default:
			fn = 0;
			break;
		}
		if (fn)
			fn(subscriber, region, address, frame);
	}
	__atomic_fetch_sub(&tlb_hook_readers[cpu].depth, 1, __ATOMIC_RELEASE);
	irq_restore(flags);
}

/* Publishes `next` and waits until no CPU can still read the old table. */
static void tlb_hooks_publish(struct tlb_hook_table *next, unsigned self)
{
	__atomic_store_n(&tlb_hook_current, next, __ATOMIC_SEQ_CST);
	__atomic_store_n(&tlb_hooks_active, next->count != 0, __ATOMIC_SEQ_CST);
	for (unsigned cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++) {
		if (cpu == self)
			continue;
		while (__atomic_load_n(&tlb_hook_readers[cpu].depth,
				       __ATOMIC_ACQUIRE))
			__builtin_ia32_pause();
	}
}

static struct tlb_hook_table *tlb_hooks_idle_table(void)
{
	return tlb_hook_current == &tlb_hook_tables[0] ? &tlb_hook_tables[1] :
							 &tlb_hook_tables[0];
}

/* Builds the new table from the published one (or refuses with a result). */
typedef int (*tlb_hooks_builder)(const struct tlb_hook_table *old,
				 struct tlb_hook_table *next,
				 struct tlb_subscriber *subscriber);

/* A change of the subscriber list: build under the writers' lock, then
 * publish. Refused from inside a callback, where this CPU is a reader. */
static int tlb_hooks_change(struct tlb_subscriber *subscriber,
			    tlb_hooks_builder build)
{
	unsigned long flags = spin_lock_irqsave(&tlb_hooks_lock);
	unsigned self = cpu_current();
	struct tlb_hook_table *next = tlb_hooks_idle_table();
	int result = TLB_HOOKS_BUSY;

	if (!tlb_hook_readers[self].depth)
		result = build(tlb_hook_current, next, subscriber);
	if (result == TLB_HOOKS_OK)
		tlb_hooks_publish(next, self);
	spin_unlock_irqrestore(&tlb_hooks_lock, flags);
	return result;
}

/* The table with subscriber added: sorted by priority, a newcomer after
 * its equals. */
static int tlb_hooks_build_with(const struct tlb_hook_table *old,
				struct tlb_hook_table *next,
				struct tlb_subscriber *subscriber)
{
	unsigned out = 0;
	bool placed = false;

	if (old->count == TLB_HOOKS_MAX)
		return TLB_HOOKS_FULL;
	for (unsigned i = 0; i < old->count; i++) {
		if (old->entries[i] == subscriber)
			return TLB_HOOKS_EXISTS;
	}
	for (unsigned i = 0; i < old->count; i++) {
		if (!placed &&
		    subscriber->ops->priority < old->entries[i]->ops->priority) {
			next->entries[out++] = subscriber;
			placed = true;
		}
		next->entries[out++] = old->entries[i];
	}
	if (!placed)
		next->entries[out++] = subscriber;
	next->count = out;
	return TLB_HOOKS_OK;
}

static int tlb_hooks_build_without(const struct tlb_hook_table *old,
				   struct tlb_hook_table *next,
				   struct tlb_subscriber *subscriber)
{
	unsigned out = 0;

	for (unsigned i = 0; i < old->count; i++) {
		if (old->entries[i] != subscriber)
			next->entries[out++] = old->entries[i];
	}
	if (out == old->count)
		return TLB_HOOKS_UNKNOWN;
	next->count = out;
	return TLB_HOOKS_OK;
}

int tlb_subscribe(struct tlb_subscriber *subscriber)
{
	if (!subscriber || !subscriber->ops || !subscriber->ops->name)
		return TLB_HOOKS_INVALID;
	return tlb_hooks_change(subscriber, tlb_hooks_build_with);
}

int tlb_unsubscribe(struct tlb_subscriber *subscriber)
{
	return tlb_hooks_change(subscriber, tlb_hooks_build_without);
}

unsigned tlb_subscriber_count(void)
{
	return __atomic_load_n(&tlb_hook_current, __ATOMIC_ACQUIRE)->count;
}

#else /* !CONFIG_TLB_HOOKS */

int tlb_subscribe(struct tlb_subscriber *subscriber)
{
	(void)subscriber;
	return TLB_HOOKS_DISABLED;
}

int tlb_unsubscribe(struct tlb_subscriber *subscriber)
{
	(void)subscriber;
	return TLB_HOOKS_DISABLED;
}

unsigned tlb_subscriber_count(void)
{
	return 0;
}

#endif
