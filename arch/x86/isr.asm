; arch/x86/isr.asm: the interrupt entry stubs. Each vector pushes its number
; (and a 0 where the CPU pushes no error code, so every frame has the same
; shape), then the common path saves the general registers into a struct
; trap_frame (arch/x86/trap.h) and calls trap_dispatch(frame). On return the
; registers are restored from the frame, which a handler may have changed.

BITS 64
section .text
extern trap_dispatch

isr_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp
	cld
	; the CPU aligned RSP to 16 before its 5 pushes; with our 17 pushes of
	; 8 bytes (176 in all, a multiple of 16) the call is aligned again
	call trap_dispatch
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16		; vector and error code
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
