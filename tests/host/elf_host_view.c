/*
 * The host C library's view of ELF files and auxv types (elf_host_view.h).
 */
#include <elf.h>
#include <string.h>
#include "tests/host/elf_host_view.h"

bool host_at_value(const char *name, uint64_t *value)
{
	static const struct { const char *name; uint64_t value; } table[] = {
#define HOST_AT(n) { #n, n }
		HOST_AT(AT_NULL), HOST_AT(AT_IGNORE), HOST_AT(AT_EXECFD),
		HOST_AT(AT_PHDR), HOST_AT(AT_PHENT), HOST_AT(AT_PHNUM),
		HOST_AT(AT_PAGESZ), HOST_AT(AT_BASE), HOST_AT(AT_FLAGS),
		HOST_AT(AT_ENTRY), HOST_AT(AT_NOTELF), HOST_AT(AT_UID),
		HOST_AT(AT_EUID), HOST_AT(AT_GID), HOST_AT(AT_EGID),
		HOST_AT(AT_PLATFORM), HOST_AT(AT_HWCAP), HOST_AT(AT_CLKTCK),
		HOST_AT(AT_SECURE), HOST_AT(AT_BASE_PLATFORM), HOST_AT(AT_RANDOM),
		HOST_AT(AT_HWCAP2), HOST_AT(AT_EXECFN), HOST_AT(AT_SYSINFO_EHDR),
		HOST_AT(AT_MINSIGSTKSZ),
#undef HOST_AT
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0) {
			*value = table[i].value;
			return true;
		}
	return false;
}

void host_elf_header(const void *file, uint64_t *entry, uint64_t *phoff, unsigned *phnum)
{
	Elf64_Ehdr header;

	memcpy(&header, file, sizeof(header));
	*entry = header.e_entry;
	*phoff = header.e_phoff;
	*phnum = header.e_phnum;
}

void host_elf_phdr(const void *file, unsigned index, struct host_phdr *phdr)
{
	Elf64_Ehdr header;
	Elf64_Phdr entry;

	memcpy(&header, file, sizeof(header));
	memcpy(&entry, (const char *)file + header.e_phoff + (size_t)index * sizeof(entry),
	       sizeof(entry));
	*phdr = (struct host_phdr){ entry.p_type, entry.p_flags, entry.p_offset, entry.p_vaddr,
				    entry.p_filesz, entry.p_memsz, entry.p_align };
}

uint32_t host_pt_load(void) { return PT_LOAD; }
uint32_t host_pt_tls(void) { return PT_TLS; }
uint32_t host_pt_gnu_stack(void) { return PT_GNU_STACK; }
uint32_t host_pf_x(void) { return PF_X; }
