/*
 * The kernel's exported symbol table for modules: an explicit list. Only
 * what a MODULE_EXPORT line names (kernel/module/module_exports.c) is
 * linked into a module; anything else a module names is an unresolved
 * symbol and the module is refused. Each line puts a {name, address} pair
 * into the section .module_exports, which linker.ld gathers between
 * module_exports_start and module_exports_end.
 */
#ifndef VEIL_KERNEL_MODULE_EXPORT_H
#define VEIL_KERNEL_MODULE_EXPORT_H

#include <stdint.h>

struct module_export {
	const char *name;
	const void *address;
};

#define MODULE_EXPORT(symbol)                                                  \
	__attribute__((section(".module_exports"), used, aligned(8)))          \
	static const struct module_export module_export_##symbol = {           \
		#symbol, (const void *)&symbol }

/* The exported address of name, 0 when the kernel does not export it. */
uint64_t module_export_lookup(const char *name);
/* How many symbols are exported. */
unsigned module_export_count(void);

#endif
