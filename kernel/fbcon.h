/*
 * fbcon: a text console drawn into a linear RGB framebuffer (what GRUB hands
 * over when booted from UEFI), mirroring printk like the VGA text sink.
 * Portable C: it is given a pointer to the pixels and their layout, so the
 * host tests render into ordinary memory.
 *
 * The console keeps a shadow of the text grid and of what the pixels show,
 * and redraws only the cells that differ at the end of each write (see
 * kernel/fbcon.c for why this beats moving pixel rows).
 */
#ifndef VEIL_KERNEL_FBCON_H
#define VEIL_KERNEL_FBCON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/bootinfo.h"

#define FBCON_GLYPH_WIDTH  8
#define FBCON_GLYPH_HEIGHT 16
/* The shadow grids are fixed arrays (no allocator at boot): 2048x2048
 * pixels of text at most; a larger screen uses its top-left part. */
#define FBCON_MAX_COLUMNS  256
#define FBCON_MAX_ROWS     128
#define FBCON_TAB_WIDTH    8

/* Glyph rows of printable ASCII 0x20-0x7e, bit 7 the leftmost pixel
 * (kernel/fbcon_font.c, generated from tools/fbcon-font.txt). */
#define FBCON_FONT_FIRST 0x20
#define FBCON_FONT_LAST  0x7e
extern const uint8_t fbcon_font[FBCON_FONT_LAST - FBCON_FONT_FIRST + 1]
			       [FBCON_GLYPH_HEIGHT];

struct fbcon {
	uint8_t *pixels;		/* first byte of the top-left pixel */
	uint32_t pitch;			/* bytes from one pixel row to the next */
	uint32_t bytes_per_pixel;	/* 2, 3 or 4 */
	uint32_t foreground, background;	/* packed pixel values */
	unsigned columns, rows;		/* the text grid */
	unsigned column, row;		/* cursor; column == columns: wrap due */
	bool dirty;			/* text differs from shown somewhere */
	char text[FBCON_MAX_ROWS * FBCON_MAX_COLUMNS];	/* what should show */
	char shown[FBCON_MAX_ROWS * FBCON_MAX_COLUMNS];	/* what the pixels show */
};

/*
 * Why fb cannot be drawn on (NULL if it can): only RGB framebuffers of 16,
 * 24 or 32 bits per pixel whose colour fields fit in a pixel, at least one
 * glyph large.
 */
const char *fbcon_unsupported_reason(const struct boot_framebuffer *fb);

/*
 * Sets con up over pixels laid out as fb says and clears the whole
 * framebuffer to the background. Returns false (con untouched) when fb is
 * unsupported.
 */
bool fbcon_init(struct fbcon *con, void *pixels,
		const struct boot_framebuffer *fb);

/* Writes text (newline, carriage return, backspace and tab understood;
 * other control bytes ignored, bytes above 0x7e shown as '?'). */
void fbcon_write(struct fbcon *con, const char *text, size_t length);

/*
 * The kernel's framebuffer console: initialises the one instance over
 * pixels (fb's memory as the caller maps it) and registers it as a console
 * sink. Logs why when fb is unsupported and registers nothing. Returns
 * whether it registered.
 */
bool fbcon_console_init(const struct boot_framebuffer *fb, void *pixels);
/* Whether fbcon_console_init registered the sink. */
bool fbcon_console_registered(void);
/* The registered console's state (for ktests to read), or NULL. */
const struct fbcon *fbcon_console(void);

#endif
