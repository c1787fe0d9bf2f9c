/*
 * Shared between the files of kernel/user's process code (not for others).
 */
#ifndef VEIL_KERNEL_USER_PROCESS_INTERNAL_H
#define VEIL_KERNEL_USER_PROCESS_INTERNAL_H

#include "kernel/build_config.h"
#include "kernel/lib/spinlock.h"
#include "kernel/user/process.h"

#define PROCESS_MAX 48

#if CONFIG_KTEST
/* Test builds: called by process_signal_deliver for a process not ended,
 * its signal made pending and its signal_lock held, before its thread is
 * woken (process_signal_end_test.c holds a delivery there). */
extern void (*process_signal_deliver_hook)(struct process *process);
#endif

/* The table of processes (process.c), under process_table_lock. */
extern struct spinlock process_table_lock;
extern struct process *process_table[PROCESS_MAX];

/* Copies the path, argv and envp of config into process (its name is the
 * path's last part): 0, -EINVAL (no path), -E2BIG (too many or too long). */
int process_copy_arguments(struct process *process,
			   const struct process_config *config);
/* The process's thread: loads the program and enters user mode. */
void process_thread_main(void *argument);
/* Loads process->path (argv and envp as kept) into the process's memory,
 * in the calling thread's space, which must be the process's:
 * *entry and *stack_pointer for the entry. 0, -ENOENT, -EACCES,
 * -ENOEXEC, -ENOMEM, -E2BIG. */
int process_load(struct process *process, uint64_t *entry,
		 uint64_t *stack_pointer);

/* A zeroed record with its start time and child queue. */
void process_record_init(struct process *process);
/* The pid the next process registered gets (pids only grow). */
int process_next_pid_peek(void);
/* A pid and a table slot: 0 or -EAGAIN when the table is full. */
int process_register(struct process *process);
/* Everything given back, out of the table, and the record freed. */
void process_free(struct process *process);
/* The fault owner of process's user half in process->space: 0 or
 * -EAGAIN; unregistering one not registered does nothing. */
int process_fault_owner_register(struct process *process);
void process_fault_owner_unregister(struct process *process);

/* The tree (process_tree.c). Makes child a child of the calling
 * process (before child's thread starts). */
void process_tree_adopt(struct process *child);
/* Hands a process process_spawn made to the kernel's orphan reaping, for
 * a spawner that will not wait for it (process_abandon.c): on the orphan
 * list at once if it ended, else when it ends, and freed by the next
 * process_reap_orphans. Called by the spawner, which keeps it alive. */
void process_tree_disown(struct process *process);
/* Undoes process_tree_adopt for a child whose thread never started. */
void process_tree_forget(struct process *child);
/* Marks process ended (its memory given back) and tells its waiter:
 * the parent's wait4 is woken; an orphan goes to the kernel's reap list;
 * its own children become orphans (the ended ones reaped here). Called
 * by the ending process's thread, just before thread_exit. */
void process_tree_exit(struct process *process);
/* wait4's core for the calling process (pid as wait4's; options
 * WNOHANG = 1): the pid reaped, 0 (WNOHANG, nothing ended), -ECHILD, or
 * -ERESTARTSYS (a signal: -EINTR, or restarted under SA_RESTART).
 * *wait_status gets the status. Before the reap,
 * deliver(status, context) may refuse it by returning non-zero (a bad
 * user pointer): that result is returned and the child stays. */
long process_tree_wait(int pid, bool no_hang,
		       int (*deliver)(int wait_status, void *context),
		       void *context);
/* The parent's pid, or 0 for the first process and orphans. */
int process_tree_parent_pid(const struct process *process);
/* Calls fn on the calling process's descendants (not itself), under
 * process_tree_lock (fn may not sleep): how many there were. */
unsigned process_tree_each_descendant(void (*fn)(struct process *process,
						 void *context),
				      void *context);

/* Signals (process_signal.c): acts on a pending signal as the process is
 * about to return to user mode (interrupts on): ends it when fatal. */
void process_signal_act(void);
/* Sends signal (0..PROCESS_SIGNALS) from origin to process, which the
 * caller keeps alive (process_table_lock or process_tree_lock held):
 * dropped when ignored or process ended; otherwise pending (with origin,
 * unless it was pending already) and its thread woken. */
void process_signal_deliver(struct process *process, int signal,
			    const struct process_signal_origin *origin);
/* The origin of a signal the calling process sends with siginfo code
 * code (its pid; 0 from a kernel thread). */
struct process_signal_origin process_signal_origin_here(int code);

/* vfork (process_fork.c): lets the parent of process go on if it is
 * suspended in vfork for it. Called by process as it execs (past the
 * point of no return) and as it ends. */
void process_vfork_release(struct process *process);

/* vfork's memory (process.c). Makes borrower (whose thread has not
 * started) run in owner's own space and memory (owner borrows none),
 * holding them and owner's record until process_memory_return. */
void process_memory_lend(struct process *borrower, struct process *owner);
/* Gives the borrowed memory back (borrower's thread runs in another space
 * now, or is borrower's waiter after it ended): the owner's memory is
 * destroyed here when the owner has ended meanwhile. Nothing for a
 * process that borrows nothing. */
void process_memory_return(struct process *borrower);

/* process_fork's flags. */
#define PROCESS_FORK_WAIT 1u	/* the caller waits until the child
				 * execs or ends (CLONE_VFORK) */
#define PROCESS_FORK_SHARE 2u	/* the child runs in the caller's memory
				 * rather than a copy (CLONE_VM), with
				 * PROCESS_FORK_WAIT only; a caller that
				 * runs in its vfork parent's memory gives
				 * a copy instead (one thread at a time
				 * in a memory) */

/* Fork (process_fork.c): a child of the calling process resuming its
 * user state at the current system call with result 0, on stack_pointer
 * when not 0. set_tid: where the child writes its pid in its memory (0:
 * nowhere); clear_tid: its set_tid_address. With PROCESS_FORK_WAIT, the
 * caller is suspended until the child calls execve or ends, or SIGKILL
 * comes for the caller (other signals wait, as on Linux). The child's
 * pid, or -ENOMEM, -EAGAIN; -EINVAL for PROCESS_FORK_SHARE without
 * PROCESS_FORK_WAIT. */
long process_fork(uint64_t stack_pointer, uint64_t set_tid,
		  uint64_t clear_tid, unsigned flags);

/* execve (process_exec.c) of the calling process, with user pointers:
 * returns only on failure (-EFAULT, -E2BIG, -ENAMETOOLONG, -ENOENT,
 * -EACCES, -ENOEXEC, -ENOMEM), the caller unchanged. */
long process_exec(uint64_t path, uint64_t argv, uint64_t envp);

#endif
