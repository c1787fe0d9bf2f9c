/*
 * fbcon: a text console in a linear RGB framebuffer (see kernel/fbcon.h).
 * Text goes into a shadow grid of characters; at the end of each write the
 * cells whose character differs from what the pixels show are redrawn.
 *
 * Why a shadow grid instead of moving pixel rows to scroll: framebuffer
 * memory is slow to read (uncached or write-combining on real hardware), so
 * a memmove of the pixels, which reads the whole screen for every scrolled
 * line, costs far more than it looks. Scrolling the grid moves a few KiB of
 * ordinary memory; the redraw then only writes pixels, skips cells that are
 * blank before and after (most of a log line's right side), and a write
 * holding several lines scrolls several times but redraws once (printk
 * hands over one line per write, so at boot that is one redraw a line).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/console.h"
#include "kernel/fbcon.h"
#include "kernel/lib/printk.h"

/* Light grey on black, like the VGA text console. */
#define FBCON_FOREGROUND_LEVEL 0xaa
#define FBCON_BACKGROUND_LEVEL 0x00

static bool fbcon_field_fits(unsigned shift, unsigned bits, unsigned bpp)
{
	return bits >= 1 && bits <= 8 && shift + bits <= bpp;
}

const char *fbcon_unsupported_reason(const struct boot_framebuffer *fb)
{
	unsigned bpp = fb->bits_per_pixel;

	if (fb->type != BOOT_FRAMEBUFFER_RGB)
		return "not an RGB framebuffer";
	if (bpp != 16 && bpp != 24 && bpp != 32)
		return "unsupported bits per pixel";
	if (!fbcon_field_fits(fb->red_shift, fb->red_bits, bpp) ||
	    !fbcon_field_fits(fb->green_shift, fb->green_bits, bpp) ||
	    !fbcon_field_fits(fb->blue_shift, fb->blue_bits, bpp))
		return "colour fields do not fit a pixel";
	if (fb->width < FBCON_GLYPH_WIDTH || fb->height < FBCON_GLYPH_HEIGHT)
		return "smaller than one character";
	if ((uint64_t)fb->width * (bpp / 8) > fb->pitch)
		return "pitch shorter than a row of pixels";
	return NULL;
}

/* An 8-bit level scaled into a colour field of the pixel. */
static uint32_t fbcon_field(unsigned level, unsigned shift, unsigned bits)
{
	return (uint32_t)(level >> (8 - bits)) << shift;
}

static uint32_t fbcon_grey(const struct boot_framebuffer *fb, unsigned level)
{
	return fbcon_field(level, fb->red_shift, fb->red_bits) |
	       fbcon_field(level, fb->green_shift, fb->green_bits) |
	       fbcon_field(level, fb->blue_shift, fb->blue_bits);
}

/* Pixels are little-endian packed values; the 32-bit case is one store
 * (pitch may be odd, so the store must not assume alignment). */
static void fbcon_put_pixel(uint8_t *pixel, unsigned bytes, uint32_t value)
{
	if (bytes == 4) {
		__builtin_memcpy(pixel, &value, 4);
		return;
	}
	for (unsigned i = 0; i < bytes; i++)
		pixel[i] = (uint8_t)(value >> (8 * i));
}

static void fbcon_clear_pixels(struct fbcon *con, unsigned width,
			       unsigned height)
{
	for (unsigned y = 0; y < height; y++) {
		uint8_t *pixel = con->pixels + (size_t)y * con->pitch;
		for (unsigned x = 0; x < width; x++) {
			fbcon_put_pixel(pixel, con->bytes_per_pixel,
					con->background);
			pixel += con->bytes_per_pixel;
		}
	}
}

static unsigned fbcon_min(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

bool fbcon_init(struct fbcon *con, void *pixels,
		const struct boot_framebuffer *fb)
{
	if (!pixels || fbcon_unsupported_reason(fb))
		return false;
	con->pixels = pixels;
	con->pitch = fb->pitch;
	con->bytes_per_pixel = fb->bits_per_pixel / 8;
	con->foreground = fbcon_grey(fb, FBCON_FOREGROUND_LEVEL);
	con->background = fbcon_grey(fb, FBCON_BACKGROUND_LEVEL);
	con->columns = fbcon_min(fb->width / FBCON_GLYPH_WIDTH,
				 FBCON_MAX_COLUMNS);
	con->rows = fbcon_min(fb->height / FBCON_GLYPH_HEIGHT, FBCON_MAX_ROWS);
	con->column = con->row = 0;
	con->dirty = false;
	/* The whole screen, margins too, so no firmware picture remains;
	 * the grids then agree that every cell shows a blank. */
	fbcon_clear_pixels(con, fb->width, fb->height);
	memset(con->text, ' ', sizeof(con->text));
	memset(con->shown, ' ', sizeof(con->shown));
	return true;
}

static const uint8_t *fbcon_glyph(char c)
{
	unsigned char index = (unsigned char)c;

	if (index < FBCON_FONT_FIRST || index > FBCON_FONT_LAST)
		index = '?';
	return fbcon_font[index - FBCON_FONT_FIRST];
}

static void fbcon_draw_glyph_row(const struct fbcon *con, uint8_t *pixel,
				 uint8_t bits)
{
	for (unsigned x = 0; x < FBCON_GLYPH_WIDTH; x++) {
		bool lit = bits & (0x80u >> x);
		fbcon_put_pixel(pixel, con->bytes_per_pixel,
				lit ? con->foreground : con->background);
		pixel += con->bytes_per_pixel;
	}
}

static void fbcon_draw_cell(const struct fbcon *con, unsigned column,
			    unsigned row, char c)
{
	const uint8_t *glyph = fbcon_glyph(c);
	uint8_t *line = con->pixels +
			(size_t)row * FBCON_GLYPH_HEIGHT * con->pitch +
			(size_t)column * FBCON_GLYPH_WIDTH * con->bytes_per_pixel;

	for (unsigned y = 0; y < FBCON_GLYPH_HEIGHT; y++) {
		fbcon_draw_glyph_row(con, line, glyph[y]);
		line += con->pitch;
	}
}

/* Brings the pixels in line with the text grid, cell by changed cell. */
static void fbcon_flush(struct fbcon *con)
{
	if (!con->dirty)
		return;
	for (unsigned row = 0; row < con->rows; row++) {
		for (unsigned column = 0; column < con->columns; column++) {
			size_t cell = (size_t)row * con->columns + column;
			if (con->text[cell] == con->shown[cell])
				continue;
			fbcon_draw_cell(con, column, row, con->text[cell]);
			con->shown[cell] = con->text[cell];
		}
	}
	con->dirty = false;
}

/* Moves the text up one line; the pixels follow at the next flush. */
static void fbcon_scroll(struct fbcon *con)
{
	size_t kept = (size_t)(con->rows - 1) * con->columns;

	memmove(con->text, con->text + con->columns, kept);
	memset(con->text + kept, ' ', con->columns);
	con->row = con->rows - 1;
	con->dirty = true;
}

static void fbcon_newline(struct fbcon *con)
{
	con->column = 0;
	if (++con->row == con->rows)
		fbcon_scroll(con);
}

/* A character in the last column leaves the cursor one past it: the wrap
 * happens only if more text follows on that line, so a line exactly as wide
 * as the screen followed by '\n' takes one line, not two. */
static void fbcon_put_printable(struct fbcon *con, char c)
{
	if (con->column == con->columns)
		fbcon_newline(con);
	con->text[(size_t)con->row * con->columns + con->column] = c;
	con->column++;
	con->dirty = true;
}

/* Tab moves the cursor to the next stop without erasing what it passes. */
static void fbcon_tab(struct fbcon *con)
{
	if (con->column == con->columns)
		fbcon_newline(con);
	unsigned stop = (con->column / FBCON_TAB_WIDTH + 1) * FBCON_TAB_WIDTH;
	con->column = fbcon_min(stop, con->columns);
}

static void fbcon_putc(struct fbcon *con, char c)
{
	unsigned char byte = (unsigned char)c;

	if (c == '\n')
		fbcon_newline(con);
	else if (c == '\r')
		con->column = 0;
	else if (c == '\b')
		con->column -= con->column > 0;
	else if (c == '\t')
		fbcon_tab(con);
	else if (byte > FBCON_FONT_LAST)
		fbcon_put_printable(con, '?');
	else if (byte >= FBCON_FONT_FIRST)
		fbcon_put_printable(con, c);
}

void fbcon_write(struct fbcon *con, const char *text, size_t length)
{
	for (size_t i = 0; i < length; i++)
		fbcon_putc(con, text[i]);
	fbcon_flush(con);
}

/* The kernel's one framebuffer console; written only under printk's lock
 * (console sinks are called with it held), set up once at boot. */
static struct fbcon fbcon_console_state;
static bool fbcon_console_is_registered;

static void fbcon_console_write(const char *text, size_t length)
{
	fbcon_write(&fbcon_console_state, text, length);
}

static const struct console_ops fbcon_console_ops = {
	.name = "framebuffer",
	.write = fbcon_console_write,
};

bool fbcon_console_init(const struct boot_framebuffer *fb, void *pixels)
{
	const char *why = pixels ? fbcon_unsupported_reason(fb)
				 : "its memory is not mapped";

	if (why || !fbcon_init(&fbcon_console_state, pixels, fb) ||
	    console_register(&fbcon_console_ops) != 0) {
		log_warn("fbcon: framebuffer type %u, %ux%u, %u bpp not used "
			 "as a console: %s", fb->type, fb->width, fb->height,
			 fb->bits_per_pixel, why ? why : "console table full");
		return false;
	}
	fbcon_console_is_registered = true;
	log_info("fbcon: %ux%u text console on the %ux%u, %u bpp framebuffer "
		 "(pitch %u)", fbcon_console_state.columns,
		 fbcon_console_state.rows, fb->width, fb->height,
		 fb->bits_per_pixel, fb->pitch);
	return true;
}

bool fbcon_console_registered(void)
{
	return fbcon_console_is_registered;
}

const struct fbcon *fbcon_console(void)
{
	return fbcon_console_is_registered ? &fbcon_console_state : NULL;
}
