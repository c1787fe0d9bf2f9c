/*
 * Shell commands about memory: mem, slabinfo, regions, scheme, wset and
 * stats. They read the allocators' and regions' figures through their
 * public interfaces and hold a lock only while copying, never while
 * printing a long list.
 */
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/demo/demo.h"
#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"
#include "mm/frame.h"
#include "mm/mm.h"
#include "mm/pmm.h"
#include "mm/region.h"
#include "mm/region_shared_copy.h"
#include "mm/region_migrate.h"
#include "mm/region_boot.h"
#include "mm/region_rekey.h"
#include "transforms/cipher_keyring.h"
#include "mm/slab.h"
#include "mm/store.h"
#include "mm/store_kind.h"
#include "kernel/user/process.h"

struct shell_region_search {
	const char *name;
	unsigned long long id;
	bool by_id;
	struct region *found;
};

static void shell_region_match(struct region *region, void *arg)
{
	struct shell_region_search *search = arg;

	if (search->found)
		return;
	if ((search->by_id && region->id == search->id) ||
	    (!search->by_id && strcmp(region->name, search->name) == 0))
		search->found = region;
}

struct region *shell_find_region(const char *name_or_id)
{
	struct shell_region_search search = { .name = name_or_id };

	search.by_id = cmdline_parse_u64(name_or_id, &search.id);
	region_for_each(shell_region_match, &search);
	if (!search.found)
		printk("shell: no region '%s' (`regions` lists them)\n",
		       name_or_id);
	return search.found;
}

/* ---- mem */
struct shell_frame_owners {
	uint64_t slab, page_tables, stacks, other;
};

/* Allocated frames by what the descriptors' owner field says holds them. */
static void shell_count_owners(struct shell_frame_owners *owners)
{
	unsigned long flags = spin_lock_irqsave(&pmm_kernel.lock);
	uint64_t span = pmm_kernel.max_pfn - pmm_kernel.min_pfn;

	memset(owners, 0, sizeof(*owners));
	for (uint64_t i = 0; i < span; i++) {
		const struct pmm_frame *f = &pmm_kernel.frames[i];
		if (!(f->flags & PMM_FRAME_ALLOCATED))
			continue;
		uint64_t frames = 1ull << f->order;
		if (f->owner >= MM_OWNER_KINDS)
			owners->slab += frames;
		else if (f->owner == MM_OWNER_PAGE_TABLE)
			owners->page_tables += frames;
		else if (f->owner == MM_OWNER_KERNEL_STACK)
			owners->stacks += frames;
		else
			owners->other += frames;
	}
	spin_unlock_irqrestore(&pmm_kernel.lock, flags);
}

static void shell_add_clear_pages(struct region *region, void *arg)
{
	*(uint64_t *)arg += region->clear.resident;
}

int shell_cmd_mem(int argc, char **argv)
{
	struct pmm_stats p;
	struct shell_frame_owners owners;
	struct store_stats s;
	uint64_t clear_pages = 0;

	(void)argv;
	if (argc != 1)
		return shell_usage_of("mem");
	pmm_get_stats(&pmm_kernel, &p);
	shell_count_owners(&owners);
	store_stats(store_default(), &s);
	region_for_each(shell_add_clear_pages, &clear_pages);
	printk("frames: %llu usable (%llu MiB), %llu free, %llu allocated\n",
	       (unsigned long long)p.usable_frames,
	       (unsigned long long)(p.usable_frames >> 8),
	       (unsigned long long)p.free_frames,
	       (unsigned long long)p.allocated_frames);
	printk("  held by: slab %llu, page tables %llu, kernel stacks %llu, "
	       "other %llu (of which page store %llu, regions' clear pages %llu)\n",
	       (unsigned long long)owners.slab,
	       (unsigned long long)owners.page_tables,
	       (unsigned long long)owners.stacks,
	       (unsigned long long)owners.other,
	       (unsigned long long)(s.frames_used + s.metadata_frames),
	       (unsigned long long)clear_pages);
	store_print_stats(store_default());
	printk("slab: %llu frames (%llu KiB); `slabinfo` lists the caches\n",
	       (unsigned long long)owners.slab,
	       (unsigned long long)(owners.slab * 4));
	return SHELL_OK;
}

int shell_cmd_slabinfo(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return shell_usage_of("slabinfo");
	slab_dump();
	return SHELL_OK;
}

/* ---- regions, scheme, stats */
static void shell_print_region(struct region *region, void *arg)
{
	(void)arg;
	region_print(region);
}

int shell_cmd_regions(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return shell_usage_of("regions");
	region_for_each(shell_print_region, NULL);
	struct region_shared_copy_stats shared;
	region_shared_copy_get_stats(&shared);
	printk("shared copies=%llu holding_frame=%llu sealed=%llu "
	       "records=%llu bytes_stored=%llu parks=%llu seals=%llu "
	       "seal_failures=%llu\n",
	       (unsigned long long)shared.copies,
	       (unsigned long long)shared.holding_frame,
	       (unsigned long long)shared.sealed,
	       (unsigned long long)shared.references,
	       (unsigned long long)shared.bytes_stored,
	       (unsigned long long)shared.parks,
	       (unsigned long long)shared.seals,
	       (unsigned long long)shared.seal_failures);
	return SHELL_OK;
}

/* A region's migration: pages left per older slot, pages moved, state. */
static void shell_print_migration(struct region *region)
{
	struct region_migrate_status status;

	region_migrate_get_status(region, &status);
	printk("  %-12s migration %s: left %u (", "",
	       region_migrate_state_name(status.state), status.left);
	for (unsigned slot = 0; slot < REGION_SCHEMES_MAX; slot++)
		printk("%sslot%u=%u", slot ? " " : "", slot,
		       status.pages_left[slot]);
	printk("; slot%u seals) moved %llu failed %llu poisoned %llu "
	       "holds %llu (longest %llu us), rate %u page(s) per hold, "
	       "pause %u ms\n",
	       status.sealing, (unsigned long long)status.moved,
	       (unsigned long long)status.failed,
	       (unsigned long long)status.poisoned,
	       (unsigned long long)status.holds,
	       (unsigned long long)(status.max_hold_ns / 1000u), status.batch,
	       status.pause_ms);
}

/* A tiered region's tiers: pages per tier, recompressed, the rate. */
static void shell_print_tiers(struct region *region)
{
	struct region_tier_status status;

	region_tier_get_status(region, &status);
	if (!status.tiered && status.recompressed + status.kept == 0)
		return;
	printk("  %-12s tiers: fast slot%u=%u dense slot%u=%u; recompressed "
	       "%llu, kept fast %llu (not smaller), failed %llu, poisoned "
	       "%llu; threshold %u evictions, rate %u page(s) per hold, pause "
	       "%u ms, %s\n", "", status.fast_slot, status.fast_pages,
	       status.dense_slot, status.dense_pages,
	       (unsigned long long)status.recompressed,
	       (unsigned long long)status.kept,
	       (unsigned long long)status.failed,
	       (unsigned long long)status.poisoned, status.threshold,
	       status.batch, status.pause_ms,
	       !status.tiered ? "no tier now" :
	       status.running ? "walk running" : "no walk (host or no thread)");
}

static void shell_print_scheme(struct region *region, void *arg)
{
	char scheme[96];

	(void)arg;
	char chains[256];
	uint32_t unencrypted;

	region_scheme_name(region, scheme, sizeof(scheme));
	region_chains(region, chains, sizeof(chains), &unencrypted);
	printk("  %-12s %s\n  %-12s sealed pages by chain: %s%s\n", region->name,
	       scheme, "", chains,
	       unencrypted ? "; NOT confidential: pages sealed without a cipher remain" : "");
	shell_print_migration(region);
	shell_print_tiers(region);
}

static void shell_print_policy(const struct policy_ops *ops, void *arg)
{
	(void)arg;
	printk(" %s", ops->name);
}

static void shell_print_transform(struct xf_transform *transform, void *arg)
{
	(void)arg;
	printk(" %s%s", transform->ops->name, transform->ops->cipher ? "(cipher)" : "");
}

static void shell_print_store_kind(const struct store_kind *kind, void *arg)
{
	(void)arg;
	printk(" %s", kind->name);
}

static void shell_scheme_list(void)
{
	printk("schemes:\n");
	region_for_each(shell_print_scheme, NULL);
	printk("policies:");
	for (unsigned i = 0; policy_all[i]; i++)
		printk(" %s", policy_all[i]->name);
	policy_for_each_registered(shell_print_policy, NULL);	/* modules' */
	printk("\ntransforms:");
	xf_for_each(shell_print_transform, NULL);
	printk("\nstores:");
	store_kind_for_each(shell_print_store_kind, NULL);	/* modules' too */
	printk("\nset one with: scheme REGION POLICY[:XF,...] "
	       "(a cipher comes last); older chains' pages then migrate, "
	       "at a rate set with: scheme REGION rate PAGES_PER_HOLD PAUSE_MS\n"
	       "tiers: POLICY:FAST>DENSE[,CIPHER] (e.g. clock:adaptive>dense,"
	       "aes128-xts-mac) moves pages sealed for THRESHOLD evictions to "
	       "the dense chain: scheme REGION tier THRESHOLD PAGES_PER_HOLD "
	       "PAUSE_MS\n"
	       "every region and new programs at once: scheme all POLICY[:XF,...]\n"
	       "store swap: scheme REGION store KIND seals into a new store "
	       "of that kind; the migration moves the pages over and the old "
	       "store, once empty, is destroyed\n");
}

/* scheme REGION rate BATCH PAUSE_MS: the region's migration rate. */
static int shell_scheme_rate(const char *name, const char *batch_text,
			     const char *pause_text)
{
	unsigned long long batch, pause_ms;
	struct region *region = shell_find_region(name);

	if (!region ||
	    !shell_parse_number(batch_text, "pages per hold", 1,
				REGION_MIGRATE_BATCH_MAX, &batch) ||
	    !shell_parse_number(pause_text, "pause", 0, 10000, &pause_ms))
		return SHELL_BAD_ARGUMENT;
	if (region_migrate_set_rate(region, (uint32_t)batch,
				    (uint32_t)pause_ms) != REGION_OK)
		return SHELL_FAILED;
	shell_print_migration(region);
	return SHELL_OK;
}

/* scheme REGION tier THRESHOLD BATCH PAUSE_MS: the region's tier walk. */
static int shell_scheme_tier(char **argv)
{
	unsigned long long threshold, batch, pause_ms;
	struct region *region = shell_find_region(argv[1]);

	if (!region ||
	    !shell_parse_number(argv[3], "threshold", 0, UINT32_MAX, &threshold) ||
	    !shell_parse_number(argv[4], "pages per hold", 1,
				REGION_TIER_BATCH_MAX, &batch) ||
	    !shell_parse_number(argv[5], "pause", 0, 10000, &pause_ms))
		return SHELL_BAD_ARGUMENT;
	if (region_tier_set(region, (uint32_t)threshold, (uint32_t)batch,
			    (uint32_t)pause_ms) != REGION_OK)
		return SHELL_FAILED;
	shell_print_tiers(region);
	return SHELL_OK;
}

/* Refuses text, which does not parse as a scheme. */
static int shell_not_a_scheme(const char *text)
{
	printk("scheme: '%s' is not a scheme: POLICY[:XF,...] with names "
	       "from `scheme`, a cipher last\n", text);
	return SHELL_BAD_ARGUMENT;
}

/* The outcome of a scheme change on region: the region's schemes, or why
 * it was refused. */
static int shell_scheme_changed(struct region *region, int result)
{
	if (result != REGION_OK) {
		printk("scheme: refused (%d)%s\n", result,
		       result == REGION_NO_SPACE ? ": too many schemes (or "
		       "stores) still hold sealed pages" : "");
		return SHELL_FAILED;
	}
	shell_print_scheme(region, NULL);
	return SHELL_OK;
}

/* scheme REGION store zs|log: the same scheme, sealing into a new store
 * of that kind; the migration empties the old one (docs/live-swap.md). */
static int shell_scheme_store(const char *name, const char *kind)
{
	struct region *region = shell_find_region(name);
	char scheme[96];

	if (!region)
		return SHELL_BAD_ARGUMENT;
	region_scheme_name(region, scheme, sizeof(scheme));
	int result = region_swap_store(region, scheme, kind, NULL);
	if (result == REGION_BAD_ARGUMENT) {
		printk("scheme: no store of kind '%s' (one `scheme` lists, and "
		       "memory for it)\n", kind);
		return SHELL_BAD_ARGUMENT;
	}
	return shell_scheme_changed(region, result);
}

/* scheme all SCHEME: the system-wide swap, every region and the scheme of
 * programs started from now on. */
static int shell_scheme_all(const char *text)
{
	struct region_swap_all_report report;

	if (!process_set_default_scheme(text))
		return shell_not_a_scheme(text);
	int result = region_set_scheme_all(text, false, &report);
	printk("scheme all: %u of %u regions now seal with %s (%u refused), "
	       "%u pages left in older slots, migrating; programs started from "
	       "now on use it\n", report.changed, report.regions, text,
	       report.failed, report.pages_left);
	return result == REGION_OK ? SHELL_OK : SHELL_FAILED;
}

int shell_cmd_scheme(int argc, char **argv)
{
	if (argc == 1) {
		shell_scheme_list();
		return SHELL_OK;
	}
	if (argc == 6 && strcmp(argv[2], "tier") == 0)
		return shell_scheme_tier(argv);
	if (argc == 3 && strcmp(argv[1], "all") == 0)
		return shell_scheme_all(argv[2]);
	if (argc == 4 && strcmp(argv[2], "store") == 0)
		return shell_scheme_store(argv[1], argv[3]);
	if (argc == 5 && strcmp(argv[2], "rate") == 0)
		return shell_scheme_rate(argv[1], argv[3], argv[4]);
	if (argc != 3)
		return shell_usage_of("scheme");
	struct region *region = shell_find_region(argv[1]);
	if (!region)
		return SHELL_BAD_ARGUMENT;
	int result = region_set_scheme(region, argv[2]);
	if (result == REGION_BAD_SCHEME)
		return shell_not_a_scheme(argv[2]);
	return shell_scheme_changed(region, result);
}

/* rekey status: the key generations and who still uses the old one. */
static void shell_rekey_status(void)
{
	unsigned old;
	bool held = cipher_keyring_held(&old);

	printk("rekey: key generation %u in the key registers",
	       cipher_keyring_generation());
	if (held)
		printk("; generation %u still held (wrapped) for pages not yet "
		       "moved: run rekey to finish", old);
	printk("\n");
}

int shell_cmd_rekey(int argc, char **argv)
{
	struct region_rekey_report report;

	if (argc == 2 && strcmp(argv[1], "status") == 0) {
		shell_rekey_status();
		return SHELL_OK;
	}
	if (argc != 1)
		return shell_usage_of("rekey");
	int result = region_rekey_all(true, &report);
	if (result != 0) {
		printk("rekey: refused (%d)\n", result);
		return SHELL_FAILED;
	}
	printk("rekey: generation %u -> %u: %u region(s), %u rekeyed, %u "
	       "refused; %s\n", report.old_generation, report.generation,
	       report.regions, report.rekeyed, report.failed,
	       report.retired ? "old key wiped, no page depends on it" :
				"old key still held");
	if (!report.retired)
		printk("rekey: %u region(s) still hold %u page(s) under generation "
		       "%u: run rekey again\n", report.still_using,
		       report.pages_left, report.old_generation);
	return report.retired ? SHELL_OK : SHELL_FAILED;
}

int shell_cmd_batch(int argc, char **argv)
{
	unsigned long long batch;

	if (argc != 2 && argc != 3)
		return shell_usage_of("batch");
	struct region *region = shell_find_region(argv[1]);
	if (!region)
		return SHELL_BAD_ARGUMENT;
	if (argc == 3) {
		if (!shell_parse_number(argv[2], "batch", 1,
					REGION_EVICT_BATCH_MAX, &batch))
			return SHELL_BAD_ARGUMENT;
		if (region_set_evict_batch(region, (uint32_t)batch) != REGION_OK)
			return SHELL_FAILED;
	}
	printk("batch %s: %u pages evicted at once when the clear set is full "
	       "(1 .. %u; 1: one per fault)\n", region->name,
	       region->evict_batch, REGION_EVICT_BATCH_MAX);
	return SHELL_OK;
}

int shell_cmd_stats(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return shell_usage_of("stats");
	region_for_each(shell_print_region, NULL);
	store_print_stats(store_default());
	/* memory pressure: with the store's refusals and the regions'
	 * seal_failures and no_memory above */
	printk("memory free_frames=%llu\n",
	       (unsigned long long)frame_free_count());
	demo_print_stats();
	return SHELL_OK;
}
