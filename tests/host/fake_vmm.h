/*
 * A fake address space for host tests of the TLB event layer: mm/vmm.h
 * over a flat table of software PTEs, frames from host memory, kmalloc
 * over malloc, and an access function that behaves like the CPU (sets the
 * Accessed bit, or raises a "page fault" into the fault dispatcher, mm/fault.h).
 */
#ifndef VEIL_TESTS_FAKE_VMM_H
#define VEIL_TESTS_FAKE_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fake_pte {
	bool present;
	bool accessed;
	bool dirty;
	bool cached;		/* a "TLB entry": set by access, cleared by invalidation */
	bool has_handle;
	unsigned prot;
	uint64_t phys;
	uint64_t handle;
};

struct fake_counters {
	uint64_t invalidations;	/* INVLPGs the fake vmm performed */
	uint64_t frames_allocated;	/* live frames */
	uint64_t kmalloc_live;	/* live kmalloc objects */
	uint64_t frame_limit;	/* frame_alloc fails beyond this many live (0: none) */
	bool table_limit_hit;	/* vmm_exchange to a non-NONE entry fails (no table) */
	uint64_t rounds;	/* tlb_batch_finish calls that invalidated */
};

extern struct fake_counters fake;

/* A log of what the fake vmm, the frame allocator and a test's recorders
 * did, as words separated by spaces ("pte:present>busy flush EVICT ..."),
 * kept while fake_log_on is set; for tests of the order of steps. */
extern bool fake_log_on;
extern char fake_log[1024];
void fake_log_add(const char *word);
void fake_log_clear(void);

void fake_vmm_reset(void);
/* The software PTE of va (NULL outside the region area). */
struct fake_pte *fake_pte_of(uintptr_t va);
/* An access as the CPU makes it; NULL when it faults unresolved. */
uint8_t *fake_access(uintptr_t va, bool write);
/* Freed frames are kept (poisoned only by what last wrote them) until
 * this is called, so a test can look at a frame after it was released. */
void fake_release_quarantine(void);

/* How many of the frames freed since the last fake_release_quarantine,
 * and of the pages in use (frames, the fake stores' pages), hold the
 * bytes needle[0..length): what a RAM dump would find. */
unsigned fake_freed_frames_holding(const void *needle, size_t length);
unsigned fake_live_pages_holding(const void *needle, size_t length);

struct store;
/* A page store (mm/zstore.c) over host pages, for regions under test. */
struct store *fake_store_create(uint64_t frame_limit);

#endif
