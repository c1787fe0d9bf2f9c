/*
 * random: hardware random numbers (RDSEED, then RDRAND, each with bounded
 * retries) and the documented fallback when the CPU has neither: timer
 * jitter mixed into a word, weak, announced by a loud warning at boot.
 */
#ifndef VEIL_ARCH_X86_RANDOM_H
#define VEIL_ARCH_X86_RANDOM_H

#include <stdbool.h>
#include <stdint.h>

enum random_source {
	RANDOM_SOURCE_RDSEED,	/* the entropy source itself */
	RANDOM_SOURCE_RDRAND,	/* the DRBG it reseeds */
	RANDOM_SOURCE_JITTER,	/* no hardware source: TSC jitter (weak) */
};

/* RDSEED is retried this often (it may run dry under load), RDRAND this
 * often (Intel's guidance: ten failures in a row mean a broken unit). */
#define RANDOM_RDSEED_TRIES 1024
#define RANDOM_RDRAND_TRIES 16

/* Probes CPUID once; warns loudly when only the jitter fallback exists. */
void random_init(void);
/* The best source this CPU has (after random_init()). */
enum random_source random_best_source(void);
const char *random_source_name(enum random_source source);

/* One 64-bit word from the best source that delivers; *used says which.
 * Never fails: the jitter fallback always produces a word. */
uint64_t random_u64(enum random_source *used);

/* The fallback on its own: TSC deltas over a busy loop, mixed. */
uint64_t random_jitter_u64(void);

#endif
