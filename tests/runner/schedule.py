"""How tests/run runs its steps side by side on a machine of several cores.

Most steps boot one QEMU with one CPU (or Bochs, or a host test), which
keeps one host core busy; builds and the boots with several CPUs keep
every core busy. Steps are issued in list order: a one-core step starts as
soon as a core is free, a whole-machine step (WHOLE_MACHINE) waits until
nothing else runs and runs alone. So on 2 cores two one-core steps run
together, and the list order still decides what runs beside what.

Each step runs in a forked child of the runner, whose stdout and stderr
(and those of the programs it starts) go through a pipe. The output of the
earliest-started unfinished step is printed as it comes; the others' is
held and printed whole when their turn comes, so the log reads step by
step in list order, as in a serial run. The child's CPU time (its own and
its children's, from wait4) is the step's CPU time, exact even when steps
overlap. The checks come back as JSON in a file (a check's ok as passed,
failed or skipped: checks.outcome() read in the child, SKIP rebuilt here).
"""
import json
import os
import selectors
import sys
import tempfile
import time
import traceback

from . import checks as check_tally

# Steps that use every core: builds (make -j of all cores), the boots with
# several CPUs (one host thread per guest CPU under TCG), a nested run.
WHOLE_MACHINE = {"smp", "clang", "hooks-off", "fuzz", "fresh-clone", "ktest-long"}
# Steps that read other steps' results (ctx.step_results): they start only
# once those have finished.
AFTER = {"fresh-clone": ("host", "ktest-bios", "shell")}
OUTCOME_OK = {check_tally.PASSED: True, check_tally.FAILED: False,
              check_tally.SKIPPED: check_tally.SKIP}


class Job:
    """One step running in a child process."""

    def __init__(self, name, pid, output_fd, result_path):
        self.name = name
        self.pid = pid
        self.output_fd = output_fd
        self.result_path = result_path
        self.start = time.monotonic()
        self.held = [f"# step {name}"]  # output lines not printed yet
        self.partial = b""      # the last, unfinished line
        self.exited = False
        self.checks = None
        self.wall = 0.0
        self.cpu = 0.0


def run_step_in_child(name, function, ctx, result_path):
    """The child's side: run the step, write its checks as JSON, exit."""
    try:
        checks = function(ctx)
    except Exception as error:  # a broken step fails, the run goes on
        checks = [(f"{name}:step", False, f"{type(error).__name__}: {error}")]
        traceback.print_exc()
    except BaseException as error:  # interrupted: say so, exit
        checks = [(f"{name}:step", False, f"interrupted ({type(error).__name__})")]
    records = [(str(check), check_tally.outcome(ok), str(detail))
               for check, ok, detail in checks]
    with open(result_path, "w") as f:
        json.dump(records, f)


def start(name, function, ctx):
    """Forks a child running step name; returns its Job."""
    read_fd, write_fd = os.pipe()
    handle, result_path = tempfile.mkstemp(prefix=f"step-{name}-", suffix=".json")
    os.close(handle)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(read_fd)
            os.dup2(write_fd, 1)
            os.dup2(write_fd, 2)
            os.close(write_fd)
            # Python's own streams on descriptors 1 and 2, now the pipe (a
            # caller may have replaced sys.stdout, as the runner's tests do).
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            run_step_in_child(name, function, ctx, result_path)
            status = 0
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(status)
    os.close(write_fd)
    os.set_blocking(read_fd, False)
    return Job(name, pid, read_fd, result_path)


def read_output(job):
    """Moves what the child has written into job.held; False at end of file."""
    while True:
        try:
            data = os.read(job.output_fd, 65536)
        except BlockingIOError:
            return True
        if not data:
            return False
        job.partial += data
        *lines, job.partial = job.partial.split(b"\n")
        job.held += [line.decode("utf-8", "replace") for line in lines]


def reap(job, exiting=False):
    """When the child has exited: its CPU time, its checks (read from the
    JSON file; a child that died without writing it fails the step).
    exiting: its output reached end of file (it is exiting): wait for it."""
    pid, status, usage = os.wait4(job.pid, 0 if exiting else os.WNOHANG)
    if pid == 0:
        return False
    job.exited = True
    job.wall = time.monotonic() - job.start
    job.cpu = usage.ru_utime + usage.ru_stime
    read_output(job)
    if job.partial:
        job.held.append(job.partial.decode("utf-8", "replace"))
        job.partial = b""
    try:
        with open(job.result_path) as f:
            job.checks = [(check, OUTCOME_OK[result], detail)
                          for check, result, detail in json.load(f)]
    except (OSError, ValueError, KeyError) as error:
        job.checks = [(f"{job.name}:step", False,
                       f"the step's process ended ({status:#x}) without its checks: {error}")]
    os.remove(job.result_path)
    return True


def can_start(name, running, waiting_for, cores):
    """Whether step name may start now beside the running jobs, when the
    steps in waiting_for (started before it, in this run) have not finished."""
    if any(before in waiting_for for before in AFTER.get(name, ())):
        return False
    if name in WHOLE_MACHINE or cores <= 1:
        return not running
    return not any(job.name in WHOLE_MACHINE for job in running) and len(running) < cores


def run_steps(steps, ctx, cores, report):
    """Runs steps (a list of (name, function)) at most cores at a time
    (see the module's comment). report(name, checks, wall, cpu) is called
    for each step in list order once its output has been printed; it
    updates ctx.step_results, which later steps (forked after) see."""
    pending = list(steps)
    running, unprinted = [], []
    # Steps started and not yet reported (a step named in AFTER but later
    # in the list, or not in this run, is not waited for).
    unfinished = set()
    selector = selectors.DefaultSelector()
    try:
        while pending or unprinted:
            while pending and can_start(pending[0][0], running, unfinished, cores):
                name, function = pending.pop(0)
                job = start(name, function, ctx)
                unfinished.add(name)
                selector.register(job.output_fd, selectors.EVENT_READ, job)
                running.append(job)
                unprinted.append(job)
            ended = set()
            for key, _ in selector.select(timeout=0.5):
                if not read_output(key.data):
                    selector.unregister(key.fd)
                    ended.add(key.data)
            for job in list(running):
                if reap(job, exiting=job in ended):
                    if job.output_fd in selector.get_map():
                        selector.unregister(job.output_fd)
                    os.close(job.output_fd)
                    running.remove(job)
            # Print in start order: the oldest unprinted job's output as it
            # comes, the next one's when the oldest has finished.
            while unprinted:
                job = unprinted[0]
                for line in job.held:
                    print(line)
                job.held = []
                sys.stdout.flush()
                if not job.exited:
                    break
                unprinted.pop(0)
                report(job.name, job.checks, job.wall, job.cpu)
                unfinished.discard(job.name)
    finally:
        selector.close()
        for job in running:
            try:
                os.kill(job.pid, 15)
            except ProcessLookupError:
                pass
