; boot/entry.asm: the multiboot2 header and the 32-bit entry. GRUB enters
; boot_entry in 32-bit protected mode, paging off, with the multiboot2 magic
; in EAX and the physical address of the boot information in EBX. This code
; checks that the CPU can run Veil (CPUID, PAE, long mode, NX), says on the
; serial port and the VGA screen what is missing if it cannot, builds early
; page tables (identity, direct map and higher half, 2 MiB pages over the
; first 4 GiB), enters long mode and jumps to the higher-half kernel, which
; calls kmain(magic, info). The C kernel replaces these tables early on.
;
; Everything here runs at its physical address (sections .boot.*, linked
; at their load address by linker.ld).

%include "boot/memlayout.inc"

MB2_MAGIC          equ 0xe85250d6
MB2_LOADER_MAGIC   equ 0x36d76289
MB2_ARCH_I386      equ 0

COM1               equ 0x3f8
VGA_TEXT           equ 0xb8000

PTE_PRESENT        equ 1 << 0
PTE_WRITABLE       equ 1 << 1
PTE_LARGE          equ 1 << 7

CR0_WP             equ 1 << 16
CR0_PG             equ 1 << 31
CR4_PAE            equ 1 << 5
MSR_EFER           equ 0xc0000080
EFER_LME           equ 1 << 8
EFER_NXE           equ 1 << 11

; ---------------------------------------------------------------------------
section .multiboot2
align 8
mb2_header:
	dd MB2_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header
	dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	; the end tag
	dw 0
	dw 0
	dd 8
mb2_header_end:

; ---------------------------------------------------------------------------
section .boot.text
BITS 32
global boot_entry
boot_entry:
	cli
	cld
	mov esp, boot_stack32_top
	mov [boot_magic], eax
	mov [boot_info_physical], ebx
	call serial_init32

	cmp eax, MB2_LOADER_MAGIC
	jne .not_multiboot2
	call check_cpu
	call build_page_tables
	jmp enter_long_mode

.not_multiboot2:
	mov esi, message_not_multiboot2
	jmp boot_fail

; Halts with a message if the CPU lacks CPUID, PAE, long mode or NX.
check_cpu:
	; CPUID exists if the ID bit of EFLAGS can be flipped.
	pushfd
	pop eax
	mov ecx, eax
	xor eax, 1 << 21
	push eax
	popfd
	pushfd
	pop eax
	push ecx
	popfd
	cmp eax, ecx
	mov esi, message_no_cpuid
	je boot_fail

	mov eax, 1
	cpuid
	test edx, 1 << 6
	mov esi, message_no_pae
	jz boot_fail

	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	mov esi, message_no_long_mode
	jb boot_fail
	mov eax, 0x80000001
	cpuid
	test edx, 1 << 29
	jz boot_fail
	test edx, 1 << 20
	mov esi, message_no_nx
	jz boot_fail
	ret

; Identity map and direct map share one PDPT whose four PDs map 0-4 GiB;
; the kernel's PDPT maps its slot 510 (-2 GiB) to the first of those PDs.
build_page_tables:
	mov edi, boot_page_tables
	mov ecx, boot_page_tables_end - boot_page_tables
	shr ecx, 2
	xor eax, eax
	rep stosd

	; four PDs, 2048 entries of 2 MiB: entry i maps i * 2 MiB
	mov edi, boot_pd
	mov eax, PTE_PRESENT | PTE_WRITABLE | PTE_LARGE
	xor edx, edx
	mov ecx, 2048
.fill_pd:
	mov [edi], eax
	mov [edi + 4], edx
	add eax, 0x200000
	adc edx, 0
	add edi, 8
	loop .fill_pd

	; the shared PDPT points to the four PDs
	mov edi, boot_pdpt_low
	mov eax, boot_pd + (PTE_PRESENT | PTE_WRITABLE)
	mov ecx, 4
.fill_pdpt:
	mov [edi], eax
	add eax, 4096
	add edi, 8
	loop .fill_pdpt

	mov eax, boot_pd + (PTE_PRESENT | PTE_WRITABLE)
	mov [boot_pdpt_high + 510 * 8], eax

	mov eax, boot_pdpt_low + (PTE_PRESENT | PTE_WRITABLE)
	mov [boot_pml4], eax
	mov [boot_pml4 + ((DIRECT_MAP_BASE >> 39) & 511) * 8], eax
	mov eax, boot_pdpt_high + (PTE_PRESENT | PTE_WRITABLE)
	mov [boot_pml4 + 511 * 8], eax
	ret

enter_long_mode:
	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, boot_pml4
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME | EFER_NXE
	wrmsr
	mov eax, cr0
	or eax, CR0_PG | CR0_WP
	mov cr0, eax
	lgdt [boot_gdt_pointer]
	jmp 0x08:long_mode_entry

; COM1 at 115200 8N1, so that the failure messages below can be read.
serial_init32:
	push eax
	push edx
	mov dx, COM1 + 1
	xor al, al
	out dx, al		; no interrupts
	mov dx, COM1 + 3
	mov al, 0x80
	out dx, al		; divisor latch on
	mov dx, COM1
	mov al, 1
	out dx, al		; divisor 1: 115200 baud
	mov dx, COM1 + 1
	xor al, al
	out dx, al
	mov dx, COM1 + 3
	mov al, 0x03
	out dx, al		; 8N1, latch off
	mov dx, COM1 + 2
	mov al, 0xc7
	out dx, al		; FIFOs on and cleared
	pop edx
	pop eax
	ret

; Prints the NUL-terminated message at ESI on COM1 and the VGA text screen,
; then halts for good. No stack needed beyond the return of serial_init32.
boot_fail:
	mov edi, VGA_TEXT
.next:
	lodsb
	test al, al
	jz .halt
	mov ah, al
	mov dx, COM1 + 5
.wait:
	in al, dx
	test al, 0x20
	jz .wait
	mov dx, COM1
	mov al, ah
	out dx, al
	cmp al, 10
	je .next
	mov [edi], al
	mov byte [edi + 1], 0x4f	; white on red
	add edi, 2
	jmp .next
.halt:
	cli
	hlt
	jmp .halt

BITS 64
long_mode_entry:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rax, higher_half_entry
	jmp rax

; ---------------------------------------------------------------------------
section .boot.rodata
align 8
boot_gdt:
	dq 0
	dq 0x00209a0000000000	; 0x08: 64-bit code, present, ring 0
	dq 0x0000920000000000	; 0x10: data, present, writable
boot_gdt_end:
boot_gdt_pointer:
	dw boot_gdt_end - boot_gdt - 1
	dd boot_gdt

message_not_multiboot2:
	db "veil: not started by a multiboot2 loader (boot it with GRUB: make run)", 10, 0
message_no_cpuid:
	db "veil: this CPU has no CPUID instruction; Veil needs an x86-64 CPU", 10, 0
message_no_pae:
	db "veil: this CPU has no PAE; Veil needs an x86-64 CPU", 10, 0
message_no_long_mode:
	db "veil: this CPU has no long mode (64-bit); Veil needs an x86-64 CPU", 10, 0
message_no_nx:
	db "veil: this CPU has no NX (no-execute) bit; Veil needs it for W^X", 10, 0

; ---------------------------------------------------------------------------
section .boot.bss nobits
alignb 4096
boot_page_tables:
boot_pml4:	resb 4096
boot_pdpt_low:	resb 4096
boot_pdpt_high:	resb 4096
boot_pd:	resb 4 * 4096
boot_page_tables_end:
boot_stack32:	resb 1024
boot_stack32_top:
global boot_magic, boot_info_physical
boot_magic:		resd 1
boot_info_physical:	resd 1

; ---------------------------------------------------------------------------
; The higher-half part: clears .bss, takes the kernel stack (a guard page
; below it is unmapped once the C kernel builds its page tables) and calls
; kmain(magic, info_physical). Frame pointer 0 ends backtraces here.
section .text
extern kmain, arch_cpu_local_install
extern kernel_bss_start, kernel_bss_end
higher_half_entry:
	mov rdi, kernel_bss_start
	mov rcx, kernel_bss_end
	sub rcx, rdi
	xor eax, eax
	rep stosb
	mov rsp, boot_stack_top
	xor ebp, ebp
	xor edi, edi
	call arch_cpu_local_install	; GS: the boot CPU's per-CPU area
	mov edi, [boot_magic]
	mov esi, [boot_info_physical]
	call kmain
.halt:
	cli
	hlt
	jmp .halt

section .bss
alignb 4096
global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:	resb 4096
boot_stack_bottom:	resb 16384
boot_stack_top:
