"""Steps `shell` and `plot`.

shell: boots build/veil.iso as `make run` does (the page corpus as its
module, no command line), waits for the demo's summary and the shell's
prompt, checks that the summary's figures add up, types commands one at a
time (each after the previous prompt) and checks each answer, including
bad input (an overlong line, binary bytes, escape sequences, numbers out
of range: one clear line and a new prompt each) and Ctrl-C during a long
run (a partial summary and a prompt in bounded time); `poweroff` must end
QEMU with status 1.

The shell step also boots veil.iso at 38 MiB and types runs of the demo
that cannot fit (PRESSURE_EXCHANGES): each must end in the demo's error
line and a new prompt, and a small run after them must still pass.

plot: tools/veil-plot draws non-empty PNGs from a canned log
(tests/plot/session.log) and refuses a malformed one with a message
naming the line.
"""
import os
import re
import subprocess
import time

from . import console, machines
from .steps import BUILD, PANIC_MARKERS, RUN_DIR

ISO = os.path.join(BUILD, "veil.iso")
PROMPT = "veil> "
# command typed -> text its answer must hold
EXCHANGES = [
    ("stats", ["region id=1 name=demo", "store name=sealed-pages", "demo-run scheme=",
               "demo-latency faulted_accesses=", "demo-sizes scheme="]),
    ("regions", ["region id=1 name=demo", "shared copies="]),
    # the boot flow is thread 0, CPU 0 has its idle thread; CPU 0 online
    ("threads", ["thread id=0 name=main cpu=0 state=running",
                 "name=idle/0 cpu=0", "threads: "]),
    ("cpus", ["cpu index=0 apic_id=0 state=online ticks=", "cpus: 1 of 1 online"]),
    ("scheme", ["schemes:", "demo", "policies:", "transforms:", "stores: zs log"]),
    # a key rotation: the demo region (a cipher) moves to the new key, the
    # old one is wiped (docs/live-swap.md, "Key rotation")
    ("rekey status", ["rekey: key generation 0 in the key registers"]),
    ("rekey", ["rekey: generation 0 -> 1: 1 region(s), 1 rekeyed, 0 refused; "
               "old key wiped, no page depends on it"]),
    ("rekey status", ["rekey: key generation 1 in the key registers"]),
    ("rekey now", ["usage: rekey [status]"]),
    # the reverse map's design, swapped both ways (no fork runs here: the
    # map is empty, so each swap is done when it begins, no walk left)
    ("rmap", ["rmap: design chains, 0 shared frame(s); no swap under way",
              "rmap: designs: chains family"]),
    ("rmap family", ["rmap: swap chains -> family done: no frame to move"]),
    ("rmap", ["rmap: design family, 0 shared frame(s); no swap under way, 1 swap(s) done"]),
    ("rmap family", ["rmap: the map is in design family already"]),
    ("rmap chains", ["rmap: swap family -> chains done: no frame to move"]),
    ("rmap nosuch", ["rmap: no design 'nosuch'; designs: chains family"]),
    ("rmap chains family", ["usage: rmap [DESIGN]"]),
    ("frobnicate", ["unknown command 'frobnicate'"]),
    ("run demo pages=12x", ["'12x' is not a number"]),
    # veil.iso is a release build: no ktest cases, and it says so.
    ("test", ["suites: none (this build carries no tests"]),
    ("test region", ["test: this build carries no tests"]),
    # one CPU runs: the trace header says so
    ("trace dump", ["tlbev-begin cpus=1 capacity="]),
    # arguments out of range: one line naming the argument and its range
    ("run demo pages=8193", ["shell: pages must be 1..8192, not 8193"]),
    ("run demo writes=101", ["shell: writes (percent) must be 0..100, not 101"]),
    ("run demo accesses=100000001", ["shell: accesses must be 1..100000000"]),
    ("run demo pages=8 limit=9", ["shell: limit 9 is above pages 8"]),
    ("test " + "x" * 201, ["shell: filter longer than 200 characters"]),
    # the workload as two threads (one CPU here: they take turns)
    ("run demo threads=2 pages=128 limit=16 accesses=1500 status=off",
     ["== demo summary (2 threads) ==", "  thread 0 on cpu 0: ", "  thread 1 on cpu 0: ",
      " 0 mismatches, on 1 CPUs"]),
    ("stats", ["demo: the last run had 2 threads"]),
    # tiers: the demo under a tiered scheme, its tier walk's settings
    ("run demo pages=64 limit=8 accesses=1000 status=off "
     "scheme=clock:adaptive>dense,aes128-xts-mac",
     ["== demo summary ==", "  tiers     ", ", 0 mismatches"]),
    ("scheme demo tier 16 8 0", ["tiers: fast slot", "threshold 16 evictions"]),
    # a store swap: the same scheme sealing into a new log-structured store
    ("scheme demo store log", ["(sealing)@logstore="]),
    ("scheme demo store nosuch", ["scheme: no store of kind 'nosuch'"]),
    # the system-wide swap: every region, and programs started later
    ("scheme all clock:lz4,aes128-xts-mac", ["scheme all: ", " regions now seal with "
                                             "clock:lz4,aes128-xts-mac (0 refused)"]),
    ("scheme all nonsense", ["scheme: 'nonsense' is not a scheme"]),
]

# Raw input a terminal (or line noise) can send, and the one line the
# shell must answer before its next prompt.
BAD_BYTES = [
    ("long-line", b"help " + b"x" * 300 + b"\n",
     ["shell: line longer than 255 characters: cut, not run"]),
    ("binary-bytes", b"he\x00\x01lp\xff help\n",
     ["shell: line held 3 control or non-ASCII byte(s): not run"]),
    ("utf8-bytes", "help h\u00e9lp\n".encode(),
     ["shell: line held 2 control or non-ASCII byte(s): not run"]),
    # Ctrl-Right, Delete and F1 dropped whole; the rest of the line runs
    ("escape-sequences", b"\x1b[1;5C\x1b[3~\x1bOPhelp help\n",
     ["shell: 3 escape sequence(s) dropped", "usage: help [COMMAND]"]),
]


# The demo summary's checksum line.
CHECKSUMS = re.compile(r"checksums (\d+) faulted pages verified, (\d+) mismatches")


def demo_checksum_checks(boot):
    """The demo verified pages (a run that verified none proves nothing)
    and none of them changed."""
    m = CHECKSUMS.search(boot)
    verified, mismatches = (int(m.group(1)), int(m.group(2))) if m else (0, None)
    return [("shell:demo-verified-pages", verified > 0,
             f"the demo verified {verified} pages after a fault: "
             f"{m.group(0) if m else 'no checksum line'}"),
            ("shell:demo-checksums", mismatches == 0,
             f"{mismatches} mismatches: the demo's checksums found a page that changed")]


# Memory pressure at 38 MiB: typed -> text its answer must hold. (32 MiB
# was the size until the SMP code pushed the release kernel with its 8 MiB
# corpus module a few KiB under the kernel's 16 MiB floor: the per-CPU
# static buffers sized for 64 CPUs take most of the image's bss; 34 MiB
# until the ISO carried the demo's program, busybox, 2.3 MiB more.)
PRESSURE_MEMORY = "38M"
PRESSURE_EXCHANGES = [
    # the clear set alone is more than the RAM: refused before it starts
    ("run demo pages=8192 limit=8192 accesses=100 status=off",
     ["demo: 1 clear set(s) of 8192 pages need about"]),
    # the store fills, seals fail, frames run out: the demo stops
    ("run demo pages=8192 limit=1 scheme=clock:identity",
     ["could not be brought in: out of memory", "the kernel goes on"]),
    ("stats", ["store name=sealed-pages", "memory free_frames="]),
    ("run demo pages=64 limit=8 accesses=1000 status=off",
     ["== demo summary ==", ", 0 mismatches"]),
]


def _exchange(session, typed, wanted, name=None, timeout=60):
    session.send(typed + "\n")
    answer = session.expect(PROMPT, timeout=timeout)
    missing = [w for w in wanted if w not in answer]
    return (f"shell:{name or 'answer'}:{typed.split()[0]}", not missing,
            f"missing {missing} in the answer to {typed!r}")


def _bad_bytes(session, label, data, wanted):
    session.send_bytes(data)
    answer = session.expect(PROMPT, timeout=30)
    missing = [w for w in wanted if w not in answer]
    unknown = "unknown command" in answer
    return (f"shell:bad-input:{label}", not missing and not unknown,
            f"missing {missing} (or ran a mangled line) in {answer[-300:]!r}")


def _summary_adds_up(boot):
    """The demo's summary: hits + faulted accesses = accesses, each
    faulted access is one workload fault, and the fill is apart."""
    accesses = re.search(r"workload  (\d+) accesses", boot)
    clear = re.search(r"clear set ([\d.]+) % of accesses hit, (\d+) faulted; workload "
                      r"faults (\d+) \((\d+) restores, (\d+) zero-fills\), (\d+) evictions",
                      boot)
    fill = re.search(r"fill      (\d+) pages written: (\d+) zero-fill faults", boot)
    if not (accesses and clear and fill):
        return ("shell:demo-figures-add-up", False,
                f"summary lines missing: {bool(accesses)} {bool(clear)} {bool(fill)}")
    total = int(accesses.group(1))
    hit = float(clear.group(1))
    faulted, faults, restores, zero = (int(clear.group(i)) for i in (2, 3, 4, 5))
    pages, fill_faults = int(fill.group(1)), int(fill.group(2))
    expected_hit = (total - faulted) * 1000 // total / 10
    ok = (abs(hit - expected_hit) < 0.05 and faults == faulted == restores + zero
          and fill_faults == pages)
    return ("shell:demo-figures-add-up", ok,
            f"{total} accesses, {hit} % hits (expected {expected_hit} from {faulted} "
            f"faulted), workload faults {faults} = {restores} restores + {zero} "
            f"zero-fills, fill {fill_faults} faults over {pages} pages")


def _interrupt(session):
    """A run that would take hours stops on Ctrl-C with a partial summary
    and the prompt comes back."""
    session.send("run demo accesses=100000000 pages=64\n")
    session.expect("100000000 accesses", timeout=30)
    time.sleep(2)
    started = time.monotonic()
    session.send_bytes(b"\x03")
    try:
        text = session.expect(PROMPT, timeout=30)
    except console.SessionError as error:
        return ("shell:ctrl-c", False, str(error))
    m = re.search(r"stopped   by Ctrl-C after (\d+) of 100000000 accesses", text)
    ok = bool(m) and 0 < int(m.group(1)) < 100000000 and "== demo summary ==" in text
    return ("shell:ctrl-c", ok, f"after {time.monotonic() - started:.1f} s: "
            f"{m.group(0) if m else 'no partial summary'}")


def _interrupt_bench(session):
    """`bench all` (several benchmarks, about 12 s under TCG) stops on
    Ctrl-C after the benchmark under way, says so, and the prompt comes
    back."""
    session.send("bench all\n")
    session.expect("# bench ", timeout=30)
    session.send_bytes(b"\x03")
    try:
        text = session.expect(PROMPT, timeout=60)
    except console.SessionError as error:
        return ("shell:ctrl-c-bench", False, str(error))
    m = re.search(r"# stopped by Ctrl-C after (\d+) of (\d+) benchmarks", text)
    ok = bool(m) and int(m.group(1)) < int(m.group(2))
    return ("shell:ctrl-c-bench", ok, m.group(0) if m else f"no stop line in {text[-300:]!r}")


def _poweroff(session, name):
    """`poweroff` ends QEMU with status 1 (the kernel powered off)."""
    session.send("poweroff\n")
    status = session.wait(timeout=60)
    return (name, status == 1, f"QEMU exit status {status}, expected 1")


def _pressure(ctx):
    """Boots veil.iso at PRESSURE_MEMORY and types PRESSURE_EXCHANGES."""
    command = machines.qemu_command(ISO, memory=PRESSURE_MEMORY)
    ctx.echo(f"# boot shell-pressure: {' '.join(command)}")
    checks = []
    with console.Session(command, timeout=600 * ctx.timeout_scale,
                         echo=lambda line: ctx.echo("  | " + line)) as session:
        try:
            session.expect(PROMPT, timeout=180 * ctx.timeout_scale)
            for i, (typed, wanted) in enumerate(PRESSURE_EXCHANGES):
                checks.append(_exchange(session, typed, wanted, f"pressure-{i}",
                                        timeout=300 * ctx.timeout_scale))
            checks.append(_poweroff(session, "shell:pressure-poweroff-status"))
        except console.SessionError as error:
            checks.append(("shell:pressure-session", False, str(error)))
        output = session.output
    ctx.save_log("shell-pressure", output)
    crashed = [m for m in PANIC_MARKERS + ("*** page fault",) if m in output]
    checks.append(("shell:pressure-no-crash", not crashed,
                   f"the kernel printed {crashed[0]!r}" if crashed else ""))
    return checks


def _samples(session):
    """run demo samples=N keeps N samples, evenly spaced over the accesses
    (the last at the end of the run); stats prints them."""
    session.send("run demo pages=64 limit=8 accesses=1000 status=off samples=50 "
                 "scheme=clock:lz4\n")
    session.expect(PROMPT, timeout=60)
    session.send("stats\n")
    answer = session.expect(PROMPT, timeout=30)
    accesses = [int(a) for a in re.findall(r"demo-sample t_ms=\d+ accesses=(\d+) ", answer)]
    want = [20 * i for i in range(1, 50)] + [1000]
    return ("shell:demo-samples", accesses == want and "demo-sizes scheme=clock:lz4 " in answer,
            f"want 50 samples at every 20th access, got {len(accesses)}: {accesses[:6]}...; "
            "and a demo-sizes line naming clock:lz4")


def step_shell(ctx):
    if not os.path.exists(ISO):
        return [("shell:iso", False, f"{ISO} missing (make {ISO})")]
    command = machines.qemu_command(ISO)
    ctx.echo(f"# boot shell: {' '.join(command)}")
    checks = []
    with console.Session(command, timeout=240 * ctx.timeout_scale,
                         echo=lambda line: ctx.echo("  | " + line)) as session:
        try:
            boot = session.expect(PROMPT, timeout=180 * ctx.timeout_scale)
            checks.append(("shell:demo-summary", "== demo summary ==" in boot,
                           "the boot demo printed no summary"))
            checks += demo_checksum_checks(boot)
            checks.append(("shell:demo-corpus", 'module "corpus"' in boot,
                           "the demo did not use the corpus module of the ISO"))
            checks.append(_summary_adds_up(boot))
            for typed, wanted in EXCHANGES:
                checks.append(_exchange(session, typed, wanted))
            for label, data, wanted in BAD_BYTES:
                checks.append(_bad_bytes(session, label, data, wanted))
            checks.append(_samples(session))
            checks.append(_interrupt(session))
            checks.append(_interrupt_bench(session))
            checks.append(_exchange(session, "help help", ["usage: help [COMMAND]"]))
            checks.append(_poweroff(session, "shell:poweroff-status"))
        except console.SessionError as error:
            checks.append(("shell:session", False, str(error)))
        output = session.output
    ctx.save_log("shell", output)
    crashed = [m for m in PANIC_MARKERS if m in output]
    checks.append(("shell:no-crash", not crashed,
                   f"the kernel printed {crashed[0]!r}" if crashed else ""))
    return checks + _pressure(ctx)


# What the canned log holds (three demo runs of 60 samples under three
# schemes, the four-scheme window sweep), as veil-plot's one line per chart
# must report it.
PLOT_SCHEMES = ("clock:adaptive,aes128-xts-mac", "clock:lz4", "clock:wkdm")


def _plot_contents(stdout):
    """Checks veil-plot's description of each chart against the canned log."""
    lines = {os.path.basename(l.split(":")[0]): l for l in stdout.splitlines() if ".png:" in l}
    checks = []
    fault = lines.get("fault-rate.png", "")
    samples = re.search(r"samples=([\d,]+)", fault)
    counts = [int(c) for c in samples.group(1).split(",")] if samples else []
    checks.append(("plot:fault-rate-samples", len(counts) == 3 and min(counts) >= 50,
                   f"samples per run {counts}, want 3 runs of at least 50: {fault!r}"))
    for chart in ("fault-rate.png", "hit-rate.png", "compression.png"):
        legend = lines.get(chart, "")
        missing = [s for s in PLOT_SCHEMES if s not in legend]
        checks.append((f"plot:{chart}-legend-schemes", not missing,
                       f"legend lacks {missing}: {legend!r}"))
    sweep = lines.get("window-sweep.png", "")
    checks.append(("plot:window-sweep-series", "series=4 points=4,4,4,4" in sweep
                   and "(clock:adaptive,aes128-xts-mac)" in sweep,
                   f"want 4 schemes of 4 points each, named with their chain: {sweep!r}"))
    return checks


def step_plot(ctx):
    checks = []
    out = os.path.join(RUN_DIR, "plots")
    for name in os.listdir(out) if os.path.isdir(out) else []:
        os.remove(os.path.join(out, name))
    run = subprocess.run(["tools/veil-plot", "-o", out, "tests/plot/session.log"],
                         capture_output=True, text=True, timeout=300)
    checks.append(("plot:canned-log", run.returncode == 0,
                   f"exit {run.returncode}: {run.stderr.strip()[-500:]}"))
    for chart in ("fault-rate.png", "hit-rate.png", "compression.png", "window-sweep.png"):
        path = os.path.join(out, chart)
        size = os.path.getsize(path) if os.path.exists(path) else 0
        with open(path, "rb") if size else open(os.devnull, "rb") as f:
            png = f.read(8) == b"\x89PNG\r\n\x1a\n"
        checks.append((f"plot:{chart}", size > 1000 and png,
                       f"{path}: {size} bytes, PNG signature {png}"))
    checks += _plot_contents(run.stdout)
    run = subprocess.run(["tools/veil-plot", "-o", out, "tests/plot/malformed.log"],
                         capture_output=True, text=True, timeout=300)
    checks.append(("plot:malformed-refused",
                   run.returncode != 0 and "malformed.log:22: malformed tlbev line" in run.stderr,
                   f"exit {run.returncode}, stderr {run.stderr.strip()[-300:]!r}"))
    return checks
