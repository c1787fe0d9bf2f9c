/*
 * The list of replacement policies, for lookups by name (command line,
 * scheme descriptions). Policies themselves live in mm/policy_*.c; those
 * of loaded modules (kernel/module/) are added at run time by
 * policy_register. Lookups happen when a scheme is built, never on the
 * fault path, so one lock does.
 */
#include <string.h>
#include "kernel/lib/spinlock.h"
#include "mm/policy.h"

const struct policy_ops *const policy_all[] = {
	&policy_fifo,
	&policy_clock,
	&policy_2q,
	NULL,
};

/* Protects policy_registered. */
static struct spinlock policy_registry_lock = SPINLOCK_INIT("policy_registry");
static const struct policy_ops *policy_registered[POLICY_REGISTERED_MAX];

/* The policy named name, built in or registered; registry lock held. */
static const struct policy_ops *policy_find_locked(const char *name)
{
	for (unsigned i = 0; policy_all[i]; i++)
		if (strcmp(policy_all[i]->name, name) == 0)
			return policy_all[i];
	for (unsigned i = 0; i < POLICY_REGISTERED_MAX; i++)
		if (policy_registered[i] &&
		    strcmp(policy_registered[i]->name, name) == 0)
			return policy_registered[i];
	return NULL;
}

const struct policy_ops *policy_lookup(const char *name)
{
	unsigned long flags = spin_lock_irqsave(&policy_registry_lock);
	const struct policy_ops *found = policy_find_locked(name);

	spin_unlock_irqrestore(&policy_registry_lock, flags);
	return found;
}

int policy_register(const struct policy_ops *ops)
{
	int result = -1;

	if (!ops || !ops->name || !ops->init || !ops->destroy || !ops->admit ||
	    !ops->pick_victim || !ops->remove || !ops->walk)
		return -1;
	unsigned long flags = spin_lock_irqsave(&policy_registry_lock);
	if (!policy_find_locked(ops->name)) {
		for (unsigned i = 0; i < POLICY_REGISTERED_MAX; i++) {
			if (!policy_registered[i]) {
				policy_registered[i] = ops;
				result = 0;
				break;
			}
		}
	}
	spin_unlock_irqrestore(&policy_registry_lock, flags);
	return result;
}

void policy_unregister(const struct policy_ops *ops)
{
	unsigned long flags = spin_lock_irqsave(&policy_registry_lock);

	for (unsigned i = 0; i < POLICY_REGISTERED_MAX; i++)
		if (policy_registered[i] == ops)
			policy_registered[i] = NULL;
	spin_unlock_irqrestore(&policy_registry_lock, flags);
}

void policy_for_each_registered(void (*fn)(const struct policy_ops *ops, void *arg),
				void *arg)
{
	const struct policy_ops *copy[POLICY_REGISTERED_MAX];
	unsigned long flags = spin_lock_irqsave(&policy_registry_lock);

	memcpy(copy, policy_registered, sizeof(copy));
	spin_unlock_irqrestore(&policy_registry_lock, flags);
	for (unsigned i = 0; i < POLICY_REGISTERED_MAX; i++)
		if (copy[i])
			fn(copy[i], arg);
}
