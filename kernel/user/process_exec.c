/*
 * execve (process.h): the calling process runs another program. The
 * path, argv and envp are copied from user memory and the file checked
 * (it exists, is a regular file, is a static x86-64 ELF executable, or a
 * "#!" script whose interpreter is one) before anything of the caller
 * changes: every error up to there returns to the caller unharmed. Then
 * the old memory goes (a vfork child's, its parent's, goes back to the
 * parent untouched), a new space takes the old one's place under the
 * thread, the program is loaded into it as process_spawn's would be, and
 * the thread enters it. A failure after that point (memory short) ends
 * the process with SIGSEGV, as Linux does. The pid, parent, children,
 * descriptors (but close-on-exec ones), blocked mask and pending signals
 * stay; caught signals go back to their default.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/irq.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/user/elf.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/process_internal.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_cpu.h"
#include "kernel/user/user_errno.h"
#include "kernel/user/user_path.h"
#include "mm/slab.h"
#include "mm/vmm.h"

#define EXEC_SCRIPT_LINE 128	/* bytes of a "#!" line read */
#define SIGNAL_HANDLER_IGNORE 1

/* What execve was given, in kernel memory. */
struct exec_arguments {
	char path[128];
	char strings[PROCESS_STRINGS_MAX];
	size_t used;
	const char *argv[PROCESS_ARGUMENTS_MAX + 1];
	const char *envp[PROCESS_ARGUMENTS_MAX + 1];
};

/* Appends text to the string area: its copy, or NULL when full. */
static const char *exec_keep(struct exec_arguments *args, const char *text,
			     size_t length)
{
	if (length + 1 > sizeof(args->strings) - args->used)
		return NULL;
	char *copy = args->strings + args->used;
	memcpy(copy, text, length);
	copy[length] = '\0';
	args->used += length + 1;
	return copy;
}

/* Copies the user list at address (NULL-terminated pointers to strings;
 * address 0: an empty list) into slots: 0, -EFAULT or -E2BIG. */
static int exec_copy_list(struct exec_arguments *args, uint64_t address,
			  const char **slots)
{
	unsigned count = 0;

	for (; address; count++) {
		uint64_t pointer;
		int result = user_copy_from(&pointer, address + count * 8,
					    sizeof(pointer));
		if (result)
			return result;
		if (!pointer)
			break;
		if (count == PROCESS_ARGUMENTS_MAX)
			return -USER_E2BIG;
		char *at = args->strings + args->used;
		long length = user_string_from(at, pointer,
					       sizeof(args->strings) - args->used);
		if (length == -USER_ENAMETOOLONG)
			return -USER_E2BIG;
		if (length < 0)
			return (int)length;
		slots[count] = at;
		args->used += (size_t)length + 1;
	}
	slots[count] = NULL;
	return 0;
}

/* The path (made absolute against the working directory), argv, envp. */
/* The program's absolute path: name taken relative to the working
 * directory; /proc/self/exe is the caller's own program (busybox runs its
 * applets that way). 0 or -ENAMETOOLONG. */
static int exec_resolve_path(const char *name, char *out, size_t size)
{
	const struct process *self = process_current();

	if (strcmp(name, "/proc/self/exe") == 0) {
		if (strlen(self->path) >= size)
			return -USER_ENAMETOOLONG;
		strlcpy(out, self->path, size);
		return 0;
	}
	return user_path_resolve(self->cwd, name, out, size);
}

static int exec_copy_arguments(struct exec_arguments *args, uint64_t path,
			       uint64_t argv, uint64_t envp)
{
	char name[sizeof(args->path)];
	long length = user_string_from(name, path, sizeof(name) - 1);

	if (length < 0)
		return (int)length;
	if (length == 0)
		return -USER_ENOENT;
	int result = exec_resolve_path(name, args->path, sizeof(args->path));
	if (result == 0)
		result = exec_copy_list(args, argv, args->argv);
	if (result == 0)
		result = exec_copy_list(args, envp, args->envp);
	return result;
}

/* The file at path as a program: 0 (an ELF executable Veil runs),
 * 1 (a "#!" script), -ENOENT, -EACCES (not a regular file), -ENOEXEC. */
static int exec_check_file(const char *path, struct cpio_entry *file)
{
	struct elf_image image;

	if (initramfs_find(path, file) != CPIO_OK)
		return -USER_ENOENT;
	if ((file->mode & 0170000u) != 0100000u)
		return -USER_EACCES;
	if (file->size >= 2 && memcmp(file->data, "#!", 2) == 0)
		return 1;
	if (elf_parse(file->data, file->size, user_address_limit(),
		      &image) != ELF_OK)
		return -USER_ENOEXEC;
	return 0;
}

/* Rewrites args for the script's interpreter: argv becomes the
 * interpreter, its one optional argument, the script's path, then the
 * script's argv after argv[0]. 0, -ENOEXEC (no interpreter named),
 * -ENAMETOOLONG, -E2BIG. */
static int exec_script(struct exec_arguments *args,
		       const struct cpio_entry *file)
{
	char line[EXEC_SCRIPT_LINE];
	size_t length = 0;
	const char *data = file->data;

	while (length + 2 < file->size && length < sizeof(line) - 1 &&
	       data[length + 2] != '\n') {
		line[length] = data[length + 2] == '\t' ? ' ' : data[length + 2];
		length++;
	}
	line[length] = '\0';
	char *interpreter = line;
	while (*interpreter == ' ')
		interpreter++;
	char *end = interpreter;
	while (*end && *end != ' ')
		end++;
	char *argument = *end ? end + 1 : end;
	*end = '\0';
	while (*argument == ' ')
		argument++;
	for (size_t i = strlen(argument); i > 0 && argument[i - 1] == ' '; i--)
		argument[i - 1] = '\0';
	if (!*interpreter)
		return -USER_ENOEXEC;
	if (strlen(interpreter) >= sizeof(args->path))
		return -USER_ENAMETOOLONG;
	unsigned count = 0;
	while (args->argv[count])
		count++;
	unsigned extra = *argument ? 2 : 1;	/* interpreter, [argument], path */
	unsigned kept = count > 0 ? count - 1 : 0;
	if (1 + extra + kept > PROCESS_ARGUMENTS_MAX)
		return -USER_E2BIG;
	const char *new_argv[PROCESS_ARGUMENTS_MAX + 1];
	unsigned at = 0;
	new_argv[at++] = exec_keep(args, interpreter, strlen(interpreter));
	if (*argument)
		new_argv[at++] = exec_keep(args, argument, strlen(argument));
	new_argv[at++] = exec_keep(args, args->path, strlen(args->path));
	for (unsigned i = 1; i < count; i++)
		new_argv[at++] = args->argv[i];
	new_argv[at] = NULL;
	for (unsigned i = 0; i < at; i++) {
		if (!new_argv[i])
			return -USER_E2BIG;
	}
	memcpy(args->argv, new_argv, sizeof(new_argv[0]) * (at + 1));
	strlcpy(args->path, interpreter, sizeof(args->path));
	return 0;
}

/* Everything execve checks before it changes the caller: 0 with args
 * ready for the load, or the error execve returns. */
static int exec_prepare(struct exec_arguments *args, uint64_t path,
			uint64_t argv, uint64_t envp)
{
	struct cpio_entry file;
	int result = exec_copy_arguments(args, path, argv, envp);

	if (result == 0)
		result = exec_check_file(args->path, &file);
	if (result == 1) {	/* a script: its interpreter must be a program */
		result = exec_script(args, &file);
		if (result == 0)
			result = exec_check_file(args->path, &file);
		if (result == 1)
			result = -USER_ENOEXEC;	/* no script of scripts */
	}
	return result;
}

/* The process's memory emptied and moved to new_space, which the calling
 * thread runs in from here; the old space destroyed, or, for a vfork
 * child, given back to its parent untouched (the child's own memory was
 * empty). The memory's life counters carry over (they are the process's
 * whole life). */
static int exec_replace_memory(struct process *process,
			       struct vmm_space *new_space)
{
	struct vmm_space *old_space = process->space;
	char scheme[sizeof(process->memory.scheme)];
	uint32_t clear = process->memory.clear_pages;
	uint32_t clear_percent = process->memory.clear_percent;

	/* An owner execs only while nobody borrows its memory: a vfork
	 * child's parent is suspended until the child has given it back. */
	KASSERT(process->memory_lender ||
		__atomic_load_n(&process->memory_users, __ATOMIC_ACQUIRE) == 1);
	memcpy(scheme, process->memory.scheme, sizeof(scheme));
	process_fault_owner_unregister(process);
	user_memory_destroy(&process->memory);
	struct region_stats retired = process->memory.retired;
	struct region_group group = process->memory.group;
	int result = user_memory_init(&process->memory, new_space, scheme,
				      clear, clear_percent);
	process->memory.retired = retired;
	process->memory.group = group;
	unsigned long flags = irq_save();
	thread_current()->space = new_space;	/* switches load it from now */
	process->space = new_space;
	vmm_space_switch(new_space);
	irq_restore(flags);
	if (process->memory_lender)
		process_memory_return(process);
	else
		vmm_space_destroy(old_space);
	if (result == 0)
		result = process_fault_owner_register(process);
	return result;
}

/* What a new program starts without: close-on-exec descriptors, caught
 * signals' handlers, the thread's id fields, its FS base and SSE state. */
static void exec_reset_process(struct process *process)
{
	file_table_close_on_exec(&process->files);
	for (unsigned i = 0; i < PROCESS_SIGNALS; i++) {
		struct process_signal_action *action = &process->signal_actions[i];
		if (action->handler != SIGNAL_HANDLER_IGNORE)
			memset(action, 0, sizeof(*action));
	}
	process->altstack_sp = process->altstack_size = 0;
	process->tid_address = 0;
	process->robust_list = process->robust_list_length = 0;
	user_context_reset();
}

long process_exec(uint64_t path, uint64_t argv, uint64_t envp)
{
	struct process *process = process_current();
	struct exec_arguments *args = kmalloc(sizeof(*args));
	uint64_t entry = 0, stack_pointer = 0;

	if (!args)
		return -USER_ENOMEM;
	memset(args, 0, sizeof(*args));
	int result = exec_prepare(args, path, argv, envp);
	struct vmm_space *new_space = result ? NULL : vmm_space_create();
	if (result == 0 && !new_space)
		result = -USER_ENOMEM;
	if (result == 0) {
		const struct process_config config = {
			.path = args->path, .argv = args->argv, .envp = args->envp,
		};
		result = process_copy_arguments(process, &config);
	}
	kfree(args);
	if (result) {
		if (new_space)
			vmm_space_destroy(new_space);
		return result;
	}
	/* The point of no return: the caller's memory goes. */
	exec_reset_process(process);
	result = exec_replace_memory(process, new_space);
	if (result == 0)
		result = process_load(process, &entry, &stack_pointer);
	if (result) {
		log_error("user: %s (pid %d): execve failed after its point of "
			  "no return (%d): SIGSEGV", process->name, process->pid,
			  result);
		process_exit(PROCESS_SIGNAL_SEGV);
	}
	/* The new program runs: a vfork parent goes on, as on Linux. */
	process_vfork_release(process);
	user_enter(entry, stack_pointer);
}
