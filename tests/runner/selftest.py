"""The runner's own tests: it must fail a kernel that hangs, panics,
prints a wrong or missing plan, fails a case, or dies without a word
(a triple fault makes QEMU exit 0). Fake kernels replay canned serial logs
(tests/runner/canned/) with a chosen exit status, or sleep."""
import os

from . import ktap, process
from .steps import judge_boot

CANNED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "canned")


def fake_kernel(log, status, timeout=10):
    path = os.path.join(CANNED, log) if log else "/dev/null"
    return process.run(["sh", "-c", f'cat "{path}"; exit {status}'], timeout=timeout)


def verdict(run, expect_status="passed"):
    """True when the runner would call this boot good."""
    checks = judge_boot("fake", run, expect_status)
    report = ktap.parse(run.output, "fake")
    return all(ok for _, ok, _ in checks) and report.good, report


def step_runner(ctx):
    checks = []

    good, report = verdict(fake_kernel("good.log", 1))
    checks.append(("runner:accepts-good-run", good and report.passed == 2
                   and report.skipped == 1, f"passed={report.passed} skipped={report.skipped}"))

    hang = process.run(["sleep", "30"], timeout=1)
    good, _ = verdict(hang)
    checks.append(("runner:fails-hang", hang.timed_out and not good,
                   f"timed_out={hang.timed_out}"))

    good, _ = verdict(fake_kernel("panic.log", 5))
    checks.append(("runner:fails-panic", not good, ""))

    good, report = verdict(fake_kernel("wrong-plan.log", 1))
    checks.append(("runner:fails-wrong-plan", not good and report.errors,
                   "; ".join(report.errors)))

    good, report = verdict(fake_kernel("no-plan.log", 1))
    checks.append(("runner:fails-missing-plan", not good and report.errors,
                   "; ".join(report.errors)))

    good, report = verdict(fake_kernel("failed-case.log", 3))
    checks.append(("runner:fails-failed-case", not good and report.failed == 1,
                   f"failed={report.failed}"))

    good, _ = verdict(fake_kernel(None, 0))
    checks.append(("runner:fails-silent-exit", not good, "a triple fault exits 0"))

    good, _ = verdict(fake_kernel("good.log", 3))
    checks.append(("runner:fails-bad-status", not good,
                   "KTAP all ok but the kernel said failed"))

    stopped = process.run(["sh", "-c", "echo one; echo marker; sleep 30"], timeout=10,
                          stop_when=lambda line: line == "marker")
    checks.append(("runner:stops-at-marker", not stopped.timed_out
                   and "marker" in stopped.output and stopped.seconds < 5,
                   f"{stopped.seconds:.1f} s"))
    return checks
