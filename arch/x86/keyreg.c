/*
 * keyreg: the page-encryption key in DR0-DR3 (see keyreg.h).
 *
 * Generation never routes a key word through memory: one asm statement
 * per register runs RDSEED (or RDRAND) into RAX, retries on failure, moves
 * RAX into the debug register on success and clears RAX. Only the jitter
 * fallback computes its word in C; the compiler keeps it in a register in
 * practice but C cannot promise that (docs/encryption.md).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <arch/keyreg.h>
#include "arch/x86/random.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/smp.h"

/* DR7 with every breakpoint disabled (bit 10 reads as one). */
#define KEYREG_DR7_DISABLED 0x400ul

static enum keyreg_origin keyreg_current = KEYREG_EMPTY;

/* Random instruction straight into a debug register; returns success. */
#define KEYREG_FILL(debug_register, instruction, tries)                        \
	({                                                                     \
		unsigned long filled_;                                         \
		__asm__ __volatile__(                                          \
			"mov %[count], %%ecx\n\t"                              \
			"1: " instruction " %%rax\n\t"                         \
			"jc 2f\n\t"                                            \
			"pause\n\t"                                            \
			"dec %%ecx\n\t"                                        \
			"jnz 1b\n\t"                                           \
			"xor %%eax, %%eax\n\t"                                 \
			"jmp 3f\n"                                             \
			"2:\n\t"                                               \
			"mov %%rax, %%" debug_register "\n\t"                  \
			"mov $1, %%eax\n"                                      \
			"3:"                                                   \
			: "=a"(filled_)                                        \
			: [count] "i"(tries)                                   \
			: "rcx", "cc");                                        \
		filled_ != 0;                                                  \
	})

static void keyreg_write(unsigned index, uint64_t value)
{
	switch (index) {
	case 0:
		__asm__ __volatile__("mov %0, %%dr0" : : "r"(value));
		break;
	case 1:
		__asm__ __volatile__("mov %0, %%dr1" : : "r"(value));
		break;
	case 2:
		__asm__ __volatile__("mov %0, %%dr2" : : "r"(value));
		break;
	default:
		__asm__ __volatile__("mov %0, %%dr3" : : "r"(value));
		break;
	}
}

static uint64_t keyreg_read_one(unsigned index)
{
	uint64_t value;

	switch (index) {
	case 0:
		__asm__ __volatile__("mov %%dr0, %0" : "=r"(value));
		break;
	case 1:
		__asm__ __volatile__("mov %%dr1, %0" : "=r"(value));
		break;
	case 2:
		__asm__ __volatile__("mov %%dr2, %0" : "=r"(value));
		break;
	default:
		__asm__ __volatile__("mov %%dr3, %0" : "=r"(value));
		break;
	}
	return value;
}

static bool keyreg_fill_rdseed(unsigned index)
{
	switch (index) {
	case 0:
		return KEYREG_FILL("dr0", "rdseed", RANDOM_RDSEED_TRIES);
	case 1:
		return KEYREG_FILL("dr1", "rdseed", RANDOM_RDSEED_TRIES);
	case 2:
		return KEYREG_FILL("dr2", "rdseed", RANDOM_RDSEED_TRIES);
	default:
		return KEYREG_FILL("dr3", "rdseed", RANDOM_RDSEED_TRIES);
	}
}

static bool keyreg_fill_rdrand(unsigned index)
{
	switch (index) {
	case 0:
		return KEYREG_FILL("dr0", "rdrand", RANDOM_RDRAND_TRIES);
	case 1:
		return KEYREG_FILL("dr1", "rdrand", RANDOM_RDRAND_TRIES);
	case 2:
		return KEYREG_FILL("dr2", "rdrand", RANDOM_RDRAND_TRIES);
	default:
		return KEYREG_FILL("dr3", "rdrand", RANDOM_RDRAND_TRIES);
	}
}

enum keyreg_origin keyreg_generate(void)
{
	enum random_source best = random_best_source();
	enum keyreg_origin origin = KEYREG_FROM_RDSEED;

	__asm__ __volatile__("mov %0, %%dr7" : : "r"(KEYREG_DR7_DISABLED));
	for (unsigned i = 0; i < 4; i++) {
		if (best == RANDOM_SOURCE_RDSEED && keyreg_fill_rdseed(i))
			continue;
		if (best != RANDOM_SOURCE_JITTER && keyreg_fill_rdrand(i)) {
			if (origin == KEYREG_FROM_RDSEED)
				origin = KEYREG_FROM_RDRAND;
			continue;
		}
		keyreg_write(i, random_jitter_u64());
		origin = KEYREG_FROM_JITTER;
	}
	keyreg_current = origin;
	if (origin == KEYREG_FROM_JITTER)
		log_warn("keyreg: *** page-encryption key made from TSC JITTER: "
			 "it may be GUESSABLE ***");
	else
		log_info("keyreg: page-encryption key in DR0-DR3 from %s",
			 keyreg_origin_name(origin));
	return origin;
}

void keyreg_set_test_key(const uint8_t key[KEYREG_BYTES])
{
	__asm__ __volatile__("mov %0, %%dr7" : : "r"(KEYREG_DR7_DISABLED));
	for (unsigned i = 0; i < 4; i++) {
		uint64_t word;

		memcpy(&word, key + 8 * i, 8);
		keyreg_write(i, word);
	}
	keyreg_current = KEYREG_FROM_TEST_KEY;
	log_warn("keyreg: a KNOWN TEST KEY is loaded: sealed pages are not secret");
}

/* On the receiving CPU (an IPI of smp_call_on): the key words from the
 * sender's box into this CPU's debug registers. */
static void keyreg_receive(void *argument)
{
	const uint64_t *words = argument;

	__asm__ __volatile__("mov %0, %%dr7" : : "r"(KEYREG_DR7_DISABLED));
	for (unsigned i = 0; i < 4; i++)
		keyreg_write(i, words[i]);
}

void keyreg_share(void)
{
	/* volatile: the wipe below must not be dropped as a dead store. */
	volatile uint64_t words[4];
	unsigned self = cpu_current();

	if (cpu_count() < 2)
		return;
	for (unsigned i = 0; i < 4; i++)
		words[i] = keyreg_read_one(i);
	for (unsigned cpu = 0; cpu < cpu_count(); cpu++)
		if (cpu != self)
			smp_call_on(cpu, keyreg_receive, (void *)words);
	for (unsigned i = 0; i < 4; i++)
		words[i] = 0;
	log_info("keyreg: key copied to the debug registers of the %u other "
		 "CPUs", cpu_count() - 1);
}

/* The box of keyreg_share_generation: the words, and where each receiving
 * CPU notes the generation its registers now hold. */
struct keyreg_generation_box {
	volatile uint64_t words[4];
	volatile unsigned *cpu_generation;
	unsigned generation;
};

/* On the receiving CPU, interrupts off: the key, then its generation, so
 * that no seal of this CPU sees one without the other. */
static void keyreg_receive_generation(void *argument)
{
	struct keyreg_generation_box *box = argument;

	keyreg_receive((void *)box->words);
	__atomic_store_n(&box->cpu_generation[cpu_current()], box->generation,
			 __ATOMIC_RELEASE);
}

void keyreg_share_generation(volatile unsigned *cpu_generation,
			     unsigned generation)
{
	struct keyreg_generation_box box = {
		.cpu_generation = cpu_generation, .generation = generation,
	};
	unsigned self = cpu_current();

	for (unsigned i = 0; i < 4; i++)
		box.words[i] = keyreg_read_one(i);
	for (unsigned cpu = 0; cpu < cpu_count(); cpu++)
		if (cpu != self)
			smp_call_on(cpu, keyreg_receive_generation, &box);
	for (unsigned i = 0; i < 4; i++)
		box.words[i] = 0;
}

void keyreg_read(uint8_t key[KEYREG_BYTES])
{
	for (unsigned i = 0; i < 4; i++) {
		uint64_t word = keyreg_read_one(i);

		memcpy(key + 8 * i, &word, 8);
	}
}

void keyreg_clear(void)
{
	for (unsigned i = 0; i < 4; i++)
		keyreg_write(i, 0);
	keyreg_current = KEYREG_EMPTY;
}

enum keyreg_origin keyreg_origin(void)
{
	return keyreg_current;
}

const char *keyreg_origin_name(enum keyreg_origin origin)
{
	switch (origin) {
	case KEYREG_EMPTY:
		return "none";
	case KEYREG_FROM_RDSEED:
		return "rdseed";
	case KEYREG_FROM_RDRAND:
		return "rdrand";
	case KEYREG_FROM_JITTER:
		return "tsc jitter (weak)";
	case KEYREG_FROM_TEST_KEY:
		return "test key";
	}
	return "unknown";
}
