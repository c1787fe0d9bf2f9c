/*
 * Optional CPU instructions portable code may ask about (the ciphers'
 * accelerated paths), by what they do rather than by the architecture's
 * name for them. The architecture answers inline (<arch/cpu_features.h>),
 * with no kernel state, so host tools and tests ask the same way.
 */
#ifndef VEIL_KERNEL_LIB_CPU_FEATURES_H
#define VEIL_KERNEL_LIB_CPU_FEATURES_H

#include <stdbool.h>

enum cpu_feature {
	/* AES rounds in hardware, with the vector instructions the AES path
	 * uses around them. */
	CPU_FEATURE_AES_ROUNDS,
	/* Carry-less multiplication (GHASH-style MACs), with the byte
	 * shuffles that path uses. */
	CPU_FEATURE_CARRYLESS_MULTIPLY,
};

#include <arch/cpu_features.h>

/* True when this CPU offers the feature. */
static inline bool cpu_has(enum cpu_feature feature)
{
	return arch_cpu_has(feature);
}

#endif
