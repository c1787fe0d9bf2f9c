/*
 * What the process code asks of the architecture to run a thread in user
 * mode (arch/x86/user_cpu.c and user_entry.asm on a PC): the context a
 * user thread carries, the first entry into user mode, the copies across
 * the user/kernel line (a bad pointer is an error, never a kernel fault),
 * and the thread pointer. Only threads given a context enter user mode.
 */
#ifndef VEIL_KERNEL_USER_USER_CPU_H
#define VEIL_KERNEL_USER_USER_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arch/user_context.h>

struct thread;

/* The highest user address + 1: user mappings lie in [USER_ADDRESS_MIN,
 * user_address_limit()). The first page stays unmapped (NULL). */
#define USER_ADDRESS_MIN 0x10000ull
uint64_t user_address_limit(void);

/* Sets up this CPU to take system calls and to protect the kernel from
 * user pages (SMEP/SMAP when the CPU has them). Each CPU, at start. */
void user_cpu_init(void);

/* Gives the calling thread a user context (allocated, zeroed registers,
 * default SSE control words); false when memory is short. Before the
 * thread first enters user mode. */
bool user_context_attach(struct thread *thread);
/* thread_join frees it with the thread. */

/* The calling thread's user state at its current system call, copied
 * into a new context (allocated) for another thread to resume (fork):
 * its registers, with the call's result register set to result and, when
 * stack_pointer is not 0, that stack pointer; its FS base and SSE state.
 * NULL when memory is short. */
struct user_thread_context *user_context_clone(uint64_t result,
					       uint64_t stack_pointer);
/* Frees a context user_context_clone made that no thread took. */
void user_context_discard(struct user_thread_context *context);
/* Gives the calling thread (which has no context yet) context, made by
 * user_context_clone, and resumes that user state. Never returns. */
void user_resume(struct user_thread_context *context)
	__attribute__((noreturn));
/* Resets the calling thread's context for a new program (execve): FS
 * base 0, the SSE and x87 registers as user_context_attach sets them. */
void user_context_reset(void);

/* A signal handler's entry, as the process code asks for it. */
struct user_signal_delivery {
	int signal;
	int code;			/* siginfo's si_code (SI_USER 0, ...) */
	int sender_pid;		/* si_pid (si_uid 0: all are root) */
	int status;			/* si_status (SIGCHLD) */
	uint64_t handler, restorer;	/* user addresses */
	uint64_t stack_top;		/* 0: below the interrupted stack */
	uint64_t blocked;		/* the mask rt_sigreturn restores */
	/* The alternate stack as the frame reports it (uc_stack). */
	uint64_t altstack_sp, altstack_size;
	int altstack_flags;
};
/* Builds the signal frame on the user stack of the calling thread's
 * current entry from user mode (a system call or a trap) and makes its
 * return to user mode enter the handler: 0, or -EFAULT when the stack
 * cannot take the frame (the caller then ends the process). */
int user_signal_push(const struct user_signal_delivery *delivery);
/* rt_sigreturn: the registers and SSE state restored from the frame the
 * handler returned from; *blocked gets the mask it saved and *rax the
 * interrupted rax (the system call's result): 0 or -EFAULT. */
int user_signal_return(uint64_t *blocked, uint64_t *rax);
/* System-call restart (SA_RESTART). Whether the calling thread's
 * current entry from user mode is a system call that may be restarted
 * (not rt_sigreturn's return to interrupted code), and then *result, the
 * result it will return. */
bool user_syscall_result(long *result);
/* Replaces that result. */
void user_syscall_set_result(long result);
/* Makes the thread, back in user mode, make that system call again: the
 * same number and arguments (a handler entered meanwhile returns to it). */
void user_syscall_restart(void);

/* The user stack pointer of the calling thread's current entry. */
uint64_t user_stack_pointer(void);

/* Called by the arch as a thread goes back to user mode (after a system
 * call, an interrupt or an exception taken in user mode): whether its
 * process has a signal to act on (cheap, any context), and then, with
 * interrupts on and nothing held, the action, which may end the process
 * (kernel/user/process_signal.c). */
bool user_return_signal_due(void);
void user_return_signals(void);

/* Enters user mode at entry with stack_pointer, every general register
 * zero and interrupts on; the kernel stack is given up. Never returns:
 * the thread comes back only through system calls, interrupts and
 * exceptions. */
void user_enter(uint64_t entry, uint64_t stack_pointer)
	__attribute__((noreturn));

/* The FS base of the calling thread (arch_prctl ARCH_SET_FS / GET_FS). */
void user_set_tls_base(uint64_t base);
uint64_t user_tls_base(void);

/* The CPU's feature bits programs read from AT_HWCAP (on x86-64,
 * CPUID leaf 1's EDX, as Linux gives them). */
uint64_t user_hardware_capabilities(void);
/* Fills buffer with the CPU's best random bytes (AT_RANDOM, getrandom). */
void user_random_bytes(void *buffer, size_t length);

/* Copies across the user/kernel line: 0, or the number of bytes not
 * copied when a user page could not be reached (not mapped, protection,
 * not brought back). The caller has checked the range lies in the user
 * half; a fault here is never a kernel fault. */
size_t user_copy_raw(void *destination, const void *source, size_t bytes);
/* Copies a NUL-terminated user string of at most max bytes (the NUL
 * included) into destination: its length, max when no NUL was found
 * within max bytes, or -1 on a fault. */
long user_string_copy_raw(char *destination, const char *source, size_t max);
/* Writes bytes zero bytes at a user address: 0 or the bytes not written. */
size_t user_clear_raw(void *destination, size_t bytes);

#endif
