/*
 * random: RDSEED/RDRAND with retries, and the TSC-jitter fallback.
 *
 * The fallback is honest about being weak: on a CPU without RDRAND (old
 * hardware, or a hypervisor hiding it) the only entropy is when the timer
 * ticks relative to a busy loop and memory traffic. Veil still boots, but
 * warns loudly once at boot that keys made from it are guessable.
 */
#include <stdbool.h>
#include <stdint.h>
#include <arch/cpuid.h>
#include "arch/x86/random.h"
#include "kernel/lib/printk.h"

static bool random_has_rdseed, random_has_rdrand, random_probed;

void random_init(void)
{
	random_has_rdseed = cpuid_has(CPUID_FEATURE_RDSEED);
	random_has_rdrand = cpuid_has(CPUID_FEATURE_RDRAND);
	random_probed = true;
	if (!random_has_rdseed && !random_has_rdrand) {
		log_warn("random: *** NO HARDWARE RANDOMNESS (no RDSEED, no RDRAND) ***");
		log_warn("random: keys come from TSC jitter and may be GUESSABLE;");
		log_warn("random: do not rely on page encryption on this machine");
	} else {
		log_info("random: using %s", random_has_rdseed ? "RDSEED" : "RDRAND");
	}
}

enum random_source random_best_source(void)
{
	if (!random_probed)
		random_init();
	if (random_has_rdseed)
		return RANDOM_SOURCE_RDSEED;
	if (random_has_rdrand)
		return RANDOM_SOURCE_RDRAND;
	return RANDOM_SOURCE_JITTER;
}

const char *random_source_name(enum random_source source)
{
	switch (source) {
	case RANDOM_SOURCE_RDSEED:
		return "rdseed";
	case RANDOM_SOURCE_RDRAND:
		return "rdrand";
	case RANDOM_SOURCE_JITTER:
		return "jitter (weak)";
	}
	return "unknown";
}

static bool random_rdseed(uint64_t *out)
{
	for (int i = 0; i < RANDOM_RDSEED_TRIES; i++) {
		uint64_t value;
		bool ok;

		__asm__ __volatile__("rdseed %0" : "=r"(value), "=@ccc"(ok));
		if (ok) {
			*out = value;
			return true;
		}
		__builtin_ia32_pause();
	}
	return false;
}

static bool random_rdrand(uint64_t *out)
{
	for (int i = 0; i < RANDOM_RDRAND_TRIES; i++) {
		uint64_t value;
		bool ok;

		__asm__ __volatile__("rdrand %0" : "=r"(value), "=@ccc"(ok));
		if (ok) {
			*out = value;
			return true;
		}
	}
	return false;
}

static uint64_t random_rdtsc(void)
{
	uint32_t low, high;

	__asm__ __volatile__("rdtsc" : "=a"(low), "=d"(high));
	return (uint64_t)high << 32 | low;
}

uint64_t random_jitter_u64(void)
{
	uint64_t mix = 0x9e3779b97f4a7c15ull, previous = random_rdtsc();

	/* Each delta carries a few bits of timing noise at best; many rounds
	 * of multiply-rotate mixing spread them over the whole word. */
	for (int i = 0; i < 4096; i++) {
		uint64_t now;

		/* A data-dependent spin, kept by the empty asm. */
		for (int spin = 0; spin < (int)(previous & 15); spin++)
			__asm__ __volatile__("" : : "r"(spin));
		now = random_rdtsc();
		mix ^= now - previous;
		mix *= 0xff51afd7ed558ccdull;
		mix = mix << 23 | mix >> 41;
		previous = now;
	}
	return mix;
}

uint64_t random_u64(enum random_source *used)
{
	enum random_source best = random_best_source();
	uint64_t value;

	if (best == RANDOM_SOURCE_RDSEED && random_rdseed(&value)) {
		if (used)
			*used = RANDOM_SOURCE_RDSEED;
		return value;
	}
	if (best != RANDOM_SOURCE_JITTER && random_has_rdrand &&
	    random_rdrand(&value)) {
		if (used)
			*used = RANDOM_SOURCE_RDRAND;
		return value;
	}
	if (best != RANDOM_SOURCE_JITTER)
		log_warn("random: hardware source failed %d times in a row; using jitter",
			 RANDOM_RDRAND_TRIES);
	if (used)
		*used = RANDOM_SOURCE_JITTER;
	return random_jitter_u64();
}
