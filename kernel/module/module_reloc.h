/*
 * Relocation arithmetic of x86-64 ELF (the psABI's formulas), portable: it
 * knows byte widths and ranges, no CPU detail, so the loader and the host
 * tests share it. The types handled are those GCC and clang emit for
 * kernel code built with -mcmodel=kernel -fno-pic (checked on this tree's
 * flags: R_X86_64_64 in data, PLT32 for calls, PC32 for RIP-relative
 * accesses, 32S for absolute addresses in code), plus 32, PC64 and NONE.
 * GOT-relative types (GOTPCREL, GOTPCRELX, REX_GOTPCRELX) appear only in
 * position-independent code, which modules are not: they are refused.
 */
#ifndef VEIL_KERNEL_MODULE_RELOC_H
#define VEIL_KERNEL_MODULE_RELOC_H

#include <stdint.h>

#define R_X86_64_NONE  0u
#define R_X86_64_64    1u
#define R_X86_64_PC32  2u
#define R_X86_64_PLT32 4u
#define R_X86_64_32    10u
#define R_X86_64_32S   11u
#define R_X86_64_PC64  24u

enum module_reloc_result {
	MODULE_RELOC_OK       = 0,
	MODULE_RELOC_UNKNOWN  = -1,	/* a type this loader does not apply */
	MODULE_RELOC_OVERFLOW = -2,	/* the value does not fit the field */
};

/* Bytes the field of a relocation type covers; 0 for an unknown type. */
unsigned module_reloc_width(uint32_t type);

/*
 * Applies one RELA entry: writes the field at place (module_reloc_width
 * bytes, any alignment), whose run-time address is place_address, from the
 * symbol's run-time value and the addend. Nothing is written on failure.
 */
int module_reloc_apply(uint32_t type, void *place, uint64_t place_address,
		       uint64_t symbol, int64_t addend);

#endif
