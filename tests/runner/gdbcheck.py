"""The gdb step: the project's gdb script (tools/veil.gdb) against a live
kernel. QEMU boots the test ISO stopped at reset with its gdb stub on a
free port; gdb -batch loads the test kernel's symbols and the script, runs
`veil-connect PORT` (hardware breakpoint at kmain), then reads kernel
memory through the symbols and the script's helpers, and detaches. The
kernel must then run its (small) test selection to the end by itself.
QEMU is killed whatever happens.

The memory helpers (tools/gdb/veil_mm.py) are checked at a known point:
the command line runs the ktest case gdb.fixture (mm/gdb_fixture_test.c),
which builds a region with sealed, clear and untouched pages, a slab cache
and a short trace, records what the kernel itself says about them
(vmm_get_handle, store_size, vmm_translate) in gdb_fixture, and calls
gdb_fixture_ready(). gdb stops there, prints those records with plain gdb,
runs every helper, and the checks compare each helper's output with the
records and with the fixture's design (tests/runner/gdb_memory.py).

The ISO is copied first, and gdb reads the symbols of the kernel inside
that copy: a build running next to the check cannot mix one kernel's
addresses with another's code. That build/veil-test.elf (the test
kernel's ELF, as build/veil.elf is what `make debug` hands gdb for
veil.iso) is the same kernel is a check of its own."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from . import gdb_memory, ktap, machines, process
from .steps import BUILD, RUN_DIR, TEST_ELF, TEST_ISO

ELF = TEST_ELF
SCRIPT = os.path.join("tools", "veil.gdb")
MAIN_C = os.path.join("kernel", "main.c")
# The fixture the memory helpers are checked against; after gdb lets go it
# finishes, so the boot ends by itself.
CMDLINE = "ktest=gdb.fixture loglevel=6"
GDB_TIMEOUT = 90
QEMU_TIMEOUT = 60  # after gdb detached


def expected_version():
    with open(MAIN_C) as f:
        m = re.search(r'#define\s+VEIL_VERSION\s+"([^"]*)"', f.read())
    return m.group(1) if m else None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """True when some socket listens on TCP port (IPv4 or IPv6), read from
    /proc so that no connection is made to QEMU's stub before gdb's."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            continue
    return False


def stop(proc):
    """Ends QEMU (its own session) and reaps it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def extract_kernel(iso, path):
    """/boot/veil.elf of the ISO (the ELF with symbols) to path."""
    result = subprocess.run(["xorriso", "-osirrox", "on", "-indev", iso,
                             "-extract", "/boot/veil.elf", path],
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0 or not os.path.exists(path):
        raise RuntimeError(f"cannot extract /boot/veil.elf from {iso}: {result.stderr[-300:]}")
    return path


def same_file(a, b):
    with open(a, "rb") as f, open(b, "rb") as g:
        return f.read() == g.read()


def start_qemu(ctx, iso, disk, serial_path, attempts=5):
    """QEMU waiting at reset with a gdb stub on a free port. Another
    program may take the port between the choice and QEMU's bind: QEMU then
    exits at once and another port is tried. Returns (process, port)."""
    last_error = ""
    for _ in range(attempts):
        port = free_port()
        command = machines.qemu_command(iso, disk=disk,
                                        extra=["-gdb", f"tcp::{port}", "-S"])
        ctx.echo(f"# gdb: {' '.join(command)}")
        serial = open(serial_path, "wb")
        proc = subprocess.Popen(command, stdout=serial, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        serial.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            if listening(port):
                return proc, port
            time.sleep(0.05)
        stop(proc)
        with open(serial_path, errors="replace") as f:
            last_error = f.read()[-500:]
    raise RuntimeError(f"QEMU did not open a gdb stub: {last_error}")


def sections(output):
    """Splits gdb's output at the '@@name' markers the command list echoes."""
    parts, name = {}, "connect"
    for line in output.splitlines():
        m = re.match(r"^@@(\w+)$", line.strip())
        if m:
            name = m.group(1)
            continue
        parts[name] = parts.get(name, "") + line + "\n"
    return parts


def gdb_command(port, elf):
    commands = [
        f"veil-connect {port}",
        "echo @@where\\n", "info symbol $pc",
        "echo @@regs\\n", "veil-regs",
        "echo @@version\\n", "print veil_version",
        # Past boot_read_info: boot_info is filled, the command line not
        # yet applied. Paging is on, so a software breakpoint is fine.
        "break cmdline_apply", "continue",
        "echo @@bootinfo\\n", "veil-bootinfo", "print kmain_reached",
        "echo @@memmap\\n", "veil-memmap",
        "echo @@to_fixture\\n", "break gdb_fixture_ready", "continue",
    ] + gdb_memory.COMMANDS + [
        "echo @@detach\\n", "delete", "detach",
        "echo @@end\\n",
    ]
    command = ["gdb", "-batch", "-nx", "-x", SCRIPT]
    for c in commands:
        command += ["-ex", c]
    return command + [elf]


def step(ctx):
    missing = [t for t in ("gdb", "qemu-system-x86_64", "mformat", "xorriso")
               if not machines.have(t)]
    if missing:
        return [("gdb:tools", False, f"missing {', '.join(missing)} (tools/install-deps)")]
    for path in (TEST_ISO, ELF, SCRIPT):
        if not os.path.exists(path):
            return [("gdb:files", False, f"{path} missing (make build/veil-test.iso build/veil-test.elf)")]
    version = expected_version()
    work = tempfile.mkdtemp(prefix="gdb-", dir=RUN_DIR)
    checks = []
    qemu = None
    try:
        iso = shutil.copy(TEST_ISO, os.path.join(work, "veil-test.iso"))
        elf = extract_kernel(iso, os.path.join(work, "veil.elf"))
        checks.append(("gdb:elf-matches-iso", same_file(elf, ELF),
                       f"{ELF} is not the kernel in {TEST_ISO}: gdb would get wrong "
                       f"addresses (make build/veil-test.iso build/veil-test.elf)"))
        disk = machines.make_config_disk(os.path.join(work, "config.img"), CMDLINE)
        serial_path = os.path.join(work, "serial.log")
        qemu, port = start_qemu(ctx, iso, disk, serial_path)
        command = gdb_command(port, elf)
        ctx.echo(f"# gdb: {' '.join(command)}")
        gdb = process.run(command, timeout=GDB_TIMEOUT * ctx.timeout_scale,
                          echo=lambda line: ctx.echo("  gdb| " + line))
        ctx.save_log("gdb", gdb.output)
        parts = sections(gdb.output)

        checks.append(("gdb:finished", not gdb.timed_out and gdb.status == 0,
                       f"timed out after {gdb.seconds:.0f} s" if gdb.timed_out
                       else f"gdb exit status {gdb.status}"))

        where = parts.get("where", "")
        stopped = (re.search(r"Breakpoint 1, kmain \(", parts.get("connect", "")) is not None
                   and re.search(r"^kmain in section \.text$", where, re.M) is not None)
        checks.append(("gdb:stopped-in-kmain", stopped,
                       f"hardware breakpoint should stop at kmain's first instruction; "
                       f"info symbol $pc said {where.strip()[:200]!r}"))

        regs = parts.get("regs", "")
        efer = re.search(r"^efer\s+\S+\s+\[([^\]]*)\]", regs, re.M)
        cr0 = re.search(r"^cr0\s+\S+\s+\[([^\]]*)\]", regs, re.M)
        long_mode = (efer is not None and "LMA" in efer.group(1).split()
                     and cr0 is not None and "PG" in cr0.group(1).split())
        checks.append(("gdb:veil-regs-long-mode", long_mode,
                       f"veil-regs at kmain should show EFER.LMA and CR0.PG: "
                       f"efer {efer.group(1) if efer else None}, cr0 {cr0.group(1) if cr0 else None}"))

        m = re.search(r'^\$\d+ = "([^"]*)"', parts.get("version", ""), re.M)
        checks.append(("gdb:read-veil-version", version is not None and m is not None
                       and m.group(1) == version,
                       f"print veil_version gave {m.group(1) if m else None!r}, "
                       f"kernel/main.c says {version!r}"))

        bootinfo = parts.get("bootinfo", "")
        m = re.search(r'^cmdline\s+"([^"]*)"', bootinfo, re.M)
        reached = re.search(r"^\$\d+ = 1$", bootinfo, re.M) is not None
        checks.append(("gdb:veil-bootinfo", m is not None and m.group(1) == CMDLINE and reached,
                       f"at cmdline_apply boot_info.cmdline is {m.group(1) if m else None!r} "
                       f"(runner passed {CMDLINE!r}), kmain_reached read as 1: {reached}"))

        m = re.search(r"^(\d+) ranges, (\d+) MiB usable", parts.get("memmap", ""), re.M)
        usable = int(m.group(2)) if m else -1
        checks.append(("gdb:veil-memmap", m is not None and int(m.group(1)) > 0
                       and 240 <= usable <= 256,
                       f"{usable} MiB usable in a 256 MiB guest"))

        checks += gdb_memory.checks(parts)

        detached = re.search(r"\[Inferior 1 \(process \d+\) detached\]",
                             parts.get("detach", "")) is not None
        status = None
        if detached:
            try:
                status = qemu.wait(timeout=QEMU_TIMEOUT * ctx.timeout_scale)
            except subprocess.TimeoutExpired:
                status = None
        with open(serial_path, errors="replace") as f:
            serial = f.read()
        ctx.save_log("gdb-serial", serial)
        report = ktap.parse(serial, "gdb")
        verdict = machines.QEMU_EXIT.get(status, f"exit status {status}")
        checks.append(("gdb:kernel-runs-on-after-detach",
                       detached and verdict == "passed" and report.good and report.passed > 0,
                       f"detached={detached}, QEMU {verdict}, KTAP passed={report.passed} "
                       f"failed={report.failed} {'; '.join(report.errors)}"))
    finally:
        if qemu is not None:
            stop(qemu)
        shutil.rmtree(work, ignore_errors=True)
    return checks
