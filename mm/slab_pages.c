/*
 * The slab's page provider in the kernel: blocks of pmm_kernel reached
 * through the direct map. The owning slab is recorded in the frames'
 * descriptors (pmm_set_owner); values below MM_OWNER_KINDS are other
 * holders' kinds, so owner_of gives NULL for them, for frames nobody tagged
 * and for any address outside the direct map (a stack or image pointer
 * passed to kfree is recognised as foreign without being followed).
 */
#include <stdbool.h>
#include <stdint.h>
#include "kernel/cmdline.h"
#include "kernel/lib/printk.h"
#include "mm/direct_map.h"
#include "mm/mm.h"
#include "mm/pmm.h"
#include "mm/slab.h"

/* Set by the command line before mm_init; read once by slab_pages_init. */
static bool slab_pages_debug;

static bool slab_pages_set_debug(const char *value)
{
	return cmdline_parse_bool(value, &slab_pages_debug);
}

CMDLINE_OPTION(slab_debug, "slab_debug",
	       "[on|off] (bare: on): slab debug mode from boot: red zones, poison, double-free "
	       "and overflow checks (slower)",
	       slab_pages_set_debug);

static void *slab_pages_alloc(void *context, unsigned order)
{
	(void)context;
	uint64_t phys = pmm_alloc(&pmm_kernel, order);
	return phys == PMM_NO_FRAME ? NULL : phys_to_virt(phys);
}

static void slab_pages_free(void *context, void *address, unsigned order)
{
	(void)context;
	pmm_free(&pmm_kernel, virt_to_phys(address), order);
}

static void slab_pages_set_owner(void *context, void *address, unsigned order,
				 void *owner)
{
	(void)context;
	pmm_set_owner(&pmm_kernel, virt_to_phys(address), order,
		      (uintptr_t)owner);
}

static void *slab_pages_owner_of(void *context, const void *address)
{
	(void)context;
	if (!direct_map_contains(address))
		return NULL;
	uintptr_t owner = pmm_owner(&pmm_kernel, virt_to_phys(address));
	return owner < MM_OWNER_KINDS ? NULL : (void *)owner;
}

void slab_pages_init(void)
{
	static const struct slab_page_provider provider = {
		.alloc_pages = slab_pages_alloc,
		.free_pages = slab_pages_free,
		.set_owner = slab_pages_set_owner,
		.owner_of = slab_pages_owner_of,
		.context = NULL,
	};

	slab_init(&provider);
	if (slab_pages_debug) {
		slab_debug_enable(true);
		log_info("slab: debug mode on (slab_debug)");
	}
}
