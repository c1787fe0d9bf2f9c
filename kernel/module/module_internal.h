/*
 * Between the loader's files (kernel/module/): the module area
 * (module_memory.c) and the search for users (module_use.c).
 */
#ifndef VEIL_KERNEL_MODULE_INTERNAL_H
#define VEIL_KERNEL_MODULE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One module's place: a slot of the module area and the pages mapped. */
struct module_memory {
	uintptr_t base;
	size_t bytes;		/* mapped, page-rounded */
	unsigned slot;
};

/* The call guard (module_guard.c): MODULE_OK once installed. */
int module_guard_init(void);
/* Calls fn(arg) from module code's init or exit (what) behind the guard,
 * interrupts off: true with *result when it returned; false, reported,
 * when it took an exception. */
bool module_guard_run(const char *module, const char *what,
		      int (*fn)(void *arg), void *arg, int *result);

/* Blocks of the loader's own (counted in module_memory_counts). */
void *module_alloc(size_t bytes);
void module_free(void *block);

/* Reserves a slot of the module area (module_mutex held): MODULE_OK with
 * memory->base set, or MODULE_NO_MEMORY when every slot is taken. */
int module_memory_reserve(struct module_memory *memory);
/* Copies image (bytes, page-rounded) into new frames and maps them at
 * memory->base with segment_bytes[0] read-execute, [1] read-only and [2]
 * read-write (global, not executable). MODULE_OK, or MODULE_NO_MEMORY
 * with nothing mapped. */
int module_memory_map(struct module_memory *memory, const void *image,
		      size_t bytes, const uint64_t segment_bytes[3]);
/* Unmaps and frees what map mapped (if anything) and the slot. */
void module_memory_release(struct module_memory *memory);

/* Scheme slots (over every region) that seal or hold sealed pages and
 * name a transform or policy inside [base, base + size), or keep their
 * pages in a store whose ops lie there; up to names_size bytes of
 * "region(slot)" names. module_mutex held. */
unsigned module_use_count(uintptr_t base, size_t size, char *names,
			  size_t names_size);
/* What a module can register. */
enum module_provided {
	MODULE_PROVIDES_TRANSFORM,
	MODULE_PROVIDES_POLICY,
	MODULE_PROVIDES_STORE_KIND,
};

/* Unregisters every transform, policy and store kind inside [base, base +
 * size) and lists them (up to max, with their enum module_provided) so
 * module_use_restore can register them again; how many. */
unsigned module_use_hide(uintptr_t base, size_t size, void **hidden,
			 uint8_t *provided, unsigned max);
void module_use_restore(void *const *hidden, const uint8_t *provided,
			unsigned count);
/* "name,name" of the transforms, policies and store kinds inside the
 * range. */
void module_use_provides(uintptr_t base, size_t size, char *names,
			 size_t names_size);

#endif
