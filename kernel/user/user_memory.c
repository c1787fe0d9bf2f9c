/*
 * A process's mappings and the regions behind them (user_memory.h). Each
 * mapping made by user_memory_map gets a region of its own at its address
 * in the process's space; munmap of part of a mapping unmaps those pages
 * of the region and splits the mapping, the pieces sharing the region
 * (struct user_backing) until the last piece goes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_cpu.h"
#include "kernel/user/user_errno.h"
#include "kernel/user/user_memory.h"
#include "mm/clear_share.h"
#include "mm/region.h"
#include "mm/slab.h"
#include "mm/store.h"
#include "mm/vmm.h"

#define USER_PAGE 4096ull

static uint64_t user_page_down(uint64_t address)
{
	return address & ~(USER_PAGE - 1);
}

static uint64_t user_page_up(uint64_t address)
{
	return (address + USER_PAGE - 1) & ~(USER_PAGE - 1);
}

int user_memory_init(struct user_memory *memory, struct vmm_space *space,
		     const char *scheme, uint32_t clear_pages,
		     uint32_t clear_percent)
{
	struct scheme parsed;

	memset(memory, 0, sizeof(*memory));
	spin_init(&memory->lock, "user_memory");
	memory->space = space;
	ksnprintf(memory->scheme, sizeof(memory->scheme), "%s", scheme);
	memory->clear_pages = clear_pages ? clear_pages : USER_CLEAR_DEFAULT;
	if (memory->clear_pages < USER_CLEAR_MIN)
		memory->clear_pages = USER_CLEAR_MIN;
	memory->clear_percent = clear_percent;
	memory->mmap_top = user_page_down(user_address_limit()) -
			   (USER_STACK_PAGES + 16) * USER_PAGE;
	if (scheme_parse(scheme, &parsed) != 0)
		return -USER_EINVAL;
	/* One clear set over every mapping: its pages compete with each
	 * other under the scheme's policy (mm/clear_share.h). */
	if (clear_share_init(&memory->share, parsed.policy,
			     clear_percent ? USER_CLEAR_MIN : memory->clear_pages,
			     clear_percent, &memory->group) != 0)
		return -USER_ENOMEM;
	return 0;
}

static void user_backing_put(struct user_memory *memory,
			     struct user_backing *backing)
{
	if (--backing->users > 0)
		return;
	struct region_stats stats;
	region_get_stats(backing->region, &stats);
	unsigned long flags = spin_lock_irqsave(&memory->lock);
	region_stats_add(&memory->retired, &stats);
	spin_unlock_irqrestore(&memory->lock, flags);
	region_destroy(backing->region);
	kfree(backing);
}

/* A region for [start, end) under the process's scheme. */
static struct user_backing *user_backing_create(struct user_memory *memory,
						uint64_t start, uint64_t end,
						unsigned protection,
						const char *name)
{
	uint32_t pages = (uint32_t)((end - start) / USER_PAGE);
	struct region_config config = {
		.name = name,
		.pages = pages,
		.clear_limit = 1,	/* the share's budget bounds it */
		.share = &memory->share,
		.scheme = memory->scheme,
		.store = store_default(),
		.protection = protection | VMM_USER,
		.space = memory->space,
		.base = start,
		.group = &memory->group,
	};
	struct user_backing *backing = kmalloc(sizeof(*backing));

	if (!backing)
		return NULL;
	if (region_create(&config, &backing->region) != REGION_OK) {
		kfree(backing);
		return NULL;
	}
	backing->users = 1;
	return backing;
}

static const char *user_mapping_kind_name(enum user_mapping_kind kind)
{
	switch (kind) {
	case USER_MAPPING_IMAGE: return "user-image";
	case USER_MAPPING_HEAP: return "user-heap";
	case USER_MAPPING_STACK: return "user-stack";
	case USER_MAPPING_ANONYMOUS: return "user-mmap";
	}
	return "user";
}

/* Whether [start, end) meets a mapping. Lock held. */
static bool user_range_busy(struct user_memory *memory, uint64_t start,
			    uint64_t end)
{
	for (struct user_mapping *m = memory->mappings; m; m = m->next) {
		if (m->start < end && start < m->end)
			return true;
	}
	return false;
}

/* Links mapping in address order. Lock held. */
static void user_mapping_link(struct user_memory *memory,
			      struct user_mapping *mapping)
{
	struct user_mapping **link = &memory->mappings;

	while (*link && (*link)->start < mapping->start)
		link = &(*link)->next;
	mapping->next = *link;
	*link = mapping;
}

static bool user_range_valid(uint64_t start, uint64_t length)
{
	return length > 0 && (start % USER_PAGE) == 0 &&
	       (length % USER_PAGE) == 0 && start >= USER_ADDRESS_MIN &&
	       start < user_address_limit() &&
	       length <= user_address_limit() - start &&
	       length / USER_PAGE <= UINT32_MAX;
}

int user_memory_map(struct user_memory *memory, uint64_t start,
		    uint64_t length, unsigned protection,
		    enum user_mapping_kind kind)
{
	if (!user_range_valid(start, length))
		return -USER_EINVAL;
	unsigned long flags = spin_lock_irqsave(&memory->lock);
	bool busy = user_range_busy(memory, start, start + length);
	spin_unlock_irqrestore(&memory->lock, flags);
	if (busy)
		return -USER_EEXIST;
	struct user_mapping *mapping = kmalloc(sizeof(*mapping));
	if (!mapping)
		return -USER_ENOMEM;
	mapping->backing = user_backing_create(memory, start, start + length,
					       protection,
					       user_mapping_kind_name(kind));
	if (!mapping->backing) {
		kfree(mapping);
		return -USER_ENOMEM;
	}
	mapping->start = start;
	mapping->end = start + length;
	mapping->protection = protection;
	mapping->kind = kind;
	flags = spin_lock_irqsave(&memory->lock);
	user_mapping_link(memory, mapping);
	spin_unlock_irqrestore(&memory->lock, flags);
	return 0;
}

uint64_t user_memory_find_gap(struct user_memory *memory, uint64_t length)
{
	unsigned long flags = spin_lock_irqsave(&memory->lock);
	uint64_t end = memory->mmap_top;
	uint64_t found = 0;

	/* Top-down: below the lowest mapping that meets the candidate. */
	while (end >= length + USER_ADDRESS_MIN) {
		uint64_t start = end - length;
		struct user_mapping *hit = NULL;
		for (struct user_mapping *m = memory->mappings; m; m = m->next) {
			if (m->start < end && start < m->end)
				hit = m;	/* the highest in the list that meets */
		}
		if (!hit) {
			found = start;
			break;
		}
		end = user_page_down(hit->start);
	}
	spin_unlock_irqrestore(&memory->lock, flags);
	return found;
}

/* Pages of mapping's region that [start, end) covers, as a region range. */
static void user_region_range(const struct user_mapping *mapping,
			      uint64_t start, uint64_t end, uint32_t *first,
			      uint32_t *count)
{
	struct region *region = mapping->backing->region;

	*first = (uint32_t)((start - region->base) / USER_PAGE);
	*count = (uint32_t)((end - start) / USER_PAGE);
}

/* Takes [start, end) out of mapping (which it meets): its pages are
 * unmapped, and the mapping shrinks, splits or goes. Lock not held; the
 * list changes under it. */
static int user_mapping_cut(struct user_memory *memory,
			    struct user_mapping *mapping, uint64_t start,
			    uint64_t end)
{
	uint64_t cut_start = start > mapping->start ? start : mapping->start;
	uint64_t cut_end = end < mapping->end ? end : mapping->end;
	uint32_t first, count;
	struct user_mapping *tail = NULL;

	if (cut_start > mapping->start && cut_end < mapping->end) {
		tail = kmalloc(sizeof(*tail));
		if (!tail)
			return -USER_ENOMEM;
		*tail = *mapping;
		tail->start = cut_end;
		tail->backing->users++;
	}
	user_region_range(mapping, cut_start, cut_end, &first, &count);
	region_unmap_range(mapping->backing->region, first, count);
	unsigned long flags = spin_lock_irqsave(&memory->lock);
	if (tail) {
		mapping->end = cut_start;
		user_mapping_link(memory, tail);
	} else if (cut_start > mapping->start) {
		mapping->end = cut_start;
	} else if (cut_end < mapping->end) {
		mapping->start = cut_end;
	} else {
		struct user_mapping **link = &memory->mappings;
		while (*link != mapping)
			link = &(*link)->next;
		*link = mapping->next;
		spin_unlock_irqrestore(&memory->lock, flags);
		user_backing_put(memory, mapping->backing);
		kfree(mapping);
		return 0;
	}
	spin_unlock_irqrestore(&memory->lock, flags);
	return 0;
}

int user_memory_unmap(struct user_memory *memory, uint64_t start,
		      uint64_t length)
{
	if (!user_range_valid(start, user_page_up(length)))
		return -USER_EINVAL;
	uint64_t end = start + user_page_up(length);

	for (;;) {
		struct user_mapping *hit = NULL;
		unsigned long flags = spin_lock_irqsave(&memory->lock);
		for (struct user_mapping *m = memory->mappings; m; m = m->next) {
			if (m->start < end && start < m->end) {
				hit = m;
				break;
			}
		}
		spin_unlock_irqrestore(&memory->lock, flags);
		if (!hit)
			return 0;
		if (hit->kind == USER_MAPPING_HEAP && hit->start >= start &&
		    hit->end <= end)
			memory->heap_start = memory->heap_end = 0;
		int result = user_mapping_cut(memory, hit, start, end);
		if (result != 0)
			return result;
	}
}

/* Where a mapping's pages end for accesses: the heap's at the brk. Lock
 * held. */
static uint64_t user_mapping_access_end(const struct user_memory *memory,
					const struct user_mapping *mapping)
{
	if (mapping->kind != USER_MAPPING_HEAP)
		return mapping->end;
	uint64_t brk = user_page_up(memory->heap_end);
	return brk < mapping->end ? brk : mapping->end;
}

int user_memory_protect(struct user_memory *memory, uint64_t start,
			uint64_t length, unsigned protection)
{
	uint64_t end = start + user_page_up(length);

	if (!user_range_valid(start, user_page_up(length)))
		return -USER_EINVAL;
	/* Regions change protection as a whole: each mapping the range
	 * covers must have a region of its own for exactly its pages
	 * (user_memory_isolate makes one for part of a mapping). */
	for (uint64_t at = start; at < end;) {
		struct user_mapping *hit = NULL;
		unsigned long flags = spin_lock_irqsave(&memory->lock);
		for (struct user_mapping *m = memory->mappings; m; m = m->next) {
			if (m->start <= at && at < m->end)
				hit = m;
		}
		spin_unlock_irqrestore(&memory->lock, flags);
		if (!hit)
			return -USER_ENOMEM;
		struct region *region = hit->backing->region;
		if (hit->start != at || hit->end > end ||
		    hit->backing->users != 1 || region->base != hit->start) {
			/* Part of a mapping, or a piece sharing its region:
			 * the range gets a region of its own first. */
			uint64_t stop = hit->end < end ? hit->end : end;
			int result = user_memory_isolate(memory, at, stop);
			if (result != 0)
				return result;
			continue;
		}
		/* No access at all cannot be a present page on x86-64-like
		 * MMUs (present means readable): such pages are sealed. */
		if (!(protection & (VMM_READ | VMM_WRITE | VMM_EXEC)))
			region_purge_range(region, 0, region->pages);
		region_protect(region, protection | VMM_USER);
		hit->protection = protection;
		at = hit->end;
	}
	return 0;
}

int user_memory_heap_init(struct user_memory *memory, uint64_t start)
{
	int result = user_memory_map(memory, start,
				     (uint64_t)USER_HEAP_PAGES * USER_PAGE,
				     VMM_READ | VMM_WRITE, USER_MAPPING_HEAP);
	if (result == 0)
		memory->heap_start = memory->heap_end = start;
	return result;
}

uint64_t user_memory_brk(struct user_memory *memory, uint64_t end)
{
	uint64_t start = memory->heap_start;
	uint64_t limit = start + (uint64_t)USER_HEAP_PAGES * USER_PAGE;

	if (start == 0 || end < start || end > limit)
		return memory->heap_end;
	uint64_t old_end = user_page_up(memory->heap_end);
	if (user_page_up(end) < old_end) {
		/* Pages given back read as zeros if the heap grows again. */
		struct user_mapping *heap = NULL;
		for (struct user_mapping *m = memory->mappings; m; m = m->next) {
			if (m->kind == USER_MAPPING_HEAP)
				heap = m;
		}
		if (heap) {
			uint32_t first, count;
			user_region_range(heap, user_page_up(end), old_end,
					  &first, &count);
			region_unmap_range(heap->backing->region, first, count);
		}
	}
	unsigned long flags = spin_lock_irqsave(&memory->lock);
	memory->heap_end = end;
	spin_unlock_irqrestore(&memory->lock, flags);
	return end;
}

/* The mapping holding address, or NULL. Lock held. */
static struct user_mapping *user_mapping_at(struct user_memory *memory,
					    uint64_t address)
{
	for (struct user_mapping *m = memory->mappings; m; m = m->next) {
		if (m->start <= address &&
		    address < user_mapping_access_end(memory, m))
			return m;
	}
	return NULL;
}

static unsigned user_access_protection(enum fault_access access)
{
	switch (access) {
	case FAULT_ACCESS_WRITE: return VMM_WRITE;
	case FAULT_ACCESS_EXECUTE: return VMM_EXEC;
	case FAULT_ACCESS_READ: break;
	}
	return VMM_READ;
}

/* Whether protection allows access (writable and executable pages are
 * readable, as on x86). */
static bool user_protection_allows(unsigned protection, unsigned access)
{
	if (access == VMM_READ)
		return protection & (VMM_READ | VMM_WRITE | VMM_EXEC);
	return protection & access;
}

enum fault_response user_memory_fault(struct user_memory *memory,
				      const struct fault *fault,
				      const char **reason)
{
	unsigned access = user_access_protection(fault->access);
	unsigned long flags = spin_lock_irqsave(&memory->lock);
	struct user_mapping *mapping = user_mapping_at(memory, fault->address);
	struct region *region = mapping ? mapping->backing->region : NULL;
	bool allowed = mapping &&
		       user_protection_allows(mapping->protection, access);
	spin_unlock_irqrestore(&memory->lock, flags);

	if (!mapping) {
		*reason = "address outside the process's mappings";
		return FAULT_ERROR;
	}
	if (!allowed) {
		*reason = access == VMM_WRITE ? "write to a read-only mapping" :
			  access == VMM_EXEC ? "execution of a non-executable mapping" :
					       "read of a mapping without access";
		return FAULT_ERROR;
	}
	if (fault->reserved) {
		*reason = "reserved bit set in a user page-table entry";
		return FAULT_ERROR;
	}
	uint32_t page = (uint32_t)((fault->address - region->base) / USER_PAGE);
	int result;
	enum fault_response response = region_serve_fault(region, page,
							  fault->access, reason,
							  &result);
	if (result == REGION_NO_MEMORY) {
		/* The machine has no frame for it: the process ends as
		 * Linux's out-of-memory killer would end it. */
		memory->out_of_memory = true;
		*reason = "out of memory: no frame for the page";
	}
	return response;
}

bool user_memory_allows(struct user_memory *memory, uint64_t start,
			uint64_t length, unsigned access)
{
	if (length == 0)
		return true;
	if (start < USER_ADDRESS_MIN || start >= user_address_limit() ||
	    length > user_address_limit() - start)
		return false;
	unsigned long flags = spin_lock_irqsave(&memory->lock);
	uint64_t at = start, end = start + length;
	bool allowed = true;
	while (allowed && at < end) {
		struct user_mapping *m = user_mapping_at(memory, at);
		allowed = m && user_protection_allows(m->protection, access);
		if (allowed)
			at = user_mapping_access_end(memory, m);
	}
	spin_unlock_irqrestore(&memory->lock, flags);
	return allowed;
}

void user_memory_destroy(struct user_memory *memory)
{
	while (memory->mappings) {
		struct user_mapping *mapping = memory->mappings;
		unsigned long flags = spin_lock_irqsave(&memory->lock);
		memory->mappings = mapping->next;
		spin_unlock_irqrestore(&memory->lock, flags);
		user_backing_put(memory, mapping->backing);
		kfree(mapping);
	}
	clear_share_destroy(&memory->share);
}

void user_memory_totals(struct user_memory *memory,
			struct region_stats *retired, struct region_group *group)
{
	unsigned long flags = spin_lock_irqsave(&memory->lock);

	*retired = memory->retired;
	spin_unlock_irqrestore(&memory->lock, flags);
	region_group_snapshot(&memory->group, group);
}

int user_memory_discard(struct user_memory *memory, uint64_t start,
			uint64_t length)
{
	if (length == 0)
		return 0;
	if (!user_range_valid(start, user_page_up(length)))
		return -USER_EINVAL;
	uint64_t end = start + user_page_up(length);
	for (uint64_t at = start; at < end;) {
		unsigned long flags = spin_lock_irqsave(&memory->lock);
		struct user_mapping *m = user_mapping_at(memory, at);
		uint64_t stop = m ? user_mapping_access_end(memory, m) : 0;
		spin_unlock_irqrestore(&memory->lock, flags);
		if (!m)
			return -USER_ENOMEM;
		if (stop > end)
			stop = end;
		uint32_t first, count;
		user_region_range(m, at, stop, &first, &count);
		region_unmap_range(m->backing->region, first, count);
		at = stop;
	}
	return 0;
}

/* The child's backing of the parent's: made for the first mapping that
 * uses it (pieces of a split mapping keep sharing one region), its pages
 * given by region_fork. NULL when memory is short. */
static struct user_backing *user_backing_fork(struct user_memory *child,
					      struct user_memory *parent,
					      const struct user_mapping *until,
					      const struct user_mapping *mapping)
{
	struct user_mapping *copy = child->mappings;

	for (const struct user_mapping *m = parent->mappings; m != until;
	     m = m->next, copy = copy->next) {
		if (m->backing == mapping->backing) {
			copy->backing->users++;
			return copy->backing;
		}
	}
	struct region *region = mapping->backing->region;
	struct user_backing *backing = user_backing_create(
		child, region->base,
		region->base + (uint64_t)region->pages * USER_PAGE,
		region->protection & ~(unsigned)VMM_USER,
		user_mapping_kind_name(mapping->kind));
	if (backing && region_fork(region, backing->region) != REGION_OK) {
		user_backing_put(child, backing);
		backing = NULL;
	}
	return backing;
}

/* Appends a copy of mapping to child (the parent's list is in address
 * order, so appending keeps the child's in order too). */
static int user_mapping_fork(struct user_memory *child,
			     struct user_memory *parent,
			     const struct user_mapping *mapping,
			     struct user_mapping ***tail)
{
	struct user_mapping *copy = kmalloc(sizeof(*copy));

	if (!copy)
		return -USER_ENOMEM;
	*copy = *mapping;
	copy->next = NULL;
	copy->backing = user_backing_fork(child, parent, mapping, mapping);
	if (!copy->backing) {
		kfree(copy);
		return -USER_ENOMEM;
	}
	unsigned long flags = spin_lock_irqsave(&child->lock);
	**tail = copy;
	*tail = &copy->next;
	spin_unlock_irqrestore(&child->lock, flags);
	return 0;
}

int user_memory_fork(struct user_memory *child, struct user_memory *parent)
{
	struct user_mapping **tail = &child->mappings;

	if (child->mappings)
		return -USER_EINVAL;
	/* The child starts with the parent's budget (its present pages are
	 * the parent's, shared copy-on-write). */
	clear_share_raise_limit(&child->share,
				clear_share_limit(&parent->share));
	child->heap_start = parent->heap_start;
	child->heap_end = parent->heap_end;
	child->mmap_top = parent->mmap_top;
	for (const struct user_mapping *m = parent->mappings; m; m = m->next) {
		int result = user_mapping_fork(child, parent, m, &tail);
		if (result != 0)
			return result;
	}
	return 0;
}

int user_memory_lookup(struct user_memory *memory, uint64_t address,
		       struct user_memory_span *span)
{
	unsigned long flags = spin_lock_irqsave(&memory->lock);
	struct user_mapping *hit = NULL;

	for (struct user_mapping *m = memory->mappings; m; m = m->next) {
		if (m->start <= address && address < m->end)
			hit = m;
	}
	if (hit)
		*span = (struct user_memory_span){
			.start = hit->start, .end = hit->end,
			.protection = hit->protection, .kind = hit->kind,
			.own_region = hit->backing->users == 1 &&
				      hit->backing->region->base == hit->start &&
				      hit->backing->region->pages ==
					      (hit->end - hit->start) / USER_PAGE,
		};
	spin_unlock_irqrestore(&memory->lock, flags);
	return hit ? 0 : -USER_ENOMEM;
}

/* The mapping at address made readable (true) for a kernel copy, or put
 * back to protection (false). Its region changes with it: pieces of a
 * split mapping share the region, and only the calling thread runs the
 * process meanwhile. */
static void user_memory_set_readable(struct user_memory *memory,
				     uint64_t address, unsigned protection,
				     bool readable)
{
	unsigned long flags = spin_lock_irqsave(&memory->lock);
	struct user_mapping *mapping = user_mapping_at(memory, address);
	struct region *region = mapping ? mapping->backing->region : NULL;
	if (mapping)
		mapping->protection = readable ? protection | VMM_READ : protection;
	spin_unlock_irqrestore(&memory->lock, flags);
	if (!region)
		return;
	/* No access at all cannot be a present page: such pages are sealed
	 * (as user_memory_protect does). */
	if (!readable && !(protection & (VMM_READ | VMM_WRITE | VMM_EXEC)))
		region_purge_range(region, 0, region->pages);
	region_protect(region, (readable ? protection | VMM_READ : protection) |
				       VMM_USER);
}

/* One page from `from` to `to` through page (a kernel buffer). */
static int user_memory_copy_page(uint64_t to, uint64_t from, void *page)
{
	int result = user_copy_from(page, from, USER_PAGE);

	return result ? result : user_copy_to(to, page, USER_PAGE);
}

int user_memory_copy_pages(struct user_memory *memory, uint64_t to,
			   uint64_t from, uint64_t length)
{
	void *page = kmalloc(USER_PAGE);
	int result = 0;

	if (!page)
		return -USER_ENOMEM;
	for (uint64_t done = 0; result == 0 && done < length;) {
		struct user_memory_span span;
		result = user_memory_lookup(memory, from + done, &span);
		if (result)
			break;
		uint64_t stop = span.end - from < length ? span.end - from : length;
		bool hidden = !(span.protection & VMM_READ);
		if (hidden)
			user_memory_set_readable(memory, from + done,
						 span.protection, true);
		for (; result == 0 && done < stop; done += USER_PAGE)
			result = user_memory_copy_page(to + done, from + done, page);
		if (hidden)
			user_memory_set_readable(memory, span.start,
						 span.protection, false);
	}
	kfree(page);
	return result;
}
