/*
 * Loading, listing and unloading modules (kernel/module/module.h): the
 * steps of a load, each undone in reverse when a later one fails, so a
 * refused module leaves nothing behind:
 *   1. parse and place the ELF object, check its ABI version;
 *   2. reserve a slot of the module area (its final address);
 *   3. relocate a copy of the image for that address, linking undefined
 *      symbols against the export list only;
 *   4. map the image with its final protection (module_memory.c);
 *   5. run its init, which registers what it provides (behind the call
 *      guard, kernel/module/module_guard.c: a fault fails the load).
 * An unload hides the module's transforms and policies from lookups
 * first (so no new scheme can name them), then counts the scheme slots
 * still using them (module_use.c): any, and they are registered again and
 * the unload refused; none, and exit runs and the image goes.
 *
 * Locking: module_mutex (a sleeping mutex) protects module_list, every
 * struct module and the module area's slots. It is taken first; under it
 * the registries' and regions' spinlocks.
 */
#include <string.h>
#include "kernel/bootinfo.h"
#include "kernel/lib/printk.h"
#include "kernel/module/module.h"
#include "kernel/module/module_elf.h"
#include "kernel/module/module_export.h"
#include "kernel/module/module_internal.h"
#include "kernel/sched/wait.h"
#include "kernel/user/initramfs.h"
#include "mm/direct_map.h"

struct module {
	char name[MODULE_NAME_MAX];
	struct module_info info;	/* as relocated (init, exit) */
	struct module_memory memory;
	uint64_t segment_bytes[MODULE_SEGMENTS];
	struct module *next;
};

static struct mutex module_mutex = MUTEX_INIT(module_mutex, "module");
static struct module *module_list;	/* load order; module_mutex */

/* Transforms and policies one module may register (module_use_hide). */
#define MODULE_PROVIDES_MAX 16u

void module_boot_init(void)
{
	if (module_guard_init() != MODULE_OK)
		log_warn("module: no memory for the call guard; loads refused");
	else
		log_info("module: %u exported symbols, ABI version %u, modload NAME "
			 "loads " MODULE_DIRECTORY "NAME.o", module_export_count(),
			 MODULE_ABI_VERSION);
}

const char *module_result_name(int result)
{
	switch (result) {
	case MODULE_OK: return "ok";
	case MODULE_NOT_FOUND: return "not found";
	case MODULE_EXISTS: return "already loaded";
	case MODULE_BAD_OBJECT: return "bad object";
	case MODULE_INIT_FAILED: return "init failed";
	case MODULE_IN_USE: return "in use";
	case MODULE_NO_MEMORY: return "no memory";
	case MODULE_BAD_NAME: return "bad name";
	default: return "unknown result";
	}
}

/* A name modload and modunload accept: 1..31 of [a-z0-9_-]. */
static bool module_name_ok(const char *name)
{
	size_t length = strlen(name);

	if (length == 0 || length >= MODULE_NAME_MAX)
		return false;
	for (size_t i = 0; i < length; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* The loaded module of that name; module_mutex held. */
static struct module **module_find_link(const char *name)
{
	struct module **link;

	for (link = &module_list; *link; link = &(*link)->next)
		if (strcmp((*link)->name, name) == 0)
			return link;
	return link;
}

static uint64_t module_resolve(void *context, const char *name)
{
	(void)context;
	return module_export_lookup(name);
}

/* Says why the ELF object was refused, with what it was about. */
static void module_elf_message(const struct module_elf *elf, int result,
			       const char *name, char *message, size_t size)
{
	switch (result) {
	case MODULE_ELF_UNRESOLVED:
		ksnprintf(message, size, "%s: unresolved symbol %s (not exported "
			  "by the kernel)", name, elf->detail_name);
		break;
	case MODULE_ELF_WRONG_VERSION:
		ksnprintf(message, size, "%s: built for module ABI version %llu, "
			  "the kernel's is %u", name,
			  (unsigned long long)elf->detail_value, MODULE_ABI_VERSION);
		break;
	case MODULE_ELF_UNKNOWN_RELOCATION:
	case MODULE_ELF_RELOCATION_OVERFLOW:
	case MODULE_ELF_WRONG_MACHINE:
		ksnprintf(message, size, "%s: %s (%llu)", name,
			  module_elf_result_name(result),
			  (unsigned long long)elf->detail_value);
		break;
	default:
		ksnprintf(message, size, "%s: %s", name, module_elf_result_name(result));
	}
}

/* Whether a function pointer of the image points into its text. */
static bool module_in_text(const struct module *module, const void *function)
{
	return (uintptr_t)function - module->memory.base <
	       module->segment_bytes[MODULE_SEGMENT_TEXT];
}

/* Steps 1 to 4 of a load into module (its memory reserved on success). */
static int module_place(struct module *module, struct module_elf *elf,
			const void *bytes, size_t size, char *message,
			size_t message_size)
{
	void *image;
	int result = module_elf_parse(elf, bytes, size);

	if (result == MODULE_ELF_OK)
		result = module_elf_layout(elf, MODULE_ABI_VERSION);
	if (result != MODULE_ELF_OK) {
		module_elf_message(elf, result, module->name, message, message_size);
		return MODULE_BAD_OBJECT;
	}
	if (module_memory_reserve(&module->memory) != MODULE_OK) {
		ksnprintf(message, message_size, "%s: every module slot is taken",
			  module->name);
		return MODULE_NO_MEMORY;
	}
	image = module_alloc(elf->image_size);
	result = image ? module_elf_relocate(elf, image, module->memory.base,
					     module_resolve, NULL) : MODULE_ELF_OK;
	if (!image || result != MODULE_ELF_OK) {
		if (image)
			module_elf_message(elf, result, module->name, message,
					   message_size);
		else
			ksnprintf(message, message_size, "%s: no memory for a "
				  "%llu-byte image", module->name,
				  (unsigned long long)elf->image_size);
		module_free(image);
		module_memory_release(&module->memory);
		return image ? MODULE_BAD_OBJECT : MODULE_NO_MEMORY;
	}
	memcpy(&module->info, (uint8_t *)image +
	       elf->sections[elf->info_section].image_offset, sizeof(module->info));
	memcpy(module->segment_bytes, elf->segment_size, sizeof(module->segment_bytes));
	module->info.name[MODULE_NAME_MAX - 1] = '\0';
	if (!module_in_text(module, module->info.init) ||
	    (module->info.exit && !module_in_text(module, module->info.exit))) {
		ksnprintf(message, message_size, "%s: init or exit outside the "
			  "module's text", module->name);
		result = MODULE_BAD_OBJECT;
	} else if (module_memory_map(&module->memory, image, elf->image_size,
				     module->segment_bytes) != MODULE_OK) {
		ksnprintf(message, message_size, "%s: no memory to map the image",
			  module->name);
		result = MODULE_NO_MEMORY;
	}
	module_free(image);
	if (result != MODULE_OK)
		module_memory_release(&module->memory);
	return result;
}

/* Calls a module's init (arg) or exit through the guard. */
static int module_call_init(void *arg)
{
	int (*init)(void) = (int (*)(void))arg;

	return init();
}

static int module_call_exit(void *arg)
{
	void (*exit)(void) = (void (*)(void))arg;

	exit();
	return 0;
}

/* Unregisters whatever of the module is still registered (an init that
 * failed, or an exit that forgot something), saying so. */
static void module_unregister_leftovers(struct module *module, const char *when)
{
	void *hidden[MODULE_PROVIDES_MAX];
	uint8_t provided[MODULE_PROVIDES_MAX];
	unsigned count = module_use_hide(module->memory.base, module->memory.bytes,
					 hidden, provided, MODULE_PROVIDES_MAX);

	if (count)
		log_warn("module %s: %u registrations left after %s, removed",
			 module->name, count, when);
}

int module_load(const char *name, const void *bytes, size_t size,
		char *message, size_t message_size)
{
	struct module *module;
	struct module_elf *elf;
	int result;

	message[0] = '\0';
	if (!module_name_ok(name)) {
		ksnprintf(message, message_size, "bad module name");
		return MODULE_BAD_NAME;
	}
	module = module_alloc(sizeof(*module));
	elf = module_alloc(sizeof(*elf));
	if (!module || !elf) {
		module_free(module);
		module_free(elf);
		ksnprintf(message, message_size, "%s: no memory", name);
		return MODULE_NO_MEMORY;
	}
	memset(module, 0, sizeof(*module));
	strlcpy(module->name, name, sizeof(module->name));
	mutex_lock(&module_mutex);
	if (module_guard_init() != MODULE_OK) {
		ksnprintf(message, message_size, "%s: no memory for the call guard",
			  name);
		result = MODULE_NO_MEMORY;
	} else if (*module_find_link(name)) {
		ksnprintf(message, message_size, "%s: already loaded", name);
		result = MODULE_EXISTS;
	} else {
		result = module_place(module, elf, bytes, size, message,
				      message_size);
	}
	module_free(elf);
	if (result == MODULE_OK) {
		int status = 0;
		bool returned = module_guard_run(name, "init", module_call_init,
						 (void *)module->info.init, &status);
		if (!returned || status != 0) {
			module_unregister_leftovers(module, "a failed init");
			module_memory_release(&module->memory);
			if (returned)
				ksnprintf(message, message_size, "%s: init failed "
					  "(%d)", name, status);
			else
				ksnprintf(message, message_size, "%s: init faulted "
					  "(see the log)", name);
			result = MODULE_INIT_FAILED;
		}
	}
	if (result == MODULE_OK) {
		*module_find_link(name) = module;
		ksnprintf(message, message_size, "%s (%s): loaded at 0x%llx, %llu "
			  "KiB text, %llu KiB rodata, %llu KiB data", name,
			  module->info.name, (unsigned long long)module->memory.base,
			  (unsigned long long)module->segment_bytes[0] >> 10,
			  (unsigned long long)module->segment_bytes[1] >> 10,
			  (unsigned long long)module->segment_bytes[2] >> 10);
	}
	mutex_unlock(&module_mutex);
	if (result != MODULE_OK)
		module_free(module);
	return result;
}

/* The bytes of NAME.o: in the initramfs's module directory, else a
 * multiboot2 module of that name. */
static bool module_find_file(const char *name, const void **bytes, size_t *size)
{
	char path[sizeof(MODULE_DIRECTORY) + MODULE_NAME_MAX + 2];
	struct cpio_entry entry;

	ksnprintf(path, sizeof(path), MODULE_DIRECTORY "%s.o", name);
	if (initramfs_find(path, &entry) == CPIO_OK) {
		*bytes = entry.data;
		*size = entry.size;
		return true;
	}
	ksnprintf(path, sizeof(path), "%s.o", name);
	for (unsigned i = 0; i < boot_info.module_count; i++) {
		const struct boot_module *m = &boot_info.modules[i];
		if (strcmp(m->name, path) == 0) {
			*bytes = phys_to_virt(m->start);
			*size = m->end - m->start;
			return true;
		}
	}
	return false;
}

int module_load_file(const char *name, char *message, size_t message_size)
{
	const void *bytes;
	size_t size;

	if (!module_name_ok(name)) {
		ksnprintf(message, message_size, "bad module name");
		return MODULE_BAD_NAME;
	}
	if (!module_find_file(name, &bytes, &size)) {
		ksnprintf(message, message_size, "%s: no " MODULE_DIRECTORY
			  "%s.o in the initramfs, nor a boot module %s.o",
			  name, name, name);
		return MODULE_NOT_FOUND;
	}
	return module_load(name, bytes, size, message, message_size);
}

int module_unload(const char *name, char *message, size_t message_size)
{
	void *hidden[MODULE_PROVIDES_MAX];
	uint8_t provided[MODULE_PROVIDES_MAX];
	char users[96];
	struct module **link, *module;
	int result = MODULE_OK;

	mutex_lock(&module_mutex);
	link = module_find_link(name);
	module = *link;
	if (!module) {
		ksnprintf(message, message_size, "%s: not loaded", name);
		result = MODULE_NOT_FOUND;
	} else {
		unsigned count = module_use_hide(module->memory.base,
						 module->memory.bytes, hidden,
						 provided, MODULE_PROVIDES_MAX);
		unsigned use = module_use_count(module->memory.base,
						module->memory.bytes, users,
						sizeof(users));
		if (use) {
			module_use_restore(hidden, provided, count);
			ksnprintf(message, message_size, "%s: in use by %u scheme "
				  "slot%s: %s", name, use, use == 1 ? "" : "s", users);
			result = MODULE_IN_USE;
		} else {
			int ignored;
			if (module->info.exit)
				module_guard_run(name, "exit", module_call_exit,
						 (void *)module->info.exit, &ignored);
			module_unregister_leftovers(module, "exit");
			*link = module->next;
			module_memory_release(&module->memory);
			ksnprintf(message, message_size, "%s: unloaded", name);
		}
	}
	mutex_unlock(&module_mutex);
	if (result == MODULE_OK)
		module_free(module);
	return result;
}

bool module_loaded(const char *name)
{
	mutex_lock(&module_mutex);
	bool loaded = *module_find_link(name) != NULL;
	mutex_unlock(&module_mutex);
	return loaded;
}

void module_for_each(void (*fn)(const struct module_status *status, void *arg),
		     void *arg)
{
	struct module_status status;

	mutex_lock(&module_mutex);
	for (struct module *m = module_list; m; m = m->next) {
		memset(&status, 0, sizeof(status));
		strlcpy(status.name, m->name, sizeof(status.name));
		strlcpy(status.info_name, m->info.name, sizeof(status.info_name));
		status.base = m->memory.base;
		memcpy(status.segment_bytes, m->segment_bytes,
		       sizeof(status.segment_bytes));
		module_use_provides(m->memory.base, m->memory.bytes,
				    status.provides, sizeof(status.provides));
		status.users = module_use_count(m->memory.base, m->memory.bytes,
						status.user_names,
						sizeof(status.user_names));
		fn(&status, arg);
	}
	mutex_unlock(&module_mutex);
}
