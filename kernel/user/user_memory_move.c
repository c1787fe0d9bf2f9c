/*
 * Moving a process's pages to a new mapping (user_memory.h): mremap(2),
 * and a protection change of part of a mapping. A region is made once
 * for a range and changes protection as a whole (mm/region.h), and its
 * sealed copies are bound to it (a cipher binds each to its region and
 * page), so pages never change regions: a range that needs a mapping of
 * its own gets a new region and its bytes by copy, through the calling
 * process's own accesses (each page faulted in from its old region and
 * written into the new one, sealed there as the clear set decides).
 * Only the process's own thread calls these (its mappings do not change
 * meanwhile).
 */
#include <stdint.h>
#include "kernel/user/user_cpu.h"
#include "kernel/user/user_errno.h"
#include "kernel/user/user_memory.h"
#include "mm/vmm.h"

#define USER_MOVE_PAGE 4096ull

static uint64_t user_move_page_up(uint64_t value)
{
	return (value + USER_MOVE_PAGE - 1) & ~(USER_MOVE_PAGE - 1);
}

/* Whether [start, end) is all mapped, mapping after mapping; *protection
 * gets the first mapping's. */
static bool user_move_covered(struct user_memory *memory, uint64_t start,
			      uint64_t end, unsigned *protection)
{
	for (uint64_t at = start; at < end;) {
		struct user_memory_span span;
		if (user_memory_lookup(memory, at, &span) != 0 ||
		    span.kind == USER_MAPPING_HEAP)
			return false;
		if (at == start)
			*protection = span.protection;
		at = span.end;
	}
	return true;
}

/* Whether nothing is mapped in [start, end) (inside the user half). */
static bool user_move_free(struct user_memory *memory, uint64_t start,
			   uint64_t end)
{
	if (start < USER_ADDRESS_MIN || end > user_address_limit() || end < start)
		return false;
	for (uint64_t at = start; at < end; at += USER_MOVE_PAGE) {
		struct user_memory_span span;
		if (user_memory_lookup(memory, at, &span) == 0)
			return false;
	}
	return true;
}

/*
 * A new mapping at `to` (a gap when to is 0) of length bytes holding
 * copied bytes of `from` (the rest zeros), with protection: writable
 * while the bytes go in. Its address, or 0 with *error.
 */
static uint64_t user_move_copy_out(struct user_memory *memory, uint64_t to,
				   uint64_t length, uint64_t from,
				   uint64_t copied, unsigned protection,
				   long *error)
{
	if (!to)
		to = user_memory_find_gap(memory, length);
	int result = to ? user_memory_map(memory, to, length,
					  protection | VMM_READ | VMM_WRITE,
					  USER_MAPPING_ANONYMOUS) :
			  -USER_ENOMEM;
	if (result == 0)
		result = user_memory_copy_pages(memory, to, from, copied);
	if (result == 0 && protection != (protection | VMM_READ | VMM_WRITE))
		result = user_memory_protect(memory, to, length, protection);
	if (result != 0) {
		if (to && result != -USER_EEXIST)
			user_memory_unmap(memory, to, length);
		*error = result == -USER_EFAULT ? -USER_EFAULT : -USER_ENOMEM;
		return 0;
	}
	return to;
}

/* Grows [old, old + old_length) in place: a mapping of its own after it,
 * same protection. 0 or -ENOMEM. */
static long user_move_grow_in_place(struct user_memory *memory, uint64_t old,
				    uint64_t old_length, uint64_t new_length,
				    unsigned protection)
{
	if (!user_move_free(memory, old + old_length, old + new_length))
		return -USER_ENOMEM;
	int result = user_memory_map(memory, old + old_length,
				     new_length - old_length, protection,
				     USER_MAPPING_ANONYMOUS);
	return result ? -USER_ENOMEM : (long)old;
}

/* The arguments as Linux checks them: -EINVAL or 0. */
static long user_move_check(uint64_t old, uint64_t new_length, unsigned flags,
			    uint64_t new_address)
{
	if (old % USER_MOVE_PAGE || new_length == 0 ||
	    (flags & ~(USER_MREMAP_MAYMOVE | USER_MREMAP_FIXED |
		       USER_MREMAP_DONTUNMAP)))
		return -USER_EINVAL;
	if ((flags & USER_MREMAP_FIXED) &&
	    (!(flags & USER_MREMAP_MAYMOVE) || new_address % USER_MOVE_PAGE))
		return -USER_EINVAL;
	if (flags & USER_MREMAP_DONTUNMAP)
		return -USER_EINVAL;	/* not supported: said in docs/user.md */
	return 0;
}

long user_memory_remap(struct user_memory *memory, uint64_t old,
		       uint64_t old_length, uint64_t new_length,
		       unsigned flags, uint64_t new_address)
{
	unsigned protection = 0;
	long result = user_move_check(old, new_length, flags, new_address);

	if (result)
		return result;
	old_length = user_move_page_up(old_length);
	new_length = user_move_page_up(new_length);
	if (old_length == 0 || old_length > user_address_limit() ||
	    new_length > user_address_limit() ||
	    !user_move_covered(memory, old, old + old_length, &protection))
		return -USER_EFAULT;
	bool fixed = flags & USER_MREMAP_FIXED;
	if (fixed && new_address < old + old_length &&
	    old < new_address + new_length)
		return -USER_EINVAL;	/* the ranges overlap */
	if (!fixed && new_length <= old_length) {
		if (new_length < old_length)
			user_memory_unmap(memory, old + new_length,
					  old_length - new_length);
		return (long)old;
	}
	if (!fixed) {
		result = user_move_grow_in_place(memory, old, old_length,
						 new_length, protection);
		if (result >= 0 || !(flags & USER_MREMAP_MAYMOVE))
			return result;
	}
	if (fixed)
		user_memory_unmap(memory, new_address, new_length);
	long error = 0;
	uint64_t copied = new_length < old_length ? new_length : old_length;
	uint64_t moved = user_move_copy_out(memory, fixed ? new_address : 0,
					    new_length, old, copied, protection,
					    &error);
	if (!moved)
		return error;
	user_memory_unmap(memory, old, old_length);
	return (long)moved;
}

int user_memory_isolate(struct user_memory *memory, uint64_t start,
			uint64_t end)
{
	struct user_memory_span span;
	long error = 0;

	if (user_memory_lookup(memory, start, &span) != 0 || end > span.end)
		return -USER_ENOMEM;
	if (span.kind == USER_MAPPING_HEAP)
		return -USER_EINVAL;	/* brk's pages stay one mapping */
	/* Out to a scratch mapping, the range cut away, then back into a
	 * mapping of its own at the same place. */
	uint64_t scratch = user_move_copy_out(memory, 0, end - start, start,
					      end - start, span.protection,
					      &error);
	if (!scratch)
		return (int)error;
	user_memory_unmap(memory, start, end - start);
	uint64_t back = user_move_copy_out(memory, start, end - start, scratch,
					   end - start, span.protection, &error);
	/* When the way back fails (memory ran out), the bytes stay in the
	 * scratch mapping rather than being dropped. */
	if (back)
		user_memory_unmap(memory, scratch, end - start);
	return back ? 0 : (int)error;
}
