/*
 * The demo: a transformed region filled with real program memory (a page
 * corpus GRUB loads as a multiboot2 module) and a skewed workload over it,
 * with a live status line and a summary. kmain runs it once at boot (unless
 * demo=off); the shell's `run demo` runs it again with other options.
 */
#ifndef VEIL_KERNEL_DEMO_H
#define VEIL_KERNEL_DEMO_H

#include <stdbool.h>
#include <stdint.h>

#define DEMO_PAGES_MAX 8192u	/* 32 MiB: fits the 256 MiB test guests */
#define DEMO_SCHEME_MAX 64
#define DEMO_SAMPLES_MAX 256	/* samples one run keeps */
#define DEMO_THREADS_MAX 64

struct demo_options {
	uint32_t pages;			/* region pages */
	uint32_t clear_limit;		/* clear-set size in pages */
	uint64_t accesses;		/* workload length */
	unsigned write_percent;		/* share of accesses that write */
	uint64_t seed;			/* access-pattern seed */
	bool status_line;		/* refresh a status line while running */
	unsigned samples;		/* 0: a sample every 250 ms; N: N samples
					 * evenly spaced over the accesses (for
					 * charts that need a number of points) */
	char scheme[DEMO_SCHEME_MAX];	/* "" picks the default scheme */
	unsigned threads;		/* 0 or 1: one run on the calling thread;
					 * N: N threads at once (demo_threads.c) */
};

/* The defaults `make run` shows. */
void demo_options_default(struct demo_options *options);
/* Runs the demo (replacing the previous demo region); false when it could
 * not start (bad scheme, no memory), with a message said. */
bool demo_run(const struct demo_options *options);
/* kmain: the boot-time demo, unless the command line said demo=off. */
void demo_boot(void);
/* How many CPUs the last run with threads=N ran on (its summary says). */
unsigned demo_last_cpus_used(void);
/* The last run's figures in key=value lines (for `stats` and veil-plot). */
void demo_print_stats(void);
/* The default scheme: compression then encryption when the cipher exists. */
const char *demo_default_scheme(bool say_why);

#endif
