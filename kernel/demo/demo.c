/*
 * The demo (kernel/demo/demo.h): creates the region "demo" over the corpus,
 * runs the workload with a live status line and prints the summary. The
 * region stays afterwards, so the shell's commands (regions, wset, scheme,
 * stats) have something to show; the next run replaces it.
 */
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/demo/demo.h"
#include "kernel/demo/demo_internal.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "mm/frame.h"
#include "mm/region.h"
#include "mm/store.h"
#include "transforms/xf.h"

#define DEMO_STATUS_INTERVAL_NS 250000000ull	/* four refreshes a second */
#define DEMO_CLOCK_CHECK_EVERY 32u		/* accesses between clock reads */
#define DEMO_INPUT_INTERVAL_NS 20000000ull	/* console polls: 50 a second */
#define DEMO_CIPHER "aes128-xts-mac"

/* The boot-time switch, set from the command line before kmain runs it. */
static bool demo_at_boot = true;

/* The last run, kept for `stats`: only the shell's thread (or kmain's, at
 * boot) touches these. */
static struct region *demo_region;
static struct demo_workload demo_last;
static struct demo_report demo_last_report;
static char demo_last_source[80];	/* for people */
static char demo_last_source_key[72];	/* for tools: one word */
static unsigned demo_last_threads;	/* > 1: the last run was threaded */

static bool demo_set_mode(const char *value)
{
	return cmdline_parse_bool(value, &demo_at_boot);
}
CMDLINE_OPTION(demo, "demo", "[on|off] (bare: on): run the transformed-memory demo at boot (on)",
	       demo_set_mode);

const char *demo_default_scheme(bool say_why)
{
	if (xf_lookup(DEMO_CIPHER))
		return "clock:adaptive," DEMO_CIPHER;
	if (say_why)
		log_warn("demo: transform %s is not registered: compression "
			 "only (clock:adaptive)", DEMO_CIPHER);
	return "clock:adaptive";
}

void demo_options_default(struct demo_options *options)
{
	memset(options, 0, sizeof(*options));
	options->pages = 1024;
	options->clear_limit = 128;
	options->accesses = 12000;
	options->write_percent = 20;
	options->seed = 1;
	options->status_line = true;
}

static void demo_release(void)
{
	if (demo_region)
		region_destroy(demo_region);
	demo_region = NULL;
	demo_workload_free(&demo_last);
	memset(&demo_last, 0, sizeof(demo_last));
}

static struct region *demo_create_region(const struct demo_options *options,
					 const char *scheme)
{
	struct region_config config = {
		.name = "demo",
		.pages = options->pages,
		.clear_limit = options->clear_limit,
		.scheme = scheme,
		.store = store_default(),
	};
	struct region *region;
	int result = region_create(&config, &region);

	if (result != REGION_OK) {
		printk("demo: cannot create the region (pages=%u limit=%u "
		       "scheme=%s): error %d\n", options->pages,
		       options->clear_limit, scheme, result);
		return NULL;
	}
	return region;
}

static void demo_describe_source(const struct demo_corpus *corpus, bool found)
{
	ksnprintf(demo_last_source_key, sizeof(demo_last_source_key), "%s",
		  found ? corpus->name : "synthetic");
	for (char *p = demo_last_source_key; *p; p++)
		*p = (*p == ' ' || *p == '=') ? '_' : *p;
	if (found)
		ksnprintf(demo_last_source, sizeof(demo_last_source),
			  "module \"%s\" (%u pages)", corpus->name, corpus->pages);
	else
		ksnprintf(demo_last_source, sizeof(demo_last_source),
			  "synthetic pages");
	if (!found)
		printk("demo: no page corpus module: filling pages myself "
		       "(text, pointers, half-empty, noise)\n");
}

/* Runs the workload; Ctrl-C on the console stops it early (the summary
 * then covers the accesses made). The console is polled on a clock, not
 * per access: a port read per access would slow the workload measured. */
static void demo_loop(struct demo_workload *w, struct demo_report *report,
		      const struct demo_options *options)
{
	uint64_t last_poll_ns = time_uptime_ns();
	/* samples=N: a sample after every `spacing` accesses, none by clock. */
	bool by_count = options->samples != 0;
	uint64_t spacing = by_count ? options->accesses / options->samples : 0;

	if (by_count && spacing == 0)
		spacing = 1;
	demo_report_start(report);
	w->planned = options->accesses;
	for (uint64_t i = 0; i < options->accesses; i++) {
		if (demo_workload_step(w) != REGION_OK)
			break;	/* reported after the summary */
		if (by_count && (i + 1) % spacing == 0 && i + 1 < options->accesses)
			demo_report_keep(report, w);
		if (i % DEMO_CLOCK_CHECK_EVERY != 0)
			continue;
		uint64_t now = time_uptime_ns();
		if (now - last_poll_ns >= DEMO_INPUT_INTERVAL_NS) {
			last_poll_ns = now;
			if (console_interrupt_pending()) {
				w->interrupted = true;
				break;
			}
		}
		if (now - report->last_ns >= DEMO_STATUS_INTERVAL_NS)
			demo_report_sample(report, w, !by_count,
					   options->status_line);
	}
	demo_report_sample(report, w, true, options->status_line);
}

/* Frames a clear set of clear_limit pages needs, with one in 64 more for
 * page tables and the workload's tables, against the frames free now: a
 * run that cannot even hold its clear set is refused before it starts. */
static bool demo_fits_memory(const struct demo_options *options)
{
	uint64_t free_frames = frame_free_count();
	uint64_t regions = options->threads > 1 ? options->threads : 1;
	uint64_t needed = regions * ((uint64_t)options->clear_limit +
				     options->clear_limit / 64u + 16u);

	if (needed <= free_frames)
		return true;
	printk("demo: %llu clear set(s) of %u pages need about %llu KiB of "
	       "frames; %llu KiB are free: use a smaller limit=\n",
	       (unsigned long long)regions, options->clear_limit,
	       (unsigned long long)needed * 4u,
	       (unsigned long long)free_frames * 4u);
	return false;
}

bool demo_run(const struct demo_options *options)
{
	const char *scheme = options->scheme[0] ? options->scheme :
			     demo_default_scheme(true);
	struct demo_corpus corpus;
	bool found = demo_corpus_find(&corpus);

	demo_release();
	if (!demo_fits_memory(options))
		return false;
	demo_describe_source(&corpus, found);
	demo_last_threads = options->threads;
	if (options->threads > 1)
		return demo_run_threads(options, scheme, &corpus);
	demo_region = demo_create_region(options, scheme);
	if (!demo_region)
		return false;
	printk("demo: region \"demo\" of %u pages, clear set %u, scheme %s: "
	       "filling from %s\n", options->pages, options->clear_limit, scheme,
	       demo_last_source);
	if (!demo_workload_init(&demo_last, demo_region, &corpus, options->seed,
				options->write_percent)) {
		if (demo_last.error != REGION_OK) {
			printk("demo: filling the region failed; its counters "
			       "then (the region is dropped):\n");
			region_print(demo_region);
			demo_workload_report_error(&demo_last);
		} else {
			printk("demo: out of memory for the workload's tables\n");
		}
		demo_release();
		return false;
	}
	printk("demo: %llu accesses, %u %% writes, checksums verified after "
	       "every fault (Ctrl-C stops it)\n",
	       (unsigned long long)options->accesses, options->write_percent);
	demo_loop(&demo_last, &demo_last_report, options);
	demo_report_summary(&demo_last_report, &demo_last, demo_last_source);
	if (demo_last.error != REGION_OK)
		demo_workload_report_error(&demo_last);
	return demo_last.mismatches == 0 && demo_last.error == REGION_OK;
}

void demo_boot(void)
{
	struct demo_options options;

	if (!demo_at_boot) {
		printk("demo: off (demo=off on the command line); `run demo` "
		       "starts it\n");
		return;
	}
	demo_options_default(&options);
	demo_run(&options);
	demo_user_boot();
}

void demo_print_stats(void)
{
	if (!demo_region && demo_last_threads > 1) {
		printk("demo: the last run had %u threads, each of which "
		       "destroyed its region; its summary has the figures\n",
		       demo_last_threads);
		return;
	}
	if (!demo_region) {
		printk("demo: no run yet (`run demo`)\n");
		return;
	}
	struct region_stats workload;
	char scheme[96];

	demo_workload_stats(&demo_last, &workload);
	region_scheme_name(demo_region, scheme, sizeof(scheme));
	/* scheme, pages and limit first: veil-plot labels the samples and
	 * sizes that follow with them. */
	printk("demo-run scheme=%s pages=%u limit=%u source=%s accesses=%llu "
	       "planned=%llu writes=%llu "
	       "faulted_accesses=%llu workload_faults=%llu "
	       "workload_evictions=%llu fill_faults=%llu fill_evictions=%llu "
	       "verified=%llu mismatches=%llu\n", scheme,
	       (unsigned)demo_region->pages,
	       (unsigned)demo_region->clear.limit, demo_last_source_key,
	       (unsigned long long)demo_last.accesses,
	       (unsigned long long)demo_last.planned,
	       (unsigned long long)demo_last.writes,
	       (unsigned long long)demo_last.faulted,
	       (unsigned long long)workload.faults,
	       (unsigned long long)workload.evictions,
	       (unsigned long long)demo_last.after_fill.faults,
	       (unsigned long long)demo_last.after_fill.evictions,
	       (unsigned long long)demo_last.verified,
	       (unsigned long long)demo_last.mismatches);
	demo_report_latency(&demo_last);
	demo_report_samples(&demo_last_report);
	demo_report_sizes(demo_region);
}
