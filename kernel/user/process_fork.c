/*
 * fork (process.h): a child process that is a copy of the calling one.
 * Its memory is the parent's, shared copy-on-write (user_memory_fork);
 * its descriptors share the parent's open files (file_table_copy); its
 * signal actions and mask are the parent's; its thread resumes the
 * parent's user state at the system call, with the call returning 0, on
 * a stack of the caller's choice for clone with a stack argument. Its
 * thread id fields (set_tid_address, set_robust_list) start empty.
 *
 * vfork (and clone's CLONE_VM|CLONE_VFORK) copies no memory: the child
 * runs in the parent's space and memory itself (process_memory_lend: the
 * same page tables, regions and clear share) with a kernel stack,
 * registers and FS base of its own, while the parent is suspended, until
 * the child execs (its new program gets a space of its own) or ends; what
 * it wrote stays for the parent, as on Linux. CLONE_VFORK alone suspends
 * the parent the same way but gives the child a copy.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/user/process_internal.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_cpu.h"
#include "kernel/user/user_errno.h"
#include "kernel/user/user_memory.h"
#include "mm/slab.h"
#include "mm/vmm.h"

/* The child's thread: its first entry into user mode. */
static void process_fork_main(void *argument)
{
	struct process *child = argument;
	struct thread *self = thread_current();
	struct user_thread_context *context = child->start_context;
	int pid = child->pid;

	child->start_context = NULL;
	self->process = child;
	/* CLONE_CHILD_SETTID: in the child's memory, from its own space (a
	 * bad address is the child's loss, as on Linux). */
	if (child->set_child_tid)
		user_copy_to(child->set_child_tid, &pid, sizeof(pid));
	/* A signal sent before it ran is acted on at its first entry. */
	user_resume(context);
}

/* What the child takes from the parent besides memory and descriptors:
 * its I/O sinks, program name and arguments, signal state. */
static void process_fork_copy_fields(struct process *child,
				     const struct process *parent)
{
	child->output = parent->output;
	child->output_context = parent->output_context;
	child->input = parent->input;
	child->stdio_is_pipe = parent->stdio_is_pipe;
	memcpy(child->name, parent->name, sizeof(child->name));
	memcpy(child->path, parent->path, sizeof(child->path));
	memcpy(child->strings, parent->strings, sizeof(child->strings));
	/* argv and envp point into strings: the same offsets in the copy. */
	for (unsigned i = 0; i <= PROCESS_ARGUMENTS_MAX; i++) {
		child->argv[i] = parent->argv[i] ?
			child->strings + (parent->argv[i] - parent->strings) : NULL;
		child->envp[i] = parent->envp[i] ?
			child->strings + (parent->envp[i] - parent->strings) : NULL;
	}
	memcpy(child->signal_actions, parent->signal_actions,
	       sizeof(child->signal_actions));
	child->signal_mask = parent->signal_mask;
	child->altstack_sp = parent->altstack_sp;
	child->altstack_size = parent->altstack_size;
	memcpy(child->cwd, parent->cwd, sizeof(child->cwd));
	child->umask = parent->umask;
}

/* The child's memory lent: the parent's own. The child's own memory
 * stays empty, with the scheme and clear budget an execve will start it
 * with. */
static void process_fork_share_memory(struct process *child,
				      struct process *parent)
{
	const struct user_memory *memory = &parent->memory;

	process_memory_lend(child, parent);
	memcpy(child->memory.scheme, memory->scheme, sizeof(child->memory.scheme));
	child->memory.clear_pages = memory->clear_pages;
	child->memory.clear_percent = memory->clear_percent;
}

/* The child's space and memory: a copy-on-write copy of the memory the
 * parent runs in, with its fault owner. */
static int process_fork_copy_memory(struct process *child,
				    struct process *parent)
{
	struct user_memory *memory = process_memory(parent);

	child->space = vmm_space_create();
	if (!child->space)
		return -USER_ENOMEM;
	int result = user_memory_init(&child->memory, child->space,
				      memory->scheme, memory->clear_pages,
				      memory->clear_percent);
	if (result == 0)
		result = user_memory_fork(&child->memory, memory);
	if (result == 0)
		result = process_fault_owner_register(child);
	return result;
}

/* The child's memory (shared or copied, by flags) and descriptors. A
 * parent that runs in its own vfork parent's memory lends it no further:
 * Linux would, but the grandchild could then outlive the parent's
 * suspension (a SIGKILL for the parent ends it and resumes the owner)
 * and run beside the owner in one memory, which Veil's mappings are not
 * made for (user_memory.h: one thread changes them). Its child gets a
 * copy, and the parent still waits for it. */
static int process_fork_setup(struct process *child, struct process *parent,
			      unsigned flags)
{
	int result = 0;

	if ((flags & PROCESS_FORK_SHARE) && !parent->memory_lender)
		process_fork_share_memory(child, parent);
	else
		result = process_fork_copy_memory(child, parent);
	if (result == 0)
		result = file_table_copy(&child->files, &parent->files);
	return result;
}

void process_vfork_release(struct process *process)
{
	if (!__atomic_load_n(&process->vfork_pending, __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&process->vfork_pending, false, __ATOMIC_RELEASE);
	wake_up_all(&process->vfork_queue);
}

/* Whether parent has SIGKILL pending (it ends on its way out). */
static bool process_vfork_killed(const struct process *parent)
{
	return __atomic_load_n(&parent->signals_pending, __ATOMIC_ACQUIRE) &
	       (1ull << (PROCESS_SIGNAL_KILL - 1));
}

/* vfork's suspension: until child has exec'd or ended, or SIGKILL ends
 * parent (killable, as Linux's: other signals wait). child's record
 * lives on meanwhile (only parent can reap it, and it is busy here). */
static void process_vfork_wait(struct process *parent, struct process *child)
{
	wait_event(&child->vfork_queue,
		   !__atomic_load_n(&child->vfork_pending, __ATOMIC_ACQUIRE) ||
		   process_vfork_killed(parent));
}

long process_fork(uint64_t stack_pointer, uint64_t child_tid,
		  uint64_t clear_tid, unsigned flags)
{
	struct process *parent = process_current();
	bool vfork = flags & PROCESS_FORK_WAIT;

	if ((flags & PROCESS_FORK_SHARE) && !vfork)
		return -USER_EINVAL;	/* a thread: not offered */
	process_reap_orphans();
	struct process *child = kmalloc(sizeof(*child));
	if (!child)
		return -USER_ENOMEM;
	process_record_init(child);
	process_fork_copy_fields(child, parent);
	child->set_child_tid = child_tid;
	child->tid_address = clear_tid;
	child->vfork_pending = vfork;
	int result = process_register(child);
	if (result == 0)
		result = process_fork_setup(child, parent, flags);
	if (result == 0) {
		child->start_context = user_context_clone(0, stack_pointer);
		if (!child->start_context)
			result = -USER_ENOMEM;
	}
	if (result) {
		process_free(child);
		return result;
	}
	long pid = child->pid;
	process_tree_adopt(child);
	struct thread *thread = thread_create_in(child->space, child->name,
						 process_fork_main, child,
						 THREAD_AFFINITY_ALL);
	/* Read by signal senders under the table lock. */
	__atomic_store_n(&child->thread, thread, __ATOMIC_RELEASE);
	if (!thread) {
		process_tree_forget(child);
		user_context_discard(child->start_context);
		process_free(child);
		return -USER_EAGAIN;
	}
	if (vfork)
		process_vfork_wait(parent, child);
	return pid;
}
