/*
 * ktest suite "sched", cipher case: threads sealing and restoring pages
 * with the AES-XTS ciphers (portable and, where the CPU has it, AES-NI)
 * while time slices switch them. The AES-NI path uses the vector registers
 * only inside fpu_begin/fpu_end, with interrupts off, so no switch happens
 * inside it and no vector state needs saving (docs/smp.md); the portable
 * path uses general registers only and is preempted in the middle. Every
 * sealed page must equal the one computed before any thread ran, and
 * every restore the plaintext.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/sched/sched.h"
#include "transforms/cipher.h"

#define SCHED_CIPHER_THREADS 4u
#define SCHED_CIPHER_PAGE 4096u
#define SCHED_CIPHER_RUN_MS 400u
#define SCHED_CIPHER_WAIT_MS 30000u	/* more, when the CPU ticks slowly */

static const uint8_t sched_cipher_key_bytes[32] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
	0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
	0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe,
	0x2b, 0x73, 0xae, 0xf0, 0x85, 0x7d, 0x77, 0x81,
};
static const struct cipher_key_source sched_cipher_key = {
	.kind = CIPHER_KEY_MEMORY,
	.material = sched_cipher_key_bytes,
	.material_bytes = sizeof(sched_cipher_key_bytes),
};

struct sched_cipher_worker {
	const struct cipher_ops *cipher;
	unsigned index;
	_Alignas(64) uint8_t plain[SCHED_CIPHER_PAGE];
	_Alignas(64) uint8_t expected[SCHED_CIPHER_PAGE];
	_Alignas(64) uint8_t sealed[SCHED_CIPHER_PAGE];
	_Alignas(64) uint8_t restored[SCHED_CIPHER_PAGE];
	uint8_t expected_tag[CIPHER_TAG_BYTES];
	uint8_t tag[CIPHER_TAG_BYTES];
	uint64_t rounds, wrong;
	uint64_t switches_in;	/* the thread's, as it ends */
};

static struct sched_cipher_worker sched_cipher_workers[SCHED_CIPHER_THREADS];
static volatile bool sched_cipher_stop;

static void sched_cipher_work(void *argument)
{
	struct sched_cipher_worker *w = argument;

	while (!sched_cipher_stop) {
		int sealed = cipher_seal_page(w->cipher, &sched_cipher_key, 7,
					      w->index, w->plain, w->sealed,
					      SCHED_CIPHER_PAGE, w->tag);
		int restored = cipher_restore_page(w->cipher, &sched_cipher_key,
						   7, w->index, w->sealed,
						   w->restored,
						   SCHED_CIPHER_PAGE, w->tag);
		if (sealed != 0 || restored != 0 ||
		    memcmp(w->sealed, w->expected, SCHED_CIPHER_PAGE) != 0 ||
		    memcmp(w->tag, w->expected_tag, CIPHER_TAG_BYTES) != 0 ||
		    memcmp(w->restored, w->plain, SCHED_CIPHER_PAGE) != 0)
			w->wrong++;
		w->rounds++;
	}
	w->switches_in = thread_current()->switches_in;
}

/* Every worker has done a round and been switched in twice or more. */
static bool sched_cipher_all_preempted(struct thread *const *threads)
{
	for (unsigned i = 0; i < SCHED_CIPHER_THREADS; i++)
		if (__atomic_load_n(&sched_cipher_workers[i].rounds, __ATOMIC_RELAXED) == 0 ||
		    __atomic_load_n(&threads[i]->switches_in, __ATOMIC_RELAXED) < 2)
			return false;
	return true;
}

KTEST_SLOW(sched, preempted_cipher_threads_compute_right, 60000)
{
	const struct cipher_ops *ciphers[8];
	unsigned cipher_count = 0;
	struct thread *threads[SCHED_CIPHER_THREADS];
	uint64_t here = 1ull << cpu_current();

	for (unsigned c = 0; cipher_all[c] && cipher_count < 8; c++) {
		if (cipher_all[c]->key_bytes == 16 && cipher_all[c]->available())
			ciphers[cipher_count++] = cipher_all[c];
	}
	KTEST_ASSERT(t, cipher_count > 0);
	for (unsigned i = 0; i < SCHED_CIPHER_THREADS; i++) {
		struct sched_cipher_worker *w = &sched_cipher_workers[i];
		w->cipher = ciphers[i % cipher_count];
		w->index = i;
		w->rounds = w->wrong = w->switches_in = 0;
		for (unsigned b = 0; b < SCHED_CIPHER_PAGE; b++)
			w->plain[b] = (uint8_t)(b * 7 + i * 31 + (b >> 8));
		KTEST_ASSERT(t, cipher_seal_page(w->cipher, &sched_cipher_key, 7,
						 i, w->plain, w->expected,
						 SCHED_CIPHER_PAGE,
						 w->expected_tag) == 0);
	}
	sched_cipher_stop = false;
	/* All on this CPU: they can only make progress by preempting each
	 * other. */
	for (unsigned i = 0; i < SCHED_CIPHER_THREADS; i++) {
		threads[i] = thread_create_on("cipher", sched_cipher_work,
					      &sched_cipher_workers[i], here);
		KTEST_ASSERT(t, threads[i] != NULL);
	}
	/* At least SCHED_CIPHER_RUN_MS, then until every thread has done a
	 * round and been switched in again (a host running many emulated
	 * CPUs on few cores drops this CPU's ticks), within a bound. */
	thread_sleep_ms(SCHED_CIPHER_RUN_MS);
	for (unsigned waited = 0; waited < SCHED_CIPHER_WAIT_MS &&
	     !sched_cipher_all_preempted(threads); waited += 50)
		thread_sleep_ms(50);
	sched_cipher_stop = true;
	for (unsigned i = 0; i < SCHED_CIPHER_THREADS; i++)
		thread_join(threads[i]);
	for (unsigned i = 0; i < SCHED_CIPHER_THREADS; i++) {
		struct sched_cipher_worker *w = &sched_cipher_workers[i];
		ktest_log(t, "thread %u (%s): %llu rounds, %llu wrong, switched "
			  "in %llu times", i, w->cipher->name,
			  (unsigned long long)w->rounds,
			  (unsigned long long)w->wrong,
			  (unsigned long long)w->switches_in);
		KTEST_EXPECT(t, w->rounds > 0);
		KTEST_EXPECT_EQ(t, w->wrong, 0);
		/* Preempted at least once after its first switch in. */
		KTEST_EXPECT(t, w->switches_in >= 2);
	}
}
