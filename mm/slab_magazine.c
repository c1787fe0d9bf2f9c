/*
 * The magazine layer (Bonwick and Adams, 2001): each CPU keeps two
 * magazines (stacks of free, constructed objects) per cache, and a depot
 * per cache holds full and empty magazines. An allocation pops from the
 * loaded magazine and a free pushes onto it (the inline fast path in
 * slab_internal.h); only when both of a CPU's magazines are empty (alloc)
 * or full (free) does it exchange one with the depot, and only when the
 * depot has none does an object go to or come from the slab layer.
 *
 * Invariant kept by every exchange: `previous` is NULL, empty or full, so
 * swapping loaded and previous is always enough for the next operation
 * when previous is of the right kind.
 *
 * Per-CPU state is touched only by its CPU: claimed by the inline fast
 * path (slab_cpu_claim, interrupts on), or here with interrupts off and
 * only when the fast path has not claimed it (we may be an interrupt
 * handler that interrupted one: then the call goes around the magazines).
 * The depot has its own lock, taken with interrupts off. Debug mode
 * bypasses all of this, so every free reaches the checks.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/spinlock.h"
#include "mm/slab.h"
#include "mm/slab_internal.h"

/* This CPU's magazines of cache, or NULL when the code this interrupt
 * handler interrupted has claimed them (slab_cpu_claim). Interrupts off. */
static struct slab_cpu_cache *slab_cpu(struct slab_cache *cache)
{
	struct slab_cpu_cache *cpu = &cache->cpu[cpu_current()];

	return __atomic_load_n(&cpu->busy, __ATOMIC_RELAXED) ? NULL : cpu;
}

static void slab_cpu_swap(struct slab_cache *cache, struct slab_cpu_cache *cpu)
{
	struct slab_magazine *magazine = cpu->loaded;
	uint32_t rounds = cpu->loaded_rounds;

	cpu->loaded = cpu->previous;
	cpu->loaded_rounds = cpu->previous_rounds;
	cpu->loaded_capacity = cpu->loaded ? cache->magazine_capacity : 0;
	cpu->previous = magazine;
	cpu->previous_rounds = rounds;
}

/* loaded and previous are empty (or NULL): trade previous for a full
 * magazine of the depot. Interrupts off. */
static bool slab_depot_take_full(struct slab_cache *cache, struct slab_cpu_cache *cpu)
{
	struct slab_depot *depot = &cache->depot;
	struct slab_magazine *full;

	spin_lock(&depot->lock);
	full = depot->full;
	if (!full) {
		spin_unlock(&depot->lock);
		return false;
	}
	depot->full = full->next;
	depot->full_count--;
	if (cpu->previous) {
		cpu->previous->next = depot->empty;
		depot->empty = cpu->previous;
		depot->empty_count++;
	}
	spin_unlock(&depot->lock);
	cpu->previous = cpu->loaded;
	cpu->previous_rounds = cpu->loaded_rounds;
	cpu->loaded = full;
	cpu->loaded_rounds = cache->magazine_capacity;
	cpu->loaded_capacity = cache->magazine_capacity;
	return true;
}

/* loaded and previous are full (or NULL): trade previous for an empty
 * magazine of the depot. Interrupts off. */
static bool slab_depot_take_empty(struct slab_cache *cache, struct slab_cpu_cache *cpu)
{
	struct slab_depot *depot = &cache->depot;
	struct slab_magazine *empty;

	spin_lock(&depot->lock);
	empty = depot->empty;
	if (!empty) {
		spin_unlock(&depot->lock);
		return false;
	}
	depot->empty = empty->next;
	depot->empty_count--;
	if (cpu->previous) {
		cpu->previous->next = depot->full;
		depot->full = cpu->previous;
		depot->full_count++;
	}
	spin_unlock(&depot->lock);
	cpu->previous = cpu->loaded;
	cpu->previous_rounds = cpu->loaded_rounds;
	cpu->loaded = empty;
	cpu->loaded_rounds = 0;
	cpu->loaded_capacity = cache->magazine_capacity;
	return true;
}

static void slab_depot_put_empty(struct slab_cache *cache, struct slab_magazine *magazine)
{
	struct slab_depot *depot = &cache->depot;
	unsigned long flags = spin_lock_irqsave(&depot->lock);

	magazine->next = depot->empty;
	depot->empty = magazine;
	depot->empty_count++;
	spin_unlock_irqrestore(&depot->lock, flags);
}

/* Counts a call that bypasses the magazines (debug mode, or a cache without
 * them) in this CPU's statistics, which cover every call. */
static void slab_cpu_count(struct slab_cache *cache, bool allocation)
{
	unsigned long flags = irq_save();
	struct slab_cpu_cache *cpu = slab_cpu(cache);

	if (!cpu)
		__atomic_add_fetch(allocation ? &cache->bypass_allocations :
				   &cache->bypass_frees, 1, __ATOMIC_RELAXED);
	else if (allocation)
		cpu->allocations++;
	else
		cpu->frees++;
	irq_restore(flags);
}

void *slab_alloc_slow(struct slab_cache *cache, size_t requested, const void *caller)
{
	struct slab_cpu_cache *cpu;
	unsigned long flags;

	if (slab_debug_active(cache)) {
		slab_magazine_flush_cpu(cache);
		slab_cpu_count(cache, true);
		return slab_layer_alloc(cache, requested, caller);
	}
	if (cache->magazine_capacity == 0) {
		slab_cpu_count(cache, true);
		return slab_layer_alloc(cache, requested, caller);
	}
	flags = irq_save();
	cpu = slab_cpu(cache);
	if (!cpu) {
		irq_restore(flags);
		__atomic_add_fetch(&cache->bypass_allocations, 1, __ATOMIC_RELAXED);
		return slab_layer_alloc(cache, requested, caller);
	}
	cpu->allocations++;
	for (;;) {
		if (cpu->loaded_rounds) {
			void *object = cpu->loaded->rounds[--cpu->loaded_rounds];

			irq_restore(flags);
			return object;
		}
		if (cpu->previous_rounds)
			slab_cpu_swap(cache, cpu);
		else if (!slab_depot_take_full(cache, cpu))
			break;
	}
	irq_restore(flags);
	return slab_layer_alloc(cache, requested, caller);
}

void slab_free_slow(struct slab_cache *cache, void *object, const void *caller)
{
	if (slab_debug_active(cache)) {
		slab_magazine_flush_cpu(cache);
		slab_cpu_count(cache, false);
		slab_layer_free(cache, object, caller);
		return;
	}
	if (cache->magazine_capacity == 0) {
		slab_cpu_count(cache, false);
		slab_layer_free(cache, object, caller);
		return;
	}
	for (;;) {
		unsigned long flags = irq_save();
		struct slab_cpu_cache *cpu = slab_cpu(cache);
		struct slab_magazine *magazine;

		if (!cpu) {
			irq_restore(flags);
			__atomic_add_fetch(&cache->bypass_frees, 1, __ATOMIC_RELAXED);
			slab_layer_free(cache, object, caller);
			return;
		}
		for (;;) {
			if (cpu->loaded_rounds < cpu->loaded_capacity) {
				cpu->loaded->rounds[cpu->loaded_rounds++] = object;
				cpu->frees++;
				irq_restore(flags);
				return;
			}
			if (cpu->previous && cpu->previous_rounds == 0)
				slab_cpu_swap(cache, cpu);
			else if (!slab_depot_take_empty(cache, cpu))
				break;
		}
		irq_restore(flags);
		/* The depot has no empty magazine: make one (interrupts on, we
		 * may have moved to another CPU by the time we retry). */
		magazine = slab_layer_alloc(&slab_magazine_cache, sizeof(*magazine), caller);
		if (!magazine) {
			slab_layer_free(cache, object, caller);
			return;
		}
		slab_depot_put_empty(cache, magazine);
	}
}

/* Sends a magazine's rounds back to the slabs and frees the magazine. */
static void slab_magazine_release(struct slab_cache *cache,
				  struct slab_magazine *magazine, uint32_t rounds)
{
	const void *caller = __builtin_return_address(0);

	if (!magazine)
		return;
	if (rounds)
		slab_layer_free_many(cache, magazine->rounds, rounds, caller);
	slab_layer_free(&slab_magazine_cache, magazine, caller);
}

/* Takes a CPU's magazines out of its hands; interrupts off or cache quiet. */
static void slab_cpu_take(struct slab_cpu_cache *cpu, struct slab_magazine **loaded,
			  uint32_t *loaded_rounds, struct slab_magazine **previous,
			  uint32_t *previous_rounds)
{
	*loaded = cpu->loaded;
	*loaded_rounds = cpu->loaded_rounds;
	*previous = cpu->previous;
	*previous_rounds = cpu->previous_rounds;
	cpu->loaded = cpu->previous = NULL;
	cpu->loaded_rounds = cpu->previous_rounds = cpu->loaded_capacity = 0;
}

static void slab_cpu_empty_out(struct slab_cache *cache, struct slab_cpu_cache *cpu,
			   bool own)
{
	struct slab_magazine *loaded, *previous;
	uint32_t loaded_rounds, previous_rounds;
	unsigned long flags = own ? irq_save() : 0;

	if (own) {
		cpu = slab_cpu(cache);
		if (!cpu) {	/* claimed by the code we interrupted */
			irq_restore(flags);
			return;
		}
	}
	slab_cpu_take(cpu, &loaded, &loaded_rounds, &previous, &previous_rounds);
	if (own)
		irq_restore(flags);
	slab_magazine_release(cache, loaded, loaded_rounds);
	slab_magazine_release(cache, previous, previous_rounds);
}

void slab_magazine_flush_cpu(struct slab_cache *cache)
{
	if (cache->magazine_capacity)
		slab_cpu_empty_out(cache, NULL, true);
}

void slab_magazine_flush_all_cpus(struct slab_cache *cache)
{
	if (!cache->magazine_capacity)
		return;
	for (unsigned cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++)
		slab_cpu_empty_out(cache, &cache->cpu[cpu], false);
}

void slab_magazine_flush_depot(struct slab_cache *cache)
{
	struct slab_depot *depot = &cache->depot;
	struct slab_magazine *full, *empty;
	unsigned long flags;

	if (!cache->magazine_capacity)
		return;
	flags = spin_lock_irqsave(&depot->lock);
	full = depot->full;
	empty = depot->empty;
	depot->full = depot->empty = NULL;
	depot->full_count = depot->empty_count = 0;
	spin_unlock_irqrestore(&depot->lock, flags);
	while (full) {
		struct slab_magazine *next = full->next;

		slab_magazine_release(cache, full, cache->magazine_capacity);
		full = next;
	}
	while (empty) {
		struct slab_magazine *next = empty->next;

		slab_magazine_release(cache, empty, 0);
		empty = next;
	}
}

/* Objects held in magazines: a snapshot (other CPUs are not stopped). */
uint64_t slab_magazine_rounds(struct slab_cache *cache)
{
	uint64_t rounds = __atomic_load_n(&cache->depot.full_count, __ATOMIC_RELAXED) *
			  cache->magazine_capacity;

	for (unsigned cpu = 0; cpu < CONFIG_MAX_CPUS; cpu++)
		rounds += __atomic_load_n(&cache->cpu[cpu].loaded_rounds, __ATOMIC_RELAXED) +
			  __atomic_load_n(&cache->cpu[cpu].previous_rounds, __ATOMIC_RELAXED);
	return rounds;
}
