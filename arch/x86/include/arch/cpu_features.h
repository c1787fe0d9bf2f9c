/*
 * kernel/lib/cpu_features.h on x86-64: each arch-neutral feature is the
 * CPUID bits of the instructions its code path uses.
 */
#ifndef VEIL_ARCH_X86_CPU_FEATURES_H
#define VEIL_ARCH_X86_CPU_FEATURES_H

#include <stdbool.h>
#include <arch/cpuid.h>

static inline bool arch_cpu_has(enum cpu_feature feature)
{
	switch (feature) {
	case CPU_FEATURE_AES_ROUNDS:
		return cpuid_has(CPUID_FEATURE_AESNI) &&
		       cpuid_has(CPUID_FEATURE_SSE41);
	case CPU_FEATURE_CARRYLESS_MULTIPLY:
		return cpuid_has(CPUID_FEATURE_PCLMUL) &&
		       cpuid_has(CPUID_FEATURE_SSSE3);
	}
	return false;
}

#endif
