; arch/x86/isr.asm: the interrupt entry stubs. Each vector pushes its number
; (and a 0 where the CPU pushes no error code, so every frame has the same
; shape), then the common path saves the general registers into a struct
; trap_frame (arch/x86/trap.h) and calls trap_dispatch(frame). On return the
; registers are restored from the frame, which a handler may have changed.

; Entries from user mode (the saved CS has RPL 3) first exchange GS (the
; kernel's per-CPU base is in the MSR while user code runs: swapgs) and move
; the CPU's frame to the running thread's kernel stack: exceptions with an
; IST stack (the page fault among them) would otherwise run on a per-CPU
; stack, where a thread cannot block, exit or be switched. Entries from
; kernel mode keep their stack. NMI, double fault and machine check may
; strike between the return path's swapgs and its IRETQ/SYSRET, with a
; kernel CS but the user's GS base: they read the GS base to decide
; (the kernel's per-CPU areas are in the upper half). Each frame records
; whether GS was exchanged, and the exit undoes exactly that.

BITS 64
section .text
extern trap_dispatch
global trap_return

%include "arch/x86/trap_frame.inc"
%define MSR_GS_BASE 0xc0000101

isr_common:
	test qword [rsp + 24], 3	; the interrupted CS: from user mode?
	jnz .from_user
	cmp qword [rsp], 2		; NMI
	je .gs_unknown
	cmp qword [rsp], 8		; double fault
	je .gs_unknown
	cmp qword [rsp], 18		; machine check
	je .gs_unknown
	push 0				; reserved
	push 0				; gs_swapped: no
	jmp .save
.gs_unknown:
	push 0				; reserved
	push rax
	push rcx
	push rdx
	mov ecx, MSR_GS_BASE
	rdmsr
	test edx, edx			; a kernel base has its top bit set
	pop rdx
	pop rcx
	pop rax				; pops keep the flags of the test
	js .kernel_gs
	swapgs
	push 1
	jmp .save
.kernel_gs:
	push 0
	jmp .save
.from_user:
	swapgs
	push rsi
	push rdi
	push rcx
	mov rdi, [gs:CPU_ENTRY_STACK_TOP]
	sub rdi, 56			; vector, error and the CPU's five words
	lea rsi, [rsp + 24]
	mov ecx, 7
	cld
	rep movsq			; a no-op when already there (no IST)
	pop rcx
	pop rdi
	pop rsi
	mov rsp, [gs:CPU_ENTRY_STACK_TOP]
	sub rsp, 56
	push 0				; reserved
	push 1				; gs_swapped
.save:
	PUSH_GENERAL
	mov rdi, rsp
	cld
	; the CPU aligned RSP to 16 before its 5 pushes; with our 19 pushes of
	; 8 bytes (192 in all, a multiple of 16) the call is aligned again
	call trap_dispatch
; The exit of every frame (interrupts, exceptions, and system calls that
; do not leave by SYSRET): RSP points at a struct trap_frame.
trap_return:
	POP_GENERAL
	cmp qword [rsp], 0		; gs_swapped
	je .gs_kept
	swapgs
.gs_kept:
	add rsp, 32			; gs_swapped, reserved, vector, error code
	iretq

%macro STUB_NO_ERROR 1
isr_stub_%1:
	push 0
	push %1
	jmp isr_common
%endmacro

%macro STUB_ERROR 1
isr_stub_%1:
	push %1
	jmp isr_common
%endmacro

; Vectors whose exceptions push an error code (Intel SDM vol. 3, 6.13).
%assign vector 0
%rep 256
%if vector == 8 || vector == 10 || vector == 11 || vector == 12 || vector == 13 || vector == 14 || vector == 17 || vector == 21 || vector == 29 || vector == 30
	STUB_ERROR vector
%else
	STUB_NO_ERROR vector
%endif
%assign vector vector + 1
%endrep

section .rodata
align 8
; Entry addresses for vectors 0-255, read by arch/x86/idt.c.
global isr_stub_table
isr_stub_table:
%assign vector 0
%rep 256
	dq isr_stub_ %+ vector
%assign vector vector + 1
%endrep
