/*
 * x86 instructions as inline functions: port I/O, control registers, MSRs,
 * the TSC, interrupt flag and halting. Only arch/x86 includes this; the rest
 * of the kernel asks through arch-neutral headers (kernel/lib/irq.h, mm/...).
 */
#ifndef VEIL_ARCH_X86_X86_H
#define VEIL_ARCH_X86_X86_H

#include <stdint.h>

#define X86_RFLAGS_IF (1ull << 9)

#define X86_CR0_WP (1ull << 16)
#define X86_CR4_PGE (1ull << 7)
#define X86_CR4_OSFXSR (1ull << 9)
#define X86_CR4_OSXMMEXCPT (1ull << 10)
#define X86_CR4_PCIDE (1ull << 17)

#define X86_MSR_EFER 0xc0000080u
#define X86_EFER_NXE (1ull << 11)

static inline void outb(uint16_t port, uint8_t value)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t value)
{
	__asm__ __volatile__("outw %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t value;

	__asm__ __volatile__("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

/* A write to an unused port: a short, fixed delay for slow legacy chips. */
static inline void io_wait(void)
{
	outb(0x80, 0);
}

#define X86_READ_CR(n)                                                         \
	static inline uint64_t read_cr##n(void)                                \
	{                                                                      \
		uint64_t value;                                                \
		__asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(value));      \
		return value;                                                  \
	}
X86_READ_CR(0)
X86_READ_CR(2)
X86_READ_CR(3)
X86_READ_CR(4)
#undef X86_READ_CR

static inline void write_cr0(uint64_t value)
{
	__asm__ __volatile__("mov %0, %%cr0" : : "r"(value) : "memory");
}

static inline void write_cr3(uint64_t value)
{
	__asm__ __volatile__("mov %0, %%cr3" : : "r"(value) : "memory");
}

static inline void write_cr4(uint64_t value)
{
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(value) : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t low, high;

	__asm__ __volatile__("rdmsr" : "=a"(low), "=d"(high) : "c"(msr));
	return ((uint64_t)high << 32) | low;
}

static inline void wrmsr(uint32_t msr, uint64_t value)
{
	__asm__ __volatile__("wrmsr"
			     : : "c"(msr), "a"((uint32_t)value),
			       "d"((uint32_t)(value >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t low, high;

	__asm__ __volatile__("rdtsc" : "=a"(low), "=d"(high));
	return ((uint64_t)high << 32) | low;
}

static inline uint64_t read_rflags(void)
{
	uint64_t flags;

	__asm__ __volatile__("pushfq; popq %0" : "=r"(flags));
	return flags;
}

static inline void interrupts_enable(void)
{
	__asm__ __volatile__("sti" : : : "memory");
}

static inline void interrupts_disable(void)
{
	__asm__ __volatile__("cli" : : : "memory");
}

/* Waits for the next interrupt (interrupts must be enabled to wake). */
static inline void cpu_wait_for_interrupt(void)
{
	__asm__ __volatile__("sti; hlt" : : : "memory");
}

static inline void cpu_pause(void)
{
	__builtin_ia32_pause();
}

/* Stops this CPU for good: interrupts off, halted. */
static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

#endif
