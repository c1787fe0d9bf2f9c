/*
 * User mode on x86-64: the SYSCALL MSRs, SMEP and SMAP, and what a thread
 * that runs user code carries across switches (kernel/user/user_cpu.h).
 *
 * SSE state is switched lazily by ownership: each CPU records the thread
 * whose user SSE state its registers hold (user_fpu_owner). Kernel code
 * is built without SSE except in fpu_begin/fpu_end sections, so the
 * registers change only there and under another user thread. The state is
 * saved when the owner is switched out or a kernel section begins
 * (user_fpu_save), and loaded on the way back to user mode when the CPU's
 * registers are not the returning thread's (user_return_prepare).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arch/cpuid.h>
#include "arch/x86/gdt.h"
#include "arch/x86/random.h"
#include "arch/x86/trap_frame.h"
#include "arch/x86/user_cpu_internal.h"
#include "arch/x86/x86.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/panic.h"
#include "kernel/sched/sched.h"
#include "kernel/user/user_cpu.h"
#include "mm/kstack.h"
#include "mm/slab.h"
#include <string.h>

#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_FMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define EFER_SCE (1ull << 0)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
/* RFLAGS bits a system call clears on entry: TF, IF, DF, NT, AC. */
#define SYSCALL_FLAGS_MASK 0x47700ull
#define USER_ADDRESS_LIMIT 0x0000800000000000ull

_Static_assert(offsetof(struct cpu_local, entry_stack_top) == 8,
	       "isr.asm and user_entry.asm: CPU_ENTRY_STACK_TOP");
_Static_assert(offsetof(struct cpu_local, entry_user_stack) == 16,
	       "user_entry.asm: CPU_ENTRY_USER_STACK");
_Static_assert(sizeof(struct trap_frame) == 24 * 8,
	       "user_entry.asm: struct trap_frame offsets");

void arch_syscall_entry(void);
void user_enter_frame(uint64_t entry, uint64_t stack_pointer,
		      uint64_t kernel_stack_top) __attribute__((noreturn));
void user_resume_frame(const struct trap_frame *frame,
		       uint64_t kernel_stack_top) __attribute__((noreturn));

/* Read by the copy routines (user_entry.asm): STAC/CLAC exist only with
 * SMAP. Set by the boot CPU; the others have the same CPU model. */
bool user_smap_enabled;
/* The thread whose user SSE state CPU i's registers hold, or NULL;
 * touched by CPU i only, with interrupts off. */
static struct thread *user_fpu_owner[CONFIG_MAX_CPUS];

uint64_t user_address_limit(void)
{
	return USER_ADDRESS_LIMIT - 4096;	/* a guard below the hole */
}

static bool user_cpuid_leaf7_ebx(unsigned bit)
{
	uint32_t eax, ebx, ecx, edx, max_leaf;

	cpuid_query(0, 0, &max_leaf, &ebx, &ecx, &edx);
	if (max_leaf < 7)
		return false;
	cpuid_query(7, 0, &eax, &ebx, &ecx, &edx);
	return ebx & (1u << bit);
}

void user_cpu_init(void)
{
	/* SYSCALL loads CS from STAR[47:32] and SS = that + 8; SYSRET loads
	 * CS = STAR[63:48] + 16 and SS = STAR[63:48] + 8 (SDM vol. 2B), hence
	 * user data before user code in the GDT. */
	uint64_t star = ((uint64_t)GDT_KERNEL_CODE << 32) |
			((uint64_t)(GDT_USER_DATA - 8) << 48);

	wrmsr(X86_MSR_EFER, rdmsr(X86_MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, star);
	wrmsr(MSR_LSTAR, (uint64_t)arch_syscall_entry);
	wrmsr(MSR_FMASK, SYSCALL_FLAGS_MASK);
	uint64_t cr4 = read_cr4();
	if (user_cpuid_leaf7_ebx(7))
		cr4 |= CR4_SMEP;
	if (user_cpuid_leaf7_ebx(20)) {
		cr4 |= CR4_SMAP;
		user_smap_enabled = true;
	}
	write_cr4(cr4);
}

/* The SSE and x87 registers a program starts with. */
static void user_fpu_defaults(uint8_t area[512])
{
	/* FXSAVE layout (SDM vol. 1, 10.5.1): FCW at 0, MXCSR at 24. */
	uint16_t fcw = 0x037f;		/* x87 default after FNINIT */
	uint32_t mxcsr = 0x1f80;	/* all SSE exceptions masked */

	memset(area, 0, 512);
	memcpy(&area[0], &fcw, sizeof(fcw));
	memcpy(&area[24], &mxcsr, sizeof(mxcsr));
}

bool user_context_attach(struct thread *thread)
{
	struct user_thread_context *context = kmalloc(sizeof(*context));

	if (!context)
		return false;
	memset(context, 0, sizeof(*context));
	user_fpu_defaults(context->fpu_area);
	context->entry_stack_top = (uint64_t)thread->stack_top;
	thread->user_context = context;
	return true;
}

void user_fpu_save(void)
{
	unsigned cpu = cpu_current();
	struct thread *owner = user_fpu_owner[cpu];

	if (!owner)
		return;
	__asm__ __volatile__("fxsave64 %0"
			     : "=m"(*(uint8_t (*)[512])owner->user_context->fpu_area));
	user_fpu_owner[cpu] = NULL;
}

/* Makes this CPU run context's thread (interrupts off): entries from
 * user mode land on its kernel stack, its FS base is loaded. */
static void user_load_context(const struct user_thread_context *context)
{
	cpu_local()->entry_stack_top = context->entry_stack_top;
	gdt_set_entry_stack(context->entry_stack_top);
	wrmsr(MSR_FS_BASE, context->tls_base);
	/* No user GS: while the kernel runs, the user's is in this MSR. */
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void arch_user_switch(struct thread *prev, struct thread *next)
{
	(void)prev;
	user_fpu_save();
	if (next->user_context)
		user_load_context(next->user_context);
}

void user_return_prepare(struct trap_frame *frame)
{
	unsigned cpu = cpu_current();
	struct thread *self = thread_current();

	if (!trap_frame_is_user(frame))
		return;
	KASSERT(self->user_context);
	if (user_fpu_owner[cpu] == self)
		return;
	__asm__ __volatile__("fxrstor64 %0"
			     : : "m"(*(const uint8_t (*)[512])self->user_context->fpu_area));
	user_fpu_owner[cpu] = self;
}

void user_enter(uint64_t entry, uint64_t stack_pointer)
{
	struct thread *self = thread_current();

	KASSERT(self->user_context);
	irq_save();
	/* The first entry: the switch to this thread happened before it had
	 * a context, so the context is loaded here. */
	user_load_context(self->user_context);
	user_enter_frame(entry, stack_pointer,
			 self->user_context->entry_stack_top);
}

struct trap_frame *user_entry_frame(void)
{
	struct thread *self = thread_current();

	return (struct trap_frame *)self->user_context->entry_stack_top - 1;
}

void user_fpu_read(uint8_t area[512])
{
	struct thread *self = thread_current();
	unsigned long flags = irq_save();

	/* The SSE state is in the registers while this thread owns them
	 * (kernel code does not touch them), else in its context. */
	if (user_fpu_owner[cpu_current()] == self)
		__asm__ __volatile__("fxsave64 %0"
				     : "=m"(*(uint8_t (*)[512])area));
	else
		memcpy(area, self->user_context->fpu_area, 512);
	irq_restore(flags);
}

void user_fpu_write(const uint8_t area[512])
{
	struct thread *self = thread_current();
	unsigned long flags = irq_save();
	uint32_t mxcsr;

	if (user_fpu_owner[cpu_current()] == self)
		user_fpu_owner[cpu_current()] = NULL;	/* reloaded on the way out */
	memcpy(self->user_context->fpu_area, area, 512);
	/* MXCSR's reserved bits set would make FXRSTOR fault in the kernel
	 * (SDM vol. 1, 10.5.1.2): a program's image keeps only the defined
	 * ones. */
	memcpy(&mxcsr, &self->user_context->fpu_area[24], sizeof(mxcsr));
	mxcsr &= 0xffff;
	memcpy(&self->user_context->fpu_area[24], &mxcsr, sizeof(mxcsr));
	irq_restore(flags);
}

struct user_thread_context *user_context_clone(uint64_t result,
					       uint64_t stack_pointer)
{
	struct thread *self = thread_current();
	struct user_thread_context *copy = kmalloc(sizeof(*copy));

	if (!copy)
		return NULL;
	KASSERT(((uintptr_t)copy->fpu_area & 15) == 0);
	memset(copy, 0, sizeof(*copy));
	struct trap_frame frame = *user_entry_frame();
	frame.rax = result;
	if (stack_pointer)
		frame.rsp = stack_pointer;
	memcpy(copy->start_frame, &frame, sizeof(frame));
	user_fpu_read(copy->fpu_area);
	copy->tls_base = self->user_context->tls_base;
	return copy;
}

void user_context_discard(struct user_thread_context *context)
{
	kfree(context);
}

void user_resume(struct user_thread_context *context)
{
	struct thread *self = thread_current();

	KASSERT(!self->user_context);
	context->entry_stack_top = (uint64_t)self->stack_top;
	irq_save();
	self->user_context = context;
	user_load_context(context);
	user_resume_frame((const struct trap_frame *)context->start_frame,
			  context->entry_stack_top);
}

void user_context_reset(void)
{
	struct thread *self = thread_current();
	unsigned long flags = irq_save();

	/* The registers are reloaded from the defaults on the way out. */
	if (user_fpu_owner[cpu_current()] == self)
		user_fpu_owner[cpu_current()] = NULL;
	user_fpu_defaults(self->user_context->fpu_area);
	self->user_context->tls_base = 0;
	wrmsr(MSR_FS_BASE, 0);
	irq_restore(flags);
}

void user_set_tls_base(uint64_t base)
{
	unsigned long flags = irq_save();

	thread_current()->user_context->tls_base = base;
	wrmsr(MSR_FS_BASE, base);
	irq_restore(flags);
}

uint64_t user_tls_base(void)
{
	return thread_current()->user_context->tls_base;
}

void user_random_bytes(void *buffer, size_t length)
{
	uint8_t *out = buffer;

	while (length > 0) {
		uint64_t word = random_u64(NULL);
		size_t step = length < sizeof(word) ? length : sizeof(word);
		memcpy(out, &word, step);
		out += step;
		length -= step;
	}
}

uint64_t user_hardware_capabilities(void)
{
	uint32_t eax, ebx, ecx, edx;

	cpuid_query(1, 0, &eax, &ebx, &ecx, &edx);
	return edx;
}
