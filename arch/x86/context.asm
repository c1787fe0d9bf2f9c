; arch/x86/context.asm: saving and resuming an execution context (the
; callee-saved registers, the stack pointer, the return address and RFLAGS),
; in the manner of setjmp/longjmp. ktest uses it to abandon a test case from
; an exception handler or the watchdog's timer interrupt: resuming restores
; RFLAGS too, so the interrupt flag is as it was when the context was saved.
; Layout: struct cpu_context in kernel/context.h.

BITS 64
section .text

; int context_save(struct cpu_context *context)
; Returns 0 now, and the value given to context_resume later.
global context_save
context_save:
	mov [rdi + 0], rbx
	mov [rdi + 8], rbp
	mov [rdi + 16], r12
	mov [rdi + 24], r13
	mov [rdi + 32], r14
	mov [rdi + 40], r15
	lea rax, [rsp + 8]
	mov [rdi + 48], rax	; the stack pointer after our return
	mov rax, [rsp]
	mov [rdi + 56], rax	; where we return to
	pushfq
	pop rax
	mov [rdi + 64], rax
	xor eax, eax
	ret

; void context_resume(const struct cpu_context *context, int value)
global context_resume
context_resume:
	mov rbx, [rdi + 0]
	mov rbp, [rdi + 8]
	mov r12, [rdi + 16]
	mov r13, [rdi + 24]
	mov r14, [rdi + 32]
	mov r15, [rdi + 40]
	mov rsp, [rdi + 48]
	mov eax, esi
	push qword [rdi + 64]
	popfq
	jmp [rdi + 56]
