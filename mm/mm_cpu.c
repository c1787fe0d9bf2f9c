/*
 * Per-CPU memory sized by the CPUs present: the big per-CPU buffers (a
 * codec workspace, scheme chain buffers, a region bounce buffer, a trace
 * ring; about 100 KiB a CPU) are allocated when a CPU is prepared, not as
 * static arrays of CONFIG_MAX_CPUS entries, so a kernel built for 64 CPUs
 * pays only for the CPUs it starts.
 */
#include <string.h>
#include "kernel/lib/cpu.h"
#include "mm/mm.h"
#include "mm/region.h"
#include "mm/scheme.h"
#include "mm/slab.h"
#include "mm/trace.h"
#include "transforms/xf_codec.h"

/* kmalloc: blocks above KMALLOC_SLAB_MAX are whole pages; smaller sizes
 * are rounded up to a power of two, whose classes are 64-byte aligned. */
void *cpu_memory_alloc(size_t bytes)
{
	size_t size = bytes;

	if (size <= KMALLOC_SLAB_MAX) {
		size = 64;
		while (size < bytes)
			size *= 2;
	}
	void *memory = kmalloc(size);

	if (memory)
		memset(memory, 0, bytes);
	return memory;
}

bool mm_cpu_prepare(unsigned cpu)
{
	if (cpu >= CONFIG_MAX_CPUS)
		return false;
	return xf_codec_cpu_prepare(cpu) && scheme_cpu_prepare(cpu) &&
	       region_cpu_prepare(cpu) && trace_cpu_prepare(cpu);
}
