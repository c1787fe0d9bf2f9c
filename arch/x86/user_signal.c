/*
 * Signal frames on x86-64 (kernel/user/user_cpu.h): what a handler is
 * entered with and what rt_sigreturn restores, in Linux's layout (the
 * rt_sigframe programs' libcs and debuggers know): below the chosen stack
 * pointer, the FXSAVE image of the interrupted SSE state (16-aligned),
 * then the return address (the SA_RESTORER trampoline), the ucontext
 * (flags, link, the alternate stack, the sigcontext of the interrupted
 * registers, the blocked mask to restore) and the siginfo. The handler
 * gets the signal in rdi, &siginfo in rsi, &ucontext in rdx, rax 0, and
 * the stack pointer 8 off a 16-byte boundary, as after a call.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "arch/x86/trap_frame.h"
#include "arch/x86/user_cpu_internal.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_cpu.h"
#include "kernel/user/user_errno.h"

#define USER_DATA 0x1b		/* arch/x86/gdt.h */
#define USER_CODE 0x23
#define SIGNAL_RED_ZONE 128	/* the ABI's red zone below rsp */
/* RFLAGS bits a program may set: CF PF AF ZF SF TF DF OF AC, RF? no. */
#define USER_RFLAGS_MASK 0x40dd5ull
#define RFLAGS_IF 0x200ull
#define RFLAGS_FIXED 0x2ull

/* struct sigcontext (x86-64). */
struct signal_context {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;		/* user address of the FXSAVE image */
	uint64_t reserved[8];
};

struct signal_ucontext {
	uint64_t flags;
	uint64_t link;
	uint64_t stack_sp;
	int32_t stack_flags;
	int32_t pad;
	uint64_t stack_size;
	struct signal_context context;
	uint64_t sigmask;
};

struct signal_info {
	int32_t signo, errno_value, code, pad;
	int32_t pid;
	uint32_t uid;
	int32_t status;			/* SIGCHLD's si_status */
	uint8_t rest[128 - 28];
};

struct signal_frame {
	uint64_t return_address;
	struct signal_ucontext ucontext;
	struct signal_info info;
};

_Static_assert(sizeof(struct signal_context) == 256, "struct sigcontext");
_Static_assert(sizeof(struct signal_info) == 128, "siginfo_t");
_Static_assert(offsetof(struct signal_frame, ucontext.context) == 48,
	       "rt_sigframe: uc_mcontext at 40 of ucontext");

static void signal_save_registers(struct signal_context *context,
				  const struct trap_frame *frame)
{
	context->r8 = frame->r8; context->r9 = frame->r9;
	context->r10 = frame->r10; context->r11 = frame->r11;
	context->r12 = frame->r12; context->r13 = frame->r13;
	context->r14 = frame->r14; context->r15 = frame->r15;
	context->rdi = frame->rdi; context->rsi = frame->rsi;
	context->rbp = frame->rbp; context->rbx = frame->rbx;
	context->rdx = frame->rdx; context->rax = frame->rax;
	context->rcx = frame->rcx; context->rsp = frame->rsp;
	context->rip = frame->rip; context->eflags = frame->rflags;
	context->cs = USER_CODE;
	context->ss = USER_DATA;
	context->trapno = frame->vector < 32 ? frame->vector : 0;
	context->err = frame->vector < 32 ? frame->error_code : 0;
}

int user_signal_push(const struct user_signal_delivery *delivery)
{
	struct trap_frame *frame = user_entry_frame();
	uint8_t fpu[512] __attribute__((aligned(16)));
	struct signal_frame signal;
	uint64_t top = delivery->stack_top ? delivery->stack_top
					   : frame->rsp - SIGNAL_RED_ZONE;
	uint64_t fpu_at = (top - sizeof(fpu)) & ~15ull;
	/* rsp + 8 16-aligned at the handler's entry, as after a call. */
	uint64_t frame_at = ((fpu_at - sizeof(signal)) & ~15ull) - 8;

	memset(&signal, 0, sizeof(signal));
	user_fpu_read(fpu);
	signal.return_address = delivery->restorer;
	signal.ucontext.stack_sp = delivery->altstack_sp;
	signal.ucontext.stack_flags = delivery->altstack_flags;
	signal.ucontext.stack_size = delivery->altstack_size;
	signal_save_registers(&signal.ucontext.context, frame);
	signal.ucontext.context.oldmask = delivery->blocked;
	signal.ucontext.context.fpstate = fpu_at;
	signal.ucontext.sigmask = delivery->blocked;
	signal.info.signo = delivery->signal;
	signal.info.code = delivery->code;
	signal.info.pid = delivery->sender_pid;
	signal.info.status = delivery->status;
	if (user_copy_to(fpu_at, fpu, sizeof(fpu)) ||
	    user_copy_to(frame_at, &signal, sizeof(signal)))
		return -USER_EFAULT;
	frame->rip = delivery->handler;
	frame->rsp = frame_at;
	frame->rdi = (uint64_t)delivery->signal;
	frame->rsi = frame_at + offsetof(struct signal_frame, info);
	frame->rdx = frame_at + offsetof(struct signal_frame, ucontext);
	frame->rax = 0;
	frame->rflags &= ~(1ull << 10);	/* DF clear, as the ABI wants */
	return 0;
}

int user_signal_return(uint64_t *blocked, uint64_t *rax)
{
	struct trap_frame *frame = user_entry_frame();
	uint64_t frame_at = frame->rsp - 8;	/* the restorer's ret popped it */
	struct signal_ucontext ucontext;
	uint8_t fpu[512] __attribute__((aligned(16)));

	if (user_copy_from(&ucontext, frame_at + offsetof(struct signal_frame,
							 ucontext),
			   sizeof(ucontext)))
		return -USER_EFAULT;
	const struct signal_context *c = &ucontext.context;
	if (c->fpstate) {
		if (user_copy_from(fpu, c->fpstate, sizeof(fpu)))
			return -USER_EFAULT;
		user_fpu_write(fpu);
	}
	frame->r8 = c->r8; frame->r9 = c->r9; frame->r10 = c->r10;
	frame->r11 = c->r11; frame->r12 = c->r12; frame->r13 = c->r13;
	frame->r14 = c->r14; frame->r15 = c->r15; frame->rdi = c->rdi;
	frame->rsi = c->rsi; frame->rbp = c->rbp; frame->rbx = c->rbx;
	frame->rdx = c->rdx; frame->rcx = c->rcx; frame->rsp = c->rsp;
	frame->rip = c->rip;
	/* Only the flags a program owns; IF always on. */
	frame->rflags = (frame->rflags & ~USER_RFLAGS_MASK) |
			(c->eflags & USER_RFLAGS_MASK) | RFLAGS_IF | RFLAGS_FIXED;
	frame->cs = USER_CODE;
	frame->ss = USER_DATA;
	/* The interrupted state is back: nothing here to restart, whatever
	 * its rax says (Linux clears orig_ax the same way). */
	frame->error_code = USER_SYSCALL_NONE;
	*blocked = ucontext.sigmask;
	*rax = c->rax;
	return 0;
}

uint64_t user_stack_pointer(void)
{
	return user_entry_frame()->rsp;
}
