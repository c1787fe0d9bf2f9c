/*
 * The VGA text screen (80x25 at 0xb8000 when GRUB leaves the BIOS text mode
 * and says so with an EGA-text framebuffer tag): a console sink that
 * mirrors printk, scrolling at the bottom. Written only under printk's lock.
 */
#include <stddef.h>
#include <stdint.h>
#include "arch/x86/memlayout.h"
#include "arch/x86/x86.h"
#include "kernel/arch.h"
#include "kernel/bootinfo.h"
#include "kernel/console.h"

#define VGA_ATTRIBUTE 0x07	/* light grey on black */

/* The screen and the cursor; protected by printk's lock. */
static volatile uint16_t *vga_cells;
static unsigned vga_columns, vga_rows, vga_column, vga_row;

static void vga_scroll(void)
{
	for (unsigned i = 0; i < (vga_rows - 1) * vga_columns; i++)
		vga_cells[i] = vga_cells[i + vga_columns];
	for (unsigned i = 0; i < vga_columns; i++)
		vga_cells[(vga_rows - 1) * vga_columns + i] =
			(VGA_ATTRIBUTE << 8) | ' ';
	vga_row = vga_rows - 1;
}

static void vga_putc(char c)
{
	if (c == '\n') {
		vga_column = 0;
		vga_row++;
	} else if (c == '\r') {
		vga_column = 0;
	} else if (c == '\b') {
		if (vga_column > 0)
			vga_column--;
	} else {
		vga_cells[vga_row * vga_columns + vga_column] =
			(uint16_t)((VGA_ATTRIBUTE << 8) | (uint8_t)c);
		if (++vga_column == vga_columns) {
			vga_column = 0;
			vga_row++;
		}
	}
	if (vga_row == vga_rows)
		vga_scroll();
}

static void vga_write(const char *text, size_t length)
{
	for (size_t i = 0; i < length; i++)
		vga_putc(text[i]);
}

static const struct console_ops vga_console = {
	.name = "vga-text",
	.write = vga_write,
};

void vga_text_init(const struct boot_framebuffer *fb)
{
	vga_cells = (volatile uint16_t *)(DIRECT_MAP_BASE + fb->address);
	vga_columns = fb->width ? fb->width : 80;
	vga_rows = fb->height ? fb->height : 25;
	for (unsigned i = 0; i < vga_columns * vga_rows; i++)
		vga_cells[i] = (VGA_ATTRIBUTE << 8) | ' ';
	vga_column = vga_row = 0;
	console_register(&vga_console);
}
