/*
 * The guard around calls into a loaded module's code: its transform steps
 * (transforms/xf.h, struct xf_call_guard), its init and its exit
 * (module_guard_run). A step whose function lies in
 * the module area is called with interrupts off behind a recovery point:
 * a saved context (kernel/context.h) that the trap path resumes when the
 * call takes an exception nobody resolves (trap_set_recover_handler), in
 * place of the kernel's panic. The step then answers XF_FAULTED, and the
 * page it was working on is as it was: an in-place step gets a copy of
 * its input first (this CPU's backup buffer), put back after a fault. The
 * fault is reported once per call and counted for `modules`.
 *
 * A page fault of module code lands on the guard's own fault stack
 * (trap_swap_fault_stack): module code may run inside a page-fault
 * handler (the seal of an eviction a fault asked for), whose stack a
 * second page fault must not reuse from its top.
 *
 * Each CPU has its own recovery point, backup and fault stack; a point is armed only
 * by its CPU with interrupts off, so it has one user. What module code
 * may leave behind when it is abandoned: nothing the kernel tracks, since
 * transforms take no locks and allocate nothing (xf.h's contract); a
 * fault inside a kernel function the module called is recovered the same
 * way and reported as outside the module's text.
 */
#include <string.h>
#include "kernel/context.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/printk.h"
#include "kernel/module/module.h"
#include "kernel/module/module_internal.h"
#include "kernel/trap.h"
#include "mm/vmm.h"
#include "transforms/xf.h"

struct module_guard_point {
	struct cpu_context context;
	bool armed;
	struct trap_info info;		/* the exception, for the report */
	uint8_t *backup;		/* XF_BUFFER_BYTES, an in-place input */
	uint8_t *fault_stack;		/* MODULE_GUARD_STACK_BYTES */
};

/* Page faults of module code land here (trap_swap_fault_stack): the trap
 * path down to the guard's recovery is shallow, but a fault from thread
 * context first goes through the fault owners. */
#define MODULE_GUARD_STACK_BYTES (16u * 1024u)

static struct module_guard_point module_guard_points[CONFIG_MAX_CPUS];
static uintptr_t module_guard_area, module_guard_area_size;
static uint64_t module_guard_faults;	/* every CPU's, atomically */

static bool module_guard_covers(xf_step_fn fn)
{
	return (uintptr_t)fn - module_guard_area < module_guard_area_size;
}

/* The trap path's offer: resumes this CPU's point when it is armed. */
static void module_guard_recover(const struct trap_info *info)
{
	struct module_guard_point *point = &module_guard_points[cpu_current()];

	if (!point->armed)
		return;
	point->armed = false;
	point->info = *info;
	context_resume(&point->context, 1);
}

static void module_guard_report(const struct xf_transform *transform,
				bool sealing, const struct xf_page_id *page,
				const struct trap_info *info)
{
	bool in_module = info->instruction - module_guard_area < module_guard_area_size;

	__atomic_fetch_add(&module_guard_faults, 1, __ATOMIC_RELAXED);
	log_error("module transform %s faulted during %s of page %llu of region "
		  "%llu: %s at 0x%llx (%s), address 0x%llx; the call failed, the "
		  "page is as it was", transform->ops->name,
		  sealing ? "a seal" : "an unseal",
		  (unsigned long long)page->page_index,
		  (unsigned long long)page->region_id,
		  trap_vector_label(info->vector),
		  (unsigned long long)info->instruction,
		  in_module ? "module text" : "kernel code it called",
		  (unsigned long long)info->fault_address);
}

static int module_guard_call(const struct xf_transform *transform,
			     xf_step_fn fn, bool sealing,
			     const struct xf_page_id *page, const void *in,
			     size_t in_length, void *out, size_t out_capacity,
			     size_t *out_length)
{
	unsigned long flags = irq_save();
	struct module_guard_point *point = &module_guard_points[cpu_current()];
	bool in_place = in == out;
	int result;

	if (point->armed || !point->fault_stack || in_length > XF_BUFFER_BYTES) {
		/* Nested, or a CPU without its buffer: unguarded. */
		irq_restore(flags);
		return fn(transform->context, page, in, in_length, out,
			  out_capacity, out_length);
	}
	if (in_place)
		memcpy(point->backup, in, in_length);
	uintptr_t fault_stack = trap_swap_fault_stack(
		(uintptr_t)(point->fault_stack + MODULE_GUARD_STACK_BYTES));
	point->armed = true;
	if (context_save(&point->context) == 0) {
		result = fn(transform->context, page, in, in_length, out,
			    out_capacity, out_length);
		point->armed = false;
		trap_swap_fault_stack(fault_stack);
	} else {
		trap_swap_fault_stack(fault_stack);
		if (in_place)
			memcpy(out, point->backup, in_length);
		module_guard_report(transform, sealing, page, &point->info);
		result = XF_FAULTED;
	}
	irq_restore(flags);
	return result;
}

bool module_guard_run(const char *module, const char *what,
		      int (*fn)(void *arg), void *arg, int *result)
{
	unsigned long flags = irq_save();
	struct module_guard_point *point = &module_guard_points[cpu_current()];

	if (point->armed || !point->fault_stack) {
		irq_restore(flags);
		*result = fn(arg);	/* nested, or no guard: unguarded */
		return true;
	}
	uintptr_t fault_stack = trap_swap_fault_stack(
		(uintptr_t)(point->fault_stack + MODULE_GUARD_STACK_BYTES));
	point->armed = true;
	if (context_save(&point->context) != 0) {
		trap_swap_fault_stack(fault_stack);
		__atomic_fetch_add(&module_guard_faults, 1, __ATOMIC_RELAXED);
		log_error("module %s faulted in its %s: %s at 0x%llx, address "
			  "0x%llx", module, what, trap_vector_label(point->info.vector),
			  (unsigned long long)point->info.instruction,
			  (unsigned long long)point->info.fault_address);
		irq_restore(flags);
		return false;
	}
	*result = fn(arg);
	point->armed = false;
	trap_swap_fault_stack(fault_stack);
	irq_restore(flags);
	return true;
}

static const struct xf_call_guard module_guard = {
	.covers = module_guard_covers,
	.call = module_guard_call,
};

int module_guard_init(void)
{
	static bool ready;

	if (ready)
		return MODULE_OK;
	for (unsigned cpu = 0; cpu < cpu_count() && cpu < CONFIG_MAX_CPUS; cpu++) {
		struct module_guard_point *point = &module_guard_points[cpu];
		if (!point->backup)
			point->backup = cpu_memory_alloc(XF_BUFFER_BYTES);
		if (point->backup && !point->fault_stack)
			point->fault_stack = cpu_memory_alloc(MODULE_GUARD_STACK_BYTES);
		if (!point->fault_stack)
			return MODULE_NO_MEMORY;
	}
	vmm_module_area(&module_guard_area, &module_guard_area_size);
	trap_set_recover_handler(module_guard_recover);
	xf_set_call_guard(&module_guard);
	ready = true;
	return MODULE_OK;
}

uint64_t module_guard_fault_count(void)
{
	return __atomic_load_n(&module_guard_faults, __ATOMIC_RELAXED);
}
