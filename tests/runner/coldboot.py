"""The coldboot step: what a cold-boot attacker would find in the guest's
RAM while a region's pages are sealed.

The kernel boots with a known key (test_key=, tests only) and
coldboot=SCHEME: the ktest coldboot fills 512 pages of a region with a
canary (a 16-byte marker and 16 bytes derived from the page index, over
and over; mm/coldboot_test.c),
lets all but its clear set of 8 be sealed, prints "coldboot: ready ..." and
waits for a byte on the serial port. The runner then dumps the whole guest
RAM through QMP (pmemsave) and scans it:
- the canary may appear in at most clear_limit frames (the clear pages):
  no sealed page may have a clear copy left anywhere (freed frames, chain
  buffers, codec scratch, stacks);
- neither the key, nor its halves, nor any round key of the AES-128 key
  schedules (K1, K2) and the AES-256 schedule, in the encryption or the
  decryption (InvMixColumns) form, may appear anywhere.
Then it writes a line to the serial port; the kernel restores every page,
checks it and exits QEMU with the result.

The key rotation boot (coldboot_rekey=SCHEME, 4 CPUs) dumps twice: before
the rotation the scan must find the pages sealed under the known key (it
computes each page's first XTS block under that key: the control), and
after a rotation under load (readers on CPUs 1-3 faulting pages in and
out while the migration moves them) it must find none of them, nor the
old key or any of its round keys, nor the canary beyond the clear set."""
import hashlib
import json
import os
import selectors
import signal
import socket
import subprocess
import time

from . import ktap, machines
from .steps import PANIC_MARKERS, RUN_DIR, TEST_ISO, judge_boot, ktap_checks

# OLD>NEW: the pages are sealed under OLD, then the region changes to NEW
# (which must leave no readable copy) before the dump.
COLDBOOT_SCHEMES = ("clock:aes128-xts-mac", "clock:adaptive,aes128-xts-mac",
                    "clock:identity>clock:aes128-xts-mac",
                    "clock:lz4>clock:aes128-xts-mac")
COLDBOOT_CONTROL_SCHEME = "clock:lz4"
COLDBOOT_MEMORY_MIB = 128
COLDBOOT_MARKER = b"VeilColdbootCnry"
COLDBOOT_PAGES = 512
COLDBOOT_KEY = hashlib.sha256(b"veil cold-boot test key").digest()
COLDBOOT_READY_SECONDS = 120
COLDBOOT_FINISH_SECONDS = 120


# ------------------------------------------------------------ AES key schedules
def _xtime(b):
    b <<= 1
    return (b ^ 0x11B) & 0xFF if b & 0x100 else b


def _gmul(a, b):
    result = 0
    while b:
        if b & 1:
            result ^= a
        a = _xtime(a)
        b >>= 1
    return result


def _sbox():
    box = [0] * 256
    for x in range(256):
        inverse = 0 if x == 0 else next(y for y in range(1, 256) if _gmul(x, y) == 1)
        s = inverse
        for shift in range(1, 5):
            s ^= ((inverse << shift) | (inverse >> (8 - shift))) & 0xFF
        box[x] = s ^ 0x63
    return box


SBOX = _sbox()


def aes_round_keys(key):
    """FIPS-197 key expansion: the Nr + 1 round keys, 16 bytes each."""
    nk = len(key) // 4
    rounds = nk + 6
    words = [list(key[4 * i:4 * i + 4]) for i in range(nk)]
    rcon = 1
    for i in range(nk, 4 * (rounds + 1)):
        temp = list(words[i - 1])
        if i % nk == 0:
            temp = [SBOX[b] for b in temp[1:] + temp[:1]]
            temp[0] ^= rcon
            rcon = _xtime(rcon)
        elif nk > 6 and i % nk == 4:
            temp = [SBOX[b] for b in temp]
        words.append([a ^ b for a, b in zip(words[i - nk], temp)])
    return [bytes(sum(words[4 * r:4 * r + 4], [])) for r in range(rounds + 1)]


def inv_mix_columns(block):
    out = bytearray(16)
    for c in range(4):
        a = block[4 * c:4 * c + 4]
        for r in range(4):
            out[4 * c + r] = (_gmul(a[r], 14) ^ _gmul(a[(r + 1) % 4], 11) ^
                              _gmul(a[(r + 2) % 4], 13) ^ _gmul(a[(r + 3) % 4], 9))
    return bytes(out)


def secret_needles(key):
    """Every byte string that would give the key away: the key, its 16-byte
    halves, every round key (AES-128 of K1 and K2, AES-256 of the whole
    key) and the decryption form of the inner ones (AESIMC)."""
    needles = {"key": key, "key-k1": key[:16], "key-k2": key[16:]}
    for label, schedule in (("aes128-k1", aes_round_keys(key[:16])),
                            ("aes128-k2", aes_round_keys(key[16:])),
                            ("aes256", aes_round_keys(key))):
        for r, round_key in enumerate(schedule):
            needles[f"{label}-rk{r}"] = round_key
            if 0 < r < len(schedule) - 1:
                needles[f"{label}-rk{r}-imc"] = inv_mix_columns(round_key)
    return needles


def _sub_shift(state):
    """SubBytes then ShiftRows of a 16-byte column-major state."""
    return [SBOX[state[(i + 4 * (i % 4)) % 16]] for i in range(16)]


def _mix_columns(state):
    out = []
    for c in range(4):
        a = state[4 * c:4 * c + 4]
        for r in range(4):
            out.append(_gmul(a[r], 2) ^ _gmul(a[(r + 1) % 4], 3) ^
                       a[(r + 2) % 4] ^ a[(r + 3) % 4])
    return out


def aes_encrypt_block(key, block):
    """FIPS-197 AES encryption of one block (any key size)."""
    round_keys = aes_round_keys(key)
    state = [b ^ k for b, k in zip(block, round_keys[0])]
    for r in range(1, len(round_keys)):
        state = _sub_shift(state)
        if r < len(round_keys) - 1:
            state = _mix_columns(state)
        state = [b ^ k for b, k in zip(state, round_keys[r])]
    return bytes(state)


def xts_first_block(key, region, index, plain):
    """The first 16 bytes of page index of region sealed by aes128-xts
    under key (K1 then K2, 16 bytes each): the tweak is index + 2^64 *
    region, little-endian (transforms/xts.h)."""
    tweak = index.to_bytes(8, "little") + region.to_bytes(8, "little")
    t = aes_encrypt_block(key[16:32], tweak)
    x = bytes(a ^ b for a, b in zip(plain, t))
    return bytes(a ^ b for a, b in zip(aes_encrypt_block(key[:16], x), t))


FRAME_BYTES = 4096
NEEDLE_BYTES = 16


def without_zero_frames(data):
    """data with its all-zero 4 KiB frames cut out (about nine in ten of a
    dump): each run of other frames, with the 15 bytes on either side, the
    runs joined by 16 zero bytes. A 16-byte needle that is not all zeros is
    in the result exactly when it is in data: it has a byte in a kept
    frame, so it lies within the 15 bytes around that frame's run, and a
    match across a joint would hold all 16 zeros of it and more. Searching
    this for 512 needles takes a tenth of searching the whole dump (20 s
    there on 128 MiB)."""
    zero = bytes(FRAME_BYTES)
    pieces, run_start = [], None
    frames = (len(data) + FRAME_BYTES - 1) // FRAME_BYTES
    for frame in range(frames + 1):
        kept = frame < frames and \
            data[frame * FRAME_BYTES:(frame + 1) * FRAME_BYTES] != zero
        if kept and run_start is None:
            run_start = frame
        elif not kept and run_start is not None:
            start = max(0, run_start * FRAME_BYTES - (NEEDLE_BYTES - 1))
            end = min(len(data), frame * FRAME_BYTES + NEEDLE_BYTES - 1)
            pieces.append(data[start:end])
            run_start = None
    return bytes(NEEDLE_BYTES).join(pieces)


def pages_sealed_under(data, key, region):
    """Page indexes whose canary sealed under key (aes128-xts[-mac], no
    codec) is in the dump: its first ciphertext block is searched."""
    kept = without_zero_frames(data)
    needles = {i: xts_first_block(key, region, i, COLDBOOT_MARKER)
               for i in range(COLDBOOT_PAGES)}
    assert all(any(needle) for needle in needles.values())
    return {i for i, needle in needles.items() if kept.find(needle) >= 0}


# ------------------------------------------------------------------ the scan
def find_all(data, needle):
    at = data.find(needle)
    while at >= 0:
        yield at
        at = data.find(needle, at + 1)


def coldboot_mix(x):
    """splitmix64, as mm/coldboot_test.c."""
    mask = 2 ** 64 - 1
    z = (x + 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


def canary_tail(index):
    """The 16 bytes after the marker in each slot of page index."""
    return (coldboot_mix(index).to_bytes(8, "little") +
            coldboot_mix(index + 0x10000).to_bytes(8, "little"))


def scan_dump(data):
    """Frames and page indexes holding the canary; hits of each secret."""
    tails = {canary_tail(i): i for i in range(COLDBOOT_PAGES)}
    frames, indexes = set(), set()
    for at in find_all(data, COLDBOOT_MARKER):
        index = tails.get(data[at + 16:at + 32])
        if index is not None:
            frames.add(at // 4096)
            indexes.add(index)
    hits = {name: sum(1 for _ in find_all(data, needle))
            for name, needle in secret_needles(COLDBOOT_KEY).items()}
    return frames, indexes, hits


# ------------------------------------------------------------------ QMP
def qmp_command(path, command, arguments=None, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            break
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    sock.settimeout(timeout)
    reader = sock.makefile("rb")

    def reply():
        while True:
            line = reader.readline()
            if not line:
                raise RuntimeError("QMP closed the connection")
            message = json.loads(line)
            if "return" in message or "error" in message:
                return message

    reader.readline()  # greeting
    for name, args in (("qmp_capabilities", None), (command, arguments)):
        request = {"execute": name}
        if args:
            request["arguments"] = args
        sock.sendall(json.dumps(request).encode() + b"\n")
        message = reply()
        if "error" in message:
            sock.close()
            raise RuntimeError(f"QMP {name}: {message['error']}")
    sock.close()
    return message


# ------------------------------------------------------------------ one boot
class SerialBoot:
    """QEMU with the serial port on a pipe both ways, read line by line."""

    def __init__(self, command, echo):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ)
        self.echo = echo
        self.lines, self.partial = [], b""

    def read_until(self, predicate, timeout):
        """Reads lines until predicate(line) or the end; the line or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.selector.select(timeout=0.5):
                if self.process.poll() is not None:
                    return None
                continue
            data = os.read(self.process.stdout.fileno(), 65536)
            if not data:
                return None
            self.partial += data
            *lines, self.partial = self.partial.split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                self.lines.append(line)
                self.echo(line)
                if predicate and predicate(line):
                    return line
        return None

    def send(self, text):
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def finish(self, timeout):
        """Reads to the end; (exit status or None, timed out)."""
        deadline = time.monotonic() + timeout
        self.read_until(None, timeout)
        try:
            status = self.process.wait(timeout=max(1.0, deadline - time.monotonic()))
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            status, timed_out = None, True
        self.selector.close()
        return status, timed_out

    @property
    def output(self):
        return "\n".join(self.lines) + "\n"


class _Run:
    def __init__(self, status, output, timed_out, seconds):
        self.status, self.output = status, output
        self.timed_out, self.seconds = timed_out, seconds


def coldboot_boot(ctx, scheme, control=False):
    name = "coldboot-" + scheme.replace(":", "-").replace(",", "-").replace(">", "-to-")
    cmdline = (f"ktest=coldboot.canary_sealed_while_dumped "
               f"test_key={COLDBOOT_KEY.hex()} coldboot={scheme} loglevel=6")
    disk = machines.make_config_disk(os.path.join(RUN_DIR, name + ".img"), cmdline)
    qmp_path = os.path.join(RUN_DIR, name + ".qmp")
    dump_path = os.path.abspath(os.path.join(RUN_DIR, name + ".ram"))
    for path in (qmp_path, dump_path):
        if os.path.exists(path):
            os.remove(path)
    command = machines.qemu_command(TEST_ISO, "bios", f"{COLDBOOT_MEMORY_MIB}M",
                                    "max", disk,
                                    extra=["-qmp", f"unix:{qmp_path},server=on,wait=off"])
    ctx.echo(f"# boot {name}: {' '.join(command)}")
    start = time.monotonic()
    boot = SerialBoot(command, lambda line: ctx.echo("  | " + line))
    checks = []
    try:
        ready = boot.read_until(lambda l: l.startswith("coldboot: ready"),
                                COLDBOOT_READY_SECONDS * ctx.timeout_scale)
        checks.append((f"{name}:ready", ready is not None,
                       "the kernel never printed 'coldboot: ready'"))
        if ready is not None:
            limit = int(ready.split("clear_limit=")[1].split()[0])
            qmp_command(qmp_path, "pmemsave",
                        {"val": 0, "size": COLDBOOT_MEMORY_MIB << 20,
                         "filename": dump_path})
            with open(dump_path, "rb") as f:
                data = f.read()
            os.remove(dump_path)
            frames, indexes, hits = scan_dump(data)
            found = sorted(n for n, count in hits.items() if count)
            ctx.echo(f"# {name}: dump {len(data) >> 20} MiB: canary in "
                     f"{len(frames)} frames ({len(indexes)} pages), clear limit "
                     f"{limit}; key and {len(hits) - 3} round keys: "
                     f"{sum(hits.values())} hits")
            checks.append((f"{name}:dump-size", len(data) == COLDBOOT_MEMORY_MIB << 20,
                           f"{len(data)} bytes"))
            if control:
                checks.append((f"{name}:control-canary-found", len(indexes) > 4 * limit,
                               f"canary of {len(indexes)} pages in a scheme without a "
                               f"cipher: expected far more than {limit}"))
            else:
                checks.append((f"{name}:canary-only-in-clear-set", 0 < len(frames) <= limit,
                               f"canary in {len(frames)} frames (pages {sorted(indexes)[:20]}), "
                               f"clear limit {limit}"))
            checks.append((f"{name}:no-key-in-ram", not found,
                           f"found in the dump: {', '.join(found)}"))
            boot.send(b"go\n")
        status, timed_out = boot.finish(COLDBOOT_FINISH_SECONDS * ctx.timeout_scale)
    finally:
        if boot.process.poll() is None:
            os.killpg(boot.process.pid, signal.SIGKILL)
            boot.process.wait()
    run = _Run(status, boot.output, timed_out, time.monotonic() - start)
    ctx.save_log(name, run.output)
    checks += judge_boot(name, run)
    checks += ktap_checks(name, ktap.parse(run.output, name))
    checks.append((f"{name}:pages-verified",
                   "coldboot: result" in run.output and " PASS" in run.output,
                   "expected 'coldboot: result ... PASS' from the kernel"))
    return checks


def dump_ram(qmp_path, dump_path):
    qmp_command(qmp_path, "pmemsave", {"val": 0, "size": COLDBOOT_MEMORY_MIB << 20,
                                       "filename": dump_path})
    with open(dump_path, "rb") as f:
        data = f.read()
    os.remove(dump_path)
    return data


# The key rotation case: sealed under the known key, rotated under load on
# COLDBOOT_REKEY_CPUS CPUs (readers on all but CPU 0).
COLDBOOT_REKEY_SCHEME = "clock:aes128-xts-mac"
COLDBOOT_REKEY_CPUS = 4


def coldboot_rekey_boot(ctx, scheme=COLDBOOT_REKEY_SCHEME, cpus=COLDBOOT_REKEY_CPUS):
    """A first dump with the pages sealed under the known key (the control:
    the scan finds them), a key rotation under load, a second dump: no page
    sealed under the old key, neither the key nor a round key of it, the
    canary only in the clear set."""
    name = "coldboot-rekey-" + scheme.replace(":", "-").replace(",", "-")
    cmdline = (f"ktest=coldboot.canary_rekeyed_while_dumped "
               f"test_key={COLDBOOT_KEY.hex()} coldboot_rekey={scheme} loglevel=6")
    disk = machines.make_config_disk(os.path.join(RUN_DIR, name + ".img"), cmdline)
    qmp_path = os.path.join(RUN_DIR, name + ".qmp")
    dump_path = os.path.abspath(os.path.join(RUN_DIR, name + ".ram"))
    for path in (qmp_path, dump_path):
        if os.path.exists(path):
            os.remove(path)
    command = machines.qemu_command(TEST_ISO, "bios", f"{COLDBOOT_MEMORY_MIB}M",
                                    "max", disk,
                                    extra=["-qmp", f"unix:{qmp_path},server=on,wait=off"],
                                    cpus=cpus)
    ctx.echo(f"# boot {name}: {' '.join(command)}")
    start = time.monotonic()
    boot = SerialBoot(command, lambda line: ctx.echo("  | " + line))
    checks = []
    try:
        before = boot.read_until(lambda l: l.startswith("coldboot: before-rekey"),
                                 COLDBOOT_READY_SECONDS * ctx.timeout_scale)
        checks.append((f"{name}:before-rekey", before is not None,
                       "the kernel never printed 'coldboot: before-rekey'"))
        if before is not None:
            region = int(before.split("region=")[1].split()[0])
            limit = int(before.split("clear_limit=")[1].split()[0])
            sealed = pages_sealed_under(dump_ram(qmp_path, dump_path), COLDBOOT_KEY, region)
            ctx.echo(f"# {name}: before the rotation {len(sealed)} pages sealed "
                     f"under the known key found in the dump")
            checks.append((f"{name}:control-old-key-pages-found",
                           len(sealed) > 4 * limit,
                           f"{len(sealed)} pages found sealed under the known key "
                           f"before the rotation: expected far more than {limit}"))
            boot.send(b"go\n")
            ready = boot.read_until(lambda l: l.startswith("coldboot: ready"),
                                    COLDBOOT_READY_SECONDS * ctx.timeout_scale)
            checks.append((f"{name}:ready", ready is not None,
                           "the kernel never printed 'coldboot: ready'"))
        else:
            ready = None
        if ready is not None:
            data = dump_ram(qmp_path, dump_path)
            frames, indexes, hits = scan_dump(data)
            found = sorted(n for n, count in hits.items() if count)
            old_pages = pages_sealed_under(data, COLDBOOT_KEY, region)
            ctx.echo(f"# {name}: after the rotation: {len(old_pages)} pages sealed "
                     f"under the old key, canary in {len(frames)} frames, old key "
                     f"and {len(hits) - 3} round keys: {sum(hits.values())} hits")
            checks.append((f"{name}:no-page-under-old-key", not old_pages,
                           f"pages still sealed under the old key: {sorted(old_pages)[:20]}"))
            checks.append((f"{name}:canary-only-in-clear-set", 0 < len(frames) <= limit,
                           f"canary in {len(frames)} frames, clear limit {limit}"))
            checks.append((f"{name}:no-old-key-in-ram", not found,
                           f"found in the dump: {', '.join(found)}"))
            boot.send(b"go\n")
        status, timed_out = boot.finish(COLDBOOT_FINISH_SECONDS * ctx.timeout_scale)
    finally:
        if boot.process.poll() is None:
            os.killpg(boot.process.pid, signal.SIGKILL)
            boot.process.wait()
    run = _Run(status, boot.output, timed_out, time.monotonic() - start)
    ctx.save_log(name, run.output)
    checks += judge_boot(name, run)
    checks += ktap_checks(name, ktap.parse(run.output, name))
    checks.append((f"{name}:pages-verified",
                   "coldboot: result" in run.output and " PASS" in run.output,
                   "expected 'coldboot: result ... PASS' from the kernel"))
    return checks


def zero_frame_cut_checks():
    """without_zero_frames finds what a search of the whole data finds:
    needles with zero bytes at either end, across a frame boundary next to
    a zero frame and inside a kept frame; none made up across a joint."""
    frame = FRAME_BYTES
    data = bytearray(8 * frame)
    data[2 * frame:3 * frame] = bytes(range(256)) * 16       # kept, zero frame before
    data[5 * frame - 8:5 * frame] = b"\0\0\0\0\0\0\xaa\xbb"  # end of a kept frame
    data[6 * frame] = 0xcc                                     # a kept frame after
    data = bytes(data)
    kept = without_zero_frames(data)
    needles = [bytes(12) + bytes(range(4)),                    # zeros, then frame 2's start
               bytes(range(250, 256)) + bytes(range(10)),      # inside frame 2
               b"\xaa\xbb" + bytes(14),                        # frame 4's end into frame 5
               bytes(15) + b"\xcc",                             # zeros of frame 5, then 6
               b"\xbb" + bytes(14) + b"\xcc",                    # not in data (frames 4..6 apart)
               bytes(range(255, 256)) + bytes(15)]             # frame 2's end, then zeros
    found = [kept.find(n) >= 0 for n in needles]
    wanted = [data.find(n) >= 0 for n in needles]
    return [("coldboot:zero-frame-cut-finds-the-same",
             found == wanted and len(kept) < len(data) // 2 and wanted.count(False) == 1,
             f"found {found}, a search of the whole data {wanted}, "
             f"{len(kept)} of {len(data)} bytes kept")]


def step(ctx):
    if not os.path.exists(TEST_ISO):
        return [("coldboot:files", False, f"{TEST_ISO} missing (make build/veil-test.iso)")]
    checks = zero_frame_cut_checks()
    for scheme in COLDBOOT_SCHEMES:
        checks += coldboot_boot(ctx, scheme)
    # The control: without a cipher the sealed pages are compressed clear
    # bytes, so the same scan must find the canary far beyond the clear set
    # (else the scan proves nothing).
    checks += coldboot_boot(ctx, COLDBOOT_CONTROL_SCHEME, control=True)
    # A key rotation under load leaves nothing of the old key.
    checks += coldboot_rekey_boot(ctx)
    return checks
