/*
 * Helpers shared by every page store: result names for messages, the frame
 * count of a share of RAM, and the default store the kernel's transforms use.
 * The implementations themselves live elsewhere (mm/zstore.c).
 */
#include "kernel/lib/printk.h"
#include "mm/store.h"

/* The default store; written once at start-up and read by any CPU, so it is
 * accessed with atomics rather than under a lock. */
static struct store *store_default_instance;

const char *store_result_name(int result)
{
	switch (result) {
	case STORE_OK:
		return "ok";
	case STORE_FULL:
		return "store full";
	case STORE_NO_MEMORY:
		return "no memory";
	case STORE_BAD_HANDLE:
		return "bad handle";
	case STORE_BAD_LENGTH:
		return "bad length";
	case STORE_SHORT_BUFFER:
		return "short buffer";
	case STORE_BUSY:
		return "object mapped";
	case STORE_UNSUPPORTED:
		return "not supported by this store";
	default:
		return "unknown result";
	}
}

uint64_t store_frames_for_share(uint64_t total_frames, unsigned percent)
{
	uint64_t frames;

	if (percent > 100)
		percent = 100;
	frames = total_frames / 100 * percent + total_frames % 100 * percent / 100;
	return frames ? frames : 1;
}

/* Compaction threads are started by the store's owner (region_boot for
 * the default store), not here: host tests set defaults too. */
void store_set_default(struct store *store)
{
	__atomic_store_n(&store_default_instance, store, __ATOMIC_RELEASE);
}

struct store *store_default(void)
{
	return __atomic_load_n(&store_default_instance, __ATOMIC_ACQUIRE);
}

void store_print_stats(struct store *store)
{
	struct store_stats stats;

	store_stats(store, &stats);
	printk("store name=%s ops=%s pages=%llu bytes=%llu frames=%llu "
	       "metadata_frames=%llu limit=%llu ratio=%llu.%03llu refusals=%llu "
	       "bad_handles=%llu compactions=%llu frames_compacted=%llu "
	       "wasted=%llu compact_threshold=%llu compaction_requests=%llu "
	       "compactions_auto=%llu\n",
	       store->name, store->ops->name,
	       (unsigned long long)stats.pages_stored,
	       (unsigned long long)stats.bytes_stored,
	       (unsigned long long)stats.frames_used,
	       (unsigned long long)stats.metadata_frames,
	       (unsigned long long)stats.frame_limit,
	       (unsigned long long)(stats.ratio_milli / 1000),
	       (unsigned long long)(stats.ratio_milli % 1000),
	       (unsigned long long)stats.refusals,
	       (unsigned long long)stats.bad_handles,
	       (unsigned long long)stats.compactions,
	       (unsigned long long)stats.frames_compacted,
	       (unsigned long long)stats.wasted_bytes,
	       (unsigned long long)stats.compact_threshold,
	       (unsigned long long)stats.compaction_requests,
	       (unsigned long long)stats.compactions_auto);
}
