/*
 * Background compaction of page stores (kernel only; host tests drive
 * store_compact_wanted/store_compact from a thread of their own). One
 * kernel thread per store, started by store_compactd_start (for the
 * default store, at boot by region_boot): it sleeps on a wait queue until
 * the store says a free found its wasted space past the threshold
 * (store_compact_wanted), then compacts, one class step at a time under
 * the store's own locks. The store's statistics count the requests and
 * the runs that answered them (compaction_requests, compactions_auto).
 *
 * The wakeup is deferred: the free that asks runs on the fault path, with
 * interrupts off and region and store locks held, where taking the wait
 * queue's lock would join their lock order. The store calls
 * store_compactd_notify, which only posts a wake_request
 * (kernel/sched/wait.h); the next timer tick wakes the thread. An idle
 * store costs nothing: no thread wakes until a free asks.
 *
 * Locking: store_compactd_lock protects the entries' claiming and freeing;
 * each entry's queue lock protects nothing but its waiters (the condition
 * is read with atomics). Neither is held while the other is taken.
 */
#include <stddef.h>
#include "kernel/lib/failpoint.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"
#include "mm/store.h"

#define STORE_COMPACTD_MAX 4u

struct store_compactd {
	struct store *store;	/* NULL: the entry is free */
	struct thread *thread;
	bool stop;		/* atomic: the thread ends at its next look */
	bool ready;		/* queue and wake set up (once, never again:
				 * a post may still be on the tick's list) */
	struct wait_queue queue;	/* the thread sleeps here */
	struct wake_request wake;	/* posted by the store's notification */
};

/* Protects the entries' claiming and freeing (store and thread fields). */
static struct spinlock store_compactd_lock = SPINLOCK_INIT("store compactd");
static struct store_compactd store_compactd_entries[STORE_COMPACTD_MAX];

/*
 * Whether injected failures are armed (test builds): a test that arms them
 * counts every one against what its own workload saw, and a compaction of
 * the mixed class takes frames from the provider (fewer than it gives
 * back), so the thread waits while any is armed rather than take them.
 */
static bool store_compactd_hold_off(void)
{
#if CONFIG_FAILPOINTS
	return failpoint_any_armed();
#else
	return false;
#endif
}

/* The store's compaction notification (any context: atomics only). */
static void store_compactd_notify(void *context)
{
	struct store_compactd *daemon = context;

	wake_request_post(&daemon->wake);
}

/* Whether the daemon has something to do: stop, or compact. */
static bool store_compactd_due(struct store_compactd *daemon)
{
	return __atomic_load_n(&daemon->stop, __ATOMIC_ACQUIRE) ||
	       store_compact_wanted(daemon->store);
}

/* The daemon: compacts its store whenever asked, until told to stop. */
static void store_compactd_run(void *argument)
{
	struct store_compactd *daemon = argument;

	for (;;) {
		wait_event(&daemon->queue, store_compactd_due(daemon));
		if (__atomic_load_n(&daemon->stop, __ATOMIC_ACQUIRE))
			return;
		if (store_compactd_hold_off())
			thread_sleep_ms(STORE_COMPACTD_INTERVAL_MS);
		else
			store_compact(daemon->store);
	}
}

/* The entry of store, or with claim a free one made its own; NULL when
 * there is none (or none free). *existed says which. */
static struct store_compactd *store_compactd_find(struct store *store, bool claim,
						  bool *existed)
{
	unsigned long flags = spin_lock_irqsave(&store_compactd_lock);
	struct store_compactd *found = NULL, *free_entry = NULL;

	for (unsigned i = 0; i < STORE_COMPACTD_MAX && !found; i++) {
		if (store_compactd_entries[i].store == store)
			found = &store_compactd_entries[i];
		else if (!store_compactd_entries[i].store && !free_entry)
			free_entry = &store_compactd_entries[i];
	}
	*existed = found != NULL;
	if (!found && claim && free_entry) {
		found = free_entry;
		found->store = store;
		found->thread = NULL;
		found->stop = false;
		if (!found->ready) {
			wait_queue_init(&found->queue, "store compactd");
			found->wake.queue = &found->queue;
			found->ready = true;
		}
	}
	spin_unlock_irqrestore(&store_compactd_lock, flags);
	return found;
}

static void store_compactd_release(struct store_compactd *daemon)
{
	unsigned long flags = spin_lock_irqsave(&store_compactd_lock);

	daemon->store = NULL;
	daemon->thread = NULL;
	spin_unlock_irqrestore(&store_compactd_lock, flags);
}

/* See mm/store.h. A store that has a daemon already gives STORE_OK. */
int store_compactd_start(struct store *store)
{
	struct store_compactd *daemon;
	struct store_stats stats;
	struct thread *thread;
	bool existed;

	if (!store->ops->compact_wanted)
		return STORE_UNSUPPORTED;
	daemon = store_compactd_find(store, true, &existed);
	if (existed)
		return STORE_OK;
	if (!daemon)
		return STORE_NO_MEMORY;
	thread = thread_create("store-compactd", store_compactd_run, daemon);
	if (!thread) {
		store_compactd_release(daemon);
		return STORE_NO_MEMORY;
	}
	__atomic_store_n(&daemon->thread, thread, __ATOMIC_RELEASE);
	store_set_compact_notify(store, store_compactd_notify, daemon);
	/* A request made before the notification was set is not lost: the
	 * thread tests store_compact_wanted before its first sleep. */
	store_stats(store, &stats);
	log_info("store %s: background compaction at %llu%% waste",
		 store->name, (unsigned long long)stats.compact_threshold);
	return STORE_OK;
}

/* See mm/store.h. Sleeps until the thread has ended. */
void store_compactd_stop(struct store *store)
{
	bool existed;
	struct store_compactd *daemon = store_compactd_find(store, false, &existed);

	if (!daemon)
		return;
	store_set_compact_notify(store, NULL, NULL);
	__atomic_store_n(&daemon->stop, true, __ATOMIC_RELEASE);
	wake_up_all(&daemon->queue);
	thread_join(daemon->thread);
	store_compactd_release(daemon);
}
