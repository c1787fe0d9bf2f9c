/*
 * cpuid: which optional instructions the CPU offers (AES-NI, PCLMULQDQ,
 * SSSE3, SSE4.1, RDRAND, RDSEED). Only arch/x86 knows the CPUID instruction; the
 * rest of the tree asks through cpuid_has(). The function is inline and
 * needs no kernel state, so host tools and tests (on an x86-64 host) use the
 * same check to decide whether an AES-NI path can run.
 */
#ifndef VEIL_ARCH_X86_CPUID_H
#define VEIL_ARCH_X86_CPUID_H

#include <stdbool.h>
#include <stdint.h>

enum cpuid_feature {
	CPUID_FEATURE_SSSE3,	/* leaf 1, ECX bit 9 */
	CPUID_FEATURE_SSE41,	/* leaf 1, ECX bit 19 */
	CPUID_FEATURE_AESNI,	/* leaf 1, ECX bit 25 */
	CPUID_FEATURE_PCLMUL,	/* leaf 1, ECX bit 1 */
	CPUID_FEATURE_RDRAND,	/* leaf 1, ECX bit 30 */
	CPUID_FEATURE_RDSEED,	/* leaf 7 subleaf 0, EBX bit 18 */
};

static inline void cpuid_query(uint32_t leaf, uint32_t subleaf,
			       uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
			       uint32_t *edx)
{
	__asm__ __volatile__("cpuid"
			     : "=a"(*eax), "=b"(*ebx), "=c"(*ecx), "=d"(*edx)
			     : "a"(leaf), "c"(subleaf));
}

static inline bool cpuid_has(enum cpuid_feature feature)
{
	uint32_t eax, ebx, ecx, edx, max_leaf;

	cpuid_query(0, 0, &max_leaf, &ebx, &ecx, &edx);
	switch (feature) {
	case CPUID_FEATURE_SSSE3:
	case CPUID_FEATURE_SSE41:
	case CPUID_FEATURE_AESNI:
	case CPUID_FEATURE_PCLMUL:
	case CPUID_FEATURE_RDRAND:
		if (max_leaf < 1)
			return false;
		cpuid_query(1, 0, &eax, &ebx, &ecx, &edx);
		if (feature == CPUID_FEATURE_SSSE3)
			return ecx & (1u << 9);
		if (feature == CPUID_FEATURE_SSE41)
			return ecx & (1u << 19);
		if (feature == CPUID_FEATURE_AESNI)
			return ecx & (1u << 25);
		if (feature == CPUID_FEATURE_PCLMUL)
			return ecx & (1u << 1);
		return ecx & (1u << 30);
	case CPUID_FEATURE_RDSEED:
		if (max_leaf < 7)
			return false;
		cpuid_query(7, 0, &eax, &ebx, &ecx, &edx);
		return ebx & (1u << 18);
	}
	return false;
}

#endif
