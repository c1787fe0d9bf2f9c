"""The runner's own tests: it must fail a kernel that hangs, panics,
prints a wrong or missing plan, fails a case, or dies without a word
(a triple fault makes QEMU exit 0); it must count a skipped case as
skipped (not passed), fail a step whose required case was skipped, and
end with "N passed, N failed, N skipped". Fake kernels replay canned serial
logs (tests/runner/canned/) with a chosen exit status, or sleep."""
import os

from . import checks as check_tally
from . import ktap, process
from .schedule_selftest import schedule_checks
from .steps import CPU_MAX_REQUIRED, judge_boot, ktap_checks

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
    # A failed case's check says why: its expectation lines, not its log.
    details = [detail for _, ok, detail in ktap_checks("fake", report) if not ok]
    want = "x == y: 0x3 != 0x4 | file.c:12: expectation failed: x == y"
    checks.append(("runner:failed-case-says-why", details == [want],
                   f"details {details}"))

    good, _ = verdict(fake_kernel(None, 0))
    checks.append(("runner:fails-silent-exit", not good, "a triple fault exits 0"))

    good, _ = verdict(fake_kernel("good.log", 3))
    checks.append(("runner:fails-bad-status", not good,
                   "KTAP all ok but the kernel said failed"))

    checks += skip_checks()

    # The shell step: a demo that verified no page after a fault fails.
    from .shell_session import demo_checksum_checks
    line = "  checksums {} faulted pages verified, 0 mismatches (every byte came back)"
    zero = [check_tally.outcome(ok) for _, ok, _ in demo_checksum_checks(line.format(0))]
    some = [check_tally.outcome(ok) for _, ok, _ in demo_checksum_checks(line.format(5125))]
    checks.append(("runner:shell-fails-zero-verified-pages",
                   check_tally.FAILED in zero and check_tally.FAILED not in some,
                   f"0 verified: {zero}; 5125 verified: {some}"))

    stopped = process.run(["sh", "-c", "echo one; echo marker; sleep 30"], timeout=10,
                          stop_when=lambda line: line == "marker")
    checks.append(("runner:stops-at-marker", not stopped.timed_out
                   and "marker" in stopped.output and stopped.seconds < 5,
                   f"{stopped.seconds:.1f} s"))
    return checks


def skip_checks():
    """Skips are counted apart; a required case that skipped fails."""
    checks = []
    run = fake_kernel("required-skipped.log", 1)
    report = ktap.parse(run.output, "fake")
    aesni = "fake:cipher.aesni_and_portable_agree"
    plain = ktap_checks("fake", report)
    outcomes = {name: check_tally.outcome(ok) for name, ok, _ in plain}
    checks.append(("runner:skip-not-counted-as-pass",
                   outcomes.get(aesni) == check_tally.SKIPPED
                   and check_tally.tally(plain) == (2, 0, 1),
                   f"outcomes {outcomes}, tally {check_tally.tally(plain)}"))
    required = ktap_checks("fake", report, CPU_MAX_REQUIRED)
    failures = [(name, detail) for name, ok, detail in required
                if check_tally.outcome(ok) == check_tally.FAILED]
    why = CPU_MAX_REQUIRED["cipher.aesni_and_portable_agree"]
    checks.append(("runner:required-skip-fails-step",
                   len(failures) == 1 and failures[0][0] == aesni
                   and "no AES-NI on this CPU" in failures[0][1] and why in failures[0][1]
                   and check_tally.tally(required) == (2, 1, 0),
                   f"failures {failures}, tally {check_tally.tally(required)}"))
    missing = ktap_checks("fake", report, {"cipher.no_such_case": "planted"})
    checks.append(("runner:required-missing-fails",
                   check_tally.tally(missing) == (2, 1, 1),
                   f"tally {check_tally.tally(missing)}"))
    try:
        bool(check_tally.SKIP)
        refused = False
    except TypeError:
        refused = True
    checks.append(("runner:skip-is-not-a-truth-value", refused,
                   "SKIP read as a truth value would count a skip as a pass"))
    # The closing line over the good log: 2 passed, 1 skipped.
    good = ktap_checks("fake", ktap.parse(fake_kernel("good.log", 1).output, "fake"))
    line = check_tally.summary_line(*check_tally.tally(good))
    match = check_tally.SUMMARY.match(line)
    checks.append(("runner:summary-line-with-skips",
                   line == "2 passed, 0 failed, 1 skipped" and match is not None
                   and match.groups() == ("2", "0", "1")
                   and check_tally.SUMMARY.match("2 passed, 0 failed") is not None,
                   f"summary {line!r}"))
    checks.append(("runner:only-skips-is-not-a-pass",
                   not check_tally.run_passed(0, 0) and check_tally.run_passed(2, 0)
                   and not check_tally.run_passed(2, 1), ""))
    return checks + schedule_checks()
