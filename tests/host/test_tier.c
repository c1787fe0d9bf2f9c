/*
 * Host tests of tiers (mm/region_tier.c, the "FAST>DENSE" syntax of
 * mm/scheme.c, the RECOMPRESS transition): schemes parse and print back,
 * refusals, cold pages move to the dense tier by age and read back from
 * either tier, incompressible pages stay, scheme changes between tiered
 * schemes, the walk driven by hand (no thread on the host). Regions over
 * the fake address space with the real transforms, ciphers (key in
 * memory) and page store.
 */
#include <stdlib.h>
#include <string.h>
#include "mm/region.h"
#include "mm/region_internal.h"
#include "tests/host/fake_vmm.h"
#include "tests/host/htest.h"
#include "transforms/xf.h"
#include "transforms/xf_cipher.h"
#include "transforms/xf_codec.h"

static const uint8_t test_key[32] = {
	0x31, 0x41, 0x59, 0x26, 0x53, 0x58, 0x97, 0x93, 0x23, 0x84, 0x62, 0x64,
	0x33, 0x83, 0x27, 0x95, 0x02, 0x88, 0x41, 0x97, 0x16, 0x93, 0x99, 0x37,
	0x51, 0x05, 0x82, 0x09, 0x74, 0x94, 0x45, 0x92,
};

static void setup(void)
{
	static const struct cipher_key_source key = {
		.kind = CIPHER_KEY_MEMORY, .material = test_key,
		.material_bytes = sizeof(test_key),
	};
	static bool done;

	if (done)
		return;
	done = true;
	xf_register_builtin();
	xf_codec_register();
	HCHECK(xf_cipher_register(&key));
}

static struct region *make_region(const char *scheme, uint32_t pages,
				  uint32_t limit, struct store *store)
{
	struct region_config config = {
		.name = "tier", .pages = pages, .clear_limit = limit,
		.scheme = scheme, .store = store, .evict_batch = 1,
	};
	struct region *region = NULL;

	setup();
	HCHECK_EQ(region_create(&config, &region), REGION_OK);
	return region;
}

static void teardown(struct region *region, struct store *store)
{
	region_destroy(region);
	store->ops->destroy(store);
	fake_release_quarantine();
}

static uintptr_t va_of(struct region *region, uint32_t page)
{
	return (uintptr_t)region_page_address(region, page);
}

/* Text-like content (compressible by both codecs, more by dense), or
 * random words (incompressible) when noise. */
static void fill_page(uint8_t *page, uint32_t seed, bool noise)
{
	static const char *const words[] = { "region ", "page ", "sealed ",
					     "tier ", "dense ", "clock ",
					     "adaptive ", "store " };
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (unsigned i = 0; i < 4096;) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (noise) {
			memcpy(page + i, &x, 8);
			i += 8;
			continue;
		}
		const char *word = words[x % 8];
		size_t length = strlen(word);
		if (length > 4096 - i)
			length = 4096 - i;
		memcpy(page + i, word, length);
		i += (unsigned)length;
	}
}

static unsigned mismatches(struct region *region, uint32_t pages, bool noise)
{
	static uint8_t expected[4096];
	unsigned bad = 0;

	for (uint32_t page = 0; page < pages; page++) {
		fill_page(expected, page, noise);
		uint8_t *p = fake_access(va_of(region, page), false);
		bad += !p || memcmp(p, expected, 4096) != 0;
	}
	return bad;
}

/* Pages the walk should find cold now: sealed in the fast slot, not
 * kept, stamped threshold epochs ago or more. */
static uint32_t cold_pages(struct region *region)
{
	uint32_t cold = 0;
	uint32_t now = (uint32_t)(region->stats.evictions >> region->tier.shift);

	for (uint32_t page = 0; page < region->pages; page++) {
		const struct region_page *record = region_page_record(region, page);
		if (region_record_state(record) != REGION_SEALED ||
		    region_record_slot(record) != region->current_scheme ||
		    region_record_tier_kept(record))
			continue;
		cold += ((now - region_record_tier_stamp(record)) & 0xffu) >=
			region->tier.threshold_epochs;
	}
	return cold;
}

HTEST(tiered_schemes_parse_and_print_back)
{
	static const char *const good[] = {
		"clock:adaptive>dense,aes128-xts-mac", "2q:lz4>dense",
		"fifo:adaptive>dense", "clock:xor-debug,adaptive>dense,aes256-xts",
		"clock:adaptive>dense,aes128-xts,aes256-xts-mac",
	};
	struct scheme scheme, dense;
	char text[128];

	setup();
	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		HCHECK_EQ(scheme_parse(good[i], &scheme), 0);
		HCHECK(scheme_tiered(&scheme));
		scheme_format(&scheme, text, sizeof(text));
		HCHECK(strcmp(text, good[i]) == 0);
	}
	HCHECK_EQ(scheme_parse("clock:xor-debug,adaptive>dense,aes128-xts-mac",
			       &scheme), 0);
	HCHECK_EQ(scheme.tier_step, 1);
	scheme_dense_tier(&scheme, &dense);
	scheme_format(&dense, text, sizeof(text));
	HCHECK(strcmp(text, "clock:xor-debug,dense,aes128-xts-mac") == 0);
	HCHECK(dense.dense_tier && !scheme_tiered(&dense) && !scheme.dense_tier);
	HCHECK(scheme_confidential(&dense));
	HCHECK_EQ(scheme_parse("clock:adaptive", &scheme), 0);
	HCHECK(!scheme_tiered(&scheme));
}

HTEST(tiered_schemes_refused)
{
	static const struct { const char *text; int result; } bad[] = {
		{ "clock:adaptive>", SCHEME_BAD_TIER },
		{ "clock:>dense", SCHEME_BAD_TIER },
		{ "clock:>", SCHEME_BAD_TIER },
		{ "clock:aes128-xts>dense", SCHEME_BAD_TIER },
		{ "clock:adaptive>aes128-xts-mac", SCHEME_BAD_TIER },
		{ "clock:adaptive,aes128-xts>dense", SCHEME_BAD_TIER },
		{ "clock:aes128-xts,adaptive>dense", SCHEME_BAD_ORDER },
		{ "clock:adaptive>dense>wkdm", SCHEME_BAD_TIER },
		{ "clock:adaptive>dense,lz4>dense", SCHEME_BAD_TIER },
		{ "clock:adaptive>nosuch", SCHEME_BAD_NAME },
		{ "clock:nosuch>dense", SCHEME_BAD_NAME },
	};
	struct scheme scheme = { 0 };
	struct store *store = fake_store_create(64);
	struct region *region = make_region("clock:lz4", 8, 2, store);

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		HCHECK_EQ(scheme_parse(bad[i].text, &scheme), bad[i].result);
		HCHECK_EQ(region_set_scheme(region, bad[i].text), REGION_BAD_SCHEME);
	}
	HCHECK(scheme.policy == NULL);	/* left unchanged */
	teardown(region, store);
}

/* A tiered region: only pages sealed threshold evictions ago move, every
 * page reads back from either tier, counters add up, the store is what
 * the records say, and the dense tier is smaller. */
HTEST(cold_pages_move_to_the_dense_tier)
{
	const uint32_t pages = 96, threshold = 24;
	struct store *store = fake_store_create(512);
	struct region *region = make_region("clock:adaptive>dense,aes128-xts-mac",
					    pages, 8, store);
	struct region_tier_status status;
	struct region_stats before, after;
	char chains[256];
	uint32_t unencrypted;

	HCHECK_EQ(region_tier_set(region, threshold, 4, 0), REGION_OK);
	HCHECK_EQ(region_tier_set(region, threshold, 0, 0), REGION_BAD_ARGUMENT);
	HCHECK_EQ(region_tier_set(region, threshold, REGION_TIER_BATCH_MAX + 1, 0),
		  REGION_BAD_ARGUMENT);
	for (uint32_t page = 0; page < pages; page++)
		fill_page(fake_access(va_of(region, page), true), page, false);
	region_get_stats(region, &before);
	uint32_t cold = cold_pages(region);
	HCHECK(cold > 0 && cold < before.sealed_pages);
	region_tier_settle(region);
	region_get_stats(region, &after);
	region_tier_get_status(region, &status);
	HCHECK(status.tiered);
	HCHECK_EQ(status.recompressed + status.kept, cold);
	HCHECK(status.recompressed > cold / 2);
	HCHECK_EQ(status.dense_pages, status.recompressed);
	HCHECK_EQ(status.fast_pages + status.dense_pages, after.sealed_pages);
	HCHECK_EQ(after.sealed_pages, before.sealed_pages);
	HCHECK(after.bytes_stored < before.bytes_stored);
	HCHECK_EQ(after.faults, before.faults);
	HCHECK_EQ(cold_pages(region), 0);
	region_chains(region, chains, sizeof(chains), &unencrypted);
	HCHECK(strstr(chains, "clock:adaptive>dense,aes128-xts-mac(sealing)") != NULL);
	HCHECK(strstr(chains, "clock:dense,aes128-xts-mac(dense tier)") != NULL);
	HCHECK_EQ(unencrypted, 0);
	/* both tiers restore by their own chain */
	HCHECK_EQ(mismatches(region, pages, false), 0);
	region_get_stats(region, &after);
	HCHECK_EQ(after.corrupt + after.poisoned + status.failed, 0);
	teardown(region, store);
}

/* Random pages: the dense chain does not shrink them, so they stay in
 * the fast tier as they were, marked, and later sweeps leave them. */
HTEST(incompressible_pages_stay_in_the_fast_tier)
{
	const uint32_t pages = 48;
	struct store *store = fake_store_create(512);
	struct region *region = make_region("clock:adaptive>dense", pages, 4,
					    store);
	struct region_stats before, after;

	HCHECK_EQ(region_tier_set(region, 0, 8, 0), REGION_OK);
	for (uint32_t page = 0; page < pages; page++)
		fill_page(fake_access(va_of(region, page), true), page, true);
	region_get_stats(region, &before);
	region_tier_settle(region);
	region_get_stats(region, &after);
	HCHECK_EQ(after.recompressed, 0);
	HCHECK_EQ(after.tier_kept, before.sealed_pages);
	HCHECK_EQ(after.bytes_stored, before.bytes_stored);
	uint64_t holds = region->tier.holds;
	region_tier_settle(region);	/* nothing retried */
	region_get_stats(region, &after);
	HCHECK_EQ(after.tier_kept, before.sealed_pages);
	HCHECK(region->tier.holds - holds <= pages / REGION_TIER_SCAN + 2);
	HCHECK_EQ(mismatches(region, pages, true), 0);
	teardown(region, store);
}

/* Changes between tiered and plain schemes: the new scheme takes two
 * slots, the old ones are refused once four hold pages, the old dense
 * tier drains into the new dense tier (RECOMPRESS), the old fast one
 * into the new fast slot (RESEAL), and the tier slot of the sealing
 * scheme is never counted as one to drain. */
HTEST(scheme_changes_drain_both_tiers)
{
	const uint32_t pages = 64;
	struct store *store = fake_store_create(512);
	struct region *region = make_region("clock:adaptive>dense", pages, 4,
					    store);
	struct region_tier_status status;

	HCHECK_EQ(region_tier_set(region, 8, 8, 0), REGION_OK);
	for (uint32_t page = 0; page < pages; page++)
		fill_page(fake_access(va_of(region, page), true), page, false);
	region_tier_settle(region);
	region_tier_get_status(region, &status);
	HCHECK(status.dense_pages > 0 && status.fast_pages > 0);
	uint8_t old_fast = status.fast_slot, old_dense = status.dense_slot;
	HCHECK(old_fast != old_dense);
	HCHECK(region_slot_sealing(region, old_dense));

	HCHECK_EQ(region_set_scheme(region, "clock:lz4>dense,aes128-xts-mac"),
		  REGION_OK);
	region_tier_get_status(region, &status);
	HCHECK(status.tiered);
	HCHECK(status.fast_slot != old_fast && status.fast_slot != old_dense);
	HCHECK(status.dense_slot != old_fast && status.dense_slot != old_dense);
	HCHECK(!region_slot_sealing(region, old_dense));
	/* a cipher came: set_scheme moved every unencrypted page already */
	HCHECK_EQ(region->scheme_pages[old_fast] + region->scheme_pages[old_dense], 0);
	region_tier_get_status(region, &status);
	HCHECK(status.dense_pages > 0);	/* the old dense pages went dense */
	HCHECK_EQ(mismatches(region, pages, false), 0);

	/* no cipher change now: old slots keep their pages until drained */
	HCHECK_EQ(region_tier_set(region, 8, 8, 0), REGION_OK);
	region_tier_settle(region);
	HCHECK_EQ(region_set_scheme(region, "clock:wkdm>dense,aes128-xts-mac"),
		  REGION_OK);
	for (uint32_t page = 0; page < 8; page++)	/* sealed by wkdm */
		HCHECK(fake_access(va_of(region, page), false) != NULL);
	/* three slots hold pages, the empty one is the sealing scheme's
	 * tier: a tiered scheme needs two and is refused */
	HCHECK_EQ(region->scheme_pages[region->tier.slot], 0);
	HCHECK_EQ(region_set_scheme(region, "clock:adaptive>dense"),
		  REGION_NO_SPACE);
	unsigned old_dense_slot = 0;
	for (unsigned slot = 0; slot < REGION_SCHEMES_MAX; slot++)
		if (!region_slot_sealing(region, slot) && region->schemes[slot].dense_tier)
			old_dense_slot = slot;
	HCHECK(region->scheme_pages[old_dense_slot] > 0);
	/* drain by hand as the migration does */
	uint64_t recompressed = region->stats.recompressed;
	for (uint32_t page = 0; page < pages; page++) {
		unsigned long flags = region_lock(region);
		const struct region_page *record = region_page_record(region, page);
		if (region_record_state(record) == REGION_SEALED &&
		    !region_slot_sealing(region, region_record_slot(record)))
			HCHECK_EQ(region_transition(region, page,
				region_tier_drain_cause(region,
							region_record_slot(record))),
				  REGION_OK);
		region_unlock(region, flags);
	}
	for (unsigned slot = 0; slot < REGION_SCHEMES_MAX; slot++)
		if (!region_slot_sealing(region, slot))
			HCHECK_EQ(region->scheme_pages[slot], 0);
	HCHECK(region->stats.recompressed > recompressed);
	HCHECK_EQ(mismatches(region, pages, false), 0);
	/* to a plain scheme: no tier slot left, both tiers drain by RESEAL */
	region_tier_settle(region);
	HCHECK_EQ(region_set_scheme(region, "clock:adaptive"), REGION_OK);
	HCHECK_EQ(region->tier.slot, REGION_TIER_NONE);
	HCHECK_EQ(region_tier_drain_cause(region, old_dense_slot), REGION_CAUSE_RESEAL);
	HCHECK_EQ(mismatches(region, pages, false), 0);
	HCHECK_EQ(region->stats.corrupt + region->stats.poisoned, 0);
	teardown(region, store);
}

/* Pages faulted in and out between holds: a page restored from either
 * tier and sealed again starts young in the fast tier. */
HTEST(faults_between_holds_read_right)
{
	const uint32_t pages = 64;
	struct store *store = fake_store_create(512);
	struct region *region = make_region("clock:adaptive>dense,aes128-xts-mac",
					    pages, 6, store);
	uint64_t x = 88172645463325252ull;
	unsigned bad = 0;
	static uint8_t expected[4096];

	HCHECK_EQ(region_tier_set(region, 4, 2, 0), REGION_OK);
	for (uint32_t page = 0; page < pages; page++)
		fill_page(fake_access(va_of(region, page), true), page, false);
	for (unsigned i = 0; i < 4000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint32_t page = (uint32_t)(x % pages);
		fill_page(expected, page, false);
		uint8_t *p = fake_access(va_of(region, page), false);
		bad += !p || memcmp(p, expected, 4096) != 0;
		if (i % 3 == 0) {
			unsigned long flags = region_lock(region);
			region_tier_hold(region);
			region_unlock(region, flags);
		}
	}
	HCHECK_EQ(bad, 0);
	HCHECK(region->stats.recompressed > 0);
	HCHECK_EQ(region->stats.corrupt + region->stats.poisoned, 0);
	HCHECK_EQ(mismatches(region, pages, false), 0);
	teardown(region, store);
}
