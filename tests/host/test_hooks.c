/*
 * Host tests of the hook subscribers (mm/hooks.c) and the event trace
 * (mm/trace.c): ordering by priority, refusals, and a trace of a real
 * region run that parses back and matches the region's own counters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mm/event_counts.h"
#include "mm/hooks.h"
#include "mm/region.h"
#include "mm/trace.h"
#include "tests/host/fake_vmm.h"
#include "tests/host/htest.h"
#include "transforms/xf.h"
#include "transforms/xf_codec.h"

static char call_order[16];
static unsigned call_count;

static void record_a(struct tlb_subscriber *s, struct region *r, uintptr_t a,
		     uint64_t f)
{
	(void)s, (void)r, (void)a, (void)f;
	call_order[call_count++] = 'a';
}

static void record_b(struct tlb_subscriber *s, struct region *r, uintptr_t a,
		     uint64_t f)
{
	(void)s, (void)r, (void)a, (void)f;
	call_order[call_count++] = 'b';
}

static struct tlb_subscriber *nested_victim;
static int nested_result;

static void subscribe_from_inside(struct tlb_subscriber *s, struct region *r,
				  uintptr_t a, uint64_t f)
{
	(void)s, (void)r, (void)a, (void)f;
	nested_result = tlb_unsubscribe(nested_victim);
}

HTEST(subscribers_run_by_priority_then_registration)
{
	static const struct tlb_subscriber_ops late = { .name = "late", .priority = 10, .on_map = record_b };
	static const struct tlb_subscriber_ops early = { .name = "early", .priority = -5, .on_map = record_a };
	static const struct tlb_subscriber_ops same = { .name = "same", .priority = 10, .on_map = record_a };
	struct tlb_subscriber s1 = { &late, NULL }, s2 = { &early, NULL }, s3 = { &same, NULL };

	call_count = 0;
	HCHECK_EQ(tlb_subscribe(&s1), TLB_HOOKS_OK);
	HCHECK_EQ(tlb_subscribe(&s2), TLB_HOOKS_OK);
	HCHECK_EQ(tlb_subscribe(&s3), TLB_HOOKS_OK);
	HCHECK_EQ(tlb_subscribe(&s3), TLB_HOOKS_EXISTS);
	HCHECK_EQ(tlb_subscriber_count(), 3);
	tlb_hook_map(NULL, 0x1000, 0);
	call_order[call_count] = '\0';
	HCHECK(strcmp(call_order, "aba") == 0);	/* early, late, same */
	tlb_hook_fault(NULL, 0x1000, 0);	/* no on_fault: nothing runs */
	HCHECK_EQ(call_count, 3);
	HCHECK_EQ(tlb_unsubscribe(&s1), TLB_HOOKS_OK);
	HCHECK_EQ(tlb_unsubscribe(&s1), TLB_HOOKS_UNKNOWN);
	HCHECK_EQ(tlb_unsubscribe(&s2), TLB_HOOKS_OK);
	HCHECK_EQ(tlb_unsubscribe(&s3), TLB_HOOKS_OK);
	HCHECK_EQ(tlb_subscriber_count(), 0);
}

HTEST(refusals)
{
	static const struct tlb_subscriber_ops nameless = { .name = NULL };
	static const struct tlb_subscriber_ops inner = { .name = "inner", .on_map = subscribe_from_inside };
	static const struct tlb_subscriber_ops plain = { .name = "plain" };
	struct tlb_subscriber bad = { &nameless, NULL }, nested = { &inner, NULL };
	struct tlb_subscriber many[TLB_HOOKS_MAX + 1];

	HCHECK_EQ(tlb_subscribe(NULL), TLB_HOOKS_INVALID);
	HCHECK_EQ(tlb_subscribe(&bad), TLB_HOOKS_INVALID);
	nested_victim = &nested;
	HCHECK_EQ(tlb_subscribe(&nested), TLB_HOOKS_OK);
	tlb_hook_map(NULL, 0, 0);
	HCHECK_EQ(nested_result, TLB_HOOKS_BUSY);
	HCHECK_EQ(tlb_unsubscribe(&nested), TLB_HOOKS_OK);
	for (unsigned i = 0; i < TLB_HOOKS_MAX; i++) {
		many[i] = (struct tlb_subscriber){ &plain, NULL };
		HCHECK_EQ(tlb_subscribe(&many[i]), TLB_HOOKS_OK);
	}
	many[TLB_HOOKS_MAX] = (struct tlb_subscriber){ &plain, NULL };
	HCHECK_EQ(tlb_subscribe(&many[TLB_HOOKS_MAX]), TLB_HOOKS_FULL);
	for (unsigned i = 0; i < TLB_HOOKS_MAX; i++)
		tlb_unsubscribe(&many[i]);
	HCHECK_EQ(tlb_subscriber_count(), 0);
}

struct dump_counts {
	unsigned lines, parsed, per_type[TRACE_RECORD_TYPES];
	unsigned per_outcome[TRACE_OUTCOMES];
	bool begin, end;
};

static void count_line(void *context, const char *line)
{
	struct dump_counts *counts = context;
	struct trace_line parsed;

	counts->lines++;
	counts->begin |= strncmp(line, "tlbev-begin ", 12) == 0;
	counts->end |= strncmp(line, "tlbev-end ", 10) == 0;
	if (trace_parse_line(line, &parsed)) {
		counts->parsed++;
		counts->per_type[parsed.type]++;
		counts->per_outcome[parsed.outcome]++;
	}
}

HTEST(trace_of_a_region_run_matches_its_counters)
{
	struct store *store = fake_store_create(64);
	struct region_config rc = { .name = "traced", .pages = 16, .clear_limit = 2,
				    .scheme = "fifo:identity", .store = store };
	struct region *region;
	struct region_stats stats;
	struct dump_counts counts = { 0 };

	xf_register_builtin();
	HCHECK_EQ(region_create(&rc, &region), REGION_OK);
	trace_clear();
	HCHECK_EQ(trace_start(NULL), TLB_HOOKS_OK);
	HCHECK_EQ(event_counts_start(), TLB_HOOKS_OK);
	for (unsigned i = 0; i < 40; i++)
		fake_access((uintptr_t)region_page_address(region, i % 7), i & 1);
	region_unmap_page(region, 0);
	region_unmap_page(region, 6);
	trace_stop();
	event_counts_stop();
	region_get_stats(region, &stats);
	HCHECK_EQ(trace_dump(count_line, &counts), counts.parsed);
	/* the statistics subscriber saw what the trace saw */
	for (unsigned t = 0; t < TLB_EVENT_TYPES; t++)
		HCHECK_EQ(event_counts_get(t), counts.per_type[t]);
	HCHECK(counts.begin && counts.end);
	HCHECK_EQ(counts.per_type[TLB_EVENT_FAULT], stats.faults);
	HCHECK_EQ(counts.per_type[TLB_EVENT_EVICT], stats.evictions);
	HCHECK_EQ(counts.per_type[TLB_EVENT_INVALIDATE], stats.invalidations);
	HCHECK(counts.per_type[TLB_EVENT_MAP] >= stats.faults);
	/* every fault the region served is a FAULT_ENTER/RETURN pair whose
	 * outcome says how the page came back */
	HCHECK_EQ(counts.per_type[TRACE_FAULT_ENTER], counts.per_type[TRACE_FAULT_RETURN]);
	HCHECK_EQ(counts.per_outcome[TRACE_OUTCOME_RESTORED], stats.restores);
	HCHECK_EQ(counts.per_outcome[TRACE_OUTCOME_ZERO_FILLED], stats.zero_fills);
	HCHECK_EQ(counts.per_outcome[TRACE_OUTCOME_REFUSED], 0);
	HCHECK(stats.restores > 0 && stats.zero_fills > 0);
	HCHECK_EQ(counts.per_type[TRACE_FAULT_RETURN],
		  stats.faults + counts.per_outcome[TRACE_OUTCOME_PRESENT]);
	region_destroy(region);
	store->ops->destroy(store);
	fake_release_quarantine();
}

/* The store records of one region, in dump order (one CPU here). */
struct store_walk {
	unsigned region_id, puts, frees, steps_ok, freed_unknown;
	uint64_t stored, put_bytes, free_bytes;
	uint64_t page_bytes[16];	/* the last put's length of each page */
	uintptr_t base;
};

static void walk_store_line(void *context, const char *line)
{
	struct store_walk *walk = context;
	struct trace_line parsed;

	if (!trace_parse_line(line, &parsed) || !trace_type_is_store(parsed.type) ||
	    parsed.region_id != walk->region_id)
		return;
	unsigned page = (unsigned)((parsed.address - walk->base) / 4096);
	bool put = parsed.type == TRACE_STORE_PUT;
	uint64_t want = put ? walk->stored + parsed.length :
			      walk->stored - parsed.length;

	walk->steps_ok += parsed.stored == want;
	walk->stored = parsed.stored;
	if (put) {
		walk->puts++;
		walk->put_bytes += parsed.length;
		if (page < 16)
			walk->page_bytes[page] = parsed.length;
	} else {
		walk->frees++;
		walk->free_bytes += parsed.length;
		/* a copy freed is the one its page's last put stored */
		walk->freed_unknown += page >= 16 ||
				       walk->page_bytes[page] != parsed.length;
	}
}

/* A region made while tracing, under a compressing scheme: each seal is a
 * STORE_PUT and each freed copy a STORE_FREE, whose stored field moves by
 * the copy's bytes, each free the length its page's put stored, ending at
 * the region's bytes_stored; the puts are the seals (evictions and
 * purges), the frees the restores and the unmaps of sealed pages. */
HTEST(trace_store_records_follow_bytes_stored)
{
	struct store *store = fake_store_create(64);
	struct region_config rc = { .name = "stored", .pages = 16, .clear_limit = 2,
				    .scheme = "fifo:lz4", .store = store };
	struct region *region;
	struct region_stats stats;
	struct dump_counts counts = { 0 };

	xf_register_builtin();
	xf_codec_register();
	trace_clear();
	HCHECK_EQ(trace_start(NULL), TLB_HOOKS_OK);
	HCHECK_EQ(region_create(&rc, &region), REGION_OK);
	struct store_walk walk = { .region_id = (unsigned)region->id,
				   .base = (uintptr_t)region_page_address(region, 0) };
	for (unsigned i = 0; i < 40; i++) {
		uint8_t *page = fake_access((uintptr_t)region_page_address(region, i % 7),
					    true);
		memset(page, 'a' + i % 5, 64 * (i % 7 + 1));	/* sizes differ */
	}
	HCHECK_EQ(region_purge_page(region, 4), REGION_OK);	/* clear: sealed now */
	HCHECK_EQ(region_unmap_page(region, 0), REGION_OK);	/* sealed: copy freed */
	trace_stop();
	region_get_stats(region, &stats);
	trace_dump(count_line, &counts);
	trace_dump(walk_store_line, &walk);
	HCHECK(stats.bytes_stored > 0);
	HCHECK_EQ(walk.stored, stats.bytes_stored);
	HCHECK_EQ(walk.put_bytes - walk.free_bytes, stats.bytes_stored);
	HCHECK_EQ(walk.steps_ok, walk.puts + walk.frees);
	HCHECK_EQ(walk.freed_unknown, 0);
	HCHECK_EQ(walk.puts, stats.evictions + stats.invalidations);
	HCHECK_EQ(walk.frees, stats.restores + 1);
	HCHECK_EQ(counts.per_type[TRACE_STORE_PUT], walk.puts);
	HCHECK_EQ(counts.per_type[TRACE_STORE_FREE], walk.frees);
	HCHECK(walk.puts > 0 && walk.frees > 1);
	region_destroy(region);
	store->ops->destroy(store);
	fake_release_quarantine();
	trace_clear();
}

/* A fault with no region there is refused, and the trace says so: region
 * 0, the faulting page's address, outcome refused; once tracing is off a
 * fault leaves no record. */
HTEST(trace_of_a_refused_fault)
{
	struct store *store = fake_store_create(64);
	struct region_config rc = { .name = "gap", .pages = 4, .clear_limit = 2,
				    .scheme = "fifo:identity", .store = store };
	struct region *region;
	struct dump_counts counts = { 0 };

	xf_register_builtin();
	HCHECK_EQ(region_create(&rc, &region), REGION_OK);
	uintptr_t past_end = (uintptr_t)region_page_address(region, 4) + 8;

	trace_clear();
	HCHECK_EQ(trace_start(NULL), TLB_HOOKS_OK);
	HCHECK(fake_access(past_end, false) == NULL);
	HCHECK_EQ(trace_stop(), TLB_HOOKS_OK);
	HCHECK(fake_access(past_end, false) == NULL);
	trace_dump(count_line, &counts);
	HCHECK_EQ(counts.parsed, 2);
	HCHECK_EQ(counts.per_type[TRACE_FAULT_ENTER], 1);
	HCHECK_EQ(counts.per_type[TRACE_FAULT_RETURN], 1);
	HCHECK_EQ(counts.per_outcome[TRACE_OUTCOME_REFUSED], 1);
	region_destroy(region);
	store->ops->destroy(store);
	fake_release_quarantine();
	trace_clear();
}

HTEST(trace_parser_reads_fault_records)
{
	struct trace_line line;

	HCHECK(trace_parse_line("tlbev seq=3 cpu=1 ts=9 type=FAULT_ENTER region=2 va=0x5000 frame=0x0", &line));
	HCHECK_EQ(line.type, TRACE_FAULT_ENTER);
	HCHECK_EQ(line.outcome, TRACE_OUTCOME_NONE);
	HCHECK_EQ(line.cpu, 1);
	HCHECK(trace_parse_line("tlbev seq=4 cpu=1 ts=12 type=FAULT_RETURN region=2 va=0x5000 frame=0x0 outcome=restored", &line));
	HCHECK_EQ(line.type, TRACE_FAULT_RETURN);
	HCHECK_EQ(line.outcome, TRACE_OUTCOME_RESTORED);
	HCHECK_EQ(line.timestamp, 12);
	HCHECK(trace_parse_line("tlbev seq=4 cpu=1 ts=12 type=FAULT_RETURN region=0 va=0x5000 frame=0x0 outcome=zero-filled\r\n", &line));
	HCHECK_EQ(line.outcome, TRACE_OUTCOME_ZERO_FILLED);
	HCHECK(trace_parse_line("tlbev seq=4 cpu=1 ts=12 type=FAULT_RETURN region=0 va=0x5000 frame=0x0 outcome=present", &line));
	HCHECK_EQ(line.outcome, TRACE_OUTCOME_PRESENT);
	HCHECK(trace_parse_line("tlbev seq=4 cpu=1 ts=12 type=FAULT_RETURN region=0 va=0x5000 frame=0x0 outcome=refused", &line));
	HCHECK_EQ(line.outcome, TRACE_OUTCOME_REFUSED);
	/* a return without its outcome, an unknown or misplaced outcome */
	HCHECK(!trace_parse_line("tlbev seq=4 cpu=1 ts=12 type=FAULT_RETURN region=2 va=0x5000 frame=0x0", &line));
	HCHECK(!trace_parse_line("tlbev seq=4 cpu=1 ts=12 type=FAULT_RETURN region=2 va=0x5000 frame=0x0 outcome=none", &line));
	HCHECK(!trace_parse_line("tlbev seq=4 cpu=1 ts=12 type=FAULT_RETURN region=2 va=0x5000 frame=0x0 outcome=restoredx", &line));
	HCHECK(!trace_parse_line("tlbev seq=3 cpu=1 ts=9 type=FAULT_ENTER region=2 va=0x5000 frame=0x0 outcome=restored", &line));
	HCHECK(!trace_parse_line("tlbev seq=3 cpu=1 ts=9 type=FAULT_ENTERED region=2 va=0x5000 frame=0x0", &line));
	HCHECK(!trace_parse_line("tlbev seq=1 cpu=0 ts=5 type=MAP region=1 va=0x1000 frame=0x2000 extra", &line));
}

HTEST(trace_parser_reads_store_records)
{
	struct trace_line line;

	HCHECK(trace_parse_line("tlbev seq=7 cpu=0 ts=20 type=STORE_PUT region=3 va=0x6000 frame=0x0 bytes=1234 stored=5678", &line));
	HCHECK_EQ(line.type, TRACE_STORE_PUT);
	HCHECK_EQ(line.length, 1234);
	HCHECK_EQ(line.stored, 5678);
	HCHECK_EQ(line.outcome, TRACE_OUTCOME_NONE);
	HCHECK(trace_parse_line("tlbev seq=8 cpu=0 ts=21 type=STORE_FREE region=3 va=0x6000 frame=0x0 bytes=1234 stored=4444\r\n", &line));
	HCHECK_EQ(line.type, TRACE_STORE_FREE);
	HCHECK_EQ(line.stored, 4444);
	/* the other records have no store fields (and old logs none at all) */
	HCHECK(trace_parse_line("tlbev seq=1 cpu=0 ts=5 type=EVICT region=1 va=0x1000 frame=0x2000", &line));
	HCHECK_EQ(line.length, 0);
	HCHECK_EQ(line.stored, 0);
	/* store records without both fields, fields in another order or on
	 * another type, a negative size */
	HCHECK(!trace_parse_line("tlbev seq=7 cpu=0 ts=20 type=STORE_PUT region=3 va=0x6000 frame=0x0", &line));
	HCHECK(!trace_parse_line("tlbev seq=7 cpu=0 ts=20 type=STORE_PUT region=3 va=0x6000 frame=0x0 bytes=12", &line));
	HCHECK(!trace_parse_line("tlbev seq=7 cpu=0 ts=20 type=STORE_PUT region=3 va=0x6000 frame=0x0 stored=5 bytes=12", &line));
	HCHECK(!trace_parse_line("tlbev seq=7 cpu=0 ts=20 type=STORE_FREE region=3 va=0x6000 frame=0x0 bytes=-1 stored=5", &line));
	HCHECK(!trace_parse_line("tlbev seq=7 cpu=0 ts=20 type=STORE_FREE region=3 va=0x6000 frame=0x0 bytes=1 stored=5 outcome=restored", &line));
	HCHECK(!trace_parse_line("tlbev seq=1 cpu=0 ts=5 type=MAP region=1 va=0x1000 frame=0x2000 bytes=1 stored=5", &line));
}

/* Each record type's name and each outcome's name parse back to it. */
HTEST(trace_names_round_trip)
{
	struct trace_line line;
	char text[200];

	for (unsigned type = 0; type < TRACE_RECORD_TYPES; type++) {
		unsigned outcome = type == TRACE_FAULT_RETURN ? TRACE_OUTCOME_REFUSED : 0;

		snprintf(text, sizeof(text), "tlbev seq=1 cpu=0 ts=5 type=%s region=1 va=0x1000 frame=0x0%s%s%s",
			 trace_record_type_name(type), outcome ? " outcome=" : "",
			 outcome ? trace_fault_outcome_name(outcome) : "",
			 trace_type_is_store(type) ? " bytes=10 stored=20" : "");
		HCHECK(trace_parse_line(text, &line));
		HCHECK_EQ(line.type, type);
	}
	HCHECK(strcmp(trace_record_type_name(TRACE_RECORD_TYPES), "UNKNOWN") == 0);
	HCHECK(strcmp(trace_fault_outcome_name(TRACE_OUTCOMES), "unknown") == 0);
}

HTEST(trace_parser_rejects_malformed_lines)
{
	struct trace_line line;

	HCHECK(trace_parse_line("tlbev seq=1 cpu=0 ts=5 type=MAP region=1 va=0x1000 frame=0x2000", &line));
	HCHECK_EQ(line.address, 0x1000);
	HCHECK(!trace_parse_line("tlbev seq=1 cpu=0 ts=5 type=BOGUS region=1 va=0x1000 frame=0x2000", &line));
	HCHECK(!trace_parse_line("tlbev seq=1 cpu=0", &line));
	HCHECK(!trace_parse_line("tlbev seq=x cpu=0 ts=5 type=MAP region=1 va=0x1 frame=0x2", &line));
	HCHECK(!trace_parse_line("something else", &line));
	HCHECK(!trace_parse_line("", &line));
}

/* Trace rings exist only for prepared CPUs (trace_cpu_prepare, called by
 * mm_cpu_prepare): an event on a CPU without one is not recorded, and
 * after preparing it the CPU's events are. Rings are per CPU, so records
 * of two CPUs both show up, each with its CPU. */
struct dump_cpus {
	unsigned parsed, on_cpu[8];
};

static void count_cpu_line(void *context, const char *line)
{
	struct dump_cpus *counts = context;
	struct trace_line parsed;

	if (trace_parse_line(line, &parsed)) {
		counts->parsed++;
		if (parsed.cpu < 8)
			counts->on_cpu[parsed.cpu]++;
	}
}

extern __thread unsigned host_cpu_index;

HTEST(trace_records_only_on_prepared_cpus)
{
	struct dump_cpus counts = { 0 };

	trace_clear();
	host_cpu_index = 5;	/* never prepared by the fake machine */
	trace_record_event(TLB_EVENT_MAP, 1, 0x1000, 0x2000);
	HCHECK(trace_cpu_prepare(5));
	HCHECK(trace_cpu_prepare(5));	/* twice is harmless */
	HCHECK(!trace_cpu_prepare(1000));
	trace_record_event(TLB_EVENT_FAULT, 1, 0x3000, 0x4000);
	host_cpu_index = 0;
	trace_record_event(TLB_EVENT_EVICT, 1, 0x5000, 0x6000);
	trace_dump(count_cpu_line, &counts);
	HCHECK_EQ(counts.parsed, 2);
	HCHECK_EQ(counts.on_cpu[5], 1);
	HCHECK_EQ(counts.on_cpu[0], 1);
	trace_clear();
}
