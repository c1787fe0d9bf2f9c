/*
 * Processes: a program from the initramfs running in ring 3 in an
 * address space of its own, its memory under a scheme (user_memory.h),
 * speaking Linux's x86-64 system-call interface (kernel/user/syscall*.c).
 * One thread per process for now.
 *
 * Life: process_spawn makes the space and a thread that loads the program
 * (ELF, initial stack) and enters user mode; fork/clone make children
 * (process_fork.c), execve replaces the program (process_exec.c); a
 * process ends by exit/exit_group, by a fatal signal (kill, tgkill) or by
 * an exception nobody resolved (reported, like a fatal signal). A vfork
 * child runs in its parent's space and memory (memory_lender) until it
 * execs or ends. Its memory goes back as it ends (once no vfork child
 * borrows it); the record and the thread stay, a zombie, until
 * its waiter takes them: the spawner's process_wait for a process
 * process_spawn made, the parent's wait4 for a child, or the kernel
 * (process_reap_orphans) for a child whose parent ended first.
 *
 * Locking: process_table_lock protects the table of processes (pids);
 * process_tree_lock (process_tree.c) every parent, children and sibling
 * link and the ended and spawned flags' changes. Other fields are written
 * by the process's own thread while it runs (signals_pending,
 * memory_users and record_users: atomically, by anyone), and read by its
 * waiter after it ended. Order: process_table_lock
 * or process_tree_lock (never both), then a process's signal_lock, then a
 * wait queue's lock.
 */
#ifndef VEIL_KERNEL_USER_PROCESS_H
#define VEIL_KERNEL_USER_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/sched/wait.h"
#include "kernel/user/file.h"
#include "kernel/user/user_memory.h"

struct thread;
struct vmm_space;

/* Where fds 1 and 2 go: the console when NULL. Called by every process
 * that shares the sink (a parent and the children it forked), on any CPU
 * at once, with preemption on: the sink serializes its appends itself. */
typedef void (*process_output_fn)(void *context, int fd, const char *bytes,
				  size_t length);

struct process_config {
	const char *path;		/* in the initramfs */
	const char *const *argv;	/* NULL: { path } */
	const char *const *envp;	/* NULL: none */
	const char *scheme;		/* NULL: the user_scheme= default */
	/* The clear set of all the process's mappings together: pages (0:
	 * the user_clear= default; at least USER_CLEAR_MIN), or 1..100
	 * percent of its populated pages (at least USER_CLEAR_MIN pages);
	 * clear_percent 0: pages. */
	uint32_t clear_pages;
	uint32_t clear_percent;
	process_output_fn output;
	void *output_context;
	/* stdin's bytes (NULL: the console). */
	const char *input;
	size_t input_length;
	/* stdin, stdout and stderr are streams to another machine (pipes to
	 * tools/veil-exec), not a terminal: terminal ioctls answer ENOTTY
	 * and fstat says FIFO, as for a program whose output is piped. */
	bool stdio_is_pipe;
};

#define PROCESS_ARGUMENTS_MAX 64
#define PROCESS_STRINGS_MAX 4096	/* bytes of argv and envp strings */

/* How a process ended, for its waiter. */
struct process_result {
	int wait_status;		/* as wait4 gives it */
	struct region_stats stats;	/* its memory's counters, its whole life */
	struct region_group totals;	/* sealed peak, seals and their bytes */
	uint64_t runtime_ns;		/* from spawn to its end */
	/* stats and totals with those of every descendant it waited for
	 * (wait4), as Linux's RUSAGE_CHILDREN counts: a shell's pipeline
	 * is counted with the shell. The peak is the largest of one process. */
	struct region_stats tree_stats;
	struct region_group tree_totals;
};

/* A signal's disposition as rt_sigaction passes it (x86-64 layout). */
struct process_signal_action {
	uint64_t handler;	/* SIG_DFL 0, SIG_IGN 1, or an address */
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};
#define PROCESS_SIGNALS 64

/* Where a pending signal came from, for its handler's siginfo. */
struct process_signal_origin {
	int code;	/* si_code: PROCESS_SI_USER, PROCESS_SI_TKILL, CLD_* */
	int pid;	/* the sender (the child that ended, for SIGCHLD) */
	int status;	/* SIGCHLD: the exit code, or the ending signal */
};
#define PROCESS_SI_USER 0	/* kill, or the kernel on a process's behalf */
#define PROCESS_SI_TKILL (-6)	/* tkill, tgkill */
#define PROCESS_CLD_EXITED 1
#define PROCESS_CLD_KILLED 2

/* stdin's bytes when the spawner gave them (else the console). */
struct process_input {
	const char *bytes;
	size_t length;
};

struct process {
	int pid;
	char name[32];
	struct vmm_space *space;
	struct thread *thread;		/* NULL once process_wait joined it */
	struct user_memory memory;
	struct file_table files;
	/* The working directory's absolute form (user_path.h); "" is "/".
	 * Written by chdir and fchdir, read by path resolution. */
	char cwd[USER_PATH_MAX];
	uint32_t umask;			/* umask(2): cleared from new files'
					 * modes; 022 at spawn, kept by fork
					 * and execve */
	process_output_fn output;
	void *output_context;
	struct process_input input;
	bool stdio_is_pipe;		/* from the config */
	/* The program and its arguments, copied (the spawner's may go). */
	char path[128];
	const char *argv[PROCESS_ARGUMENTS_MAX + 1];
	const char *envp[PROCESS_ARGUMENTS_MAX + 1];
	char strings[PROCESS_STRINGS_MAX];
	uint64_t tid_address;		/* set_tid_address, CLONE_CHILD_CLEARTID */
	uint64_t set_child_tid;		/* CLONE_CHILD_SETTID: the child writes its pid */
	uint64_t robust_list, robust_list_length;	/* set_robust_list */
	struct process_signal_action signal_actions[PROCESS_SIGNALS];
	uint64_t signal_mask;		/* blocked signals, bit n-1 for n */
	struct fault_owner fault_owner;	/* its user half, in its space */
	/* How it ended, filled as it ends. */
	struct process_result result;
	uint64_t spawned_ns;		/* uptime at process_spawn */
	/* Its memory given back: a release store, under process_tree_lock
	 * and signal_lock (process_signal_deliver). */
	bool ended;
	/* The tree (process_tree_lock). The first process (process_spawn's)
	 * has no parent and is waited for by its spawner; an orphan has none
	 * either and is reaped by the kernel. */
	bool spawned;			/* made by process_spawn */
	struct thread *spawner;		/* process_spawn's caller (its
					 * waiter), set at the spawn */
	struct process *parent;
	struct process *children;	/* living and ended, newest first */
	struct process *sibling;	/* the next child of parent */
	/* Woken when a child ends; child_ends counts the ends (atomic). */
	struct wait_queue child_queue;
	uint64_t child_ends;
	/* Signals sent and not yet acted on, bit n-1 for n (atomic: read
	 * without a lock; set and cleared under signal_lock). */
	uint64_t signals_pending;
	/* Protects signal_origins and the setting and clearing of
	 * signals_pending's bits, so a handler's siginfo is its sender's;
	 * held for ended's change, so a delivery to a running process is
	 * done with its thread before the thread can exit. */
	struct spinlock signal_lock;
	struct process_signal_origin signal_origins[PROCESS_SIGNALS];
	/* rt_sigsuspend's caller's mask, restored once a signal was acted on
	 * (valid when mask_saved). */
	uint64_t saved_mask;
	bool mask_saved;
	/* sigaltstack: where handlers with SA_ONSTACK run (size 0: none). */
	uint64_t altstack_sp, altstack_size;
	/* rt_sigsuspend sleeps here (a signal's wait_cancel wakes it). */
	struct wait_queue signal_queue;
	/* vfork: set in the child while its parent is suspended, cleared
	 * (release) when it calls execve or ends; the parent waits on
	 * vfork_queue, in the child's record (which lives until the parent
	 * reaps it). */
	bool vfork_pending;
	struct wait_queue vfork_queue;
	/* A fork child's first user state, until its thread takes it. */
	struct user_thread_context *start_context;
	/* vfork: the process whose space and memory this one runs in, from
	 * vfork until it execs or ends (NULL: its own; set before its
	 * thread starts, cleared by that thread). The lender owns that
	 * memory (a borrower lends nothing on: process_fork), so one
	 * thread at a time runs in a memory. Its own memory stays empty
	 * meanwhile: nothing counted twice. */
	struct process *memory_lender;
	int memory_lender_pid;		/* its pid, for reports (atomic; 0) */
	/* Uses of this process's own space and memory (atomic): 1 for
	 * itself until it ends, plus 1 per vfork child borrowing them. The
	 * last to leave destroys them (process_memory_put). */
	unsigned memory_users;
	bool memory_dropped;		/* its own use dropped (it ended) */
	/* Holders of this record (atomic): its waiter, plus 1 per vfork
	 * child borrowing its memory (which lives in it). kfree at 0. */
	unsigned record_users;
};

/* The memory the calling thread of process runs in: its own, or its
 * vfork parent's while it borrows it (memory_lender). Called by
 * process's own thread (the lender cannot change under it). */
struct user_memory *process_memory(struct process *process);

/* Results (negative): the Linux error numbers of user_errno.h. */
int process_spawn(const struct process_config *config,
		  struct process **out);
/* Waits for process to end, gives everything it held back, and frees it;
 * *result (may be NULL) says how it ended. */
void process_wait(struct process *process, struct process_result *result);

/* One process as reports see it. */
struct process_info {
	int pid;
	char name[32];
	char scheme[64];
	/* Its memory now (region_group counters, read as they change). */
	uint64_t faults, seals, sealed_pages;
	/* Its clear set now: pages present over all its mappings, and the
	 * budget (read as they change, without the share's lock). */
	uint32_t clear_pages, clear_limit;
	/* A vfork child running in its parent's memory: the pid of the
	 * memory's owner (its figures are the owner's and are not repeated
	 * here: they read 0); 0 for a process in its own memory. */
	int memory_of;
};
/* Fills up to max entries; returns how many processes there are. */
unsigned process_snapshot(struct process_info *out, unsigned max);

/* The exit status a shell gives for wait_status: the code, or 128 + the
 * signal that ended the process. */
int process_shell_status(int wait_status);
/* The store ratio of totals in hundredths: the bytes of every page sealed
 * over the store bytes those seals took (the codec's gain); 0 when
 * nothing was sealed. */
uint64_t process_store_ratio_hundredths(const struct region_group *totals);

/* Whether process has ended (its waiter will not wait long). */
bool process_ended(const struct process *process);

/* The calling thread's process, or NULL for a kernel thread. */
struct process *process_current(void);
/* Ends the calling process with wait status status (never returns). */
void process_exit(int status) __attribute__((noreturn));

/* Wait statuses as Linux encodes them. */
#define PROCESS_STATUS_EXITED(code) (((code) & 0xff) << 8)
#define PROCESS_SIGNAL_HUP 1
#define PROCESS_SIGNAL_INT 2
#define PROCESS_SIGNAL_ILL 4
#define PROCESS_SIGNAL_ABRT 6
#define PROCESS_SIGNAL_FPE 8
#define PROCESS_SIGNAL_KILL 9
#define PROCESS_SIGNAL_SEGV 11
#define PROCESS_SIGNAL_PIPE 13
#define PROCESS_SIGNAL_TERM 15
#define PROCESS_SIGNAL_CHLD 17

/* Frees the records of orphans that ended (their parent ended first):
 * their threads joined. Called at spawn, fork, wait4 and exit, and by
 * tests that want everything back; returns how many were freed. */
unsigned process_reap_orphans(void);
/* Processes in the table (ended ones not yet reaped included). */
unsigned process_count(void);

/* Sends signal (1..PROCESS_SIGNALS; 0 only checks) to the process of
 * pid: 0, -ESRCH (no such process), -EINVAL (a bad number). A signal the
 * target ignores (SIG_IGN, or a default of ignore) is dropped; another is
 * made pending and the target woken from any wait, so it acts (ends, or
 * runs the handler) at its next return towards user mode. */
int process_signal_send(int pid, int signal);
/* The same with the siginfo code the handler sees (PROCESS_SI_USER from
 * kill, PROCESS_SI_TKILL from tkill and tgkill); the sender is the
 * calling process (pid 0 from a kernel thread). */
int process_signal_send_code(int pid, int signal, int code);
/* Whether process has a signal pending that is not blocked: a blocking
 * call of its thread (wait4, nanosleep, a pipe read) stops waiting and
 * returns -EINTR when so, or -ERESTARTSYS for a call that SA_RESTART
 * restarts (user_errno.h); the signal is acted on on its way out. */
bool process_signal_pending(const struct process *process);

/* Checks user_scheme= once the transforms are registered (at boot, after
 * the regions' start): false, with an error said and the default put
 * back, when it names a scheme this kernel does not have (and false at
 * every later call). */
bool process_boot_check(void);
/* Defaults from the command line (user_scheme=, user_clear=). The scheme
 * is copied into buffer (size bytes): a system-wide swap may change it. */
void process_default_scheme(char *buffer, size_t size);
/* The scheme of programs started from now on (a system-wide swap, `scheme
 * all`); false, nothing changed, for text that is not a scheme. */
bool process_set_default_scheme(const char *text);
uint32_t process_default_clear(void);
/* user_clear=P%: P, or 0 when user_clear= is in pages. */
uint32_t process_default_clear_percent(void);

#endif
