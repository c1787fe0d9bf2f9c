/*
 * A second reading of ELF files and auxiliary vector values, through the
 * host C library's <elf.h> (tests/host/elf_host_view.c), that the host tests
 * of kernel/user/ compare with their own definitions. Kept in its own file
 * because <elf.h> defines AT_* and PT_* as macros that would clash with the
 * kernel's enums.
 */
#ifndef VEIL_TESTS_HOST_ELF_HOST_VIEW_H
#define VEIL_TESTS_HOST_ELF_HOST_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, file_size, memory_size, align;
};

/* <elf.h>'s value of the auxiliary vector type named name ("AT_PHDR"), or
 * false when the name is not one this view knows. */
bool host_at_value(const char *name, uint64_t *value);

/* The file's e_entry, e_phoff and e_phnum as <elf.h>'s Elf64_Ehdr reads them. */
void host_elf_header(const void *file, uint64_t *entry, uint64_t *phoff, unsigned *phnum);

/* Program header index of the file, through Elf64_Phdr. */
void host_elf_phdr(const void *file, unsigned index, struct host_phdr *phdr);

/* <elf.h>'s values of the constants the loader relies on. */
uint32_t host_pt_load(void);
uint32_t host_pt_tls(void);
uint32_t host_pt_gnu_stack(void);
uint32_t host_pf_x(void);

#endif
