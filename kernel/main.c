/*
 * kmain: the kernel's start-up, in dependency order. Console first (so all
 * that follows can speak), exception handling next (so a fault is
 * reported), then the boot information is copied out before anything can
 * overwrite it, the command line applied, the kernel's page tables built,
 * interrupts and timer started, and once memory is up the boot flow becomes
 * thread "main" of the scheduler; then the other CPUs are started. Then the
 * kernel either runs what the command line asked (tests, benchmarks, a
 * crash test) and exits, or idles.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/arch.h"
#include "kernel/bootinfo.h"
#include "kernel/build_config.h"
#include "kernel/cmdline.h"
#include "kernel/ktest/crashtest.h"
#include "kernel/acpi.h"
#include "kernel/demo/demo.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/panic.h"
#include "kernel/power.h"
#include "kernel/lib/printk.h"
#include "kernel/module/module.h"
#include "kernel/console.h"
#include "kernel/shell/shell.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/process.h"
#include "kernel/user/user_exec.h"
#include "kernel/smp.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "mm/hooks.h"
#include "mm/region_boot.h"
#include "mm/mm.h"

#define VEIL_VERSION "0.1"
/* Free RAM below which Veil refuses to run: it could not hold its own
 * allocator structures and a transformed region. */
#define MINIMUM_FREE_BYTES (16ull << 20)

struct boot_info boot_info;
/* Read by the gdb check (tests/gdb): proves symbols and memory agree. */
const char veil_version[] = VEIL_VERSION;
volatile uint64_t kmain_reached;

static void boot_read_info(uint32_t magic, uint32_t info_physical)
{
	if (magic != MULTIBOOT2_LOADER_MAGIC)
		panic("boot: bad multiboot2 magic 0x%x: not started by a "
		      "multiboot2 loader", magic);
	if (info_physical == 0 || info_physical % 8)
		panic("boot: multiboot2 information at a bad address 0x%x",
		      info_physical);
	const void *info = arch_early_phys_to_virt(info_physical);
	/* The early map covers 0-4 GiB; the block cannot be longer. */
	const char *error = multiboot2_parse(info, (4ull << 30) - info_physical,
					     &boot_info);
	if (error)
		panic("boot: corrupt multiboot2 information: %s", error);
	boot_info.info_physical = info_physical;
}

static void boot_print_memory_map(void)
{
	log_info("memory map (%u ranges, %llu MiB usable):",
		 boot_info.memory_range_count,
		 (unsigned long long)(boot_usable_bytes(&boot_info) >> 20));
	for (unsigned i = 0; i < boot_info.memory_range_count; i++) {
		const struct boot_memory_range *r = &boot_info.memory[i];
		printk("  [0x%016llx-0x%016llx) %8llu KiB %s\n",
		       (unsigned long long)r->base,
		       (unsigned long long)(r->base + r->length),
		       (unsigned long long)(r->length >> 10),
		       boot_memory_type_name(r->type));
	}
}

/* Module contents are checked by the host runner against the file it
 * passed: FNV-1a over the bytes, a cheap fingerprint. */
static uint64_t boot_fingerprint(const uint8_t *bytes, uint64_t length)
{
	uint64_t hash = 0xcbf29ce484222325ull;

	for (uint64_t i = 0; i < length; i++)
		hash = (hash ^ bytes[i]) * 0x100000001b3ull;
	return hash;
}

/* One line when the loader passed more command line than fits: the
 * words past the limit are not applied (multiboot2.c keeps whole words). */
static void boot_warn_cmdline_cut(void)
{
	size_t kept = strlen(boot_info.cmdline);

	if (boot_info.cmdline_length <= kept)
		return;
	log_warn("cmdline: %u bytes, over the %u-byte limit: the last %u "
		 "bytes (every word from byte %u on) are ignored",
		 (unsigned)boot_info.cmdline_length, BOOT_CMDLINE_MAX - 1,
		 (unsigned)(boot_info.cmdline_length - kept), (unsigned)kept);
}

static void boot_print_info(void)
{
	log_info("boot: loader \"%s\", %s", boot_info.loader_name,
		 boot_info.efi_booted ? "UEFI" : "BIOS");
	log_info("boot: cmdline \"%s\"", boot_info.cmdline);
	log_info("boot: build %s (CONFIG_MM_DEBUG=%d CONFIG_LOCK_CHECK=%d "
		 "CONFIG_KTEST=%d CONFIG_TLB_HOOKS=%d)", BUILD_CONFIG_NAME,
		 CONFIG_MM_DEBUG, CONFIG_LOCK_CHECK, CONFIG_KTEST,
		 CONFIG_TLB_HOOKS);
	boot_print_memory_map();
	for (unsigned i = 0; i < boot_info.module_count; i++) {
		const struct boot_module *m = &boot_info.modules[i];
		const uint8_t *bytes = arch_early_phys_to_virt(m->start);
		log_info("boot: module %u \"%s\" at 0x%llx size %llu fnv1a 0x%016llx",
			 i, m->name, (unsigned long long)m->start,
			 (unsigned long long)(m->end - m->start),
			 (unsigned long long)boot_fingerprint(bytes, m->end - m->start));
	}
	if (boot_info.has_framebuffer)
		log_info("boot: framebuffer type %u, %ux%u, %u bpp at 0x%llx",
			 boot_info.framebuffer.type, boot_info.framebuffer.width,
			 boot_info.framebuffer.height,
			 boot_info.framebuffer.bits_per_pixel,
			 (unsigned long long)boot_info.framebuffer.address);
	if (boot_info.rsdp_version)
		log_info("boot: ACPI RSDP version %u", boot_info.rsdp_version);
	if (boot_info.efi_booted)
		log_info("boot: EFI system table 0x%llx, %u EFI memory ranges",
			 (unsigned long long)boot_info.efi_system_table,
			 boot_info.efi_memory_range_count);
	if (boot_info.dropped)
		log_warn("boot: %u entries of the boot information did not fit "
			 "and were dropped", boot_info.dropped);
}

static void boot_check_memory(void)
{
	/* Modules count as taken: their bytes stay where the loader put
	 * them for as long as the kernel runs (the frame allocator reserves
	 * them). */
	uint64_t free_bytes = boot_free_bytes(&boot_info, 1u << 20,
					      arch_kernel_physical_start(),
					      arch_kernel_physical_end());

	if (free_bytes < MINIMUM_FREE_BYTES)
		panic("boot: not enough memory: %llu KiB usable above 1 MiB "
		      "besides the kernel and its modules, Veil needs at least %llu KiB "
		      "(give QEMU more with -m)",
		      (unsigned long long)(free_bytes >> 10),
		      (unsigned long long)(MINIMUM_FREE_BYTES >> 10));
}

static __attribute__((noreturn)) void kmain_run_tests(void)
{
	bool ok = true;

	if (ktest_requested())
		ok = ktest_run_requested();
	if (ktest_bench_requested())
		ok = ktest_run_benches() && ok;
	machine_exit(ok ? MACHINE_PASSED : MACHINE_FAILED);
}

/* Normal mode: the demo shows transformed memory at work, then the shell
 * takes the serial console for good. */
static __attribute__((noreturn)) void kmain_idle(void)
{
	demo_boot();
	shell_run();
}

void kmain(uint32_t magic, uint32_t info_physical)
{
	arch_early_console_init();
	printk("\nVeil %s: a kernel that hooks every event in a mapping's life\n",
	       VEIL_VERSION);
	arch_cpu_init();
	boot_read_info(magic, info_physical);
	kmain_reached = 1;
	boot_warn_cmdline_cut();
	cmdline_apply(boot_info.cmdline);
	panic_set_test_mode(ktest_requested() || ktest_bench_requested() ||
			    crashtest_requested());
	arch_screen_console_init(&boot_info);
	arch_interrupts_init();
	arch_describe_cpu();
	boot_print_info();
	boot_check_memory();
	arch_paging_init(&boot_info);
	mm_init(&boot_info);
	sched_init();
	acpi_boot_init(&boot_info);
	smp_boot();
	region_boot_init();
	initramfs_boot_init();
	module_boot_init();
	process_boot_check();
	ktest_init();
	log_info("boot: up after %llu ms",
		 (unsigned long long)(time_uptime_ns() / 1000000u));
	if (crashtest_requested())
		crashtest_run();
	if (ktest_requested() || ktest_bench_requested())
		kmain_run_tests();
	if (user_exec_requested())
		user_exec_run();
	kmain_idle();
}
