/*
 * Key rotation of regions (mm/region_rekey.h): which chains use a key
 * generation, moving a region to the newest one, and the system-wide
 * rotation that ends with the old generation wiped.
 *
 * Locks: a region's own lock (region->lock, as region_chains) to read its
 * chains, also from region_for_each (the registry's lock first); the keyring's
 * own locks inside cipher_keyring_*; region_set_scheme and the migration
 * take theirs. Nothing here is called with a lock held.
 */
#include <stddef.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/smp.h"
#include "kernel/lib/spinlock.h"
#include "mm/region_migrate.h"
#include "mm/region_rekey.h"
#include "mm/slab.h"
#include "transforms/cipher_keyring.h"
#include "transforms/xf_cipher.h"

/* Whether a chain has a cipher step of generation; with older set, of any
 * generation other than it (the newest). */
static bool region_chain_has_generation(const struct scheme *scheme,
					unsigned generation, bool older)
{
	for (unsigned i = 0; i < scheme->length; i++) {
		unsigned step;

		if (xf_cipher_generation(scheme->chain[i], &step) &&
		    (older ? step != generation : step == generation))
			return true;
	}
	return false;
}

bool region_uses_key_generation(struct region *region, unsigned generation,
				uint32_t *pages)
{
	/* The region's own lock (as region_chains): its chains and counts;
	 * callable from region_for_each. */
	unsigned long flags = spin_lock_irqsave(&region->lock);
	bool used = false;
	uint32_t count = 0;

	for (unsigned slot = 0; slot < REGION_SCHEMES_MAX; slot++) {
		if (slot != region->current_scheme && region->scheme_pages[slot] == 0)
			continue;	/* a free slot: its chain is never run */
		if (!region_chain_has_generation(&region->schemes[slot],
						 generation, false))
			continue;
		used = true;
		count += region->scheme_pages[slot];
	}
	spin_unlock_irqrestore(&region->lock, flags);
	if (pages)
		*pages = count;
	return used;
}

/* Whether the sealing chain has a cipher of a generation older than the
 * newest. */
static bool region_needs_rekey(struct region *region, unsigned newest)
{
	unsigned long flags = spin_lock_irqsave(&region->lock);
	bool needs = region_chain_has_generation(
		&region->schemes[region->current_scheme], newest, true);

	spin_unlock_irqrestore(&region->lock, flags);
	return needs;
}

/* Tries of a change refused for want of a free slot. */
#define REGION_REKEY_TRIES 8

int region_rekey(struct region *region)
{
	char text[96];
	int result = REGION_OK;

	for (unsigned tries = 0; tries < REGION_REKEY_TRIES; tries++) {
		if (!region_needs_rekey(region, cipher_keyring_generation()))
			return REGION_OK;
		/* The text names transforms, which now resolve to the newest
		 * generation's instances (xf_cipher_rekey). */
		region_scheme_name(region, text, sizeof(text));
		result = region_set_scheme(region, text);
		if (result != REGION_NO_SPACE)
			return result;
		/* Four slots hold pages: let the running walk drain them. */
		region_migrate_start(region);
		region_migrate_wait(region);
	}
	return result;
}

struct region_rekey_list {
	struct region **regions;
	unsigned count, capacity;
};

struct region_rekey_count {
	unsigned old;
	struct region_rekey_report *report;
};

static void region_rekey_count_one(struct region *region, void *argument)
{
	struct region_rekey_count *count = argument;
	uint32_t pages;

	if (region_uses_key_generation(region, count->old, &pages)) {
		count->report->still_using++;
		count->report->pages_left += pages;
	}
}

/* The regions that still use old, and their pages under it: every region
 * registered now, not only those of the list (one made while the
 * rotation ran may hold a chain parsed just before it). */
static void region_rekey_count(unsigned old, struct region_rekey_report *report)
{
	struct region_rekey_count count = { old, report };

	report->still_using = 0;
	report->pages_left = 0;
	region_for_each(region_rekey_count_one, &count);
}

/* On each CPU in turn (an IPI, interrupts off: the buffers' users run
 * with interrupts off, so none is mid-use): its chain and bounce buffers,
 * which may hold the last copy sealed under the old key that the CPU
 * produced or read. */
static void region_rekey_wipe_here(void *argument)
{
	(void)argument;
	scheme_cpu_wipe();
	region_cpu_wipe();
}

static void region_rekey_wipe_cpus(void)
{
	for (unsigned cpu = 0; cpu < cpu_count(); cpu++)
		smp_call_on(cpu, region_rekey_wipe_here, NULL);
}

int region_rekey_all(bool wait, struct region_rekey_report *report)
{
	struct region_rekey_list list = { .capacity = 512 };
	unsigned old;

	*report = (struct region_rekey_report){ 0 };
	list.regions = kmalloc(list.capacity * sizeof(*list.regions));
	if (!list.regions)
		return report->keyring = CIPHER_KEYRING_NO_THREAD;
	if (cipher_keyring_held(&old)) {	/* finish the previous one */
		report->generation = cipher_keyring_generation();
	} else {
		old = cipher_keyring_generation();
		report->keyring = cipher_keyring_rotate(&report->generation);
	}
	report->old_generation = old;
	if (report->keyring == CIPHER_KEYRING_OK) {
		/* held: a process may destroy one meanwhile */
		list.count = region_hold_all(list.regions, list.capacity);
		report->regions = list.count;
		for (unsigned i = 0; i < list.count; i++) {
			bool needed = region_needs_rekey(list.regions[i],
							 report->generation);
			int result = region_rekey(list.regions[i]);

			report->rekeyed += needed && result == REGION_OK;
			report->failed += result != REGION_OK;
		}
		for (unsigned i = 0; wait && i < list.count; i++) {
			region_migrate_start(list.regions[i]);	/* if stopped */
			region_migrate_wait(list.regions[i]);
		}
		region_release_held(list.regions, list.count);
		region_rekey_count(old, report);
		if (report->still_using == 0) {
			region_rekey_wipe_cpus();
			cipher_keyring_retire(old);
			report->retired = true;
		}
	}
	kfree(list.regions);
	return report->keyring;
}
