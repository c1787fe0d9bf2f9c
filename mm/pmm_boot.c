/*
 * The kernel's frame allocator, built from the boot memory map: every
 * usable range (RAM above 4 GiB and ranges after holes included) is added,
 * minus what must never be handed out: the first MiB (firmware data, the
 * BIOS, real-mode leftovers), the kernel image (its .bss holds the boot page
 * tables and boot_info), the multiboot2 information and the boot modules
 * (their bytes are still read), and the descriptor array itself, which is
 * carved from the first usable piece large enough and reached through the
 * direct map. Non-usable types (reserved, ACPI, bad) are never added.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/arch.h"
#include "kernel/bootinfo.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "mm/direct_map.h"
#include "mm/mm.h"
#include "mm/pmm.h"

#define PMM_BOOT_LOW_RESERVED	(1ull << 20)
#define PMM_BOOT_4G		(4ull << 30)
#define PMM_BOOT_RESERVED_MAX	(BOOT_MODULES_MAX + 4)

struct pmm_boot_range {
	uint64_t start, end;
	const char *what;
};

struct pmm pmm_kernel;

/* Written once by pmm_boot_init (CPU 0, before anything else runs), read
 * by the dump afterwards. */
static struct pmm_boot_range pmm_boot_reserved[PMM_BOOT_RESERVED_MAX];
static unsigned pmm_boot_reserved_count;
static uint64_t pmm_boot_high;

static uint64_t pmm_boot_min(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t pmm_boot_max(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* Keeps the reserved list sorted by start (insertion: it is short). */
static void pmm_boot_reserve(uint64_t start, uint64_t end, const char *what)
{
	if (end <= start)
		return;
	if (pmm_boot_reserved_count == PMM_BOOT_RESERVED_MAX)
		panic("pmm: more than %u reserved ranges", PMM_BOOT_RESERVED_MAX);
	unsigned i = pmm_boot_reserved_count++;
	while (i > 0 && pmm_boot_reserved[i - 1].start > start) {
		pmm_boot_reserved[i] = pmm_boot_reserved[i - 1];
		i--;
	}
	pmm_boot_reserved[i] = (struct pmm_boot_range){ start, end, what };
}

/* Calls fn on each part of [start, end) that no reserved range covers. */
static void pmm_boot_pieces(uint64_t start, uint64_t end,
			    void (*fn)(uint64_t start, uint64_t end, void *context),
			    void *context)
{
	uint64_t cursor = start;

	for (unsigned i = 0; i < pmm_boot_reserved_count && cursor < end; i++) {
		const struct pmm_boot_range *r = &pmm_boot_reserved[i];
		if (r->end <= cursor)
			continue;
		if (r->start >= end)
			break;
		if (r->start > cursor)
			fn(cursor, r->start, context);
		cursor = pmm_boot_max(cursor, r->end);
	}
	if (cursor < end)
		fn(cursor, end, context);
}

static void pmm_boot_for_each_usable(const struct boot_info *info,
				     void (*fn)(uint64_t, uint64_t, void *),
				     void *context)
{
	for (unsigned i = 0; i < info->memory_range_count; i++) {
		const struct boot_memory_range *r = &info->memory[i];
		if (r->type != BOOT_MEMORY_USABLE || r->length == 0)
			continue;
		uint64_t end = r->base + r->length;
		if (end < r->base)	/* a wrapping entry: keep what fits */
			end = UINT64_MAX & ~(PMM_FRAME_SIZE - 1);
		pmm_boot_pieces(r->base, end, fn, context);
	}
}

struct pmm_boot_search {
	uint64_t need, found;
};

static void pmm_boot_fit(uint64_t start, uint64_t end, void *context)
{
	struct pmm_boot_search *search = context;
	uint64_t aligned = (start + PMM_FRAME_SIZE - 1) & ~(PMM_FRAME_SIZE - 1);

	if (search->found == PMM_NO_FRAME && aligned < end &&
	    end - aligned >= search->need)
		search->found = aligned;
}

static void pmm_boot_add(uint64_t start, uint64_t end, void *context)
{
	(void)context;
	int result = pmm_add_free_range(&pmm_kernel, start, end);
	if (result != PMM_OK)
		log_warn("pmm: usable range 0x%llx-0x%llx not added: %s "
			 "(the memory map repeats it)",
			 (unsigned long long)start, (unsigned long long)end,
			 pmm_result_name(result));
	if (end > PMM_BOOT_4G) {
		uint64_t high = pmm_boot_max(start, PMM_BOOT_4G);
		pmm_boot_high += (end >> PMM_FRAME_SHIFT) -
				 ((high + PMM_FRAME_SIZE - 1) >> PMM_FRAME_SHIFT);
	}
}

/* The span [min, max) of frames the allocator describes. */
static void pmm_boot_span(const struct boot_info *info, uint64_t *min_pfn,
			  uint64_t *max_pfn)
{
	uint64_t low = UINT64_MAX, high = 0;

	for (unsigned i = 0; i < info->memory_range_count; i++) {
		const struct boot_memory_range *r = &info->memory[i];
		uint64_t end = r->base + r->length;
		if (r->type != BOOT_MEMORY_USABLE || end <= PMM_BOOT_LOW_RESERVED ||
		    end < r->base)
			continue;
		low = pmm_boot_min(low, pmm_boot_max(r->base, PMM_BOOT_LOW_RESERVED));
		high = pmm_boot_max(high, end);
	}
	if (high == 0)
		panic("pmm: the memory map has no usable RAM above 1 MiB");
	*min_pfn = low >> PMM_FRAME_SHIFT;
	*max_pfn = high >> PMM_FRAME_SHIFT;
	if (*max_pfn - *min_pfn > PMM_MAX_SPAN_FRAMES) {
		log_warn("pmm: RAM above 0x%llx not managed (span limit)",
			 (unsigned long long)((*min_pfn + PMM_MAX_SPAN_FRAMES)
					      << PMM_FRAME_SHIFT));
		*max_pfn = *min_pfn + PMM_MAX_SPAN_FRAMES;
	}
}

static void pmm_boot_reserve_known(const struct boot_info *info)
{
	pmm_boot_reserve(0, PMM_BOOT_LOW_RESERVED, "first MiB");
	pmm_boot_reserve(arch_kernel_physical_start(), arch_kernel_physical_end(),
			 "kernel image");
	pmm_boot_reserve(info->info_physical,
			 info->info_physical + info->info_size, "multiboot2 info");
	for (unsigned i = 0; i < info->module_count; i++)
		pmm_boot_reserve(info->modules[i].start, info->modules[i].end,
				 "boot module");
}

void pmm_boot_init(const struct boot_info *info)
{
	uint64_t min_pfn, max_pfn;

	pmm_boot_span(info, &min_pfn, &max_pfn);
	pmm_boot_reserve_known(info);
	size_t bytes = pmm_descriptor_bytes(min_pfn, max_pfn);
	struct pmm_boot_search search = { bytes, PMM_NO_FRAME };
	pmm_boot_for_each_usable(info, pmm_boot_fit, &search);
	if (search.found == PMM_NO_FRAME)
		panic("pmm: no usable range holds the %llu KiB of frame descriptors",
		      (unsigned long long)(bytes >> 10));
	pmm_boot_reserve(search.found, search.found + bytes, "frame descriptors");
	if (pmm_init(&pmm_kernel, min_pfn, max_pfn, phys_to_virt(search.found),
		     bytes) != PMM_OK)
		panic("pmm: cannot set up frames 0x%llx-0x%llx",
		      (unsigned long long)(min_pfn << PMM_FRAME_SHIFT),
		      (unsigned long long)(max_pfn << PMM_FRAME_SHIFT));
	pmm_boot_for_each_usable(info, pmm_boot_add, NULL);

	struct pmm_stats stats;
	pmm_get_stats(&pmm_kernel, &stats);
	log_info("pmm: %llu MiB free in frames 0x%llx-0x%llx (%llu MiB above "
		 "4 GiB), %llu KiB of descriptors at 0x%llx",
		 (unsigned long long)(stats.free_frames >> 8),
		 (unsigned long long)(min_pfn << PMM_FRAME_SHIFT),
		 (unsigned long long)(max_pfn << PMM_FRAME_SHIFT),
		 (unsigned long long)(pmm_boot_high >> 8),
		 (unsigned long long)(bytes >> 10),
		 (unsigned long long)search.found);
}

uint64_t pmm_boot_high_frames(void)
{
	return pmm_boot_high;
}

void pmm_boot_dump(void)
{
	pmm_dump(&pmm_kernel);
	printk("pmm: never handed out:\n");
	for (unsigned i = 0; i < pmm_boot_reserved_count; i++) {
		const struct pmm_boot_range *r = &pmm_boot_reserved[i];
		printk("  [0x%016llx-0x%016llx) %8llu KiB %s\n",
		       (unsigned long long)r->start, (unsigned long long)r->end,
		       (unsigned long long)((r->end - r->start + 1023) >> 10),
		       r->what);
	}
}
