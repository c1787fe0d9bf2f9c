# gdb script for Veil: `make debug` loads it with build/veil.elf and runs
# `veil-connect 1234`; tests/runner/gdbcheck.py runs it under gdb -batch.
#
#   veil-connect PORT   attach to QEMU's gdb stub (-gdb tcp::PORT -S) and run
#                       to kmain
#   veil-regs           rip/rsp/eflags, control registers and EFER
#   veil-version        the kernel's version string (veil_version)
#   veil-bootinfo       what the boot loader passed (command line, modules)
#   veil-memmap         the memory map copied into boot_info
#   veil-ktest          ktest state: filter, watchdog limit, catcher depth
#   veil-ktest-cases    every KTEST case linked into the kernel
#
# The memory helpers are Python, in tools/gdb/veil_mm.py (sourced below;
# gdb runs from the tree's root): veil-pt, veil-regions, veil-region,
# veil-page, veil-slabs, veil-trace-last. `help veil-pt` and so on.
#
# The kernel is linked in the higher half (0xffffffff80000000): the CPU
# starts in real mode and only reaches those addresses once boot/ has turned
# paging on, so kmain gets a hardware breakpoint (a software one would be
# written through an address that is not mapped yet).

set architecture i386:x86-64
set pagination off
set confirm off
set print pretty on

define veil-connect
  if $argc != 1
    echo usage: veil-connect PORT\n
  else
    eval "target remote localhost:%d", $arg0
    hbreak kmain
    continue
  end
end
document veil-connect
Attach to QEMU's gdb stub on localhost:PORT (QEMU started with
-gdb tcp::PORT -S) and run to kmain with a hardware breakpoint.
Usage: veil-connect PORT
end

define veil-regs
  info registers rip rsp rbp eflags cs ss
  info registers cr0 cr2 cr3 cr4 efer
  info symbol $pc
end
document veil-regs
The instruction and stack pointers, flags, control registers and EFER,
and the function the CPU is in.
end

define veil-version
  printf "Veil %s\n", veil_version
end
document veil-version
The version string built into the kernel (kernel/main.c veil_version).
end

define veil-bootinfo
  if kmain_reached == 0
    echo boot_info is not filled yet: kmain has not read the boot information\n
  end
  printf "loader   \"%s\"\n", boot_info.loader_name
  printf "cmdline  \"%s\"\n", boot_info.cmdline
  if boot_info.efi_booted
    echo firmware UEFI\n
  else
    echo firmware BIOS\n
  end
  printf "memory   %u ranges\n", boot_info.memory_range_count
  printf "modules  %u\n", boot_info.module_count
  set $veil_i = 0
  while $veil_i < boot_info.module_count
    printf "  [%u] \"%s\" 0x%lx-0x%lx\n", $veil_i, boot_info.modules[$veil_i].name, boot_info.modules[$veil_i].start, boot_info.modules[$veil_i].end
    set $veil_i = $veil_i + 1
  end
  if boot_info.dropped
    printf "dropped  %u entries\n", boot_info.dropped
  end
end
document veil-bootinfo
The boot information kmain copied out of the multiboot2 block
(struct boot_info, kernel/bootinfo.h). Filled once kmain_reached is 1.
end

define veil-memmap
  set $veil_i = 0
  set $veil_usable = 0
  while $veil_i < boot_info.memory_range_count
    set $veil_r = &boot_info.memory[$veil_i]
    printf "  [0x%016lx-0x%016lx) %10lu KiB type %u\n", $veil_r->base, $veil_r->base + $veil_r->length, $veil_r->length >> 10, $veil_r->type
    if $veil_r->type == 1
      set $veil_usable = $veil_usable + $veil_r->length
    end
    set $veil_i = $veil_i + 1
  end
  printf "%u ranges, %lu MiB usable (type 1)\n", boot_info.memory_range_count, $veil_usable >> 20
end
document veil-memmap
The memory map in boot_info (type 1 usable, 2 reserved, 3 ACPI
reclaimable, 4 ACPI NVS, 5 bad).
end

define veil-ktest
  printf "filter        \"%s\"\n", 'ktest.c'::ktest_filter
  printf "bench filter  \"%s\"\n", 'ktest.c'::ktest_bench_filter
  printf "timeout       %u ms\n", 'ktest.c'::ktest_timeout_ms
  printf "catchers      %u deep\n", 'ktest.c'::ktest_catcher_depth
  if 'ktest.c'::ktest_case_catcher != 0
    printf "running case  deadline %lu ms\n", 'ktest.c'::ktest_case_catcher->deadline_ms
  end
end
document veil-ktest
The in-kernel test runner's state (kernel/ktest/ktest.c): the ktest= filter
(empty until the command line is applied), the default watchdog limit and
how many catchers are active.
end

define veil-ktest-cases
  set $veil_c = &ktest_cases_start[0]
  set $veil_n = 0
  while $veil_c < &ktest_cases_end[0]
    printf "  %s.%s\n", $veil_c->suite, $veil_c->name
    set $veil_c = $veil_c + 1
    set $veil_n = $veil_n + 1
  end
  printf "%u cases\n", $veil_n
end
document veil-ktest-cases
Every KTEST(suite, case) linked into the kernel, in section order.
end

# Last, so that the commands above are defined even when this fails (gdb
# started outside the tree's root, or without Python).
source tools/gdb/veil_mm.py
