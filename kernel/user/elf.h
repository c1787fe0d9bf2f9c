/*
 * The ELF64 checks and load plan for static x86-64 Linux executables
 * (ET_EXEC, and ET_DYN without PT_INTERP: static-PIE). Portable: the file
 * is untrusted input (a program from the initramfs), so every field is
 * checked before it is used; the host tests and the fuzz target
 * tests/fuzz/fuzz_elf.c run this code on real and crafted files. Layouts:
 * the System V ABI, "ELF-64 Object File Format" 1.5 (file header, program
 * header) and its x86-64 supplement (EM_X86_64 62).
 */
#ifndef VEIL_KERNEL_USER_ELF_H
#define VEIL_KERNEL_USER_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mm/vmm.h"

#define ELF_SEGMENTS_MAX 16
#define ELF_PAGE_SIZE 4096u

/* One PT_LOAD segment, in file order (ascending vaddr, as the ABI requires).
 * Segments never overlap byte-wise; two neighbours may share one page (the
 * end of one and the start of the next): the loader then gives that page
 * the union of their protections and both segments' bytes. */
struct elf_segment {
	uint64_t vaddr;		/* as in the file (add the load bias for PIE) */
	uint64_t memory_size;
	uint64_t file_offset;
	uint64_t file_size;	/* <= memory_size; the rest is zero */
	unsigned prot;		/* enum vmm_prot: VMM_READ|VMM_WRITE|VMM_EXEC */
};

struct elf_image {
	uint64_t entry;			/* e_entry (add the bias for PIE) */
	bool position_independent;	/* ET_DYN (static-PIE): loaded at a bias the loader chooses */
	uint64_t phdr_vaddr;		/* where the program headers are in memory (AT_PHDR before bias), 0 if not loaded */
	uint16_t phnum, phentsize;	/* AT_PHNUM, AT_PHENT */
	uint64_t lowest, highest;	/* page-rounded span of the PT_LOAD segments (before bias): [lowest, highest) */
	unsigned segment_count;
	struct elf_segment segments[ELF_SEGMENTS_MAX];
	/* PT_GNU_STACK's PF_X. Absent, false: since Linux 5.8 an x86-64
	 * program without PT_GNU_STACK no longer gets READ_IMPLIES_EXEC, so
	 * its stack is not executable. */
	bool executable_stack;
	/* PT_TLS or zeros: the initialisation image [tls_vaddr, +tls_file_size)
	 * lies inside a PT_LOAD's file bytes; tls_align is 0 or a power of 2. */
	uint64_t tls_vaddr, tls_file_size, tls_memory_size, tls_align;
	/* addition: the largest PT_LOAD p_align that is a power of 2, at
	 * least ELF_PAGE_SIZE: a PIE's bias is best a multiple of it (the
	 * segments' vaddr and offset agree modulo it, huge pages included) */
	uint64_t load_align;
	/* PT_GNU_RELRO's whole pages (libc makes them read-only once it has
	 * relocated), inside one writable PT_LOAD; zeros when absent or not
	 * so: the loader maps them apart, so that mprotect covers a mapping. */
	uint64_t relro_vaddr, relro_size;
};

enum elf_result {
	ELF_OK = 0,
	ELF_TRUNCATED = -1,		/* header or program headers past the end of the file */
	ELF_NOT_ELF = -2,		/* no \x7fELF magic, or a bad ELF version */
	ELF_WRONG_CLASS = -3,		/* not 64-bit little-endian */
	ELF_WRONG_MACHINE = -4,		/* not x86-64 */
	ELF_WRONG_TYPE = -5,		/* not ET_EXEC/ET_DYN */
	ELF_DYNAMIC = -6,		/* has PT_INTERP: needs a dynamic linker */
	/* overlapping, unaligned (vaddr%4096 != offset%4096), file_size >
	 * memory_size, outside the file, overflow, above the user limit, out
	 * of order; also a bad e_phentsize, PT_TLS or PT_PHDR */
	ELF_BAD_SEGMENT = -7,
	ELF_TOO_MANY_SEGMENTS = -8,	/* more than ELF_SEGMENTS_MAX PT_LOAD */
	ELF_NO_SEGMENTS = -9,		/* no PT_LOAD with a non-zero memory size */
	ELF_BAD_ENTRY = -10,		/* entry not inside an executable segment */
};

/*
 * Checks file (size bytes, any alignment) as a static x86-64 executable
 * whose segments must lie below user_limit (for PIE, before the bias: the
 * span highest - lowest must fit under user_limit); fills *image (zeroed
 * first, whatever the result). PT_LOAD entries with a zero memory size are
 * ignored. Returns ELF_OK or a negative enum elf_result; reads nothing
 * outside [file, file + size).
 */
int elf_parse(const void *file, size_t size, uint64_t user_limit, struct elf_image *image);

/* A short name for an enum elf_result ("ELF_BAD_SEGMENT"), "?" for others. */
const char *elf_result_name(int result);

#endif
