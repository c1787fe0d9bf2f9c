"""Step `user-programs`: real static Linux programs on Veil through
tools/veil-exec, their output compared byte for byte (and their exit
status) with the same command run on this machine.

Programs: Debian's busybox-static (applets over a file and over stdin,
gzip and gunzip round trips of a corpus piece) and a program compiled
here as a user would (gcc -static, glibc), with a clear set of a quarter
of the program's resident pages (--clear 25%: one set over all its
mappings, following its populated pages), small enough that most pages
are sealed and brought back while they run: every applet under compression+encryption, the sort and
the round trips and the compiled program under identity and compression
too. The summary line must show that: evictions happened
(sealed_peak > 0) and pages were restored.

Lua (build/user/lua, tests/user/lua_main.c): the scripts of
tests/user/lua/, each under the fullest scheme and every scheme with one
of them (lua_schemes), each with the same quarter of its resident pages
clear."""
import os
import re
import shutil
import subprocess
import tempfile

from .steps import BUILD, RELEASE_ISO, RUN_DIR

TOOL = os.path.join("tools", "veil-exec")
BUSYBOX = "/bin/busybox"
SCHEMES = ("clock:identity", "clock:lz4", "clock:lz4,aes128-xts-mac")
CLEAR_PAGES = "25%"
SUMMARY = re.compile(r"veil-exec: status=(\d+) faults=(\d+) restores=(\d+) "
                     r"sealed_peak=(\d+) store_ratio=(\S+) clear_hit_pct=(\S+) insns=(\S+)")
LUA = os.path.join(BUILD, "user", "lua")
# (script, its size argument): smaller than the scripts' defaults (what
# make bench-user runs), so that the six runs, most of their pages
# sealed and brought back again and again, take minutes, not an hour
# (under lz4 + aes128-xts-mac: 6.5, 10, 11 and 14 s here, 10,000 to
# 44,000 faults each; strings 1 is no shorter than 2: its smaller clear
# set faults more).
LUA_SCRIPTS = (("words", "10000"), ("sort", "10000"), ("strings", "2"), ("closures", "2"))
LUA_DIR = os.path.join("tests", "user")
FRUIT = b"pear\napple\nfig\napple\nkiwi\nbanana\n"

# (name, argv after the program, stdin file name or None); files are in
# the working directory on the host and at / on Veil, named relatively.
BUSYBOX_CASES = [
    ("sort", ["sort", "fruit"], None),
    ("uniq", ["uniq", "-c", "fruit"], None),
    ("wc", ["wc", "fruit"], None),
    ("md5sum", ["md5sum", "fruit", "piece"], None),
    ("sha256sum", ["sha256sum", "piece"], None),
    ("grep", ["grep", "-n", "apple", "fruit"], None),
    ("sed", ["sed", "s/apple/APPLE/g", "fruit"], None),
    ("awk", ["awk", "{ n += length($1) } END { print NR, n }", "fruit"], None),
    ("sort-stdin", ["sort", "-r"], "fruit"),
    ("gzip", ["gzip", "-c"], "piece"),
    ("gunzip", ["gunzip", "-c"], "piece.gz"),
    ("false", ["false"], None),
    # A background job: sh points its stdin at /dev/null.
    ("sh-background", ["sh", "-c", "true & wait; echo ok"], None),
    ("sh-devnull", ["sh", "-c", "echo gone > /dev/null; cat /dev/null; "
                    "head -c 8 /dev/zero | od -An -tx1; echo done"], None),
    # /dev/full refuses a write (sh's redirection reports it: status 1),
    # reads zeros; /dev/urandom gives as many bytes as asked.
    ("sh-devfull", ["sh", "-c", "head -c 8 /dev/full | od -An -tx1; "
                    "echo x > /dev/full 2>/dev/null; echo $?; "
                    "head -c 4096 /dev/urandom | wc -c; echo done"], None),
    # /dev is a directory: listed (the host has more devices: the five
    # Veil has are picked out), entered, and a missing name refused.
    ("ls-dev", ["sh", "-c", "ls -1 /dev | grep -x -e null -e zero -e full -e random -e urandom; "
                "test -d /dev && echo dir; "
                "cd /dev && pwd && ls -1 null zero full random urandom; "
                "ls /dev/nonexistent 2>/dev/null; echo $?"], None),
]
# Run under every scheme (the rest under compression+encryption only).
PER_SCHEME = ("sort", "gzip", "gunzip")


def corpus_piece(path):
    """256 KiB of real program memory (the in-tree corpus)."""
    corpus = os.path.join(BUILD, "corpus", "python.pages")
    with open(corpus, "rb") as f:
        data = f.read(256 * 1024)
    with open(path, "wb") as f:
        f.write(data)


def run_host(workdir, argv, stdin):
    with open(os.path.join(workdir, stdin), "rb") if stdin else open(os.devnull, "rb") as f:
        run = subprocess.run(argv, cwd=workdir, stdin=f, capture_output=True, timeout=60)
    return run.returncode, run.stdout


def run_veil(workdir, program, argv, stdin, scheme, files, clear=CLEAR_PAGES, specs=()):
    """program run on Veil: files (names in workdir) at /NAME, specs
    (HOST:GUEST) where they name."""
    command = [TOOL, "--scheme", scheme, "--clear", str(clear)]
    for name in files:
        command += ["--file", os.path.join(workdir, name) + ":/" + name]
    for spec in specs:
        command += ["--file", spec]
    if stdin:
        command += ["--stdin", os.path.join(workdir, stdin)]
    command += ["--", program] + argv
    run = subprocess.run(command, capture_output=True, timeout=900)
    return run.returncode, run.stdout, run.stderr.decode(errors="replace")


def compare(name, host, veil, scheme=None):
    """Checks of one run: same status and bytes, a summary that shows
    pages sealed and restored, and a store ratio that shows the scheme
    took effect (1.00 under identity, above 1 when compressing)."""
    status, stdout = host
    veil_status, veil_stdout, veil_stderr = veil
    summary = SUMMARY.search(veil_stderr)
    checks = [
        (name + ":status", veil_status == status,
         f"host exit {status}, Veil exit {veil_status}: {veil_stderr[-600:]}"),
        (name + ":output", veil_stdout == stdout,
         f"{len(stdout)} bytes on the host, {len(veil_stdout)} on Veil "
         f"(first difference at {next((i for i, (a, b) in enumerate(zip(stdout, veil_stdout)) if a != b), min(len(stdout), len(veil_stdout)))})"),
        (name + ":summary", summary is not None and int(summary.group(4)) > 0
         and int(summary.group(3)) > 0,
         "no summary with sealed and restored pages: " + veil_stderr[-300:]),
    ]
    if summary and scheme:
        ratio = summary.group(5)
        identity = scheme == "clock:identity"
        ok = ratio == "1.00" if identity else (ratio != "n/a" and float(ratio) > 1.0)
        checks.append((name + ":scheme-applied", ok,
                       f"store_ratio={ratio} under {scheme}: expected "
                       f"{'1.00' if identity else 'above 1 (compressed)'}"))
    return checks


def lua_schemes(index):
    """The schemes Lua script number index runs under: the fullest for
    every script, and each other scheme for one script (the first under
    the first, and so on): every script and every scheme run, in 6 runs
    instead of 12 (each script faults the same under any scheme; the
    twelve took about two of the step's three minutes)."""
    return [scheme for number, scheme in enumerate(SCHEMES)
            if scheme == SCHEMES[-1] or number == index]


def lua_checks(ctx, workdir):
    """Each Lua script under its schemes (lua_schemes) with a quarter of
    its resident pages clear, against the same binary on this machine.
    The scripts are at lua/NAME.lua, relative, on both sides: the same
    chunk names in any error message."""
    checks = []
    lines = []
    for index, (name, size) in enumerate(LUA_SCRIPTS):
        script = os.path.join("lua", name + ".lua")
        host = subprocess.run([os.path.abspath(LUA), script, size], cwd=LUA_DIR,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
        lines.append(f"{name} {size}: clear {CLEAR_PAGES}")
        for scheme in lua_schemes(index):
            veil = run_veil(workdir, LUA, [script, size], None, scheme, (),
                            specs=[os.path.join(LUA_DIR, script) + ":/" + script])
            checks += compare(f"lua-{name}[{scheme}]", (host.returncode, host.stdout),
                              veil, scheme)
            lines.append(f"  {scheme}: " + (veil[2].strip().splitlines() or [""])[-1])
    ctx.save_log("user-programs-lua", "\n".join(lines) + "\n")
    return checks + lua_driver_checks(workdir)


def lua_driver_checks(workdir):
    """The driver's own behaviours (tests/user/lua_main.c), under the
    fullest scheme with a quarter of its pages clear: `arg` and `...`, an error's
    message on stderr and status 1, a script that is not there."""
    script = os.path.join("lua", "args.lua")
    spec = [os.path.join(LUA_DIR, script) + ":/" + script]
    argv = [script, "fail", "two words", ""]
    host = subprocess.run([os.path.abspath(LUA)] + argv, cwd=LUA_DIR, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=60)
    veil = run_veil(workdir, LUA, argv, None, SCHEMES[-1], (), specs=spec)
    checks = compare("lua-driver-error", (host.returncode, host.stdout), veil)
    message = "lua/args.lua:11: failed as asked, with 2 more arguments"
    checks.append(("lua-driver-error:stderr", host.returncode == 1 and
                   f"/bin/lua: {message}\n" in veil[2], veil[2][-400:]))
    missing = run_veil(workdir, LUA, ["lua/none.lua"], None, SCHEMES[-1], ())
    checks.append(("lua-driver-no-script", missing[0] == 1 and
                   "/bin/lua: cannot open lua/none.lua" in missing[2], missing[2][-400:]))
    return checks


def build(ctx):
    run = subprocess.run(["make", "-s", RELEASE_ISO, LUA, os.path.join(BUILD, "corpus", "python.pages")],
                         capture_output=True, text=True, timeout=900)
    ctx.save_log("user-programs-build", run.stdout + run.stderr)
    return [("user-programs:build", run.returncode == 0, run.stderr[-1500:])]


def step(ctx):
    checks = build(ctx)
    if not checks[0][1]:
        return checks
    if not os.path.exists(BUSYBOX):
        return checks + [("user-programs:busybox", False,
                          "no /bin/busybox: the package busybox-static is missing "
                          "(tools/install-deps installs tools/packages.txt)")]
    workdir = tempfile.mkdtemp(prefix="user-programs-", dir=RUN_DIR)
    with open(os.path.join(workdir, "fruit"), "wb") as f:
        f.write(FRUIT)
    corpus_piece(os.path.join(workdir, "piece"))
    subprocess.run(["gzip", "-kn", "piece"], cwd=workdir, check=True)
    files = ("fruit", "piece", "piece.gz")
    # Every applet under the fullest scheme; the round trips under each.
    for scheme in SCHEMES:
        for name, argv, stdin in BUSYBOX_CASES:
            if scheme != SCHEMES[-1] and name not in PER_SCHEME:
                continue
            host = run_host(workdir, [BUSYBOX] + argv, stdin)
            veil = run_veil(workdir, BUSYBOX, argv, stdin, scheme, files)
            checks += compare(f"busybox-{name}[{scheme}]", host, veil, scheme)
    # A program compiled here, as a user would: glibc, gcc -static.
    source = os.path.join("tests", "user", "hello.c")
    program = os.path.join(workdir, "hello-glibc")
    built = subprocess.run(["gcc", "-static", "-O2", "-o", program, source],
                           capture_output=True, text=True)
    checks.append(("user-programs:gcc-static", built.returncode == 0, built.stderr[-500:]))
    if built.returncode == 0:
        for scheme in SCHEMES:
            veil = run_veil(workdir, program, ["two words", "fail"], None, scheme, ())
            expected = (b"hello from ring 3\nargv[0]=/bin/hello-glibc\n"
                        b"argv[1]=two words\nargv[2]=fail\n")
            checks += compare(f"glibc-hello[{scheme}]", (0, expected),
                              (veil[0], veil[1], veil[2]))
    checks += lua_checks(ctx, workdir)
    dynamic = shutil.which("ls") or "/bin/ls"
    refused = subprocess.run([TOOL, "--", dynamic], capture_output=True, text=True)
    checks.append(("user-programs:refuses-dynamic", refused.returncode == 2 and
                   "dynamically linked" in refused.stderr, refused.stderr[-300:]))
    return checks
