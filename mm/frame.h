/*
 * Whole page frames for mm/ code that needs physical pages and their
 * contents (regions, the page store's provider): the kernel implements
 * these over the frame allocator and the direct map (mm/frame.c); host
 * tests over aligned host memory.
 */
#ifndef VEIL_MM_FRAME_H
#define VEIL_MM_FRAME_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/build_config.h"

#define FRAME_NONE UINT64_MAX
#define FRAME_BYTES 4096u

/* A frame (content undefined), or FRAME_NONE when memory is exhausted. */
uint64_t frame_alloc(void);
void frame_free(uint64_t frame);
/* Where the kernel can read and write the frame. */
void *frame_address(uint64_t frame);
/* Frames free now (for tests that check nothing leaked). */
uint64_t frame_free_count(void);

#if CONFIG_KTEST && !defined(VEIL_HOST)
/*
 * Test builds only (mm/frame.c): a quarantine for the negative control of
 * the stale-TLB detector (mm/tlb_stale_test.c). While it is on, every
 * frame_free keeps the frame out of circulation in slots[] instead of
 * freeing it, so a write through a stale translation (shootdowns off) can
 * land only in a frame nobody else uses; a frame beyond capacity is leaked
 * (never freed, counted) rather than freed. begin returns false when a
 * quarantine is already on. end frees every kept frame and reports how
 * many were kept and leaked: call it only once no CPU may hold a stale
 * translation (shootdowns back on, a full flush done everywhere).
 */
bool frame_quarantine_begin(uint64_t *slots, uint32_t capacity);
void frame_quarantine_end(uint32_t *kept, uint32_t *leaked);
#endif

#endif
