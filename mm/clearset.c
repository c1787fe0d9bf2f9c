/*
 * The clear set (see mm/clearset.h): residency bookkeeping around the
 * region's replacement policy, with every policy answer checked.
 */
#include <string.h>
#include "kernel/lib/panic.h"
#include "mm/clearset.h"

int clearset_init(struct clearset *set, const struct policy_ops *policy,
		  const struct policy_env *env, uint32_t page_count,
		  uint32_t limit)
{
	if (!policy || page_count == 0 || page_count >= POLICY_NO_PAGE ||
	    limit == 0)
		return -1;
	set->policy = policy;
	set->env = *env;
	set->page_count = page_count;
	set->limit = limit;
	set->resident = 0;
	set->leaving = 0;
	set->member = env->alloc(env->context, page_count);
	if (!set->member)
		return -1;
	set->policy_state = policy->init(env, page_count, limit);
	if (!set->policy_state) {
		env->free(env->context, set->member, page_count);
		set->member = NULL;
		return -1;
	}
	return 0;
}

void clearset_destroy(struct clearset *set)
{
	if (!set->member)
		return;
	set->policy->destroy(set->policy_state);
	set->env.free(set->env.context, set->member, set->page_count);
	set->member = NULL;
	set->resident = 0;
}

void clearset_admit(struct clearset *set, uint32_t page)
{
	KASSERT(page < set->page_count && set->member[page] == CLEARSET_OUT);
	set->member[page] = CLEARSET_IN;
	set->resident++;
	set->policy->admit(set->policy_state, page);
}

void clearset_touch(struct clearset *set, uint32_t page)
{
	if (set->policy->touch && page < set->page_count &&
	    set->member[page] == CLEARSET_IN)
		set->policy->touch(set->policy_state, page);
}

uint32_t clearset_pick_victim(struct clearset *set)
{
	uint32_t victim;

	if (set->resident == set->leaving)
		return POLICY_NO_PAGE;
	victim = set->policy->pick_victim(set->policy_state);
	if (victim >= set->page_count || set->member[victim] != CLEARSET_IN)
		panic("clearset: policy %s named page %u, which is not resident",
		      set->policy->name, victim);
	return victim;
}

unsigned clearset_take_victims(struct clearset *set, uint32_t *pages,
			       unsigned max)
{
	unsigned taken = 0;

	while (taken < max) {
		uint32_t victim = clearset_pick_victim(set);
		if (victim == POLICY_NO_PAGE)
			break;
		set->policy->remove(set->policy_state, victim, true);
		set->member[victim] = CLEARSET_LEAVING;
		set->leaving++;
		pages[taken++] = victim;
	}
	return taken;
}

void clearset_keep(struct clearset *set, uint32_t page)
{
	KASSERT(page < set->page_count &&
		set->member[page] == CLEARSET_LEAVING);
	set->member[page] = CLEARSET_IN;
	set->leaving--;
	set->policy->admit(set->policy_state, page);
}

void clearset_remove(struct clearset *set, uint32_t page, bool evicted)
{
	KASSERT(page < set->page_count && set->member[page] != CLEARSET_OUT);
	if (set->member[page] == CLEARSET_LEAVING)
		set->leaving--;	/* the policy let it go when it was taken */
	else
		set->policy->remove(set->policy_state, page, evicted);
	set->member[page] = CLEARSET_OUT;
	set->resident--;
}

struct clearset_migration {
	const struct policy_ops *policy;
	void *state;
	uint32_t count;
};

static void clearset_migrate_one(void *arg, uint32_t page)
{
	struct clearset_migration *migration = arg;

	migration->policy->admit(migration->state, page);
	migration->count++;
}

int clearset_set_policy(struct clearset *set, const struct policy_ops *policy)
{
	struct clearset_migration migration = { .policy = policy };

	if (!policy)
		return -1;
	KASSERT(set->leaving == 0);
	if (policy == set->policy)
		return 0;
	migration.state = policy->init(&set->env, set->page_count, set->limit);
	if (!migration.state)
		return -1;
	set->policy->walk(set->policy_state, clearset_migrate_one, &migration);
	KASSERT(migration.count == set->resident);
	set->policy->destroy(set->policy_state);
	set->policy = policy;
	set->policy_state = migration.state;
	return 0;
}

int clearset_resize(struct clearset *set, uint32_t page_count)
{
	struct clearset_migration migration = { .policy = set->policy };

	KASSERT(set->leaving == 0);
	if (page_count < set->page_count || page_count >= POLICY_NO_PAGE)
		return -1;
	uint8_t *member = set->env.alloc(set->env.context, page_count);
	if (!member)
		return -1;
	migration.state = set->policy->init(&set->env, page_count, set->limit);
	if (!migration.state) {
		set->env.free(set->env.context, member, page_count);
		return -1;
	}
	set->policy->walk(set->policy_state, clearset_migrate_one, &migration);
	KASSERT(migration.count == set->resident);
	memcpy(member, set->member, set->page_count);
	set->policy->destroy(set->policy_state);
	set->env.free(set->env.context, set->member, set->page_count);
	set->policy_state = migration.state;
	set->member = member;
	set->page_count = page_count;
	return 0;
}
