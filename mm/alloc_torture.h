/*
 * Allocator torture: the work one CPU does in the allocators-under-
 * concurrency test (issue 12). Each CPU runs alloc_torture_worker over the
 * same struct alloc_torture at the same time: random kmalloc sizes (small
 * classes and large blocks), objects of one slab cache, and buddy blocks of
 * one struct pmm, each filled or tagged with a pattern that says who owns
 * it, checked before it is freed; some objects are handed to whichever CPU
 * picks them from a shared exchange and freed there. Portable: the host
 * test runs it on pthreads (tests/host/test_alloc_smp.c), the kernel's
 * ktest on its CPUs (mm/alloc_torture_test.c).
 */
#ifndef VEIL_MM_ALLOC_TORTURE_H
#define VEIL_MM_ALLOC_TORTURE_H

#include <stdbool.h>
#include <stdint.h>

struct pmm;
struct slab_cache;

#define ALLOC_TORTURE_EXCHANGE	64u	/* objects in flight between CPUs */
#define ALLOC_TORTURE_LIVE	128u	/* objects one CPU holds at most */

struct alloc_torture {
	/* Set before the workers start, read-only while they run. */
	struct pmm *pmm;		/* frames come from here */
	void *(*frame_address)(uint64_t phys);	/* the frame's bytes, or NULL:
					 * frames are only tagged, not written */
	struct slab_cache *cache;	/* objects of cache_size bytes */
	unsigned cache_size;
	unsigned operations;		/* per worker */
	uint64_t seed;

	/* Shared while they run: atomics only. Each entry is an object a CPU
	 * left for another (kmalloc'd; its size in its first word), or NULL. */
	void *exchange[ALLOC_TORTURE_EXCHANGE];
	uint64_t corruptions;		/* patterns found changed */
	uint64_t failures;		/* allocations that returned nothing */
	uint64_t handed_over;		/* objects freed by another CPU */
};

/*
 * Runs torture->operations random allocations and frees on the calling
 * CPU (cpu: its index, which seeds its random sequence and its patterns;
 * the caller runs on that CPU). Everything it allocated is freed before it
 * returns, except objects it left in the exchange; counts corruptions and
 * failures into torture. Afterwards the caller empties the exchange with
 * alloc_torture_drain once every worker is done.
 */
void alloc_torture_worker(unsigned cpu, struct alloc_torture *torture);
/* Frees what the workers left in the exchange (checking each). */
void alloc_torture_drain(struct alloc_torture *torture);

#endif
