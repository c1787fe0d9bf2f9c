/*
 * ktest suite "region_rekey": key rotation (mm/region_rekey.h,
 * transforms/cipher_keyring.h). Under load: workers on every CPU but CPU 0
 * (at most four; one on a one-CPU boot) read and write a region sealed
 * under aes128-xts-mac with a shadow checksum per page, a second region
 * under lz4 + aes256-xts-mac is left untouched (only the migration moves
 * its pages), and a thread on CPU 0 rotates the key system-wide several
 * times: each rotation ends with the old generation retired (no chain of
 * any region uses it), no mismatch, no corrupt or poisoned page. And: the
 * retired generation's transform instance is refused from then on (its key
 * is gone), while the new instance seals differently from the old.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "mm/region.h"
#include "mm/region_migrate.h"
#include "mm/region_rekey.h"
#include "mm/region_test_util.h"
#include "transforms/cipher_keyring.h"
#include "transforms/xf_cipher.h"

#define REKEY_TEST_WORKERS_MAX 4u
#define REKEY_TEST_PAGES 256u
#define REKEY_TEST_LIMIT 64u
/* Rotations under load: fewer on more vCPUs, which a shared host runs in
 * turn (4 rotations took 5 s on one CPU and 42 s on four under TCG). */
static unsigned long long rekey_test_rotations_option;

static bool rekey_test_set_rotations(const char *value)
{
	return cmdline_parse_range(value, 1, 64, &rekey_test_rotations_option);
}
CMDLINE_OPTION(rekey_rotations, "rekey_rotations",
	       "N key rotations of the region_rekey load case, 1..64 (default 4 "
	       "on one or two CPUs, 2 on more)",
	       rekey_test_set_rotations);

static unsigned rekey_test_rotations(void)
{
	if (rekey_test_rotations_option)
		return (unsigned)rekey_test_rotations_option;
	return cpu_count() <= 2 ? 4u : 2u;
}

struct rekey_load {
	struct region *region, *idle;
	unsigned workers;
	bool done;		/* atomic: the rotations are over */
	unsigned ready;		/* atomic: workers that wrote their slice */
	unsigned rotations, retired, refused;
	uint32_t pages_left;	/* under an old generation after a rotation */
	unsigned first_generation, last_generation;
};

struct rekey_worker {
	struct rekey_load *load;
	unsigned index;
	uint64_t accesses, writes, mismatches;
	uint64_t shadow[REKEY_TEST_PAGES];
};

static void rekey_worker_thread(void *argument)
{
	struct rekey_worker *worker = argument;
	struct rekey_load *load = worker->load;
	uint32_t count = REKEY_TEST_PAGES / load->workers;
	uint32_t first = worker->index * count;
	uint64_t random = 0x9e3779b97f4a7c15ull * (worker->index + 1);
	uint64_t version = 1;

	for (uint32_t page = first; page < first + count; page++) {
		void *address = region_page_address(load->region, page);
		region_test_fill(address, page);
		worker->shadow[page] = region_test_checksum(address);
	}
	__atomic_add_fetch(&load->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&load->done, __ATOMIC_ACQUIRE)) {
		uint32_t page = first + (uint32_t)(region_test_random(&random) %
						   count);
		void *address = region_page_address(load->region, page);
		if (region_test_random(&random) % 3 == 0) {
			region_test_fill(address, (version++ << 16) ^ page);
			worker->shadow[page] = region_test_checksum(address);
			worker->writes++;
		} else if (region_test_checksum(address) != worker->shadow[page]) {
			worker->mismatches++;
		}
		if (++worker->accesses % 32 == 0)
			thread_yield();
	}
	for (uint32_t page = first; page < first + count; page++)
		worker->mismatches += region_test_checksum(region_page_address(
			load->region, page)) != worker->shadow[page];
}

/* The rotator, on CPU 0: rekey_test_rotations() system-wide rotations at
 * random moments, each waited for until its migrations ended. */
static void rekey_rotator_thread(void *argument)
{
	struct rekey_load *load = argument;
	uint64_t random = 0x2545f4914f6cdd1dull;

	while (__atomic_load_n(&load->ready, __ATOMIC_ACQUIRE) < load->workers)
		thread_yield();
	load->first_generation = cipher_keyring_generation();
	for (unsigned i = 0; i < rekey_test_rotations(); i++) {
		struct region_rekey_report report;

		thread_sleep_ms((unsigned)(region_test_random(&random) % 20));
		if (region_rekey_all(true, &report) != 0) {
			load->refused++;
			continue;
		}
		load->rotations++;
		load->retired += report.retired;
		load->pages_left += report.pages_left;
		load->last_generation = report.generation;
	}
	__atomic_store_n(&load->done, true, __ATOMIC_RELEASE);
}

KTEST_SLOW(region_rekey, rotation_under_load_retires_old_key, 600000)
{
	static struct rekey_worker workers[REKEY_TEST_WORKERS_MAX];
	struct thread *threads[REKEY_TEST_WORKERS_MAX] = { 0 };
	struct rekey_load load = { 0 };
	struct region_stats stats, idle_stats;
	uint64_t accesses = 0, writes = 0, mismatches = 0;
	unsigned made = 0, idle_bad = 0;

	load.workers = cpu_count() > 1 ? cpu_count() - 1 : 1;
	if (load.workers > REKEY_TEST_WORKERS_MAX)
		load.workers = REKEY_TEST_WORKERS_MAX;
	load.region = region_test_create(t, "clock:aes128-xts-mac",
					 REKEY_TEST_PAGES, REKEY_TEST_LIMIT);
	load.idle = region_test_create(t, "clock:lz4,aes256-xts-mac",
				       REKEY_TEST_PAGES, REKEY_TEST_LIMIT);
	for (uint32_t page = 0; page < REKEY_TEST_PAGES; page++)
		region_test_fill(region_page_address(load.idle, page),
				 0x5000 + page);
	KTEST_EXPECT_EQ(t, region_migrate_set_affinity(load.region, 1), REGION_OK);
	KTEST_EXPECT_EQ(t, region_migrate_set_affinity(load.idle, 1), REGION_OK);
	uint64_t start = time_uptime_ns();
	for (; made < load.workers; made++) {
		workers[made] = (struct rekey_worker){ .load = &load,
						       .index = made };
		unsigned cpu = cpu_count() > 1 ? made + 1 : 0;
		threads[made] = thread_create_on("rekey_load",
						 rekey_worker_thread,
						 &workers[made], 1ull << cpu);
		if (!threads[made])
			break;
	}
	struct thread *rotator = made == load.workers ?
		thread_create_on("rekey_rotate", rekey_rotator_thread, &load, 1) :
		NULL;
	if (!rotator)
		__atomic_store_n(&load.done, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < made; i++)
		thread_join(threads[i]);
	if (rotator)
		thread_join(rotator);
	KTEST_ASSERT(t, rotator != NULL);
	for (unsigned i = 0; i < made; i++) {
		accesses += workers[i].accesses;
		writes += workers[i].writes;
		mismatches += workers[i].mismatches;
	}
	for (uint32_t page = 0; page < REKEY_TEST_PAGES; page++) {
		static uint8_t expected[4096];
		region_test_fill(expected, 0x5000 + page);
		idle_bad += memcmp(region_page_address(load.idle, page), expected,
				   sizeof(expected)) != 0;
	}
	region_get_stats(load.region, &stats);
	region_get_stats(load.idle, &idle_stats);
	ktest_log(t, "%u workers on %u CPUs: %u rotations (generation %u -> %u, "
		  "%u retired, %u refused) in %llu ms, %llu accesses (%llu "
		  "writes): %llu mismatches; loaded region %llu migrated, idle "
		  "region %llu migrated, %u idle pages wrong",
		  load.workers, cpu_count(), load.rotations,
		  load.first_generation, load.last_generation, load.retired,
		  load.refused,
		  (unsigned long long)((time_uptime_ns() - start) / 1000000u),
		  (unsigned long long)accesses, (unsigned long long)writes,
		  (unsigned long long)mismatches,
		  (unsigned long long)stats.migrated,
		  (unsigned long long)idle_stats.migrated, idle_bad);
	KTEST_EXPECT_EQ(t, load.rotations, rekey_test_rotations());
	KTEST_EXPECT_EQ(t, load.retired, rekey_test_rotations());
	KTEST_EXPECT_EQ(t, load.pages_left, 0);
	KTEST_EXPECT_EQ(t, load.last_generation,
			load.first_generation + rekey_test_rotations());
	KTEST_EXPECT(t, !cipher_keyring_held(NULL));
	KTEST_EXPECT_EQ(t, mismatches, 0);
	KTEST_EXPECT_EQ(t, idle_bad, 0);
	KTEST_EXPECT_EQ(t, stats.corrupt + stats.poisoned, 0);
	KTEST_EXPECT_EQ(t, idle_stats.corrupt + idle_stats.poisoned, 0);
	/* every sealed page of the idle region moved once per rotation */
	KTEST_EXPECT(t, idle_stats.migrated >=
			(uint64_t)rekey_test_rotations() *
				(REKEY_TEST_PAGES - REKEY_TEST_LIMIT));
	for (unsigned g = load.first_generation; g < load.last_generation; g++) {
		KTEST_EXPECT(t, !region_uses_key_generation(load.region, g, NULL));
		KTEST_EXPECT(t, !region_uses_key_generation(load.idle, g, NULL));
	}
	region_destroy(load.idle);
	region_destroy(load.region);
}

/* After a rotation retired it, the old generation's transform refuses to
 * restore what it sealed (its key is nowhere), and the new instance seals
 * the same page to other bytes. */
KTEST(region_rekey, retired_generation_is_refused)
{
	static uint8_t page[XF_PAGE_BYTES], old_sealed[XF_BUFFER_BYTES],
		new_sealed[XF_BUFFER_BYTES], restored[XF_BUFFER_BYTES];
	const struct xf_page_id id = { .region_id = 77, .page_index = 5 };
	struct region_rekey_report report;
	size_t old_length, new_length, length;
	unsigned generation;

	struct xf_transform *old = xf_lookup("aes128-xts-mac");
	KTEST_ASSERT(t, old != NULL);
	KTEST_ASSERT(t, xf_cipher_generation(old, &generation));
	KTEST_EXPECT_EQ(t, generation, cipher_keyring_generation());
	region_test_fill(page, 42);
	KTEST_ASSERT(t, xf_seal(old, &id, page, XF_PAGE_BYTES, old_sealed,
				XF_BUFFER_BYTES, &old_length) == XF_OK);
	KTEST_ASSERT(t, region_rekey_all(true, &report) == 0);
	KTEST_EXPECT(t, report.retired);
	KTEST_EXPECT_EQ(t, report.old_generation, generation);
	struct xf_transform *next = xf_lookup("aes128-xts-mac");
	unsigned next_generation = 0;
	KTEST_ASSERT(t, next != NULL && next != old);
	KTEST_EXPECT(t, xf_cipher_generation(next, &next_generation));
	KTEST_EXPECT_EQ(t, next_generation, generation + 1);
	KTEST_EXPECT_EQ(t, xf_unseal(old, &id, old_sealed, old_length, restored,
				     XF_PAGE_BYTES, &length), XF_REFUSED);
	KTEST_EXPECT_EQ(t, xf_unseal(next, &id, old_sealed, old_length,
				     restored, XF_PAGE_BYTES, &length),
			XF_CORRUPT);
	KTEST_ASSERT(t, xf_seal(next, &id, page, XF_PAGE_BYTES, new_sealed,
				XF_BUFFER_BYTES, &new_length) == XF_OK);
	KTEST_EXPECT_EQ(t, new_length, old_length);
	KTEST_EXPECT(t, memcmp(new_sealed, old_sealed, old_length) != 0);
	KTEST_EXPECT_EQ(t, xf_unseal(next, &id, new_sealed, new_length,
				     restored, XF_PAGE_BYTES, &length), XF_OK);
	KTEST_EXPECT(t, memcmp(restored, page, XF_PAGE_BYTES) == 0);
}
