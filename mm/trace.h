/*
 * Trace of TLB events, region faults and store usage: a ring buffer per
 * CPU of fixed-size records (record type, virtual address, frame, region
 * id, timestamp, CPU, a fault's outcome, a sealed copy's bytes and the
 * region's store bytes), filled while tracing is on (trace_start ..
 * trace_stop) by a hook subscriber (the four TLB events), by the region
 * fault owner (a fault's entry and its return) and by the region's seal
 * and release of sealed copies (store records), and dumped as text in a
 * one-line-per-record format that host tools parse (docs/tlb-events.md):
 *
 *   tlbev-begin cpus=<n> capacity=<records per cpu>
 *   tlbev seq=<n> cpu=<c> ts=<t> type=<MAP|FAULT|EVICT|INVALIDATE|FAULT_ENTER> region=<id> va=0x<hex> frame=0x<hex>
 *   tlbev seq=<n> cpu=<c> ts=<t> type=FAULT_RETURN region=<id> va=0x<hex> frame=0x<hex> outcome=<zero-filled|restored|present|refused>
 *   tlbev seq=<n> cpu=<c> ts=<t> type=<STORE_PUT|STORE_FREE> region=<id> va=0x<hex> frame=0x0 bytes=<copy> stored=<region's bytes>
 *   tlbev-end records=<dumped> lost=<overwritten before the dump>
 *
 * All numbers are decimal unless written 0x<hex>. Records of one CPU appear
 * oldest first; seq is a per-CPU count from 1, so a gap means records were
 * overwritten. The timestamp comes from the clock given to trace_start
 * (the TSC in the kernel); without one it is the per-CPU seq.
 *
 * FAULT_ENTER and FAULT_RETURN bracket one call of the region fault owner
 * (region_handle_fault, after a trap) or of region_fault_page (a fault a
 * workload asks for without a trap), on the CPU that ran it: va is the
 * faulting page's address, region the region's id (0: no region there),
 * frame 0 (the frame is on the FAULT and MAP events between them). The
 * return's outcome: zero-filled (the page was unpopulated and is now
 * mapped, zeroed), restored (it was sealed and its copy is back), present
 * (it was clear: another CPU mapped it meanwhile, the access is retried),
 * refused (the fault is an error: no region, a protection fault, no
 * memory, a poisoned page).
 *
 * STORE_PUT and STORE_FREE follow the region's store bytes
 * (region_stats.bytes_stored): a page's copy was sealed into the store (an
 * eviction, a purge, the new copy of a reseal) or its copy was freed (a
 * restore, an unmap, a poisoning, the old copy of a reseal). va is the
 * page's address, bytes the copy's length in the store, stored the
 * region's store bytes after the change. Logs written before these records
 * existed have none; the other lines are unchanged.
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
	uint64_t stored;	/* STORE_PUT/FREE: the region's store bytes after */
	uint32_t region_id;
	uint32_t length;	/* STORE_PUT/FREE: the copy's bytes; else 0 */
	uint8_t type;		/* enum tlb_event_type or trace_record_type */
	uint8_t cpu;
	uint8_t outcome;	/* FAULT_RETURN: enum trace_fault_outcome; else 0 */
};

/* The record types after the four TLB events: a region fault's two ends,
 * and a sealed copy entering or leaving the store. */
enum trace_record_type {
	TRACE_FAULT_ENTER = TLB_EVENT_TYPES,
	TRACE_FAULT_RETURN,
	TRACE_STORE_PUT,
	TRACE_STORE_FREE,
	TRACE_RECORD_TYPES,
};

/* Whether a record type carries bytes and stored (STORE_PUT, STORE_FREE). */
static inline bool trace_type_is_store(unsigned type)
{
	return type == TRACE_STORE_PUT || type == TRACE_STORE_FREE;
}

/* What a region fault came to (a FAULT_RETURN record's outcome). */
enum trace_fault_outcome {
	TRACE_OUTCOME_NONE = 0,		/* not a FAULT_RETURN */
	TRACE_OUTCOME_ZERO_FILLED,
	TRACE_OUTCOME_RESTORED,
	TRACE_OUTCOME_PRESENT,
	TRACE_OUTCOME_REFUSED,
	TRACE_OUTCOMES,
};

/* The dump's name of a record type ("MAP" .. "FAULT_RETURN"; "UNKNOWN"
 * out of range) and of an outcome ("zero-filled" ..; "none" for 0). */
const char *trace_record_type_name(unsigned type);
const char *trace_fault_outcome_name(unsigned outcome);

/* Allocates CPU cpu's ring (cpu_memory_alloc); true when it has one. Called
 * by mm_cpu_prepare before the CPU runs; a CPU without a ring records
 * nothing. */
bool trace_cpu_prepare(unsigned cpu);

/* Appends a record to the running CPU's ring (whether or not tracing is
 * on: the kernel may log events of its own). */
void trace_record_event(enum tlb_event_type type, uint32_t region_id,
			uint64_t address, uint64_t frame);

/* Appends a record of any type (enum tlb_event_type or trace_record_type)
 * with its outcome (TRACE_OUTCOME_NONE but for FAULT_RETURN), as
 * trace_record_event does. */
void trace_record(unsigned type, uint32_t region_id, uint64_t address,
		  uint64_t frame, enum trace_fault_outcome outcome);

/* Appends a STORE_PUT or STORE_FREE record (type) for the page at address:
 * its copy's length and the region's store bytes after the change, as
 * trace_record does. */
void trace_record_store(unsigned type, uint32_t region_id, uint64_t address,
			uint32_t length, uint64_t stored);

#if CONFIG_TLB_HOOKS

/* Non-zero between a successful trace_start and trace_stop: the fault
 * records below are written only then. */
extern int trace_recording;

/* A region fault at address (region 0: none there) begins; recorded only
 * while tracing is on. The region's fault entry points call it first. */
static inline void trace_fault_enter(uint32_t region_id, uint64_t address)
{
	if (__builtin_expect(__atomic_load_n(&trace_recording,
					     __ATOMIC_RELAXED), 0))
		trace_record(TRACE_FAULT_ENTER, region_id, address, 0,
			     TRACE_OUTCOME_NONE);
}

/* The fault trace_fault_enter announced returns with outcome; recorded
 * only while tracing is on. */
static inline void trace_fault_return(uint32_t region_id, uint64_t address,
				      enum trace_fault_outcome outcome)
{
	if (__builtin_expect(__atomic_load_n(&trace_recording,
					     __ATOMIC_RELAXED), 0))
		trace_record(TRACE_FAULT_RETURN, region_id, address, 0, outcome);
}

/* A sealed copy of length bytes of the page at address entered the store
 * (put) or left it, leaving the region with stored bytes there; recorded
 * only while tracing is on. The region calls it as it counts the change
 * in region_stats.bytes_stored. */
static inline void trace_store_change(bool put, uint32_t region_id,
				      uint64_t address, uint64_t length,
				      uint64_t stored)
{
	if (__builtin_expect(__atomic_load_n(&trace_recording,
					     __ATOMIC_RELAXED), 0))
		trace_record_store(put ? TRACE_STORE_PUT : TRACE_STORE_FREE,
				   region_id, address, (uint32_t)length, stored);
}

#else

/* Without hooks there is no tracing: the fault path carries no trace
 * code at all. */
static inline void trace_fault_enter(uint32_t region_id, uint64_t address)
{
	(void)region_id;
	(void)address;
}

static inline void trace_fault_return(uint32_t region_id, uint64_t address,
				      enum trace_fault_outcome outcome)
{
	(void)region_id;
	(void)address;
	(void)outcome;
}

static inline void trace_store_change(bool put, uint32_t region_id,
				      uint64_t address, uint64_t length,
				      uint64_t stored)
{
	(void)put;
	(void)region_id;
	(void)address;
	(void)length;
	(void)stored;
}

#endif

/*
 * Subscribes the trace to the TLB hooks with the given clock (NULL: seq
 * numbers as time) and turns on the fault records. Returns a
 * tlb_hooks_result (TLB_HOOKS_DISABLED in a CONFIG_TLB_HOOKS=0 build).
 * trace_stop turns the fault records off and unsubscribes.
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
 * the line is not an event line (a FAULT_RETURN without its outcome, a
 * STORE_PUT or STORE_FREE without bytes and stored, or anything after the
 * last field, is not). */
struct trace_line {
	uint64_t seq, timestamp, address, frame;
	uint64_t stored;		/* 0 but for STORE_PUT/FREE */
	uint64_t length;		/* 0 but for STORE_PUT/FREE */
	unsigned cpu, region_id;
	unsigned type;			/* enum tlb_event_type or trace_record_type */
	enum trace_fault_outcome outcome;	/* NONE but for FAULT_RETURN */
};
bool trace_parse_line(const char *line, struct trace_line *out);

#endif
