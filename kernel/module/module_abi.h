/*
 * What a loadable module and the kernel agree on (docs/live-swap.md,
 * "Modules"). A module is a relocatable ELF object (ET_REL, x86-64) built
 * with the kernel's own freestanding flags. It carries one struct
 * module_info in its section ".veil_module" (MODULE_DEFINE): the ABI
 * version it was built for, its name, and its init and exit functions.
 * The loader refuses a module whose version is not MODULE_ABI_VERSION.
 *
 * init runs once the module is relocated and mapped; it registers what the
 * module provides (xf_register, policy_register) and returns 0, or a
 * negative number to refuse the load (it must then have registered
 * nothing). exit runs at modunload, once no region uses the module; it
 * unregisters what init registered. Only symbols the kernel exports
 * (kernel/module/module_exports.c) resolve.
 */
#ifndef VEIL_KERNEL_MODULE_ABI_H
#define VEIL_KERNEL_MODULE_ABI_H

#include <stdint.h>

/* Raised whenever an exported function or a structure a module sees
 * (struct xf_ops, struct policy_ops, struct module_info...) changes. */
#define MODULE_ABI_VERSION 1u
/* "VMOD", little-endian: the first word of a struct module_info. */
#define MODULE_INFO_MAGIC 0x444f4d56u
#define MODULE_NAME_MAX 32
/* The section holding a module's struct module_info. */
#define MODULE_INFO_SECTION ".veil_module"

struct module_info {
	uint32_t magic;			/* MODULE_INFO_MAGIC */
	uint32_t abi_version;		/* MODULE_ABI_VERSION it was built for */
	char name[MODULE_NAME_MAX];	/* NUL-terminated */
	int (*init)(void);
	void (*exit)(void);
};

#ifndef MODULE_BUILD_ABI_VERSION
#define MODULE_BUILD_ABI_VERSION MODULE_ABI_VERSION
#endif

/* Declares the module: MODULE_DEFINE("xf_example", init_fn, exit_fn). */
#define MODULE_DEFINE(module_name, init_fn, exit_fn)                          \
	__attribute__((section(MODULE_INFO_SECTION), used, aligned(8)))        \
	const struct module_info veil_module_info = {                          \
		.magic = MODULE_INFO_MAGIC,                                    \
		.abi_version = MODULE_BUILD_ABI_VERSION,                       \
		.name = module_name,                                           \
		.init = init_fn,                                               \
		.exit = exit_fn,                                               \
	}

#endif
