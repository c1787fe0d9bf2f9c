/*
 * The live swap of the reverse map's design, kernel side (mm/rmap.h:
 * rmap_swap, rmap_swap_wait): the walk of mm/rmap.c (rmap_swap_step, one
 * frame per hold of rmap_lock) runs in a kernel thread beside the
 * workload, yielding between frames; and the command-line option rmap=
 * that picks the boot's design.
 *
 * Locking: rmap_swap_mutex (a sleeping lock) protects the walking thread's
 * pointer: who starts, waits for and joins it. It is never taken under a
 * spinlock; rmap_lock is taken inside rmap_swap_step only.
 */
#include <stddef.h>
#include "kernel/cmdline.h"
#include "kernel/lib/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"
#include "mm/rmap.h"

static struct mutex rmap_swap_mutex = MUTEX_INIT(rmap_swap_mutex, "rmap_swap");
/* The walking thread, or a finished one not joined yet; NULL when none. */
static struct thread *rmap_swap_thread;

/* The walk: one frame per step, the CPU given up between steps. */
static void rmap_swap_walk(void *argument)
{
	(void)argument;
	while (rmap_swap_step())
		thread_yield();
}

/* Joins the walking thread (it ends once its swap is done). Mutex held. */
static void rmap_swap_join(void)
{
	if (rmap_swap_thread) {
		thread_join(rmap_swap_thread);
		rmap_swap_thread = NULL;
	}
}

int rmap_swap(const char *design)
{
	if (!thread_current()) {	/* before the scheduler: walk here */
		int result = rmap_swap_begin(design);
		while (result == RMAP_OK && rmap_swap_step())
			;
		return result;
	}
	mutex_lock(&rmap_swap_mutex);
	int result = rmap_swap_begin(design);
	if (result == RMAP_OK) {
		rmap_swap_join();	/* the previous walk, ended */
		rmap_swap_thread = thread_create("rmap-swap", rmap_swap_walk, NULL);
		if (!rmap_swap_thread) {	/* no thread: the caller walks */
			log_warn("rmap: no thread for the swap's walk: it "
				 "runs here");
			while (rmap_swap_step())
				;
		}
	}
	mutex_unlock(&rmap_swap_mutex);
	return result;
}

void rmap_swap_wait(void)
{
	mutex_lock(&rmap_swap_mutex);
	rmap_swap_join();
	mutex_unlock(&rmap_swap_mutex);
	while (rmap_swap_step())	/* a walk no thread took (no memory) */
		;
}

/* rmap=DESIGN: the map is empty then, so the swap is immediate. */
static bool rmap_set_boot_design(const char *value)
{
	int result = rmap_swap(value);

	if (result != RMAP_OK && result != RMAP_SAME)
		return false;
	log_info("rmap: design %s at boot", value);
	return true;
}
CMDLINE_OPTION(rmap, "rmap",
	       "chains|family: the reverse map's design at boot: per-frame "
	       "chains of mappings (chains, the default) or fork-lineage "
	       "families (family); the shell's rmap command swaps it live",
	       rmap_set_boot_design);
