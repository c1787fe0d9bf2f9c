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
 * With coldboot_rekey=SCHEME instead, the case canary_rekeyed_while_dumped
 * fills the region under SCHEME (a cipher, under the known key), says
 * "coldboot: before-rekey ..." and waits for a first dump (the host finds
 * the pages sealed under the known key there: the control), then rotates
 * the key system-wide while readers on the other CPUs fault the pages in
 * and out, waits for the migration, says "coldboot: ready ..." and waits
 * for the second dump: no page sealed under the old key, and the old key
 * and its round keys nowhere (docs/live-swap.md, "Key rotation").
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
#include "kernel/lib/cpu.h"
#include "kernel/sched/sched.h"
#include "mm/region.h"
#include "mm/region_migrate.h"
#include "mm/region_rekey.h"
#include "mm/region_test_util.h"
#include "transforms/cipher_keyring.h"

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

/* Drops what the host sent after its last dump (the rest of its "go"
 * line): called before saying ready for the next dump. */
static void coldboot_drain_input(void)
{
	while (console_getc() >= 0)
		;
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

/* ---- key rotation under load, then the dump ---------------------------- */

static char coldboot_rekey_scheme[64];

static bool coldboot_set_rekey_scheme(const char *value)
{
	size_t length = strlen(value);

	if (length == 0 || length >= sizeof(coldboot_rekey_scheme))
		return false;
	memcpy(coldboot_rekey_scheme, value, length + 1);
	return true;
}
CMDLINE_OPTION(coldboot_rekey, "coldboot_rekey",
	       "SCHEME: TESTS ONLY: ktest coldboot fills a region under SCHEME, "
	       "waits for a RAM dump, rotates the key under load and waits for "
	       "another (tests/runner/coldboot.py)",
	       coldboot_set_rekey_scheme);

#define COLDBOOT_READERS_MAX 3u

struct coldboot_readers {
	struct region *region;
	bool done;		/* atomic */
	uint64_t reads[COLDBOOT_READERS_MAX], bad[COLDBOOT_READERS_MAX];
};

struct coldboot_reader {
	struct coldboot_readers *readers;
	unsigned index;
};

/* Reads random pages of the region (each read faults a sealed page in
 * and, the clear set being full, another out) until told to stop; the
 * content is checked in place. */
static void coldboot_reader_thread(void *argument)
{
	struct coldboot_reader *reader = argument;
	struct coldboot_readers *readers = reader->readers;
	uint64_t random = 0x9e3779b97f4a7c15ull * (reader->index + 1);

	while (!__atomic_load_n(&readers->done, __ATOMIC_ACQUIRE)) {
		random = coldboot_mix(random);
		uint32_t page = (uint32_t)(random % COLDBOOT_PAGES);
		readers->bad[reader->index] += !coldboot_page_ok(
			region_page_address(readers->region, page), page);
		if (++readers->reads[reader->index] % 16 == 0)
			thread_yield();
	}
}

KTEST_SLOW(coldboot, canary_rekeyed_while_dumped, 2 * COLDBOOT_WAIT_MS + 120000)
{
	static struct coldboot_readers readers;
	static struct coldboot_reader reader_args[COLDBOOT_READERS_MAX];
	struct thread *threads[COLDBOOT_READERS_MAX] = { 0 };
	struct region_rekey_report report;
	struct region_stats stats;
	unsigned made = 0, bad = 0, old;
	uint64_t reads = 0, read_bad = 0;

	if (!coldboot_rekey_scheme[0])
		ktest_skip(t, "no coldboot_rekey=SCHEME option (tests/runner/coldboot.py)");
	struct region *region = region_test_create(t, coldboot_rekey_scheme,
						   COLDBOOT_PAGES,
						   COLDBOOT_CLEAR_LIMIT);
	KTEST_EXPECT_EQ(t, region_migrate_set_affinity(region, 1), REGION_OK);
	for (uint32_t page = 0; page < COLDBOOT_PAGES; page++)
		coldboot_fill(region_page_address(region, page), page);
	old = cipher_keyring_generation();
	printk("coldboot: before-rekey region=%llu generation=%u clear_limit=%u "
	       "pages=%u scheme=%s\n", (unsigned long long)region->id, old,
	       COLDBOOT_CLEAR_LIMIT, COLDBOOT_PAGES, coldboot_rekey_scheme);
	KTEST_EXPECT(t, coldboot_wait_for_host());

	readers = (struct coldboot_readers){ .region = region };
	unsigned wanted = cpu_count() > 1 ? cpu_count() - 1 : 1;
	if (wanted > COLDBOOT_READERS_MAX)
		wanted = COLDBOOT_READERS_MAX;
	for (; made < wanted; made++) {
		reader_args[made] = (struct coldboot_reader){ &readers, made };
		unsigned cpu = cpu_count() > 1 ? made + 1 : 0;
		threads[made] = thread_create_on("coldboot_read",
						 coldboot_reader_thread,
						 &reader_args[made], 1ull << cpu);
		if (!threads[made])
			break;
	}
	thread_sleep_ms(50);	/* the readers under way */
	int result = region_rekey_all(true, &report);
	thread_sleep_ms(50);	/* and some more faults under the new key */
	__atomic_store_n(&readers.done, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < made; i++) {
		thread_join(threads[i]);
		reads += readers.reads[i];
		read_bad += readers.bad[i];
	}
	uint32_t left = 0;
	bool used = region_uses_key_generation(region, old, &left);
	region_get_stats(region, &stats);
	printk("coldboot: rekeyed generation %u -> %u under %u reader(s): %llu "
	       "reads, %llu wrong; %llu pages migrated, old key %s, %u pages "
	       "under it\n", report.old_generation, report.generation, made,
	       (unsigned long long)reads, (unsigned long long)read_bad,
	       (unsigned long long)stats.migrated,
	       report.retired ? "retired" : "STILL HELD", left);
	KTEST_EXPECT_EQ(t, result, 0);
	KTEST_EXPECT_EQ(t, made, wanted);
	KTEST_EXPECT(t, report.retired);
	KTEST_EXPECT(t, !used);
	KTEST_EXPECT(t, !cipher_keyring_held(NULL));
	KTEST_EXPECT_EQ(t, read_bad, 0);
	KTEST_EXPECT(t, reads > 0);
	coldboot_drain_input();
	printk("coldboot: ready region=%llu clear_limit=%u pages=%u scheme=%s "
	       "sealed=%llu clear=%llu\n", (unsigned long long)region->id,
	       COLDBOOT_CLEAR_LIMIT, COLDBOOT_PAGES, coldboot_rekey_scheme,
	       (unsigned long long)stats.sealed_pages,
	       (unsigned long long)stats.clear_pages);
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
