/*
 * run demo threads=N: the demo's workload as N kernel threads at once, each
 * on a region of its own ("demo.K", pages and clear set as asked, the
 * corpus, seed + K), thread K kept on CPU K mod the CPUs online, so each
 * line of the summary is one region on one CPU. The regions share the page
 * store, the frame allocator and the slab, which is what runs concurrently
 * here, and every eviction's TLB shootdown reaches the other CPUs. Each
 * thread destroys its region before it ends. The calling thread polls
 * Ctrl-C, and prints one line per thread and a total.
 */
#include <string.h>
#include "kernel/console.h"
#include "kernel/demo/demo_internal.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "mm/region.h"
#include "mm/slab.h"
#include "mm/store.h"

#define DEMO_THREADS_POLL_MS 20u
#define DEMO_THREADS_STOP_CHECK_EVERY 32u	/* accesses between stop checks */

/* CPUs the last threaded run used; written by the shell's thread only. */
static unsigned demo_threads_cpus_used;

/* One worker; written by its thread until it counts itself done, then
 * read by the caller. */
struct demo_worker {
	const struct demo_options *options;
	const struct demo_corpus *corpus;
	const char *scheme;
	unsigned index;
	bool *stop;			/* set by the caller on Ctrl-C */
	unsigned *done;			/* workers finished, atomic */
	struct demo_workload workload;
	struct region_stats stats;	/* the workload's, before the destroy */
	unsigned cpu;			/* where it ran */
	uint64_t elapsed_ns;		/* of the accesses */
	bool spawned, created, filled;
	int create_error;
};

static struct region *demo_worker_region(struct demo_worker *worker)
{
	char name[32];

	ksnprintf(name, sizeof(name), "demo.%u", worker->index);
	struct region_config config = {
		.name = name,
		.pages = worker->options->pages,
		.clear_limit = worker->options->clear_limit,
		.scheme = worker->scheme,
		.store = store_default(),
	};
	struct region *region = NULL;

	worker->create_error = region_create(&config, &region);
	return worker->create_error == REGION_OK ? region : NULL;
}

/* The accesses, stopping early when the caller asks. */
static void demo_worker_loop(struct demo_worker *worker)
{
	struct demo_workload *w = &worker->workload;
	uint64_t start = time_uptime_ns();

	w->planned = worker->options->accesses;
	for (uint64_t i = 0; i < worker->options->accesses; i++) {
		if (i % DEMO_THREADS_STOP_CHECK_EVERY == 0 &&
		    __atomic_load_n(worker->stop, __ATOMIC_RELAXED)) {
			w->interrupted = true;
			break;
		}
		if (demo_workload_step(w) != REGION_OK)
			break;
	}
	worker->elapsed_ns = time_uptime_ns() - start;
}

/* A worker thread: its region from creation to destruction, on one CPU. */
static void demo_worker_run(void *argument)
{
	struct demo_worker *worker = argument;
	struct region *region = demo_worker_region(worker);

	worker->cpu = cpu_current();
	worker->created = region != NULL;
	if (region) {
		worker->filled = demo_workload_init(&worker->workload, region,
						    worker->corpus,
						    worker->options->seed + worker->index,
						    worker->options->write_percent);
		if (worker->filled) {
			demo_worker_loop(worker);
			demo_workload_stats(&worker->workload, &worker->stats);
		}
		demo_workload_free(&worker->workload);
		region_destroy(region);
		worker->workload.region = NULL;
	}
	__atomic_add_fetch(worker->done, 1, __ATOMIC_RELEASE);
}

/* Waits for every worker, passing Ctrl-C on as a stop. */
static void demo_threads_wait(struct thread **threads, unsigned count,
			      bool *stop, unsigned *done)
{
	while (__atomic_load_n(done, __ATOMIC_ACQUIRE) < count) {
		if (!*stop && console_interrupt_pending()) {
			__atomic_store_n(stop, true, __ATOMIC_RELAXED);
			printk("demo: Ctrl-C: stopping the threads\n");
		}
		thread_sleep_ms(DEMO_THREADS_POLL_MS);
	}
	for (unsigned i = 0; i < count; i++)
		if (threads[i])
			thread_join(threads[i]);
}

/* One line for a worker; true when it ran and every page came back. */
static bool demo_worker_report(const struct demo_worker *worker)
{
	const struct demo_workload *w = &worker->workload;

	if (!worker->spawned) {
		printk("  thread %u: no thread (no kernel stack left)\n",
		       worker->index);
		return false;
	}
	if (!worker->created) {
		printk("  thread %u: region not created (error %d)\n",
		       worker->index, worker->create_error);
		return false;
	}
	if (!worker->filled) {
		printk("  thread %u on cpu %u: the fill failed (error %d at page "
		       "%u)\n", worker->index, worker->cpu, w->error,
		       w->error_page);
		return false;
	}
	printk("  thread %u on cpu %u: %llu accesses in %llu ms, %llu faults "
	       "(%llu restores), %llu evictions, %llu verified, %llu "
	       "mismatches%s\n", worker->index, worker->cpu,
	       (unsigned long long)w->accesses,
	       (unsigned long long)(worker->elapsed_ns / 1000000u),
	       (unsigned long long)worker->stats.faults,
	       (unsigned long long)worker->stats.restores,
	       (unsigned long long)worker->stats.evictions,
	       (unsigned long long)w->verified,
	       (unsigned long long)w->mismatches,
	       w->error != REGION_OK ? " (stopped by an error)" : "");
	return w->mismatches == 0 && w->error == REGION_OK;
}

/* The summary: a line per thread, then the totals. */
static bool demo_threads_summary(const struct demo_worker *workers,
				 unsigned count, uint64_t elapsed_ns)
{
	uint64_t accesses = 0, faults = 0, verified = 0, mismatches = 0;
	uint64_t cpus_used = 0;
	unsigned cpu_total = 0;
	bool ok = true;

	printk("\n== demo summary (%u threads) ==\n", count);
	for (unsigned i = 0; i < count; i++) {
		ok = demo_worker_report(&workers[i]) && ok;
		accesses += workers[i].workload.accesses;
		faults += workers[i].stats.faults;
		verified += workers[i].workload.verified;
		mismatches += workers[i].workload.mismatches;
		if (workers[i].created && !(cpus_used >> workers[i].cpu & 1)) {
			cpus_used |= 1ull << workers[i].cpu;
			cpu_total++;
		}
	}
	demo_threads_cpus_used = cpu_total;
	printk("  total     %llu accesses, %llu faults, %llu pages verified "
	       "after a fault, %llu mismatches, on %u CPUs in %llu ms\n",
	       (unsigned long long)accesses, (unsigned long long)faults,
	       (unsigned long long)verified, (unsigned long long)mismatches,
	       cpu_total,
	       (unsigned long long)(elapsed_ns / 1000000u));
	return ok;
}

unsigned demo_last_cpus_used(void)
{
	return demo_threads_cpus_used;
}

bool demo_run_threads(const struct demo_options *options, const char *scheme,
		      const struct demo_corpus *corpus)
{
	unsigned count = options->threads, done = 0, cpus = cpu_count();
	bool stop = false;
	struct demo_worker *workers = kmalloc(count * sizeof(*workers));
	struct thread **threads = kmalloc(count * sizeof(*threads));
	bool ok = false;

	if (workers && threads) {
		uint64_t start = time_uptime_ns();
		printk("demo: %u threads on %u CPUs, each a region of %u pages "
		       "(clear set %u, scheme %s) and %llu accesses\n", count,
		       cpus < count ? cpus : count, options->pages,
		       options->clear_limit, scheme,
		       (unsigned long long)options->accesses);
		memset(workers, 0, count * sizeof(*workers));
		for (unsigned i = 0; i < count; i++) {
			workers[i] = (struct demo_worker){
				.options = options, .corpus = corpus,
				.scheme = scheme, .index = i, .stop = &stop,
				.done = &done,
			};
			threads[i] = thread_create_on("demo", demo_worker_run,
						      &workers[i], 1ull << (i % cpus));
			workers[i].spawned = threads[i] != NULL;
			if (!threads[i])	/* counted as done, reported */
				__atomic_add_fetch(&done, 1, __ATOMIC_RELEASE);
		}
		demo_threads_wait(threads, count, &stop, &done);
		ok = demo_threads_summary(workers, count, time_uptime_ns() - start);
	} else {
		printk("demo: out of memory for %u threads\n", count);
	}
	kfree(workers);
	kfree(threads);
	return ok;
}
