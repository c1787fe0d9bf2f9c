/*
 * Pieces of the demo shared between its files (kernel/demo*.c): the page
 * source, the workload, latency recording and the figures it prints.
 */
#ifndef VEIL_KERNEL_DEMO_INTERNAL_H
#define VEIL_KERNEL_DEMO_INTERNAL_H

#include "kernel/demo/demo.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mm/region.h"

/* ---- demo_corpus.c: where page contents come from */
struct demo_corpus {
	const uint8_t *bytes;	/* NULL: pages are synthesised */
	uint32_t pages;
	const char *name;
};
/* Finds the corpus module (name starting "corpus"); false when absent. */
bool demo_corpus_find(struct demo_corpus *corpus);
/* Writes page `index` of the workload's initial contents into page. */
void demo_corpus_fill(const struct demo_corpus *corpus, uint32_t index,
		      uint8_t *page);

/* ---- demo_threads.c: run demo threads=N */
/* N threads, each its own region; true when every one ran and every page
 * came back. */
bool demo_run_threads(const struct demo_options *options, const char *scheme,
		      const struct demo_corpus *corpus);

/* ---- demo_latency.c: fault latencies in a log-linear histogram */
#define DEMO_LATENCY_BUCKETS 512
struct demo_latency {
	uint32_t counts[DEMO_LATENCY_BUCKETS];
	uint64_t samples;
};
void demo_latency_reset(struct demo_latency *latency);
void demo_latency_add(struct demo_latency *latency, uint64_t cycles);
/* The value below which per_mille of the samples lie (0 without any). */
uint64_t demo_latency_percentile(const struct demo_latency *latency,
				 unsigned per_mille);

/* ---- demo_workload.c: skewed reads and writes with checksums */
struct demo_workload {
	struct region *region;
	uint32_t pages;
	uint32_t levels;	/* log2 ranks of the Zipf-like draw */
	uint32_t *rank_to_page;	/* a shuffle: hot pages are scattered */
	uint64_t *sums;		/* per page: the expected checksum */
	uint64_t rng;
	unsigned write_percent;
	/* accesses made, writes among them, accesses that faulted (each is
	 * timed and verified), pages verified, pages that came back wrong */
	uint64_t accesses, writes, faulted, verified, mismatches;
	uint64_t planned;	/* accesses asked for */
	bool interrupted;	/* stopped by Ctrl-C before `planned` */
	/* The region's counters once the fill was done: the figures printed
	 * for the workload are the counters less these, so the fill's
	 * zero-fill faults and evictions are not mixed into them. */
	struct region_stats after_fill;
	struct demo_latency latency;
	int error;		/* REGION_OK, or why the last page did not come */
	uint32_t error_page;
};
/* What the workload alone did to the region: its counters now less
 * after_fill (the state figures, sealed_pages and the like, as they are). */
void demo_workload_stats(const struct demo_workload *w,
			 struct region_stats *out);
/* Fills the region from the corpus and records every page's checksum.
 * false (with nothing allocated) when memory is short, or when a page
 * could not be brought in (w->error, w->error_page say which). */
bool demo_workload_init(struct demo_workload *w, struct region *region,
			const struct demo_corpus *corpus, uint64_t seed,
			unsigned write_percent);
void demo_workload_free(struct demo_workload *w);
/* One access: a read or a write of a skew-picked page, timed when it
 * faulted, checked against its checksum after a fault. A page that is not
 * present is brought in with region_fault_page() first, so memory
 * pressure is an error here (returned, and kept in w->error and
 * w->error_page; the access is not made) rather than a fault the region
 * must answer with an error. REGION_OK otherwise. */
int demo_workload_step(struct demo_workload *w);
/* One line saying why a page could not be brought in (w->error). */
void demo_workload_report_error(const struct demo_workload *w);
/* The checksum demo_workload keeps for a page's content. */
uint64_t demo_page_sum(const void *page);

/* ---- demo_report.c: status line, samples, summary */
/* One sample of the workload: faults and evictions are the workload's
 * (fill left out), as the hit rate is. */
struct demo_sample {
	uint32_t time_ms;
	uint64_t accesses, faults, evictions;
	uint32_t hit_per_mille, ratio_milli;
};
struct demo_report {
	uint64_t start_ns, last_ns;
	uint64_t last_faults;
	unsigned sample_count;
	struct demo_sample samples[DEMO_SAMPLES_MAX];
};
void demo_report_start(struct demo_report *report);
/* Takes a sample, keeps it when record (and room is left), and, when
 * status_line, redraws the status line. */
void demo_report_sample(struct demo_report *report,
			const struct demo_workload *w, bool record,
			bool status_line);
/* Keeps a sample without touching the status line's figures (samples=N). */
void demo_report_keep(struct demo_report *report,
		      const struct demo_workload *w);
void demo_report_summary(const struct demo_report *report,
			 const struct demo_workload *w, const char *source);
/* "demo-sizes ..." line: histogram of the sealed pages' stored sizes. */
void demo_report_sizes(struct region *region);
void demo_report_samples(const struct demo_report *report);
void demo_report_latency(const struct demo_workload *w);

/* Fixed-point text: value / 1000 with `decimals` digits (0..3). */
void demo_format_milli(char *buffer, size_t size, uint64_t milli,
		       unsigned decimals);
/* A count as "950", "45k" or "1.1M". */
void demo_format_count(char *buffer, size_t size, uint64_t count);
/* Bytes as "812 KiB" or "3.4 MiB". */
void demo_format_bytes(char *buffer, size_t size, int64_t bytes);

/* The demo's real program (demo_user.c), when the initramfs names one. */
void demo_user_boot(void);

#endif
