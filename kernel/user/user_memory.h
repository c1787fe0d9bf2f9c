/*
 * A process's memory: its mappings (program image, heap, stack, anonymous
 * mmap), each backed by a transformed region of the process's address
 * space under the process's scheme, so every user page goes through the
 * four events as kernel regions' pages do. A fault on a user address is
 * served here: found in a mapping whose protection allows the access, it
 * goes to the mapping's region; otherwise it is the process's error.
 *
 * Locking: memory->lock (irqsave) protects the mapping list, the heap
 * bounds and the retired statistics; faults read them with interrupts
 * off, then call the region without it (the region has its own lock).
 * Mappings change only from the one thread that runs in the memory (the
 * process's, or its vfork child's while the process is suspended), so a
 * region found under the lock stays alive while its fault is served.
 */
#ifndef VEIL_KERNEL_USER_USER_MEMORY_H
#define VEIL_KERNEL_USER_USER_MEMORY_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/lib/spinlock.h"
#include "mm/fault.h"
#include "mm/clear_share.h"
#include "mm/region.h"

struct vmm_space;

enum user_mapping_kind {
	USER_MAPPING_IMAGE,	/* a PT_LOAD segment of the program */
	USER_MAPPING_HEAP,	/* brk */
	USER_MAPPING_STACK,
	USER_MAPPING_ANONYMOUS,	/* mmap */
};

/* A region shared by the pieces of a mapping split by munmap. */
struct user_backing {
	struct region *region;
	unsigned users;
};

struct user_mapping {
	struct user_mapping *next;	/* by address */
	uint64_t start, end;		/* [start, end), page-aligned */
	unsigned protection;		/* VMM_READ | VMM_WRITE | VMM_EXEC */
	enum user_mapping_kind kind;
	struct user_backing *backing;	/* its region covers [start, end) */
};

/* Pages of the heap's reserved region and of the stack. */
#define USER_HEAP_PAGES 16384u		/* 64 MiB of brk */
#define USER_STACK_PAGES 2048u		/* 8 MiB */
/* Pages the process's clear set holds when it does not say (4 MiB). */
#define USER_CLEAR_DEFAULT 1024u
/* The least the process's clear set holds, in pages or in percent: one
 * instruction may need its code, two operands and the stack present at
 * once, each across a page boundary, so fewer could fault forever. */
#define USER_CLEAR_MIN 8u

struct user_memory {
	struct spinlock lock;		/* see the top of this file */
	struct vmm_space *space;
	struct user_mapping *mappings;
	uint64_t heap_start, heap_end;	/* the brk range in use */
	uint64_t mmap_top;		/* anonymous mappings go below */
	char scheme[64];		/* every mapping's scheme */
	uint32_t clear_pages;		/* the clear set's pages (fixed) */
	uint32_t clear_percent;		/* 1..100: the clear set follows this
					 * share of the populated pages */
	struct clear_share share;	/* one clear set over every mapping */
	struct region_stats retired;	/* summed from destroyed regions */
	struct region_group group;	/* every mapping's region counted */
	bool out_of_memory;		/* a fault found no frame */
};

/* Results: 0 or a negative Linux error (kernel/user/user_errno.h). */
/* memory empty in space, under scheme, with one clear set over all its
 * mappings: clear_pages pages (0: USER_CLEAR_DEFAULT), or clear_percent
 * (1..100) of its populated pages when not 0. 0, -EINVAL for a scheme
 * that does not parse, -ENOMEM. */
int user_memory_init(struct user_memory *memory, struct vmm_space *space,
		     const char *scheme, uint32_t clear_pages,
		     uint32_t clear_percent);
/* Destroys every mapping and region (frames and sealed copies freed). */
void user_memory_destroy(struct user_memory *memory);
/* The memory's life figures now: the retired regions' statistics and the
 * group's counters. Safe while another thread (a vfork child borrowing
 * the memory) changes the mappings. */
void user_memory_totals(struct user_memory *memory,
			struct region_stats *retired, struct region_group *group);
/* Makes child (initialised by the caller with user_memory_init on the
 * child's new space, same scheme and clear limit) a copy of parent: every
 * mapping and the heap bounds copied; pages present in the parent shared
 * copy-on-write, sealed pages copied (mm/region_fork.c). 0 or -ENOMEM
 * (child then holds whatever was copied; user_memory_destroy frees it).
 * Called by the thread that runs in parent's memory (the parent's, or its
 * vfork child's): its mappings do not change meanwhile. */
int user_memory_fork(struct user_memory *child, struct user_memory *parent);

/* Maps [start, start + length) (page-aligned, inside the user half, over
 * nothing mapped): -EINVAL, -ENOMEM, -EEXIST. */
int user_memory_map(struct user_memory *memory, uint64_t start,
		    uint64_t length, unsigned protection,
		    enum user_mapping_kind kind);
/* A free range of length bytes below mmap_top (0 when none). */
uint64_t user_memory_find_gap(struct user_memory *memory, uint64_t length);
/* Unmaps every page of the range that is mapped (splitting mappings). */
int user_memory_unmap(struct user_memory *memory, uint64_t start,
		      uint64_t length);
/* Drops the content of every mapped page of the range (they read as
 * zeros at their next touch; MADV_DONTNEED): 0, or -EINVAL for an
 * unaligned or outside range, -ENOMEM when a page is not mapped. */
int user_memory_discard(struct user_memory *memory, uint64_t start,
			uint64_t length);
/* Changes the protection of the whole range, which must be mapped and
 * cover whole mappings or their parts: -ENOMEM when a page is unmapped. */
int user_memory_protect(struct user_memory *memory, uint64_t start,
			uint64_t length, unsigned protection);
/* The heap: sets up [start, start) with room for USER_HEAP_PAGES. */
int user_memory_heap_init(struct user_memory *memory, uint64_t start);
/* brk(2): moves the heap's end to end when it can; returns the end now. */
uint64_t user_memory_brk(struct user_memory *memory, uint64_t end);

/* A mapping as user_memory_lookup describes it. */
struct user_memory_span {
	uint64_t start, end;
	unsigned protection;
	enum user_mapping_kind kind;
	bool own_region;	/* its region covers exactly [start, end) */
};
/* The mapping that holds address: 0, or -ENOMEM when none does. */
int user_memory_lookup(struct user_memory *memory, uint64_t address,
		       struct user_memory_span *span);
/* Copies length bytes (whole pages) of the calling process's memory from
 * `from` to `to` (mapped, writable) through a kernel page; a source
 * without read access is made readable for the copy and put back. 0,
 * -ENOMEM (the source is not all mapped, or no buffer), -EFAULT. */
int user_memory_copy_pages(struct user_memory *memory, uint64_t to,
			   uint64_t from, uint64_t length);
/* mremap(2) (kernel/user/user_memory_move.c): shrinks, grows in place
 * (a mapping of its own after the old one) or moves by copy. The new
 * address, or a negative Linux error. */
long user_memory_remap(struct user_memory *memory, uint64_t old_address,
		       uint64_t old_length, uint64_t new_length,
		       unsigned flags, uint64_t new_address);
#define USER_MREMAP_MAYMOVE 1u
#define USER_MREMAP_FIXED 2u
#define USER_MREMAP_DONTUNMAP 4u
/* Gives [start, end) (inside one mapping that shares its region or
 * covers only part of it) a mapping and region of its own, same content
 * and protection, by copy (kernel/user/user_memory_move.c): what a
 * protection change of part of a mapping needs. 0 or a negative error. */
int user_memory_isolate(struct user_memory *memory, uint64_t start,
			uint64_t end);

/* Serves a fault on a user address of the calling thread's process. */
enum fault_response user_memory_fault(struct user_memory *memory,
				      const struct fault *fault,
				      const char **reason);
/* Whether [start, start + length) lies in mappings allowing access (for
 * the checks of user pointers before a copy). */
bool user_memory_allows(struct user_memory *memory, uint64_t start,
			uint64_t length, unsigned access);

#endif
