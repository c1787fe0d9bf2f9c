/*
 * System calls on a process's memory (syscall.h): the heap, anonymous
 * and private file mappings, protection and advice. Every mapping is a
 * transformed region (user_memory.h).
 */
#include <stdint.h>
#include <string.h>
#include "kernel/user/process.h"
#include "kernel/user/syscall.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_cpu.h"
#include "kernel/user/user_errno.h"
#include "mm/vmm.h"

#define PROT_READ 1u
#define PROT_WRITE 2u
#define PROT_EXEC 4u
#define MAP_SHARED 0x01u
#define MAP_PRIVATE 0x02u
#define MAP_SHARED_VALIDATE 0x03u
#define MAP_TYPE 0x0fu
#define MAP_FIXED 0x10u
#define MAP_ANONYMOUS 0x20u
#define MAP_FIXED_NOREPLACE 0x100000u
#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define PAGE 4096ull

static uint64_t page_up(uint64_t value)
{
	return (value + PAGE - 1) & ~(PAGE - 1);
}

/* PROT_* to enum vmm_prot; false for unknown bits. */
static bool syscall_protection(uint64_t prot, unsigned *protection)
{
	if (prot & ~(uint64_t)(PROT_READ | PROT_WRITE | PROT_EXEC))
		return false;
	*protection = (prot & PROT_READ ? VMM_READ : 0) |
		      (prot & PROT_WRITE ? VMM_WRITE : 0) |
		      (prot & PROT_EXEC ? VMM_EXEC : 0);
	return true;
}

long syscall_brk(const uint64_t a[6])
{
	return (long)user_memory_brk(process_memory(process_current()), a[0]);
}

/* Copies length bytes of file from offset into the new mapping at start
 * (the rest of its pages read as zeros). */
static int syscall_map_file_contents(struct file *file, uint64_t start,
				     uint64_t length, uint64_t offset)
{
	if (offset >= file->size)
		return 0;
	uint64_t bytes = file->size - offset < length ? file->size - offset
						      : length;
	return user_copy_to(start, file->data + offset, bytes);
}

/* Where a new mapping goes: addr for MAP_FIXED (what was there unmapped
 * first), else a gap. 0 and *error when nowhere. */
static uint64_t syscall_map_place(struct user_memory *memory, uint64_t addr,
				  uint64_t length, uint64_t flags, long *error)
{
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr % PAGE || addr < USER_ADDRESS_MIN ||
		    addr >= user_address_limit() ||
		    length > user_address_limit() - addr) {
			*error = addr % PAGE ? -USER_EINVAL : -USER_ENOMEM;
			return 0;
		}
		if (!(flags & MAP_FIXED_NOREPLACE))
			user_memory_unmap(memory, addr, length);
		return addr;
	}
	uint64_t start = user_memory_find_gap(memory, length);
	if (!start)
		*error = -USER_ENOMEM;
	return start;
}

long syscall_mmap(const uint64_t a[6])
{
	uint64_t addr = a[0], length = a[1], flags = a[3], offset = a[5];
	int fd = (int)a[4];
	struct process *process = process_current();
	struct user_memory *memory = process_memory(process);
	struct file *file = NULL;
	unsigned protection;
	long error = 0;

	if (length == 0 || !syscall_protection(a[2], &protection))
		return -USER_EINVAL;
	uint64_t type = flags & MAP_TYPE;
	if (type != MAP_SHARED && type != MAP_PRIVATE &&
	    type != MAP_SHARED_VALIDATE)
		return -USER_EINVAL;
	if (length > user_address_limit())
		return -USER_ENOMEM;
	length = page_up(length);
	if (!(flags & MAP_ANONYMOUS)) {
		if (offset % PAGE)
			return -USER_EINVAL;
		file = file_get(&process->files, fd);
		if (!file)
			return -USER_EBADF;
		if (file->kind != FILE_INITRAMFS || !file->readable)
			return -USER_EACCES;
		if (type != MAP_PRIVATE && (protection & VMM_WRITE))
			return -USER_EACCES;	/* the file is read-only */
	}
	uint64_t start = syscall_map_place(memory, addr, length, flags,
					   &error);
	if (!start)
		return error;
	/* Writable while the file's bytes go in; then as asked. */
	int result = user_memory_map(memory, start, length,
				     file ? protection | VMM_WRITE | VMM_READ
					  : protection,
				     USER_MAPPING_ANONYMOUS);
	if (result)
		return result == -USER_EEXIST ? -USER_EEXIST : -USER_ENOMEM;
	if (file) {
		result = syscall_map_file_contents(file, start, length, offset);
		if (result == 0 && protection != (protection | VMM_WRITE | VMM_READ))
			result = user_memory_protect(memory, start, length,
						     protection);
		if (result) {
			user_memory_unmap(memory, start, length);
			return -USER_ENOMEM;
		}
	}
	return (long)start;
}

long syscall_munmap(const uint64_t a[6])
{
	if (a[0] % PAGE || a[1] == 0)
		return -USER_EINVAL;
	return user_memory_unmap(process_memory(process_current()), a[0], a[1]);
}

long syscall_mprotect(const uint64_t a[6])
{
	unsigned protection;

	if (a[0] % PAGE || !syscall_protection(a[2], &protection))
		return -USER_EINVAL;
	if (a[1] == 0)
		return 0;
	return user_memory_protect(process_memory(process_current()), a[0],
				   a[1], protection);
}

long syscall_mremap(const uint64_t a[6])
{
	if (a[3] > UINT32_MAX)
		return -USER_EINVAL;
	return user_memory_remap(process_memory(process_current()), a[0], a[1],
				 a[2], (unsigned)a[3], a[4]);
}

long syscall_madvise(const uint64_t a[6])
{
	if (a[0] % PAGE)
		return -USER_EINVAL;
	switch (a[2]) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
		return 0;	/* hints: the policy decides */
	case MADV_DONTNEED:
	case MADV_FREE:
		/* Private anonymous pages read as zeros afterwards. */
		return user_memory_discard(process_memory(process_current()),
					   a[0], page_up(a[1]));
	}
	return -USER_EINVAL;
}
