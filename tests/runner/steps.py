"""The runner's steps. Each step returns a list of (name, ok, detail)
checks (tests/runner/checks.py: ok is True, False or SKIP); kernel and
host KTAP cases count one check each, a skipped case as skipped."""
import glob
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

from . import checks as check_tally
from . import ktap, machines, process

BUILD = "build"
TEST_ISO = os.path.join(BUILD, "veil-test.iso")
# The release configuration with the ktest cases (step ktest-release), the
# release kernel and ISO of make / make run, and the test kernel's ELF.
RELEASE_TEST_ISO = os.path.join(BUILD, "veil-test-release.iso")
RELEASE_ISO = os.path.join(BUILD, "veil.iso")
RELEASE_ELF = os.path.join(BUILD, "veil.elf")
TEST_ELF = os.path.join(BUILD, "veil-test.elf")
BOOTCHECK = os.path.join(BUILD, "bootcheck.bin")
RUN_DIR = os.path.join(BUILD, "test-runs")
PANIC_MARKERS = ("*** kernel panic", "*** CPU exception", "*** exception inside")


class Context:
    def __init__(self, echo, verbose, timeout_scale=1.0):
        self.echo = echo
        self.verbose = verbose
        self.timeout_scale = timeout_scale
        # Steps finished in this run: name -> (passed, failed) checks.
        self.step_results = {}
        os.makedirs(RUN_DIR, exist_ok=True)

    def save_log(self, name, text):
        path = os.path.join(RUN_DIR, name + ".log")
        with open(path, "w") as f:
            f.write(text)
        return path


def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def ktap_checks(prefix, report, required=None):
    """One check per KTAP case (a skipped case counts as skipped); a case
    in required (path -> why) that was skipped or did not run fails."""
    return check_tally.case_checks(prefix, report, required)


# Cases that must run, not skip, in a boot on a CPU that has what they test
# (QEMU -cpu max, Bochs' Haswell model): path -> why.
CPU_MAX_REQUIRED = {
    "cipher.aesni_and_portable_agree":
        "the CPU (QEMU -cpu max or Bochs' i7-4770) has AES-NI, so the AES-NI path must be tested",
    "cipher.pclmul_ghash_matches_portable":
        "the CPU (QEMU -cpu max or Bochs' i7-4770) has PCLMULQDQ, so the PCLMULQDQ GHASH must be tested",
}
# Cases that must run when the boot carries a corpus module.
CORPUS_REQUIRED = {
    "codec.corpus_round_trip_every_codec":
        "the boot carried a corpus module, so the codecs must run on it",
    "codec.compressing_region_of_corpus_pages":
        "the boot carried a corpus module, so the compressing region must run on it",
    "region_tier.corpus_store_ratio_tiers_off_and_on":
        "the boot carried a corpus module, so the tiers' store ratio must be measured on it",
}

# Cases that must run in every full boot of the test ISO, which carries
# the initramfs of tests/user (a skip means the programs were missing).
USER_REQUIRED = {
    f"user.{case}": "the test ISO carries the initramfs of tests/user, so its programs must run"
    for case in ("hello_prints_its_arguments_and_a_file",
                 "system_calls_answer_as_linux_does",
                 "null_pointer_write_is_sigsegv",
                 "memory_workload_under_compression_and_encryption",
                 "clear_set_in_percent_of_resident_pages")
}
USER_REQUIRED.update({
    f"user_process.{case}": "the test ISO carries tests/user/process, so the process calls must be checked"
    for case in ("calls_without_children_answer_as_linux_does",
                 "fork_exec_wait_kill_give_everything_back",
                 "vfork_child_copies_no_page",
                 "vfork_child_in_ps_counts_nothing_twice")
})
USER_REQUIRED.update({
    f"user_files.{case}": "the test ISO carries tests/user/files, so /tmp and pipes must be tested"
    for case in ("file_calls_answer_as_linux_does",
                 "a_write_with_no_reader_is_sigpipe")
})

# Cases that must run (not skip) when the machine has two CPUs or more.
SMP_REQUIRED = {
    "tlb_smp.stale_translation_is_shot_down":
        "the machine has several CPUs, so a stale TLB entry must be caught",
    "region_batch.batched_eviction_invalid_on_every_cpu":
        "the machine has several CPUs: a batch's one round must reach each",
    "region_batch.range_purge_invalid_on_every_cpu":
        "the machine has several CPUs: a range purge's rounds must reach each",
    "tlb_sets.lazy_cpu_is_skipped_and_flushes_on_return":
        "the machine has several CPUs, so a lazy CPU's deferred flush must be tested",
    "tlb_sets.cpu_running_another_space_is_skipped":
        "the machine has several CPUs, so a CPU in another space must be tested",
    "tlb_sets.freed_tables_reach_a_lazy_cpu":
        "the machine has several CPUs, so freed tables must reach a lazy CPU",
    "tlb_sets.cpu_outside_the_set_gets_nothing":
        "the machine has several CPUs, so a CPU outside a set must be tested",
    "tlb_sets.batch_below_the_ceiling_reaches_every_cpu":
        "the machine has several CPUs, so a batch must reach each",
    "tlb_sets.batch_above_the_ceiling_reaches_every_cpu":
        "the machine has several CPUs, so a whole flush must reach each",
}
# The SMP stress suites (mm/tlb_stale_test.c, mm/region_smp_test.c): they
# run when the command line sizes them (tlb_stale_accesses=N), which the
# smp boots and the ktest-long step do; other boots (the Bochs one) skip them.
TLB_STALE_REQUIRED = {
    f"tlb_stale.{case}": "the boot has several CPUs and asked for tlb_stale_accesses"
    for case in ("detector_identity", "detector_lz4", "detector_lz4_aes128_mac",
                 "control_without_shootdowns_detects")
}
TLB_STALE_REQUIRED.update({
    f"region_smp.{case}": "the boot has several CPUs and asked for tlb_stale_accesses"
    for case in ("same_sealed_page_faulted_at_once",
                 "distinct_pages_exact_counters_and_rate")
})

# Cases that must run when the default store is logstore (no store=zs).
LOGSTORE_DEFAULT_REQUIRED = {
    "logstore.default_store_compacts_by_itself":
        "the default store is logstore, so its boot compaction thread must be seen to compact",
}


def required_cases(cpu="max", corpus=False, cpus=1, cmdline=""):
    """The required cases of a full ktest boot on cpu, with or without the
    corpus module, on cpus CPUs, with the command line cmdline."""
    required = dict(CPU_MAX_REQUIRED) if cpu == "max" else {}
    required.update(USER_REQUIRED)
    if corpus:
        required.update(CORPUS_REQUIRED)
    if cpus > 1:
        required.update(SMP_REQUIRED)
    if cpus > 1 and "tlb_stale_accesses=" in cmdline:
        required.update(TLB_STALE_REQUIRED)
    if "store=zs" not in cmdline.split():
        required.update(LOGSTORE_DEFAULT_REQUIRED)
    # A case the filter leaves out ("-suite.case") is another boot's.
    excluded = re.findall(r"[=,]-([\w.]+)", cmdline)
    return {case: why for case, why in required.items()
            if not any(case == e or case.startswith(e + ".") for e in excluded)}


def judge_boot(name, run, expect_status="passed"):
    """Checks common to every kernel boot: it ended in time, with the
    expected exit status, and did not crash."""
    checks = []
    status = machines.QEMU_EXIT.get(run.status, f"exit status {run.status}")
    if run.timed_out:
        checks.append((f"{name}:finished", False, f"timed out after {run.seconds:.0f} s"))
        return checks
    crashed = [m for m in PANIC_MARKERS if m in run.output]
    if expect_status != "crashed" and crashed:
        checks.append((f"{name}:no-crash", False, f"the kernel printed '{crashed[0]}'"))
    checks.append((f"{name}:exit-status", status == expect_status,
                   f"expected {expect_status}, got {status}"))
    return checks


# ---------------------------------------------------------------- host tests
# Host cases that skip only on a CPU without an instruction set: required
# when this machine's CPU reports it (/proc/cpuinfo flags). binary ->
# (flags needed, cases).
HOST_CPU_CASES = {
    "test-crypt": [
        (("aes", "sse4_1"), ("xts_ieee1619_vectors_aesni", "xts_matches_openssl_aesni",
                             "xts_aesni_and_portable_agree", "xts_tweak_binds_page_aesni",
                             "mac_detects_tampering_aesni")),
        (("pclmulqdq", "ssse3"), ("ghash_pclmul_matches_portable",)),
    ],
}


def host_cpu_flags():
    """The CPU flags /proc/cpuinfo reports (empty when it cannot be read)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def host_required_cases(binary, flags):
    """The cases of a host test binary that must run on a CPU with flags."""
    required = {}
    for needed, cases in HOST_CPU_CASES.get(binary, ()):
        if all(flag in flags for flag in needed):
            for case in cases:
                required[case] = f"this host's CPU has {' and '.join(needed)}"
    return required


def step_host(ctx):
    checks = []
    flags = host_cpu_flags()
    for binary in sorted(glob.glob(os.path.join(BUILD, "host", "test-*"))):
        name = os.path.basename(binary)
        run = process.run([binary], timeout=300 * ctx.timeout_scale,
                          echo=ctx.echo if ctx.verbose else None)
        ctx.save_log("host-" + name, run.output)
        report = ktap.parse(run.output, name)
        checks += ktap_checks("host:" + name, report, host_required_cases(name, flags))
        if run.timed_out or run.status != 0:
            checks.append((f"host:{name}:exit", False,
                           "timed out" if run.timed_out else f"exit status {run.status}"))
    if not checks:
        checks.append(("host:binaries", False, "no build/host/test-* found"))
    for program in ("python", "perl"):
        checks.append(check_capture_corpus(ctx, program))
    checks += check_codec_ab(ctx)
    checks += check_bench_codec_turns(ctx)
    checks += check_demo_corpus_switch(ctx)
    return checks


BENCH_CODEC_LINE = re.compile(r"^codec=(\S+) ratio=([0-9.]+) comp_mbps=\d+ decomp_mbps=\d+$", re.M)


def check_bench_codec_turns(ctx):
    """bench-codec on the in-tree corpus, one round of whole files and one
    in turns (-p): each says its timing, prints a line for every codec
    (every page of each decoded back to itself, or it exits 1), and the
    two give the same ratios (the same pages encoded alike)."""
    corpus = os.path.join(BUILD, "corpus", "python.pages")
    binary = os.path.join(BUILD, "host", "bench-codec")
    checks, ratios = [], {}
    for timing, flags in (("whole", []), ("turns", ["-p"])):
        run = process.run([binary, "-r", "1"] + flags + [corpus],
                          timeout=300 * ctx.timeout_scale)
        ctx.save_log(f"host-bench-codec-{timing}", run.output)
        lines = dict((m.group(1), m.group(2)) for m in BENCH_CODEC_LINE.finditer(run.output))
        ratios[timing] = lines
        checks.append((f"host:bench-codec:{timing}",
                       run.status == 0 and f"timing={timing}" in run.output and
                       {"dense", "lz4", "ref-zstd1", "ref-lz4"} <= set(lines),
                       f"exit {run.status}; output {run.output[-300:]!r}"))
    checks.append(("host:bench-codec:same-ratios-both-timings",
                   bool(ratios["whole"]) and ratios["whole"] == ratios["turns"],
                   f"whole {ratios['whole']}, turns {ratios['turns']}"))
    return checks


AB_LINE = re.compile(r"^order=(base-first|tree-first) file=(\S+) codec=dense pages=(\d+) "
                     r"rounds=1 bytes_a=(\d+) bytes_b=(\d+) decode_ns_a=\d+ decode_ns_b=\d+ "
                     r"decode_b_over_a=[0-9.]+ encode_ns_a=\d+ encode_ns_b=\d+ "
                     r"encode_b_over_a=[0-9.]+$", re.M)


def check_codec_ab(ctx):
    """tools/bench-codec-ab against HEAD on the in-tree corpus, one round:
    a figure line for each order, and the two builds' block bytes swap
    places between the orders (the same builds encode the same pages
    alike, whatever the working tree holds); a revision that does not
    exist is refused before anything is built."""
    corpus = os.path.join(BUILD, "corpus", "python.pages")
    run = process.run(["tools/bench-codec-ab", "--rounds", "1", "HEAD", corpus],
                      timeout=300 * ctx.timeout_scale)
    ctx.save_log("host-bench-codec-ab", run.output)
    lines = {m.group(1): m for m in AB_LINE.finditer(run.output)}
    both = len(lines) == 2 and run.status == 0
    swapped = both and (lines["base-first"].group(4), lines["base-first"].group(5)) == \
        (lines["tree-first"].group(5), lines["tree-first"].group(4))
    checks = [("host:bench-codec-ab:figures", both,
               f"exit {run.status}; output {run.output[-300:]!r}"),
              ("host:bench-codec-ab:same-blocks-both-ways", swapped,
               f"lines {[m.group(0) for m in lines.values()]}")]
    run = process.run(["tools/bench-codec-ab", "no-such-revision", corpus], timeout=60)
    checks.append(("host:bench-codec-ab:bad-revision",
                   run.status == 2 and "is not a revision" in run.output,
                   f"exit {run.status}; output {run.output[-200:]!r}"))
    return checks


def check_demo_corpus_switch(ctx):
    """make DEMO_CORPUS=FILE copies FILE to the ISO's corpus.pages whenever
    the name changes, even when FILE is older than the last copy (its date
    alone would keep the previous corpus); the same name again copies
    nothing. Run in a build folder of its own."""
    folder = os.path.join(RUN_DIR, "demo-corpus-switch")
    os.makedirs(folder, exist_ok=True)
    older, newer = os.path.join(folder, "older.pages"), os.path.join(folder, "newer.pages")
    target = os.path.join(folder, "corpus.pages")
    with open(older, "wb") as f:
        f.write(b"o" * 4096)
    with open(newer, "wb") as f:
        f.write(b"n" * 4096)
    os.utime(older, (1_000_000_000, 1_000_000_000))

    def copy(source, step):
        run = process.run(["make", "-s", f"BUILD={folder}", target, f"DEMO_CORPUS={source}"],
                          timeout=120)
        ctx.save_log(f"host-demo-corpus-switch-{step}", run.output)
        with open(target, "rb") as f:
            return run.status, f.read(1), os.stat(target).st_mtime_ns

    first = copy(newer, 1)
    second = copy(older, 2)
    third = copy(older, 3)
    return [("host:demo-corpus:newer-copied", first[:2] == (0, b"n"), f"{first}"),
            ("host:demo-corpus:older-copied-on-switch", second[:2] == (0, b"o"), f"{second}"),
            ("host:demo-corpus:same-name-kept", third == second, f"{third} after {second}")]


def check_capture_corpus(ctx, program, pages=16):
    """tools/capture-corpus writes `pages` whole pages of the program's
    memory and says so; skipped (not passed) on a machine that denies it
    ptrace access to its child, which the tool says in so many words."""
    out = os.path.join(BUILD, "host", f"capture-{program}.pages")
    if os.path.exists(out):
        os.remove(out)
    run = process.run(["tools/capture-corpus", "--program", program, "--pages",
                       str(pages), "--seed", "1", out], timeout=120 * ctx.timeout_scale)
    ctx.save_log("host-capture-" + program, run.output)
    last = run.output.strip().splitlines()[-1:] or [""]
    name = f"host:capture-corpus-{program}"
    if run.status != 0 and "ptrace access to the child is needed" in run.output:
        return (name, check_tally.SKIP, last[0])
    size = os.path.getsize(out) if os.path.exists(out) else -1
    said = f"wrote {pages} pages to {out}" in run.output
    return (name, run.status == 0 and not run.timed_out and size == pages * 4096 and said,
            f"exit {run.status}, {size} bytes, said {'so' if said else 'nothing'}: {last[0]}")


# ---------------------------------------------------------------- kernel boots
def boot(ctx, name, cmdline=None, firmware="bios", memory="256M", cpu="max",
         timeout=120, stop_when=None, module=None, module_name=None, iso=TEST_ISO,
         cpus=1, extra=()):
    disk = None
    if cmdline is not None:
        disk = machines.make_config_disk(os.path.join(RUN_DIR, name + ".img"),
                                         cmdline, module, module_name)
    command = machines.qemu_command(iso, firmware, memory, cpu, disk, extra, cpus)
    ctx.echo(f"# boot {name}: {' '.join(command)}")
    run = process.run(command, timeout=timeout * ctx.timeout_scale,
                      echo=lambda l: ctx.echo("  | " + l), stop_when=stop_when)
    ctx.save_log(name, run.output)
    return run


def check_boot_info(name, output, cmdline):
    """What the kernel saw matches what the runner gave GRUB."""
    checks = []
    m = re.search(r'boot: cmdline "([^"]*)"', output)
    checks.append((f"{name}:bootinfo-cmdline", bool(m) and m.group(1) == cmdline,
                   f"kernel saw {m.group(1) if m else None!r}, runner passed {cmdline!r}"))
    with open(BOOTCHECK, "rb") as f:
        data = f.read()
    m = re.search(r'module \d+ "bootcheck" at 0x[0-9a-f]+ size (\d+) fnv1a 0x([0-9a-f]+)', output)
    ok = bool(m) and int(m.group(1)) == len(data) and int(m.group(2), 16) == fnv1a(data)
    checks.append((f"{name}:bootinfo-module", ok,
                   f"kernel saw {m.groups() if m else None}, file has {len(data)} bytes "
                   f"fnv1a {fnv1a(data):016x}"))
    m = re.search(r"memory map \(\d+ ranges, (\d+) MiB usable\)", output)
    usable = int(m.group(1)) if m else -1
    checks.append((f"{name}:bootinfo-memory", 240 <= usable <= 256,
                   f"{usable} MiB usable in a 256 MiB guest"))
    return checks


# Long stress cases: run in the BIOS boot, left out of the other boots
# (UEFI, Bochs), which check the same kernel on another firmware or CPU.
STRESS_CASES = ("region.stress_million_clock_identity",
                "region.stress_every_policy_and_transform",
                "slab.random_stress_no_leak",
                "cipher.stress_clock_aes128_mac",
                "cipher.stress_clock_adaptive_aes128_mac",
                "failure_stress")  # a whole suite (mm/region_failure_test.c)
WITHOUT_STRESS = "ktest=all," + ",".join("-" + c for c in STRESS_CASES)
# One command-line word: the kernel refuses a word over 255 bytes whole
# (kernel/cmdline.c), which would run no test at all. Exclude whole suites
# to stay short.
assert len(WITHOUT_STRESS) <= 255, "WITHOUT_STRESS is over 255 bytes"


# Real program memory for the in-kernel codec tests (module "corpus"): the
# in-tree corpus (make unpacks corpus/python.pages.gz there; see
# corpus/README.md), or python.pages of the folder $VEIL_CORPUS names when it
# is set (make test VEIL_CORPUS=../shared/corpus): a run reads nothing
# beside the tree unless asked, so a clone's result never depends on it.
TREE_CORPUS = os.path.join(BUILD, "corpus", "python.pages")


def corpus_file():
    """The page corpus a boot should carry: $VEIL_CORPUS/python.pages when
    asked for, else the in-tree one; None when the file is not there."""
    asked = os.environ.get("VEIL_CORPUS")
    path = os.path.join(asked, "python.pages") if asked else TREE_CORPUS
    return path if os.path.exists(path) else None


def check_build(name, output, build, ktest):
    """The kernel says it is the build configuration the ISO should hold."""
    m = re.search(r"boot: build (\w+) \(CONFIG_MM_DEBUG=(\d) CONFIG_LOCK_CHECK=(\d) "
                  r"CONFIG_KTEST=(\d)", output)
    debug = "1" if build == "debug" else "0"
    wanted = (build, debug, debug, "1" if ktest else "0")
    return [(f"{name}:build-{build}", bool(m) and m.groups() == wanted,
             f"kernel said {m.group(0) if m else None!r}, expected {wanted}")]


SMP_ONLINE = re.compile(r"smp: (\d+) of (\d+) CPUs online")


def check_cpus_online(name, output, online, listed=None):
    """The boot log's `smp: <n> of <m> CPUs online` says online of listed
    (listed defaults to online: every CPU came up)."""
    listed = online if listed is None else listed
    found = SMP_ONLINE.findall(output)
    got = [(int(n), int(m)) for n, m in found]
    return [(f"{name}:cpus-online", got == [(online, listed)],
             f"expected one 'smp: {online} of {listed} CPUs online', got {got}")]


def ktest_boot(ctx, name, firmware, cmdline="ktest=all loglevel=6", corpus=False,
               iso=TEST_ISO, build="debug", cpus=1, extra_seconds=0):
    module = corpus_file() if corpus else None
    if corpus and not module:
        # The corpus cases would only skip: say so as a failure instead.
        return [(f"{name}:corpus", False, f"{TREE_CORPUS} missing (make corpus)")]
    if module:
        ctx.echo(f"# {name}: module corpus = {module}")
    run = boot(ctx, name, cmdline, firmware=firmware,
               timeout=180 + 30 * cpus + extra_seconds,
               module=module, module_name="corpus", iso=iso, cpus=cpus)
    checks = judge_boot(name, run)
    checks += check_cpus_online(name, run.output, cpus)
    checks += ktap_checks(name, ktap.parse(run.output, name),
                          required_cases("max", corpus=module is not None, cpus=cpus,
                                         cmdline=cmdline))
    checks += check_boot_info(name, run.output, cmdline)
    checks += check_build(name, run.output, build, ktest=True)
    design = RMAP_BOOT_DESIGN.search(cmdline)
    if design:
        said = f"rmap: design {design.group(1)} at boot"
        checks.append((f"{name}:rmap-design", said in run.output,
                       f"the boot did not say {said!r}"))
    return checks


# The suite on several CPUs: the long stress cases stay in ktest-bios
# (one CPU), the rest runs on each machine size.
SMP_SIZES = (2, 4, 8)
# The stale-TLB detector's accesses per scheme on each machine size, and
# the seconds its boot is given for them (TCG on a shared 2-core host:
# 10^6 accesses took 50 to 95 s per scheme on 4 CPUs, 10^5 about 3 s on 2
# CPUs and 17 s on 8). The 4-CPU boot runs the most, 3 x 10^5 (10^6 took
# 61 s of the step for the three schemes; make test-long runs 10^7); the 2-
# and 8-CPU boots run fewer to keep the step short.
TLB_STALE_SMP = {2: (100000, 120), 4: (300000, 300), 8: (30000, 180)}
# The 8-CPU boot: eight vCPUs on a 2-core host spend most of their time
# spinning on each other's locks: the cases below and the scheme swaps
# took 87 of the boot's 160 guest seconds in one run. It runs fewer scheme
# swaps under load (100 took 55 s; 20 still drain every slot many times
# over) and a quarter of the lock torture's rounds (its spinlock case took
# 58 s of a CI run with all of them: every ticket handover waits for the
# host to run the next waiter's vCPU), and leaves to the 2-
# and 4-CPU boots the cases that repeat a contention pattern another case
# of this boot already runs: the slab torture with debug checks on (the
# magazine torture stays), the irqsave spin lock torture (the plain spin
# lock and the mutex stay), the 10^5-round ping-pong, the demo's
# threads, and the tier thread's recompression under faults and scheme
# swaps (18-26 s here in two CI runs, the longest case of the boot; the
# 2- and 4-CPU boots run it with one and three faulting CPUs, and this
# boot keeps the tier thread alone and the swaps under load).
# The 10^5-round cross-CPU ping-pong: in ktest-bios and the 2-CPU boot only.
PING_PONG_CASE = "sched.ping_pong_100000_round_trips"
SMP_EIGHT_LEFT_OUT = ("alloc_smp.torture_debug_on_no_corruption_no_leak",
                      "lock_torture.spinlock_irqsave_counts_exactly",
                      PING_PONG_CASE, "demo",
                      "region_tier.recompress_under_faults_and_swaps")
# The 2- and 4-CPU boots run fewer scheme swaps than the kernel's default
# for their size (500 took 19 s on 2 CPUs, 200 took 31 s on 4, in one CI
# run; make test-long runs 5000 on 4), and the ping-pong runs on 2 CPUs
# (and on one in ktest-bios), not again on 4 (15 s there).
SMP_EIGHT_LOCK_ROUNDS = 6000
SMP_EXTRA = {8: f" migrate_swaps=20 lock_torture_rounds={SMP_EIGHT_LOCK_ROUNDS} ktest=" +
                ",".join("-" + c for c in SMP_EIGHT_LEFT_OUT),
             # the reverse map's other design for a whole boot: every fork
             # of the region and user suites goes through it (mm/rmap_family.c)
             4: f" rmap=family migrate_swaps=50 ktest=-{PING_PONG_CASE}",
             2: " migrate_swaps=100"}
# What a boot with rmap= in SMP_EXTRA must say (mm/rmap_swap.c).
RMAP_BOOT_DESIGN = re.compile(r"rmap=(\w+)")
# The negative control runs shootdowns off: stale writes land in frames it
# keeps out of circulation, but a page sealed under a write is poisoned and
# the kernel around it has run without shootdowns, so it gets a boot of its
# own on each machine size, and the suite boots leave it out.
STALE_CONTROL = "tlb_stale.control_without_shootdowns_detects"


def stale_control_boot(ctx, cpus):
    """The stale-TLB detector's negative control alone on cpus CPUs: it
    must pass (it found stale translations) and the boot must end well."""
    name = f"smp-{cpus}-control"
    run = boot(ctx, name, f"ktest={STALE_CONTROL} tlb_stale_accesses=100000 "
               "loglevel=6", timeout=180 + 30 * cpus, cpus=cpus)
    checks = judge_boot(name, run) + check_cpus_online(name, run.output, cpus)
    required = {STALE_CONTROL: TLB_STALE_REQUIRED[STALE_CONTROL]}
    return checks + ktap_checks(name, ktap.parse(run.output, name), required)


def read_run_log(name):
    """The serial log a boot named name saved in RUN_DIR ("" if none)."""
    path = os.path.join(RUN_DIR, name + ".log")
    return open(path).read() if os.path.exists(path) else ""


def check_lock_torture_rounds(name, total):
    """The boot's lock_torture_rounds= took effect: the spinlock case
    counted total increments of all its threads."""
    m = re.search(r"spinlock: \d+ threads on \d+ CPU\(s\), total (\d+) of (\d+)",
                  read_run_log(name))
    return [(f"{name}:lock-torture-rounds", bool(m) and m.groups() == (str(total),) * 2,
             f"expected 'total {total} of {total}', got {m.group(0) if m else None!r}")]


def step_smp(ctx):
    """The ktest suite (without the stress cases) on 2, 4 and 8 CPUs: every
    CPU online and every case passing; then bench=ipi on two CPUs under
    -icount shift=0, whose figure is instructions per round trip."""
    checks = []
    for cpus in SMP_SIZES:
        accesses, seconds = TLB_STALE_SMP[cpus]
        checks += ktest_boot(ctx, f"smp-{cpus}", "bios", WITHOUT_STRESS +
                             f",-{STALE_CONTROL} tlb_stale_accesses={accesses}"
                             " loglevel=6" + SMP_EXTRA.get(cpus, ""), cpus=cpus,
                             extra_seconds=seconds)
    checks += check_lock_torture_rounds("smp-8", SMP_EIGHT_LOCK_ROUNDS)
    for cpus in SMP_SIZES:
        checks += stale_control_boot(ctx, cpus)
    run = boot(ctx, "bench-ipi", "bench=ipi loglevel=6", timeout=180, cpus=2,
               extra=("-icount", "shift=0"))
    checks += judge_boot("bench-ipi", run)
    m = re.search(r"insns_per_ipi_roundtrip=(\d+)", run.output)
    checks.append(("bench-ipi:figure", bool(m) and int(m.group(1)) > 0,
                   f"printed {m.group(0) if m else None!r}"))
    return checks


def step_ktest_long(ctx):
    """make test-long: the long ktest cases (ktest_long), BIOS, one boot;
    then the stale-TLB detector with 10^7 accesses per scheme on 4 CPUs;
    then active migration under load with 5000 scheme swaps on 4 CPUs."""
    cmdline = "ktest=region.stress_million_every_policy_and_transform ktest_long loglevel=6"
    run = boot(ctx, "ktest-long", cmdline, timeout=3600)
    checks = judge_boot("ktest-long", run) + ktap_checks("ktest-long", ktap.parse(run.output))
    name = "ktest-long-tlb-stale"
    cmdline = "ktest=tlb_stale tlb_stale_accesses=10000000 loglevel=6"
    run = boot(ctx, name, cmdline, timeout=3 * 3600, cpus=4)
    required = {case: why for case, why in TLB_STALE_REQUIRED.items()
                if case.startswith("tlb_stale.")}
    checks += judge_boot(name, run) + check_cpus_online(name, run.output, 4)
    checks += ktap_checks(name, ktap.parse(run.output, name), required)
    name = "ktest-long-migrate"
    cmdline = ("ktest=region_migrate.swaps_under_load_every_slot_drains "
               "migrate_swaps=5000 loglevel=6")
    run = boot(ctx, name, cmdline, timeout=3 * 3600, cpus=4)
    checks += judge_boot(name, run) + check_cpus_online(name, run.output, 4)
    checks += ktap_checks(name, ktap.parse(run.output, name))
    return checks


def step_ktest_bios(ctx):
    return ktest_boot(ctx, "ktest-bios", "bios", corpus=True)


# The one-CPU boots beside ktest-bios (UEFI, release, zstore) run a fifth
# of the scheme swaps of region_migrate's load case: its 1000 took 20 to
# 28 s of each of those boots in a CI run, and ktest-bios runs them all.
REPEAT_BOOT_SWAPS = " migrate_swaps=200"


# The region suites on zstore (store=zs), since logstore became the
# default store (every other boot runs on it): the default store is zstore
# for the whole boot, every sealed page of these suites goes through it;
# the zstore suite's case on the default store (adoption of a frame, which
# logstore has not) runs only here.
ZSTORE_SUITES = "fault,region,region_failure,region_fork,region_migrate,zstore"
ZSTORE_REQUIRED = {
    "zstore.default_store_adopts_and_releases_a_frame":
        "the boot has store=zs, so the default store is a zstore and adopts frames",
}


def step_ktest_zstore(ctx):
    """The region ktest suites and zstore's with store=zs, BIOS, one CPU;
    the boot says the default store is zstore."""
    name = "ktest-zstore"
    cmdline = f"ktest={ZSTORE_SUITES} store=zs loglevel=6" + REPEAT_BOOT_SWAPS
    run = boot(ctx, name, cmdline, timeout=480)
    checks = judge_boot(name, run)
    checks += ktap_checks(name, ktap.parse(run.output, name), ZSTORE_REQUIRED)
    checks += check_boot_info(name, run.output, cmdline)
    checks.append((f"{name}:default-store", "page store (zstore)" in run.output,
                   "the boot names zstore as the default store"))
    return checks


KTEST_CASE_SYMBOL = re.compile(r"^\S+ \S (ktest_case_\w+)$", re.M)


def ktest_case_symbols(elf):
    """The ktest case records (KTEST) the ELF's symbol table names."""
    text = subprocess.run(["nm", elf], capture_output=True, text=True,
                          check=True).stdout
    return KTEST_CASE_SYMBOL.findall(text)


def step_ktest_release(ctx):
    """The release configuration (CONFIG_MM_DEBUG=0) works: its kernel
    with the ktest cases linked passes every suite but the stress cases;
    build/veil.elf (veil.iso's kernel) has no ktest case and the test
    kernel has them; ktest= on veil.iso is refused in one line."""
    checks = ktest_boot(ctx, "ktest-release", "bios",
                        WITHOUT_STRESS + " loglevel=6" + REPEAT_BOOT_SWAPS,
                        corpus=True, iso=RELEASE_TEST_ISO, build="release")
    for elf, linked in ((RELEASE_ELF, False), (TEST_ELF, True)):
        found = ktest_case_symbols(elf)
        checks.append((f"ktest-release:{os.path.basename(elf)}:"
                       f"{'has' if linked else 'no'}-ktest-cases",
                       bool(found) == linked,
                       f"{len(found)} ktest case symbols in {elf} ({found[:3]})"))
    name = "release-ktest-refused"
    run = boot(ctx, name, "ktest=all", iso=RELEASE_ISO, timeout=60)
    checks += judge_boot(name, run, expect_status="failed")
    refusals = [l for l in run.output.splitlines() if "this build carries no tests" in l]
    checks.append((f"{name}:one-line", len(refusals) == 1 and "KTAP" not in run.output,
                   f"expected one line saying the build carries no tests, got {refusals}"))
    checks += check_build(name, run.output, "release", ktest=False)
    return checks


def step_bench_guard(ctx):
    """bench=fault_path gives no figure without its page corpus: the kernel
    says so and the boot fails; make bench-faults refuses a missing
    BENCH_CORPUS before building anything."""
    name = "bench-no-corpus"
    run = boot(ctx, name, "bench=fault_path", timeout=120)
    checks = judge_boot(name, run, expect_status="failed")
    checks.append((f"{name}:message",
                   '# bench fault_path: FAILED: no multiboot2 module "corpus"' in run.output,
                   "expected the benchmark to name the missing corpus module"))
    checks.append((f"{name}:no-figure", "insns_per_fault=" not in run.output,
                   "a figure was printed without a corpus"))
    missing = os.path.join(RUN_DIR, "no-such-corpus.pages")
    run = process.run(["make", "-s", "bench-faults", f"BENCH_CORPUS={missing}"],
                      timeout=300)
    ctx.save_log("bench-faults-no-corpus", run.output)
    checks.append(("bench-faults:no-corpus-refused",
                   run.status != 0 and "bench-faults needs a page corpus" in run.output
                   and "insns_per_fault=" not in run.output,
                   f"exit status {run.status}; output {run.output[-300:]!r}"))
    checks += bench_codec_kernel_check(ctx)
    return checks


def bench_codec_kernel_check(ctx):
    """bench=codec (make bench-codec-kernel's benchmark) on the in-tree
    corpus: a line per codec, each page decoded back to itself."""
    name = "bench-codec"
    run = boot(ctx, name, "bench=codec", timeout=180, module=TREE_CORPUS,
               module_name="corpus")
    checks = judge_boot(name, run)
    lines = [l for l in run.output.splitlines() if l.startswith("codec=")]
    names = [l.split()[0][len("codec="):] for l in lines]
    checks.append((f"{name}:source", "# codec pages=512 source=corpus" in run.output,
                   "expected 512 pages of the corpus module"))
    checks.append((f"{name}:every-codec",
                   names == ["samefill", "wkdm", "lz4", "adaptive", "dense"],
                   f"codec lines: {names}"))
    checks.append((f"{name}:no-mismatch",
                   bool(lines) and all(l.endswith(" mismatches=0") for l in lines),
                   f"lines: {lines}"))
    return checks


def step_ktest_uefi(ctx):
    if not machines.ovmf_firmware():
        return [("ktest-uefi:firmware", False, "no OVMF firmware found (package ovmf)")]
    checks = ktest_boot(ctx, "ktest-uefi", "uefi",
                        WITHOUT_STRESS + " loglevel=6" + REPEAT_BOOT_SWAPS)
    output = read_run_log("ktest-uefi")
    checks.append(("ktest-uefi:booted-from-uefi", ", UEFI" in output,
                   "the kernel should see the EFI system table"))
    return checks


CRASHES = {
    # name: what the report must say
    "stack_overflow": r"stack guard page: kernel stack overflow",
    "nested_exception": r"\*\*\* exception inside the exception handler",
    "panic": r"\*\*\* kernel panic: crashtest: a panic on purpose",
    "invalid_opcode": r"\*\*\* CPU exception: #UD invalid opcode.*\n(.*\n)*?backtrace:\n  #0 .* crashtest_invalid_opcode",
}


# Panics with several CPUs: crash name -> (CPUs, what the one report must
# say). Every other CPU must be stopped, and the report printed once.
CRASHES_SMP = {
    # the backtrace walks CPU 1's own (allocated) stack
    "panic_secondary": (2, r"\*\*\* kernel panic: crashtest: a panic on CPU 1\n"
                           r"backtrace:\n(.*\n)*?.* crashtest_panic_here\+(.*\n)*?.* smp_ap_main\+"),
    "panic_all_cpus": (4, r"\*\*\* kernel panic: crashtest: a panic on CPU \d at the same tick"),
}


def step_crashes(ctx):
    checks = []
    for crash, pattern in CRASHES.items():
        name = f"crash-{crash}"
        run = boot(ctx, name, f"crashtest={crash}", timeout=60)
        checks += judge_boot(name, run, expect_status="crashed")
        checks.append((f"{name}:report", re.search(pattern, run.output) is not None,
                       f"expected /{pattern}/ in the output"))
    for crash, (cpus, pattern) in CRASHES_SMP.items():
        name = f"crash-{crash}"
        run = boot(ctx, name, f"crashtest={crash}", timeout=90, cpus=cpus)
        checks += judge_boot(name, run, expect_status="crashed")
        checks += check_cpus_online(name, run.output, cpus)
        checks.append((f"{name}:report", re.search(pattern, run.output) is not None,
                       f"expected /{pattern}/ in the output"))
        reports = run.output.count("*** kernel panic")
        checks.append((f"{name}:reported-once", reports == 1,
                       f"{reports} panic reports; one expected"))
        m = re.search(r"smp: CPU (\d) stopped (\d+) of (\d+) other CPUs", run.output)
        # The reporter stops the CPUs still running; those that panicked a
        # moment later halted themselves (panic_all_cpus) and are not asked
        # ("0 of 0 ... had stopped already" when none was left running).
        stopped_all = bool(m) and m.group(2) == m.group(3)
        checks.append((f"{name}:others-stopped", stopped_all,
                       f"stop line {m.group(0) if m else None!r}"))
    return checks


def long_cmdline():
    """A command line over the kernel's 1,023 bytes: a word of exactly 255
    bytes (fits: must not be reported cut), unknown padding words, then
    `crashtest=panic...` across byte 1,023 so that a kernel which kept the
    first 1,023 bytes would read `crashtest=panic` and crash, and one more
    option after the limit. The kernel must drop both whole and say so."""
    limit = 1023
    words = ["ktest=ktest.catch_without_exception", "pad=" + "p" * 251]
    straddling = "crashtest=panic_after_the_limit"
    start = limit - len("crashtest=panic")
    while len(" ".join(words)) + 1 < start:
        room = start - len(" ".join(words)) - 2
        words.append("pad=" + "q" * max(1, min(200, room - 4)))
    text = " ".join(words) + " "
    assert len(text) == start, len(text)
    return text + straddling + " crashtest=panic"


# Options given values their help does not offer: each must be refused on
# one line naming the option and what it accepts, and change nothing.
BAD_VALUES = {"loglevel": "2", "slab_debug": "no", "meminfo": "no",
              "store_share": "0", "demo": "maybe"}

# Filters that select nothing: an error, never an empty pass.
EMPTY_FILTERS = {"ktest-nonexistent": ("ktest=nonexistent", "ktest: filter 'nonexistent' selects no test case"),
                 "ktest-comma": ("ktest=,", "ktest: filter ',' selects no test case"),
                 "ktest-minus-all": ("ktest=-all", "ktest: filter '-all' selects no test case"),
                 "bench-nonexistent": ("bench=nonexistent", "bench: filter 'nonexistent' selects no benchmark")}


def bad_input_cmdline(ctx):
    checks = []
    text = long_cmdline()
    run = boot(ctx, "cmdline-cut", text, timeout=60)
    checks += judge_boot("cmdline-cut", run)
    m = re.search(r"cmdline: (\d+) bytes, over the 1023-byte limit: the last (\d+) bytes", run.output)
    checks.append(("cmdline-cut:warning", bool(m) and int(m.group(1)) == len(text),
                   f"expected one line saying the {len(text)}-byte line was cut, "
                   f"got {m.group(0) if m else None!r}"))
    checks.append(("cmdline-cut:word-of-255-not-cut", "longer than 255" not in run.output,
                   "a word of exactly 255 bytes was reported as cut"))
    # judge_boot fails the boot if `crashtest=panic` was applied (a panic);
    # the kernel's echo of its command line must end before that word too.
    m = re.search(r'boot: cmdline "([^"]*)"', run.output)
    kept = m.group(1) if m else ""
    checks.append(("cmdline-cut:whole-words", bool(m) and "crashtest" not in kept
                   and text.startswith(kept) and kept.endswith(" "),
                   f"kernel kept {len(kept)} bytes ending {kept[-30:]!r}"))
    name = "bad-values"
    given = " ".join(f"{k}={v}" for k, v in BAD_VALUES.items())
    run = boot(ctx, name, "ktest=ktest.catch_without_exception " + given, timeout=60)
    checks += judge_boot(name, run)
    for key, value in BAD_VALUES.items():
        pattern = rf"cmdline: bad value '{re.escape(value)}' for option '{key}' ignored \(setting unchanged\); accepted: \S"
        checks.append((f"{name}:{key}", re.search(pattern, run.output) is not None,
                       f"expected /{pattern}/"))
    checks.append((f"{name}:meminfo-off", "pmm: never handed out" not in run.output,
                   "meminfo=no printed the memory figures"))
    checks.append((f"{name}:slab-debug-off", "slab: debug mode on" not in run.output,
                   "slab_debug=no turned slab debug on"))
    run = boot(ctx, "switch-off", "ktest=ktest.catch_without_exception slab_debug=0 meminfo=off",
               timeout=60)
    checks += judge_boot("switch-off", run)
    checks.append(("switch-off:quiet", "slab: debug mode on" not in run.output and
                   "pmm: never handed out" not in run.output and "bad value" not in run.output,
                   "slab_debug=0 or meminfo=off turned its feature on or was refused"))
    for name, (cmdline, message) in EMPTY_FILTERS.items():
        run = boot(ctx, name, cmdline, timeout=60)
        checks += judge_boot(name, run, expect_status="failed")
        checks.append((f"{name}:message", message in run.output, f"expected {message!r}"))
        checks.append((f"{name}:no-empty-plan", "\n1..0" not in run.output,
                       "an empty KTAP plan was printed"))
    return checks


def bad_input_memory(ctx):
    """The 16 MiB floor: too little RAM is refused, and so is enough RAM
    that a large module fills (module bytes are not free)."""
    checks = []
    run = boot(ctx, "lowmem", "ktest=all", memory="16M", timeout=60)
    checks += judge_boot("lowmem", run, expect_status="crashed")
    checks.append(("lowmem:message", "boot: not enough memory" in run.output,
                   "expected 'boot: not enough memory'"))
    run = boot(ctx, "floor-24m", "ktest=ktest.catch_without_exception", memory="24M",
               timeout=60)
    checks += judge_boot("floor-24m", run)
    module = os.path.join(RUN_DIR, "large-module.bin")
    with open(module, "wb") as f:
        f.write(os.urandom(6 << 20))
    run = boot(ctx, "floor-24m-module", "ktest=ktest.catch_without_exception",
               memory="24M", timeout=60, module=module, module_name="large")
    checks += judge_boot("floor-24m-module", run, expect_status="crashed")
    checks.append(("floor-24m-module:message",
                   "boot: not enough memory" in run.output and "modules" in run.output,
                   "a 6 MiB module in 24 MiB must leave too little: expected "
                   "'boot: not enough memory ... besides the kernel and its modules'"))
    os.remove(module)
    return checks


def bad_input_user_oom(ctx):
    """A user program that fills a small machine's RAM with incompressible
    pages is ended as the out-of-memory killer would (SIGKILL, reported),
    gives every frame back, and the next program runs."""
    name = "user-oom"
    run = boot(ctx, name, "ktest=user.out_of_memory_is_sigkill user_test_oom loglevel=6",
               memory="64M", timeout=180)
    checks = judge_boot(name, run)
    checks += ktap_checks(name, ktap.parse(run.output, name),
                          {"user.out_of_memory_is_sigkill":
                           "the boot asked for it (user_test_oom)"})
    checks.append((f"{name}:report", "killed by SIGKILL" in run.output and
                   "out of memory" in run.output,
                   "expected the process's report: killed by SIGKILL, out of memory"))
    return checks


def step_bad_input(ctx):
    checks = bad_input_memory(ctx)
    checks += bad_input_user_oom(ctx)
    run = boot(ctx, "unknown-option", "ktest=ktest.catch_without_exception frobnicate=3",
               timeout=60)
    checks += judge_boot("unknown-option", run)
    checks.append(("unknown-option:warning",
                   "unknown option 'frobnicate' ignored" in run.output,
                   "expected a warning naming the option"))
    checks += bad_input_cmdline(ctx)
    checks += bad_input_smp(ctx)
    marker = "Veil needs it for W^X"
    run = boot(ctx, "no-nx", None, cpu="qemu64,-nx", timeout=60,
               stop_when=lambda line: marker in line)
    checks.append(("no-nx:message", marker in run.output,
                   "a CPU without NX must be told so on the serial port"))
    return checks


def bad_input_smp(ctx):
    """CPUs that do not come up: more than the 64 Veil runs (-smp 66), one
    that never answers its start-up IPI (the smp_skip_sipi test aid), no
    MADT at all (ACPI off), and smp_max=1 on a machine of four. Each boot
    names what did not come up and still passes the smp suite."""
    checks = []
    cases = [
        # name, cpus, extra cmdline, extra QEMU args, online, listed, lines
        ("smp-66", 66, "", (), 64, 66,
         [r"warn: smp: CPU 6[56] of the MADT \(APIC id not kept\) is not online: "
          r"listed past the first 64"] * 2),
        ("smp-no-answer", 4, " smp_skip_sipi=2", (), 3, 4,
         [r"warn: smp: CPU with APIC id 2 is not online: did not answer its start-up"]),
        ("smp-max-1", 4, " smp_max=1", (), 1, 4,
         [r"warn: smp: CPU with APIC id %d is not online: not started \(smp_max\)" % i
          for i in (1, 2, 3)]),
        ("smp-no-madt", 2, "", ("-no-acpi",), 1, 1,
         [r"warn: smp: no MADT: running on the boot CPU alone"]),
    ]
    for name, cpus, words, extra, online, listed, lines in cases:
        run = boot(ctx, name, "ktest=smp loglevel=6" + words, timeout=240,
                   cpus=cpus, extra=extra)
        checks += judge_boot(name, run)
        checks += check_cpus_online(name, run.output, online, listed)
        for i, line in enumerate(lines):
            found = len(re.findall(line, run.output))
            wanted = lines.count(line)
            checks.append((f"{name}:reported-{i}", found == wanted,
                           f"expected {wanted} line(s) /{line}/, found {found}"))
        report = ktap.parse(run.output, name)
        checks += ktap_checks(name, report)
        checks.append((f"{name}:ran-cases", report.passed > 0,
                       f"{report.passed} cases passed"))
    return checks


def step_pmm_6g(ctx):
    """The frame allocator over a map with RAM above 4 GiB (QEMU places
    the part of -m beyond its PCI hole there): the pmm suite must pass and
    its frames_above_4g_used case must really run and report them."""
    name = "pmm-6g"
    run = boot(ctx, name, "ktest=pmm loglevel=6", memory="6G", timeout=300)
    checks = judge_boot(name, run)
    report = ktap.parse(run.output, name)
    checks += ktap_checks(name, report, {
        "pmm.frames_above_4g_used": "a 6 GiB guest has RAM above 4 GiB to allocate"})
    m = re.search(r"frames above 4 GiB used: (\d+)", run.output)
    checks.append((f"{name}:high-frames", bool(m) and int(m.group(1)) > 0,
                   f"kernel reported {m.group(0) if m else 'nothing'}"))
    return checks


def step_clang(ctx):
    run = process.run(["make", "-s", "CC=clang", "kernel"], timeout=900,
                      echo=ctx.echo if ctx.verbose else None)
    ctx.save_log("build-clang", run.output)
    return [("build:clang", run.status == 0,
             run.output[-2000:] if run.status else "")]


# ---------------------------------------------------------------- hooks off
HOOK_PATH_OBJECTS = ["mm/region_transition.o"]  # every page transition: fault, map, evict, unmap
HOOK_SYMBOLS = ("tlb_hooks_dispatch", "tlb_hooks_active")


def kernel_objects_dir(hooks):
    """The release configuration's objects (mk/kernel.mk names them)."""
    return os.path.join(BUILD, f"kernel-gcc-hooks{hooks}-release")


def hook_references(hooks):
    """Names of hook dispatch symbols each hook-path object refers to, and
    whether the linked kernel defines the dispatcher."""
    found = {}
    for obj in HOOK_PATH_OBJECTS:
        path = os.path.join(kernel_objects_dir(hooks), obj)
        text = subprocess.run(["objdump", "-dr", path], capture_output=True,
                              text=True, check=True).stdout
        found[obj] = sorted(s for s in HOOK_SYMBOLS if s in text)
    elf = os.path.join(kernel_objects_dir(hooks), "veil.elf")
    symbols = subprocess.run(["nm", elf], capture_output=True, text=True,
                             check=True).stdout
    return found, "tlb_hooks_dispatch" in symbols


def step_hooks_off(ctx):
    """CONFIG_TLB_HOOKS=0 leaves no dispatch in the fault, map and unmap
    paths; the normal build has it there (so the check means something)."""
    checks = []
    for hooks in (0, 1):
        run = process.run(["make", "-s", f"TLB_HOOKS={hooks}",
                           os.path.join(kernel_objects_dir(hooks), "veil.elf")],
                          timeout=900, echo=ctx.echo if ctx.verbose else None)
        if run.status != 0:
            return [(f"hooks-off:build-hooks{hooks}", False, run.output[-2000:])]
    off, off_linked = hook_references(0)
    on, on_linked = hook_references(1)
    for obj in HOOK_PATH_OBJECTS:
        checks.append((f"hooks-off:{obj}:no-dispatch", not off[obj],
                       f"TLB_HOOKS=0 object still refers to {off[obj]}"))
        checks.append((f"hooks-off:{obj}:dispatch-when-on", bool(on[obj]),
                       "TLB_HOOKS=1 object has no hook call: the check is void"))
    checks.append(("hooks-off:no-dispatcher-linked", not off_linked,
                   "tlb_hooks_dispatch is linked into the TLB_HOOKS=0 kernel"))
    checks.append(("hooks-off:dispatcher-linked-when-on", on_linked, ""))
    return checks


# ---------------------------------------------------------------- fuzz smoke
def step_fuzz_smoke(ctx):
    """Every libFuzzer target builds and survives its seeds and a few
    seconds of fuzzing (make fuzz FUZZ_SECONDS=N runs them for longer)."""
    run = process.run(["make", "-s", "fuzz-build"], timeout=900,
                      echo=ctx.echo if ctx.verbose else None)
    if run.status != 0:
        return [("fuzz:build", False, run.output[-2000:])]
    binaries = [b for b in sorted(glob.glob(os.path.join(BUILD, "fuzz", "fuzz-*")))
                if not b.endswith(".log")]
    # Each target is one single-threaded process: run one per core.
    with ThreadPoolExecutor(max_workers=len(os.sched_getaffinity(0))) as pool:
        return list(pool.map(lambda binary: fuzz_target(ctx, binary), binaries))


def fuzz_target(ctx, binary):
    """A few seconds of fuzzing of one target from its seeds: one check."""
    target = os.path.basename(binary)[len("fuzz-"):]
    seeds = os.path.join("tests", "fuzz", "seeds", target)
    work = os.path.join(RUN_DIR, "fuzz-" + target)
    os.makedirs(work, exist_ok=True)
    run = process.run([binary, "-max_total_time=4", "-print_final_stats=1",
                       f"-artifact_prefix={work}/crash-", work, seeds],
                      timeout=120)
    ctx.save_log("fuzz-" + target, run.output)
    execs = re.search(r"stat::number_of_executed_units: (\d+)", run.output)
    return (f"fuzz:{target}", run.status == 0 and execs is not None,
            f"exit {run.status}; see {RUN_DIR}/fuzz-{target}.log")


# ---------------------------------------------------------------- arch line
def step_arch_line(ctx):
    """No file outside arch/ names an architecture's header
    (tools/check-arch-line); and the check fails a tree where one does, so
    a pass means something."""
    import shutil
    import tempfile
    run = process.run(["tools/check-arch-line", "."], timeout=120)
    ctx.save_log("arch-line", run.output)
    checks = [("arch-line:tree", run.status == 0, run.output[-2000:])]
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "mm"))
        os.makedirs(os.path.join(tmp, "arch", "x86"))
        planted = {"mm/bad.c": '#include "arch/x86/x86.h"\n',
                   "mm/direct.c": "#include <arch/irq_flags.h>\n",
                   "arch/x86/fine.c": '#include "arch/x86/x86.h"\n'}
        for path, text in planted.items():
            with open(os.path.join(tmp, path), "w") as f:
                f.write(text)
        bad = process.run([os.path.abspath("tools/check-arch-line"), tmp], timeout=60)
        offenders = sorted(set(re.findall(r"\./(\S+?):\d+:", bad.output)))
        checks.append(("arch-line:catches-planted", bad.status == 1 and
                       offenders == ["mm/bad.c", "mm/direct.c"],
                       f"exit {bad.status}, offenders {offenders}"))
    return checks
