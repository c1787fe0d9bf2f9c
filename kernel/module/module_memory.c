/*
 * The module area: where module images live, in slots of
 * MODULE_SLOT_BYTES at the addresses vmm_module_area gives (arch/x86:
 * within 2 GiB of the kernel's text, so -mcmodel=kernel code reaches both
 * ways). An image is relocated in a buffer for its final address, then
 * copied into fresh frames that are mapped once with their final
 * protection: no page of a module is ever writable and executable.
 *
 * Locking: the slot table is protected by module_mutex (the callers hold
 * it); the counters are atomics, read by tests at any time.
 */
#include <string.h>
#include "kernel/module/module.h"
#include "kernel/module/module_elf.h"
#include "kernel/module/module_internal.h"
#include "mm/frame.h"
#include "mm/slab.h"
#include "mm/vmm.h"

/* A slot holds the largest image and leaves an unmapped gap after it. */
#define MODULE_SLOT_BYTES (2u * MODULE_IMAGE_MAX)
#define MODULE_SLOTS_MAX 64u

static bool module_slot_used[MODULE_SLOTS_MAX];	/* module_mutex */
static uint64_t module_frames_live, module_blocks_live, module_slots_live;

void *module_alloc(size_t bytes)
{
	void *block = kmalloc(bytes);

	if (block)
		__atomic_fetch_add(&module_blocks_live, 1, __ATOMIC_RELAXED);
	return block;
}

void module_free(void *block)
{
	if (!block)
		return;
	kfree(block);
	__atomic_fetch_sub(&module_blocks_live, 1, __ATOMIC_RELAXED);
}

void module_memory_get_counts(struct module_memory_counts *counts)
{
	counts->frames = __atomic_load_n(&module_frames_live, __ATOMIC_RELAXED);
	counts->blocks = __atomic_load_n(&module_blocks_live, __ATOMIC_RELAXED);
	counts->slots = __atomic_load_n(&module_slots_live, __ATOMIC_RELAXED);
}

int module_memory_reserve(struct module_memory *memory)
{
	uintptr_t area, area_size;

	vmm_module_area(&area, &area_size);
	for (unsigned slot = 0; slot < MODULE_SLOTS_MAX; slot++) {
		if (module_slot_used[slot] ||
		    (uint64_t)(slot + 1) * MODULE_SLOT_BYTES > area_size)
			continue;
		module_slot_used[slot] = true;
		__atomic_fetch_add(&module_slots_live, 1, __ATOMIC_RELAXED);
		memory->slot = slot;
		memory->base = area + (uintptr_t)slot * MODULE_SLOT_BYTES;
		memory->bytes = 0;
		return MODULE_OK;
	}
	return MODULE_NO_MEMORY;
}

/* Unmaps the first pages of the image and frees their frames. */
static void module_memory_unmap_pages(uintptr_t base, size_t pages)
{
	for (size_t i = 0; i < pages; i++) {
		uint64_t phys;
		if (vmm_unmap(vmm_kernel_space(), base + i * MODULE_PAGE_BYTES,
			      &phys) == VMM_OK) {
			frame_free(phys);
			__atomic_fetch_sub(&module_frames_live, 1, __ATOMIC_RELAXED);
		}
	}
}

/* The protection of the page at offset of an image of these segments. */
static unsigned module_memory_protection(size_t offset,
					 const uint64_t segment_bytes[3])
{
	if (offset < segment_bytes[0])
		return VMM_READ | VMM_EXEC | VMM_GLOBAL;
	if (offset < segment_bytes[0] + segment_bytes[1])
		return VMM_READ | VMM_GLOBAL;
	return VMM_READ | VMM_WRITE | VMM_GLOBAL;
}

int module_memory_map(struct module_memory *memory, const void *image,
		      size_t bytes, const uint64_t segment_bytes[3])
{
	size_t pages = bytes / MODULE_PAGE_BYTES;

	for (size_t i = 0; i < pages; i++) {
		uint64_t frame = frame_alloc();
		if (frame == FRAME_NONE) {
			module_memory_unmap_pages(memory->base, i);
			return MODULE_NO_MEMORY;
		}
		memcpy(frame_address(frame),
		       (const uint8_t *)image + i * MODULE_PAGE_BYTES,
		       MODULE_PAGE_BYTES);
		if (vmm_map(vmm_kernel_space(),
			    memory->base + i * MODULE_PAGE_BYTES, frame,
			    module_memory_protection(i * MODULE_PAGE_BYTES,
						     segment_bytes)) != VMM_OK) {
			frame_free(frame);
			module_memory_unmap_pages(memory->base, i);
			return MODULE_NO_MEMORY;
		}
		__atomic_fetch_add(&module_frames_live, 1, __ATOMIC_RELAXED);
	}
	memory->bytes = bytes;
	return MODULE_OK;
}

void module_memory_release(struct module_memory *memory)
{
	module_memory_unmap_pages(memory->base, memory->bytes / MODULE_PAGE_BYTES);
	memory->bytes = 0;
	module_slot_used[memory->slot] = false;
	__atomic_fetch_sub(&module_slots_live, 1, __ATOMIC_RELAXED);
}
