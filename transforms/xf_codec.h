/*
 * The page codecs as xf transforms (transforms/xf_codec.c): "samefill",
 * "wkdm", "lz4", "adaptive" and "dense" (same-filled or dense). Each seals to the sealed-page format of
 * transforms/codec.h (header byte + payload, raw when nothing shrinks), so
 * any of them unseals a page any other sealed. Not in place; max_growth 1.
 */
#ifndef VEIL_TRANSFORMS_XF_CODEC_H
#define VEIL_TRANSFORMS_XF_CODEC_H

#include "transforms/xf.h"

extern struct xf_transform xf_codec_samefill;
extern struct xf_transform xf_codec_wkdm;
extern struct xf_transform xf_codec_lz4;
extern struct xf_transform xf_codec_adaptive;
extern struct xf_transform xf_codec_dense;

/* Allocates CPU cpu's encoder workspace (cpu_memory_alloc); true when it
 * has one. mm_cpu_prepare calls it before the CPU runs; the codecs seal
 * only on prepared CPUs. */
bool xf_codec_cpu_prepare(unsigned cpu);

/* Registers the five; safe to call more than once. */
void xf_codec_register(void);

#endif
