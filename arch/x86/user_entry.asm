; arch/x86/user_entry.asm: the ways into and out of user mode that are not
; interrupts (isr.asm handles those): the SYSCALL entry and its return, the
; first entry of a thread into user mode, and the copies across the
; user/kernel line, whose faults are turned into a count of bytes not
; copied (arch/x86/trap.c looks for a fault inside [user_copy_start,
; user_copy_end) and resumes at the routine's fixup).
;
; A system call builds the same struct trap_frame an interrupt from user
; mode does (arch/x86/trap_frame.h), on the thread's kernel stack, so the
; process code sees one kind of saved user state. It returns with SYSRET
; when the frame still has what SYSRET restores (RCX = RIP, R11 = RFLAGS,
; the user selectors, a canonical user RIP: Intel SDM vol. 2B, SYSRET);
; otherwise through IRETQ, which restores every register of the frame.

BITS 64
section .text

%include "arch/x86/trap_frame.inc"
%define USER_DATA 0x1b		; arch/x86/gdt.h
%define USER_CODE 0x23
%define SYSCALL_VECTOR 0x100	; not a vector: marks a system call's frame
%define USER_RIP_LIMIT 0x00007ffffffff000
%define RFLAGS_TF_RF 0x10100
%define USER_FRAME_SIZE 192	; sizeof(struct trap_frame): checked in user_cpu.c

extern syscall_dispatch
extern user_return_prepare
extern trap_return
extern user_smap_enabled

global arch_syscall_entry
arch_syscall_entry:
	swapgs
	mov [gs:CPU_ENTRY_USER_STACK], rsp
	mov rsp, [gs:CPU_ENTRY_STACK_TOP]
	push USER_DATA			; ss
	push qword [gs:CPU_ENTRY_USER_STACK]	; rsp
	push r11			; rflags
	push USER_CODE			; cs
	push rcx			; rip
	push 0				; error code
	push SYSCALL_VECTOR		; vector
	push 0				; reserved (keeps the frame 16-aligned)
	push 1				; gs_swapped: the user's GS is in the MSR
	PUSH_GENERAL
	mov rdi, rsp
	xor ebp, ebp			; the end of the frame-pointer chain
	cld
	sti
	call syscall_dispatch		; with interrupts on; may switch threads
	cli
	mov rdi, rsp
	call user_return_prepare	; interrupts off from here to user mode
	; SYSRET only when it restores exactly what the frame says.
	mov rcx, [rsp + F_RIP]
	cmp rcx, [rsp + F_RCX]
	jne .by_iret
	mov r11, [rsp + F_RFLAGS]
	cmp r11, [rsp + F_R11]
	jne .by_iret
	test r11, RFLAGS_TF_RF
	jnz .by_iret
	mov rax, USER_RIP_LIMIT
	cmp rcx, rax
	jae .by_iret
	cmp qword [rsp + F_CS], USER_CODE
	jne .by_iret
	cmp qword [rsp + F_SS], USER_DATA
	jne .by_iret
	pop r15
	pop r14
	pop r13
	pop r12
	add rsp, 8			; r11: rflags already
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	add rsp, 8			; rcx: rip already
	pop rbx
	pop rax
	; gs_swapped, reserved, vector, error, rip, cs, rflags, then rsp
	mov rsp, [rsp + 56]
	swapgs
	o64 sysret
.by_iret:
	jmp trap_return

; void user_enter_frame(uint64_t entry, uint64_t stack_pointer,
;                       uint64_t kernel_stack_top)
; Gives up the kernel stack: builds a user frame at its top (what an entry
; from user mode would have left) and leaves through trap_return.
global user_enter_frame
user_enter_frame:
	cli
	mov rsp, rdx
	push USER_DATA			; ss
	push rsi			; rsp
	push 0x202			; rflags: IF
	push USER_CODE			; cs
	push rdi			; rip
	push 0				; error code
	push SYSCALL_VECTOR		; vector (a fresh thread: none)
	push 0				; reserved
	push 1				; gs_swapped
	xor eax, eax
%rep 15
	push rax			; every general register zero
%endrep
	mov rdi, rsp
	xor ebp, ebp
	call user_return_prepare
	jmp trap_return

; void user_resume_frame(const struct trap_frame *frame,
;                        uint64_t kernel_stack_top)
; Gives up the kernel stack: copies frame (which does not lie on this
; stack) to its top and leaves through trap_return (a fork child's first
; entry: the registers its parent had at the system call).
global user_resume_frame
user_resume_frame:
	cli
	mov rsp, rsi
	sub rsp, USER_FRAME_SIZE
	mov rsi, rdi
	mov rdi, rsp
	mov ecx, USER_FRAME_SIZE / 8
	cld
	rep movsq
	mov rdi, rsp
	xor ebp, ebp
	call user_return_prepare
	jmp trap_return

; size_t user_copy_raw(void *destination, const void *source, size_t bytes)
; Returns the bytes not copied (0 when all were).
global user_copy_start
global user_copy_end
global user_copy_fixup
global user_string_start
global user_string_end
global user_string_fixup
global user_copy_raw
global user_clear_raw
global user_string_copy_raw
user_copy_start:
user_copy_raw:
	mov rcx, rdx
	call user_access_begin
	rep movsb
	call user_access_end
	mov rax, rcx
	ret

; size_t user_clear_raw(void *destination, size_t bytes)
user_clear_raw:
	mov rcx, rsi
	xor eax, eax
	call user_access_begin
	rep stosb
	call user_access_end
	mov rax, rcx
	ret
user_copy_end:

; A fault in a rep form resumes here, its registers as they were at the
; fault: rcx holds the bytes left, the answer.
user_copy_fixup:
	call user_access_end
	mov rax, rcx
	ret

; long user_string_copy_raw(char *destination, const char *source,
;                           size_t max): the length, max when no NUL was
; found within max bytes, -1 on a fault.
user_string_start:
user_string_copy_raw:
	xor eax, eax
	call user_access_begin
.next:
	cmp rax, rdx
	je .done
	mov cl, [rsi + rax]
	mov [rdi + rax], cl
	test cl, cl
	jz .done
	inc rax
	jmp .next
.done:
	call user_access_end
	ret
user_string_end:

user_string_fixup:
	call user_access_end
	mov rax, -1
	ret

; SMAP (Intel SDM vol. 3A, 4.6): supervisor accesses to user pages are
; allowed only with RFLAGS.AC set; STAC/CLAC exist only with SMAP.
user_access_begin:
	cmp byte [rel user_smap_enabled], 0
	je .no
	stac
.no:
	ret

user_access_end:
	cmp byte [rel user_smap_enabled], 0
	je .no
	clac
.no:
	ret
