/*
 * The registry of store kinds (mm/store_kind.h): a small table under one
 * lock, the way policies are registered (mm/policy.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "kernel/lib/spinlock.h"
#include "mm/store_kind.h"

/* Protects store_kinds. */
static struct spinlock store_kind_lock = SPINLOCK_INIT("store_kinds");
static const struct store_kind *store_kinds[STORE_KINDS_MAX];

/* The kind named name; registry lock held. */
static const struct store_kind *store_kind_find_locked(const char *name)
{
	for (unsigned i = 0; i < STORE_KINDS_MAX; i++)
		if (store_kinds[i] && strcmp(store_kinds[i]->name, name) == 0)
			return store_kinds[i];
	return NULL;
}

int store_kind_register(const struct store_kind *kind)
{
	int result = -1;

	if (!kind || !kind->name || !kind->name[0] || !kind->create)
		return -1;
	unsigned long flags = spin_lock_irqsave(&store_kind_lock);
	bool taken = store_kind_find_locked(kind->name) != NULL;

	for (unsigned i = 0; i < STORE_KINDS_MAX && !taken; i++) {
		if (!store_kinds[i]) {
			store_kinds[i] = kind;
			result = 0;
			break;
		}
	}
	spin_unlock_irqrestore(&store_kind_lock, flags);
	return result;
}

void store_kind_unregister(const struct store_kind *kind)
{
	unsigned long flags = spin_lock_irqsave(&store_kind_lock);

	for (unsigned i = 0; i < STORE_KINDS_MAX; i++)
		if (store_kinds[i] == kind)
			store_kinds[i] = NULL;
	spin_unlock_irqrestore(&store_kind_lock, flags);
}

const struct store_kind *store_kind_find(const char *name)
{
	unsigned long flags = spin_lock_irqsave(&store_kind_lock);
	const struct store_kind *kind = store_kind_find_locked(name);

	spin_unlock_irqrestore(&store_kind_lock, flags);
	return kind;
}

void store_kind_for_each(void (*fn)(const struct store_kind *kind, void *arg),
			 void *arg)
{
	unsigned long flags = spin_lock_irqsave(&store_kind_lock);

	for (unsigned i = 0; i < STORE_KINDS_MAX; i++)
		if (store_kinds[i])
			fn(store_kinds[i], arg);
	spin_unlock_irqrestore(&store_kind_lock, flags);
}
