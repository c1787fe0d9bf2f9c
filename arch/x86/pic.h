/*
 * The legacy 8259 PIC pair: remapped to vectors 32-47 (the CPU's exception
 * vectors would otherwise collide with IRQ 0-7) and masked, lines opened one
 * by one by the drivers that use them.
 */
#ifndef VEIL_ARCH_X86_PIC_H
#define VEIL_ARCH_X86_PIC_H

#include <stdbool.h>

void pic_init(void);
void pic_unmask(unsigned line);
void pic_mask(unsigned line);
void pic_end_of_interrupt(unsigned line);
/* True when `line` (7 or 15) fired without being in service: spurious. */
bool pic_is_spurious(unsigned line);

#endif
