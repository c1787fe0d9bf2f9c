"""Steps `shell` and `plot`.

shell: boots build/veil.iso as `make run` does (the page corpus as its
module, no command line), waits for the demo's summary and the shell's
prompt, types commands one at a time (each after the previous prompt) and
checks each answer; `poweroff` must end QEMU with status 1.

The shell step also boots veil.iso at 32 MiB and types runs of the demo
that cannot fit (PRESSURE_EXCHANGES): each must end in the demo's error
line and a new prompt, and a small run after them must still pass.

plot: tools/veil-plot draws non-empty PNGs from a canned log
(tests/plot/session.log) and refuses a malformed one with a message
naming the line.
"""
import os
import subprocess

from . import console, machines
from .steps import BUILD, PANIC_MARKERS, RUN_DIR

ISO = os.path.join(BUILD, "veil.iso")
PROMPT = "veil> "
# command typed -> text its answer must hold
EXCHANGES = [
    ("stats", ["region id=1 name=demo", "store name=sealed-pages", "demo-run source=",
               "demo-latency faults=", "demo-sizes bucket_bytes="]),
    ("regions", ["region id=1 name=demo"]),
    ("scheme", ["schemes:", "demo", "policies:", "transforms:"]),
    ("frobnicate", ["unknown command 'frobnicate'"]),
    ("run demo pages=12x", ["'12x' is not a number"]),
    # veil.iso is a release build: no ktest cases, and it says so.
    ("test", ["suites: none (this build carries no tests"]),
    ("test region", ["test: this build carries no tests"]),
]


# Memory pressure at 32 MiB: typed -> text its answer must hold.
PRESSURE_MEMORY = "32M"
PRESSURE_EXCHANGES = [
    # the clear set alone is more than the RAM: refused before it starts
    ("run demo pages=8192 limit=8192 accesses=100 status=off",
     ["demo: a clear set of 8192 pages needs about"]),
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
            session.send("poweroff\n")
            status = session.wait(timeout=60)
            checks.append(("shell:pressure-poweroff-status", status == 1,
                           f"QEMU exit status {status}, expected 1"))
        except console.SessionError as error:
            checks.append(("shell:pressure-session", False, str(error)))
        output = session.output
    ctx.save_log("shell-pressure", output)
    crashed = [m for m in PANIC_MARKERS + ("*** page fault",) if m in output]
    checks.append(("shell:pressure-no-crash", not crashed,
                   f"the kernel printed {crashed[0]!r}" if crashed else ""))
    return checks


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
            checks.append(("shell:demo-checksums", ", 0 mismatches" in boot,
                           "the demo's checksums found a page that changed"))
            checks.append(("shell:demo-corpus", 'module "corpus"' in boot,
                           "the demo did not use the corpus module of the ISO"))
            for typed, wanted in EXCHANGES:
                checks.append(_exchange(session, typed, wanted))
            session.send("poweroff\n")
            status = session.wait(timeout=60)
            checks.append(("shell:poweroff-status", status == 1,
                           f"QEMU exit status {status}, expected 1"))
        except console.SessionError as error:
            checks.append(("shell:session", False, str(error)))
        output = session.output
    ctx.save_log("shell", output)
    crashed = [m for m in PANIC_MARKERS if m in output]
    checks.append(("shell:no-crash", not crashed,
                   f"the kernel printed {crashed[0]!r}" if crashed else ""))
    return checks + _pressure(ctx)


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
    run = subprocess.run(["tools/veil-plot", "-o", out, "tests/plot/malformed.log"],
                         capture_output=True, text=True, timeout=300)
    checks.append(("plot:malformed-refused",
                   run.returncode != 0 and "malformed.log:22: malformed tlbev line" in run.stderr,
                   f"exit {run.returncode}, stderr {run.stderr.strip()[-300:]!r}"))
    return checks
