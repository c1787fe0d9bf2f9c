/*
 * An example policy module: "lifo", the page admitted last leaves first
 * (a poor policy for most workloads, and an easy one to tell apart from
 * the built-in ones in a test). Its state is a stack of the resident pages
 * and each page's place in it, in memory the region gives (policy_env).
 * Built by mk/module.mk; `modload policy_example` registers it, and a
 * scheme may then name it ("lifo:lz4").
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/module/module_abi.h"
#include "mm/policy.h"

struct policy_lifo_state {
	struct policy_env env;
	uint32_t page_count;
	uint32_t depth;		/* resident pages */
	uint32_t *stack;	/* stack[0 .. depth-1], the last admitted on top */
	uint32_t *place;	/* place[page]: its index in stack */
};

static void *policy_lifo_init(const struct policy_env *env, uint32_t page_count,
			      uint32_t limit)
{
	struct policy_lifo_state *state = env->alloc(env->context, sizeof(*state));
	size_t bytes = (size_t)page_count * sizeof(uint32_t);

	(void)limit;
	if (!state)
		return NULL;
	state->env = *env;
	state->page_count = page_count;
	state->depth = 0;
	state->stack = env->alloc(env->context, bytes);
	state->place = env->alloc(env->context, bytes);
	if (!state->stack || !state->place) {
		if (state->stack)
			env->free(env->context, state->stack, bytes);
		if (state->place)
			env->free(env->context, state->place, bytes);
		env->free(env->context, state, sizeof(*state));
		return NULL;
	}
	return state;
}

static void policy_lifo_destroy(void *opaque)
{
	struct policy_lifo_state *state = opaque;
	struct policy_env env = state->env;
	size_t bytes = (size_t)state->page_count * sizeof(uint32_t);

	env.free(env.context, state->stack, bytes);
	env.free(env.context, state->place, bytes);
	env.free(env.context, state, sizeof(*state));
}

static void policy_lifo_admit(void *opaque, uint32_t page)
{
	struct policy_lifo_state *state = opaque;

	state->place[page] = state->depth;
	state->stack[state->depth++] = page;
}

static uint32_t policy_lifo_pick_victim(void *opaque)
{
	struct policy_lifo_state *state = opaque;

	return state->depth ? state->stack[state->depth - 1] : POLICY_NO_PAGE;
}

/* Removes page, closing the gap so the order of the others is kept. */
static void policy_lifo_remove(void *opaque, uint32_t page, bool evicted)
{
	struct policy_lifo_state *state = opaque;

	(void)evicted;
	for (uint32_t i = state->place[page]; i + 1 < state->depth; i++) {
		state->stack[i] = state->stack[i + 1];
		state->place[state->stack[i]] = i;
	}
	state->depth--;
}

static void policy_lifo_walk(void *opaque, void (*fn)(void *arg, uint32_t page),
			     void *arg)
{
	struct policy_lifo_state *state = opaque;

	for (uint32_t i = state->depth; i > 0; i--)
		fn(arg, state->stack[i - 1]);
}

static const struct policy_ops policy_lifo = {
	.name = "lifo",
	.init = policy_lifo_init,
	.destroy = policy_lifo_destroy,
	.admit = policy_lifo_admit,
	.pick_victim = policy_lifo_pick_victim,
	.remove = policy_lifo_remove,
	.walk = policy_lifo_walk,
};

static int policy_example_init(void)
{
	return policy_register(&policy_lifo);
}

static void policy_example_exit(void)
{
	policy_unregister(&policy_lifo);
}

MODULE_DEFINE("policy_example", policy_example_init, policy_example_exit);
