"""The bochs step: the test ISO under Bochs (tools/run-bochs, headless),
a second, independent CPU and device model next to QEMU's. The command
line comes from the runner's FAT config disk, attached as Bochs' first
hard disk. The boot runs the suites whose outcome depends on the CPU and
its devices (see BOCHS_SUITES); the portable ones (codecs, stores, slab,
migration, tiers...) run in the five QEMU boots. The boot must end by
itself: the kernel writes "Shutdown" to Bochs' port 0x8900 once the tests
are done."""
import os
import re
import shutil
import tempfile

from . import ktap, machines, process, steps
from .steps import PANIC_MARKERS, RUN_DIR, TEST_ISO, check_boot_info, ktap_checks

RUN_BOCHS = os.path.join("tools", "run-bochs")
# The suites whose outcome depends on what a second CPU model may do
# differently from QEMU's: interrupts and the local APIC (x2APIC here),
# paging and TLBs (PCID: Bochs has it, QEMU TCG has not), starting and
# stopping CPUs, traps and faults, the scheduler's context switches, ring 3
# and system calls (SYSCALL, SMEP/SMAP), user processes, shootdowns, atomic
# instructions under contention, AES-NI and PCLMULQDQ, the page
# transitions on several CPUs, and the cold-boot dump. The portable suites
# (codecs, stores, slab and allocator torture, scheme migration, tiers,
# key rotation, tracing, the shell, the command line...) do the same work
# on any x86-64 CPU and run in the QEMU boots (BIOS, UEFI, release and the
# three SMP sizes); under Bochs, a few times slower, they took most of the
# step's five minutes.
BOCHS_SUITES = ("lapic", "paging", "smp_start", "trap", "vmm", "acpi", "bootinfo",
                "lock_torture", "sched", "wait_request", "smp", "user_files",
                "user_process", "user", "fault", "mm_cpu", "region_smp",
                "region_fork", "tlb_sets", "tlb_smp", "tlb_stale", "cipher_cpus",
                "cipher", "coldboot")
# Cases of those suites left out: the stress cases (the BIOS boot's), and
# the 10^5-round ping-pong, which only measures cross-CPU throughput (it
# stays in the QEMU boots of the BIOS step and the 2-CPU one of the smp
# step); the user suite's memory workloads and forked pages under
# compression and encryption, whose extra work over the identity workload
# (kept) is the portable codecs' and the store's (AES-NI is the cipher
# suites'): about 5 of the boot's 21 s of guest time; and the ktest
# runner's cleanup of abandoned code (portable). ktest= words of at most
# 255 bytes each (the kernel adds them up).
BOCHS_PORTABLE_CASES = (
    "user.memory_workload_under_compression",
    "user.memory_workload_under_compression_and_encryption",
    "user.forked_pages_sealed_once_under_compression",
    "user.forked_pages_sealed_once_under_compression_and_encryption",
    "user_process.abandoned_code_leaves_no_process",
)


def ktest_words(items):
    """items as ktest= words of at most 255 bytes, in order."""
    words = []
    for item in items:
        if words and len(words[-1]) + 1 + len(item) <= 255:
            words[-1] += "," + item
        else:
            words.append("ktest=" + item)
    return " ".join(words)


BOCHS_FILTER = ("ktest=" + ",".join(BOCHS_SUITES) + " " + ktest_words(
    ["-" + c for c in steps.STRESS_CASES if c.split(".")[0] in BOCHS_SUITES] +
    ["-" + steps.PING_PONG_CASE] + ["-" + c for c in BOCHS_PORTABLE_CASES]))
assert all(len(word) <= 255 for word in BOCHS_FILTER.split()), \
    "a Bochs filter word is over 255 bytes"
# The user suite's memory workload at 1 MiB: Bochs models a slower CPU,
# and the boot has one time limit; the QEMU boots run the full size.
CMDLINE = BOCHS_FILTER + " loglevel=6 user_test_mib=1"
# Wall-clock limits: run-bochs stops Bochs first; the outer one is a
# backstop for run-bochs itself.
BOCHS_TIMEOUT = 360
OUTER_TIMEOUT = 390
# tools/bochsrc's CPU model, as the kernel names it from CPUID.
BOCHS_CPU = "i7-4770"
# CPUs of the Bochs machine (run-bochs --cpus): its model has x2APIC, so
# this is the boot that starts CPUs through the x2APIC.
BOCHS_CPUS = 2


def step(ctx):
    missing = [t for t in ("bochs", "script", "mformat") if not machines.have(t)]
    if missing:
        return [("bochs:tools", False, f"missing {', '.join(missing)} (tools/install-deps)")]
    if not os.path.exists(TEST_ISO):
        return [("bochs:files", False, f"{TEST_ISO} missing (make build/veil-test.iso)")]
    work = tempfile.mkdtemp(prefix="bochs-", dir=RUN_DIR)
    try:
        # A copy: a build running alongside may rewrite the ISO mid-boot.
        iso = shutil.copy(TEST_ISO, os.path.join(work, "veil-test.iso"))
        disk = machines.make_config_disk(os.path.join(work, "config.img"), CMDLINE)
        serial_path = os.path.join(work, "serial.log")
        bochs_log = os.path.join(work, "bochs.log")
        timeout = BOCHS_TIMEOUT * ctx.timeout_scale
        command = [RUN_BOCHS, "--disk", disk, "--serial", serial_path,
                   "--log", bochs_log, "--screen", "/dev/null",
                   "--timeout", str(int(timeout)), "--cpus", str(BOCHS_CPUS), iso]
        ctx.echo(f"# boot bochs: {' '.join(command)}")
        run = process.run(command, timeout=OUTER_TIMEOUT * ctx.timeout_scale,
                          echo=lambda line: ctx.echo("  # " + line))
        serial = ""
        if os.path.exists(serial_path):
            with open(serial_path, errors="replace") as f:
                serial = f.read().replace("\r", "")
        for line in serial.splitlines():
            ctx.echo("  | " + line)
        ctx.save_log("bochs", serial)
        if os.path.exists(bochs_log):
            shutil.copy(bochs_log, os.path.join(RUN_DIR, "bochs-emulator.log"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return judge(run, serial)


def judge(run, serial):
    checks = []
    timed_out = run.timed_out or run.status == 124
    checks.append(("bochs:finished", not timed_out,
                   f"took {run.seconds:.1f} s" + (" and was stopped" if timed_out else "")))
    if timed_out:
        return checks
    # run-bochs exits 0 only when Bochs' log says the guest asked for the
    # shutdown; a Bochs panic (a triple fault, say) is another status.
    checks.append(("bochs:shut-down-by-kernel", run.status == 0,
                   f"run-bochs exit status {run.status}: {run.output.strip()[-300:]}"))
    crashed = [m for m in PANIC_MARKERS if m in serial]
    checks.append(("bochs:no-crash", not crashed,
                   f"the kernel printed '{crashed[0]}'" if crashed else ""))
    cpu = re.search(r"info: cpu: (.*)", serial)
    checks.append(("bochs:ran-under-bochs", cpu is not None and BOCHS_CPU in cpu.group(1),
                   f"the kernel saw CPU {cpu.group(1) if cpu else None!r}, "
                   f"tools/bochsrc asks for {BOCHS_CPU}"))
    report = ktap.parse(serial, "bochs")
    checks += ktap_checks("bochs", report, steps.CPU_MAX_REQUIRED)
    checks.append(("bochs:ran-cases", report.passed > 0,
                   f"{report.passed} cases passed"))
    # The kernel's own count, printed last: the log is complete.
    m = re.search(r"^# ktest: (\d+) passed, (\d+) failed, (\d+) skipped", serial, re.M)
    checks.append(("bochs:summary-agrees", m is not None
                   and (int(m.group(1)), int(m.group(2)), int(m.group(3)))
                   == (report.passed, report.failed, report.skipped),
                   f"kernel says {m.groups() if m else None}, KTAP has "
                   f"{(report.passed, report.failed, report.skipped)}"))
    checks += steps.check_cpus_online("bochs", serial, BOCHS_CPUS)
    checks.append(("bochs:x2apic", "lapic: x2APIC mode" in serial,
                   "tools/bochsrc's CPU has x2APIC: the kernel should use it"))
    # The command line came through the config disk on Bochs' ATA disk.
    checks += check_boot_info("bochs", serial, CMDLINE)
    return checks
