/*
 * Whole page frames for mm/ code that needs physical pages and their
 * contents (regions, the page store's provider): the kernel implements
 * these over the frame allocator and the direct map (mm/frame.c); host
 * tests over aligned host memory.
 */
#ifndef VEIL_MM_FRAME_H
#define VEIL_MM_FRAME_H

#include <stdint.h>

#define FRAME_NONE UINT64_MAX
#define FRAME_BYTES 4096u

/* A frame (content undefined), or FRAME_NONE when memory is exhausted. */
uint64_t frame_alloc(void);
void frame_free(uint64_t frame);
/* Where the kernel can read and write the frame. */
void *frame_address(uint64_t frame);
/* Frames free now (for tests that check nothing leaked). */
uint64_t frame_free_count(void);

#endif
