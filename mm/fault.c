/*
 * The fault dispatcher (mm/fault.h): a small table of owners, each over a
 * range of addresses, searched on every page fault. The table is short (a
 * handful of owners: regions, kernel stacks, tests), so a linear search
 * costs less than anything cleverer.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/spinlock.h"
#include "mm/fault.h"

/* Protects fault_owners and fault_owner_count. */
static struct spinlock fault_owners_lock = SPINLOCK_INIT("fault_owners");
static struct fault_owner *fault_owners[FAULT_OWNERS_MAX];
static unsigned fault_owner_count;

/* Retries in a row of this CPU; only its own CPU touches its slot. */
static unsigned fault_retries[CONFIG_MAX_CPUS];

/* Whether two owners could both be asked for one address. */
static bool fault_ranges_meet(const struct fault_owner *a,
			      const struct fault_owner *b)
{
	bool same_space = !a->space || !b->space || a->space == b->space;

	return same_space && a->start < b->end && b->start < a->end;
}

int fault_owner_register(struct fault_owner *owner)
{
	if (!owner || !owner->ops || !owner->ops->handle || !owner->ops->name ||
	    owner->start >= owner->end)
		return FAULT_OWNER_INVALID;
	unsigned long flags = spin_lock_irqsave(&fault_owners_lock);
	int result = FAULT_OWNER_OK;

	for (unsigned i = 0; i < fault_owner_count && result == FAULT_OWNER_OK; i++) {
		if (fault_ranges_meet(fault_owners[i], owner))
			result = FAULT_OWNER_OVERLAP;
	}
	if (result == FAULT_OWNER_OK && fault_owner_count == FAULT_OWNERS_MAX)
		result = FAULT_OWNER_FULL;
	if (result == FAULT_OWNER_OK)
		fault_owners[fault_owner_count++] = owner;
	spin_unlock_irqrestore(&fault_owners_lock, flags);
	return result;
}

int fault_owner_unregister(struct fault_owner *owner)
{
	unsigned long flags = spin_lock_irqsave(&fault_owners_lock);
	int result = FAULT_OWNER_UNKNOWN;

	for (unsigned i = 0; i < fault_owner_count; i++) {
		if (fault_owners[i] == owner) {
			fault_owners[i] = fault_owners[--fault_owner_count];
			result = FAULT_OWNER_OK;
			break;
		}
	}
	spin_unlock_irqrestore(&fault_owners_lock, flags);
	return result;
}

/* The owner of address in space, or NULL. */
static struct fault_owner *fault_find_owner(uintptr_t address,
					    const struct vmm_space *space)
{
	unsigned long flags = spin_lock_irqsave(&fault_owners_lock);
	struct fault_owner *found = NULL;

	for (unsigned i = 0; i < fault_owner_count; i++) {
		struct fault_owner *owner = fault_owners[i];
		if (address >= owner->start && address < owner->end &&
		    (!owner->space || owner->space == space)) {
			found = owner;
			break;
		}
	}
	spin_unlock_irqrestore(&fault_owners_lock, flags);
	return found;
}

/* A retry that keeps coming back is a livelock: end it as fatal. */
static enum fault_response fault_bound_retries(enum fault_response response,
					       const char **reason)
{
	unsigned cpu = cpu_current();

	if (response != FAULT_RETRY) {
		fault_retries[cpu] = 0;
		return response;
	}
	if (++fault_retries[cpu] < FAULT_RETRY_LIMIT)
		return response;
	fault_retries[cpu] = 0;
	*reason = "the owner asked for a retry too many times in a row";
	return FAULT_FATAL;
}

void fault_dispatch(const struct fault *fault, struct fault_outcome *outcome)
{
	struct fault_owner *owner = fault_find_owner(fault->address, fault->space);

	outcome->owner = owner;
	outcome->reason = NULL;
	if (!owner) {
		outcome->response = FAULT_FATAL;
		outcome->reason = "no owner for this address";
		return;
	}
	enum fault_response response = owner->ops->handle(owner, fault,
							  &outcome->reason);
	outcome->response = fault_bound_retries(response, &outcome->reason);
}

const char *fault_response_name(enum fault_response response)
{
	switch (response) {
	case FAULT_HANDLED: return "handled";
	case FAULT_RETRY:   return "retry";
	case FAULT_ERROR:   return "error";
	case FAULT_FATAL:   return "fatal";
	}
	return "?";
}

const char *fault_access_name(enum fault_access access)
{
	switch (access) {
	case FAULT_ACCESS_READ:    return "read";
	case FAULT_ACCESS_WRITE:   return "write";
	case FAULT_ACCESS_EXECUTE: return "execute";
	}
	return "?";
}
