/*
 * mm_init: memory management brought up in dependency order. Frames first
 * (everything else allocates them), then the kernel address space (it only
 * adopts the boot tables, but its page-table pages come from frames), then
 * the slab (kmalloc; vmm_space_create needs it), then kernel stacks.
 */
#include <stdbool.h>
#include "kernel/cmdline.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "mm/kstack.h"
#include "mm/mm.h"
#include "mm/slab.h"

/* Set by the command line before mm_init. */
static bool mm_dump_at_boot;

static bool mm_set_meminfo(const char *value)
{
	return cmdline_parse_bool(value, &mm_dump_at_boot);
}

CMDLINE_OPTION(meminfo, "meminfo",
	       "[on|off] (bare: on): print the frame allocator's and the "
	       "slab's figures at boot",
	       mm_set_meminfo);

void mm_init(const struct boot_info *info)
{
	pmm_boot_init(info);
	vmm_init();
	slab_pages_init();
	kstack_init();
	kstack_fault_owner_init();
	if (!mm_cpu_prepare(0))
		panic("mm: no memory for the boot CPU's buffers");
	if (mm_dump_at_boot)
		mm_dump();
}

void mm_dump(void)
{
	pmm_boot_dump();
	slab_dump();
}
