/*
 * FIFO replacement: pages leave in the order they were admitted, whatever
 * their use. The baseline the other policies are measured against.
 */
#include "mm/policy.h"
#include "mm/policy_list.h"

struct policy_fifo_state {
	struct policy_env env;
	uint32_t page_count;
	struct policy_links links;
	struct policy_list queue;	/* oldest admission at the head */
};

static void *policy_fifo_init(const struct policy_env *env,
			      uint32_t page_count, uint32_t limit)
{
	struct policy_fifo_state *state;

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
	policy_list_init(&state->queue);
	return state;
}

static void policy_fifo_destroy(void *opaque)
{
	struct policy_fifo_state *state = opaque;
	struct policy_env env = state->env;

	policy_links_free(&env, &state->links, state->page_count);
	env.free(env.context, state, sizeof(*state));
}

static void policy_fifo_admit(void *opaque, uint32_t page)
{
	struct policy_fifo_state *state = opaque;

	policy_list_append(&state->links, &state->queue, page);
}

static uint32_t policy_fifo_pick_victim(void *opaque)
{
	struct policy_fifo_state *state = opaque;

	return state->queue.head;
}

static void policy_fifo_remove(void *opaque, uint32_t page, bool evicted)
{
	struct policy_fifo_state *state = opaque;

	(void)evicted;
	policy_list_unlink(&state->links, &state->queue, page);
}

static void policy_fifo_walk(void *opaque, void (*fn)(void *arg, uint32_t page),
			     void *arg)
{
	struct policy_fifo_state *state = opaque;

	for (uint32_t p = state->queue.head; p != POLICY_NO_PAGE;
	     p = state->links.next[p])
		fn(arg, p);
}

const struct policy_ops policy_fifo = {
	.name = "fifo",
	.init = policy_fifo_init,
	.destroy = policy_fifo_destroy,
	.admit = policy_fifo_admit,
	.touch = NULL,
	.pick_victim = policy_fifo_pick_victim,
	.remove = policy_fifo_remove,
	.walk = policy_fifo_walk,
};
