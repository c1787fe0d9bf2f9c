/*
 * Loadable modules (docs/live-swap.md, "Modules"): transforms and
 * replacement policies built as relocatable ELF objects, loaded while the
 * kernel runs. module_load checks the object (kernel/module/module_elf.h),
 * places it in the module area (within 2 GiB of the kernel's text, text
 * read-execute, read-only data read-only, data read-write, never writable
 * and executable at once), links it against the exported symbols
 * (kernel/module/module_export.h) and runs its init, which registers what
 * it provides. module_unload refuses while a region uses the module: a
 * scheme slot that seals (the current one) or still holds sealed pages
 * names one of its transforms or its policy; once a scheme change's
 * migration has moved those pages away, the slot is free and the module
 * can go. A refused load leaves nothing allocated.
 *
 * Locking: module_mutex (a sleeping mutex, kernel/module/module.c) protects
 * the list of modules and the module area's slots; loads, unloads and
 * listings take it. Under it, module_use takes the region registry's lock
 * then each region's lock (their order, mm/region.c).
 */
#ifndef VEIL_KERNEL_MODULE_H
#define VEIL_KERNEL_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/module/module_abi.h"

enum module_result {
	MODULE_OK = 0,
	MODULE_NOT_FOUND = -1,		/* no such file, or not loaded */
	MODULE_EXISTS = -2,		/* a module of that name is loaded */
	MODULE_BAD_OBJECT = -3,		/* refused by the ELF checks or the linker */
	MODULE_INIT_FAILED = -4,	/* its init returned an error */
	MODULE_IN_USE = -5,		/* a region's scheme uses it */
	MODULE_NO_MEMORY = -6,		/* no memory, or no free module slot */
	MODULE_BAD_NAME = -7,		/* empty, too long, or not [a-z0-9_-] */
};

/* Where modload looks for NAME: NAME.o in this initramfs directory. */
#define MODULE_DIRECTORY "/lib/modules/"

/* What `modules` shows of one loaded module. */
struct module_status {
	char name[MODULE_NAME_MAX];		/* what it was loaded as */
	char info_name[MODULE_NAME_MAX];	/* what its module_info says */
	uint64_t base;				/* the image's address */
	uint64_t segment_bytes[3];		/* text, rodata, data (pages) */
	char provides[96];			/* its transforms and policies */
	unsigned users;				/* scheme slots naming it */
	char user_names[96];			/* "region(slot),..." */
};

/* Sets up what module calls need on every CPU (the call guard,
 * kernel/module/module_guard.c): at boot, once the CPUs are up. */
void module_boot_init(void);

/*
 * Loads a module from size bytes at bytes as name. MODULE_OK, or why not
 * with nothing of it left allocated. message (size bytes) gets one line
 * saying what happened ("unresolved symbol frame_alloc"...). Thread
 * context, no lock held.
 */
int module_load(const char *name, const void *bytes, size_t size,
		char *message, size_t message_size);
/* module_load of MODULE_DIRECTORY NAME.o from the initramfs, or of the
 * multiboot2 module named NAME.o when the initramfs has none. */
int module_load_file(const char *name, char *message, size_t message_size);
/* Runs the module's exit and frees it: MODULE_IN_USE (message names the
 * users) while a region uses it, MODULE_NOT_FOUND when it is not loaded. */
int module_unload(const char *name, char *message, size_t message_size);
/* Whether a module of that name is loaded. */
bool module_loaded(const char *name);
/* Calls fn with a snapshot of each loaded module, in load order. */
void module_for_each(void (*fn)(const struct module_status *status, void *arg),
		     void *arg);
const char *module_result_name(int result);

/* What loaded modules hold now (tests check a refusal leaves nothing):
 * frames of images, blocks the loader allocated, module area slots. */
struct module_memory_counts {
	uint64_t frames;
	uint64_t blocks;
	uint64_t slots;
};
void module_memory_get_counts(struct module_memory_counts *counts);
/* Exceptions the call guard caught in module code since boot. */
uint64_t module_guard_fault_count(void);

#endif
