"""KTAP version 1 parsing, as the kernel (kernel/ktest/ktest.c) and the host
test binaries (tests/host/htest.c) print it.

A document is a "KTAP version 1" line, a plan "1..N", then N results; a
result may be preceded by an indented subtest (its own version line, plan
and results). Leaf results are the test cases counted by the runner.
"""
import re

RESULT = re.compile(r"^(not ok|ok) (\d+) ?-? ?([^#]*?)\s*(?:#\s*(SKIP|TODO)\b(.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)")


# How many of a failed case's diagnostic lines its Case keeps (the last).
DIAGNOSTICS_KEPT = 6
# What a failed case says about itself: an expectation that failed, its
# values, the watchdog, an exception (kernel/ktest/ktest.c).
FAILURE_DIAGNOSTIC = re.compile(r"expectation failed|!=|watchdog|exception|"
                                r"left|inversion|timed? out", re.IGNORECASE)


class Case:
    def __init__(self, path, ok, skipped, reason="", diagnostics=()):
        self.path = path  # e.g. "trap.divide_error"
        self.ok = ok
        self.skipped = skipped
        self.reason = reason
        # For a failed case: its last diagnostic lines ("# ..." between the
        # previous result and its own), those that say why first.
        self.diagnostics = list(diagnostics)

    def failure_detail(self):
        """One line for a failed case's check: why, as the kernel said it."""
        return " | ".join(self.diagnostics)


class Report:
    def __init__(self):
        self.cases = []
        self.errors = []  # structural problems: missing plan, count mismatch

    @property
    def passed(self):
        return sum(1 for c in self.cases if c.ok and not c.skipped)

    @property
    def failed(self):
        return sum(1 for c in self.cases if not c.ok)

    @property
    def skipped(self):
        return sum(1 for c in self.cases if c.skipped)

    @property
    def good(self):
        return not self.errors and self.failed == 0


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def parse(text, name="ktap"):
    """Parses the first KTAP document found in text (other lines, such as
    log lines of the kernel, are ignored). Leaf cases are reported with
    paths "suite.case"; a suite without subtests counts as one case."""
    report = Report()
    lines = [l.rstrip("\r\n") for l in text.splitlines()]
    start = next((i for i, l in enumerate(lines) if l.strip() == "KTAP version 1"
                  and _indent(l) == 0), None)
    if start is None:
        report.errors.append(f"{name}: no 'KTAP version 1' header")
        return report
    _parse_level(lines, start + 1, 0, "", report, name)
    return report


def _why(diagnostics):
    """The diagnostic lines a failed case's check shows: the last few that
    say why it failed, else the last few."""
    why = [d for d in diagnostics if FAILURE_DIAGNOSTIC.search(d)]
    return (why or diagnostics)[-DIAGNOSTICS_KEPT:]


def _parse_level(lines, i, indent, prefix, report, name):
    """Parses one level (plan and results at `indent`); returns the index
    after its last result."""
    plan = None
    results = 0
    pending_children = None  # leaf results of the subtest just parsed
    diagnostics = []  # "# ..." lines since the last result at this level
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        level = _indent(line)
        is_ktap = (stripped == "KTAP version 1" or PLAN.match(stripped)
                   or RESULT.match(stripped))
        if not is_ktap:  # diagnostics and kernel log lines, any indentation
            if stripped.startswith("#") and level > indent:
                diagnostics.append(stripped.lstrip("# "))
            i += 1
            continue
        if level > indent and stripped == "KTAP version 1":
            child_prefix_index = len(report.cases)
            i = _parse_level(lines, i + 1, level, "", report, name)
            pending_children = child_prefix_index
            continue
        if level < indent:
            break
        if level != indent:
            i += 1
            continue
        m = PLAN.match(stripped)
        if m and plan is None:
            plan = int(m.group(1))
            i += 1
            continue
        m = RESULT.match(stripped)
        if not m:
            i += 1  # a log line at this indentation
            continue
        ok = m.group(1) == "ok"
        title = m.group(3).strip()
        directive = (m.group(4) or "").upper()
        results += 1
        if pending_children is not None:
            for case in report.cases[pending_children:]:
                case.path = f"{title}.{case.path}"
            if not ok and all(c.ok for c in report.cases[pending_children:]):
                report.errors.append(f"{name}: suite {title} failed without a failed case")
            pending_children = None
        else:
            report.cases.append(Case(title, ok or directive == "TODO",
                                     directive == "SKIP",
                                     (m.group(5) or "").strip(),
                                     () if ok else _why(diagnostics)))
        diagnostics = []
        i += 1
        if plan is not None and results == plan and indent > 0:
            break
    where = f"{prefix or 'top level'} (indent {indent})"
    if plan is None:
        report.errors.append(f"{name}: missing plan at {where}")
    elif results != plan:
        report.errors.append(f"{name}: plan says {plan} results, found {results} at {where}")
    return i
