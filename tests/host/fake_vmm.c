/*
 * The fake address space of tests/host/fake_vmm.h. One flat table of PTEs
 * covers the region area; "physical" addresses are host pointers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mm/fault.h"
#include "mm/frame.h"
#include "mm/region.h"
#include "mm/scheme.h"
#include "mm/slab.h"
#include "mm/tlb.h"
#include "mm/trace.h"
#include "mm/vmm.h"
#include "mm/zstore.h"
#include "transforms/xf_codec.h"
#include "tests/host/fake_vmm.h"

#define FAKE_AREA_BASE 0x100000000000ull
#define FAKE_AREA_PAGES (1u << 18)	/* 1 GiB */

struct fake_counters fake;

/* The fake machine's CPU 0 gets its per-CPU buffers before any test runs,
 * as mm_init prepares the boot CPU (mm_cpu_prepare is kernel-only: it
 * allocates with kmalloc). */
__attribute__((constructor)) static void fake_cpu0_prepare(void)
{
	if (!xf_codec_cpu_prepare(0) || !scheme_cpu_prepare(0) ||
	    !region_cpu_prepare(0) || !trace_cpu_prepare(0)) {
		fprintf(stderr, "fake_vmm: no memory for CPU 0's buffers\n");
		abort();
	}
}
static struct fake_pte *fake_table;
static void **fake_quarantine;
static size_t fake_quarantine_count, fake_quarantine_capacity;

void fake_vmm_reset(void)
{
	free(fake_table);
	fake_table = calloc(FAKE_AREA_PAGES, sizeof(*fake_table));
	memset(&fake, 0, sizeof(fake));
}

struct fake_pte *fake_pte_of(uintptr_t va)
{
	if (!fake_table)
		fake_vmm_reset();
	if (va < FAKE_AREA_BASE || va >= FAKE_AREA_BASE + (uint64_t)FAKE_AREA_PAGES * 4096)
		return NULL;
	return &fake_table[(va - FAKE_AREA_BASE) / 4096];
}

void vmm_region_area(uintptr_t *base, uintptr_t *size)
{
	*base = FAKE_AREA_BASE;
	*size = (uint64_t)FAKE_AREA_PAGES * 4096;
}

struct vmm_space *vmm_kernel_space(void)
{
	return (struct vmm_space *)&fake;
}

bool fake_log_on;
char fake_log[1024];

void fake_log_add(const char *word)
{
	size_t used = strlen(fake_log);

	if (!fake_log_on || used + strlen(word) + 2 >= sizeof(fake_log))
		return;
	if (used)
		fake_log[used++] = ' ';
	strcpy(fake_log + used, word);
}

void fake_log_clear(void)
{
	fake_log[0] = '\0';
}

static void fake_invalidate(struct fake_pte *pte)
{
	pte->cached = false;
	fake.invalidations++;
	fake_log_add("flush");
}

/* The entry a fake PTE holds, as mm/vmm.h describes it. */
static struct vmm_entry fake_entry_of(const struct fake_pte *pte)
{
	if (pte->present)
		return vmm_entry_present(pte->phys, pte->prot);
	if (pte->has_handle)
		return vmm_entry_handle(pte->handle);
	return vmm_entry_none();
}

static const char *fake_entry_word(const struct vmm_entry *entry)
{
	if (entry->kind == VMM_ENTRY_PRESENT)
		return "present";
	if (entry->kind == VMM_ENTRY_HANDLE)
		return entry->value == VMM_HANDLE_BUSY ? "busy" : "handle";
	return "none";
}

/* vmm_exchange; batch NULL: the old entry invalidated now ("flush"), else
 * recorded in batch for its round. */
static int fake_exchange(uintptr_t va, const struct vmm_entry *expected,
			 const struct vmm_entry *replacement,
			 struct vmm_entry *old, struct tlb_batch *batch)
{
	struct fake_pte *pte = fake_pte_of(va);
	char word[40];

	if (!pte || (va & 4095) ||
	    (replacement->kind == VMM_ENTRY_HANDLE &&
	     replacement->value >= VMM_HANDLE_LIMIT))
		return VMM_BAD_ADDRESS;
	struct vmm_entry was = fake_entry_of(pte);
	if (old)
		*old = was;
	if (expected && (was.kind != expected->kind ||
			 (was.kind != VMM_ENTRY_NONE && was.value != expected->value &&
			  !(was.kind == VMM_ENTRY_PRESENT &&
			    expected->value == VMM_FRAME_ANY))))
		return VMM_CHANGED;
	uint64_t frame = replacement->value;
	if (replacement->kind == VMM_ENTRY_PRESENT && frame == VMM_FRAME_ANY) {
		if (was.kind != VMM_ENTRY_PRESENT)
			return VMM_BAD_ADDRESS;
		frame = was.value;
	}
	if (replacement->kind != VMM_ENTRY_NONE && fake.table_limit_hit)
		return VMM_NO_MEMORY;
	if (fake_log_on) {
		snprintf(word, sizeof(word), "pte:%s>%s", fake_entry_word(&was),
			 fake_entry_word(replacement));
		fake_log_add(word);
	}
	bool cached = pte->cached;
	*pte = (struct fake_pte){
		.present = replacement->kind == VMM_ENTRY_PRESENT,
		.has_handle = replacement->kind == VMM_ENTRY_HANDLE,
		.prot = replacement->prot,
		.phys = replacement->kind == VMM_ENTRY_PRESENT ? frame : 0,
		.handle = replacement->kind == VMM_ENTRY_HANDLE ? replacement->value : 0,
		.cached = cached,	/* a TLB keeps its entry until invalidated */
	};
	if (was.kind == VMM_ENTRY_PRESENT) {
		if (batch)
			tlb_batch_add(batch, va);
		else
			fake_invalidate(pte);
	}
	return VMM_OK;
}

int vmm_exchange(struct vmm_space *space, uintptr_t va,
		 const struct vmm_entry *expected,
		 const struct vmm_entry *replacement, struct vmm_entry *old)
{
	(void)space;
	return fake_exchange(va, expected, replacement, old, NULL);
}

int vmm_exchange_batched(struct vmm_space *space, uintptr_t va,
			 const struct vmm_entry *expected,
			 const struct vmm_entry *replacement,
			 struct vmm_entry *old, struct tlb_batch *batch)
{
	(void)space;
	return fake_exchange(va, expected, replacement, old, batch);
}

/* The fake's tlb_batch (mm/tlb.h): pages recorded, then one "round:N"
 * that drops their cached entries; past TLB_BATCH_PAGES, "round:all"
 * drops every cached entry of the area. */
void tlb_batch_begin(struct tlb_batch *batch, struct vmm_space *space)
{
	*batch = (struct tlb_batch){ .space = space };
}

void tlb_batch_add(struct tlb_batch *batch, uintptr_t va)
{
	if (batch->whole)
		return;
	if (batch->count == TLB_BATCH_PAGES) {
		batch->whole = true;
		return;
	}
	batch->pages[batch->count++] = va & ~(uintptr_t)4095;
}

void tlb_batch_finish(struct tlb_batch *batch)
{
	char word[24];

	if (batch->whole) {
		for (uint32_t i = 0; i < FAKE_AREA_PAGES; i++)
			fake_table[i].cached = false;
		fake.invalidations++;
		fake.rounds++;
		fake_log_add("round:all");
	} else if (batch->count) {
		for (unsigned i = 0; i < batch->count; i++) {
			fake_pte_of(batch->pages[i])->cached = false;
			fake.invalidations++;
		}
		fake.rounds++;
		snprintf(word, sizeof(word), "round:%u", batch->count);
		fake_log_add(word);
	}
	tlb_batch_begin(batch, batch->space);
}

int vmm_map(struct vmm_space *space, uintptr_t va, uint64_t phys, unsigned prot)
{
	struct fake_pte *pte = fake_pte_of(va);

	(void)space;
	if (!pte || (va & 4095))
		return VMM_BAD_ADDRESS;
	if (pte->present || pte->has_handle)
		return VMM_EXISTS;
	*pte = (struct fake_pte){ .present = true, .prot = prot, .phys = phys };
	return VMM_OK;
}

int vmm_unmap(struct vmm_space *space, uintptr_t va, uint64_t *phys)
{
	struct fake_pte *pte = fake_pte_of(va);

	(void)space;
	if (!pte || !pte->present)
		return VMM_NOT_MAPPED;
	if (phys)
		*phys = pte->phys;
	pte->present = false;
	fake_invalidate(pte);
	return VMM_OK;
}

int vmm_protect(struct vmm_space *space, uintptr_t va, unsigned prot)
{
	struct fake_pte *pte = fake_pte_of(va);

	(void)space;
	if (!pte || !pte->present)
		return VMM_NOT_MAPPED;
	pte->prot = prot;
	fake_invalidate(pte);
	return VMM_OK;
}

bool vmm_translate(struct vmm_space *space, uintptr_t va, uint64_t *phys,
		   unsigned *prot)
{
	struct fake_pte *pte = fake_pte_of(va);

	(void)space;
	if (!pte || !pte->present)
		return false;
	if (phys)
		*phys = pte->phys;
	if (prot)
		*prot = pte->prot;
	return true;
}

bool vmm_test_and_clear_accessed(struct vmm_space *space, uintptr_t va)
{
	struct fake_pte *pte = fake_pte_of(va);
	bool was;

	(void)space;
	if (!pte || !pte->present)
		return false;
	was = pte->accessed;
	pte->accessed = false;
	fake_invalidate(pte);
	return was;
}

bool vmm_test_and_clear_dirty(struct vmm_space *space, uintptr_t va)
{
	struct fake_pte *pte = fake_pte_of(va);
	bool was;

	(void)space;
	if (!pte || !pte->present)
		return false;
	was = pte->dirty;
	pte->dirty = false;
	fake_invalidate(pte);
	return was;
}

int vmm_set_handle(struct vmm_space *space, uintptr_t va, uint64_t handle)
{
	struct fake_pte *pte = fake_pte_of(va);

	(void)space;
	if (!pte || pte->present || handle >= VMM_HANDLE_LIMIT)
		return VMM_BAD_ADDRESS;
	pte->has_handle = true;
	pte->handle = handle;
	return VMM_OK;
}

bool vmm_get_handle(struct vmm_space *space, uintptr_t va, uint64_t *handle)
{
	struct fake_pte *pte = fake_pte_of(va);

	(void)space;
	if (!pte || pte->present || !pte->has_handle)
		return false;
	*handle = pte->handle;
	return true;
}

int vmm_clear_handle(struct vmm_space *space, uintptr_t va)
{
	struct fake_pte *pte = fake_pte_of(va);

	(void)space;
	if (!pte || pte->present || !pte->has_handle)
		return VMM_NOT_MAPPED;
	pte->has_handle = false;
	return VMM_OK;
}

uint8_t *fake_access(uintptr_t va, bool write)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		struct fake_pte *pte = fake_pte_of(va & ~4095ull);
		if (pte && pte->present) {
			if (write && !(pte->prot & VMM_WRITE))
				return NULL;
			pte->accessed = true;
			pte->dirty |= write;
			pte->cached = true;
			return (uint8_t *)(uintptr_t)pte->phys + (va & 4095);
		}
		struct fault fault = {
			.address = va,
			.access = write ? FAULT_ACCESS_WRITE : FAULT_ACCESS_READ,
		};
		struct fault_outcome outcome;
		fault_dispatch(&fault, &outcome);
		if (outcome.response != FAULT_HANDLED &&
		    outcome.response != FAULT_RETRY)
			return NULL;
	}
	return NULL;
}

/*
 * Frames and the fake store's pages are host pages with a hidden word
 * after their 4096 bytes saying which allocator made them: the store may
 * be handed a frame (an adopted page) and free it through its provider,
 * as the kernel's store frees to the frame allocator, and the count of
 * live frames must follow.
 */
#define FAKE_MADE_BY_FRAME_ALLOC 0x4652414d45ull	/* "FRAME" */
#define FAKE_MADE_BY_STORE       0x53544f5245ull	/* "STORE" */

/* Every page handed out and not yet freed, for fake_live_pages_holding. */
static void **fake_live;
static size_t fake_live_count, fake_live_capacity;

static void *fake_page_alloc(uint64_t made_by)
{
	void *page;

	if (posix_memalign(&page, 4096, 4096 + sizeof(uint64_t)))
		return NULL;
	memcpy((uint8_t *)page + 4096, &made_by, sizeof(made_by));
	if (fake_live_count == fake_live_capacity) {
		fake_live_capacity = fake_live_capacity * 2 + 64;
		fake_live = realloc(fake_live, fake_live_capacity * sizeof(void *));
	}
	fake_live[fake_live_count++] = page;
	return page;
}

static void fake_live_forget(void *page)
{
	for (size_t i = fake_live_count; i-- > 0;) {
		if (fake_live[i] == page) {
			fake_live[i] = fake_live[--fake_live_count];
			return;
		}
	}
}

static uint64_t fake_page_maker(const void *page)
{
	uint64_t made_by;

	memcpy(&made_by, (const uint8_t *)page + 4096, sizeof(made_by));
	return made_by;
}

uint64_t frame_alloc(void)
{
	void *frame;

	if (fake.frame_limit && fake.frames_allocated >= fake.frame_limit)
		return FRAME_NONE;
	frame = fake_page_alloc(FAKE_MADE_BY_FRAME_ALLOC);
	if (!frame)
		return FRAME_NONE;
	memset(frame, 0xa5, 4096);	/* content undefined: not zero */
	fake.frames_allocated++;
	fake_log_add("frame-alloc");
	return (uint64_t)(uintptr_t)frame;
}

void frame_free(uint64_t frame)
{
	fake.frames_allocated--;
	fake_live_forget((void *)(uintptr_t)frame);
	fake_log_add("frame-free");
	if (fake_quarantine_count == fake_quarantine_capacity) {
		fake_quarantine_capacity = fake_quarantine_capacity * 2 + 64;
		fake_quarantine = realloc(fake_quarantine, fake_quarantine_capacity *
								   sizeof(void *));
	}
	fake_quarantine[fake_quarantine_count++] = (void *)(uintptr_t)frame;
}

static bool fake_page_holds(const uint8_t *page, const void *needle,
			    size_t length)
{
	for (size_t at = 0; at + length <= 4096; at++) {
		if (memcmp(page + at, needle, length) == 0)
			return true;
	}
	return false;
}

unsigned fake_freed_frames_holding(const void *needle, size_t length)
{
	unsigned count = 0;

	for (size_t i = 0; i < fake_quarantine_count; i++)
		count += fake_page_holds(fake_quarantine[i], needle, length);
	return count;
}

unsigned fake_live_pages_holding(const void *needle, size_t length)
{
	unsigned count = 0;

	for (size_t i = 0; i < fake_live_count; i++)
		count += fake_page_holds(fake_live[i], needle, length);
	return count;
}

void fake_release_quarantine(void)
{
	for (size_t i = 0; i < fake_quarantine_count; i++)
		free(fake_quarantine[i]);
	fake_quarantine_count = 0;
}

void *frame_address(uint64_t frame)
{
	return (void *)(uintptr_t)frame;
}

uint64_t frame_free_count(void)
{
	return 0;
}

void *kmalloc(size_t size)
{
	void *p = size ? malloc(size) : NULL;

	if (p)
		fake.kmalloc_live++;
	return p;
}

void kfree(void *object)
{
	if (object)
		fake.kmalloc_live--;
	free(object);
}

static void *fake_store_page_alloc(void *context)
{
	(void)context;
	return fake_page_alloc(FAKE_MADE_BY_STORE);
}

/* A frame the store adopted goes back to the frame allocator. */
static void fake_store_page_free(void *context, void *page)
{
	(void)context;
	if (fake_page_maker(page) == FAKE_MADE_BY_FRAME_ALLOC) {
		frame_free((uint64_t)(uintptr_t)page);
	} else {
		fake_live_forget(page);
		free(page);
	}
}

struct store *fake_store_create(uint64_t frame_limit)
{
	struct zstore_config config = {
		.name = "test",
		.provider = { fake_store_page_alloc, fake_store_page_free, NULL },
		.frame_limit = frame_limit,
	};

	return zstore_create(&config);
}
