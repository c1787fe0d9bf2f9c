/*
 * Address spaces (mm/vmm.h) on x86-64 four-level paging. The kernel space
 * adopts the boot page tables (arch/x86/paging_boot.c); every other space
 * gets a root of its own whose kernel half (PML4 slots 256-511) points at
 * the kernel's tables, so a kernel mapping made in any space is seen by all.
 * A new kernel-half PML4 entry is copied into every space; kernel-half PDPT
 * pages are never freed, so those copies never go stale.
 *
 * Page-table pages come from pmm_kernel (owner MM_OWNER_PAGE_TABLE) and are
 * reached through the direct map; a table left empty by an unmap is freed
 * after the TLB invalidation (the walker may cache it until then). Tables
 * of the boot pool are not the allocator's and are never freed.
 *
 * Non-present entries may carry a handle (a sealed page's location):
 * bit 0 (present) is always 0, PTE_SOFT_HANDLE marks them, and the handle
 * is stored inverted in bits 12-61, so the address field of a small handle
 * points far above any RAM (speculative loads through a non-present entry,
 * L1TF, reach nothing real).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "arch/x86/memlayout.h"
#include "arch/x86/pte.h"
#include "arch/x86/vmm_internal.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/failpoint.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/sched/sched.h"
#include "mm/direct_map.h"
#include "mm/mm.h"
#include "mm/slab.h"
#include "mm/tlb.h"
#include "mm/vmm.h"

#define VMM_KERNEL_HALF   DIRECT_MAP_BASE	/* first kernel-half address */
#define VMM_KERNEL_SLOT   256u			/* first kernel-half PML4 slot */
#define VMM_PHYS_LIMIT    (1ull << 52)		/* architectural maximum */
#define VMM_PCID_COUNT    4096u
#define VMM_HANDLE_MASK   (VMM_HANDLE_LIMIT - 1)
#define VMM_LARGE_2M_MASK 0x000fffffffe00000ull
#define VMM_LARGE_1G_MASK 0x000fffffc0000000ull

static struct vmm_space vmm_kernel;
/* Protects the list of spaces and the PCID bitmap. Taken after the kernel
 * space's lock when both are needed. */
static struct spinlock vmm_spaces_lock = SPINLOCK_INIT("vmm_spaces");
static struct vmm_space *vmm_spaces;		/* every space but the kernel's */
static uint64_t vmm_pcid_used[VMM_PCID_COUNT / 64];

/* The entries an operation went through, leaf last. */
struct vmm_walk {
	uint64_t *table[5];	/* table[level], level 4 = PML4 .. 1 = PT */
	uint64_t *entry;	/* the entry reached (NULL: a table is missing) */
	unsigned level;		/* its level: 1, or 2/3 for a large page */
};

static bool vmm_is_kernel_half(uintptr_t va)
{
	return va >= VMM_KERNEL_HALF;
}

static bool vmm_va_ok(uintptr_t va)
{
	bool canonical = (uintptr_t)((int64_t)((uint64_t)va << 16) >> 16) == va;

	return canonical && (va & (PAGE_SIZE - 1)) == 0;
}

/* Kernel-half addresses live in the kernel's tables, whatever the space. */
static struct vmm_space *vmm_owner_space(struct vmm_space *space, uintptr_t va)
{
	return vmm_is_kernel_half(va) ? &vmm_kernel : space;
}

static uint64_t *vmm_table_of(uint64_t entry)
{
	return phys_to_virt(entry & PTE_ADDRESS_MASK);
}

static uint64_t vmm_table_alloc(void)
{
	uint64_t phys = FAILPOINT(FAILPOINT_PAGE_TABLE_ALLOC) ? PMM_NO_FRAME :
			pmm_alloc(&pmm_kernel, 0);

	if (phys == PMM_NO_FRAME)
		return phys;
	memset(phys_to_virt(phys), 0, PAGE_SIZE);
	pmm_set_owner(&pmm_kernel, phys, 0, MM_OWNER_PAGE_TABLE);
	return phys;
}

static bool vmm_table_is_ours(uint64_t phys)
{
	return pmm_owner(&pmm_kernel, phys) == MM_OWNER_PAGE_TABLE;
}

static void vmm_table_free(uint64_t phys)
{
	pmm_set_owner(&pmm_kernel, phys, 0, MM_OWNER_NONE);
	pmm_free(&pmm_kernel, phys, 0);
}

static bool vmm_table_empty(const uint64_t *table)
{
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		if (table[i])
			return false;
	return true;
}

/* A new kernel-half PML4 entry, copied into every space. Kernel lock held. */
static void vmm_propagate_kernel_slot(unsigned slot, uint64_t entry)
{
	spin_lock(&vmm_spaces_lock);
	for (struct vmm_space *s = vmm_spaces; s; s = s->next)
		s->root[slot] = entry;
	spin_unlock(&vmm_spaces_lock);
}

/* Walks to va's leaf, making missing tables when create is set. Returns
 * VMM_OK (walk->entry may be NULL without create) or VMM_NO_MEMORY. */
static int vmm_walk(struct vmm_space *space, uintptr_t va, bool create,
		    struct vmm_walk *walk)
{
	uint64_t *table = space->root;
	bool kernel = vmm_is_kernel_half(va);

	memset(walk, 0, sizeof(*walk));
	for (unsigned level = 4; level >= 1; level--) {
		walk->table[level] = table;
		uint64_t *entry = &table[pte_index(va, level)];
		if (level == 1 || (*entry & (PTE_PRESENT | PTE_LARGE)) ==
					  (PTE_PRESENT | PTE_LARGE)) {
			walk->entry = entry;
			walk->level = level;
			return VMM_OK;
		}
		if (!(*entry & PTE_PRESENT)) {
			if (!create)
				return VMM_OK;
			uint64_t phys = vmm_table_alloc();
			if (phys == PMM_NO_FRAME)
				return VMM_NO_MEMORY;
			/* Intermediate entries allow all; the leaf decides. */
			*entry = phys | PTE_PRESENT | PTE_WRITABLE |
				 (kernel ? 0 : PTE_USER);
			if (kernel && level == 4)
				vmm_propagate_kernel_slot(pte_index(va, 4), *entry);
		}
		table = vmm_table_of(*entry);
	}
	return VMM_OK;
}

/*
 * Clears the parent entries of tables the walk left empty (PT, then PD,
 * then a lower-half PDPT), collecting them in freed[]. Returns how many.
 * They are freed by vmm_finish, after the invalidation.
 */
static unsigned vmm_prune(uintptr_t va, struct vmm_walk *walk, uint64_t freed[3])
{
	unsigned count = 0;
	unsigned top = vmm_is_kernel_half(va) ? 3 : 4;

	for (unsigned level = 1; level < top; level++) {
		uint64_t *table = walk->table[level];
		if (!table)
			continue;	/* the walk stopped above this level */
		uint64_t *parent = &walk->table[level + 1][pte_index(va, level + 1)];
		uint64_t phys = *parent & PTE_ADDRESS_MASK;
		if (!vmm_table_empty(table) || !vmm_table_is_ours(phys))
			break;
		*parent = 0;
		freed[count++] = phys;
	}
	return count;
}

/* Invalidates va after a change, then frees the tables pruned before. */
static void vmm_finish(struct vmm_space *space, uintptr_t va, bool flush,
		       const uint64_t freed[3], unsigned count)
{
	/* Other tags may cache pointers to a freed kernel-half table. */
	if (count && vmm_is_kernel_half(va) && tlb_has_pcid())
		tlb_flush_all();
	else if (count)
		tlb_flush_page_tables(space, va);	/* lazy CPUs too */
	else if (flush)
		tlb_flush_page(space, va);
	for (unsigned i = 0; i < count; i++)
		vmm_table_free(freed[i]);
}

static int vmm_prot_bits(uintptr_t va, unsigned prot, uint64_t *bits)
{
	bool kernel = vmm_is_kernel_half(va);

	if (prot & ~(unsigned)(VMM_READ | VMM_WRITE | VMM_EXEC | VMM_USER | VMM_GLOBAL))
		return VMM_BAD_ADDRESS;
	/* Kernel-half mappings are shared and global; user ones are not. */
	if ((kernel && (prot & VMM_USER)) || (!kernel && (prot & VMM_GLOBAL)))
		return VMM_BAD_ADDRESS;
	*bits = PTE_PRESENT;
	*bits |= prot & VMM_WRITE ? PTE_WRITABLE : 0;
	*bits |= prot & VMM_EXEC ? 0 : PTE_NO_EXECUTE;
	*bits |= prot & VMM_USER ? PTE_USER : 0;
	*bits |= kernel ? PTE_GLOBAL : 0;
	return VMM_OK;
}

static unsigned vmm_prot_of(uint64_t entry)
{
	unsigned prot = VMM_READ;	/* x86 cannot map a page unreadable */

	prot |= entry & PTE_WRITABLE ? VMM_WRITE : 0;
	prot |= entry & PTE_NO_EXECUTE ? 0 : VMM_EXEC;
	prot |= entry & PTE_USER ? VMM_USER : 0;
	prot |= entry & PTE_GLOBAL ? VMM_GLOBAL : 0;
	return prot;
}

static bool vmm_is_handle_entry(uint64_t entry)
{
	return !(entry & PTE_PRESENT) && (entry & PTE_SOFT_HANDLE);
}

static uint64_t vmm_handle_entry(uint64_t handle)
{
	return ((~handle & VMM_HANDLE_MASK) << PAGE_SHIFT) | PTE_SOFT_HANDLE;
}

static uint64_t vmm_handle_of(uint64_t entry)
{
	return ~(entry >> PAGE_SHIFT) & VMM_HANDLE_MASK;
}

struct vmm_space *vmm_kernel_space(void)
{
	return &vmm_kernel;
}

void vmm_region_area(uintptr_t *base, uintptr_t *size)
{
	*base = KERNEL_REGIONS_BASE;
	*size = KERNEL_REGIONS_SIZE;
}

void vmm_module_area(uintptr_t *base, uintptr_t *size)
{
	*base = KERNEL_MODULES_BASE;
	*size = KERNEL_MODULES_SIZE;
}

void vmm_init(void)
{
	spin_init(&vmm_kernel.lock, "vmm_kernel");
	vmm_kernel.root_physical = paging_root_physical();
	vmm_kernel.root = phys_to_virt(vmm_kernel.root_physical);
	vmm_kernel.pcid = 0;
	vmm_pcid_used[0] = 1;		/* tag 0: kernel and fallback */
	tlb_init();
	unsigned long flags = irq_save();
	tlb_switch_to(&vmm_kernel);
	irq_restore(flags);
}

int vmm_map(struct vmm_space *space, uintptr_t va, uint64_t phys, unsigned prot)
{
	uint64_t bits;
	struct vmm_walk walk;

	if (!vmm_va_ok(va) || (phys & (PAGE_SIZE - 1)) || phys >= VMM_PHYS_LIMIT ||
	    vmm_prot_bits(va, prot, &bits) != VMM_OK)
		return VMM_BAD_ADDRESS;
	struct vmm_space *owner = vmm_owner_space(space, va);
	unsigned long flags = spin_lock_irqsave(&owner->lock);
	int result = vmm_walk(owner, va, true, &walk);
	if (result == VMM_OK && (walk.level != 1 || *walk.entry))
		result = VMM_EXISTS;
	if (result == VMM_OK) {
		/* Was non-present: the TLB cannot hold it, nothing to flush. */
		*walk.entry = phys | bits;
	} else if (result == VMM_NO_MEMORY) {
		uint64_t freed[3];
		unsigned count = vmm_prune(va, &walk, freed);
		vmm_finish(space, va, false, freed, count);
	}
	spin_unlock_irqrestore(&owner->lock, flags);
	return result;
}

/* Clears the leaf entry of va if match(entry) and prunes. Lock held. */
static int vmm_clear_entry(struct vmm_space *space, struct vmm_space *owner,
			   uintptr_t va, bool (*match)(uint64_t entry),
			   uint64_t *old)
{
	struct vmm_walk walk;
	uint64_t freed[3];

	vmm_walk(owner, va, false, &walk);
	if (!walk.entry || !match(*walk.entry))
		return VMM_NOT_MAPPED;
	if (walk.level != 1)
		return VMM_BAD_ADDRESS;	/* a large page of the boot map */
	*old = __atomic_exchange_n(walk.entry, 0, __ATOMIC_SEQ_CST);
	unsigned count = vmm_prune(va, &walk, freed);
	vmm_finish(space, va, *old & PTE_PRESENT, freed, count);
	return VMM_OK;
}

/* vmm_clear_entry under the lock of the space that owns va's tables. */
static int vmm_clear_locked(struct vmm_space *space, uintptr_t va,
			    bool (*match)(uint64_t entry), uint64_t *old)
{
	if (!vmm_va_ok(va))
		return VMM_BAD_ADDRESS;
	struct vmm_space *owner = vmm_owner_space(space, va);
	unsigned long flags = spin_lock_irqsave(&owner->lock);
	int result = vmm_clear_entry(space, owner, va, match, old);
	spin_unlock_irqrestore(&owner->lock, flags);
	return result;
}

static bool vmm_match_present(uint64_t entry)
{
	return entry & PTE_PRESENT;
}

int vmm_unmap(struct vmm_space *space, uintptr_t va, uint64_t *phys)
{
	uint64_t old;
	int result = vmm_clear_locked(space, va, vmm_match_present, &old);

	if (result == VMM_OK && phys)
		*phys = old & PTE_ADDRESS_MASK;
	return result;
}

int vmm_protect(struct vmm_space *space, uintptr_t va, unsigned prot)
{
	uint64_t bits;
	struct vmm_walk walk;
	int result = VMM_OK;

	if (!vmm_va_ok(va) || vmm_prot_bits(va, prot, &bits) != VMM_OK)
		return VMM_BAD_ADDRESS;
	struct vmm_space *owner = vmm_owner_space(space, va);
	unsigned long flags = spin_lock_irqsave(&owner->lock);
	vmm_walk(owner, va, false, &walk);
	if (!walk.entry || !(*walk.entry & PTE_PRESENT))
		result = VMM_NOT_MAPPED;
	else if (walk.level != 1)
		result = VMM_BAD_ADDRESS;
	if (result == VMM_OK) {
		uint64_t keep = PTE_ADDRESS_MASK | PTE_ACCESSED | PTE_DIRTY;
		__atomic_store_n(walk.entry, (*walk.entry & keep) | bits,
				 __ATOMIC_SEQ_CST);
		tlb_flush_page(space, va);
	}
	spin_unlock_irqrestore(&owner->lock, flags);
	return result;
}

bool vmm_translate(struct vmm_space *space, uintptr_t va, uint64_t *phys,
		   unsigned *prot)
{
	struct vmm_walk walk;
	uintptr_t page = va & ~(uintptr_t)(PAGE_SIZE - 1);

	if (!vmm_va_ok(page))
		return false;
	struct vmm_space *owner = vmm_owner_space(space, va);
	unsigned long flags = spin_lock_irqsave(&owner->lock);
	vmm_walk(owner, page, false, &walk);
	uint64_t entry = walk.entry ? *walk.entry : 0;
	spin_unlock_irqrestore(&owner->lock, flags);
	if (!(entry & PTE_PRESENT))
		return false;
	if (phys) {
		uint64_t mask = walk.level == 3 ? VMM_LARGE_1G_MASK :
				walk.level == 2 ? VMM_LARGE_2M_MASK : PTE_ADDRESS_MASK;
		*phys = (entry & mask) + (va & ~mask & (VMM_PHYS_LIMIT - 1));
	}
	if (prot)
		*prot = vmm_prot_of(entry);
	return true;
}

static bool vmm_test_and_clear(struct vmm_space *space, uintptr_t va,
			       uint64_t bit)
{
	struct vmm_walk walk;
	bool was_set = false;

	if (!vmm_va_ok(va))
		return false;
	struct vmm_space *owner = vmm_owner_space(space, va);
	unsigned long flags = spin_lock_irqsave(&owner->lock);
	vmm_walk(owner, va, false, &walk);
	if (walk.entry && walk.level == 1 && (*walk.entry & PTE_PRESENT)) {
		/* Atomic: the CPU sets A and D bits without our lock. */
		uint64_t old = __atomic_fetch_and(walk.entry, ~bit, __ATOMIC_SEQ_CST);
		was_set = old & bit;
		/* Else a cached entry would never set it again. The Accessed
		 * bit is a hint: another CPU that keeps the old entry only
		 * makes the page look unused a little longer (a policy may
		 * then evict it early, which the eviction's own shootdown
		 * makes safe), so it is invalidated here alone, as Linux's
		 * x86 ptep_clear_flush_young reasons. Dirty is no hint: a
		 * CPU that kept D set would write without setting it again,
		 * so its clear reaches every CPU. */
		if (was_set && bit == PTE_ACCESSED)
			tlb_flush_page_local(space, va);
		else if (was_set)
			tlb_flush_page(space, va);
	}
	spin_unlock_irqrestore(&owner->lock, flags);
	return was_set;
}

bool vmm_test_and_clear_accessed(struct vmm_space *space, uintptr_t va)
{
	return vmm_test_and_clear(space, va, PTE_ACCESSED);
}

bool vmm_test_and_clear_dirty(struct vmm_space *space, uintptr_t va)
{
	return vmm_test_and_clear(space, va, PTE_DIRTY);
}

/* The arch-neutral view of a raw leaf entry. */
static struct vmm_entry vmm_entry_of(uint64_t raw)
{
	if (raw & PTE_PRESENT)
		return vmm_entry_present(raw & PTE_ADDRESS_MASK, vmm_prot_of(raw));
	if (vmm_is_handle_entry(raw))
		return vmm_entry_handle(vmm_handle_of(raw));
	return vmm_entry_none();
}

static bool vmm_entry_matches(const struct vmm_entry *actual,
			      const struct vmm_entry *expected)
{
	if (actual->kind != expected->kind)
		return false;
	if (actual->kind == VMM_ENTRY_PRESENT && expected->value == VMM_FRAME_ANY)
		return true;
	return actual->kind == VMM_ENTRY_NONE || actual->value == expected->value;
}

/* The raw bits of entry at va, replacing current (whose frame a
 * VMM_FRAME_ANY entry keeps); VMM_BAD_ADDRESS when it cannot be one. */
static int vmm_entry_bits(uintptr_t va, const struct vmm_entry *entry,
			  uint64_t current, uint64_t *raw)
{
	switch (entry->kind) {
	case VMM_ENTRY_NONE:
		*raw = 0;
		return VMM_OK;
	case VMM_ENTRY_HANDLE:
		if (entry->value >= VMM_HANDLE_LIMIT)
			return VMM_BAD_ADDRESS;
		*raw = vmm_handle_entry(entry->value);
		return VMM_OK;
	case VMM_ENTRY_PRESENT: {
		uint64_t frame = entry->value;
		if (frame == VMM_FRAME_ANY) {
			if (!(current & PTE_PRESENT))
				return VMM_BAD_ADDRESS;
			frame = current & PTE_ADDRESS_MASK;
		}
		if ((frame & (PAGE_SIZE - 1)) || frame >= VMM_PHYS_LIMIT ||
		    vmm_prot_bits(va, entry->prot, raw) != VMM_OK)
			return VMM_BAD_ADDRESS;
		*raw |= frame;
		return VMM_OK;
	}
	}
	return VMM_BAD_ADDRESS;
}

/* vmm_exchange with the owner's lock held: the walk, the match, the
 * store; *current gets the entry as it was (A/D bits included). */
static int vmm_exchange_locked(struct vmm_space *owner, uintptr_t va,
			       const struct vmm_entry *expected,
			       const struct vmm_entry *replacement,
			       struct vmm_walk *walk, uint64_t *current)
{
	bool create = replacement->kind != VMM_ENTRY_NONE;
	int result = vmm_walk(owner, va, create, walk);
	uint64_t raw;

	*current = walk->entry ? *walk->entry : 0;
	if (result != VMM_OK)
		return result;
	if (walk->entry && walk->level != 1)
		return VMM_BAD_ADDRESS;	/* a large page of the boot map */
	struct vmm_entry was = vmm_entry_of(*current);
	if (expected && !vmm_entry_matches(&was, expected))
		return VMM_CHANGED;
	if (vmm_entry_bits(va, replacement, *current, &raw) != VMM_OK)
		return VMM_BAD_ADDRESS;
	if (walk->entry)	/* atomic: the CPU sets A and D without our lock */
		*current = __atomic_exchange_n(walk->entry, raw, __ATOMIC_SEQ_CST);
	return VMM_OK;
}

/* The body of both exchanges. Without a batch the old entry is
 * invalidated before this returns and tables a NONE entry emptied are
 * freed after it; with one, the invalidation joins the batch and only
 * tables a failed exchange made (never reachable by a translation) go. */
static int vmm_exchange_into(struct vmm_space *space, uintptr_t va,
			     const struct vmm_entry *expected,
			     const struct vmm_entry *replacement,
			     struct vmm_entry *old, struct tlb_batch *batch)
{
	struct vmm_walk walk;
	uint64_t current, freed[3];
	unsigned count = 0;

	if (!vmm_va_ok(va))
		return VMM_BAD_ADDRESS;
	bool create = replacement->kind != VMM_ENTRY_NONE;
	struct vmm_space *owner = vmm_owner_space(space, va);
	unsigned long flags = spin_lock_irqsave(&owner->lock);
	int result = vmm_exchange_locked(owner, va, expected, replacement, &walk,
					 &current);
	bool was_present = result == VMM_OK && (current & PTE_PRESENT);
	bool prune = batch ? result != VMM_OK && create
			   : result != VMM_OK || !create;
	if (prune)
		count = vmm_prune(va, &walk, freed);
	vmm_finish(space, va, was_present && !batch, freed, count);
	spin_unlock_irqrestore(&owner->lock, flags);
	if (was_present && batch)
		tlb_batch_add(batch, va);
	if (old)
		*old = vmm_entry_of(current);
	return result;
}

int vmm_exchange(struct vmm_space *space, uintptr_t va,
		 const struct vmm_entry *expected,
		 const struct vmm_entry *replacement, struct vmm_entry *old)
{
	return vmm_exchange_into(space, va, expected, replacement, old, NULL);
}

int vmm_exchange_batched(struct vmm_space *space, uintptr_t va,
			 const struct vmm_entry *expected,
			 const struct vmm_entry *replacement,
			 struct vmm_entry *old, struct tlb_batch *batch)
{
	return vmm_exchange_into(space, va, expected, replacement, old, batch);
}

int vmm_set_handle(struct vmm_space *space, uintptr_t va, uint64_t handle)
{
	struct vmm_walk walk;

	if (!vmm_va_ok(va) || handle >= VMM_HANDLE_LIMIT)
		return VMM_BAD_ADDRESS;
	struct vmm_space *owner = vmm_owner_space(space, va);
	unsigned long flags = spin_lock_irqsave(&owner->lock);
	int result = vmm_walk(owner, va, true, &walk);
	if (result == VMM_OK && (walk.level != 1 || (*walk.entry & PTE_PRESENT)))
		result = VMM_EXISTS;
	if (result == VMM_OK)
		*walk.entry = vmm_handle_entry(handle);
	else if (result == VMM_NO_MEMORY) {
		uint64_t freed[3];
		unsigned count = vmm_prune(va, &walk, freed);
		vmm_finish(space, va, false, freed, count);
	}
	spin_unlock_irqrestore(&owner->lock, flags);
	return result;
}

bool vmm_get_handle(struct vmm_space *space, uintptr_t va, uint64_t *handle)
{
	struct vmm_walk walk;

	if (!vmm_va_ok(va))
		return false;
	struct vmm_space *owner = vmm_owner_space(space, va);
	unsigned long flags = spin_lock_irqsave(&owner->lock);
	vmm_walk(owner, va, false, &walk);
	uint64_t entry = walk.entry && walk.level == 1 ? *walk.entry : 0;
	spin_unlock_irqrestore(&owner->lock, flags);
	if (!vmm_is_handle_entry(entry))
		return false;
	if (handle)
		*handle = vmm_handle_of(entry);
	return true;
}

int vmm_clear_handle(struct vmm_space *space, uintptr_t va)
{
	uint64_t old;

	return vmm_clear_locked(space, va, vmm_is_handle_entry, &old);
}

/* For tests: the raw leaf entry of va (0 when there is none). */
uint64_t vmm_debug_entry(struct vmm_space *space, uintptr_t va)
{
	struct vmm_walk walk;
	struct vmm_space *owner = vmm_owner_space(space, va);
	unsigned long flags = spin_lock_irqsave(&owner->lock);

	vmm_walk(owner, va & ~(uintptr_t)(PAGE_SIZE - 1), false, &walk);
	uint64_t entry = walk.entry ? *walk.entry : 0;
	spin_unlock_irqrestore(&owner->lock, flags);
	return entry;
}

/* A PCID of its own, or 0 (shared, flushed at each switch) when none is
 * left. vmm_spaces_lock held. */
static uint16_t vmm_pcid_take(void)
{
	if (!tlb_has_pcid())
		return 0;
	for (unsigned word = 0; word < VMM_PCID_COUNT / 64; word++) {
		if (vmm_pcid_used[word] == UINT64_MAX)
			continue;
		unsigned bit = (unsigned)__builtin_ctzll(~vmm_pcid_used[word]);
		vmm_pcid_used[word] |= 1ull << bit;
		return (uint16_t)(word * 64 + bit);
	}
	return 0;
}

struct vmm_space *vmm_space_create(void)
{
	struct vmm_space *space = kmalloc(sizeof(*space));

	if (!space)
		return NULL;
	memset(space, 0, sizeof(*space));
	spin_init(&space->lock, "vmm_space");
	space->root_physical = vmm_table_alloc();
	if (space->root_physical == PMM_NO_FRAME) {
		kfree(space);
		return NULL;
	}
	space->root = phys_to_virt(space->root_physical);
	/* A reused tag may still have the last holder's entries: every CPU
	 * owes it a flush. No CPU has loaded it yet. */
	space->tlb_stale = UINT64_MAX;
	space->tlb_cpus = 0;
	unsigned long flags = spin_lock_irqsave(&vmm_kernel.lock);
	spin_lock(&vmm_spaces_lock);
	memcpy(&space->root[VMM_KERNEL_SLOT], &vmm_kernel.root[VMM_KERNEL_SLOT],
	       (PT_ENTRIES - VMM_KERNEL_SLOT) * sizeof(uint64_t));
	space->pcid = vmm_pcid_take();
	space->next = vmm_spaces;
	vmm_spaces = space;
	spin_unlock(&vmm_spaces_lock);
	spin_unlock_irqrestore(&vmm_kernel.lock, flags);
	return space;
}

/* Frees the lower-half tables below table (level 4..2); leaves are the
 * caller's frames and are not freed. */
static void vmm_free_tables(uint64_t *table, unsigned level, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		uint64_t entry = table[i];
		if (!(entry & PTE_PRESENT) || (entry & PTE_LARGE))
			continue;
		if (level > 2)
			vmm_free_tables(vmm_table_of(entry), level - 1, PT_ENTRIES);
		vmm_table_free(entry & PTE_ADDRESS_MASK);
	}
}

void vmm_space_destroy(struct vmm_space *space)
{
	if (!space)
		return;
	if (space == &vmm_kernel)
		panic("vmm: the kernel space cannot be destroyed");
	struct thread *self = thread_current();
	if (self && self->space == space)
		panic("vmm: destroying the running space %p", (void *)space);
	/* CPUs that still hold it loaded lazily let go of its root (this
	 * one too); one that runs it panics. */
	tlb_space_release(space);
	unsigned long flags = spin_lock_irqsave(&vmm_spaces_lock);
	struct vmm_space **link = &vmm_spaces;
	while (*link && *link != space)
		link = &(*link)->next;
	if (*link)
		*link = space->next;
	if (space->pcid)
		vmm_pcid_used[space->pcid / 64] &= ~(1ull << (space->pcid % 64));
	spin_unlock_irqrestore(&vmm_spaces_lock, flags);
	/* Loaded nowhere, and its tag released (every CPU owes the next
	 * holder a flush), so the tables can go without an invalidation. */
	vmm_free_tables(space->root, 4, VMM_KERNEL_SLOT);
	vmm_table_free(space->root_physical);
	kfree(space);
}

void vmm_space_switch(struct vmm_space *space)
{
	unsigned long flags = irq_save();
	struct thread *self = thread_current();

	/* The calling thread now runs in space (a kernel thread again for
	 * the kernel space), wherever the scheduler moves it. */
	if (self)
		self->space = space == &vmm_kernel ? NULL : space;
	if (space == &vmm_kernel && tlb_current_space() != space)
		tlb_switch_to(space);	/* not lazily: drop the other space */
	else
		tlb_thread_switch(space);
	irq_restore(flags);
}
