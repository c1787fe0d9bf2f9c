/*
 * Benchmark window_sweep (bench=window_sweep, make bench-sweep): what a
 * small clear set costs. The demo's workload (same seed, so the same
 * accesses every run) over a region of corpus pages, with clear sets of
 * 1, 5, 25 and 100 % of the region, under four schemes. Each line:
 *
 *   scheme=<s> window_pct=<p> slowdown=<x> ratio=<r>
 *
 * slowdown: the run's TSC ticks over those of the all-clear run (100 %,
 * nothing ever sealed) of the same scheme; under qemu -icount shift=0 the
 * TSC counts instructions, so the figures repeat exactly. ratio: the
 * region's footprint ratio at the end, pages * 4096 over the bytes its
 * clear pages and sealed copies take (1.00 when all is clear).
 */
#include "kernel/demo/demo_internal.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "mm/region.h"
#include "mm/store.h"
#include "transforms/xf.h"

#define SWEEP_PAGES 256u
#define SWEEP_ACCESSES 3000u
#define SWEEP_SEED 7u
#define SWEEP_WRITE_PERCENT 20u

static const unsigned sweep_windows[] = { 1, 5, 25, 100 };

struct sweep_result {
	uint64_t ticks;
	uint64_t ratio_milli;
	bool ok;
};

static uint32_t sweep_limit(unsigned percent)
{
	uint32_t limit = (SWEEP_PAGES * percent + 99) / 100;

	return limit ? limit : 1;
}

static void sweep_measure(struct demo_workload *w, struct sweep_result *out)
{
	struct region_stats stats;
	uint64_t start = time_cycles();

	for (unsigned i = 0; i < SWEEP_ACCESSES; i++) {
		if (demo_workload_step(w) != REGION_OK) {
			demo_workload_report_error(w);
			break;
		}
	}
	out->ticks = time_cycles() - start;
	region_get_stats(w->region, &stats);
	uint64_t footprint = stats.clear_pages * 4096u + stats.bytes_stored;
	out->ratio_milli = footprint ? (uint64_t)w->pages * 4096000u / footprint : 0;
	out->ok = w->mismatches == 0 && w->error == REGION_OK;
}

static bool sweep_run(const char *scheme, unsigned percent,
		      const struct demo_corpus *corpus, struct sweep_result *out)
{
	struct region_config config = {
		.name = "sweep", .pages = SWEEP_PAGES,
		.clear_limit = sweep_limit(percent), .scheme = scheme,
		.store = store_default(),
	};
	struct demo_workload w;
	struct region *region;

	if (region_create(&config, &region) != REGION_OK)
		return false;
	bool ready = demo_workload_init(&w, region, corpus, SWEEP_SEED,
					SWEEP_WRITE_PERCENT);
	if (ready) {
		sweep_measure(&w, out);
		demo_workload_free(&w);
	}
	region_destroy(region);
	return ready;
}

static void sweep_print(const char *scheme, unsigned percent,
			const struct sweep_result *r, uint64_t base_ticks)
{
	char slowdown[24], ratio[24];

	demo_format_milli(slowdown, sizeof(slowdown),
			  base_ticks ? r->ticks * 1000 / base_ticks : 0, 2);
	demo_format_milli(ratio, sizeof(ratio), r->ratio_milli, 2);
	printk("scheme=%s window_pct=%u slowdown=%s ratio=%s%s\n", scheme,
	       percent, slowdown, ratio, r->ok ? "" : " checksums=BAD");
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
		sweep_print(label, percent, &result, base.ticks);
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
