/*
 * TLB event, region fault and store trace: per-CPU rings, the hook
 * subscriber and the fault and store records that fill them, the text
 * dump and its parser (format in mm/trace.h and docs/tlb-events.md).
 */
#include <string.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/printk.h"
#include "mm/region.h"
#include "mm/trace.h"

struct trace_ring {
	uint64_t next_seq;	/* seq of the last record written */
	struct trace_record records[TRACE_RING_RECORDS];
};

/* Per CPU, allocated by trace_cpu_prepare before the CPU runs (NULL: not
 * prepared, nothing recorded or dumped for it); the pointer is written once.
 * Each ring is written only by its CPU with interrupts off, so it needs no
 * lock. Read by the dump from any CPU (the seq protocol in trace.h). */
static struct trace_ring *trace_rings[CONFIG_MAX_CPUS];

bool trace_cpu_prepare(unsigned cpu)
{
	struct trace_ring *ring;

	if (cpu >= CONFIG_MAX_CPUS)
		return false;
	if (__atomic_load_n(&trace_rings[cpu], __ATOMIC_ACQUIRE))
		return true;
	ring = cpu_memory_alloc(sizeof(*ring));
	if (!ring)
		return false;
	__atomic_store_n(&trace_rings[cpu], ring, __ATOMIC_RELEASE);
	return true;
}

/* The ring of cpu, or NULL when it was never prepared. */
static struct trace_ring *trace_ring_of(unsigned cpu)
{
	return __atomic_load_n(&trace_rings[cpu], __ATOMIC_ACQUIRE);
}
/* The clock; written by trace_start before subscribing, read by writers. */
static uint64_t (*trace_clock)(void);

/* Set by trace_start once subscribed, cleared by trace_stop; read without
 * a lock by the fault path (trace_fault_enter): a fault racing with the
 * switch may leave an ENTER without its RETURN, which the tools accept. */
int trace_recording;

const char *trace_record_type_name(unsigned type)
{
	if (type < TLB_EVENT_TYPES)
		return tlb_event_name((enum tlb_event_type)type);
	if (type == TRACE_FAULT_ENTER)
		return "FAULT_ENTER";
	if (type == TRACE_FAULT_RETURN)
		return "FAULT_RETURN";
	if (type == TRACE_STORE_PUT)
		return "STORE_PUT";
	if (type == TRACE_STORE_FREE)
		return "STORE_FREE";
	return "UNKNOWN";
}

const char *trace_fault_outcome_name(unsigned outcome)
{
	static const char *const names[TRACE_OUTCOMES] = {
		[TRACE_OUTCOME_NONE] = "none",
		[TRACE_OUTCOME_ZERO_FILLED] = "zero-filled",
		[TRACE_OUTCOME_RESTORED] = "restored",
		[TRACE_OUTCOME_PRESENT] = "present",
		[TRACE_OUTCOME_REFUSED] = "refused",
	};

	return outcome < TRACE_OUTCOMES ? names[outcome] : "unknown";
}

void trace_record_event(enum tlb_event_type type, uint32_t region_id,
			uint64_t address, uint64_t frame)
{
	trace_record(type, region_id, address, frame, TRACE_OUTCOME_NONE);
}

/* Appends a record with the fields of fields (its seq, timestamp and cpu
 * are the ring's) to the running CPU's ring; nothing when it has none. */
static void trace_append(const struct trace_record *fields)
{
	unsigned long flags = irq_save();
	unsigned cpu = cpu_current();
	struct trace_ring *ring = trace_ring_of(cpu);

	if (!ring) {
		irq_restore(flags);
		return;
	}
	uint64_t seq = ring->next_seq + 1;
	struct trace_record *record = &ring->records[seq % TRACE_RING_RECORDS];
	uint64_t (*clock)(void) = __atomic_load_n(&trace_clock, __ATOMIC_ACQUIRE);

	/* Invalidate first so the dump cannot take a half-written record. */
	__atomic_store_n(&record->seq, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	record->timestamp = clock ? clock() : seq;
	record->address = fields->address;
	record->frame = fields->frame;
	record->stored = fields->stored;
	record->region_id = fields->region_id;
	record->length = fields->length;
	record->type = fields->type;
	record->cpu = (uint8_t)cpu;
	record->outcome = fields->outcome;
	__atomic_store_n(&record->seq, seq, __ATOMIC_RELEASE);
	__atomic_store_n(&ring->next_seq, seq, __ATOMIC_RELEASE);
	irq_restore(flags);
}

void trace_record(unsigned type, uint32_t region_id, uint64_t address,
		  uint64_t frame, enum trace_fault_outcome outcome)
{
	struct trace_record fields = {
		.address = address, .frame = frame, .region_id = region_id,
		.type = (uint8_t)type, .outcome = (uint8_t)outcome,
	};

	trace_append(&fields);
}

void trace_record_store(unsigned type, uint32_t region_id, uint64_t address,
			uint32_t length, uint64_t stored)
{
	struct trace_record fields = {
		.address = address, .stored = stored, .region_id = region_id,
		.length = length, .type = (uint8_t)type,
	};

	trace_append(&fields);
}

static void trace_hook(enum tlb_event_type type, struct region *region,
		       uintptr_t address, uint64_t frame)
{
	trace_record_event(type, region ? (uint32_t)region->id : 0, address,
			   frame);
}

static void trace_on_map(struct tlb_subscriber *s, struct region *region,
			 uintptr_t address, uint64_t frame)
{
	(void)s;
	trace_hook(TLB_EVENT_MAP, region, address, frame);
}

static void trace_on_fault(struct tlb_subscriber *s, struct region *region,
			   uintptr_t address, uint64_t frame)
{
	(void)s;
	trace_hook(TLB_EVENT_FAULT, region, address, frame);
}

static void trace_on_evict(struct tlb_subscriber *s, struct region *region,
			   uintptr_t address, uint64_t frame)
{
	(void)s;
	trace_hook(TLB_EVENT_EVICT, region, address, frame);
}

static void trace_on_invalidate(struct tlb_subscriber *s,
				struct region *region, uintptr_t address,
				uint64_t frame)
{
	(void)s;
	trace_hook(TLB_EVENT_INVALIDATE, region, address, frame);
}

static const struct tlb_subscriber_ops trace_subscriber_ops = {
	.name = "trace",
	.priority = 1000,	/* after subscribers that act on the page */
	.on_map = trace_on_map,
	.on_fault = trace_on_fault,
	.on_evict = trace_on_evict,
	.on_invalidate = trace_on_invalidate,
};

static struct tlb_subscriber trace_subscriber = { .ops = &trace_subscriber_ops };

int trace_start(uint64_t (*clock)(void))
{
	__atomic_store_n(&trace_clock, clock, __ATOMIC_RELEASE);
	int result = tlb_subscribe(&trace_subscriber);

	if (result == TLB_HOOKS_OK)
		__atomic_store_n(&trace_recording, 1, __ATOMIC_RELEASE);
	return result;
}

int trace_stop(void)
{
	__atomic_store_n(&trace_recording, 0, __ATOMIC_RELEASE);
	return tlb_unsubscribe(&trace_subscriber);
}

void trace_clear(void)
{
	for (unsigned cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++) {
		struct trace_ring *ring = trace_ring_of(cpu);

		if (!ring)
			continue;
		for (unsigned i = 0; i < TRACE_RING_RECORDS; i++)
			__atomic_store_n(&ring->records[i].seq, 0,
					 __ATOMIC_RELAXED);
	}
}

/* Copies the record if it is whole and still has the expected seq. */
static bool trace_read_record(const struct trace_record *record,
			      uint64_t seq, struct trace_record *copy)
{
	if (__atomic_load_n(&record->seq, __ATOMIC_ACQUIRE) != seq)
		return false;
	copy->timestamp = record->timestamp;
	copy->address = record->address;
	copy->frame = record->frame;
	copy->stored = record->stored;
	copy->region_id = record->region_id;
	copy->length = record->length;
	copy->type = record->type;
	copy->cpu = record->cpu;
	copy->outcome = record->outcome;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	copy->seq = seq;
	return __atomic_load_n(&record->seq, __ATOMIC_RELAXED) == seq;
}

/* One dump line for record (format in trace.h). */
static void trace_format_record(const struct trace_record *record,
				char *line, size_t size)
{
	int length = ksnprintf(line, size,
			       "tlbev seq=%llu cpu=%u ts=%llu type=%s region=%u va=0x%llx frame=0x%llx",
			       (unsigned long long)record->seq,
			       (unsigned)record->cpu,
			       (unsigned long long)record->timestamp,
			       trace_record_type_name(record->type),
			       (unsigned)record->region_id,
			       (unsigned long long)record->address,
			       (unsigned long long)record->frame);

	if (length <= 0 || (size_t)length >= size)
		return;
	if (record->type == TRACE_FAULT_RETURN)
		ksnprintf(line + length, size - (size_t)length, " outcome=%s",
			  trace_fault_outcome_name(record->outcome));
	else if (trace_type_is_store(record->type))
		ksnprintf(line + length, size - (size_t)length,
			  " bytes=%u stored=%llu", (unsigned)record->length,
			  (unsigned long long)record->stored);
}

unsigned trace_dump(void (*emit)(void *context, const char *line),
		    void *context)
{
	char line[256];	/* the longest record line is 208 characters */
	unsigned dumped = 0;
	uint64_t lost = 0;

	unsigned cpus = cpu_count();

	/* The CPUs that run: rings of CPUs that never started are empty. */
	ksnprintf(line, sizeof(line), "tlbev-begin cpus=%u capacity=%u",
		  cpus, (unsigned)TRACE_RING_RECORDS);
	emit(context, line);
	for (unsigned cpu = 0; cpu < cpus; cpu++) {
		struct trace_ring *ring = trace_ring_of(cpu);

		if (!ring)
			continue;
		uint64_t last = __atomic_load_n(&ring->next_seq, __ATOMIC_ACQUIRE);
		uint64_t first = last > TRACE_RING_RECORDS ?
				 last - TRACE_RING_RECORDS + 1 : 1;

		for (uint64_t seq = first; seq <= last && last; seq++) {
			struct trace_record copy;

			if (!trace_read_record(&ring->records[seq % TRACE_RING_RECORDS],
					       seq, &copy)) {
				lost++;	/* cleared, or rewritten under us */
				continue;
			}
			trace_format_record(&copy, line, sizeof(line));
			emit(context, line);
			dumped++;
		}
		lost += first - 1;
	}
	ksnprintf(line, sizeof(line), "tlbev-end records=%u lost=%llu", dumped,
		  (unsigned long long)lost);
	emit(context, line);
	return dumped;
}

static void trace_emit_console(void *context, const char *line)
{
	(void)context;
	printk("%s\n", line);
}

unsigned trace_dump_console(void)
{
	return trace_dump(trace_emit_console, NULL);
}

/* ---- parsing: the reverse of the dump, for host tools and tests ---- */

/* Whether c ends a field: a space, the line's end or its newline. */
static bool trace_field_end(char c)
{
	return c == ' ' || c == '\0' || c == '\n' || c == '\r';
}

static bool trace_parse_number(const char **cursor, const char *key,
			       uint64_t *value)
{
	const char *p = *cursor;
	size_t key_length = strlen(key);
	unsigned base = 10;
	uint64_t result = 0;
	bool digits = false;

	while (*p == ' ')
		p++;
	if (strncmp(p, key, key_length) != 0 || p[key_length] != '=')
		return false;
	p += key_length + 1;
	if (p[0] == '0' && p[1] == 'x') {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		unsigned digit;

		if (*p >= '0' && *p <= '9')
			digit = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			digit = *p - 'a' + 10;
		else
			break;
		result = result * base + digit;
		digits = true;
	}
	if (!digits || !trace_field_end(*p))
		return false;
	*value = result;
	*cursor = p;
	return true;
}

/* Matches " <key>=<name_of(i)>" for some i in [first, count) at *cursor,
 * the name ended as a field ends (trace_field_end); i goes to *index. */
static bool trace_parse_name(const char **cursor, const char *key,
			     const char *(*name_of)(unsigned), unsigned first,
			     unsigned count, unsigned *index)
{
	const char *p = *cursor;
	size_t key_length = strlen(key);

	while (*p == ' ')
		p++;
	if (strncmp(p, key, key_length) != 0 || p[key_length] != '=')
		return false;
	p += key_length + 1;
	for (unsigned i = first; i < count; i++) {
		const char *name = name_of(i);
		size_t length = strlen(name);

		if (strncmp(p, name, length) == 0 &&
		    trace_field_end(p[length])) {
			*index = i;
			*cursor = p + length;
			return true;
		}
	}
	return false;
}

/* True when only a line ending (or nothing) is left. */
static bool trace_parse_end(const char *p)
{
	while (*p == '\r' || *p == '\n')
		p++;
	return *p == '\0';
}

/* A FAULT_RETURN's " outcome=<name>"; other types have none. */
static bool trace_parse_outcome(const char **cursor, struct trace_line *out)
{
	unsigned outcome;

	out->outcome = TRACE_OUTCOME_NONE;
	if (out->type != TRACE_FAULT_RETURN)
		return true;
	if (!trace_parse_name(cursor, "outcome", trace_fault_outcome_name,
			      TRACE_OUTCOME_NONE + 1, TRACE_OUTCOMES, &outcome))
		return false;
	out->outcome = (enum trace_fault_outcome)outcome;
	return true;
}

/* A STORE_PUT or STORE_FREE's " bytes=<n> stored=<n>"; other types have
 * none. */
static bool trace_parse_store(const char **cursor, struct trace_line *out)
{
	out->length = 0;
	out->stored = 0;
	if (!trace_type_is_store(out->type))
		return true;
	return trace_parse_number(cursor, "bytes", &out->length) &&
	       trace_parse_number(cursor, "stored", &out->stored);
}

bool trace_parse_line(const char *line, struct trace_line *out)
{
	const char *p = line;
	uint64_t cpu, region;

	if (strncmp(p, "tlbev ", 6) != 0)
		return false;
	p += 5;
	if (!(trace_parse_number(&p, "seq", &out->seq) &&
	      trace_parse_number(&p, "cpu", &cpu) &&
	      trace_parse_number(&p, "ts", &out->timestamp) &&
	      trace_parse_name(&p, "type", trace_record_type_name, 0,
			       TRACE_RECORD_TYPES, &out->type) &&
	      trace_parse_number(&p, "region", &region) &&
	      trace_parse_number(&p, "va", &out->address) &&
	      trace_parse_number(&p, "frame", &out->frame) &&
	      trace_parse_outcome(&p, out) && trace_parse_store(&p, out) &&
	      trace_parse_end(p)))
		return false;
	out->cpu = (unsigned)cpu;
	out->region_id = (unsigned)region;
	return true;
}
