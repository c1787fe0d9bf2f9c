/*
 * Key rotation of regions (docs/live-swap.md, "Key rotation"): after the
 * keyring put a new key generation in the key registers
 * (transforms/cipher_keyring.h), each region whose sealing chain has a
 * cipher of an older generation gets its own scheme again, parsed anew,
 * so its cipher steps are instances of the new generation; the region's
 * active migration (mm/region_migrate.h) then moves every page sealed
 * under the old instances to the new ones. Once no chain of any region
 * that holds pages uses the old generation, the keyring wipes it.
 *
 * The region pointers are the caller's: a region must not be destroyed
 * while it is being rekeyed (the shell and the tests keep theirs).
 */
#ifndef VEIL_MM_REGION_REKEY_H
#define VEIL_MM_REGION_REKEY_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/region.h"

/* Whether a chain of the region that seals, or still holds sealed pages,
 * has a cipher step of key generation `generation`; *pages (may be NULL)
 * gets the pages sealed under such chains. Under the region's lock. */
bool region_uses_key_generation(struct region *region, unsigned generation,
				uint32_t *pages);
/*
 * Moves the region to the newest key generation: when its sealing chain
 * has a cipher of an older one, its scheme is set again from its own text
 * (region_set_scheme: new instances seal, the migration moves the pages);
 * a change refused because every slot still holds pages is retried after
 * the running migration ended. Thread context, no lock held. REGION_OK
 * (also when there was nothing to do) or region_set_scheme's refusal.
 */
int region_rekey(struct region *region);

/* What a system-wide rotation did. */
struct region_rekey_report {
	int keyring;		/* cipher_keyring_rotate's result (0: rotated) */
	unsigned old_generation, generation;
	unsigned regions;	/* regions looked at */
	unsigned rekeyed;	/* whose scheme was set again */
	unsigned failed;	/* whose rekey was refused */
	unsigned still_using;	/* regions still using the old generation */
	uint32_t pages_left;	/* their pages under it */
	bool retired;		/* the old generation is wiped */
};

/*
 * A key rotation of the whole system: a new key generation (unless the
 * previous rotation's old generation is still held: then this finishes
 * that one), every region rekeyed, and with wait, each region's migration
 * waited for; the old generation is retired when no region uses it any
 * more. Thread context, no lock held; regions must not be destroyed
 * meanwhile. Returns the report's keyring result (0 when rotated or
 * finishing).
 */
int region_rekey_all(bool wait, struct region_rekey_report *report);

#endif
