/*
 * Processes (process.h): the table of pids, spawning, the end of a
 * process, waiting for it, and the fault owner of each process's user
 * half. Loading the program is process_load.c's; the tree of parents and
 * children process_tree.c's.
 *
 * Lock order: process_table_lock, then a process's signal_lock, then a
 * wait queue's lock (signals wake their target under both:
 * process_signal.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/user/process.h"
#include "kernel/user/process_internal.h"
#include "kernel/user/user_cpu.h"
#include "kernel/user/user_errno.h"
#include "mm/scheme.h"
#include "mm/slab.h"
#include "mm/vmm.h"


#define PROCESS_SCHEME_DEFAULT "clock:lz4"

/* Protects process_table and process_next_pid. */
struct spinlock process_table_lock = SPINLOCK_INIT("process_table");
struct process *process_table[PROCESS_MAX];
static int process_next_pid = 1;

/* Protects process_scheme once programs run: a system-wide scheme swap
 * (process_set_default_scheme) writes it while processes start. */
static struct spinlock process_scheme_lock = SPINLOCK_INIT("process_scheme");
static char process_scheme[64] = PROCESS_SCHEME_DEFAULT;
static uint32_t process_clear = USER_CLEAR_DEFAULT;
static uint32_t process_clear_percent;	/* user_clear=P%: 1..100, else 0 */

/* Kept as text: the command line is read before the transforms are
 * registered, so the scheme is checked by process_boot_check. */
static bool process_set_scheme(const char *value)
{
	if (!value[0] || strlen(value) >= sizeof(process_scheme))
		return false;
	strlcpy(process_scheme, value, sizeof(process_scheme));
	return true;
}

/* Set once by process_boot_check when user_scheme= was refused. */
static bool process_scheme_refused;

bool process_boot_check(void)
{
	struct scheme scheme;

	if (process_scheme_refused)
		return false;
	if (scheme_parse(process_scheme, &scheme) == 0)
		return true;
	process_scheme_refused = true;
	log_error("user: user_scheme=%s is not a scheme this kernel has: "
		  "user programs use %s", process_scheme,
		  PROCESS_SCHEME_DEFAULT);
	strlcpy(process_scheme, PROCESS_SCHEME_DEFAULT, sizeof(process_scheme));
	return false;
}
CMDLINE_OPTION(user_scheme, "user_scheme",
	       "POLICY[:XF,...]: the scheme of user programs' memory (" PROCESS_SCHEME_DEFAULT ")",
	       process_set_scheme);

/* "N" pages, or "P%" of the process's resident pages: the clear set of
 * all of a process's mappings together. */
static bool process_set_clear(const char *value)
{
	char number[16];
	size_t length = strlen(value);
	unsigned long long amount;

	if (length > 1 && length < sizeof(number) && value[length - 1] == '%') {
		memcpy(number, value, length - 1);
		number[length - 1] = '\0';
		if (!cmdline_parse_range(number, 1, 100, &amount))
			return false;
		process_clear_percent = (uint32_t)amount;
		return true;
	}
	if (!cmdline_parse_range(value, 1, 1u << 20, &amount))
		return false;
	process_clear = (uint32_t)amount;
	process_clear_percent = 0;
	return true;
}
CMDLINE_OPTION(user_clear, "user_clear",
	       "1..1048576 pages a user program keeps clear over all its "
	       "mappings (1024), or 1..100% of the program's resident pages",
	       process_set_clear);

void process_default_scheme(char *buffer, size_t size)
{
	unsigned long flags = spin_lock_irqsave(&process_scheme_lock);

	strlcpy(buffer, process_scheme, size);
	spin_unlock_irqrestore(&process_scheme_lock, flags);
}

bool process_set_default_scheme(const char *text)
{
	struct scheme scheme;

	if (strlen(text) >= sizeof(process_scheme) || scheme_parse(text, &scheme) != 0)
		return false;
	unsigned long flags = spin_lock_irqsave(&process_scheme_lock);
	strlcpy(process_scheme, text, sizeof(process_scheme));
	spin_unlock_irqrestore(&process_scheme_lock, flags);
	return true;
}

uint32_t process_default_clear(void)
{
	return process_clear;
}

uint32_t process_default_clear_percent(void)
{
	return process_clear_percent;
}

struct process *process_current(void)
{
	struct thread *self = thread_current();

	return self ? self->process : NULL;
}

/* The live counters of a process's memory group. */
static void process_info_counters(struct process_info *info,
				  const struct region_group *group)
{
	struct region_group now;

	region_group_snapshot(group, &now);
	info->faults = now.faults;
	info->seals = now.seals;
	info->sealed_pages = now.sealed_pages;
}

unsigned process_snapshot(struct process_info *out, unsigned max)
{
	unsigned long flags = spin_lock_irqsave(&process_table_lock);
	unsigned count = 0;

	for (unsigned i = 0; i < PROCESS_MAX; i++) {
		struct process *process = process_table[i];
		if (!process)
			continue;
		if (count < max) {
			out[count].pid = process->pid;
			memcpy(out[count].name, process->name,
			       sizeof(out[count].name));
			memcpy(out[count].scheme, process->memory.scheme,
			       sizeof(out[count].scheme));
			process_info_counters(&out[count], &process->memory.group);
			out[count].clear_pages = __atomic_load_n(
				&process->memory.share.set.resident,
				__ATOMIC_RELAXED);
			out[count].clear_limit = __atomic_load_n(
				&process->memory.share.set.limit,
				__ATOMIC_RELAXED);
			out[count].memory_of = __atomic_load_n(
				&process->memory_lender_pid, __ATOMIC_RELAXED);
		}
		count++;
	}
	spin_unlock_irqrestore(&process_table_lock, flags);
	return count;
}

static const struct fault_owner_ops process_fault_ops;

static enum fault_response process_handle_fault(struct fault_owner *owner,
						const struct fault *fault,
						const char **reason)
{
	struct process *process = owner->private_data;

	return user_memory_fault(&process->memory, fault, reason);
}

static const struct fault_owner_ops process_fault_ops = {
	.name = "process",
	.handle = process_handle_fault,
};

int process_register(struct process *process)
{
	unsigned long flags = spin_lock_irqsave(&process_table_lock);
	int result = -USER_EAGAIN;

	for (unsigned i = 0; i < PROCESS_MAX; i++) {
		if (!process_table[i]) {
			process_table[i] = process;
			process->pid = process_next_pid++;
			result = 0;
			break;
		}
	}
	spin_unlock_irqrestore(&process_table_lock, flags);
	return result;
}

static void process_unregister(struct process *process)
{
	unsigned long flags = spin_lock_irqsave(&process_table_lock);

	for (unsigned i = 0; i < PROCESS_MAX; i++) {
		if (process_table[i] == process)
			process_table[i] = NULL;
	}
	spin_unlock_irqrestore(&process_table_lock, flags);
}

struct user_memory *process_memory(struct process *process)
{
	return process->memory_lender ? &process->memory_lender->memory
				      : &process->memory;
}

/* Drops one use of owner's own space and memory (memory_users); the
 * last use destroys them: its fault owner, mappings, regions and page
 * tables. Whoever drops it, the owner's thread must not run in the space
 * any more (it switched away, or it is the borrower that leaves). */
static void process_memory_put(struct process *owner)
{
	if (__atomic_sub_fetch(&owner->memory_users, 1, __ATOMIC_ACQ_REL))
		return;
	process_fault_owner_unregister(owner);
	user_memory_destroy(&owner->memory);
	if (owner->space)
		vmm_space_destroy(owner->space);
	owner->space = NULL;
}

/* Drops one holder of process's record (record_users); the last frees it. */
static void process_record_put(struct process *process)
{
	if (__atomic_sub_fetch(&process->record_users, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(process);
}

void process_memory_lend(struct process *borrower, struct process *owner)
{
	KASSERT(!owner->memory_lender);
	__atomic_add_fetch(&owner->memory_users, 1, __ATOMIC_ACQ_REL);
	__atomic_add_fetch(&owner->record_users, 1, __ATOMIC_ACQ_REL);
	borrower->memory_lender = owner;
	__atomic_store_n(&borrower->memory_lender_pid, owner->pid,
			 __ATOMIC_RELAXED);
	borrower->space = owner->space;
}

void process_memory_return(struct process *borrower)
{
	struct process *owner = borrower->memory_lender;

	if (!owner)
		return;
	borrower->memory_lender = NULL;
	__atomic_store_n(&borrower->memory_lender_pid, 0, __ATOMIC_RELAXED);
	process_memory_put(owner);
	process_record_put(owner);
}

/* Gives back everything but the record: mappings, descriptors, space (a
 * borrowed space goes back to its owner, which destroys it or not). */
static void process_release(struct process *process)
{
	if (process->memory_lender) {
		process->space = NULL;	/* the lender's, not ours */
		process_memory_return(process);
	}
	if (!process->memory_dropped) {
		process->memory_dropped = true;
		process_memory_put(process);
		/* A vfork child still in this memory (this process was killed
		 * while suspended) may still change it: its figures so far. */
		user_memory_totals(&process->memory, &process->result.stats,
				   &process->result.totals);
		region_stats_add(&process->result.tree_stats,
				 &process->result.stats);
		region_group_add(&process->result.tree_totals,
				 &process->result.totals);
	}
	file_table_release(&process->files);
}

void process_free(struct process *process)
{
	process_unregister(process);
	process_release(process);
	process_record_put(process);
}

int process_fault_owner_register(struct process *process)
{
	process->fault_owner = (struct fault_owner){
		.ops = &process_fault_ops,
		.start = 0,
		.end = user_address_limit(),
		.private_data = process,
		.space = process->space,
	};
	if (fault_owner_register(&process->fault_owner) != FAULT_OWNER_OK) {
		process->fault_owner.ops = NULL;
		return -USER_EAGAIN;
	}
	return 0;
}

void process_fault_owner_unregister(struct process *process)
{
	if (process->fault_owner.ops)
		fault_owner_unregister(&process->fault_owner);
	process->fault_owner.ops = NULL;
}

/* The space, the memory, the descriptors and the fault owner. */
static int process_setup(struct process *process,
			 const struct process_config *config)
{
	process->space = vmm_space_create();
	if (!process->space)
		return -USER_ENOMEM;
	bool configured = config->clear_pages || config->clear_percent;
	char scheme[sizeof(process_scheme)];

	process_default_scheme(scheme, sizeof(scheme));
	int result = user_memory_init(&process->memory, process->space,
				      config->scheme ? config->scheme : scheme,
				      configured ? config->clear_pages
						 : process_clear,
				      configured ? config->clear_percent
						 : process_clear_percent);
	if (result == 0)
		result = file_table_init(&process->files);
	if (result)
		return result;
	return process_fault_owner_register(process);
}

void process_record_init(struct process *process)
{
	memset(process, 0, sizeof(*process));
	process->spawned_ns = time_uptime_ns();
	process->umask = 022;
	process->memory_users = 1;	/* its own */
	process->record_users = 1;	/* its waiter's */
	/* Read at its end even when its memory was never set up (a spawn
	 * that failed, a vfork child that borrowed its parent's). */
	spin_init(&process->memory.lock, "user_memory");
	wait_queue_init(&process->child_queue, "process_children");
	wait_queue_init(&process->signal_queue, "process_signals");
	wait_queue_init(&process->vfork_queue, "process_vfork");
	spin_init(&process->signal_lock, "process_signal_origins");
}

int process_spawn(const struct process_config *config, struct process **out)
{
	struct scheme scheme;

	process_reap_orphans();
	if (config->scheme && scheme_parse(config->scheme, &scheme) != 0)
		return -USER_EINVAL;
	struct process *process = kmalloc(sizeof(*process));
	if (!process)
		return -USER_ENOMEM;
	process_record_init(process);
	process->spawned = true;
	process->spawner = thread_current();
	process->output = config->output;
	process->output_context = config->output_context;
	process->input.bytes = config->input;
	process->input.length = config->input_length;
	process->stdio_is_pipe = config->stdio_is_pipe;
	int result = process_copy_arguments(process, config);
	if (result == 0)
		result = process_register(process);
	if (result == 0)
		result = process_setup(process, config);
	if (result == 0) {
		/* published atomically: a signal's delivery reads it under
		 * the table lock only (process_signal.c) */
		struct thread *thread = thread_create_in(process->space, process->name,
							 process_thread_main, process,
							 THREAD_AFFINITY_ALL);
		__atomic_store_n(&process->thread, thread, __ATOMIC_RELEASE);
		if (!thread)
			result = -USER_EAGAIN;
	}
	if (result) {
		process_free(process);
		return result;
	}
	*out = process;
	return 0;
}

void process_exit(int status)
{
	struct process *process = process_current();

	process->result.wait_status = status;
	process->result.runtime_ns = time_uptime_ns() - process->spawned_ns;
	/* The memory goes now (the thread's own space is still loaded, and
	 * its pages' frames should not wait for the waiter). */
	struct thread *self = thread_current();
	unsigned long flags = irq_save();
	self->process = NULL;
	self->space = NULL;	/* a kernel thread from here: no switch reloads it */
	vmm_space_switch(vmm_kernel_space());
	irq_restore(flags);
	process_release(process);
	process_tree_exit(process);	/* ended: the waiter may free it now */
	thread_exit();
}

int process_shell_status(int wait_status)
{
	if ((wait_status & 0x7f) == 0)
		return (wait_status >> 8) & 0xff;
	return 128 + (wait_status & 0x7f);
}

uint64_t process_store_ratio_hundredths(const struct region_group *totals)
{
	if (!totals->seal_bytes)
		return 0;
	return totals->seals * 409600 / totals->seal_bytes;
}

bool process_ended(const struct process *process)
{
	return __atomic_load_n(&process->ended, __ATOMIC_ACQUIRE);
}

void process_wait(struct process *process, struct process_result *result)
{
	thread_join(process->thread);
	/* joined: a waiter abandoned from here on (a ktest case) leaves a
	 * record whose reaper must not join the thread again */
	process->thread = NULL;
	if (result)
		*result = process->result;
	process_free(process);
	process_reap_orphans();
}

int process_next_pid_peek(void)
{
	unsigned long flags = spin_lock_irqsave(&process_table_lock);
	int pid = process_next_pid;

	spin_unlock_irqrestore(&process_table_lock, flags);
	return pid;
}

unsigned process_count(void)
{
	return process_snapshot(NULL, 0);
}
