"""Checks and their tally: what a step returns and how the runner counts it.

A step returns a list of checks, each a tuple (name, ok, detail). `ok` is
True (passed), False (failed) or SKIP (a KTAP case that said "# SKIP": it
neither passed nor failed, and is counted apart). SKIP refuses to be used
as a truth value, so no code can count a skip as a pass (or a failure) by
accident: outcome() is the one way to read a check.

The run ends with summary_line(): "N passed, N failed, N skipped". CI and
the fresh-clone step read it with SUMMARY.
"""
import re


class _Skip:
    """The `ok` of a skipped check (the single instance SKIP)."""

    def __bool__(self):
        raise TypeError("a skipped check is neither a pass nor a failure: "
                        "read it with checks.outcome()")

    def __repr__(self):
        return "SKIP"


SKIP = _Skip()

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"

# The closing line: "N passed, N failed" optionally followed by ", N skipped".
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")


def outcome(ok):
    """PASSED, FAILED or SKIPPED for a check's `ok` value."""
    if ok is SKIP:
        return SKIPPED
    return PASSED if ok else FAILED


def tally(checks):
    """(passed, failed, skipped) counts of a list of checks."""
    counts = {PASSED: 0, FAILED: 0, SKIPPED: 0}
    for _, ok, _ in checks:
        counts[outcome(ok)] += 1
    return counts[PASSED], counts[FAILED], counts[SKIPPED]


def summary_line(passed, failed, skipped):
    """The run's closing line."""
    return f"{passed} passed, {failed} failed, {skipped} skipped"


def run_passed(passed, failed):
    """The run's verdict (exit status 0): nothing failed and something
    passed (a run of nothing but skips proves nothing)."""
    return failed == 0 and passed > 0


def case_checks(prefix, report, required=None):
    """One check per KTAP case of report (tests/runner/ktap.py), named
    prefix:suite.case: passed, failed, or SKIP with the case's reason.

    required maps case paths to why the step needs them to run: such a case
    that was skipped, or is missing from the report, is a failure whose
    detail gives the skip reason and why it was required. Structural errors
    of the KTAP document are failures too."""
    required = dict(required or {})
    checks = []
    for case in report.cases:
        name = f"{prefix}:{case.path}"
        why = required.pop(case.path, None)
        if case.skipped and why:
            checks.append((name, False, f"skipped ({case.reason}) but required: {why}"))
        elif case.skipped:
            checks.append((name, SKIP, case.reason))
        else:
            checks.append((name, case.ok, "" if case.ok else case.failure_detail()))
    for path, why in required.items():
        checks.append((f"{prefix}:{path}", False, f"required case did not run: {why}"))
    for error in report.errors:
        checks.append((f"{prefix}:ktap-structure", False, error))
    return checks
