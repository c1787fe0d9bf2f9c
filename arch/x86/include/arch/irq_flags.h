/*
 * irq_save and irq_restore (kernel/lib/irq.h) as inline x86: pushfq/cli and a
 * conditional sti. Included only through kernel/lib/irq.h in kernel builds.
 */
#ifndef VEIL_ARCH_X86_IRQ_FLAGS_H
#define VEIL_ARCH_X86_IRQ_FLAGS_H

#define X86_IRQ_FLAG_IF (1ul << 9)

static inline unsigned long irq_save(void)
{
	unsigned long flags;

	__asm__ __volatile__("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags & X86_IRQ_FLAG_IF;
}

static inline void irq_restore(unsigned long flags)
{
	if (flags & X86_IRQ_FLAG_IF)
		__asm__ __volatile__("sti" : : : "memory");
}

#endif
