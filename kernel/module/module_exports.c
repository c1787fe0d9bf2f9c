/*
 * What modules may call or read: the registries they plug into, the
 * string functions the compilers emit calls to, and logging. Adding a
 * line here is an ABI change (raise MODULE_ABI_VERSION when an exported
 * function or structure changes meaning).
 */
#include <string.h>
#include "kernel/lib/printk.h"
#include "kernel/module/module_export.h"
#include "mm/policy.h"
#include "mm/store_kind.h"
#include "transforms/xf.h"

/* The registries (kernel/module/module_abi.h: init registers, exit
 * unregisters). */
MODULE_EXPORT(xf_register);
MODULE_EXPORT(xf_unregister);
MODULE_EXPORT(policy_register);
MODULE_EXPORT(policy_unregister);
MODULE_EXPORT(store_kind_register);
MODULE_EXPORT(store_kind_unregister);
/* What gcc and clang call for copies and clears they do not inline. */
MODULE_EXPORT(memcpy);
MODULE_EXPORT(memmove);
MODULE_EXPORT(memset);
MODULE_EXPORT(memcmp);
MODULE_EXPORT(strcmp);
MODULE_EXPORT(strlen);
MODULE_EXPORT(printk);

extern const struct module_export module_exports_start[];
extern const struct module_export module_exports_end[];

uint64_t module_export_lookup(const char *name)
{
	for (const struct module_export *e = module_exports_start;
	     e < module_exports_end; e++)
		if (strcmp(e->name, name) == 0)
			return (uint64_t)(uintptr_t)e->address;
	return 0;
}

unsigned module_export_count(void)
{
	return (unsigned)(module_exports_end - module_exports_start);
}
