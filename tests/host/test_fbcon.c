/*
 * Host tests of the framebuffer console (kernel/fbcon.c): text is rendered
 * into a framebuffer in ordinary memory and the pixels are read back. A
 * reference check compares every cell with the glyph its grid character
 * should show, so placement, scrolling and wrapping are checked on the
 * pixels, not only on the grid. Canary bytes around the buffer and in each
 * row's pitch slack show that nothing is written outside the picture.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/fbcon.h"
#include "tests/host/htest.h"

#define CANARY 0x5a
#define GUARD  64	/* canary bytes before and after the framebuffer */

struct test_screen {
	struct boot_framebuffer fb;
	uint8_t *memory;	/* guard, pitch * height bytes, guard */
	uint8_t *pixels;
	struct fbcon *con;
};

/* x8r8g8b8, the usual UEFI layout. */
static struct boot_framebuffer test_fb(unsigned width, unsigned height,
				       unsigned bpp, unsigned pitch)
{
	struct boot_framebuffer fb = {
		.address = 0x80000000u, .pitch = pitch, .width = width,
		.height = height, .bits_per_pixel = (uint8_t)bpp,
		.type = BOOT_FRAMEBUFFER_RGB,
		.red_shift = 16, .red_bits = 8, .green_shift = 8,
		.green_bits = 8, .blue_shift = 0, .blue_bits = 8,
	};
	if (bpp == 16) {	/* r5g6b5 */
		fb.red_shift = 11, fb.red_bits = 5;
		fb.green_shift = 5, fb.green_bits = 6;
		fb.blue_shift = 0, fb.blue_bits = 5;
	}
	return fb;
}

static bool screen_open(struct test_screen *s, struct boot_framebuffer fb)
{
	size_t size = (size_t)fb.pitch * fb.height;

	s->fb = fb;
	s->memory = malloc(size + 2 * GUARD);
	s->con = malloc(sizeof(*s->con));
	memset(s->memory, CANARY, size + 2 * GUARD);
	s->pixels = s->memory + GUARD;
	return fbcon_init(s->con, s->pixels, &s->fb);
}

static void screen_close(struct test_screen *s)
{
	free(s->memory);
	free(s->con);
}

static void put(struct test_screen *s, const char *text)
{
	fbcon_write(s->con, text, strlen(text));
}

static uint32_t pixel_at(const struct test_screen *s, unsigned x, unsigned y)
{
	unsigned bytes = s->fb.bits_per_pixel / 8;
	const uint8_t *p = s->pixels + (size_t)y * s->fb.pitch + (size_t)x * bytes;
	uint32_t value = 0;

	for (unsigned i = 0; i < bytes; i++)
		value |= (uint32_t)p[i] << (8 * i);
	return value;
}

static char cell_at(const struct test_screen *s, unsigned column, unsigned row)
{
	return s->con->text[(size_t)row * s->con->columns + column];
}

/* Does the cell at (column, row) show c, pixel for pixel? */
static bool cell_shows(const struct test_screen *s, unsigned column,
		       unsigned row, char c)
{
	const uint8_t *glyph = fbcon_font[(unsigned char)c - FBCON_FONT_FIRST];

	for (unsigned y = 0; y < FBCON_GLYPH_HEIGHT; y++) {
		for (unsigned x = 0; x < FBCON_GLYPH_WIDTH; x++) {
			bool lit = glyph[y] & (0x80u >> x);
			uint32_t want = lit ? s->con->foreground : s->con->background;
			if (pixel_at(s, column * FBCON_GLYPH_WIDTH + x,
				     row * FBCON_GLYPH_HEIGHT + y) != want)
				return false;
		}
	}
	return true;
}

/* Every cell shows its grid character, and the margins right of and below
 * the grid are background. */
static bool screen_consistent(const struct test_screen *s)
{
	for (unsigned row = 0; row < s->con->rows; row++)
		for (unsigned column = 0; column < s->con->columns; column++)
			if (!cell_shows(s, column, row, cell_at(s, column, row)))
				return false;
	for (unsigned y = 0; y < s->fb.height; y++)
		for (unsigned x = 0; x < s->fb.width; x++) {
			bool in_grid = x < s->con->columns * FBCON_GLYPH_WIDTH &&
				       y < s->con->rows * FBCON_GLYPH_HEIGHT;
			if (!in_grid && pixel_at(s, x, y) != s->con->background)
				return false;
		}
	return true;
}

/* The guards and every row's bytes past width * bytes per pixel still
 * hold the canary. */
static bool canaries_intact(const struct test_screen *s)
{
	size_t row_bytes = (size_t)s->fb.width * (s->fb.bits_per_pixel / 8);

	for (size_t i = 0; i < GUARD; i++)
		if (s->memory[i] != CANARY ||
		    s->pixels[(size_t)s->fb.pitch * s->fb.height + i] != CANARY)
			return false;
	for (unsigned y = 0; y < s->fb.height; y++)
		for (size_t i = row_bytes; i < s->fb.pitch; i++)
			if (s->pixels[(size_t)y * s->fb.pitch + i] != CANARY)
				return false;
	return true;
}

HTEST(unsupported_formats_are_refused)
{
	struct boot_framebuffer fb = test_fb(640, 480, 32, 2560);
	struct fbcon *con = malloc(sizeof(*con));
	static uint8_t pixels[16];

	HCHECK(fbcon_unsupported_reason(&fb) == NULL);
	fb.type = BOOT_FRAMEBUFFER_INDEXED;
	HCHECK(fbcon_unsupported_reason(&fb) != NULL);
	fb.type = BOOT_FRAMEBUFFER_EGA_TEXT;
	HCHECK(fbcon_unsupported_reason(&fb) != NULL);
	fb = test_fb(640, 480, 8, 640);
	HCHECK(fbcon_unsupported_reason(&fb) != NULL);
	fb = test_fb(640, 480, 15, 1280);
	HCHECK(fbcon_unsupported_reason(&fb) != NULL);
	fb = test_fb(640, 480, 16, 1280);
	fb.red_shift = 12;	/* 12 + 5 bits > 16 */
	HCHECK(fbcon_unsupported_reason(&fb) != NULL);
	fb = test_fb(640, 480, 32, 2560);
	fb.blue_bits = 0;
	HCHECK(fbcon_unsupported_reason(&fb) != NULL);
	fb = test_fb(640, 480, 32, 2559);	/* pitch too short */
	HCHECK(fbcon_unsupported_reason(&fb) != NULL);
	fb = test_fb(7, 480, 32, 28);		/* narrower than a glyph */
	HCHECK(fbcon_unsupported_reason(&fb) != NULL);
	fb = test_fb(640, 15, 32, 2560);	/* lower than a glyph */
	HCHECK(fbcon_unsupported_reason(&fb) != NULL);
	HCHECK(!fbcon_init(con, pixels, &fb));
	/* The kernel's sink: nothing registered, nothing drawn. */
	fb.type = BOOT_FRAMEBUFFER_INDEXED;
	HCHECK(!fbcon_console_init(&fb, pixels));
	HCHECK(!fbcon_console_registered());
	HCHECK(fbcon_console() == NULL);
	for (size_t i = 0; i < sizeof(pixels); i++)
		HCHECK_EQ(pixels[i], 0);
	free(con);
}

HTEST(glyphs_land_in_their_cells)
{
	struct test_screen s;

	HCHECK(screen_open(&s, test_fb(800, 600, 32, 3200)));
	HCHECK_EQ(s.con->columns, 100);
	HCHECK_EQ(s.con->rows, 37);
	HCHECK_EQ(s.con->foreground, 0xaaaaaa);
	HCHECK_EQ(s.con->background, 0);
	put(&s, "Veil\nok");
	HCHECK_EQ(cell_at(&s, 0, 0), 'V');
	HCHECK_EQ(cell_at(&s, 3, 0), 'l');
	HCHECK_EQ(cell_at(&s, 0, 1), 'o');
	HCHECK_EQ(cell_at(&s, 1, 1), 'k');
	HCHECK(cell_shows(&s, 0, 0, 'V'));
	HCHECK(cell_shows(&s, 1, 1, 'k'));
	HCHECK(!cell_shows(&s, 1, 1, 'o'));
	HCHECK(screen_consistent(&s));
	HCHECK(canaries_intact(&s));
	screen_close(&s);
}

/* Every glyph is distinct and lit somewhere (except space), so no two
 * characters can be confused on screen. */
HTEST(font_glyphs_are_distinct)
{
	unsigned count = FBCON_FONT_LAST - FBCON_FONT_FIRST + 1;

	for (unsigned a = 0; a < count; a++) {
		bool lit = false;
		for (unsigned y = 0; y < FBCON_GLYPH_HEIGHT; y++)
			lit |= fbcon_font[a][y] != 0;
		HCHECK(lit == (a != ' ' - FBCON_FONT_FIRST));
		for (unsigned b = a + 1; b < count; b++)
			if (!memcmp(fbcon_font[a], fbcon_font[b],
				    FBCON_GLYPH_HEIGHT))
				htest_log("0x%02x and 0x%02x look the same",
					  a + FBCON_FONT_FIRST, b + FBCON_FONT_FIRST);
	}
	for (unsigned a = 0; a < count; a++)
		for (unsigned b = a + 1; b < count; b++)
			HCHECK(memcmp(fbcon_font[a], fbcon_font[b],
				      FBCON_GLYPH_HEIGHT) != 0);
}

HTEST(colour_fields_16_and_24_bpp)
{
	struct test_screen s;

	HCHECK(screen_open(&s, test_fb(64, 32, 16, 128)));
	/* 0xaa in r5g6b5: 21, 42, 21. */
	HCHECK_EQ(s.con->foreground, (21u << 11) | (42u << 5) | 21u);
	put(&s, "#");
	HCHECK(screen_consistent(&s));
	HCHECK(canaries_intact(&s));
	screen_close(&s);

	struct boot_framebuffer fb = test_fb(64, 32, 24, 192);
	fb.red_shift = 0, fb.blue_shift = 16;	/* b8g8r8 order */
	HCHECK(screen_open(&s, fb));
	HCHECK_EQ(s.con->foreground, 0xaaaaaa);
	put(&s, "@");
	HCHECK(cell_shows(&s, 0, 0, '@'));
	HCHECK(screen_consistent(&s));
	HCHECK(canaries_intact(&s));
	screen_close(&s);
}

HTEST(control_characters)
{
	struct test_screen s;

	HCHECK(screen_open(&s, test_fb(160, 64, 32, 640)));	/* 20x4 */
	put(&s, "abc\rX");
	HCHECK_EQ(cell_at(&s, 0, 0), 'X');
	HCHECK_EQ(cell_at(&s, 1, 0), 'b');
	put(&s, "\b\bY");	/* backspace stops at column 0 */
	HCHECK_EQ(cell_at(&s, 0, 0), 'Y');
	put(&s, "\n\tT\tU");
	HCHECK_EQ(cell_at(&s, 8, 1), 'T');
	HCHECK_EQ(cell_at(&s, 16, 1), 'U');
	HCHECK_EQ(cell_at(&s, 9, 1), ' ');
	put(&s, "\tV");		/* tab past the last stop: next line */
	HCHECK_EQ(s.con->row, 2);
	HCHECK_EQ(cell_at(&s, 0, 2), 'V');
	put(&s, "\x01\x7f\xc3");	/* control byte ignored, others '?' */
	HCHECK_EQ(cell_at(&s, 1, 2), '?');
	HCHECK_EQ(cell_at(&s, 2, 2), '?');
	HCHECK_EQ(s.con->column, 3);
	HCHECK(screen_consistent(&s));
	HCHECK(canaries_intact(&s));
	screen_close(&s);
}

HTEST(long_lines_wrap)
{
	struct test_screen s;

	HCHECK(screen_open(&s, test_fb(80, 64, 32, 320)));	/* 10x4 */
	put(&s, "0123456789");	/* exactly one line: no wrap yet */
	HCHECK_EQ(s.con->row, 0);
	put(&s, "\nabc");
	HCHECK_EQ(s.con->row, 1);
	HCHECK_EQ(cell_at(&s, 0, 1), 'a');
	put(&s, "defghijKL");	/* wraps after 'j' */
	HCHECK_EQ(cell_at(&s, 9, 1), 'j');
	HCHECK_EQ(cell_at(&s, 0, 2), 'K');
	HCHECK_EQ(cell_at(&s, 1, 2), 'L');
	HCHECK(screen_consistent(&s));
	screen_close(&s);
}

HTEST(scrolling_moves_text_up)
{
	struct test_screen s;
	char line[32];

	HCHECK(screen_open(&s, test_fb(96, 48, 32, 384)));	/* 12x3 */
	for (int i = 0; i < 7; i++) {
		snprintf(line, sizeof(line), "line %d\n", i);
		put(&s, line);
	}
	/* Lines 5 and 6 stay, then the empty line the cursor is on. */
	HCHECK(!memcmp(s.con->text, "line 5      ", 12));
	HCHECK(!memcmp(s.con->text + 12, "line 6      ", 12));
	HCHECK(!memcmp(s.con->text + 24, "            ", 12));
	HCHECK_EQ(s.con->row, 2);
	HCHECK(screen_consistent(&s));
	/* Several lines in one write: scrolled in the grid, drawn once. */
	put(&s, "a\nb\nc\nd");
	HCHECK(!memcmp(s.con->text, "b           c           d", 25));
	HCHECK(screen_consistent(&s));
	HCHECK(canaries_intact(&s));
	screen_close(&s);
}

/* Odd sizes and pitches, each depth: lots of text with wrapping and
 * scrolling, then the canaries and the picture are checked. */
HTEST(nothing_written_outside_the_framebuffer)
{
	static const char text[] =
		"The quick brown fox jumps over the lazy dog.\n"
		"0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\tTAB\n"
		"a very long line that wraps around the small screens several times\r\b\b";
	static const unsigned widths[] = { 8, 9, 15, 17, 63, 100 };
	static const unsigned heights[] = { 16, 17, 31, 33, 50 };
	static const unsigned bpps[] = { 16, 24, 32 };
	static const unsigned slacks[] = { 0, 1, 3, 7 };
	unsigned failures = 0;

	for (unsigned w = 0; w < 6; w++)
	for (unsigned h = 0; h < 5; h++)
	for (unsigned b = 0; b < 3; b++)
	for (unsigned k = 0; k < 4; k++) {
		struct test_screen s;
		unsigned pitch = widths[w] * bpps[b] / 8 + slacks[k];
		if (!screen_open(&s, test_fb(widths[w], heights[h], bpps[b],
					     pitch))) {
			failures++;
			screen_close(&s);
			continue;
		}
		for (int i = 0; i < 5; i++)
			put(&s, text);
		if (!canaries_intact(&s) || !screen_consistent(&s)) {
			htest_log("%ux%u, %u bpp, pitch %u", widths[w],
				  heights[h], bpps[b], pitch);
			failures++;
		}
		screen_close(&s);
	}
	HCHECK_EQ(failures, 0);
}

/* A screen wider and taller than the shadow grids uses their size and
 * leaves the rest background. */
HTEST(large_screen_is_clipped_to_the_grid)
{
	struct test_screen s;
	unsigned width = FBCON_MAX_COLUMNS * FBCON_GLYPH_WIDTH + 13;
	unsigned height = FBCON_MAX_ROWS * FBCON_GLYPH_HEIGHT + 5;

	HCHECK(screen_open(&s, test_fb(width, height, 32, width * 4 + 4)));
	HCHECK_EQ(s.con->columns, FBCON_MAX_COLUMNS);
	HCHECK_EQ(s.con->rows, FBCON_MAX_ROWS);
	for (unsigned i = 0; i < FBCON_MAX_ROWS + 3; i++)
		put(&s, "scroll a large screen\n");
	HCHECK(screen_consistent(&s));
	HCHECK(canaries_intact(&s));
	screen_close(&s);
}
