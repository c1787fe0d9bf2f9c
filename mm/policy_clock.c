/*
 * CLOCK replacement (second chance): the resident pages form a ring swept by
 * a hand. A page whose referenced bit (the PTE's Accessed bit) is set gets
 * the bit cleared and is passed over once; the first page found with the bit
 * clear is the victim. New pages join just behind the hand, so they are the
 * last the sweep reaches. A page used at least once per sweep stays.
 */
#include "mm/policy.h"
#include "mm/policy_list.h"

struct policy_clock_state {
	struct policy_env env;
	uint32_t page_count;
	struct policy_links links;
	struct policy_list ring;
	uint32_t hand;		/* next page the sweep looks at */
};

static void *policy_clock_init(const struct policy_env *env,
			       uint32_t page_count, uint32_t limit)
{
	struct policy_clock_state *state;

	(void)limit;
	state = env->alloc(env->context, sizeof(*state));
	if (!state)
		return NULL;
	state->env = *env;
	state->page_count = page_count;
	if (!policy_links_alloc(env, &state->links, page_count)) {
		env->free(env->context, state, sizeof(*state));
		return NULL;
	}
	policy_list_init(&state->ring);
	state->hand = POLICY_NO_PAGE;
	return state;
}

static void policy_clock_destroy(void *opaque)
{
	struct policy_clock_state *state = opaque;
	struct policy_env env = state->env;

	policy_links_free(&env, &state->links, state->page_count);
	env.free(env.context, state, sizeof(*state));
}

static void policy_clock_admit(void *opaque, uint32_t page)
{
	struct policy_clock_state *state = opaque;

	if (state->hand == POLICY_NO_PAGE) {
		policy_list_append(&state->links, &state->ring, page);
		state->hand = page;
	} else {
		policy_list_insert_before(&state->links, &state->ring, page,
					  state->hand);
	}
}

static uint32_t policy_clock_pick_victim(void *opaque)
{
	struct policy_clock_state *state = opaque;
	uint32_t steps;

	/* After one full turn every bit has been cleared, so two turns
	 * always end (unless the pages are used faster than we sweep: then
	 * the hand's page is taken anyway). */
	for (steps = 0; steps < 2 * state->ring.count; steps++) {
		uint32_t page = state->hand;

		if (!state->env.test_and_clear_referenced(state->env.context,
							  page))
			return page;
		state->hand = policy_list_ring_next(&state->links, &state->ring,
						    page);
	}
	return state->hand;
}

static void policy_clock_remove(void *opaque, uint32_t page, bool evicted)
{
	struct policy_clock_state *state = opaque;

	(void)evicted;
	if (state->hand == page)
		state->hand = state->ring.count > 1 ?
			policy_list_ring_next(&state->links, &state->ring, page) :
			POLICY_NO_PAGE;
	policy_list_unlink(&state->links, &state->ring, page);
}

static void policy_clock_walk(void *opaque, void (*fn)(void *arg, uint32_t page),
			      void *arg)
{
	struct policy_clock_state *state = opaque;
	uint32_t page = state->hand;

	for (uint32_t i = 0; i < state->ring.count; i++) {
		fn(arg, page);
		page = policy_list_ring_next(&state->links, &state->ring, page);
	}
}

const struct policy_ops policy_clock = {
	.name = "clock",
	.init = policy_clock_init,
	.destroy = policy_clock_destroy,
	.admit = policy_clock_admit,
	.touch = NULL,
	.pick_victim = policy_clock_pick_victim,
	.remove = policy_clock_remove,
	.walk = policy_clock_walk,
};
