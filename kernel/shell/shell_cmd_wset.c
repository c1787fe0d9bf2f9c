/*
 * wset REGION: the region's clear set, the pages that may be present in a
 * TLB, printed as ranges of page indices. Membership is copied under the
 * region's lock (a bitmap), then printed without it.
 */
#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"
#include "mm/region.h"
#include "mm/slab.h"

#define SHELL_RANGES_PER_LINE 8

static uint8_t *shell_wset_copy(struct region *region, uint32_t *resident,
				uint32_t *limit)
{
	uint8_t *members = kmalloc(region->pages);

	if (!members)
		return NULL;
	unsigned long flags = spin_lock_irqsave(&region->lock);
	for (uint32_t page = 0; page < region->pages; page++)
		members[page] = clearset_contains(&region->clear, page);
	*resident = region->clear.resident;
	*limit = region->clear.limit;
	spin_unlock_irqrestore(&region->lock, flags);
	return members;
}

static void shell_wset_print_ranges(const uint8_t *members, uint32_t pages)
{
	unsigned printed = 0;

	for (uint32_t page = 0; page < pages;) {
		if (!members[page]) {
			page++;
			continue;
		}
		uint32_t end = page;
		while (end + 1 < pages && members[end + 1])
			end++;
		if (printed % SHELL_RANGES_PER_LINE == 0)
			printk("%s  ", printed ? "\n" : "");
		if (end == page)
			printk(" %u", page);
		else
			printk(" %u-%u", page, end);
		printed++;
		page = end + 1;
	}
	printk("%s\n", printed ? "" : "  (empty)");
}

int shell_cmd_wset(int argc, char **argv)
{
	uint32_t resident, limit;

	if (argc != 2)
		return shell_usage_of("wset");
	struct region *region = shell_find_region(argv[1]);
	if (!region)
		return SHELL_BAD_ARGUMENT;
	uint8_t *members = shell_wset_copy(region, &resident, &limit);
	if (!members) {
		printk("wset: no memory for a copy of the set\n");
		return SHELL_FAILED;
	}
	printk("wset %s: %u of %u pages resident (limit %u), policy %s\n",
	       region->name, resident, region->pages, limit,
	       region->clear.policy->name);
	shell_wset_print_ranges(members, region->pages);
	kfree(members);
	return SHELL_OK;
}
