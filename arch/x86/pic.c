/*
 * 8259 PIC set-up: ICW1-4 remap the master to 32 and the slave to 40, then
 * every line is masked. The mask registers are changed under a lock since
 * two drivers may open lines at once.
 */
#include <stdint.h>
#include "arch/x86/pic.h"
#include "arch/x86/x86.h"
#include "kernel/lib/spinlock.h"

#define PIC_MASTER_COMMAND 0x20
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_COMMAND 0xa0
#define PIC_SLAVE_DATA 0xa1
#define PIC_END_OF_INTERRUPT 0x20
#define PIC_READ_IN_SERVICE 0x0b

/* Protects the two mask registers (read-modify-write). */
static struct spinlock pic_lock = SPINLOCK_INIT("pic");

void pic_init(void)
{
	outb(PIC_MASTER_COMMAND, 0x11);	/* ICW1: init, ICW4 follows */
	io_wait();
	outb(PIC_SLAVE_COMMAND, 0x11);
	io_wait();
	outb(PIC_MASTER_DATA, 32);	/* ICW2: vector base */
	io_wait();
	outb(PIC_SLAVE_DATA, 40);
	io_wait();
	outb(PIC_MASTER_DATA, 1 << 2);	/* ICW3: slave on line 2 */
	io_wait();
	outb(PIC_SLAVE_DATA, 2);
	io_wait();
	outb(PIC_MASTER_DATA, 0x01);	/* ICW4: 8086 mode */
	io_wait();
	outb(PIC_SLAVE_DATA, 0x01);
	io_wait();
	outb(PIC_MASTER_DATA, 0xff & ~(1 << 2));	/* all masked but cascade */
	outb(PIC_SLAVE_DATA, 0xff);
}

static void pic_change_mask(unsigned line, bool masked)
{
	uint16_t port = line < 8 ? PIC_MASTER_DATA : PIC_SLAVE_DATA;
	uint8_t bit = 1u << (line & 7);
	unsigned long flags = spin_lock_irqsave(&pic_lock);
	uint8_t mask = inb(port);

	outb(port, masked ? (mask | bit) : (mask & ~bit));
	spin_unlock_irqrestore(&pic_lock, flags);
}

void pic_unmask(unsigned line)
{
	pic_change_mask(line, false);
}

void pic_mask(unsigned line)
{
	pic_change_mask(line, true);
}

void pic_end_of_interrupt(unsigned line)
{
	if (line >= 8)
		outb(PIC_SLAVE_COMMAND, PIC_END_OF_INTERRUPT);
	outb(PIC_MASTER_COMMAND, PIC_END_OF_INTERRUPT);
}

bool pic_is_spurious(unsigned line)
{
	uint16_t port = line < 8 ? PIC_MASTER_COMMAND : PIC_SLAVE_COMMAND;

	if (line != 7 && line != 15)
		return false;
	outb(port, PIC_READ_IN_SERVICE);
	if (inb(port) & 0x80)
		return false;
	if (line == 15)	/* the master saw the cascade line: it needs its EOI */
		outb(PIC_MASTER_COMMAND, PIC_END_OF_INTERRUPT);
	return true;
}
