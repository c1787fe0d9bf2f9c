; arch/x86/smp_trampoline.asm: where an application processor starts. The
; boot CPU copies the bytes from smp_trampoline_start to smp_trampoline_end
; to a free page below 1 MiB and fills the parameters at their end; the
; start-up IPI names that page, and the CPU begins here in real mode with
; CS = page >> 4. Nothing here may use a stack or an absolute address: each
; address is computed from the page's base (EBX), found from CS.
;
; 16-bit: says it answered, loads the trampoline's GDT, enters protected
; mode. 32-bit: PAE, the temporary page tables (the kernel half of the
; kernel's, plus an identity map of the first 2 MiB for this page), EFER's
; long mode and NX, paging and write protection on. 64-bit: jumps to
; smp_ap_entry64 in the kernel image, which takes the kernel's own CR3 and
; the CPU's stack and calls smp_ap_main(index) (arch/x86/smp_start.c).

BITS 16
section .rodata
align 16
global smp_trampoline_start, smp_trampoline_end, smp_trampoline_params

%define OFFSET(label) (label - smp_trampoline_start)

smp_trampoline_start:
	cli
	cld
	mov ax, cs
	mov ds, ax
	mov dword [OFFSET(tr_answered)], 1
	movzx ebx, ax
	shl ebx, 4				; the page's physical base
	lea eax, [ebx + OFFSET(tr_gdt)]
	mov [OFFSET(tr_gdt_pointer) + 2], eax
	lea eax, [ebx + OFFSET(tr_protected)]
	mov [OFFSET(tr_far32)], eax
	lgdt [OFFSET(tr_gdt_pointer)]
	mov eax, cr0
	or eax, 1				; PE
	mov cr0, eax
	jmp dword far [OFFSET(tr_far32)]

BITS 32
tr_protected:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr4
	or eax, 1 << 5				; PAE
	mov cr4, eax
	mov eax, [ebx + OFFSET(tr_page_tables)]
	mov cr3, eax
	mov ecx, 0xc0000080			; EFER
	rdmsr
	or eax, (1 << 8) | (1 << 11)		; LME, NXE
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16)		; PG, WP
	mov cr0, eax
	lea eax, [ebx + OFFSET(tr_long)]
	mov [ebx + OFFSET(tr_far64)], eax
	jmp far [ebx + OFFSET(tr_far64)]

BITS 64
tr_long:
	mov ebx, ebx				; upper half undefined after the switch
	mov rdi, [rbx + OFFSET(tr_index)]
	mov rsi, [rbx + OFFSET(tr_kernel_cr3)]
	mov rdx, [rbx + OFFSET(tr_stack)]
	mov rax, [rbx + OFFSET(tr_entry)]
	jmp rax

align 8
tr_gdt:
	dq 0
	dq 0x00cf9a000000ffff			; 0x08: 32-bit code
	dq 0x00cf92000000ffff			; 0x10: data
	dq 0x00af9a000000ffff			; 0x18: 64-bit code
tr_gdt_end:
tr_gdt_pointer:
	dw tr_gdt_end - tr_gdt - 1
	dd 0					; the base, set at run time
tr_far32:
	dd 0
	dw 0x08
tr_far64:
	dd 0
	dw 0x18

; Filled by the boot CPU before each start (struct trampoline_params).
align 8
smp_trampoline_params:
tr_index:	dq 0
tr_kernel_cr3:	dq 0
tr_stack:	dq 0
tr_entry:	dq 0
tr_page_tables:	dd 0
tr_answered:	dd 0
smp_trampoline_end:

; The first kernel-image code an application processor runs, still on
; the temporary tables: RDI index, RSI the kernel's CR3, RDX the stack top.
section .text
extern smp_ap_main
global smp_ap_entry64
smp_ap_entry64:
	mov cr3, rsi
	mov rsp, rdx
	xor ebp, ebp				; ends backtraces here
	call smp_ap_main
.halt:
	cli
	hlt
	jmp .halt
