/*
 * Host tests of the cipher transforms (transforms/xf_cipher.c) with a key
 * in memory: round trips of whole pages and of short (compressed) units,
 * the tweak binding a sealed page to its identity, tampering caught by the
 * MAC, and regions sealing through compression then encryption over the
 * fake address space, every page checked.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "mm/region.h"
#include "tests/host/fake_vmm.h"
#include "tests/host/htest.h"
#include "transforms/xf.h"
#include "transforms/xf_cipher.h"
#include "transforms/xf_codec.h"

static const uint8_t test_key[32] = {
	0x27, 0x18, 0x28, 0x18, 0x28, 0x45, 0x90, 0x45, 0x23, 0x53, 0x60, 0x28,
	0x74, 0x71, 0x35, 0x26, 0x62, 0x49, 0x77, 0x57, 0x24, 0x70, 0x93, 0x69,
	0x99, 0x59, 0x57, 0x49, 0x66, 0x96, 0x76, 0x27,
};

static void setup(void)
{
	static const struct cipher_key_source key = {
		.kind = CIPHER_KEY_MEMORY, .material = test_key,
		.material_bytes = sizeof(test_key),
	};

	xf_register_builtin();
	xf_codec_register();
	HCHECK(xf_cipher_register(&key));
}

static void fill(uint8_t *bytes, size_t length, unsigned seed)
{
	for (size_t i = 0; i < length; i++)
		bytes[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 5));
}

static const char *const names[] = { "aes128-xts", "aes128-xts-mac",
				     "aes256-xts", "aes256-xts-mac" };

HTEST(round_trip_every_transform_and_length)
{
	static uint8_t in[4096], sealed[4096 + 64], out[4096];
	static const size_t lengths[] = { 4096, 1, 9, 15, 16, 17, 100, 2049 };
	struct xf_page_id id = { 7, 42 };

	setup();
	for (unsigned n = 0; n < 4; n++) {
		struct xf_transform *t = xf_lookup(names[n]);
		HCHECK(t != NULL);
		for (unsigned l = 0; t && l < sizeof(lengths) / sizeof(lengths[0]); l++) {
			size_t length = lengths[l], sealed_length, out_length;
			fill(in, length, (unsigned)(n * 10 + l));
			HCHECK_EQ(xf_seal(t, &id, in, length, sealed, sizeof(sealed),
					  &sealed_length), XF_OK);
			HCHECK(memcmp(sealed, in, length) != 0 || length < 2);
			HCHECK_EQ(xf_unseal(t, &id, sealed, sealed_length, out,
					    sizeof(out), &out_length), XF_OK);
			HCHECK_EQ(out_length, length);
			HCHECK(memcmp(out, in, length) == 0);
		}
	}
}

HTEST(tweak_binds_the_page_and_mac_catches_tampering)
{
	static uint8_t in[4096], sealed[4096 + 16], out[4096];
	struct xf_page_id here = { 3, 10 }, there = { 3, 11 }, other = { 4, 10 };
	size_t length, out_length;

	setup();
	fill(in, sizeof(in), 5);
	struct xf_transform *plain = xf_lookup("aes128-xts");
	struct xf_transform *mac = xf_lookup("aes128-xts-mac");
	HCHECK_EQ(xf_seal(plain, &here, in, 4096, sealed, sizeof(sealed), &length), XF_OK);
	HCHECK_EQ(xf_unseal(plain, &there, sealed, length, out, 4096, &out_length), XF_OK);
	HCHECK(memcmp(out, in, 4096) != 0);	/* wrong data, no crash */
	HCHECK_EQ(xf_seal(mac, &here, in, 4096, sealed, sizeof(sealed), &length), XF_OK);
	HCHECK_EQ(length, 4096 + 16);
	HCHECK_EQ(xf_unseal(mac, &there, sealed, length, out, 4096, &out_length), XF_CORRUPT);
	HCHECK_EQ(xf_unseal(mac, &other, sealed, length, out, 4096, &out_length), XF_CORRUPT);
	sealed[1234] ^= 0x10;
	HCHECK_EQ(xf_unseal(mac, &here, sealed, length, out, 4096, &out_length), XF_CORRUPT);
	sealed[1234] ^= 0x10;
	HCHECK_EQ(xf_unseal(mac, &here, sealed, length, out, 4096, &out_length), XF_OK);
	HCHECK(memcmp(out, in, 4096) == 0);
}

static unsigned region_run(const char *scheme)
{
	struct store *store = fake_store_create(1024);
	struct region_config rc = { .name = "enc", .pages = 64, .clear_limit = 4,
				    .scheme = scheme, .store = store };
	struct region *region;
	uint8_t expected[4096];
	unsigned bad = 0;

	HCHECK_EQ(region_create(&rc, &region), REGION_OK);
	for (unsigned round = 0; round < 3; round++) {
		for (uint32_t p = 0; p < 64; p++) {
			uint8_t *page = fake_access((uintptr_t)region_page_address(region, p), true);
			fill(expected, 4096, round * 64 + p);
			if (p % 5 == 0)	/* some same-filled pages: short units */
				memset(expected, (int)p, 4096);
			if (round > 0) {
				uint8_t previous[4096];
				fill(previous, 4096, (round - 1) * 64 + p);
				if (p % 5 == 0)
					memset(previous, (int)p, 4096);
				bad += memcmp(page, previous, 4096) != 0;
			}
			memcpy(page, expected, 4096);
		}
	}
	region_destroy(region);
	store->ops->destroy(store);
	fake_release_quarantine();
	return bad;
}

HTEST(regions_seal_through_compression_then_encryption)
{
	setup();
	HCHECK_EQ(region_run("clock:aes128-xts-mac"), 0);
	HCHECK_EQ(region_run("clock:adaptive,aes256-xts-mac"), 0);
	HCHECK_EQ(region_run("2q:lz4,aes128-xts"), 0);
}

/* A page with a marker naming it, the kind a RAM scan looks for. */
static void fill_marked(uint8_t *page, uint32_t index)
{
	for (unsigned at = 0; at < 4096; at += 32) {
		memcpy(page + at, "VeilSwitchMarker", 16);
		memcpy(page + at + 16, &index, sizeof(index));
		memset(page + at + 20, (int)(index * 7 + at / 32), 12);
	}
}

/* Seals 60 of 64 marked pages under an unencrypted chain, switches to an
 * encrypting one, and checks that nothing readable is left: every page
 * moved to the new chain, the old copies wiped as they were freed, every
 * page still right. */
static void switch_to_cipher(const char *before)
{
	struct store *store = fake_store_create(1024);
	struct region_config rc = { .name = "switch", .pages = 64, .clear_limit = 4,
				    .scheme = before, .store = store };
	struct region *region;
	struct region_stats stats;
	uint8_t expected[4096];
	char chains[256];
	uint32_t unencrypted;
	unsigned bad = 0;

	HCHECK_EQ(region_create(&rc, &region), REGION_OK);
	for (uint32_t p = 0; p < 64; p++)
		fill_marked(fake_access((uintptr_t)region_page_address(region, p), true), p);
	region_chains(region, chains, sizeof(chains), &unencrypted);
	HCHECK_EQ(unencrypted, 60);
	/* the scan sees the sealed copies (else it would prove nothing) */
	HCHECK(fake_live_pages_holding("VeilSwitchMarker", 16) > 4);
	fake_release_quarantine();
	fake_log_clear();
	fake_log_on = true;
	HCHECK_EQ(region_set_scheme(region, "clock:aes128-xts-mac"), REGION_OK);
	fake_log_on = false;
	/* The reseal row of docs/tlb-events.md, for the first page: a frame,
	 * the old copy restored into it, handle -> busy, the new copy put,
	 * busy -> new handle, the old copy freed (an adopted one's frame goes
	 * back: frame-free), the frame freed (not adopted: the MAC makes the
	 * sealed form longer than the page). */
	static const char row[] = "frame-alloc pte:handle>busy pte:busy>handle "
				  "%sframe-free";
	char want[128];
	snprintf(want, sizeof(want), row,
		 strcmp(before, "clock:identity") == 0 ? "frame-free " : "");
	if (strncmp(fake_log, want, strlen(want)) != 0)
		htest_log("reseal steps: want \"%s\", got \"%.*s\"", want,
			  (int)strlen(want), fake_log);
	HCHECK(strncmp(fake_log, want, strlen(want)) == 0);
	region_chains(region, chains, sizeof(chains), &unencrypted);
	region_get_stats(region, &stats);
	htest_log("%s -> clock:aes128-xts-mac: %s, %llu reseals", before, chains,
		  (unsigned long long)stats.reseals);
	HCHECK_EQ(unencrypted, 0);
	HCHECK_EQ(stats.reseals, 60);
	HCHECK_EQ(stats.sealed_pages, 60);
	/* only the 4 pages of the clear set are readable now */
	HCHECK_EQ(fake_live_pages_holding("VeilSwitchMarker", 16), 4);
	HCHECK_EQ(fake_freed_frames_holding("VeilSwitchMarker", 16), 0);
	for (uint32_t p = 0; p < 64; p++) {
		fill_marked(expected, p);
		bad += memcmp(fake_access((uintptr_t)region_page_address(region, p), false),
			      expected, 4096) != 0;
	}
	HCHECK_EQ(bad, 0);
	region_destroy(region);
	store->ops->destroy(store);
	fake_release_quarantine();
}

HTEST(switching_to_a_cipher_leaves_nothing_readable)
{
	setup();
	switch_to_cipher("clock:identity");	/* adopted frames */
	switch_to_cipher("clock:lz4");		/* compressed copies in the store */
}

/* A copy a chain with a cipher sealed is wiped when it is freed, even
 * while that chain is the one sealing: a key rotation later retires the
 * key, and no page sealed under a retired key may stay in RAM. Before,
 * only copies of chains already replaced were wiped; a page faulted in
 * while its chain was current left its ciphertext as dead bytes in the
 * store, which the cold-boot test once found after a rotation. */
HTEST(freed_copies_of_a_cipher_chain_leave_no_ciphertext)
{
	struct store *store = fake_store_create(256);
	struct region_config rc = { .name = "wipe", .pages = 16, .clear_limit = 4,
				    .scheme = "clock:lz4,aes128-xts-mac", .store = store };
	static uint8_t bounce[STORE_OBJECT_MAX];
	uint8_t block[16], expected[4096];
	struct region *region;
	struct store_view view;
	uint32_t page = 16;

	setup();
	HCHECK_EQ(region_create(&rc, &region), REGION_OK);
	for (uint32_t p = 0; p < 16; p++)
		fill_marked(fake_access((uintptr_t)region_page_address(region, p), true), p);
	for (uint32_t p = 0; p < 16 && page == 16; p++)
		if (region_record_state(region_page_record(region, p)) == REGION_SEALED)
			page = p;
	HCHECK(page < 16);
	HCHECK_EQ(store_map(store, region_record_handle(region_page_record(region, page)),
			    bounce, &view), STORE_OK);
	/* a block from the middle: a store may link a freed object through
	 * its first bytes. The copy is small (compressed), so it shares a
	 * store page that stays in use after the free. */
	HCHECK(view.length >= 64 && view.length < 2048);
	memcpy(block, (const uint8_t *)view.data + view.length / 2, sizeof(block));
	store_unmap(store, &view);
	/* the scan sees the sealed copy (else it would prove nothing) */
	HCHECK_EQ(fake_live_pages_holding(block, sizeof(block)), 1);
	fill_marked(expected, page);
	HCHECK(memcmp(fake_access((uintptr_t)region_page_address(region, page), false),
		      expected, sizeof(expected)) == 0);
	HCHECK_EQ(region_record_state(region_page_record(region, page)), REGION_CLEAR);
	HCHECK_EQ(fake_live_pages_holding(block, sizeof(block)), 0);
	HCHECK_EQ(fake_freed_frames_holding(block, sizeof(block)), 0);
	region_destroy(region);
	store->ops->destroy(store);
	fake_release_quarantine();
}

/* A same-filled page under a chain with a cipher goes to the store like
 * any page (a record or PTE never holds a page's word in clear); one kept
 * as its word under a chain without a cipher is sealed into the store,
 * encrypted, when the region switches to one. */
HTEST(same_filled_pages_are_encrypted_under_a_cipher)
{
	struct store *store = fake_store_create(64);
	struct region_config rc = { .name = "zeros", .pages = 8, .clear_limit = 1,
				    .scheme = "clock:lz4", .store = store };
	struct region *region;
	struct region_stats stats;
	struct store_stats stored;
	const uint64_t word = 0x1234;
	unsigned bad = 0;

	setup();
	HCHECK_EQ(region_create(&rc, &region), REGION_OK);
	for (uint32_t p = 0; p < 8; p++) {
		uint64_t *words = (uint64_t *)fake_access(
			(uintptr_t)region_page_address(region, p), true);
		for (unsigned i = 0; i < 512; i++)
			words[i] = word;
	}
	region_get_stats(region, &stats);
	HCHECK_EQ(stats.same_filled_pages, 7);
	HCHECK_EQ(region_set_scheme(region, "clock:lz4,aes128-xts-mac"), REGION_OK);
	region_get_stats(region, &stats);
	store_stats(store, &stored);
	HCHECK_EQ(stats.same_filled_pages, 0);
	HCHECK_EQ(stats.reseals, 7);
	HCHECK_EQ(stored.pages_stored, 7);
	for (uint32_t p = 0; p < 8; p++) {
		const uint64_t *words = (const uint64_t *)fake_access(
			(uintptr_t)region_page_address(region, p), false);
		for (unsigned i = 0; i < 512; i++)
			bad += words[i] != word;
	}
	HCHECK_EQ(bad, 0);
	region_get_stats(region, &stats);
	HCHECK_EQ(stats.same_filled_pages, 0);	/* sealed again: encrypted */
	store_stats(store, &stored);
	HCHECK_EQ(stored.pages_stored, 7);
	region_destroy(region);
	store->ops->destroy(store);
	fake_release_quarantine();
}
