/*
 * ktest suite `module`: loadable modules (kernel/module/module.h) from the
 * test initramfs (/lib/modules/, mk/module.mk): the example module loaded,
 * used by a region's scheme, refused unloading while a slot uses it,
 * unloaded once a scheme change's migration has drained it, and loaded
 * again (both the gcc and the clang build); and every refusal (truncated,
 * wrong machine, unknown relocation type, unresolved symbol, wrong ABI
 * version, failing init) with a message and nothing left allocated.
 */
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/smp.h"
#include "kernel/module/module.h"
#include "kernel/module/module_elf.h"
#include "kernel/user/initramfs.h"
#include "mm/frame.h"
#include "mm/policy.h"
#include "mm/region.h"
#include "mm/region_boot.h"
#include "mm/region_migrate.h"
#include "mm/region_test_util.h"
#include "mm/slab.h"
#include "mm/store_kind.h"
#include "transforms/xf.h"

#define MODULE_TEST_PAGES 64u

/* The bytes of /lib/modules/NAME.o; skips the case without them. */
static void module_test_file(struct ktest *t, const char *name,
			     const void **bytes, size_t *size)
{
	char path[64];
	struct cpio_entry entry;

	if (!initramfs_present())
		ktest_skip(t, "no initramfs (the test ISO carries the modules)");
	ksnprintf(path, sizeof(path), MODULE_DIRECTORY "%s.o", name);
	KTEST_ASSERT(t, initramfs_find(path, &entry) == CPIO_OK);
	*bytes = entry.data;
	*size = entry.size;
}

/* Frames free and the loader's counts now, to compare after a refusal. */
struct module_test_memory {
	uint64_t frames_free;
	struct module_memory_counts counts;
};

static void module_test_flush_magazines(void *arg)
{
	(void)arg;
	slab_cpu_flush();
}

/* Free frames with every slab page the caches could give back given
 * back first (each CPU's magazines emptied, then the empty slabs reaped),
 * so that a slab page a kmalloc of the loader grew and kept is not
 * mistaken for a leak; then the loader's own counts. */
static void module_test_memory_now(struct module_test_memory *memory)
{
	for (unsigned cpu = 0; cpu < cpu_count(); cpu++)
		smp_call_on(cpu, module_test_flush_magazines, NULL);
	slab_reap();
	memory->frames_free = frame_free_count();
	module_memory_get_counts(&memory->counts);
}

/* The loader's counts as before; with frames, the free frames too (not
 * after a region was used: its store keeps frames for later seals). */
static void module_test_expect_nothing_left(struct ktest *t,
					    const struct module_test_memory *before,
					    bool frames)
{
	struct module_test_memory after;

	module_test_memory_now(&after);
	KTEST_EXPECT_EQ(t, after.counts.frames, before->counts.frames);
	KTEST_EXPECT_EQ(t, after.counts.blocks, before->counts.blocks);
	KTEST_EXPECT_EQ(t, after.counts.slots, before->counts.slots);
	/* Page-table pages of the module area come back too. */
	if (frames)
		KTEST_EXPECT_EQ(t, after.frames_free, before->frames_free);
}

/* Records the memory in use (into before, when given), then loads
 * /lib/modules/NAME.o, which must load; its message is logged. */
static void module_test_load(struct ktest *t, const char *name,
			     struct module_test_memory *before)
{
	char message[200];
	const void *bytes;
	size_t size;

	module_test_file(t, name, &bytes, &size);
	if (before)
		module_test_memory_now(before);
	KTEST_ASSERT(t, module_load(name, bytes, size, message,
				    sizeof(message)) == MODULE_OK);
	ktest_log(t, "%s", message);
}

/* Loads bytes as name, expects refusal with result and a message that
 * contains words; checks that nothing stays allocated. */
static void module_test_refused(struct ktest *t, const char *name,
				const void *bytes, size_t size, int result,
				const char *words)
{
	struct module_test_memory before;
	char message[160];

	module_test_memory_now(&before);
	int got = module_load(name, bytes, size, message, sizeof(message));
	ktest_log(t, "%s: %s", name, message);
	KTEST_EXPECT_EQ(t, got, result);
	KTEST_EXPECT(t, strstr(message, words) != NULL);
	KTEST_EXPECT(t, !module_loaded(name));
	module_test_expect_nothing_left(t, &before, true);
}

/* A writable copy of the example module to damage. */
static uint8_t *module_test_copy(struct ktest *t, size_t *size)
{
	const void *bytes;
	uint8_t *copy;

	module_test_file(t, "xf_example", &bytes, size);
	copy = kmalloc(*size);
	KTEST_ASSERT(t, copy != NULL);
	memcpy(copy, bytes, *size);
	return copy;
}

/* Writes the pattern of seed + page into each page of the region. */
static void module_test_fill(struct region *region, uint64_t seed)
{
	for (uint32_t page = 0; page < region->pages; page++)
		region_test_fill(region_page_address(region, page), seed + page);
}

static unsigned module_test_mismatches(struct region *region, uint64_t seed)
{
	static uint8_t expected[4096];
	unsigned bad = 0;

	for (uint32_t page = 0; page < region->pages; page++) {
		region_test_fill(expected, seed + page);
		bad += memcmp(region_page_address(region, page), expected,
			      sizeof(expected)) != 0;
	}
	return bad;
}

/* The whole life of one build of the example module. */
static void module_test_life(struct ktest *t, const char *name)
{
	struct module_test_memory before;
	struct region_stats stats;
	char message[200];
	const void *bytes;
	size_t size;

	module_test_file(t, name, &bytes, &size);
	module_test_memory_now(&before);
	KTEST_EXPECT_EQ(t, module_load(name, bytes, size, message,
				       sizeof(message)), MODULE_OK);
	ktest_log(t, "%s", message);
	struct xf_transform *transform = xf_lookup("xor-offset");
	struct xf_stats xf_stats;
	KTEST_ASSERT(t, transform != NULL);
	/* A second load of the same name is refused. */
	KTEST_EXPECT_EQ(t, module_load(name, bytes, size, message,
				       sizeof(message)), MODULE_EXISTS);

	/* Used by a scheme: pages sealed by the module's transform. */
	struct region *region = region_test_create(t, "clock:xor-offset,lz4",
						   MODULE_TEST_PAGES, 4);
	module_test_fill(region, 31);
	KTEST_EXPECT_EQ(t, region_purge_range(region, 0, MODULE_TEST_PAGES),
			REGION_OK);
	region_get_stats(region, &stats);
	KTEST_EXPECT_EQ(t, stats.sealed_pages, MODULE_TEST_PAGES);
	/* Sealed by the module's code (the chain's first step). */
	xf_get_stats(transform, &xf_stats);
	KTEST_EXPECT_EQ(t, xf_stats.seals, MODULE_TEST_PAGES);
	KTEST_EXPECT_EQ(t, module_test_mismatches(region, 31), 0);
	KTEST_EXPECT_EQ(t, region_purge_range(region, 0, MODULE_TEST_PAGES),
			REGION_OK);
	KTEST_EXPECT_EQ(t, module_unload(name, message, sizeof(message)),
			MODULE_IN_USE);
	ktest_log(t, "%s", message);
	KTEST_EXPECT(t, strstr(message, "ktest") != NULL);
	/* The refusal left the transform registered. */
	KTEST_EXPECT(t, xf_lookup("xor-offset") != NULL);

	/* Swapped away: the old slot still uses it until migration drains. */
	region_migrate_set_rate(region, 1, 20);
	KTEST_EXPECT_EQ(t, region_set_scheme(region, "clock:identity"), REGION_OK);
	region_migrate_stop(region);
	KTEST_EXPECT_EQ(t, module_unload(name, message, sizeof(message)),
			MODULE_IN_USE);
	KTEST_EXPECT_EQ(t, region_migrate_set_rate(region, 8, 0), REGION_OK);
	KTEST_EXPECT_EQ(t, region_migrate_start(region), REGION_OK);
	KTEST_EXPECT_EQ(t, region_migrate_wait(region), REGION_MIGRATE_DONE);
	KTEST_EXPECT_EQ(t, module_unload(name, message, sizeof(message)), MODULE_OK);
	ktest_log(t, "after the migration: %s", message);
	KTEST_EXPECT(t, xf_lookup("xor-offset") == NULL);
	KTEST_EXPECT_EQ(t, module_test_mismatches(region, 31), 0);
	region_destroy(region);
	module_test_expect_nothing_left(t, &before, false);
}

KTEST(module, example_loads_is_used_drains_and_unloads)
{
	module_test_life(t, "xf_example");
	/* Loaded again, and the clang build of it, one after the other. */
	module_test_life(t, "xf_example");
	module_test_life(t, "xf_example_clang");
}

/* A store swap of region to a new store of kind, its migration waited
 * for; the store, which the region owns from then on. */
static struct store *module_test_store_swap(struct ktest *t, struct region *region,
					    const char *kind)
{
	struct store *store = NULL;

	KTEST_EXPECT_EQ(t, region_swap_store(region, "clock:lz4,aes128-xts-mac", kind,
					     &store), REGION_OK);
	KTEST_ASSERT(t, store != NULL);
	KTEST_EXPECT_EQ(t, region_migrate_wait(region), REGION_MIGRATE_DONE);
	return store;
}

/* The store module (modules/store_example.c): a region's pages moved into
 * a store of its kind by a store swap, the module refused unloading while
 * that store holds them, then a swap to a zstore moves them out, the
 * module's store is destroyed and the module unloads; every page intact. */
KTEST(module, store_module_holds_pages_then_unloads)
{
	struct module_test_memory before;
	struct store_stats stats;
	struct region_stats region_stats;
	char message[200];

	module_test_load(t, "store_example", &before);
	KTEST_ASSERT(t, store_kind_find("page") != NULL);
	struct region *region = region_test_create(t, "clock:lz4,aes128-xts-mac",
						   MODULE_TEST_PAGES, 4);
	module_test_fill(region, 41);
	KTEST_EXPECT_EQ(t, region_purge_range(region, 0, MODULE_TEST_PAGES), REGION_OK);

	struct store *page_store = module_test_store_swap(t, region, "page");
	store_stats(page_store, &stats);
	ktest_log(t, "the module's store: %llu pages in %llu frames",
		  (unsigned long long)stats.pages_stored,
		  (unsigned long long)stats.frames_used);
	KTEST_EXPECT_EQ(t, stats.pages_stored, MODULE_TEST_PAGES);
	KTEST_EXPECT_EQ(t, module_test_mismatches(region, 41), 0);
	KTEST_EXPECT_EQ(t, region_purge_range(region, 0, MODULE_TEST_PAGES), REGION_OK);
	KTEST_EXPECT_EQ(t, module_unload("store_example", message, sizeof(message)),
			MODULE_IN_USE);
	ktest_log(t, "%s", message);
	KTEST_EXPECT(t, store_kind_find("page") != NULL);	/* still there */

	module_test_store_swap(t, region, "zs");
	region_get_stats(region, &region_stats);
	KTEST_EXPECT_EQ(t, region_stats.stores_retired, 1);	/* the page store */
	KTEST_EXPECT_EQ(t, module_unload("store_example", message, sizeof(message)),
			MODULE_OK);
	KTEST_EXPECT(t, store_kind_find("page") == NULL);
	KTEST_EXPECT_EQ(t, module_test_mismatches(region, 41), 0);
	region_destroy(region);
	module_test_expect_nothing_left(t, &before, false);
}

KTEST(module, unused_module_unloads_and_unknown_is_not_found)
{
	struct module_test_memory before;
	char message[160];

	module_test_load(t, "xf_example", &before);
	KTEST_EXPECT(t, module_loaded("xf_example"));
	KTEST_EXPECT_EQ(t, module_unload("xf_example", message, sizeof(message)),
			MODULE_OK);
	module_test_expect_nothing_left(t, &before, true);
	KTEST_EXPECT_EQ(t, module_unload("xf_example", message, sizeof(message)),
			MODULE_NOT_FOUND);
	KTEST_EXPECT_EQ(t, module_load_file("no_such_module", message,
					    sizeof(message)), MODULE_NOT_FOUND);
	KTEST_EXPECT_EQ(t, module_load_file("../etc/motd", message,
					    sizeof(message)), MODULE_BAD_NAME);
}

KTEST(module, truncated_object_is_refused)
{
	size_t size;
	uint8_t *copy = module_test_copy(t, &size);

	module_test_refused(t, "cut", copy, 40, MODULE_BAD_OBJECT, "truncated");
	/* The section headers are at the end: half the file lacks them. */
	module_test_refused(t, "cut", copy, size / 2, MODULE_BAD_OBJECT, "truncated");
	module_test_refused(t, "cut", copy, size - 1, MODULE_BAD_OBJECT, "truncated");
	kfree(copy);
}

KTEST(module, wrong_machine_is_refused)
{
	size_t size;
	uint8_t *copy = module_test_copy(t, &size);

	copy[18] = 3;	/* e_machine: EM_386 */
	copy[19] = 0;
	module_test_refused(t, "machine", copy, size, MODULE_BAD_OBJECT,
			    "wrong machine");
	kfree(copy);
}

/* Patches the first relocation aimed at a loaded section to type. */
static void module_test_patch_relocation(struct ktest *t, uint8_t *copy,
					 size_t size, uint32_t type)
{
	static struct module_elf elf;

	KTEST_ASSERT(t, module_elf_parse(&elf, copy, size) == MODULE_ELF_OK);
	KTEST_ASSERT(t, module_elf_layout(&elf, MODULE_ABI_VERSION) == MODULE_ELF_OK);
	for (unsigned i = 1; i < elf.section_count; i++) {
		const struct module_elf_section *s = &elf.sections[i];
		if (s->type == 4 /* SHT_RELA */ && s->size &&
		    elf.sections[s->info].segment != MODULE_SEGMENT_NONE) {
			memcpy(copy + s->offset + 8, &type, sizeof(type));
			return;
		}
	}
	ktest_fail_now(t, __FILE__, __LINE__, "no relocation to patch");
}

KTEST(module, unknown_relocation_type_is_refused)
{
	size_t size;
	uint8_t *copy = module_test_copy(t, &size);

	/* R_X86_64_REX_GOTPCRELX: position-independent code only. */
	module_test_patch_relocation(t, copy, size, 42);
	module_test_refused(t, "reloc", copy, size, MODULE_BAD_OBJECT,
			    "unknown relocation type (42)");
	kfree(copy);
}

KTEST(module, unresolved_symbol_is_refused)
{
	const void *bytes;
	size_t size;

	module_test_file(t, "test_unresolved", &bytes, &size);
	module_test_refused(t, "test_unresolved", bytes, size, MODULE_BAD_OBJECT,
			    "unresolved symbol frame_alloc");
	module_test_file(t, "test_unresolved_clang", &bytes, &size);
	module_test_refused(t, "test_unresolved", bytes, size, MODULE_BAD_OBJECT,
			    "unresolved symbol frame_alloc");
}

KTEST(module, wrong_version_is_refused)
{
	static struct module_elf elf;
	size_t size;
	uint8_t *copy = module_test_copy(t, &size);
	uint32_t version = MODULE_ABI_VERSION + 1;

	KTEST_ASSERT(t, module_elf_parse(&elf, copy, size) == MODULE_ELF_OK);
	unsigned info = module_elf_find_section(&elf, MODULE_INFO_SECTION);
	KTEST_ASSERT(t, info != 0);
	memcpy(copy + elf.sections[info].offset +
	       offsetof(struct module_info, abi_version), &version, sizeof(version));
	char words[64];
	ksnprintf(words, sizeof(words), "built for module ABI version %u, the "
		  "kernel's is %u", version, MODULE_ABI_VERSION);
	module_test_refused(t, "version", copy, size, MODULE_BAD_OBJECT, words);
	kfree(copy);
}

KTEST(module, failing_init_is_refused_and_unregistered)
{
	const void *bytes;
	size_t size;

	module_test_file(t, "test_init_fails", &bytes, &size);
	module_test_refused(t, "test_init_fails", bytes, size,
			    MODULE_INIT_FAILED, "init failed (-22)");
	KTEST_EXPECT(t, xf_lookup("init-fails") == NULL);
}

KTEST(module, faulting_init_is_refused_and_unregistered)
{
	const void *bytes;
	size_t size;
	uint64_t faults = module_guard_fault_count();

	module_test_file(t, "test_init_faults", &bytes, &size);
	module_test_refused(t, "test_init_faults", bytes, size,
			    MODULE_INIT_FAILED, "init faulted");
	KTEST_EXPECT_EQ(t, module_guard_fault_count() - faults, 1);
	KTEST_EXPECT(t, xf_lookup("init-faults") == NULL);
}

KTEST(module, not_elf_is_refused)
{
	static const char text[] = "this is not an object file, only words, "
				   "more than an ELF header's sixty-four bytes";

	module_test_refused(t, "text", text, sizeof(text), MODULE_BAD_OBJECT,
			    "not an ELF file");
}

/* A module transform that faults in the middle of a seal: the fault is
 * caught and reported, the seal fails, and the page stays clear with its
 * bytes intact (the in-place step's scribbles undone); the kernel goes on
 * and the module unloads. */
KTEST(module, fault_in_module_seal_is_reported_and_page_intact)
{
	struct region_stats before, after;
	char message[200];
	const void *bytes;
	size_t size;

	module_test_file(t, "test_faults", &bytes, &size);
	KTEST_ASSERT(t, module_load("test_faults", bytes, size, message,
				    sizeof(message)) == MODULE_OK);
	uint64_t faults = module_guard_fault_count();
	struct region *region = region_test_create(t, "fifo:faults", 8, 2);
	module_test_fill(region, 77);
	region_get_stats(region, &before);
	KTEST_EXPECT(t, region_purge_range(region, 0, 8) != REGION_OK);
	region_get_stats(region, &after);
	KTEST_EXPECT(t, module_guard_fault_count() - faults >= 1);
	KTEST_EXPECT(t, after.seal_failures > before.seal_failures);
	KTEST_EXPECT_EQ(t, after.sealed_pages, 0);
	for (uint32_t page = 0; page < 8; page++)
		KTEST_EXPECT_EQ(t, region_page_state(region, page), REGION_CLEAR);
	KTEST_EXPECT_EQ(t, module_test_mismatches(region, 77), 0);
	region_destroy(region);
	KTEST_EXPECT_EQ(t, module_unload("test_faults", message, sizeof(message)),
			MODULE_OK);
}

/* A policy from a module: a region's scheme names it, the clear set runs
 * it (the page admitted last is the one evicted), the module is in use
 * until a change of scheme and its migration, then unloads. */
KTEST(module, policy_module_orders_a_region_and_unloads_after_swap)
{
	struct module_test_memory before;
	char message[200];

	module_test_load(t, "policy_example", &before);
	KTEST_ASSERT(t, policy_lookup("lifo") != NULL);
	struct region *region = region_test_create(t, "lifo:lz4", 16, 4);
	module_test_fill(region, 5);
	/* Pages 0..15 written in order with 4 clear: LIFO keeps 0, 1, 2
	 * and the last one written, evicting each newer page in turn. */
	for (uint32_t page = 0; page < 3; page++)
		KTEST_EXPECT_EQ(t, region_page_state(region, page), REGION_CLEAR);
	KTEST_EXPECT_EQ(t, region_page_state(region, 15), REGION_CLEAR);
	KTEST_EXPECT_EQ(t, region_page_state(region, 14), REGION_SEALED);
	KTEST_EXPECT_EQ(t, module_unload("policy_example", message,
					 sizeof(message)), MODULE_IN_USE);
	ktest_log(t, "%s", message);
	KTEST_EXPECT_EQ(t, region_set_scheme(region, "fifo:identity"), REGION_OK);
	KTEST_EXPECT_EQ(t, region_migrate_wait(region), REGION_MIGRATE_DONE);
	KTEST_EXPECT_EQ(t, module_unload("policy_example", message,
					 sizeof(message)), MODULE_OK);
	KTEST_EXPECT(t, policy_lookup("lifo") == NULL);
	KTEST_EXPECT_EQ(t, module_test_mismatches(region, 5), 0);
	region_destroy(region);
	module_test_expect_nothing_left(t, &before, false);
}
