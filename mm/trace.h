/*
 * Trace of TLB events: a ring buffer per CPU of fixed-size records (event
 * type, virtual address, frame, region id, timestamp, CPU), filled by a hook
 * subscriber while tracing is on, and dumped as text in a one-line-per-event
 * format that host tools parse (docs/tlb-events.md):
 *
 *   tlbev-begin cpus=<n> capacity=<records per cpu>
 *   tlbev seq=<n> cpu=<c> ts=<t> type=<MAP|FAULT|EVICT|INVALIDATE> region=<id> va=0x<hex> frame=0x<hex>
 *   tlbev-end records=<dumped> lost=<overwritten before the dump>
 *
 * All numbers are decimal unless written 0x<hex>. Records of one CPU appear
 * oldest first; seq is a per-CPU count from 1, so a gap means records were
 * overwritten. The timestamp comes from the clock given to trace_start
 * (the TSC in the kernel); without one it is the per-CPU seq.
 *
 * Writers touch only their own CPU's ring, with interrupts off. A record is
 * published by writing its seq last (release); the dump reads seq before and
 * after copying a record and drops it if they differ (a record rewritten
 * under the dump), so a dump is safe while events flow.
 */
#ifndef VEIL_MM_TRACE_H
#define VEIL_MM_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/hooks.h"

#define TRACE_RING_RECORDS 1024	/* per CPU; a power of two */

struct trace_record {
	uint64_t seq;		/* 0: never written */
	uint64_t timestamp;
	uint64_t address;
	uint64_t frame;
	uint32_t region_id;
	uint8_t type;		/* enum tlb_event_type */
	uint8_t cpu;
};

/* Allocates CPU cpu's ring (cpu_memory_alloc); true when it has one. Called
 * by mm_cpu_prepare before the CPU runs; a CPU without a ring records
 * nothing. */
bool trace_cpu_prepare(unsigned cpu);

/* Appends a record to the running CPU's ring (whether or not tracing is
 * subscribed: the kernel may log events of its own). */
void trace_record_event(enum tlb_event_type type, uint32_t region_id,
			uint64_t address, uint64_t frame);

/*
 * Subscribes the trace to the TLB hooks with the given clock (NULL: seq
 * numbers as time). Returns a tlb_hooks_result (TLB_HOOKS_DISABLED in a
 * CONFIG_TLB_HOOKS=0 build).
 */
int trace_start(uint64_t (*clock)(void));
int trace_stop(void);
/* Empties every ring. */
void trace_clear(void);

/* Writes the dump, one line at a time without newline, to emit. Returns
 * the number of records dumped. */
unsigned trace_dump(void (*emit)(void *context, const char *line),
		    void *context);
/* trace_dump to the console (printk). */
unsigned trace_dump_console(void);

/* One parsed "tlbev" line; for host tools and tests. Returns false when
 * the line is not an event line. */
struct trace_line {
	uint64_t seq, timestamp, address, frame;
	unsigned cpu, region_id;
	enum tlb_event_type type;
};
bool trace_parse_line(const char *line, struct trace_line *out);

#endif
