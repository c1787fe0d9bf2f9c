"""The gdb step's checks of the memory helpers (tools/gdb/veil_mm.py).

gdbcheck.py stops the kernel at gdb_fixture_ready() (the ktest case
gdb.fixture, mm/gdb_fixture_test.c) and runs COMMANDS; checks() reads the
sections of gdb's output they produce. What a helper prints is compared
with two references that do not go through the helpers: what the kernel
itself recorded in gdb_fixture (the PTE's handle by vmm_get_handle, the
stored length by store_size, the clear pages' frames by vmm_translate),
printed with plain gdb; and the fixture's design, which the case checks in
the kernel too: region "gdb-fixture" under fifo:lz4, 8 pages, clear set of
2, pages 0, 1, 2, 4, 3 written in that order, so 0..2 sealed, 4 and 3 clear
(4 leaves first), 5..7 untouched, the trace ending with page 3's fault:
FAULT_ENTER 3, EVICT 2, STORE_PUT 2 (bytes: page 2's stored length,
stored: the three copies' lengths), FAULT 3, MAP 3, FAULT_RETURN 3
(zero-filled);
slab cache "gdb-fixture" with 3 live objects of 200 bytes. For the
policy order veil-region prints, the reference is the policy's own walk,
which the fixture recorded for its region and two more (gdb-clock,
gdb-2q)."""
import re

REGION = "gdb-fixture"
PAGES, LIMIT, SEALED, TOUCHED = 8, 2, 3, 5
SCHEME = "fifo:lz4"
CACHE, CACHE_OBJECT_SIZE, CACHE_LIVE = "gdb-fixture", 200, 3
POLICY_REGIONS = ("gdb-fixture", "gdb-clock", "gdb-2q")  # gdb_fixture.order[i]
HELPERS = ("veil-pt", "veil-regions", "veil-region", "veil-page",
           "veil-slabs", "veil-trace-last", "veil-threads", "veil-cpus")

COMMANDS = [
    "echo @@fixture\\n",
    'printf "fixture id=%lu base=0x%lx traced=%d\\n", gdb_fixture.region->id, '
    'gdb_fixture.region->base, gdb_fixture.traced',
    'printf "fixture handles=0x%lx,0x%lx,0x%lx\\n", gdb_fixture.pte_handle[0], '
    'gdb_fixture.pte_handle[1], gdb_fixture.pte_handle[2]',
    'printf "fixture stored=%lu,%lu,%lu\\n", gdb_fixture.stored_bytes[0], '
    'gdb_fixture.stored_bytes[1], gdb_fixture.stored_bytes[2]',
    'printf "fixture frames=0x%lx,0x%lx\\n", gdb_fixture.frame[3], gdb_fixture.frame[4]',
    'printf "fixture region_phys=0x%lx\\n", gdb_fixture.region_phys',
    'printf "fixture sleeper=%lu runner=%lu\\n", gdb_fixture.sleeper_id, gdb_fixture.runner_id',
    'printf "fixture fork_handle=0x%lx\\n", gdb_fixture.fork_handle',
    "set print repeats unlimited",
    "print gdb_fixture.order_length",
    "print gdb_fixture.order",
    "echo @@regions\\n", "veil-regions",
    "echo @@region\\n", f"veil-region {REGION}",
    "echo @@page0\\n", f"veil-page {REGION} 0",
    # an expression for the address, CR3 from the register
    "echo @@pt0\\n", "veil-pt gdb_fixture.region->base",
    "echo @@page1\\n", f"veil-page {REGION} 1",
    "echo @@page3\\n", f"veil-page {REGION} 3",
    # CR3 given explicitly
    "echo @@pt3\\n", "veil-pt gdb_fixture.region->base+3*4096 $cr3",
    # a direct-map address: a large page
    "echo @@pt_direct\\n", "veil-pt gdb_fixture.region",
    "echo @@page6\\n", f"veil-page {REGION} 6",
    "echo @@fork_page\\n", "veil-page gdb-fork 0",
    "echo @@region_clock\\n", "veil-region gdb-clock",
    "echo @@region_2q\\n", "veil-region gdb-2q",
    "echo @@slabs\\n", "veil-slabs",
    "echo @@trace\\n", "veil-trace-last 6",
    "echo @@threads\\n", "veil-threads",
    "echo @@cpus\\n", "veil-cpus",
    "echo @@bad\\n", "veil-region no-such-region",
] + [c for name in HELPERS
     for c in (f"echo @@help_{name.replace('-', '_')}\\n", f"help {name}")]


def fixture_records(text):
    """The records gdb printed with plain printf, or None."""
    m = re.search(r"^fixture id=(\d+) base=0x([0-9a-f]+) traced=(\d+)$", text, re.M)
    h = re.search(r"^fixture handles=(\S+)$", text, re.M)
    s = re.search(r"^fixture stored=(\S+)$", text, re.M)
    f = re.search(r"^fixture frames=(\S+)$", text, re.M)
    p = re.search(r"^fixture region_phys=0x([0-9a-f]+)$", text, re.M)
    k = re.search(r"^fixture fork_handle=0x([0-9a-f]+)$", text, re.M)
    lengths = re.search(r"^\$\d+ = \{([\d, ]+)\}$", text, re.M)
    orders = re.search(r"^\$\d+ = \{((?:\{[\d, ]+\}(?:, )?)+)\}$", text, re.M)
    if not (m and h and s and f and p and k and lengths and orders):
        return None
    lengths = [int(x) for x in lengths.group(1).split(",")]
    rows = [[int(x) for x in row.split(",")] for row in re.findall(r"\{([\d, ]+)\}", orders.group(1))]
    return {"id": int(m.group(1)), "base": int(m.group(2), 16),
            "traced": m.group(3) == "1",
            "handles": [int(x, 16) for x in h.group(1).split(",")],
            "stored": [int(x) for x in s.group(1).split(",")],
            "region_phys": int(p.group(1), 16),
            "fork_handle": int(k.group(1), 16),
            "frames": {3 + i: int(x, 16) for i, x in enumerate(f.group(1).split(","))},
            "orders": {name: rows[i][:lengths[i]] for i, name in enumerate(POLICY_REGIONS)
                       if i < len(rows) and i < len(lengths)}}


def field(text, pattern):
    """The first group of pattern in text (multiline), or None."""
    m = re.search(pattern, text, re.M)
    return m.group(1) if m else None


def page_list(text, label):
    """The page numbers veil-region lists under label (its line and the
    continuation lines of numbers after it), or None."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(rf"^\s+{label}\s+([\d ]+)$", line)
        if not m:
            continue
        numbers = m.group(1).split()
        for more in lines[i + 1:]:
            if not re.match(r"^\s{20,}[\d ]+$", more):
                break
            numbers += more.split()
        return [int(x) for x in numbers]
    return None


def check_regions(parts, fixture):
    text = parts.get("regions", "")
    row = re.search(rf"^\s*{fixture['id']} {REGION}\s+0x{fixture['base']:016x}\s+(\d+)\s+(\d+)"
                    rf"\s+(\d+)\s+(\d+) (\S+)$", text, re.M)
    got = tuple(int(x) for x in row.groups()[:4]) + (row.group(5),) if row else None
    want = (PAGES, LIMIT, LIMIT, SEALED, SCHEME)
    return ("gdb:veil-regions", got == want,
            f"row of region {fixture['id']}: (pages, limit, clear, sealed, scheme) "
            f"{got}, fixture made {want}; output {text.strip()[-400:]!r}")


def check_region(parts, fixture):
    text = parts.get("region", "")
    clear = field(text, r"^clear set\s+(.*)$")
    pages = field(text, r"^pages\s+(.*)$")
    stored = field(text, r"^stored\s+(\d+) bytes")
    scheme = field(text, r"^scheme\s+(\S+) \(sealing")
    want_clear = f"{LIMIT} of {LIMIT} pages, policy fifo"
    members = page_list(text, "in page order")
    leaving = page_list(text, "next victim first")
    want_members, want_leaving = [3, 4], [4, 3]  # also the fixture's walk: check_policy_order
    want_pages = f"unpopulated {PAGES - TOUCHED}  clear {LIMIT}  sealed {SEALED}"
    want_stored = sum(fixture["stored"])
    ok = (clear == want_clear and members == want_members and leaving == want_leaving
          and pages == want_pages
          and scheme == SCHEME and stored is not None and int(stored) == want_stored and "note:" not in text)
    return ("gdb:veil-region", ok,
            f"clear set {clear!r} (want {want_clear!r}), members {members} (want "
            f"{want_members}), policy order {leaving!r} "
            f"(want {want_leaving!r}), pages {pages!r} (want {want_pages!r}), "
            f"scheme {scheme!r}, stored {stored} (store_size sum {want_stored})")


def check_policy_order(parts, fixture, section, name):
    """veil-region's policy order against the order the policy's walk gave
    the fixture."""
    text = parts.get(section, "")
    got = page_list(text, "next victim first")
    want = fixture["orders"].get(name)
    return (f"gdb:veil-region-order-{name}", got is not None and got == want and len(want) > 0,
            f"region {name}: veil-region says {got}, the policy's walk gave {want}")


def check_sealed_page(parts, fixture):
    text = parts.get("page0", "")
    state = field(text, r"^state\s+(\S+)")
    handle = field(text, r"^handle\s+0x([0-9a-f]+)$")
    stored = field(text, r"^stored\s+(\d+) bytes")
    pte = field(text, r"^pte\s+(.*)$")
    want = fixture["handles"][0]
    ok = (state == "sealed" and handle is not None and int(handle, 16) == want != 0
          and stored is not None and int(stored) == fixture["stored"][0]
          and pte == f"handle 0x{want:x}")
    return ("gdb:veil-page-sealed", ok,
            f"page 0: state {state}, handle {handle} (vmm_get_handle 0x{want:x}), stored {stored} "
            f"(store_size {fixture['stored'][0]}), pte {pte!r}")


def check_same_filled_page(parts, fixture):
    """Page 1 is zeros: sealed as its word in the record and the PTE, no
    store copy (mm/region_page.h)."""
    text = parts.get("page1", "")
    state = field(text, r"^state\s+(\S+)")
    stored = field(text, r"^stored\s+(.*)$")
    handle = field(text, r"^handle\s+0x([0-9a-f]+)$")
    pte = field(text, r"^pte\s+(.*)$")
    want = fixture["handles"][1]
    ok = (state == "sealed" and stored == "nothing: same-filled, word 0x0000000000000000"
          and handle is not None and int(handle, 16) == want == 0
          and fixture["stored"][1] == 0 and pte == "handle 0x0")
    return ("gdb:veil-page-same-filled", ok,
            f"page 1: state {state}, stored {stored!r}, handle {handle} "
            f"(vmm_get_handle 0x{want:x}), pte {pte!r}")


def check_shared_copy_page(parts, fixture):
    """gdb-fork's page 0 left its space while the child mapped its frame:
    its record names a shared copy (the tag above a same-filled word, and
    the copy's index: mm/region_page.h)."""
    text = parts.get("fork_page", "")
    state = field(text, r"^state\s+(\S+)")
    handle = field(text, r"^handle\s+0x([0-9a-f]+)$")
    index = field(text, r"^stored\s+in shared copy (\d+) ")
    want = fixture["fork_handle"]
    tag = 1 << 49  # REGION_SHARED_COPY_TAG
    ok = (state == "sealed" and handle is not None and int(handle, 16) == want
          and want & tag != 0 and index is not None and int(index) == want & ~tag)
    return ("gdb:veil-page-shared-copy", ok,
            f"gdb-fork page 0: state {state}, handle {handle} (record 0x{want:x}), "
            f"shared copy {index}; output {text.strip()[-300:]!r}")


def check_sealed_walk(parts, fixture):
    text = parts.get("pt0", "")
    levels = re.findall(r"^\s+(PML4|PDPT|PD|PT)\s+\[", text, re.M)
    leaf = re.search(r"^\s+PT\s+\[\s*0\] table 0x[0-9a-f]+ entry 0x([0-9a-f]{16}) (.*)$", text, re.M)
    handle = field(text, r"^not present: sealed page, handle 0x([0-9a-f]+)$")
    want = fixture["handles"][0]
    ok = (levels == ["PML4", "PDPT", "PD", "PT"] and leaf is not None
          and "P" not in leaf.group(2).split() and handle is not None
          and int(handle, 16) == want)
    return ("gdb:veil-pt-sealed", ok,
            f"levels {levels}, leaf {leaf.groups() if leaf else None}, decoded handle {handle} "
            f"(vmm_get_handle 0x{want:x})")


def check_clear_page(parts, fixture):
    text = parts.get("page3", "")
    state = field(text, r"^state\s+(\S+)")
    member = field(text, r"^in clear set (\S+)")
    frame = field(text, r"^frame\s+0x([0-9a-f]+)$")
    want = fixture["frames"][3]
    ok = state == "clear" and member == "yes" and frame is not None and int(frame, 16) == want
    return ("gdb:veil-page-clear", ok,
            f"page 3: state {state}, in clear set {member}, frame {frame} "
            f"(vmm_translate 0x{want:x})")


def check_clear_walk(parts, fixture):
    text = parts.get("pt3", "")
    leaf = re.search(r"^\s+PT\s+\[\s*3\] table 0x[0-9a-f]+ entry 0x[0-9a-f]{16} (.*)$", text, re.M)
    flags = leaf.group(1).split() if leaf else []
    frame = field(text, r"^present 4 KiB page: frame 0x([0-9a-f]+) ")
    want = fixture["frames"][3]
    # written by the fixture: dirty; a kernel data page: writable, not user,
    # not executable
    ok = (frame is not None and int(frame, 16) == want
          and all(f in flags for f in ("P", "W", "A", "D", "NX")) and "U" not in flags)
    return ("gdb:veil-pt-clear", ok,
            f"page 3: frame {frame} (vmm_translate 0x{want:x}), leaf flags {flags}")


def check_large_page_walk(parts, fixture):
    """The walk of a direct-map address ends at a large page (PS) and gives
    the physical address virt_to_phys gave the kernel."""
    text = parts.get("pt_direct", "")
    leaf = re.findall(r"^\s+(PML4|PDPT|PD|PT)\s+\[\s*\d+\] table 0x[0-9a-f]+ "
                      r"entry 0x[0-9a-f]{16} (.*)$", text, re.M)
    result = re.search(r"^present (1 GiB|2 MiB) page at 0x[0-9a-f]+: phys 0x([0-9a-f]+)$",
                       text, re.M)
    want = fixture["region_phys"]
    ok = (result is not None and int(result.group(2), 16) == want and leaf
          and leaf[-1][0] in ("PDPT", "PD") and "PS" in leaf[-1][1].split())
    return ("gdb:veil-pt-large-page", ok,
            f"last level {leaf[-1] if leaf else None}, result "
            f"{result.groups() if result else None}, virt_to_phys 0x{want:x}")


def check_unpopulated_page(parts):
    text = parts.get("page6", "")
    state = field(text, r"^state\s+(\S+)")
    pte = field(text, r"^pte\s+(.*)$")
    return ("gdb:veil-page-unpopulated", state == "unpopulated" and pte == "none",
            f"page 6: state {state}, pte {pte!r}")


def check_slabs(parts):
    text = parts.get("slabs", "")
    row = re.search(rf"^{CACHE}\s+(\d+)\s+\d+\s+\d+\s+(\d+)\s+(\d+)\s", text, re.M)
    count = field(text, r"^(\d+) caches$")
    got = (int(row.group(1)), int(row.group(2))) if row else None
    ok = got == (CACHE_OBJECT_SIZE, CACHE_LIVE) and count is not None and int(count) > 1
    return ("gdb:veil-slabs", ok,
            f"cache {CACHE}: (size, active) {got}, want {(CACHE_OBJECT_SIZE, CACHE_LIVE)}; "
            f"{count} caches listed")


def check_trace(parts, fixture):
    text = parts.get("trace", "")
    if not fixture["traced"]:
        return ("gdb:veil-trace-last", False,
                "the fixture could not start the trace (a kernel without hooks?)")
    events = re.findall(r"^tlbev seq=\d+ cpu=\d+ ts=\d+ type=(\w+) region=(\d+) "
                        r"va=0x([0-9a-f]+) frame=0x[0-9a-f]+(?: outcome=(\S+))?"
                        r"(?: bytes=(\d+) stored=(\d+))?$", text, re.M)
    got = [(t, int(r), int(v, 16) - fixture["base"], o, b, s) for t, r, v, o, b, s in events]
    rid = fixture["id"]
    # the seal of page 2: its copy's length, and the region's store bytes
    # after it, which the three copies the fixture measured make up
    put = (str(fixture["stored"][2]), str(sum(fixture["stored"])))
    want = [("FAULT_ENTER", rid, 3 * 4096, "", "", ""), ("EVICT", rid, 2 * 4096, "", "", ""),
            ("STORE_PUT", rid, 2 * 4096, "", *put),
            ("FAULT", rid, 3 * 4096, "", "", ""), ("MAP", rid, 3 * 4096, "", "", ""),
            ("FAULT_RETURN", rid, 3 * 4096, "zero-filled", "", "")]
    return ("gdb:veil-trace-last", got == want and "6 events" in text,
            f"last 6 records (type, region, offset in region, outcome, bytes, stored) {got}, "
            f"fixture made {want}")


def check_bad_argument(parts):
    text = parts.get("bad", "")
    return ("gdb:veil-region-unknown", "no region 'no-such-region'" in text
            and f"{REGION}" in text,
            f"an unknown region should be named with the known ones: {text.strip()[-200:]!r}")


def check_threads(parts):
    """veil-threads: the fixture's sleeper blocked, the thread running the
    fixture running, each with the id the kernel recorded."""
    m = re.search(r"fixture sleeper=(\d+) runner=(\d+)", parts.get("fixture", ""))
    text = parts.get("threads", "")
    if not m:
        return ("gdb:veil-threads", False, "the fixture printed no sleeper/runner ids")
    sleeper = re.search(rf"thread id={m.group(1)} name=gdb-sleeper cpu=\d+ state=blocked ", text)
    runner = re.search(rf"thread id={m.group(2)} name=\S+ cpu=\d+ state=running ", text)
    idle = "name=idle/0 " in text
    return ("gdb:veil-threads", bool(sleeper and runner and idle),
            f"want gdb-sleeper (id {m.group(1)}) blocked, thread {m.group(2)} running and "
            f"idle/0 listed; got {text.strip()[-400:]!r}")


def check_cpus(parts):
    """veil-cpus: CPU 0 online, running the thread that runs the fixture."""
    m = re.search(r"fixture sleeper=(\d+) runner=(\d+)", parts.get("fixture", ""))
    text = parts.get("cpus", "")
    ok = bool(m) and re.search(
        rf"cpu index=\d+ apic_id=\d+ state=online ticks=\d+ idle_ticks=\d+ "
        rf"preempt_count=\d+ running thread id={m.group(2)} ", text) is not None
    return ("gdb:veil-cpus", ok and "CPUs online" in text,
            f"want a CPU running thread {m.group(2) if m else '?'}; got {text.strip()[-300:]!r}")


def check_help(parts):
    missing = [name for name in HELPERS
               if f"Usage: {name}" not in parts.get("help_" + name.replace("-", "_"), "")]
    return ("gdb:memory-helpers-help", not missing,
            f"help without a Usage line: {missing}")


def checks(parts):
    """The memory helpers' checks from the sections of gdb's output."""
    fixture = fixture_records(parts.get("fixture", ""))
    stopped = re.search(r"Breakpoint \d+, gdb_fixture_ready \(", parts.get("to_fixture", ""))
    result = [("gdb:stopped-at-fixture", stopped is not None and fixture is not None,
               f"gdb should stop at gdb_fixture_ready and print the records; got "
               f"{parts.get('to_fixture', '').strip()[-200:]!r} / "
               f"{parts.get('fixture', '').strip()[-300:]!r}")]
    if fixture is None:
        return result
    return result + [
        check_regions(parts, fixture), check_region(parts, fixture),
        check_policy_order(parts, fixture, "region", "gdb-fixture"),
        check_policy_order(parts, fixture, "region_clock", "gdb-clock"),
        check_policy_order(parts, fixture, "region_2q", "gdb-2q"),
        check_sealed_page(parts, fixture), check_same_filled_page(parts, fixture),
        check_shared_copy_page(parts, fixture),
        check_sealed_walk(parts, fixture),
        check_clear_page(parts, fixture), check_clear_walk(parts, fixture),
        check_large_page_walk(parts, fixture),
        check_unpopulated_page(parts), check_slabs(parts), check_trace(parts, fixture),
        check_threads(parts), check_cpus(parts),
        check_bad_argument(parts), check_help(parts),
    ]
