/*
 * The kernel half of the cold-boot test (tests/runner/coldboot.py), ktest
 * suite "coldboot": with coldboot=SCHEME on the command line (and a known
 * key from test_key=, so the host knows what to look for) it fills the
 * pages of a region with a canary, lets all but the clear set be sealed,
 * says "coldboot: ready ..." and waits for one byte on the serial port.
 * Meanwhile the host dumps the guest's RAM and looks for the canary and the
 * key. Then every page is restored and checked. Without the option the
 * case is skipped (it is part of ktest=all).
 *
 * Canary: each page is 128 slots of 32 bytes, COLDBOOT_MARKER then two
 * splitmix64 words of the page index (little-endian). The tail names the
 * page, so a stray copy of the marker alone (the kernel image) does not
 * count, and it has no repeated 4-byte sequence, so a compressor keeps each
 * page's first slot whole as literals: a compressed clear copy is found
 * like a plain one.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "mm/region.h"
#include "mm/region_test_util.h"

#define COLDBOOT_MARKER "VeilColdbootCnry"	/* 16 bytes, no NUL used */
#define COLDBOOT_PAGES 512
#define COLDBOOT_CLEAR_LIMIT 8
#define COLDBOOT_SLOT_BYTES 32
/* How long the kernel waits for the host's dump before failing. */
#define COLDBOOT_WAIT_MS 240000

static char coldboot_scheme[64];

static bool coldboot_set_scheme(const char *value)
{
	size_t length = strlen(value);

	if (length == 0 || length >= sizeof(coldboot_scheme))
		return false;
	memcpy(coldboot_scheme, value, length + 1);
	return true;
}
CMDLINE_OPTION(coldboot, "coldboot",
	       "SCHEME: TESTS ONLY: ktest coldboot fills a region under SCHEME "
	       "with a canary and waits for a RAM dump (tests/runner/coldboot.py)",
	       coldboot_set_scheme);

/* splitmix64 (tests/runner/coldboot.py computes the same). */
static uint64_t coldboot_mix(uint64_t x)
{
	uint64_t z = x + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void coldboot_tail(uint64_t index, uint64_t tail[2])
{
	tail[0] = coldboot_mix(index);
	tail[1] = coldboot_mix(index + 0x10000);
}

static void coldboot_fill(uint8_t *page, uint64_t index)
{
	uint64_t tail[2];

	coldboot_tail(index, tail);
	for (unsigned at = 0; at < 4096; at += COLDBOOT_SLOT_BYTES) {
		memcpy(page + at, COLDBOOT_MARKER, 16);
		memcpy(page + at + 16, tail, 16);
	}
}

/* Compares in place, slot by slot: no clear copy of a page is made. */
static bool coldboot_page_ok(const uint8_t *page, uint64_t index)
{
	uint64_t tail[2];

	coldboot_tail(index, tail);
	for (unsigned at = 0; at < 4096; at += COLDBOOT_SLOT_BYTES) {
		if (memcmp(page + at, COLDBOOT_MARKER, 16) != 0 ||
		    memcmp(page + at + 16, tail, 16) != 0)
			return false;
	}
	return true;
}

static bool coldboot_wait_for_host(void)
{
	for (unsigned waited = 0; waited < COLDBOOT_WAIT_MS; waited += 10) {
		if (console_getc() >= 0)
			return true;
		time_delay_ms(10);
	}
	return false;
}

KTEST_SLOW(coldboot, canary_sealed_while_dumped, COLDBOOT_WAIT_MS + 60000)
{
	struct region_stats stats;
	unsigned bad = 0;

	if (!coldboot_scheme[0])
		ktest_skip(t, "no coldboot=SCHEME option (tests/runner/coldboot.py)");
	/* OLD>NEW: fill under OLD, then change to NEW before the dump */
	char *next = strchr(coldboot_scheme, '>');
	if (next)
		*next++ = '\0';
	struct region *region = region_test_create(t, coldboot_scheme,
						   COLDBOOT_PAGES,
						   COLDBOOT_CLEAR_LIMIT);
	for (uint32_t page = 0; page < COLDBOOT_PAGES; page++)
		coldboot_fill(region_page_address(region, page), page);
	if (next) {
		char chains[256];
		uint32_t unencrypted;
		KTEST_EXPECT_EQ(t, region_set_scheme(region, next), REGION_OK);
		region_chains(region, chains, sizeof(chains), &unencrypted);
		printk("coldboot: changed to %s: %s, %u pages without a cipher\n",
		       next, chains, unencrypted);
		KTEST_EXPECT_EQ(t, unencrypted, 0);
	}
	region_get_stats(region, &stats);
	printk("coldboot: ready clear_limit=%u pages=%u scheme=%s "
	       "sealed=%llu clear=%llu\n", COLDBOOT_CLEAR_LIMIT, COLDBOOT_PAGES,
	       coldboot_scheme, (unsigned long long)stats.sealed_pages,
	       (unsigned long long)stats.clear_pages);
	KTEST_EXPECT_EQ(t, stats.clear_pages, COLDBOOT_CLEAR_LIMIT);
	bool told = coldboot_wait_for_host();
	KTEST_EXPECT(t, told);
	for (uint32_t page = 0; page < COLDBOOT_PAGES; page++)
		bad += !coldboot_page_ok(region_page_address(region, page), page);
	region_get_stats(region, &stats);
	printk("coldboot: result pages=%u mismatches=%u corrupt=%llu "
	       "restores=%llu %s\n", COLDBOOT_PAGES, bad,
	       (unsigned long long)stats.corrupt,
	       (unsigned long long)stats.restores,
	       bad == 0 && stats.corrupt == 0 && told ? "PASS" : "FAIL");
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_EQ(t, stats.corrupt, 0);
	region_destroy(region);
}
