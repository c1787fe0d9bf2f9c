/*
 * Loading a program into a new process (process.h): its arguments copied,
 * its ELF segments mapped as regions and filled from the initramfs, its
 * heap and its stack made, the System V initial stack written, and the
 * first entry into user mode. Runs on the process's own thread, in its
 * space, so the loader writes through the user addresses themselves (and
 * every page it fills is a MAP event of its region).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/user/elf.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/process_internal.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_cpu.h"
#include "kernel/user/user_errno.h"
#include "kernel/user/user_stack.h"
#include "mm/slab.h"
#include "mm/vmm.h"

#define PAGE 4096ull
/* Where a position-independent program is placed (as Linux puts PIE
 * programs at 2/3 of the address space, a fixed place here). */
#define PROCESS_PIE_BASE 0x0000555555554000ull
#define PROCESS_STACK_BUFFER 16384u

static uint64_t page_down(uint64_t value)
{
	return value & ~(PAGE - 1);
}

static uint64_t page_up(uint64_t value)
{
	return (value + PAGE - 1) & ~(PAGE - 1);
}

/* Appends text to the process's string area: its copy, or NULL. */
static const char *process_keep_string(struct process *process,
				       size_t *used, const char *text)
{
	size_t length = strlen(text) + 1;

	if (length > sizeof(process->strings) - *used)
		return NULL;
	char *copy = process->strings + *used;
	memcpy(copy, text, length);
	*used += length;
	return copy;
}

/* Copies a NULL-terminated list into slots (PROCESS_ARGUMENTS_MAX + 1). */
static int process_keep_list(struct process *process, size_t *used,
			     const char *const *list, const char **slots)
{
	unsigned count = 0;

	for (; list && list[count]; count++) {
		if (count == PROCESS_ARGUMENTS_MAX)
			return -USER_E2BIG;
		slots[count] = process_keep_string(process, used, list[count]);
		if (!slots[count])
			return -USER_E2BIG;
	}
	slots[count] = NULL;
	return 0;
}

int process_copy_arguments(struct process *process,
			   const struct process_config *config)
{
	const char *default_argv[2] = { config->path, NULL };
	size_t used = 0;

	if (!config->path || !config->path[0])
		return -USER_EINVAL;
	if (strlen(config->path) >= sizeof(process->path))
		return -USER_ENAMETOOLONG;
	strlcpy(process->path, config->path, sizeof(process->path));
	const char *base = strrchr(config->path, '/');
	ksnprintf(process->name, sizeof(process->name), "%s",
		  base ? base + 1 : config->path);
	int result = process_keep_list(process, &used,
				       config->argv ? config->argv : default_argv,
				       process->argv);
	if (result == 0)
		result = process_keep_list(process, &used, config->envp,
					   process->envp);
	return result;
}

/* Maps [start, end) writable as one mapping per piece between the
 * boundaries given (the RELRO pages apart: libc makes exactly them
 * read-only later, and a mapping's protection changes as a whole). */
static int process_map_pieces(struct process *process, uint64_t start,
			      uint64_t end, const uint64_t cuts[2])
{
	uint64_t at = start;

	for (unsigned i = 0; i <= 2; i++) {
		uint64_t stop = i < 2 ? cuts[i] : end;
		if (stop <= at || stop > end)
			continue;
		int result = user_memory_map(&process->memory, at, stop - at,
					     VMM_READ | VMM_WRITE,
					     USER_MAPPING_IMAGE);
		if (result)
			return result;
		at = stop;
	}
	return 0;
}

/* Maps one segment's pages (merged with the previous mapping when they
 * share a page) writable, and copies its file bytes in. */
static int process_map_segment(struct process *process,
			       const struct elf_image *image,
			       const struct elf_segment *segment,
			       const uint8_t *file, uint64_t bias,
			       uint64_t *mapped_end)
{
	uint64_t start = page_down(segment->vaddr + bias);
	uint64_t end = page_up(segment->vaddr + bias + segment->memory_size);
	uint64_t cuts[2] = { 0, 0 };

	if (image->relro_size) {
		cuts[0] = image->relro_vaddr + bias;
		cuts[1] = image->relro_vaddr + image->relro_size + bias;
	}
	if (start < *mapped_end)
		start = *mapped_end;	/* its first page is the previous one's */
	if (start < end) {
		int result = process_map_pieces(process, start, end, cuts);
		if (result)
			return result;
		*mapped_end = end;
	}
	return user_copy_to(segment->vaddr + bias, file + segment->file_offset,
			    segment->file_size);
}

/* Gives each segment's pages the protection the program asked for. A
 * page two segments share keeps what both need. */
static int process_protect_segments(struct process *process,
				    const struct elf_image *image,
				    uint64_t bias)
{
	uint64_t protected_end = 0;

	for (unsigned i = 0; i < image->segment_count; i++) {
		const struct elf_segment *segment = &image->segments[i];
		uint64_t start = page_down(segment->vaddr + bias);
		uint64_t end = page_up(segment->vaddr + bias +
				       segment->memory_size);
		unsigned protection = segment->prot;
		if (start < protected_end)
			start = protected_end;
		/* A later segment that shares this one's last page. */
		for (unsigned j = i + 1; j < image->segment_count; j++) {
			if (page_down(image->segments[j].vaddr + bias) < end)
				protection |= image->segments[j].prot;
		}
		if (start >= end)
			continue;
		int result = user_memory_protect(&process->memory, start,
						 end - start, protection);
		if (result)
			return result;
		protected_end = end;
	}
	return 0;
}

/* The program's segments, mapped and filled; *bias is where a PIE went. */
static int process_load_image(struct process *process,
			      const struct cpio_entry *entry,
			      struct elf_image *image, uint64_t *bias)
{
	int result = elf_parse(entry->data, entry->size, user_address_limit(),
			       image);
	uint64_t mapped_end = 0;

	if (result != ELF_OK) {
		log_error("user: %s is not a static x86-64 executable Veil can "
			  "run: %s", process->path, elf_result_name(result));
		return -USER_ENOEXEC;
	}
	/* A bias that keeps every segment's alignment (load_align). */
	*bias = image->position_independent ?
			(PROCESS_PIE_BASE & ~(image->load_align - 1)) -
				page_down(image->lowest) : 0;
	for (unsigned i = 0; i < image->segment_count; i++) {
		result = process_map_segment(process, image, &image->segments[i],
					     entry->data, *bias, &mapped_end);
		if (result)
			return result;
	}
	result = process_protect_segments(process, image, *bias);
	if (result == 0)
		result = user_memory_heap_init(&process->memory,
					       page_up(image->highest + *bias) + PAGE);
	return result;
}

/* The stack mapping and the System V initial stack on it. */
static int process_load_stack(struct process *process,
			      const struct elf_image *image, uint64_t bias,
			      uint64_t *stack_pointer)
{
	uint64_t top = page_down(user_address_limit());
	uint64_t size = (uint64_t)USER_STACK_PAGES * PAGE;
	uint8_t random_bytes[16];
	struct user_stack_auxv auxv[] = {
		{ AT_PHDR, image->phdr_vaddr ? image->phdr_vaddr + bias : 0 },
		{ AT_PHENT, image->phentsize },
		{ AT_PHNUM, image->phnum },
		{ AT_PAGESZ, PAGE },
		{ AT_BASE, 0 },
		{ AT_FLAGS, 0 },
		{ AT_ENTRY, image->entry + bias },
		{ AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 },
		{ AT_HWCAP, user_hardware_capabilities() },
		{ AT_CLKTCK, 100 },
		{ AT_SECURE, 0 },
		{ AT_RANDOM, 0 },	/* filled by user_stack_build */
		{ AT_EXECFN, 0 },	/* likewise */
	};
	/* Executable only when PT_GNU_STACK asks (docs/user.md). */
	int result = user_memory_map(&process->memory, top - size, size,
				     VMM_READ | VMM_WRITE |
				     (image->executable_stack ? VMM_EXEC : 0),
				     USER_MAPPING_STACK);
	if (result)
		return result;
	uint8_t *buffer = kmalloc(PROCESS_STACK_BUFFER);
	if (!buffer)
		return -USER_ENOMEM;
	user_random_bytes(random_bytes, sizeof(random_bytes));
	result = user_stack_build(buffer, PROCESS_STACK_BUFFER, top,
				  process->argv, process->envp, auxv,
				  sizeof(auxv) / sizeof(auxv[0]), random_bytes,
				  stack_pointer);
	if (result == USER_STACK_OK) {
		uint64_t used = top - *stack_pointer;
		result = user_copy_to(*stack_pointer,
				      buffer + PROCESS_STACK_BUFFER - used, used);
	} else {
		result = -USER_E2BIG;
	}
	memset(random_bytes, 0, sizeof(random_bytes));
	kfree(buffer);
	return result;
}

/* The program in place: *entry and *stack_pointer for the first entry. */
int process_load(struct process *process, uint64_t *entry,
		 uint64_t *stack_pointer)
{
	struct cpio_entry file;
	struct elf_image image;
	uint64_t bias = 0;
	int result = initramfs_find(process->path, &file);

	if (result != CPIO_OK) {
		log_error("user: %s: %s", process->path,
			  result == CPIO_END ? "no such program in the initramfs"
					     : "the initramfs is malformed");
		return -USER_ENOENT;
	}
	if ((file.mode & 0170000u) != 0100000u) {
		log_error("user: %s is not a regular file", process->path);
		return -USER_EACCES;
	}
	result = process_load_image(process, &file, &image, &bias);
	if (result == 0)
		result = process_load_stack(process, &image, bias, stack_pointer);
	*entry = image.entry + bias;
	return result;
}

void process_thread_main(void *argument)
{
	struct process *process = argument;
	struct thread *self = thread_current();
	uint64_t entry = 0, stack_pointer = 0;

	self->process = process;
	int result = user_context_attach(self) ?
			     process_load(process, &entry, &stack_pointer) :
			     -USER_ENOMEM;
	if (result)	/* as a shell reports a command it could not run */
		process_exit(PROCESS_STATUS_EXITED(127));
	user_enter(entry, stack_pointer);
}
