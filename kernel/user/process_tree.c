/*
 * The tree of processes (process.h): each child is on its parent's list
 * from fork to its reaping by wait4; an ended child is a zombie (its
 * memory already given back, its record and thread kept for the status).
 * A process that ends makes its children orphans; an orphan is reaped by
 * the kernel once it has ended (process_reap_orphans, called at spawn,
 * fork, wait4 and exit). The first process (process_spawn's) has no
 * parent and is reaped by its spawner's process_wait, or by the kernel
 * once the spawner gave it up (process_tree_disown: an abandoned ktest
 * case's processes).
 *
 * Locking: process_tree_lock protects every process's parent, children
 * and sibling links, its ended flag's and spawned flag's changes and the
 * orphans list. A parent's children list changes only from the parent's
 * own thread (fork adds, wait4 takes, exit lets go), so the parent reads
 * it freely between two locked steps; ended children are reaped outside
 * the lock (thread_join sleeps). Lock order: process_tree_lock, then a
 * process's signal_lock (its ended flag's change) or child_queue lock.
 */
#include <stdbool.h>
#include <stddef.h>
#include "kernel/lib/spinlock.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"
#include "kernel/user/process_internal.h"
#include "kernel/user/user_errno.h"

static struct spinlock process_tree_lock = SPINLOCK_INIT("process_tree");
/* Ended orphans, linked by sibling, waiting for the kernel to reap them. */
static struct process *process_orphans;

void process_tree_adopt(struct process *child)
{
	struct process *parent = process_current();
	unsigned long flags = spin_lock_irqsave(&process_tree_lock);

	child->parent = parent;
	child->sibling = parent->children;
	parent->children = child;
	spin_unlock_irqrestore(&process_tree_lock, flags);
}

/* Takes child off its parent's list (tree lock held). */
static void process_tree_unlink(struct process *child)
{
	struct process **link = &child->parent->children;

	while (*link && *link != child)
		link = &(*link)->sibling;
	if (*link)
		*link = child->sibling;
	child->sibling = NULL;
	child->parent = NULL;
}

void process_tree_forget(struct process *child)
{
	unsigned long flags = spin_lock_irqsave(&process_tree_lock);

	process_tree_unlink(child);
	spin_unlock_irqrestore(&process_tree_lock, flags);
}

/* Puts an ended process without a parent or spawner on the orphans
 * list, for the next process_reap_orphans (tree lock held). */
static void process_tree_orphan_locked(struct process *process)
{
	process->sibling = process_orphans;
	process_orphans = process;
}

void process_tree_disown(struct process *process)
{
	unsigned long flags = spin_lock_irqsave(&process_tree_lock);

	/* process_tree_exit reads spawned under this lock: if it ran, the
	 * process is ended and goes on the list here; if not, it will put
	 * the process there itself */
	process->spawned = false;
	if (__atomic_load_n(&process->ended, __ATOMIC_ACQUIRE))
		process_tree_orphan_locked(process);
	spin_unlock_irqrestore(&process_tree_lock, flags);
}

/* Joins the thread of each process of list (linked by sibling) and frees
 * them: their memory went back as they ended. A thread already joined
 * (NULL: a waiter abandoned between its join and its free) is not. */
static unsigned process_tree_reap_list(struct process *list)
{
	unsigned reaped = 0;

	while (list) {
		struct process *next = list->sibling;
		if (list->thread)
			thread_join(list->thread);
		process_free(list);
		list = next;
		reaped++;
	}
	return reaped;
}

unsigned process_reap_orphans(void)
{
	unsigned long flags = spin_lock_irqsave(&process_tree_lock);
	struct process *list = process_orphans;

	process_orphans = NULL;
	spin_unlock_irqrestore(&process_tree_lock, flags);
	return process_tree_reap_list(list);
}

/* What SIGCHLD's siginfo says of process, which ended with wait_status. */
static struct process_signal_origin process_tree_child_origin(
	const struct process *process)
{
	int status = process->result.wait_status;
	struct process_signal_origin origin = { .pid = process->pid };

	if ((status & 0x7f) == 0) {
		origin.code = PROCESS_CLD_EXITED;
		origin.status = (status >> 8) & 0xff;
	} else {
		origin.code = PROCESS_CLD_KILLED;
		origin.status = status & 0x7f;
	}
	return origin;
}

void process_tree_exit(struct process *process)
{
	struct process *reap = NULL;
	struct process_signal_origin origin =
		process_tree_child_origin(process);

	process_vfork_release(process);	/* a vfork parent goes on */

	/* Others' orphans first: once this process is on the list it joins
	 * no thread (a joiner never waits for one that joins). */
	process_reap_orphans();
	unsigned long flags = spin_lock_irqsave(&process_tree_lock);
	for (struct process *child = process->children, *next; child;
	     child = next) {
		next = child->sibling;
		child->parent = NULL;
		child->sibling = NULL;
		if (__atomic_load_n(&child->ended, __ATOMIC_ACQUIRE)) {
			child->sibling = reap;
			reap = child;
		}
	}
	process->children = NULL;
	/* under the signal lock: a delivery that found this process running
	 * wakes its thread before the thread exits (process_signal.c) */
	unsigned long signal_flags = spin_lock_irqsave(&process->signal_lock);
	__atomic_store_n(&process->ended, true, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&process->signal_lock, signal_flags);
	struct process *parent = process->parent;
	if (parent) {
		unsigned long queue_flags = wait_queue_lock(&parent->child_queue);
		__atomic_add_fetch(&parent->child_ends, 1, __ATOMIC_RELEASE);
		wake_up_all_locked(&parent->child_queue);
		wait_queue_unlock(&parent->child_queue, queue_flags);
		/* Ignored unless the parent set a handler (its default). */
		process_signal_deliver(parent, PROCESS_SIGNAL_CHLD, &origin);
	} else if (!process->spawned) {
		process_tree_orphan_locked(process);
	}
	spin_unlock_irqrestore(&process_tree_lock, flags);
	process_tree_reap_list(reap);
}

/* Whether child answers wait4's pid (no process groups: 0 and < -1 are
 * any child, as -1). */
static bool process_tree_matches(const struct process *child, int pid)
{
	return pid <= 0 || child->pid == pid;
}

/* Looks for an ended child answering pid: it, or NULL with *any set
 * when some child answers at all. */
static struct process *process_tree_find_ended(struct process *self,
					       int pid, bool *any)
{
	unsigned long flags = spin_lock_irqsave(&process_tree_lock);
	struct process *found = NULL;

	*any = false;
	for (struct process *child = self->children; child && !found;
	     child = child->sibling) {
		if (!process_tree_matches(child, pid))
			continue;
		*any = true;
		if (__atomic_load_n(&child->ended, __ATOMIC_ACQUIRE))
			found = child;
	}
	spin_unlock_irqrestore(&process_tree_lock, flags);
	return found;
}

long process_tree_wait(int pid, bool no_hang,
		       int (*deliver)(int wait_status, void *context),
		       void *context)
{
	struct process *self = process_current();

	process_reap_orphans();
	for (;;) {
		uint64_t seen = __atomic_load_n(&self->child_ends,
						__ATOMIC_ACQUIRE);
		bool any;
		struct process *child = process_tree_find_ended(self, pid, &any);
		if (child) {
			int result = deliver(child->result.wait_status, context);
			if (result)
				return result;
			long child_pid = child->pid;
			/* Its whole tree counts with the waiter's. */
			region_stats_add(&self->result.tree_stats,
					 &child->result.tree_stats);
			region_group_add(&self->result.tree_totals,
					 &child->result.tree_totals);
			process_tree_forget(child);
			process_tree_reap_list(child);
			return child_pid;
		}
		if (!any)
			return -USER_ECHILD;
		if (no_hang)
			return 0;
		wait_event(&self->child_queue,
			   __atomic_load_n(&self->child_ends, __ATOMIC_ACQUIRE) != seen ||
			   process_signal_pending(self));
		if (process_signal_pending(self))
			return -USER_ERESTARTSYS;	/* or SA_RESTART's */
	}
}

int process_tree_parent_pid(const struct process *process)
{
	unsigned long flags = spin_lock_irqsave(&process_tree_lock);
	int pid = process->parent ? process->parent->pid : 0;

	spin_unlock_irqrestore(&process_tree_lock, flags);
	return pid;
}

/* Depth-first over the children of process (tree lock held). */
static unsigned process_tree_walk(struct process *process,
				  void (*fn)(struct process *, void *),
				  void *context)
{
	unsigned count = 0;

	for (struct process *child = process->children; child;
	     child = child->sibling) {
		fn(child, context);
		count += 1 + process_tree_walk(child, fn, context);
	}
	return count;
}

unsigned process_tree_each_descendant(void (*fn)(struct process *process,
						 void *context),
				      void *context)
{
	unsigned long flags = spin_lock_irqsave(&process_tree_lock);
	unsigned count = process_tree_walk(process_current(), fn, context);

	spin_unlock_irqrestore(&process_tree_lock, flags);
	return count;
}
