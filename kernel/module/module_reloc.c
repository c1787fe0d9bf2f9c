/*
 * x86-64 relocation arithmetic (kernel/module/module_reloc.h): S + A for
 * absolute fields, S + A - P for PC-relative ones, with the range check
 * each field width needs, so that a module placed too far from the kernel
 * is refused instead of silently truncated.
 */
#include <string.h>
#include "kernel/module/module_reloc.h"

unsigned module_reloc_width(uint32_t type)
{
	switch (type) {
	case R_X86_64_NONE:
		return 0;
	case R_X86_64_64:
	case R_X86_64_PC64:
		return 8;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_32:
	case R_X86_64_32S:
		return 4;
	default:
		return 0;
	}
}

/* Writes a 32-bit field when value fits it signed (sign) or unsigned. */
static int module_reloc_put32(void *place, uint64_t value, int sign)
{
	uint32_t field = (uint32_t)value;

	if (sign ? (int64_t)value != (int64_t)(int32_t)field :
		   value != (uint64_t)field)
		return MODULE_RELOC_OVERFLOW;
	memcpy(place, &field, sizeof(field));
	return MODULE_RELOC_OK;
}

int module_reloc_apply(uint32_t type, void *place, uint64_t place_address,
		       uint64_t symbol, int64_t addend)
{
	uint64_t absolute = symbol + (uint64_t)addend;
	uint64_t relative = absolute - place_address;

	switch (type) {
	case R_X86_64_NONE:
		return MODULE_RELOC_OK;
	case R_X86_64_64:
		memcpy(place, &absolute, sizeof(absolute));
		return MODULE_RELOC_OK;
	case R_X86_64_PC64:
		memcpy(place, &relative, sizeof(relative));
		return MODULE_RELOC_OK;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:	/* no PLT: the call goes straight to S */
		return module_reloc_put32(place, relative, 1);
	case R_X86_64_32:
		return module_reloc_put32(place, absolute, 0);
	case R_X86_64_32S:
		return module_reloc_put32(place, absolute, 1);
	default:
		return MODULE_RELOC_UNKNOWN;
	}
}
