/*
 * ktest suite "fbcon": on a machine whose boot loader handed over an RGB
 * framebuffer (UEFI boots), the framebuffer console is a registered sink
 * and printk's text reaches its grid. Skipped on a VGA text screen or when
 * there is no framebuffer at all.
 */
#include <stddef.h>
#include <string.h>
#include "kernel/bootinfo.h"
#include "kernel/fbcon.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"

static void fbcon_test_need_rgb(struct ktest *t)
{
	if (!boot_info.has_framebuffer ||
	    boot_info.framebuffer.type != BOOT_FRAMEBUFFER_RGB)
		ktest_skip(t, "no RGB framebuffer in the boot information");
	const char *why = fbcon_unsupported_reason(&boot_info.framebuffer);
	if (why)
		ktest_skip(t, why);
}

KTEST(fbcon, registered_on_rgb_framebuffer)
{
	fbcon_test_need_rgb(t);
	KTEST_ASSERT(t, fbcon_console_registered());
	const struct fbcon *con = fbcon_console();
	KTEST_ASSERT(t, con != NULL);
	KTEST_EXPECT(t, con->columns > 0 && con->rows > 0);
	KTEST_EXPECT(t, con->columns * FBCON_GLYPH_WIDTH <=
			boot_info.framebuffer.width);
	KTEST_EXPECT(t, con->rows * FBCON_GLYPH_HEIGHT <=
			boot_info.framebuffer.height);
}

/* A line printed through printk ends up in the grid's line above the
 * cursor: the sink really mirrors printk. */
KTEST(fbcon, mirrors_printk)
{
	static const char marker[] = "    # fbcon: this line is on the screen";

	fbcon_test_need_rgb(t);
	const struct fbcon *con = fbcon_console();
	KTEST_ASSERT(t, con != NULL && con->rows >= 2);
	printk("%s\n", marker);
	KTEST_ASSERT(t, con->column == 0 && con->row > 0);
	size_t length = strlen(marker);
	if (length > con->columns)
		length = con->columns;
	const char *line = con->text + (size_t)(con->row - 1) * con->columns;
	KTEST_EXPECT(t, memcmp(line, marker, length) == 0);
	KTEST_EXPECT(t, memcmp(con->shown, con->text,
			       (size_t)con->rows * con->columns) == 0);
}
