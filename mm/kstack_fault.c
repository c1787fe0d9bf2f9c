/*
 * The fault owner of the kernel-stack area (mm/kstack.h): nothing there is
 * ever faulted in, so every fault is FATAL; one in a guard page is a
 * kernel stack overflow and is reported as one.
 */
#include <stdint.h>
#include "kernel/lib/panic.h"
#include "mm/fault.h"
#include "mm/kstack.h"

static enum fault_response kstack_handle_fault(struct fault_owner *owner,
					       const struct fault *fault,
					       const char **reason)
{
	(void)owner;
	*reason = kstack_is_guard(fault->address) ?
			  "kernel stack overflow: the access hit a stack's guard page" :
			  "access to a kernel stack slot that is not in use";
	return FAULT_FATAL;
}

static const struct fault_owner_ops kstack_fault_ops = {
	.name = "kernel-stacks",
	.handle = kstack_handle_fault,
};

static struct fault_owner kstack_fault_owner = { .ops = &kstack_fault_ops };

void kstack_fault_owner_init(void)
{
	uintptr_t base, size;

	kstack_area(&base, &size);
	kstack_fault_owner.start = base;
	kstack_fault_owner.end = base + size;
	if (fault_owner_register(&kstack_fault_owner) != FAULT_OWNER_OK)
		panic("kstack: the fault owner of the stack area could not be registered");
}
