/*
 * Dispatch of the PIC's lines to their handlers. Spurious interrupts of
 * lines 7 and 15 are recognised and dropped without an EOI to the line.
 */
#include <stddef.h>
#include "arch/x86/irq_lines.h"
#include "arch/x86/pic.h"

/* Set at boot before the line is unmasked; read by the dispatcher. */
static void (*irq_handlers[IRQ_LINES])(void);
/* Interrupts counted per line (statistics; one CPU updates them). */
static unsigned long irq_counts[IRQ_LINES];

void irq_line_set_handler(unsigned line, void (*handler)(void))
{
	irq_handlers[line] = handler;
	pic_unmask(line);
}

void irq_line_dispatch(const struct trap_frame *frame)
{
	unsigned line = frame->vector - X86_VECTOR_IRQ_BASE;

	if (pic_is_spurious(line))
		return;
	irq_counts[line]++;
	pic_end_of_interrupt(line);
	if (irq_handlers[line])
		irq_handlers[line]();
}
