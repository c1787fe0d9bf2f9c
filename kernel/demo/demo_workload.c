/*
 * The demo's workload: reads and writes of pages picked with a Zipf-like
 * skew (P(rank k) ~ 1/k: a rank's power-of-two level is drawn uniformly,
 * then a rank inside it), which is what makes a small clear set hold most
 * accesses, as with real programs. Ranks go through a shuffle so the hot
 * pages are scattered over the region, not its first pages.
 *
 * Every page's checksum is kept and updated on each write; a page that
 * faulted in (restored from its sealed copy) is checked in full, so a
 * transform that loses or damages a byte is caught here.
 *
 * Pages are brought in with region_fault_page() before they are touched,
 * not by the page fault itself: a region under memory pressure (store
 * full, no frame left) answers with an error the workload reports and
 * stops on, where a fault it cannot serve would end the kernel. The fault
 * latency measured is that call: the region's work without the trap's
 * entry and exit.
 */
#include <string.h>
#include "kernel/demo/demo_internal.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "mm/slab.h"

#define DEMO_WORDS (4096u / 8u)

static uint64_t demo_random(struct demo_workload *w)
{
	/* xorshift64*: fast, and enough for an access pattern */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 0x2545f4914f6cdd1dull;
}

/* Position-weighted so that swapped words change it; a write updates it
 * without rereading the page. */
uint64_t demo_page_sum(const void *page)
{
	const volatile uint64_t *words = page;
	uint64_t sum = 0;

	for (uint32_t i = 0; i < DEMO_WORDS; i++)
		sum += words[i] * (2u * i + 1u);
	return sum;
}

static void demo_workload_shuffle(struct demo_workload *w)
{
	for (uint32_t i = 0; i < w->pages; i++)
		w->rank_to_page[i] = i;
	for (uint32_t i = w->pages - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(demo_random(w) % (i + 1));
		uint32_t t = w->rank_to_page[i];
		w->rank_to_page[i] = w->rank_to_page[j];
		w->rank_to_page[j] = t;
	}
}

void demo_workload_free(struct demo_workload *w)
{
	kfree(w->rank_to_page);
	kfree(w->sums);
	w->rank_to_page = NULL;
	w->sums = NULL;
}

bool demo_workload_init(struct demo_workload *w, struct region *region,
			const struct demo_corpus *corpus, uint64_t seed,
			unsigned write_percent)
{
	memset(w, 0, sizeof(*w));
	w->region = region;
	w->pages = region->pages;
	w->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
	w->write_percent = write_percent;
	while ((1ull << w->levels) <= w->pages)
		w->levels++;
	w->rank_to_page = kmalloc(w->pages * sizeof(uint32_t));
	w->sums = kmalloc(w->pages * sizeof(uint64_t));
	if (!w->rank_to_page || !w->sums) {
		demo_workload_free(w);
		return false;
	}
	demo_workload_shuffle(w);
	for (uint32_t page = 0; page < w->pages; page++) {
		uint8_t *address = region_page_address(region, page);
		int result = region_fault_page(region, page);
		if (result != REGION_OK) {
			w->error = result;
			w->error_page = page;
			demo_workload_free(w);
			return false;
		}
		demo_corpus_fill(corpus, page, address);
		w->sums[page] = demo_page_sum(address);
	}
	region_get_stats(region, &w->after_fill);
	demo_latency_reset(&w->latency);
	return true;
}

void demo_workload_stats(const struct demo_workload *w,
			 struct region_stats *out)
{
	const struct region_stats *fill = &w->after_fill;

	region_get_stats(w->region, out);
	out->faults -= fill->faults;
	out->zero_fills -= fill->zero_fills;
	out->restores -= fill->restores;
	out->evictions -= fill->evictions;
	out->invalidations -= fill->invalidations;
	out->seal_failures -= fill->seal_failures;
	out->corrupt -= fill->corrupt;
}

/* A rank from 1 up with P(k) ~ 1/k, mapped to a page. */
static uint32_t demo_workload_pick(struct demo_workload *w)
{
	for (;;) {
		uint64_t r = demo_random(w);
		unsigned level = (unsigned)(r % w->levels);
		uint64_t rank = (1ull << level) +
				((r >> 32) & ((1ull << level) - 1));
		if (rank <= w->pages)
			return w->rank_to_page[rank - 1];
	}
}

static void demo_workload_check(struct demo_workload *w, uint32_t page,
				const void *address)
{
	w->verified++;
	if (demo_page_sum(address) == w->sums[page])
		return;
	if (w->mismatches++ == 0)
		log_error("demo: page %u does not hold what was written to it",
			  page);
}

int demo_workload_step(struct demo_workload *w)
{
	uint32_t page = demo_workload_pick(w);
	uint64_t r = demo_random(w);
	volatile uint64_t *words = region_page_address(w->region, page);
	uint32_t word = (uint32_t)(r % DEMO_WORDS);
	uint64_t faults = __atomic_load_n(&w->region->stats.faults,
					  __ATOMIC_RELAXED);
	uint64_t start = time_cycles();
	if (region_page_state(w->region, page) != REGION_CLEAR) {
		int result = region_fault_page(w->region, page);
		if (result != REGION_OK) {
			w->error = result;
			w->error_page = page;
			return result;
		}
	}
	uint64_t old = words[word];
	uint64_t cycles = time_cycles() - start;

	w->accesses++;
	if (__atomic_load_n(&w->region->stats.faults, __ATOMIC_RELAXED) != faults) {
		w->faulted++;
		demo_latency_add(&w->latency, cycles);
		demo_workload_check(w, page, (const void *)words);
	}
	if ((r >> 40) % 100 < w->write_percent) {
		uint64_t value = demo_random(w);
		words[word] = value;
		w->sums[page] += (value - old) * (2u * word + 1u);
		w->writes++;
	}
	return REGION_OK;
}

void demo_workload_report_error(const struct demo_workload *w)
{
	const char *why;

	switch (w->error) {
	case REGION_NO_MEMORY:
		why = "out of memory (no free frame, and the page store full "
		      "or refusing: `stats` shows the pressure)";
		break;
	case REGION_INTEGRITY:
	case REGION_PAGE_POISONED:
		why = "its sealed copy failed its integrity check; the page is "
		      "poisoned";
		break;
	default:
		why = "the region could not restore it";
		break;
	}
	printk("demo: stopped: page %u could not be brought in: %s (error %d); "
	       "the kernel goes on\n", w->error_page, why, w->error);
}
