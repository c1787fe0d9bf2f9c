/*
 * Fault injection points (kernel/lib/failpoint.h): the table of points,
 * their counters and the seeded draws. Portable: host tests link it as is.
 * Nothing of it is built without CONFIG_FAILPOINTS.
 *
 * The draw of a call is a hash (splitmix64) of the seed, the point and the
 * point's call number, so no generator state is shared between CPUs and a
 * run with the same seed and the same calls fails the same calls.
 */
#include "kernel/lib/failpoint.h"

#if CONFIG_FAILPOINTS

#include <string.h>
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"

struct failpoint {
	const char *name;
	uint64_t calls;		/* atomics: counted on every call */
	uint64_t injected;
	uint64_t nth_call;	/* the calls value that fails; 0: none */
	uint32_t ppm;		/* probability per million; 0: never */
};

/* Each field is read and written with atomics (see the header). */
static struct failpoint failpoints[FAILPOINTS] = {
	[FAILPOINT_FRAME_ALLOC] = { .name = "frame_alloc" },
	[FAILPOINT_PAGE_TABLE_ALLOC] = { .name = "page_table_alloc" },
	[FAILPOINT_STORE_PUT] = { .name = "store_put" },
	[FAILPOINT_STORE_MAP] = { .name = "store_map" },
	[FAILPOINT_SLAB_ALLOC] = { .name = "slab_alloc" },
	[FAILPOINT_SEAL] = { .name = "seal" },
	[FAILPOINT_UNSEAL] = { .name = "unseal" },
};
static uint64_t failpoint_seed_value = 0x5eed;
static unsigned failpoint_armed;	/* points with nth_call or ppm set */

static uint64_t failpoint_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static bool failpoint_is_armed(const struct failpoint *point)
{
	return __atomic_load_n(&point->nth_call, __ATOMIC_RELAXED) != 0 ||
	       __atomic_load_n(&point->ppm, __ATOMIC_RELAXED) != 0;
}

static void failpoint_recount_armed(void)
{
	unsigned armed = 0;

	for (unsigned i = 0; i < FAILPOINTS; i++)
		armed += failpoint_is_armed(&failpoints[i]);
	__atomic_store_n(&failpoint_armed, armed, __ATOMIC_RELEASE);
}

bool failpoint_should_fail(enum failpoint_id id)
{
	if ((unsigned)id >= FAILPOINTS)
		return false;
	struct failpoint *point = &failpoints[id];
	uint64_t call = __atomic_add_fetch(&point->calls, 1, __ATOMIC_RELAXED);

	if (__atomic_load_n(&failpoint_armed, __ATOMIC_ACQUIRE) == 0)
		return false;
	uint64_t nth = __atomic_load_n(&point->nth_call, __ATOMIC_RELAXED);
	uint32_t ppm = __atomic_load_n(&point->ppm, __ATOMIC_RELAXED);
	bool fail = nth != 0 && call == nth;
	if (!fail && ppm != 0) {
		uint64_t seed = __atomic_load_n(&failpoint_seed_value,
						__ATOMIC_RELAXED);
		uint64_t draw = failpoint_mix(seed ^ failpoint_mix(call * FAILPOINTS + id));
		fail = draw % FAILPOINT_PPM_MAX < ppm;
	}
	if (fail)
		__atomic_add_fetch(&point->injected, 1, __ATOMIC_RELAXED);
	return fail;
}

const char *failpoint_name(enum failpoint_id id)
{
	return (unsigned)id < FAILPOINTS ? failpoints[id].name : NULL;
}

enum failpoint_id failpoint_find(const char *name)
{
	for (unsigned i = 0; i < FAILPOINTS; i++) {
		if (strcmp(failpoints[i].name, name) == 0)
			return (enum failpoint_id)i;
	}
	return FAILPOINTS;
}

void failpoint_set(enum failpoint_id id, uint64_t nth, uint32_t ppm)
{
	if ((unsigned)id >= FAILPOINTS)
		return;
	struct failpoint *point = &failpoints[id];
	uint64_t calls = __atomic_load_n(&point->calls, __ATOMIC_RELAXED);

	__atomic_store_n(&point->nth_call, nth ? calls + nth : 0, __ATOMIC_RELAXED);
	__atomic_store_n(&point->ppm, ppm > FAILPOINT_PPM_MAX ? FAILPOINT_PPM_MAX : ppm,
			 __ATOMIC_RELAXED);
	failpoint_recount_armed();
}

void failpoint_clear_all(void)
{
	for (unsigned i = 0; i < FAILPOINTS; i++) {
		__atomic_store_n(&failpoints[i].nth_call, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&failpoints[i].ppm, 0, __ATOMIC_RELAXED);
	}
	failpoint_recount_armed();
}

void failpoint_seed(uint64_t seed)
{
	__atomic_store_n(&failpoint_seed_value, seed, __ATOMIC_RELAXED);
}

void failpoint_get_counts(enum failpoint_id id, struct failpoint_counts *counts)
{
	*counts = (struct failpoint_counts){ 0, 0 };
	if ((unsigned)id >= FAILPOINTS)
		return;
	counts->calls = __atomic_load_n(&failpoints[id].calls, __ATOMIC_RELAXED);
	counts->injected = __atomic_load_n(&failpoints[id].injected, __ATOMIC_RELAXED);
}

uint64_t failpoint_total_injected(void)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < FAILPOINTS; i++)
		total += __atomic_load_n(&failpoints[i].injected, __ATOMIC_RELAXED);
	return total;
}

/* An armed n-th call keeps its distance from the current call. */
void failpoint_reset_counts(void)
{
	for (unsigned i = 0; i < FAILPOINTS; i++) {
		struct failpoint *point = &failpoints[i];
		uint64_t calls = __atomic_load_n(&point->calls, __ATOMIC_RELAXED);
		uint64_t nth = __atomic_load_n(&point->nth_call, __ATOMIC_RELAXED);
		__atomic_store_n(&point->nth_call, nth > calls ? nth - calls : 0,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&point->calls, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&point->injected, 0, __ATOMIC_RELAXED);
	}
	failpoint_recount_armed();
}

bool failpoint_any_armed(void)
{
	return __atomic_load_n(&failpoint_armed, __ATOMIC_ACQUIRE) != 0;
}

/* A decimal number filling [text, end) exactly, below 2^63. */
static bool failpoint_parse_number(const char *text, const char *end,
				   uint64_t *value)
{
	uint64_t result = 0;

	if (text == end)
		return false;
	for (const char *p = text; p < end; p++) {
		if (*p < '0' || *p > '9' || result > (UINT64_MAX >> 1) / 10)
			return false;
		result = result * 10 + (uint64_t)(*p - '0');
	}
	*value = result;
	return true;
}

static bool failpoint_word_is(const char *text, const char *end, const char *word)
{
	size_t length = strlen(word);

	return (size_t)(end - text) == length && strncmp(text, word, length) == 0;
}

/* The points "NAME" names ("all": every one): [*first, *last). */
static bool failpoint_range(const char *name, const char *name_end,
			    unsigned *first, unsigned *last)
{
	char buffer[32];
	size_t length = (size_t)(name_end - name);

	if (failpoint_word_is(name, name_end, "all")) {
		*first = 0;
		*last = FAILPOINTS;
		return true;
	}
	if (length == 0 || length >= sizeof(buffer))
		return false;
	memcpy(buffer, name, length);
	buffer[length] = '\0';
	*first = failpoint_find(buffer);
	*last = *first + 1;
	return *first != FAILPOINTS;
}

/* Applies "nth=N" (the N-th call from now, the probability kept), "ppm=P"
 * (the probability, an armed n-th call kept) or "off" to [first, last). */
static bool failpoint_apply_setting(unsigned first, unsigned last,
				    const char *setting, const char *end)
{
	bool nth = end - setting > 4 && strncmp(setting, "nth=", 4) == 0;
	bool ppm = end - setting > 4 && strncmp(setting, "ppm=", 4) == 0;
	uint64_t value = 0;

	if (nth || ppm) {
		if (!failpoint_parse_number(setting + 4, end, &value) ||
		    (nth && value == 0) || (ppm && value > FAILPOINT_PPM_MAX))
			return false;
	} else if (!failpoint_word_is(setting, end, "off")) {
		return false;
	}
	for (unsigned i = first; i < last; i++) {
		struct failpoint *point = &failpoints[i];
		uint64_t calls = __atomic_load_n(&point->calls, __ATOMIC_RELAXED);
		uint64_t armed = __atomic_load_n(&point->nth_call, __ATOMIC_RELAXED);
		uint64_t kept_nth = armed > calls ? armed - calls : 0;
		uint32_t kept_ppm = __atomic_load_n(&point->ppm, __ATOMIC_RELAXED);
		if (nth)
			failpoint_set((enum failpoint_id)i, value, kept_ppm);
		else if (ppm)
			failpoint_set((enum failpoint_id)i, kept_nth, (uint32_t)value);
		else
			failpoint_set((enum failpoint_id)i, 0, 0);
	}
	return true;
}

static bool failpoint_apply_item(const char *item, const char *end)
{
	const char *colon = item;
	uint64_t value;

	if (failpoint_word_is(item, end, "off")) {
		failpoint_clear_all();
		return true;
	}
	if (end - item > 5 && strncmp(item, "seed=", 5) == 0) {
		if (!failpoint_parse_number(item + 5, end, &value))
			return false;
		failpoint_seed(value);
		return true;
	}
	unsigned first, last;

	while (colon < end && *colon != ':')
		colon++;
	if (colon == end || !failpoint_range(item, colon, &first, &last))
		return false;
	return failpoint_apply_setting(first, last, colon + 1, end);
}

bool failpoint_parse(const char *text, char *error, size_t error_size)
{
	const char *item = text;

	if (error_size)
		error[0] = '\0';
	for (;;) {
		const char *end = item;
		while (*end && *end != ',')
			end++;
		if (!failpoint_apply_item(item, end)) {
			if (error_size)
				ksnprintf(error, error_size, "%.*s",
					  (int)(end - item), item);
			return false;
		}
		if (!*end)
			return true;
		item = end + 1;
	}
}

void failpoint_print(void)
{
	for (unsigned i = 0; i < FAILPOINTS; i++) {
		const struct failpoint *point = &failpoints[i];
		uint64_t calls = __atomic_load_n(&point->calls, __ATOMIC_RELAXED);
		uint64_t nth = __atomic_load_n(&point->nth_call, __ATOMIC_RELAXED);
		printk("failpoint name=%s nth=%llu ppm=%u calls=%llu injected=%llu\n",
		       point->name,
		       (unsigned long long)(nth > calls ? nth - calls : 0),
		       (unsigned)__atomic_load_n(&point->ppm, __ATOMIC_RELAXED),
		       (unsigned long long)calls,
		       (unsigned long long)__atomic_load_n(&point->injected,
							   __ATOMIC_RELAXED));
	}
}

#endif
