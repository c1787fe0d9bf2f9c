/*
 * Benchmark kmalloc (bench=kmalloc): TSC cycles per kmalloc/kfree pair,
 * one pair at a time and in batches. Not a test: it lives apart from the
 * slab ktest cases so the release build, which has no cases, keeps it.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "mm/slab.h"

/* Cycles per kmalloc/kfree pair of one size, magazines warm. */
static void slab_bench_pairs(size_t size)
{
	enum { PAIRS = 200000 };
	void *p;

	/* Warm the magazines first: the figure is the steady state. */
	for (unsigned i = 0; i < 1000; i++) {
		p = kmalloc(size);
		kfree(p);
	}
	uint64_t start = time_cycles();
	for (unsigned i = 0; i < PAIRS; i++) {
		p = kmalloc(size);
		__asm__ __volatile__("" : : "r"(p) : "memory");
		kfree(p);
	}
	uint64_t cycles = time_cycles() - start;
	printk("bench kmalloc: size %5zu: %llu cycles per kmalloc/kfree pair\n",
	       size, (unsigned long long)(cycles / PAIRS));
}

/* Cycles per pair when a batch is allocated, then freed. */
static void slab_bench_batch(size_t size)
{
	enum { BATCH = 512, ROUNDS = 200 };
	static void *objects[BATCH];

	uint64_t start = time_cycles();
	for (unsigned r = 0; r < ROUNDS; r++) {
		for (unsigned i = 0; i < BATCH; i++)
			objects[i] = kmalloc(size);
		for (unsigned i = 0; i < BATCH; i++)
			kfree(objects[i]);
	}
	uint64_t cycles = time_cycles() - start;
	printk("bench kmalloc: size %5zu, batches of %u: %llu cycles per pair\n",
	       size, BATCH, (unsigned long long)(cycles / (BATCH * ROUNDS)));
}

KBENCH(kmalloc)
{
	static const size_t sizes[] = { 8, 64, 256, 1024, 4096 };

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		slab_bench_pairs(sizes[i]);
	slab_bench_batch(64);
	slab_bench_batch(1024);
}
