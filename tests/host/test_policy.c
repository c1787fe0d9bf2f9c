/*
 * Host tests of the replacement policies (mm/policy*.c) through the clear
 * set (mm/clearset.c). A small simulator plays the hardware: each access to
 * a resident page sets its simulated Accessed bit, an access to another page
 * is a miss that evicts the policy's victim when the set is full and admits
 * the page (the faulting access then sets its bit, as the CPU does after the
 * fault is resolved).
 */
#include <stdlib.h>
#include <string.h>
#include "mm/clearset.h"
#include "mm/policy.h"
#include "tests/host/htest.h"

struct policy_sim {
	struct clearset set;
	uint8_t *accessed;	/* the simulated Accessed bit per page */
	uint32_t page_count;
	uint64_t misses;
	uint64_t *page_misses;	/* per page */
	uint32_t last_victim;
};

static void *sim_alloc(void *context, size_t bytes)
{
	(void)context;
	return calloc(1, bytes);
}

static void sim_free(void *context, void *memory, size_t bytes)
{
	(void)context;
	(void)bytes;
	free(memory);
}

static bool sim_test_and_clear(void *context, uint32_t page)
{
	struct policy_sim *sim = context;
	bool was = sim->accessed[page];

	sim->accessed[page] = 0;
	return was;
}

static void sim_init(struct policy_sim *sim, const struct policy_ops *policy,
		     uint32_t page_count, uint32_t limit)
{
	struct policy_env env = {
		.alloc = sim_alloc,
		.free = sim_free,
		.test_and_clear_referenced = sim_test_and_clear,
		.context = sim,
	};

	memset(sim, 0, sizeof(*sim));
	sim->page_count = page_count;
	sim->accessed = calloc(page_count, 1);
	sim->page_misses = calloc(page_count, sizeof(uint64_t));
	sim->last_victim = POLICY_NO_PAGE;
	HCHECK(clearset_init(&sim->set, policy, &env, page_count, limit) == 0);
}

static void sim_destroy(struct policy_sim *sim)
{
	clearset_destroy(&sim->set);
	free(sim->accessed);
	free(sim->page_misses);
}

/* One access; returns true on a miss. */
static bool sim_access(struct policy_sim *sim, uint32_t page)
{
	if (clearset_contains(&sim->set, page)) {
		sim->accessed[page] = 1;
		return false;
	}
	sim->misses++;
	sim->page_misses[page]++;
	if (clearset_full(&sim->set)) {
		uint32_t victim = clearset_pick_victim(&sim->set);

		HCHECK(victim < sim->page_count);
		HCHECK(clearset_contains(&sim->set, victim));
		clearset_remove(&sim->set, victim, true);
		sim->accessed[victim] = 0;	/* the PTE is gone */
		sim->last_victim = victim;
	}
	clearset_admit(&sim->set, page);
	sim->accessed[page] = 1;
	return true;
}

HTEST(fifo_order_exact)
{
	struct policy_sim sim;

	sim_init(&sim, &policy_fifo, 64, 4);
	for (uint32_t p = 0; p < 4; p++)
		sim_access(&sim, p);
	/* Touching the oldest does not save it under FIFO. */
	sim_access(&sim, 0);
	for (uint32_t p = 4; p < 40; p++) {
		sim_access(&sim, p);
		HCHECK_EQ(sim.last_victim, p - 4);
	}
	HCHECK_EQ(sim.set.resident, 4);
	sim_destroy(&sim);
}

HTEST(clock_second_chance_order)
{
	struct policy_sim sim;

	sim_init(&sim, &policy_clock, 64, 4);
	for (uint32_t p = 0; p < 4; p++)
		sim_access(&sim, p);
	/* All four were used: one full turn clears them, then page 0 goes. */
	sim_access(&sim, 4);
	HCHECK_EQ(sim.last_victim, 0);
	/* 1..3 now have their bits clear, 4 has its bit set: 1 goes, then
	 * after 2 is used again, 3 goes before 2. */
	sim_access(&sim, 5);
	HCHECK_EQ(sim.last_victim, 1);
	sim_access(&sim, 2);
	sim_access(&sim, 6);
	HCHECK_EQ(sim.last_victim, 3);
	sim_destroy(&sim);
}

/* A hot page used between every two cold pages of an endless scan. */
static uint64_t hot_page_misses(const struct policy_ops *policy)
{
	struct policy_sim sim;
	uint64_t hot;

	sim_init(&sim, policy, 4096, 16);
	for (uint32_t i = 0; i < 20000; i++) {
		sim_access(&sim, 0);
		sim_access(&sim, 1 + i % 4000);
	}
	hot = sim.page_misses[0];
	sim_destroy(&sim);
	return hot;
}

HTEST(clock_keeps_hot_page_fifo_does_not)
{
	uint64_t clock = hot_page_misses(&policy_clock);
	uint64_t fifo = hot_page_misses(&policy_fifo);
	uint64_t two_q = hot_page_misses(&policy_2q);

	htest_log("hot page misses: clock=%llu fifo=%llu 2q=%llu",
		  (unsigned long long)clock, (unsigned long long)fifo,
		  (unsigned long long)two_q);
	/* Its first touch, and at most once more: when the set first fills,
	 * every page has its bit set from its own fault, so the first sweep
	 * clears all and takes the oldest. From then on it stays. */
	HCHECK(clock <= 2);
	HCHECK(fifo > 1000);	/* flushed every 16 admissions */
	HCHECK(two_q <= 3);	/* probation, ghost, then main for good */
}

/*
 * Scan resistance: a hot set of half the limit is used in rounds; between
 * rounds a one-shot scan of twice the limit passes. 2Q keeps the hot set in
 * its main part; CLOCK and FIFO lose it to every scan.
 */
static uint64_t scan_trace_misses(const struct policy_ops *policy)
{
	const uint32_t limit = 64, hot = 32, scan = 128;
	struct policy_sim sim;
	uint32_t next_cold = 1000;
	uint64_t misses;

	sim_init(&sim, policy, 200000, limit);
	for (uint32_t round = 0; round < 400; round++) {
		for (uint32_t repeat = 0; repeat < 4; repeat++)
			for (uint32_t p = 0; p < hot; p++)
				sim_access(&sim, p);
		for (uint32_t s = 0; s < scan; s++)
			sim_access(&sim, next_cold++);
		if (next_cold + scan >= 200000)
			next_cold = 1000;
	}
	misses = sim.misses;
	sim_destroy(&sim);
	return misses;
}

HTEST(2q_beats_clock_and_fifo_on_scans)
{
	uint64_t fifo = scan_trace_misses(&policy_fifo);
	uint64_t clock = scan_trace_misses(&policy_clock);
	uint64_t two_q = scan_trace_misses(&policy_2q);

	htest_log("scan trace misses: fifo=%llu clock=%llu 2q=%llu",
		  (unsigned long long)fifo, (unsigned long long)clock,
		  (unsigned long long)two_q);
	/* Scan pages miss under every policy (400 * 128 = 51200); the
	 * difference is the hot set's misses. */
	HCHECK(two_q < clock);
	HCHECK(two_q < fifo);
	HCHECK(two_q < 51200 + 400 * 32 / 4);
}

static uint64_t sim_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

struct walk_check {
	struct policy_sim *sim;
	uint32_t count;
	uint8_t *seen;
	bool ok;
};

static void walk_visit(void *arg, uint32_t page)
{
	struct walk_check *check = arg;

	if (page >= check->sim->page_count ||
	    !clearset_contains(&check->sim->set, page) || check->seen[page])
		check->ok = false;
	else
		check->seen[page] = 1;
	check->count++;
}

static bool walk_matches(struct policy_sim *sim)
{
	struct walk_check check = { .sim = sim, .ok = true };

	check.seen = calloc(sim->page_count, 1);
	sim->set.policy->walk(sim->set.policy_state, walk_visit, &check);
	free(check.seen);
	return check.ok && check.count == sim->set.resident;
}

HTEST(random_invariants_and_policy_switch)
{
	for (unsigned start = 0; policy_all[start]; start++) {
		struct policy_sim sim;
		uint64_t seed = 0x1234567 + start;
		unsigned bad_count = 0, bad_walk = 0;

		sim_init(&sim, policy_all[start], 512, 37);
		for (uint32_t i = 0; i < 200000; i++) {
			uint64_t r = sim_random(&seed);
			uint32_t page = (r >> 8) % 512;

			if (r % 100 < 5)
				page %= 16;	/* some skew */
			if (r % 1000 == 0 && clearset_contains(&sim.set, page)) {
				/* an unmap: the page leaves without eviction */
				clearset_remove(&sim.set, page, false);
				sim.accessed[page] = 0;
			} else if (r % 5000 == 1) {
				const struct policy_ops *next =
					policy_all[(r >> 32) % 3];

				HCHECK(clearset_set_policy(&sim.set, next) == 0);
				HCHECK(sim.set.policy == next);
				bad_walk += !walk_matches(&sim);
			} else {
				sim_access(&sim, page);
			}
			bad_count += sim.set.resident > 37;
		}
		bad_walk += !walk_matches(&sim);
		HCHECK_EQ(bad_count, 0);
		HCHECK_EQ(bad_walk, 0);
		sim_destroy(&sim);
	}
}

/* The resident pages in walk order (leaving soonest first). */
struct walk_order {
	uint32_t pages[64];
	uint32_t count;
};

static void walk_record(void *arg, uint32_t page)
{
	struct walk_order *order = arg;

	if (order->count < 64)
		order->pages[order->count] = page;
	order->count++;
}

/* A policy change hands the clear set over with its recency: the new
 * policy receives the pages oldest first and keeps that order, so its
 * first victim is the old policy's next one (reference bits clear), for
 * every pair of policies and after the history each built its own order. */
HTEST(policy_change_keeps_recency_order)
{
	for (unsigned from = 0; policy_all[from]; from++) {
		for (unsigned to = 0; policy_all[to]; to++) {
			struct policy_sim sim;
			struct walk_order before = { 0 }, after = { 0 };

			if (to == from)
				continue;
			sim_init(&sim, policy_all[from], 128, 24);
			for (uint32_t step = 0; step < 3000; step++) {
				uint32_t page = (step * 37 + step / 7) % 60;
				if (step % 3 == 0)
					page %= 12;	/* some pages wanted often */
				sim_access(&sim, page);
			}
			memset(sim.accessed, 0, sim.page_count);
			sim.set.policy->walk(sim.set.policy_state, walk_record,
					     &before);
			HCHECK(clearset_set_policy(&sim.set, policy_all[to]) == 0);
			sim.set.policy->walk(sim.set.policy_state, walk_record,
					     &after);
			HCHECK_EQ(before.count, sim.set.resident);
			HCHECK(before.count > 12);
			HCHECK_EQ(after.count, before.count);
			HCHECK(memcmp(before.pages, after.pages,
				      before.count * sizeof(uint32_t)) == 0);
			HCHECK_EQ(clearset_pick_victim(&sim.set), before.pages[0]);
			sim_destroy(&sim);
		}
	}
}

/* Taking k victims at once gives, for every policy, the pages k single
 * evictions would have given, in that order; they stay resident (LEAVING)
 * until removed, and one kept goes back to the policy. */
HTEST(take_victims_matches_one_by_one_evictions)
{
	for (unsigned i = 0; policy_all[i]; i++) {
		struct policy_sim one, many;
		uint32_t taken[8], expected[8];

		sim_init(&one, policy_all[i], 64, 16);
		sim_init(&many, policy_all[i], 64, 16);
		for (uint32_t step = 0; step < 200; step++) {	/* same history */
			uint32_t page = (step * 7 + step / 5) % 24;
			sim_access(&one, page);
			sim_access(&many, page);
		}
		for (unsigned k = 0; k < 8; k++) {
			expected[k] = clearset_pick_victim(&one.set);
			clearset_remove(&one.set, expected[k], true);
		}
		uint32_t resident = many.set.resident;
		HCHECK(resident >= 8);
		HCHECK_EQ(clearset_take_victims(&many.set, taken, 8), 8);
		HCHECK_EQ(many.set.resident, resident);
		HCHECK_EQ(many.set.leaving, 8);
		for (unsigned k = 0; k < 8; k++) {
			HCHECK_EQ(taken[k], expected[k]);
			HCHECK(clearset_leaving(&many.set, taken[k]));
			HCHECK(clearset_contains(&many.set, taken[k]));
		}
		for (unsigned k = 0; k < 7; k++)
			clearset_remove(&many.set, taken[k], true);
		clearset_keep(&many.set, taken[7]);
		HCHECK_EQ(many.set.leaving, 0);
		HCHECK_EQ(many.set.resident, resident - 7);
		HCHECK(!clearset_leaving(&many.set, taken[7]));
		HCHECK(clearset_contains(&many.set, taken[7]));
		/* a full take of what is left, then nothing more */
		uint32_t rest[16];
		HCHECK_EQ(clearset_take_victims(&many.set, rest, 16), resident - 7);
		HCHECK_EQ(clearset_take_victims(&many.set, rest, 16), 0);
		for (unsigned k = 0; k < resident - 7; k++)
			clearset_remove(&many.set, rest[k], true);
		HCHECK_EQ(many.set.resident, 0);
		sim_destroy(&one);
		sim_destroy(&many);
	}
}

HTEST(lookup_by_name)
{
	HCHECK(policy_lookup("fifo") == &policy_fifo);
	HCHECK(policy_lookup("clock") == &policy_clock);
	HCHECK(policy_lookup("2q") == &policy_2q);
	HCHECK(policy_lookup("lru") == NULL);
}
