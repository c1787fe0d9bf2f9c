"""The runner's tests of its scheduler (tests/runner/schedule.py), part of
the `runner` step: one-core steps overlap on two cores and not on one, a
whole-machine step runs alone, the output comes back in list order, a
step's CPU time is its own, a skip survives the trip from the child, and a
step that dies or raises fails without stopping the others."""
import contextlib
import io
import os
import subprocess
import sys
import time

from . import checks as check_tally
from . import schedule

NAP = 0.5  # seconds each sleeping fake step takes


def sleeper(name):
    """A fake one-core step: says it started, sleeps, says it ended."""
    def step(ctx):
        print(f"{name} start", flush=True)
        time.sleep(NAP)
        print(f"{name} end", flush=True)
        return [(f"{name}:slept", True, "")]
    return step


def timed_sleeper(name):
    """A fake one-core step that prints when it starts and ends (the
    monotonic clock, the same in every process)."""
    def step(ctx):
        print(f"{name} start {time.monotonic()}", flush=True)
        time.sleep(NAP)
        print(f"{name} end {time.monotonic()}", flush=True)
        return [(f"{name}:slept", True, "")]
    return step


def spinner(ctx):
    """A fake step whose child process does a fixed amount of arithmetic
    (a few tenths of a second of CPU, however loaded the machine)."""
    subprocess.run([sys.executable, "-c", "sum(i * i for i in range(4000000))"],
                   check=True)
    return [("spin:done", True, ""), ("spin:skipped", check_tally.SKIP, "planted")]


def raiser(ctx):
    raise RuntimeError("planted")


def dier(ctx):
    os._exit(7)


def run(steps, cores):
    """Runs steps under the scheduler; returns (output lines, reports by
    name, wall seconds)."""
    reports = {}

    def report(name, checks, wall, cpu):
        reports[name] = (checks, wall, cpu)

    output = io.StringIO()
    start = time.monotonic()
    with contextlib.redirect_stdout(output):
        schedule.run_steps(steps, None, cores, report)
    return output.getvalue().splitlines(), reports, time.monotonic() - start


def step_times(lines):
    """The start and end stamps timed sleepers printed, by (name, "start"
    or "end"), and the lines with the stamps taken out."""
    times, bare = {}, []
    for line in lines:
        words = line.split()
        if len(words) == 3 and words[1] in ("start", "end"):
            times[(words[0], words[1])] = float(words[2])
            line = f"{words[0]} {words[1]}"
        bare.append(line)
    return times, bare


def check_overlap():
    """Two one-core steps on two cores overlap (each starts before the
    other ends: the steps' own stamps, so a loaded machine's slow process
    start-ups do not count) and on one core do not; the output of each is
    whole and in list order either way."""
    checks = []
    steps = [(name, timed_sleeper(name)) for name in ("sleep-a", "sleep-b")]
    wanted = ["# step sleep-a", "sleep-a start", "sleep-a end",
              "# step sleep-b", "sleep-b start", "sleep-b end"]
    serial_lines, _, serial = run(steps, 1)
    lines, _, _ = run(steps, 2)
    serial_times, serial_lines = step_times(serial_lines)
    times, lines = step_times(lines)
    checks.append(("runner:schedule-one-core-serial", serial >= 2 * NAP,
                   f"two {NAP} s steps on 1 core took {serial:.2f} s"))
    try:
        apart = serial_times[("sleep-b", "start")] >= serial_times[("sleep-a", "end")]
        overlap = (times[("sleep-b", "start")] < times[("sleep-a", "end")] and
                   times[("sleep-a", "start")] < times[("sleep-b", "end")])
    except KeyError:
        apart = overlap = False
    checks.append(("runner:schedule-one-core-one-at-a-time", apart,
                   f"stamps on 1 core {serial_times}"))
    checks.append(("runner:schedule-two-cores-overlap", overlap,
                   f"stamps on 2 cores {times}"))
    checks.append(("runner:schedule-output-in-list-order",
                   lines == wanted and serial_lines == wanted,
                   f"output on 2 cores {lines}, on 1 {serial_lines}"))
    return checks


def check_whole_machine():
    """A whole-machine step starts only when the step before it has ended,
    and the step after it only when it has ended."""
    schedule.WHOLE_MACHINE.add("whole-fake")
    try:
        steps = [("sleep-a", sleeper("sleep-a")), ("whole-fake", sleeper("whole-fake")),
                 ("sleep-b", sleeper("sleep-b"))]
        _, _, wall = run(steps, 2)
    finally:
        schedule.WHOLE_MACHINE.discard("whole-fake")
    return [("runner:schedule-whole-machine-alone", wall >= 3 * NAP,
             f"three {NAP} s steps, the middle one whole-machine, took {wall:.2f} s")]


def check_after():
    """A step named in AFTER waits for the earlier steps it names; one it
    names that comes later or is not in the run is not waited for (the
    step after it starts beside it)."""
    schedule.AFTER["sleep-b"] = ("sleep-a", "sleep-c", "not-in-this-run")
    try:
        steps = [(name, timed_sleeper(name)) for name in ("sleep-a", "sleep-b", "sleep-c")]
        lines, _, _ = run(steps, 3)
    finally:
        del schedule.AFTER["sleep-b"]
    times, _ = step_times(lines)
    try:
        ok = (times[("sleep-b", "start")] >= times[("sleep-a", "end")]
              and times[("sleep-c", "start")] < times[("sleep-b", "end")])
    except KeyError:
        ok = False
    return [("runner:schedule-after-waits", ok,
             f"sleep-b must start after sleep-a ends, sleep-c beside sleep-b: {times}")]


def check_results():
    """CPU time, skips, and steps that raise or die."""
    steps = [("spin", spinner), ("raise", raiser), ("die", dier),
             ("sleep-a", sleeper("sleep-a"))]
    _, reports, _ = run(steps, 2)
    checks = []
    spin_checks, _, spin_cpu = reports.get("spin", ([], 0, 0))
    _, _, sleep_cpu = reports.get("sleep-a", ([], 0, 0))
    checks.append(("runner:schedule-cpu-time-per-step",
                   spin_cpu >= 0.15 and sleep_cpu < 0.1,
                   f"spinning step {spin_cpu:.2f} s of CPU, sleeping one {sleep_cpu:.2f} s"))
    outcomes = [check_tally.outcome(ok) for _, ok, _ in spin_checks]
    checks.append(("runner:schedule-skip-survives",
                   outcomes == [check_tally.PASSED, check_tally.SKIPPED],
                   f"outcomes {outcomes}"))
    for name in ("raise", "die"):
        got = reports.get(name, ([], 0, 0))[0]
        checks.append((f"runner:schedule-{name}-fails-step",
                       len(got) == 1 and got[0][0] == f"{name}:step"
                       and check_tally.outcome(got[0][1]) == check_tally.FAILED,
                       f"checks {got}"))
    checks.append(("runner:schedule-others-go-on", "sleep-a" in reports,
                   "a step after a failing one did not run"))
    return checks


def schedule_checks():
    return check_overlap() + check_whole_machine() + check_after() + check_results()
