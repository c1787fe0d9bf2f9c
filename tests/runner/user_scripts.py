"""Step `user-scripts`: shell scripts on Veil through tools/veil-exec,
their output and exit status compared byte for byte with the same script
run on this machine: tests/user/scripts/pipeline.sh under Debian's busybox
sh (pipelines, subshells, statuses, files made, moved and removed in /tmp,
gzip round trips, find, awk, sed) and tests/user/scripts/script.bash under
Debian's bash-static (functions, arrays, pipelines to busybox applets,
redirections). Every script runs under identity, compression and
compression+encryption with a quarter of each process's resident pages
clear (--clear 25%: one clear set over all of a process's mappings), so
that every process of a script seals and restores pages while it runs."""
import os
import shutil
import subprocess
import tempfile

from .steps import RUN_DIR
from .user_programs import BUSYBOX, FRUIT, SCHEMES, SUMMARY, TOOL, build, corpus_piece

BASH = "/bin/bash-static"
SCRIPTS = os.path.join("tests", "user", "scripts")
CLEAR = "25%"
INPUTS = ("fruit", "piece")

# (name, the interpreter, its arguments before the script, the script)
CASES = [
    ("busybox-sh", BUSYBOX, ["sh"], "pipeline.sh"),
    ("bash", BASH, [], "script.bash"),
]


def run_host(workdir, interpreter, arguments, script):
    """The script on this machine, in workdir, with a fresh directory as $1
    and no environment but what the script sets."""
    scratch = os.path.abspath(tempfile.mkdtemp(prefix="scratch-", dir=workdir))
    run = subprocess.run([interpreter] + arguments +
                         [os.path.abspath(os.path.join(SCRIPTS, script)), scratch],
                         cwd=workdir, env={}, stdin=subprocess.DEVNULL,
                         capture_output=True, timeout=120)
    return run.returncode, run.stdout


def run_veil(workdir, interpreter, arguments, script, scheme):
    command = [TOOL, "--scheme", scheme, "--clear", CLEAR,
               "--file", os.path.join(SCRIPTS, script) + ":/" + script]
    for name in INPUTS:
        command += ["--file", os.path.join(workdir, name) + ":/" + name]
    if interpreter != BUSYBOX:
        command += ["--file", BUSYBOX + ":" + BUSYBOX]
    command += ["--", interpreter] + arguments + ["/" + script, "/tmp"]
    run = subprocess.run(command, capture_output=True, timeout=600)
    return run.returncode, run.stdout, run.stderr.decode(errors="replace")


def compare(name, host, veil):
    status, stdout = host
    veil_status, veil_stdout, veil_stderr = veil
    summary = SUMMARY.search(veil_stderr)
    first = next((i for i, (a, b) in enumerate(zip(stdout, veil_stdout)) if a != b),
                 min(len(stdout), len(veil_stdout)))
    return [
        (name + ":status", veil_status == status,
         f"host exit {status}, Veil exit {veil_status}: {veil_stderr[-800:]}"),
        (name + ":output", veil_stdout == stdout,
         f"{len(stdout)} bytes on the host, {len(veil_stdout)} on Veil, first "
         f"difference at {first}: host {stdout[first:first + 80]!r}, "
         f"Veil {veil_stdout[first:first + 80]!r}"),
        (name + ":summary", summary is not None,
         "no summary line: " + veil_stderr[-300:]),
    ]


def step(ctx):
    checks = build(ctx)
    if not checks[0][1]:
        return checks
    for program in (BUSYBOX, BASH):
        if not os.path.exists(program):
            return checks + [("user-scripts:" + os.path.basename(program), False,
                              f"no {program}: its package is missing "
                              "(tools/install-deps installs tools/packages.txt)")]
    workdir = tempfile.mkdtemp(prefix="user-scripts-", dir=RUN_DIR)
    with open(os.path.join(workdir, "fruit"), "wb") as f:
        f.write(FRUIT)
    corpus_piece(os.path.join(workdir, "piece"))
    for name, interpreter, arguments, script in CASES:
        host = run_host(workdir, interpreter, arguments, script)
        checks.append((f"user-scripts:{name}:host", host[0] == 0,
                       f"the script failed on this machine (exit {host[0]})"))
        for scheme in SCHEMES:
            veil = run_veil(workdir, interpreter, arguments, script, scheme)
            checks += compare(f"{name}[{scheme}]", host, veil)
    shutil.rmtree(workdir, ignore_errors=True)
    return checks
