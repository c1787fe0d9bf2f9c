/*
 * Kernel stacks (mm/kstack.h) in their own PML4 slot (KERNEL_STACKS_BASE):
 * slot i spans 2 * KSTACK_SIZE, its lower half never mapped (the guard) and
 * its upper half the stack, mapped through the vmm from one buddy block.
 * Guard pages thus cost address space only.
 */
#include <stdbool.h>
#include <stdint.h>
#include "arch/x86/memlayout.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/spinlock.h"
#include "mm/kstack.h"
#include "mm/mm.h"
#include "mm/vmm.h"

#define KSTACK_SLOT   (2ull * KSTACK_SIZE)
#define KSTACK_PAGES  (KSTACK_SIZE / PAGE_SIZE)
#define KSTACK_ORDER  2u	/* 2^2 pages = KSTACK_SIZE */

_Static_assert(KSTACK_SLOT * KSTACK_MAX <= KERNEL_STACKS_SIZE,
	       "kernel stack slots must fit the area");
_Static_assert((1u << KSTACK_ORDER) == KSTACK_PAGES, "stack order");

/* Protects the slot bitmap. */
static struct spinlock kstack_lock = SPINLOCK_INIT("kstack");
static uint64_t kstack_used[KSTACK_MAX / 64];

void kstack_init(void)
{
	/* Nothing to build: slots and their tables are made on demand. */
}

static int kstack_take_slot(void)
{
	int slot = -1;
	unsigned long flags = spin_lock_irqsave(&kstack_lock);

	for (unsigned word = 0; word < KSTACK_MAX / 64 && slot < 0; word++) {
		if (kstack_used[word] == UINT64_MAX)
			continue;
		unsigned bit = (unsigned)__builtin_ctzll(~kstack_used[word]);
		kstack_used[word] |= 1ull << bit;
		slot = (int)(word * 64 + bit);
	}
	spin_unlock_irqrestore(&kstack_lock, flags);
	return slot;
}

static void kstack_release_slot(unsigned slot)
{
	unsigned long flags = spin_lock_irqsave(&kstack_lock);

	kstack_used[slot / 64] &= ~(1ull << (slot % 64));
	spin_unlock_irqrestore(&kstack_lock, flags);
}

static uintptr_t kstack_bottom(unsigned slot)
{
	return KERNEL_STACKS_BASE + slot * KSTACK_SLOT + KSTACK_SIZE;
}

static void kstack_unmap(uintptr_t bottom, unsigned pages)
{
	for (unsigned i = 0; i < pages; i++)
		vmm_unmap(vmm_kernel_space(), bottom + i * PAGE_SIZE, NULL);
}

void *kstack_alloc(void)
{
	int slot = kstack_take_slot();

	if (slot < 0)
		return NULL;
	uint64_t phys = pmm_alloc(&pmm_kernel, KSTACK_ORDER);
	if (phys == PMM_NO_FRAME) {
		kstack_release_slot((unsigned)slot);
		return NULL;
	}
	pmm_set_owner(&pmm_kernel, phys, KSTACK_ORDER, MM_OWNER_KERNEL_STACK);
	uintptr_t bottom = kstack_bottom((unsigned)slot);
	for (unsigned i = 0; i < KSTACK_PAGES; i++) {
		if (vmm_map(vmm_kernel_space(), bottom + i * PAGE_SIZE,
			    phys + i * PAGE_SIZE, VMM_READ | VMM_WRITE) != VMM_OK) {
			kstack_unmap(bottom, i);
			pmm_set_owner(&pmm_kernel, phys, KSTACK_ORDER, MM_OWNER_NONE);
			pmm_free(&pmm_kernel, phys, KSTACK_ORDER);
			kstack_release_slot((unsigned)slot);
			return NULL;
		}
	}
	return (void *)(bottom + KSTACK_SIZE);
}

void kstack_free(void *top)
{
	uintptr_t address = (uintptr_t)top;
	uint64_t phys;

	if (!top)
		return;
	uintptr_t offset = address - KERNEL_STACKS_BASE;
	if (address < KERNEL_STACKS_BASE || offset % KSTACK_SLOT != 0 ||
	    offset == 0 || offset / KSTACK_SLOT > KSTACK_MAX)
		panic("kstack: free of %p, not a stack top", top);
	unsigned slot = (unsigned)(offset / KSTACK_SLOT) - 1;
	uintptr_t bottom = kstack_bottom(slot);
	if (!vmm_translate(vmm_kernel_space(), bottom, &phys, NULL))
		panic("kstack: free of %p, a stack not in use", top);
	kstack_unmap(bottom, KSTACK_PAGES);
	pmm_set_owner(&pmm_kernel, phys, KSTACK_ORDER, MM_OWNER_NONE);
	pmm_free(&pmm_kernel, phys, KSTACK_ORDER);
	kstack_release_slot(slot);
}

void kstack_area(uintptr_t *base, uintptr_t *size)
{
	*base = KERNEL_STACKS_BASE;
	*size = KSTACK_SLOT * KSTACK_MAX;
}

bool kstack_is_guard(uintptr_t address)
{
	uintptr_t offset = address - KERNEL_STACKS_BASE;

	return address >= KERNEL_STACKS_BASE &&
	       offset < KSTACK_SLOT * KSTACK_MAX &&
	       offset % KSTACK_SLOT < KSTACK_SIZE;
}

bool kstack_in_use(uintptr_t address)
{
	uintptr_t offset = address - KERNEL_STACKS_BASE;

	if (address < KERNEL_STACKS_BASE || offset >= KSTACK_SLOT * KSTACK_MAX ||
	    offset % KSTACK_SLOT < KSTACK_SIZE)
		return false;
	unsigned slot = (unsigned)(offset / KSTACK_SLOT);
	/* Unlocked: for reports, which read stacks that are running. */
	uint64_t word = __atomic_load_n(&kstack_used[slot / 64], __ATOMIC_RELAXED);
	return word & (1ull << (slot % 64));
}
