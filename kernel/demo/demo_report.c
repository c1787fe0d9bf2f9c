/*
 * What the demo says: a status line redrawn in place (carriage return)
 * while the workload runs, samples of the same figures kept for `stats`
 * and tools/veil-plot, and the one-screen summary at the end. Lines meant
 * for tools are key=value ("demo-sample ...", "demo-sizes ...").
 *
 * Figures printed side by side count the same things: hits, faults,
 * evictions and restores are the workload's (demo_workload_stats: the
 * fill's zero-fill faults and evictions are printed apart, on their own
 * line), so hits + faulted accesses = accesses.
 */
#include <string.h>
#include "kernel/demo/demo_internal.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "mm/region_shared_copy.h"
#include "mm/store.h"

#define DEMO_SIZE_BUCKET 256u
#define DEMO_SIZE_BUCKETS (STORE_OBJECT_MAX / DEMO_SIZE_BUCKET + 1)

void demo_report_start(struct demo_report *report)
{
	memset(report, 0, sizeof(*report));
	report->start_ns = time_uptime_ns();
	report->last_ns = report->start_ns;
}

static uint32_t demo_hit_per_mille(const struct demo_workload *w)
{
	if (w->accesses == 0)
		return 0;
	return (uint32_t)((w->accesses - w->faulted) * 1000 / w->accesses);
}

/* The store's own ratio: pages held per frame it uses, metadata included,
 * so what RAM really gained. */
static void demo_store_figures(uint32_t *ratio_milli, int64_t *saved_bytes)
{
	struct store_stats s;

	store_stats(store_default(), &s);
	*ratio_milli = (uint32_t)s.ratio_milli;
	*saved_bytes = ((int64_t)s.pages_stored -
			(int64_t)(s.frames_used + s.metadata_frames)) * 4096;
}

static void demo_status_line(const struct demo_workload *w,
			     const struct demo_sample *sample,
			     uint64_t faults_per_second)
{
	char hit[16], ratio[16], saved[24], p50[16], p99[16];
	uint32_t ratio_milli;
	int64_t saved_bytes;

	demo_store_figures(&ratio_milli, &saved_bytes);
	demo_format_milli(hit, sizeof(hit), sample->hit_per_mille * 100u, 1);
	demo_format_milli(ratio, sizeof(ratio), ratio_milli, 2);
	demo_format_bytes(saved, sizeof(saved), saved_bytes);
	demo_format_count(p50, sizeof(p50),
			  demo_latency_percentile(&w->latency, 500));
	demo_format_count(p99, sizeof(p99),
			  demo_latency_percentile(&w->latency, 990));
	/* One line under 100 columns, redrawn in place. */
	printk("\r%7llu acc %5llu flt/s %6llu evict %5s%% hit %4llu sealed "
	       "%sx %s saved lat %s/%s cyc ",
	       (unsigned long long)w->accesses,
	       (unsigned long long)faults_per_second,
	       (unsigned long long)sample->evictions, hit,
	       (unsigned long long)w->region->stats.sealed_pages, ratio, saved,
	       p50, p99);
}

/* The workload's figures now, as one sample. */
static void demo_report_measure(const struct demo_report *report,
				const struct demo_workload *w, uint64_t now,
				struct demo_sample *sample)
{
	struct region_stats stats;
	int64_t saved;

	demo_workload_stats(w, &stats);
	sample->time_ms = (uint32_t)((now - report->start_ns) / 1000000u);
	sample->accesses = w->accesses;
	sample->faults = stats.faults;
	sample->evictions = stats.evictions;
	sample->hit_per_mille = demo_hit_per_mille(w);
	demo_store_figures(&sample->ratio_milli, &saved);
}

static void demo_report_record(struct demo_report *report,
			       const struct demo_sample *sample)
{
	if (report->sample_count < DEMO_SAMPLES_MAX)
		report->samples[report->sample_count++] = *sample;
}

void demo_report_sample(struct demo_report *report,
			const struct demo_workload *w, bool record,
			bool status_line)
{
	struct demo_sample sample;
	uint64_t now = time_uptime_ns();
	uint64_t interval = now - report->last_ns;

	demo_report_measure(report, w, now, &sample);
	uint64_t faults_per_second = interval ?
		(sample.faults - report->last_faults) * 1000000000ull / interval : 0;
	if (record)
		demo_report_record(report, &sample);
	report->last_ns = now;
	report->last_faults = sample.faults;
	if (status_line)
		demo_status_line(w, &sample, faults_per_second);
}

void demo_report_keep(struct demo_report *report,
		      const struct demo_workload *w)
{
	struct demo_sample sample;

	demo_report_measure(report, w, time_uptime_ns(), &sample);
	demo_report_record(report, &sample);
}

void demo_report_samples(const struct demo_report *report)
{
	for (unsigned i = 0; i < report->sample_count; i++) {
		const struct demo_sample *s = &report->samples[i];
		printk("demo-sample t_ms=%u accesses=%llu faults=%llu "
		       "evictions=%llu hit_per_mille=%u ratio_milli=%u\n",
		       s->time_ms, (unsigned long long)s->accesses,
		       (unsigned long long)s->faults,
		       (unsigned long long)s->evictions, s->hit_per_mille,
		       s->ratio_milli);
	}
}

void demo_report_latency(const struct demo_workload *w)
{
	printk("demo-latency faulted_accesses=%llu p50_cycles=%llu p90_cycles=%llu "
	       "p99_cycles=%llu\n", (unsigned long long)w->latency.samples,
	       (unsigned long long)demo_latency_percentile(&w->latency, 500),
	       (unsigned long long)demo_latency_percentile(&w->latency, 900),
	       (unsigned long long)demo_latency_percentile(&w->latency, 990));
}

/* Bytes the store holds for each sealed page, bucketed by 256: the
 * compression ratio distribution veil-plot draws. */
void demo_report_sizes(struct region *region)
{
	uint32_t counts[DEMO_SIZE_BUCKETS] = { 0 };
	unsigned long flags = spin_lock_irqsave(&region->lock);

	for (uint32_t page = 0; page < region->pages; page++) {
		size_t length;
		const struct region_page *record = region_page_record(region, page);
		if (region_record_state(record) != REGION_SEALED)
			continue;
		if (region_record_same_filled(record))
			length = 0;	/* kept as its word, in no store */
		else if (region_record_shared_copy(record))
			length = region_shared_copy_length(
				region_record_handle(record));
		else if (store_size(region->store, region_record_handle(record),
				    &length) != STORE_OK)
			continue;
		unsigned bucket = (unsigned)(length / DEMO_SIZE_BUCKET);
		counts[bucket < DEMO_SIZE_BUCKETS ? bucket : DEMO_SIZE_BUCKETS - 1]++;
	}
	spin_unlock_irqrestore(&region->lock, flags);
	char scheme[96];
	region_scheme_name(region, scheme, sizeof(scheme));
	printk("demo-sizes scheme=%s bucket_bytes=%u counts=", scheme,
	       DEMO_SIZE_BUCKET);
	for (unsigned b = 0; b < DEMO_SIZE_BUCKETS; b++)
		printk("%s%u", b ? "," : "", counts[b]);
	printk("\n");
}

/* A tiered scheme's tiers: pages in each, moved, kept (nothing for a
 * scheme without tiers). */
static void demo_report_tiers(struct region *region)
{
	struct region_tier_status status;

	region_tier_get_status(region, &status);
	if (!status.tiered)
		return;
	printk("  tiers     %u pages fast, %u dense; %llu recompressed, %llu "
	       "kept fast (not smaller), threshold %u evictions\n",
	       status.fast_pages, status.dense_pages,
	       (unsigned long long)status.recompressed,
	       (unsigned long long)status.kept, status.threshold);
}

void demo_report_summary(const struct demo_report *report,
			 const struct demo_workload *w, const char *source)
{
	struct region_stats stats;
	const struct region_stats *fill = &w->after_fill;
	char hit[16], ratio[16], saved[24], seconds[16], stored[24];
	uint32_t ratio_milli;
	int64_t saved_bytes;
	char scheme[96];

	demo_workload_stats(w, &stats);
	region_scheme_name(w->region, scheme, sizeof(scheme));
	demo_store_figures(&ratio_milli, &saved_bytes);
	demo_format_milli(hit, sizeof(hit), demo_hit_per_mille(w) * 100u, 1);
	demo_format_milli(ratio, sizeof(ratio), ratio_milli, 2);
	demo_format_bytes(saved, sizeof(saved), saved_bytes);
	demo_format_bytes(stored, sizeof(stored), (int64_t)stats.bytes_stored);
	demo_format_milli(seconds, sizeof(seconds),
			  (report->last_ns - report->start_ns) / 1000000u, 1);
	printk("\n\n== demo summary ==\n");
	if (w->interrupted)
		printk("  stopped   by Ctrl-C after %llu of %llu accesses: the "
		       "figures below cover those\n",
		       (unsigned long long)w->accesses,
		       (unsigned long long)w->planned);
	printk("  region    \"%s\": %u pages of %s, clear set %u pages, scheme %s\n",
	       w->region->name, w->pages, source, w->region->clear.limit, scheme);
	printk("  fill      %u pages written: %llu zero-fill faults, %llu "
	       "evictions (left out below)\n", w->pages,
	       (unsigned long long)fill->faults,
	       (unsigned long long)fill->evictions);
	printk("  workload  %llu accesses (%llu writes) in %s s, Zipf-like skew\n",
	       (unsigned long long)w->accesses, (unsigned long long)w->writes,
	       seconds);
	printk("  clear set %s %% of accesses hit, %llu faulted; workload "
	       "faults %llu (%llu restores, %llu zero-fills), %llu evictions\n",
	       hit, (unsigned long long)w->faulted,
	       (unsigned long long)stats.faults,
	       (unsigned long long)stats.restores,
	       (unsigned long long)stats.zero_fills,
	       (unsigned long long)stats.evictions);
	printk("  latency   of the %llu faulted accesses: p50 %llu cycles, "
	       "p99 %llu cycles\n", (unsigned long long)w->latency.samples,
	       (unsigned long long)demo_latency_percentile(&w->latency, 500),
	       (unsigned long long)demo_latency_percentile(&w->latency, 990));
	printk("  sealed    %llu pages now, %s stored; store ratio %sx "
	       "(pages per frame, metadata included), RAM saved %s\n",
	       (unsigned long long)stats.sealed_pages, stored, ratio, saved);
	demo_report_tiers(w->region);
	printk("  checksums %llu faulted pages verified, %llu mismatches%s\n",
	       (unsigned long long)w->verified,
	       (unsigned long long)w->mismatches,
	       w->mismatches ? " (DATA LOST)" : " (every byte came back)");
	demo_report_sizes(w->region);
	printk("Try: help, stats, wset demo, scheme demo clock:lz4, "
	       "run demo accesses=50000 limit=64\n");
}
