"""Step `fresh-clone`: a clone of the committed tree passes by itself.

It clones the repository's HEAD (what is committed: uncommitted changes are
not in the clone) into a new temporary folder that holds nothing else, so
no ../shared/corpus can be found beside it, and runs there, from a clean
build (the installed tools are reused, the build outputs are not):

    make -j2 test TESTS=host,ktest-bios,shell

Those are the steps that read real pages (host: the codec and store tests
load the corpora; ktest-bios: the codec ktests get the corpus module;
shell: the ISO of `make run` carries it for the demo) and so would differ
without ../shared. The other steps read nothing outside the tree and run
in the outer suite; leaving them out keeps this step to one build and
three short boots. The step fails when the inner suite fails, and checks
that the in-tree corpus really reached the kernel (its cases ran, not
skipped). The inner run is marked (VEIL_FRESH_CLONE_INNER) and this step
refuses to run there, so it never nests.

A run reads nothing beside the tree unless asked (VEIL_CORPUS, see
tests/runner/steps.py), so when the run is itself such a clone's run
(nothing uncommitted or untracked, VEIL_CORPUS not set, as in CI), the
outer host, ktest-bios and shell steps of this run are that check: when
they ran and passed here, the step checks those conditions and the corpus
cases of the outer boot (they ran on the in-tree corpus) instead of
building and running them a second time.
"""
import os
import shutil
import subprocess
import tempfile

from . import checks as check_tally
from . import ktap, process
from .steps import RUN_DIR, TREE_CORPUS

INNER_STEPS = "host,ktest-bios,shell"
INNER_MARK = "VEIL_FRESH_CLONE_INNER"
# Make passes its command line to sub-makes through these: the inner make
# must not inherit the outer TESTS=... (nor its jobserver).
MAKE_VARIABLES = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "MAKE_TERMOUT",
                  "MAKE_TERMERR", "TESTS", "DEMO_CORPUS", "VEIL_CORPUS")
# Cases that need the corpus module: they must run in the clone, not skip.
CORPUS_CASES = ("codec.corpus_round_trip_every_codec",
                "codec.compressing_region_of_corpus_pages")


def git(*arguments, cwd="."):
    """Output of a git command (stripped); raises when it fails."""
    return subprocess.run(["git", *arguments], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout.strip()


def inner_environment():
    """The outer environment without make's inherited settings, marked as
    the inner run."""
    env = {k: v for k, v in os.environ.items() if k not in MAKE_VARIABLES}
    env[INNER_MARK] = "1"
    return env


def keep_inner_logs(clone):
    """Copies the clone's run logs under build/test-runs/fresh-clone/."""
    source = os.path.join(clone, RUN_DIR)
    target = os.path.join(RUN_DIR, "fresh-clone")
    shutil.rmtree(target, ignore_errors=True)
    if os.path.isdir(source):
        shutil.copytree(source, target)
    return target


def corpus_case_checks(clone):
    """The corpus ktest cases passed in the clone's BIOS boot, not skipped."""
    path = os.path.join(clone, RUN_DIR, "ktest-bios.log")
    text = open(path).read() if os.path.exists(path) else ""
    cases = {c.path: c for c in ktap.parse(text, "ktest-bios").cases}
    checks = []
    for name in CORPUS_CASES:
        case = cases.get(name)
        ran = case is not None and case.ok and not case.skipped
        checks.append((f"fresh-clone:ran:{name}", ran,
                       "missing" if case is None else
                       f"ok={case.ok} skipped={case.skipped} {case.reason}"))
    return checks


def outer_run_is_fresh(ctx):
    """Why this run is already a fresh clone's run of the inner steps, or
    None when it is not (then the step clones)."""
    if os.environ.get("VEIL_CORPUS"):
        return None
    if git("status", "--porcelain"):
        return None
    results = [ctx.step_results.get(name) for name in INNER_STEPS.split(",")]
    if any(r is None or r[1] != 0 or r[0] == 0 for r in results):
        return None
    return (f"VEIL_CORPUS not set, nothing uncommitted or untracked "
            f"at {git('rev-parse', 'HEAD')[:12]}, and this run's steps "
            f"{INNER_STEPS} passed")


def step(ctx):
    fresh = outer_run_is_fresh(ctx)
    if fresh and not os.environ.get(INNER_MARK):
        ctx.echo(f"# fresh-clone: this run is one: {fresh}")
        return [("fresh-clone:outer-run-is-fresh", True, fresh)] + \
            corpus_case_checks(".")
    if os.environ.get(INNER_MARK):
        return [("fresh-clone:not-nested", False,
                 "fresh-clone runs inside a fresh-clone run: refused")]
    head = git("rev-parse", "HEAD")
    if git("status", "--porcelain", "--untracked-files=no"):
        ctx.echo("# fresh-clone: uncommitted changes are not in the clone "
                 f"(it tests commit {head[:12]})")
    checks = []
    folder = tempfile.mkdtemp(prefix="veil-fresh-")
    try:
        clone = os.path.join(folder, "veil")
        subprocess.run(["git", "clone", "--quiet", "--no-local", "--no-checkout",
                        os.getcwd(), clone], check=True, capture_output=True)
        git("checkout", "--quiet", "--detach", head, cwd=clone)
        checks.append(("fresh-clone:head", git("rev-parse", "HEAD", cwd=clone) == head,
                       f"the clone is not at {head}"))
        beside = sorted(os.listdir(folder))
        checks.append(("fresh-clone:nothing-beside", beside == ["veil"],
                       f"{folder} holds {beside}"))
        command = ["make", "-j2", "test", f"TESTS={INNER_STEPS}"]
        ctx.echo(f"# fresh-clone: {' '.join(command)} in {clone}")
        run = process.run(command, timeout=3600 * ctx.timeout_scale, cwd=clone,
                          env=inner_environment(), echo=lambda l: ctx.echo("  > " + l))
        ctx.save_log("fresh-clone", run.output)
        tail = run.output.strip().splitlines()[-1:] or [""]
        failures = [line for line in run.output.splitlines() if line.startswith("FAIL ")]
        summary = check_tally.SUMMARY.match(tail[0])
        checks.append(("fresh-clone:suite", run.status == 0 and not run.timed_out
                       and summary is not None and summary.group(2) == "0",
                       f"exit {run.status}, last line {tail[0]!r}; "
                       f"{'; '.join(failures[:5])}"))
        module_line = f"# ktest-bios: module corpus = {TREE_CORPUS}"
        checks.append(("fresh-clone:tree-corpus-module", module_line in run.output,
                       f"the inner ktest-bios boot did not carry {TREE_CORPUS}"))
        checks += corpus_case_checks(clone)
        keep_inner_logs(clone)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return checks
