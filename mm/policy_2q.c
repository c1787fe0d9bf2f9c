/*
 * 2Q replacement (after Johnson and Shasha, VLDB 1994), adapted to a clear
 * set that sees references only through the Accessed bit:
 * - a page admitted for the first time joins the probation queue (A1in,
 *   FIFO, target size a quarter of the limit);
 * - a page evicted from probation leaves a ghost entry (A1out, no data, at
 *   most twice the limit in number: the paper sizes it in buffer slots, but
 *   here a ghost costs nothing beyond the per-page arrays every policy has,
 *   and a longer memory lets hot pages be recognised across scans longer
 *   than the clear set);
 * - a page admitted again while it has a ghost entry was wanted twice within
 *   a short time: it joins the main set (Am), replaced by CLOCK.
 * Victims come from probation while it is over its target, else from the
 * main set. A long scan of pages used once thus only cycles through the
 * probation queue and leaves the main set (the hot pages) alone, where CLOCK
 * and FIFO would flush it.
 */
#include "mm/policy.h"
#include "mm/policy_list.h"

enum policy_2q_where {
	POLICY_2Q_NONE = 0,
	POLICY_2Q_PROBATION,
	POLICY_2Q_MAIN,
	POLICY_2Q_GHOST,
};

struct policy_2q_state {
	struct policy_env env;
	uint32_t page_count;
	uint32_t probation_target;
	uint32_t ghost_limit;
	struct policy_links links;
	uint8_t *where;			/* enum policy_2q_where per page */
	struct policy_list probation;	/* oldest at the head */
	struct policy_list main;	/* a CLOCK ring */
	struct policy_list ghost;	/* oldest at the head */
	uint32_t main_hand;
};

static void *policy_2q_init(const struct policy_env *env, uint32_t page_count,
			    uint32_t limit)
{
	struct policy_2q_state *state;

	state = env->alloc(env->context, sizeof(*state));
	if (!state)
		return NULL;
	state->env = *env;
	state->page_count = page_count;
	state->probation_target = limit / 4 ? limit / 4 : 1;
	state->ghost_limit = limit * 2;
	state->where = env->alloc(env->context, page_count);
	if (!state->where) {
		env->free(env->context, state, sizeof(*state));
		return NULL;
	}
	if (!policy_links_alloc(env, &state->links, page_count)) {
		env->free(env->context, state->where, page_count);
		env->free(env->context, state, sizeof(*state));
		return NULL;
	}
	policy_list_init(&state->probation);
	policy_list_init(&state->main);
	policy_list_init(&state->ghost);
	state->main_hand = POLICY_NO_PAGE;
	return state;
}

static void policy_2q_destroy(void *opaque)
{
	struct policy_2q_state *state = opaque;
	struct policy_env env = state->env;

	policy_links_free(&env, &state->links, state->page_count);
	env.free(env.context, state->where, state->page_count);
	env.free(env.context, state, sizeof(*state));
}

static void policy_2q_main_insert(struct policy_2q_state *state, uint32_t page)
{
	if (state->main_hand == POLICY_NO_PAGE) {
		policy_list_append(&state->links, &state->main, page);
		state->main_hand = page;
	} else {
		policy_list_insert_before(&state->links, &state->main, page,
					  state->main_hand);
	}
	state->where[page] = POLICY_2Q_MAIN;
}

static void policy_2q_admit(void *opaque, uint32_t page)
{
	struct policy_2q_state *state = opaque;

	if (state->where[page] == POLICY_2Q_GHOST) {
		policy_list_unlink(&state->links, &state->ghost, page);
		policy_2q_main_insert(state, page);
		return;
	}
	policy_list_append(&state->links, &state->probation, page);
	state->where[page] = POLICY_2Q_PROBATION;
}

static uint32_t policy_2q_main_victim(struct policy_2q_state *state)
{
	for (uint32_t steps = 0; steps < 2 * state->main.count; steps++) {
		uint32_t page = state->main_hand;

		if (!state->env.test_and_clear_referenced(state->env.context,
							  page))
			return page;
		state->main_hand = policy_list_ring_next(&state->links,
							 &state->main, page);
	}
	return state->main_hand;
}

static uint32_t policy_2q_pick_victim(void *opaque)
{
	struct policy_2q_state *state = opaque;

	if (state->probation.count > state->probation_target ||
	    (state->main.count == 0 && state->probation.count > 0))
		return state->probation.head;
	if (state->main.count == 0)
		return POLICY_NO_PAGE;
	return policy_2q_main_victim(state);
}

static void policy_2q_remember(struct policy_2q_state *state, uint32_t page)
{
	if (state->ghost.count >= state->ghost_limit) {
		uint32_t oldest = state->ghost.head;

		policy_list_unlink(&state->links, &state->ghost, oldest);
		state->where[oldest] = POLICY_2Q_NONE;
	}
	policy_list_append(&state->links, &state->ghost, page);
	state->where[page] = POLICY_2Q_GHOST;
}

static void policy_2q_remove(void *opaque, uint32_t page, bool evicted)
{
	struct policy_2q_state *state = opaque;

	switch (state->where[page]) {
	case POLICY_2Q_PROBATION:
		policy_list_unlink(&state->links, &state->probation, page);
		state->where[page] = POLICY_2Q_NONE;
		/* Only an eviction is a sign of a short reuse distance later;
		 * an unmapped page has no future to predict. */
		if (evicted)
			policy_2q_remember(state, page);
		break;
	case POLICY_2Q_MAIN:
		if (state->main_hand == page)
			state->main_hand = state->main.count > 1 ?
				policy_list_ring_next(&state->links,
						      &state->main, page) :
				POLICY_NO_PAGE;
		policy_list_unlink(&state->links, &state->main, page);
		state->where[page] = POLICY_2Q_NONE;
		break;
	default:
		break;
	}
}

static void policy_2q_walk(void *opaque, void (*fn)(void *arg, uint32_t page),
			   void *arg)
{
	struct policy_2q_state *state = opaque;
	uint32_t page = state->main_hand;

	for (uint32_t p = state->probation.head; p != POLICY_NO_PAGE;
	     p = state->links.next[p])
		fn(arg, p);
	for (uint32_t i = 0; i < state->main.count; i++) {
		fn(arg, page);
		page = policy_list_ring_next(&state->links, &state->main, page);
	}
}

const struct policy_ops policy_2q = {
	.name = "2q",
	.init = policy_2q_init,
	.destroy = policy_2q_destroy,
	.admit = policy_2q_admit,
	.touch = NULL,
	.pick_victim = policy_2q_pick_victim,
	.remove = policy_2q_remove,
	.walk = policy_2q_walk,
};
