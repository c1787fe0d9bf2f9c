/*
 * Benchmark window_sweep (bench=window_sweep, make bench-sweep): what a
 * small clear set costs. The demo's workload (same seed, so the same
 * accesses every run) over a region of corpus pages, with clear sets of
 * 1, 5, 25 and 100 % of the region, under four schemes. Each line:
 *
 *   scheme=<label> window_pct=<p> slowdown=<x> ratio=<r> ... spec=<scheme>
 *
 * slowdown: the run's TSC ticks over those of the all-clear run (100 %,
 * nothing ever sealed) of the same scheme; under qemu -icount shift=0 the
 * TSC counts instructions, so the figures repeat exactly. ratio: the
 * region's footprint ratio at the end, pages * 4096 over the bytes its
 * clear pages and its store's frames take, metadata frames included, as
 * the demo's store ratio counts them (so an incompressible page costs more
 * than 4096 bytes sealed, and the ratio can fall below 1.00). Each run has
 * a store of its own (created over the frame allocator, destroyed after),
 * so the frames counted are that run's alone; store_frames= gives them
 * (data + metadata), metadata_frames= the metadata part, and clear_pages=
 * the clear pages at the end. The run's store is of the default store's
 * kind (store=, logstore unless store=zs) with a compaction thread of its
 * own, as the default store has: ratio= is what the kernel keeps by
 * itself. compacted_frames= and compacted_ratio= are the same once a
 * store_compact ran at the end (what the thread had left to gain).
 *
 * The tiered scheme (compression+encryption+tiers, docs/compression.md
 * "Tiers") runs with a threshold of SWEEP_TIER_THRESHOLD evictions, and
 * its walk is brought up to date (region_tier_settle) before the
 * footprint is counted: its line beside compression+encryption's is the
 * store ratio by frames with tiers on and off. Its slowdown includes the
 * recompression the thread did during the run (not the settle's).
 */
#include "kernel/demo/demo_internal.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "mm/direct_map.h"
#include "mm/frame.h"
#include "mm/region.h"
#include "mm/region_boot.h"
#include "mm/store.h"
#include "mm/store_kind.h"
#include "transforms/xf.h"

#define SWEEP_PAGES 256u
#define SWEEP_ACCESSES 3000u
#define SWEEP_SEED 7u
#define SWEEP_WRITE_PERCENT 20u
/* A run's store may grow to this many frames (data and metadata): twice
 * the region, more than any scheme needs. */
#define SWEEP_STORE_FRAMES (2u * SWEEP_PAGES)
/* Evictions a page of the tiered scheme stays sealed before the walk
 * moves it to the dense chain. */
#define SWEEP_TIER_THRESHOLD 256u

static const unsigned sweep_windows[] = { 1, 5, 25, 100 };

struct sweep_result {
	uint64_t ticks;
	uint64_t ratio_milli;
	uint64_t store_frames;	/* data + metadata frames of the run's store */
	uint64_t metadata_frames;	/* the metadata part of store_frames */
	uint64_t clear_pages;
	uint64_t compacted_frames;	/* store_frames after a store_compact */
	uint64_t compacted_ratio_milli;	/* the ratio with those */
	bool ok;
};

static void *sweep_store_page_alloc(void *context)
{
	uint64_t frame = frame_alloc();

	(void)context;
	return frame == FRAME_NONE ? NULL : frame_address(frame);
}

static void sweep_store_page_free(void *context, void *page)
{
	(void)context;
	frame_free(virt_to_phys(page));
}

static uint32_t sweep_limit(unsigned percent)
{
	uint32_t limit = (SWEEP_PAGES * percent + 99) / 100;

	return limit ? limit : 1;
}

/* Runs the workload and fills out; the footprint counts the region's clear
 * pages and every frame of its own store (store: the run's store). */
static void sweep_measure(struct demo_workload *w, struct store *store,
			  struct sweep_result *out)
{
	struct region_stats stats;
	struct store_stats held;
	uint64_t start = time_cycles();

	for (unsigned i = 0; i < SWEEP_ACCESSES; i++) {
		if (demo_workload_step(w) != REGION_OK) {
			demo_workload_report_error(w);
			break;
		}
	}
	out->ticks = time_cycles() - start;
	region_tier_settle(w->region);	/* nothing when not tiered */
	region_get_stats(w->region, &stats);
	store_stats(store, &held);
	out->store_frames = held.frames_used + held.metadata_frames;
	out->metadata_frames = held.metadata_frames;
	out->clear_pages = stats.clear_pages;
	uint64_t footprint = (stats.clear_pages + out->store_frames) * 4096u;
	out->ratio_milli = footprint ? (uint64_t)w->pages * 4096000u / footprint : 0;
	store_compact(store);
	store_stats(store, &held);
	out->compacted_frames = held.frames_used + held.metadata_frames;
	footprint = (stats.clear_pages + out->compacted_frames) * 4096u;
	out->compacted_ratio_milli = footprint ?
		(uint64_t)w->pages * 4096000u / footprint : 0;
	out->ok = w->mismatches == 0 && w->error == REGION_OK;
}

/* A store of the default store's kind for one run, with its compaction
 * thread; NULL if either could not be made. */
static struct store *sweep_store_create(void)
{
	const struct store_kind *kind = store_kind_find(region_default_store_kind());
	struct store_kind_config store_config = {
		.name = "sweep",
		.provider = { sweep_store_page_alloc, sweep_store_page_free, NULL },
		.frame_limit = SWEEP_STORE_FRAMES,
	};
	struct store *store = kind ? kind->create(&store_config) : NULL;

	if (store && store_compactd_start(store) != STORE_OK) {
		store_destroy(store);
		store = NULL;
	}
	return store;
}

static bool sweep_run(const char *scheme, unsigned percent,
		      const struct demo_corpus *corpus, struct sweep_result *out)
{
	struct store *store = sweep_store_create();
	struct region_config config = {
		.name = "sweep", .pages = SWEEP_PAGES,
		.clear_limit = sweep_limit(percent), .scheme = scheme,
		.store = store,
	};
	struct demo_workload w;
	struct region *region;
	bool ready = false;

	if (!store)
		return false;
	if (region_create(&config, &region) == REGION_OK) {
		region_tier_set(region, SWEEP_TIER_THRESHOLD,
				REGION_TIER_BATCH_DEFAULT,
				REGION_TIER_PAUSE_DEFAULT_MS);
		ready = demo_workload_init(&w, region, corpus, SWEEP_SEED,
					   SWEEP_WRITE_PERCENT);
		if (ready) {
			sweep_measure(&w, store, out);
			demo_workload_free(&w);
		}
		region_destroy(region);
	}
	store_compactd_stop(store);
	store_destroy(store);
	return ready;
}

static void sweep_print(const char *label, const char *scheme, unsigned percent,
			const struct sweep_result *r, uint64_t base_ticks)
{
	char slowdown[24], ratio[24], compacted[24];

	demo_format_milli(slowdown, sizeof(slowdown),
			  base_ticks ? r->ticks * 1000 / base_ticks : 0, 2);
	demo_format_milli(ratio, sizeof(ratio), r->ratio_milli, 2);
	demo_format_milli(compacted, sizeof(compacted), r->compacted_ratio_milli, 2);
	printk("scheme=%s window_pct=%u slowdown=%s ratio=%s store_frames=%llu "
	       "metadata_frames=%llu clear_pages=%llu compacted_frames=%llu "
	       "compacted_ratio=%s spec=%s%s\n", label, percent,
	       slowdown, ratio, (unsigned long long)r->store_frames,
	       (unsigned long long)r->metadata_frames,
	       (unsigned long long)r->clear_pages,
	       (unsigned long long)r->compacted_frames, compacted, scheme,
	       r->ok ? "" : " checksums=BAD");
}

static void sweep_scheme(const char *label, const char *scheme,
			 const struct demo_corpus *corpus)
{
	struct sweep_result base, result;

	if (!sweep_run(scheme, 100, corpus, &base)) {
		printk("# window_sweep: scheme %s could not run\n", scheme);
		return;
	}
	for (unsigned i = 0; i < sizeof(sweep_windows) / sizeof(sweep_windows[0]); i++) {
		unsigned percent = sweep_windows[i];
		if (percent == 100)
			result = base;
		else if (!sweep_run(scheme, percent, corpus, &result))
			continue;
		sweep_print(label, scheme, percent, &result, base.ticks);
	}
}

KBENCH(window_sweep)
{
	static const struct { const char *label, *scheme, *needs; } schemes[] = {
		{ "identity", "clock:identity", NULL },
		{ "compression", "clock:adaptive", NULL },
		{ "encryption", "clock:aes128-xts-mac", "aes128-xts-mac" },
		{ "compression+encryption", "clock:adaptive,aes128-xts-mac",
		  "aes128-xts-mac" },
		{ "compression+encryption+tiers",
		  "clock:adaptive>dense,aes128-xts-mac", "aes128-xts-mac" },
	};
	struct demo_corpus corpus;
	bool found = demo_corpus_find(&corpus);

	printk("# window_sweep pages=%u accesses=%u writes=%u%% source=%s\n",
	       SWEEP_PAGES, SWEEP_ACCESSES, SWEEP_WRITE_PERCENT,
	       found ? corpus.name : "synthetic");
	for (unsigned i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (schemes[i].needs && !xf_lookup(schemes[i].needs)) {
			printk("# window_sweep: %s skipped: transform %s is not "
			       "registered\n", schemes[i].label, schemes[i].needs);
			continue;
		}
		sweep_scheme(schemes[i].label, schemes[i].scheme, &corpus);
	}
}
