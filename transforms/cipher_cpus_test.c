/*
 * ktest suite "cipher_cpus": the page-encryption key is every CPU's. Each
 * CPU keeps its own debug registers, where the key lives, so keyreg_share
 * copies CPU 0's key to the others at boot; a page sealed on one CPU must
 * come out the same, and restore, on every other.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/sched/sched.h"
#include "transforms/cipher.h"

#define CIPHER_CPUS_BYTES 256

static const struct cipher_key_source cipher_cpus_key = {
	.kind = CIPHER_KEY_CPU_REGISTERS,
};

struct cipher_cpus_job {
	_Alignas(64) uint8_t plain[CIPHER_CPUS_BYTES];
	_Alignas(64) uint8_t sealed[CIPHER_CPUS_BYTES];
	_Alignas(64) uint8_t restored[CIPHER_CPUS_BYTES];
	int seal_status, restore_status;
	unsigned cpu;		/* where it ran */
};

static struct cipher_cpus_job cipher_cpus_jobs[CONFIG_MAX_CPUS];

/* Seals the same bytes as every other CPU, then restores them. */
static void cipher_cpus_work(void *argument)
{
	struct cipher_cpus_job *job = argument;
	const struct cipher_ops *cipher = cipher_select(16);

	for (unsigned i = 0; i < CIPHER_CPUS_BYTES; i++)
		job->plain[i] = (uint8_t)(i * 7 + 1);
	job->seal_status = cipher_seal_page(cipher, &cipher_cpus_key, 3, 5,
					    job->plain, job->sealed,
					    CIPHER_CPUS_BYTES, NULL);
	job->restore_status = cipher_restore_page(cipher, &cipher_cpus_key, 3,
						  5, job->sealed, job->restored,
						  CIPHER_CPUS_BYTES, NULL);
	job->cpu = cpu_current();
}

KTEST(cipher_cpus, every_cpu_seals_with_the_same_key)
{
	unsigned cpus = cpu_count();
	struct thread *threads[CONFIG_MAX_CPUS];

	ktest_log(t, "%u CPUs", cpus);
	for (unsigned i = 0; i < cpus; i++) {
		threads[i] = thread_create_on("cipher_cpus", cipher_cpus_work,
					      &cipher_cpus_jobs[i], 1ull << i);
		KTEST_ASSERT(t, threads[i] != NULL);
	}
	for (unsigned i = 0; i < cpus; i++)
		thread_join(threads[i]);
	for (unsigned i = 0; i < cpus; i++) {
		const struct cipher_cpus_job *job = &cipher_cpus_jobs[i];
		KTEST_EXPECT(t, job->cpu == i);
		KTEST_EXPECT(t, job->seal_status == CIPHER_OK && job->restore_status == CIPHER_OK);
		KTEST_EXPECT(t, memcmp(job->restored, job->plain,
				       CIPHER_CPUS_BYTES) == 0);
		/* The same sealed bytes as CPU 0: the same key, not merely a
		 * key (a CPU with empty registers still round-trips). */
		KTEST_EXPECT(t, memcmp(job->sealed, cipher_cpus_jobs[0].sealed,
				       CIPHER_CPUS_BYTES) == 0);
		KTEST_EXPECT(t, memcmp(job->sealed, job->plain,
				       CIPHER_CPUS_BYTES) != 0);
	}
}
