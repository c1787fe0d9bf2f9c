; arch/x86/thread_switch.asm: switching kernel threads (kernel/sched). A
; switch saves the callee-saved registers on the old thread's stack, stores
; its stack pointer, loads the new thread's and pops the same registers:
; everything else is either caller-saved (the C caller of the switch does
; not expect it kept) or per-CPU. The kernel is built without SSE outside
; fpu_begin/fpu_end sections, which keep interrupts off and so never
; contain a switch: no FPU/SIMD state to carry (docs/smp.md).
; Layout of a switched-out stack, from its saved stack pointer up:
;   r15, r14, r13, r12, rbp, rbx, return address.
; A new thread's stack is built the same way (arch_thread_stack_init in
; arch/x86/include/arch/thread_switch.h) with arch_thread_trampoline as
; the return address and the thread in r12.

BITS 64
section .text
extern sched_thread_start

; void arch_thread_switch(uint64_t *save_stack_pointer, uint64_t next)
; Returns when some CPU switches back to the saved stack.
global arch_thread_switch
arch_thread_switch:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	mov [rdi], rsp
	mov rsp, rsi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

; The first "return" of a new thread: calls sched_thread_start(thread)
; with the thread from r12 on an aligned stack; that never returns.
global arch_thread_trampoline
arch_thread_trampoline:
	mov rdi, r12
	xor ebp, ebp		; the end of the frame-pointer chain
	and rsp, -16
	call sched_thread_start
	ud2
