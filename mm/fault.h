/*
 * The fault dispatcher: every page fault, decoded once by the architecture
 * into an arch-neutral description (struct fault), is handed to the owner
 * of the faulting address: a transformed region, the kernel stacks (whose
 * guard pages catch overflows), later a user address space. The owner
 * answers with a response that says what the trap layer does next; nobody
 * else is asked. Owners are ops tables registered over address ranges, so
 * the trap layer and the dispatcher know no owner by name.
 *
 * Locking: fault_owners_lock protects the owner table. Dispatch reads it
 * with the lock held for the lookup only, so an owner's handler runs
 * without it; an owner must stay registered while a fault may reach it
 * (owners are registered at boot, or by tests around their own accesses).
 */
#ifndef VEIL_MM_FAULT_H
#define VEIL_MM_FAULT_H

#include <stdbool.h>
#include <stdint.h>

struct vmm_space;

enum fault_access {
	FAULT_ACCESS_READ,
	FAULT_ACCESS_WRITE,
	FAULT_ACCESS_EXECUTE,	/* an instruction fetch */
};

/* A page fault as mm/ sees it (no error-code bits). */
struct fault {
	uintptr_t address;
	enum fault_access access;
	bool user;		/* the access came from user mode */
	bool present;		/* the page was present: a protection violation */
	bool reserved;		/* a paging entry had a reserved bit set */
	/* The address space of the faulting thread (NULL: a kernel thread):
	 * owners of one space's addresses are asked only for its faults. */
	const struct vmm_space *space;
};

/* What the owner did about a fault; the trap layer acts on it. */
enum fault_response {
	/* The page is there now: the access is retried. */
	FAULT_HANDLED = 0,
	/* Nothing was changed here, but the access may succeed if retried
	 * (a page in transition, resolved meanwhile by another path). A
	 * fault retried too often in a row becomes FAULT_FATAL. */
	FAULT_RETRY,
	/* The access cannot be served; the owner has recorded the error
	 * for whoever uses the memory (a counter, a poisoned page, later a
	 * signal to a process). The access does not complete: the trap
	 * layer offers it to the catch handler, else reports it. */
	FAULT_ERROR,
	/* The kernel cannot go on (stack overflow, no owner, corrupt
	 * state): reported, and the kernel stops. */
	FAULT_FATAL,
};

struct fault_owner;

struct fault_owner_ops {
	const char *name;
	/* Called with interrupts off for a fault inside the owner's range;
	 * *reason may be set to a short text for an ERROR or FATAL report. */
	enum fault_response (*handle)(struct fault_owner *owner,
				      const struct fault *fault,
				      const char **reason);
};

/* An owner of the addresses [start, end): in every space (space NULL),
 * or in one address space only (a process's user half). Ranges of owners
 * of every space never overlap another owner's; owners of different
 * single spaces may share addresses. */
struct fault_owner {
	const struct fault_owner_ops *ops;
	uintptr_t start;
	uintptr_t end;
	void *private_data;
	const struct vmm_space *space;
};

/* Owners at once (regions share one owner; stacks one; tests a few). */
#define FAULT_OWNERS_MAX 64
/* Retries in a row on one CPU before a fault is taken as fatal. */
#define FAULT_RETRY_LIMIT 1000u

/* Results of (un)registration. */
enum fault_owner_result {
	FAULT_OWNER_OK = 0,
	FAULT_OWNER_FULL = -1,		/* FAULT_OWNERS_MAX registered */
	FAULT_OWNER_OVERLAP = -2,	/* the range meets another owner's */
	FAULT_OWNER_INVALID = -3,	/* no ops, no handler, empty range */
	FAULT_OWNER_UNKNOWN = -4,	/* unregister: not registered */
};

int fault_owner_register(struct fault_owner *owner);
int fault_owner_unregister(struct fault_owner *owner);

/* What a dispatch decided, for the trap layer's report. */
struct fault_outcome {
	enum fault_response response;
	const struct fault_owner *owner;	/* NULL: nobody owns the address */
	const char *reason;			/* for ERROR and FATAL, or NULL */
};

/* Hands the fault to its owner. Called by the trap layer with interrupts
 * off, on the CPU that faulted. */
void fault_dispatch(const struct fault *fault, struct fault_outcome *outcome);

const char *fault_response_name(enum fault_response response);
const char *fault_access_name(enum fault_access access);

#endif
