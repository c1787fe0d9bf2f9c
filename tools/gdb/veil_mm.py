# gdb helpers for Veil's memory, in the manner of Linux's scripts/gdb (the
# lx- commands). tools/veil.gdb sources this file, so `make debug` and the
# gdb step of tests/run (tests/runner/gdbcheck.py) have them:
#
#   veil-pt ADDRESS [CR3]   the 4-level walk of an address, each entry and
#                           its flags; a sealed page's handle decoded
#   veil-regions            every transformed region (mm/region.c registry)
#   veil-region NAME|ID     one region: scheme, clear set, page states, store
#   veil-page REGION PAGE   one page's record, its PTE and stored size
#   veil-slabs              slab caches and their counters
#   veil-trace-last [N]     the last N records of the per-CPU trace rings
#                           (TLB events, fault ends, store puts and frees)
#   veil-threads            every kernel thread and its state
#   veil-cpus               each online CPU and the thread it runs
#
# The helpers read kernel memory through the symbols (gdb reads bitfields
# from the debug information) and physical memory through the direct map.
# Numbers the C code keeps in macros (PTE bits, the handle encoding, the
# direct map's base) are read from the headers of the tree at load time, so
# the helpers cannot drift from them; gdb is started from the tree's root
# (both callers do), and the tree is found from this file's place anyway.

import os
import re

import gdb

TREE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGE_SIZE = 4096


# ---------------------------------------------------------------- constants
def header_constants(relative_paths):
    """The #define NAME VALUE lines of the given headers whose values are
    integer expressions (numbers with C suffixes, names defined before,
    + - << >> | & ~ and parentheses), as a dict."""
    raw = {}
    for relative in relative_paths:
        with open(os.path.join(TREE, relative)) as f:
            for line in f:
                m = re.match(r"^\s*#define\s+(\w+)\s+(.+?)\s*(?:/\*.*)?$", line)
                if m:
                    raw[m.group(1)] = m.group(2)
    values = {}
    for _ in range(4):  # names defined in terms of later ones: a few passes
        for name, text in raw.items():
            if name in values:
                continue
            expression = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", text)
            if not re.fullmatch(r"[\w\s()+\-<>|&~*]+", expression):
                continue
            try:
                values[name] = int(eval(expression, {"__builtins__": {}}, dict(values)))
            except Exception:
                continue
    return values


C = header_constants(["arch/x86/memlayout.h", "arch/x86/pte.h", "mm/vmm.h",
                      "mm/store.h", "mm/zstore_internal.h", "mm/logstore_internal.h",
                      "mm/region_page.h"])
DIRECT_MAP_BASE = C["DIRECT_MAP_BASE"]
HANDLE_MASK = C["VMM_HANDLE_LIMIT"] - 1
HANDLE_BUSY = C["VMM_HANDLE_BUSY"]
# (bit, name) in the order the flags are printed.
PTE_FLAGS = [(C["PTE_PRESENT"], "P"), (C["PTE_WRITABLE"], "W"), (C["PTE_USER"], "U"),
             (C["PTE_ACCESSED"], "A"), (C["PTE_DIRTY"], "D"), (C["PTE_LARGE"], "PS"),
             (C["PTE_GLOBAL"], "G"), (C["PTE_NO_EXECUTE"], "NX")]
LEVEL_NAMES = {4: "PML4", 3: "PDPT", 2: "PD", 1: "PT"}


# ---------------------------------------------------------------- memory
def read_u64(address):
    """The 8 bytes at a kernel virtual address, little-endian."""
    data = gdb.selected_inferior().read_memory(address, 8)
    return int.from_bytes(bytes(data), "little")


def read_physical_u64(physical):
    """The 8 bytes at a physical address, read through the direct map
    (arch/x86/memlayout.h: all RAM is mapped at DIRECT_MAP_BASE)."""
    return read_u64(DIRECT_MAP_BASE + physical)


def symbol(expression):
    """A kernel variable (static ones as 'file.c'::name)."""
    return gdb.parse_and_eval(expression)


def c_string(value):
    """A char pointer or array as a Python string ('' for NULL)."""
    if value.type.strip_typedefs().code == gdb.TYPE_CODE_PTR and int(value) == 0:
        return ""
    return value.string(errors="replace")


def number(text):
    """A gdb expression's integer value (so $rax, symbols and 0x... work)."""
    return int(gdb.parse_and_eval(text))


# ---------------------------------------------------------------- page tables
def pte_flags(entry, level):
    """The flag names set in entry; PS only means a large page above the
    PT level (bit 7 of a PT entry is PAT)."""
    names = []
    for bit, name in PTE_FLAGS:
        if entry & bit and not (name == "PS" and level == 1):
            names.append(name)
    return names


def decode_handle(entry):
    """A non-present entry's handle, or None when it carries none
    (arch/x86/vmm.c: bit 0 clear, PTE_SOFT_HANDLE set, the handle stored
    inverted in bits 12-61)."""
    if entry & C["PTE_PRESENT"] or not entry & C["PTE_SOFT_HANDLE"]:
        return None
    return ~(entry >> C["PAGE_SHIFT"]) & HANDLE_MASK


def page_walk(va, cr3):
    """The walk of va from the root table at cr3: a list of
    (level, index, table physical address, entry), the leaf last."""
    steps = []
    table = cr3 & C["PTE_ADDRESS_MASK"]
    for level in (4, 3, 2, 1):
        index = (va >> (12 + 9 * (level - 1))) & 511
        entry = read_physical_u64(table + 8 * index)
        steps.append((level, index, table, entry))
        if not entry & C["PTE_PRESENT"]:
            break
        if level > 1 and entry & C["PTE_LARGE"]:
            break
        table = entry & C["PTE_ADDRESS_MASK"]
    return steps


def walk_result(va, steps):
    """What the walk comes to: ('frame', physical address of va),
    ('handle', handle), ('busy', handle) or ('none', None)."""
    level, _, _, entry = steps[-1]
    if entry & C["PTE_PRESENT"]:
        size_bits = 12 + 9 * (level - 1)
        base = entry & C["PTE_ADDRESS_MASK"] & ~((1 << size_bits) - 1)
        return "frame", base + (va & ((1 << size_bits) - 1))
    handle = decode_handle(entry) if level == 1 else None
    if handle is None:
        return "none", None
    return ("busy" if handle == HANDLE_BUSY else "handle"), handle


def current_cr3():
    """The CPU's CR3 (QEMU's stub reports the control registers)."""
    return int(gdb.parse_and_eval("$cr3"))


class VeilPt(gdb.Command):
    """Walk the page tables for a virtual address.
Usage: veil-pt ADDRESS [CR3]

ADDRESS and CR3 are gdb expressions (gdb_fixture.region->base, $rsp+8).
CR3 defaults to the CPU's. For each level (PML4, PDPT, PD, PT) prints the
index, the table's physical address, the entry and its flags (P present,
W writable, U user, A accessed, D dirty, PS large page, G global, NX no
execute). A present leaf ends with the frame and the physical address of
ADDRESS; a non-present leaf that carries a handle (a sealed page, see
arch/x86/vmm.c) ends with the decoded handle, or says the page is busy
(VMM_HANDLE_BUSY: being sealed). Tables are read through the direct map."""

    def __init__(self):
        super().__init__("veil-pt", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        args = gdb.string_to_argv(argument)
        if len(args) not in (1, 2):
            raise gdb.GdbError("usage: veil-pt ADDRESS [CR3]")
        va = number(args[0]) & 0xFFFFFFFFFFFFFFFF
        cr3 = number(args[1]) if len(args) == 2 else current_cr3()
        print(f"va 0x{va:016x} cr3 0x{cr3:x}")
        steps = page_walk(va, cr3)
        for level, index, table, entry in steps:
            flags = " ".join(pte_flags(entry, level)) or "-"
            print(f"  {LEVEL_NAMES[level]:<4} [{index:3}] table 0x{table:x} "
                  f"entry 0x{entry:016x} {flags}")
        kind, value = walk_result(va, steps)
        level = steps[-1][0]
        if kind == "frame" and level == 1:
            print(f"present 4 KiB page: frame 0x{value & ~0xFFF:x} phys 0x{value:x}")
        elif kind == "frame":
            size_bits = 12 + 9 * (level - 1)
            size = {2: "2 MiB", 3: "1 GiB"}[level]
            print(f"present {size} page at 0x{value & ~((1 << size_bits) - 1):x}: "
                  f"phys 0x{value:x}")
        elif kind == "handle":
            print(f"not present: sealed page, handle 0x{value:x}")
        elif kind == "busy":
            print("not present: busy (VMM_HANDLE_BUSY: the page is being sealed)")
        elif steps[-1][3] == 0:
            print(f"not present: empty {LEVEL_NAMES[level]} entry")
        else:
            print(f"not present: entry 0x{steps[-1][3]:x} carries no handle")


# ---------------------------------------------------------------- regions
STATE_NAMES = {0: "unpopulated", 1: "clear", 2: "sealed"}


def regions():
    """The registry's regions (struct region * values), registry order."""
    table = symbol("'region.c'::region_table")
    count = int(symbol("'region.c'::region_count"))
    return [table[i] for i in range(count)]


def find_region(key):
    """A region by id (digits) or name; gdb.GdbError when none."""
    for region in regions():
        if (key.isdigit() and int(region["id"]) == int(key)) or \
                c_string(region["name"]) == key:
            return region
    known = ", ".join(f"{int(r['id'])} {c_string(r['name'])}" for r in regions())
    raise gdb.GdbError(f"no region '{key}' (regions: {known or 'none'})")


def scheme_text(scheme):
    """A struct scheme as scheme_format writes it: POLICY[:XF,XF...]."""
    if int(scheme["policy"]) == 0:
        return "(none)"
    text = c_string(scheme["policy"]["name"])
    chain = [c_string(scheme["chain"][i]["ops"]["name"]) for i in range(int(scheme["length"]))]
    return text + (":" + ",".join(chain) if chain else "")


class RecordLayout:
    """Where the fields of struct region_page lie, from the debug
    information, so records are decoded from one read of the array."""

    def __init__(self):
        kind = gdb.lookup_type("struct region_page")
        self.size = kind.sizeof
        self.fields = {f.name: (f.bitpos, f.bitsize or 8 * f.type.sizeof) for f in kind.fields()}

    def field(self, raw, name):
        bitpos, bitsize = self.fields[name]
        return (int.from_bytes(raw, "little") >> bitpos) & ((1 << bitsize) - 1)


def region_records(region):
    """Every page's record as dicts (state, slot, handle, checksum or None)."""
    layout = RecordLayout()
    pages = int(region["pages"])
    data = bytes(gdb.selected_inferior().read_memory(int(region["records"]), layout.size * pages))
    records = []
    for page in range(pages):
        raw = data[page * layout.size:(page + 1) * layout.size]
        records.append({
            "state": layout.field(raw, "state"),
            "slot": layout.field(raw, "scheme_slot"),
            "handle": layout.field(raw, "handle"),
            # SEALED with the shared bit: no store copy of its own; the
            # handle is a same-filled page's word, or with
            # REGION_SHARED_COPY_TAG a shared copy's index (mm/region_page.h)
            "same_filled": (layout.field(raw, "state") == 2 and layout.field(raw, "shared") == 1
                            and not layout.field(raw, "handle") & C["REGION_SHARED_COPY_TAG"]),
            "shared_copy": (layout.field(raw, "state") == 2 and layout.field(raw, "shared") == 1
                            and bool(layout.field(raw, "handle") & C["REGION_SHARED_COPY_TAG"])),
            "checksum": layout.field(raw, "checksum") if "checksum" in layout.fields else None,
        })
    return records


def clear_members(region):
    """The pages in the clear set (its member bytes), page order."""
    clear = region["clear"]
    count = int(clear["page_count"])
    if count == 0 or int(clear["member"]) == 0:
        return []
    data = bytes(gdb.selected_inferior().read_memory(int(clear["member"]), count))
    return [page for page in range(count) if data[page]]


NO_PAGE = 0xFFFFFFFF  # POLICY_NO_PAGE


def policy_list_pages(links, head, count, wrap):
    """count pages of a policy list from head following links.next
    (mm/policy_list.h); wrap: a CLOCK ring, whose last page leads back to
    the list's head (wrap is that head)."""
    pages, page = [], head
    for _ in range(count):
        if page == NO_PAGE:
            break
        pages.append(page)
        following = int(links["next"][page])
        page = wrap if following == NO_PAGE and wrap is not None else following
    return pages


def clear_order(region):
    """The clear set's pages in the order the policy would let them go, as
    its walk op visits them (mm/policy_fifo.c, policy_clock.c,
    policy_2q.c), or None for a policy these helpers do not know."""
    clear = region["clear"]
    name = c_string(clear["policy"]["name"]) if int(clear["policy"]) else ""
    if name not in ("fifo", "clock", "2q") or int(clear["policy_state"]) == 0:
        return None
    state = clear["policy_state"].cast(gdb.lookup_type(f"struct policy_{name}_state").pointer())
    links = state["links"]
    if name == "fifo":
        queue = state["queue"]
        return policy_list_pages(links, int(queue["head"]), int(queue["count"]), None)
    if name == "clock":
        ring = state["ring"]
        return policy_list_pages(links, int(state["hand"]), int(ring["count"]), int(ring["head"]))
    probation, main = state["probation"], state["main"]
    return (policy_list_pages(links, int(probation["head"]), int(probation["count"]), None)
            + policy_list_pages(links, int(state["main_hand"]), int(main["count"]),
                                int(main["head"])))


def store_name(store):
    """A store as "NAME (OPS)", e.g. "sealed-pages (zstore)"."""
    return f"{c_string(store['name'])} ({c_string(store['ops']['name'])})"


def zstore_of(store):
    """The struct zstore * behind a store whose ops are zstore's, or None."""
    if int(store) == 0 or c_string(store["ops"]["name"]) != "zstore":
        return None
    return store.cast(gdb.lookup_type("struct zstore").pointer())


def zstore_object(store, handle):
    """A zstore handle's slot as (length, class size, state name), read from
    the slot table as zstore_handle_lock reads it (mm/zstore_internal.h);
    None when the store is not a zstore; a string saying why when the
    handle does not name a live object."""
    z = zstore_of(store)
    if z is None:
        return None
    index = handle & C["ZSTORE_INDEX_MASK"]
    generation = (handle >> C["ZSTORE_INDEX_BITS"]) & C["ZSTORE_GENERATION_MASK"]
    if index == 0 or index >= int(z["slots_created"]):
        return "slot out of range"
    slot_size = gdb.lookup_type("struct zstore_slot").sizeof
    per_frame = C["ZSTORE_FRAME_SIZE"] // slot_size
    pointers = C["ZSTORE_FRAME_SIZE"] // 8
    frame = index // per_frame
    # As zstore_slot_at: the first slot frames hang from the header.
    if frame < C["ZSTORE_DIRECT_SLOT_FRAMES"]:
        slots = z["slot_frames"][frame]
    else:
        frame -= C["ZSTORE_DIRECT_SLOT_FRAMES"]
        slots = z["directory"][frame // pointers][frame % pointers]
    slot = slots[index % per_frame]
    tag = int(slot["tag"])
    state = (tag >> C["ZSTORE_TAG_STATE_SHIFT"]) & 3
    if state < 2:
        return "slot not in use"
    if tag & C["ZSTORE_GENERATION_MASK"] != generation:
        return "stale generation"
    if state == 3:
        return int(slot["length"]), C["ZSTORE_FRAME_SIZE"], "whole page"
    class_index = (tag >> C["ZSTORE_TAG_CLASS_SHIFT"]) & C["ZSTORE_TAG_CLASS_MASK"]
    # ZSTORE_CLASS_MIXED is ZSTORE_CLASS_COUNT, a division the header
    # reader leaves out: computed here the same way.
    if class_index == C["ZSTORE_FRAME_SIZE"] // C["ZSTORE_CLASS_STEP"]:
        return int(slot["length"]), C["ZSTORE_CLASS_STEP"], "live (mixed zspage)"
    class_size = int(z["classes"][class_index]["size"])
    return int(slot["length"]), class_size, "live"


def logstore_of(store):
    """The struct logstore * behind a store whose ops are logstore's, or None."""
    if int(store) == 0 or c_string(store["ops"]["name"]) != "logstore":
        return None
    return store.cast(gdb.lookup_type("struct logstore").pointer())


def logstore_entry(table, index, type_name):
    """Entry index of a logstore table, found as logstore_table_entry finds
    it (mm/logstore_table.c): inline entries, then direct frames, then
    frames behind directory frames."""
    size = int(table["entry_size"])
    per_frame = int(table["per_frame"])
    pointers = C["LOGSTORE_FRAME_SIZE"] // 8
    if index < int(table["inline_count"]):
        address = int(table["inline_entries"]) + index * size
    else:
        index -= int(table["inline_count"])
        page, index = divmod(index, per_frame)
        if page < C["LOGSTORE_TABLE_DIRECT"]:
            base = int(table["direct"][page])
        else:
            page -= C["LOGSTORE_TABLE_DIRECT"]
            base = int(table["directory"][page // pointers][page % pointers])
        address = base + index * size
    entry_type = gdb.lookup_type(type_name).pointer()
    return gdb.Value(address).cast(entry_type).dereference()


def logstore_object(store, handle):
    """A logstore handle's slot as (length, where, state name), read from
    its slot table (mm/logstore_internal.h); None when the store is not a
    logstore; a string saying why when the handle names no live object."""
    ls = logstore_of(store)
    if ls is None:
        return None
    index = handle & C["LOGSTORE_INDEX_MASK"]
    generation = (handle >> C["LOGSTORE_INDEX_BITS"]) & C["LOGSTORE_GENERATION_MASK"]
    if index == 0 or index >= int(ls["slots"]["count"]):
        return "slot out of range"
    slot = logstore_entry(ls["slots"], index, "struct logstore_slot")
    tag = int(slot["tag"])
    if not tag & C["LOGSTORE_TAG_LIVE"]:
        return "slot not in use"
    if tag & C["LOGSTORE_GENERATION_MASK"] != generation:
        return "stale generation"
    where = int(slot["where"])
    place = (f"frame {where >> C['LOGSTORE_OFFSET_BITS']} "
             f"offset {where & C['LOGSTORE_OFFSET_MASK']}")
    pins = (tag >> C["LOGSTORE_TAG_PINS_SHIFT"]) & C["LOGSTORE_TAG_PINS_MAX"]
    return (tag >> C["LOGSTORE_TAG_LENGTH_SHIFT"], place,
            "live, mapped" if pins else "live")


def store_usage(store):
    """One line of the store's own figures (struct zstore or struct
    logstore counters)."""
    z = zstore_of(store) or logstore_of(store)
    if z is None:
        return f"{store_name(store)}: figures only for zstore and logstore"
    return (f"{store_name(store)}: pages {int(z['pages_stored'])} bytes {int(z['bytes_stored'])} "
            f"data frames {int(z['data_frames'])} metadata frames {int(z['metadata_frames'])} "
            f"limit {int(z['frame_limit'])} frames")


def print_pages(label, pages, per_line=16):
    """A list of page numbers under a label, per_line to a line, the
    continuation lines indented under the first number."""
    indent = " " * 24
    lines = [" ".join(map(str, pages[i:i + per_line])) for i in range(0, len(pages), per_line)]
    print(f"  {label:<21} {lines[0] if lines else '(empty)'}")
    for line in lines[1:]:
        print(indent + line)


class VeilRegions(gdb.Command):
    """List the transformed regions.
Usage: veil-regions

One line per region of the registry (mm/region.c region_table): id, name,
base address, pages, clear-set limit, pages clear and sealed now (region
statistics), and the scheme that seals (POLICY:TRANSFORMS)."""

    def __init__(self):
        super().__init__("veil-regions", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        found = regions()
        print(f"{len(found)} regions")
        print(f"{'id':>4} {'name':<16} {'base':<18} {'pages':>6} {'limit':>6} "
              f"{'clear':>6} {'sealed':>6} scheme")
        for r in found:
            current = r["schemes"][int(r["current_scheme"])]
            print(f"{int(r['id']):>4} {c_string(r['name']):<16} 0x{int(r['base']):016x} "
                  f"{int(r['pages']):>6} {int(r['clear']['limit']):>6} "
                  f"{int(r['clear']['resident']):>6} {int(r['stats']['sealed_pages']):>6} "
                  f"{scheme_text(current)}")


class VeilRegion(gdb.Command):
    """Show one transformed region.
Usage: veil-region NAME|ID

The region's schemes (the sealing one and every older one that still
holds sealed pages, with their page counts: schemes[], scheme_pages[],
current_scheme), its clear set (size and limit, the policy, the member
pages in page order, then in policy order: the order the policy would let
them go, next victim first, for fifo, clock and 2q), its pages by state counted from the page records
(mm/region_page.h), the statistics, and the usage of its page store."""

    def __init__(self):
        super().__init__("veil-region", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        args = gdb.string_to_argv(argument)
        if len(args) != 1:
            raise gdb.GdbError("usage: veil-region NAME|ID")
        r = find_region(args[0])
        current = int(r["current_scheme"])
        print(f"region {int(r['id'])} \"{c_string(r['name'])}\" base 0x{int(r['base']):x} "
              f"pages {int(r['pages'])}")
        print(f"scheme     {scheme_text(r['schemes'][current])} (sealing, slot {current})")
        for slot in range(int(r["schemes"].type.range()[1]) + 1):
            held = int(r["scheme_pages"][slot])
            if slot == current or held:
                print(f"  slot {slot}  {scheme_text(r['schemes'][slot]):<28} {held} sealed pages"
                      f"{' (sealing)' if slot == current else ''}")
        clear = r["clear"]
        members = clear_members(r)
        policy = c_string(clear["policy"]["name"]) if int(clear["policy"]) else "(none)"
        print(f"clear set  {int(clear['resident'])} of {int(clear['limit'])} pages, "
              f"policy {policy}")
        print_pages("in page order", members)
        order = clear_order(r)
        if order is None:
            print(f"  next victim first     (unknown: policy {policy} is not read by these "
                  f"helpers)")
        else:
            print_pages("next victim first", order)
        records = region_records(r)
        counts = {name: 0 for name in STATE_NAMES.values()}
        for record in records:
            counts[STATE_NAMES.get(record["state"], "unpopulated")] += 1
        print("pages      " + "  ".join(f"{name} {counts[name]}" for name in STATE_NAMES.values()))
        stats = r["stats"]
        if counts["sealed"] != int(stats["sealed_pages"]) or counts["clear"] != int(clear["resident"]):
            print(f"  note: the records disagree with the statistics (sealed "
                  f"{int(stats['sealed_pages'])}, clear {int(clear['resident'])}): "
                  f"stopped inside a transition?")
        names = ("faults", "zero_fills", "restores", "evictions", "invalidations",
                 "seal_failures", "corrupt", "reseals")
        print("stats      " + " ".join(f"{n} {int(stats[n])}" for n in names))
        print(f"stored     {int(stats['bytes_stored'])} bytes for {int(stats['sealed_pages'])} "
              f"sealed pages")
        print(f"store      {store_usage(r['store'])}")


class VeilPage(gdb.Command):
    """Show one page of a transformed region.
Usage: veil-page REGION PAGE

REGION is a name or an id, PAGE the page's index in the region (a gdb
expression). Prints the page's address and record: state (unpopulated,
clear, sealed), for a sealed page the scheme slot that sealed it, its
handle, the stored length read from the store's slot table with its size
class (zstore) or its frame and offset (logstore), and in debug builds the content checksum; for a clear page the
frame its PTE maps. The PTE is read too, and a disagreement with the
record is printed (a sealed page's PTE must carry the same handle)."""

    def __init__(self):
        super().__init__("veil-page", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        args = gdb.string_to_argv(argument)
        if len(args) != 2:
            raise gdb.GdbError("usage: veil-page REGION PAGE")
        r = find_region(args[0])
        page = number(args[1])
        if not 0 <= page < int(r["pages"]):
            raise gdb.GdbError(f"page {page} outside region {c_string(r['name'])} "
                               f"(0..{int(r['pages']) - 1})")
        record = region_records(r)[page]
        va = int(r["base"]) + page * PAGE_SIZE
        state = STATE_NAMES.get(record["state"], f"bad state {record['state']}")
        print(f"region {int(r['id'])} \"{c_string(r['name'])}\" page {page} va 0x{va:x}")
        print(f"state      {state}")
        kind, value = walk_result(va, page_walk(va, current_cr3()))
        if record["state"] == 2:
            slot = record["slot"]
            print(f"slot       {slot} ({scheme_text(r['schemes'][slot])})")
            print(f"handle     0x{record['handle']:x}")
            if record["same_filled"]:
                stored = None
                bits = C["REGION_SAME_FILLED_BITS"]
                word = record["handle"] - ((record["handle"] >> (bits - 1)) << bits)
                print(f"stored     nothing: same-filled, word 0x{word & (2**64 - 1):016x}")
            elif record["shared_copy"]:
                stored = None
                index = record["handle"] & ~C["REGION_SHARED_COPY_TAG"]
                print(f"stored     in shared copy {index} (the frame it left while "
                      f"other spaces mapped it, sealed once by the last to leave)")
            else:
                stored = (zstore_object(r["store"], record["handle"])
                          or logstore_object(r["store"], record["handle"]))
            if isinstance(stored, tuple) and logstore_of(r["store"]) is not None:
                print(f"stored     {stored[0]} bytes ({stored[1]}, {stored[2]}) "
                      f"in {store_name(r['store'])}")
            elif isinstance(stored, tuple):
                print(f"stored     {stored[0]} bytes (class of {stored[1]}, {stored[2]}) "
                      f"in {store_name(r['store'])}")
            elif stored is not None:
                print(f"stored     unreadable: {stored}")
            if record["checksum"] is not None:
                print(f"checksum   0x{record['checksum']:016x}")
            agrees = kind == "handle" and value == record["handle"]
            print(f"pte        {'handle 0x%x' % value if kind == 'handle' else kind}"
                  f"{'' if agrees else '  (disagrees with the record)'}")
        elif record["state"] == 1:
            print(f"in clear set {'yes' if page in clear_members(r) else 'NO'}")
            if kind == "frame":
                print(f"frame      0x{value & ~0xFFF:x}")
            else:
                print(f"pte        {kind} (a clear page should be present)")
        else:
            print(f"pte        {kind}")


# ---------------------------------------------------------------- slabs
def slab_caches():
    """Every cache of the slab allocator, newest first (slab_caches list)."""
    cache = symbol("'slab_cache.c'::slab_caches")
    found = []
    while int(cache) != 0:
        found.append(cache)
        cache = cache["next_cache"]
    return found


def slab_figures(cache):
    """What slab_cache_get_stats computes, from the cache's fields."""
    cpus = cache["cpu"]
    cpu_count = int(cpus.type.range()[1]) + 1
    rounds = int(cache["depot"]["full_count"]) * int(cache["magazine_capacity"])
    allocations = frees = 0
    for cpu in range(cpu_count):
        rounds += int(cpus[cpu]["loaded_rounds"]) + int(cpus[cpu]["previous_rounds"])
        allocations += int(cpus[cpu]["allocations"])
        frees += int(cpus[cpu]["frees"])
    counts = [int(cache["list_count"][i]) for i in range(3)]  # full, partial, empty
    out = int(cache["objects_out"])
    layout = cache["layout"][0]
    return {
        "size": int(cache["size"]), "stride": int(layout["stride"]),
        "per_slab": int(layout["count"]), "active": max(out - rounds, 0),
        "total": int(cache["objects_total"]), "slabs": sum(counts),
        "full": counts[0], "partial": counts[1], "empty": counts[2],
        "pages": int(cache["pages"]), "magazines": rounds,
        "allocs": allocations, "frees": frees, "findings": int(cache["findings"]),
        "debug": int(cache["debug"]) != 0,
    }


class VeilSlabs(gdb.Command):
    """List the slab caches with their counters.
Usage: veil-slabs

One line per cache (mm/slab_cache.c slab_caches), the figures of
slab_cache_get_stats / the shell's slabinfo: object size, stride, objects
per slab, objects active (handed out) and in all, slabs (full/partial/
empty), pages, free objects cached in magazines, allocations and frees
counted by the CPU layer, debug findings, debug mode."""

    def __init__(self):
        super().__init__("veil-slabs", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        caches = slab_caches()
        print(f"{len(caches)} caches")
        print(f"{'name':<20} {'size':>6} {'stride':>6} {'/slab':>5} {'active':>7} {'total':>7} "
              f"{'slabs f/p/e':>13} {'pages':>6} {'inmag':>6} {'allocs':>8} {'frees':>8} "
              f"findings debug")
        for cache in caches:
            s = slab_figures(cache)
            slabs = f"{s['slabs']} {s['full']}/{s['partial']}/{s['empty']}"
            print(f"{c_string(cache['name']):<20} {s['size']:>6} {s['stride']:>6} "
                  f"{s['per_slab']:>5} {s['active']:>7} {s['total']:>7} {slabs:>13} "
                  f"{s['pages']:>6} {s['magazines']:>6} {s['allocs']:>8} {s['frees']:>8} "
                  f"{s['findings']:>8} {'on' if s['debug'] else 'off'}")


# ---------------------------------------------------------------- trace
def enum_names(type_name, prefix):
    """An enum's values to its enumerators' names without prefix; {} when
    the kernel's debug information lacks the enum."""
    try:
        kind = gdb.lookup_type(type_name)
    except gdb.error:
        return {}
    return {int(f.enumval): f.name[len(prefix):] for f in kind.fields()
            if f.name.startswith(prefix)}


def event_names():
    """Record types to the names the dump prints: the TLB events (enum
    tlb_event_type), a fault's two ends and the store records (enum
    trace_record_type)."""
    names = enum_names("enum tlb_event_type", "TLB_EVENT_")
    names.update(enum_names("enum trace_record_type", "TRACE_"))  # its first is TLB_EVENT_TYPES
    return {k: v for k, v in names.items() if v not in ("TYPES", "RECORD_TYPES")}


def outcome_names():
    """enum trace_fault_outcome's values to the dump's outcome names
    (TRACE_OUTCOME_ZERO_FILLED: zero-filled)."""
    return {k: v.lower().replace("_", "-")
            for k, v in enum_names("enum trace_fault_outcome", "TRACE_OUTCOME_").items()}


def trace_last(count):
    """The newest count records of all CPUs' rings (mm/trace.c), oldest
    first by timestamp, as dicts; records being rewritten (seq not the one
    their place implies) are left out, as the dump does."""
    rings = symbol("'trace.c'::trace_rings")
    cpu_count = int(rings.type.range()[1]) + 1
    names = event_names()
    outcomes = outcome_names()
    found = []
    for cpu in range(cpu_count):
        if int(rings[cpu]) == 0:
            continue	# a CPU never prepared (mm_cpu_prepare): no ring
        ring = rings[cpu].dereference()
        capacity = int(ring["records"].type.range()[1]) + 1
        last = int(ring["next_seq"])
        first = max(1, last - min(count, capacity) + 1)
        for seq in range(first, last + 1):
            record = ring["records"][seq % capacity]
            if int(record["seq"]) != seq:
                continue
            found.append({"seq": seq, "cpu": int(record["cpu"]), "ts": int(record["timestamp"]),
                          "type": names.get(int(record["type"]), str(int(record["type"]))),
                          "region": int(record["region_id"]), "va": int(record["address"]),
                          "frame": int(record["frame"]),
                          "bytes": int(record["length"]), "stored": int(record["stored"]),
                          "outcome": outcomes.get(int(record["outcome"]),
                                                  str(int(record["outcome"])))})
    found.sort(key=lambda r: (r["ts"], r["cpu"], r["seq"]))
    return found[-count:] if count else []


class VeilTraceLast(gdb.Command):
    """Print the last N records (TLB events, fault entries and returns, store puts and frees) of the trace.
Usage: veil-trace-last [N]      (N defaults to 10)

Reads the per-CPU rings of mm/trace.c (whatever trace_start recorded,
even when tracing is off now) and prints the newest N records of all CPUs
by timestamp, one per line in the format of the kernel's trace dump
(docs/tlb-events.md), so tools/veil-trace and tools/veil-plot read them."""

    def __init__(self):
        super().__init__("veil-trace-last", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        args = gdb.string_to_argv(argument)
        if len(args) > 1:
            raise gdb.GdbError("usage: veil-trace-last [N]")
        count = number(args[0]) if args else 10
        records = trace_last(count)
        print(f"{len(records)} events")
        for r in records:
            tail = ""
            if r["type"] == "FAULT_RETURN":
                tail = f" outcome={r['outcome']}"
            elif r["type"] in ("STORE_PUT", "STORE_FREE"):
                tail = f" bytes={r['bytes']} stored={r['stored']}"
            print(f"tlbev seq={r['seq']} cpu={r['cpu']} ts={r['ts']} type={r['type']} "
                  f"region={r['region']} va=0x{r['va']:x} frame=0x{r['frame']:x}{tail}")


# ---------------------------------------------------------------- threads
def thread_list():
    """Every thread of kernel/sched/thread.c's list, oldest first."""
    head = symbol("'thread.c'::thread_list")
    link_type = gdb.lookup_type("struct thread").pointer()
    offset = int(gdb.parse_and_eval("(unsigned long)&((struct thread *)0)->list_link"))
    found = []
    link = head["next"]
    while int(link) != int(head.address):
        found.append(gdb.Value(int(link) - offset).cast(link_type).dereference())
        link = link["next"]
    return found


def thread_state_names():
    kind = gdb.lookup_type("enum thread_state")
    return {int(f.enumval): f.name.replace("THREAD_", "").lower() for f in kind.fields()}


class VeilThreads(gdb.Command):
    """List the kernel's threads.
Usage: veil-threads

One line per thread of the scheduler's list (kernel/sched/thread.c), as
the shell's `threads` prints it: id, name, the CPU it runs or last ran on,
state, run time in ticks (milliseconds), and its affinity mask."""

    def __init__(self):
        super().__init__("veil-threads", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        if argument.strip():
            raise gdb.GdbError("usage: veil-threads")
        names = thread_state_names()
        threads = thread_list()
        print(f"{len(threads)} threads")
        for t in threads:
            print(f"thread id={int(t['id'])} name={c_string(t['name'])} cpu={int(t['cpu'])} "
                  f"state={names.get(int(t['state']), int(t['state']))} "
                  f"run_ms={int(t['run_ticks'])} affinity=0x{int(t['affinity']):x}")


def cpu_areas():
    """The per-CPU areas of the CPUs online (arch/x86/cpu_local.c)."""
    areas = symbol("'cpu_local.c'::cpu_locals")
    online = int(symbol("cpu_online_count"))
    return [areas[i] for i in range(online)]


class VeilCpus(gdb.Command):
    """List the CPUs online with the thread each runs.
Usage: veil-cpus

One line per online CPU (kernel/lib/cpu.h struct cpu_local): index, APIC
id, state, timer ticks and idle ticks, preemption count, and the thread
it runs now (id and name)."""

    def __init__(self):
        super().__init__("veil-cpus", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        if argument.strip():
            raise gdb.GdbError("usage: veil-cpus")
        kind = gdb.lookup_type("enum cpu_state")
        states = {int(f.enumval): f.name.replace("CPU_", "").lower() for f in kind.fields()}
        areas = cpu_areas()
        print(f"{len(areas)} CPUs online")
        for cpu in areas:
            current = cpu["current"]
            running = (f"thread id={int(current['id'])} name={c_string(current['name'])}"
                       if int(current) else "no thread")
            print(f"cpu index={int(cpu['index'])} apic_id={int(cpu['apic_id'])} "
                  f"state={states.get(int(cpu['state']), int(cpu['state']))} "
                  f"ticks={int(cpu['ticks'])} idle_ticks={int(cpu['idle_ticks'])} "
                  f"preempt_count={int(cpu['preempt_count'])} running {running}")


VeilPt()
VeilRegions()
VeilRegion()
VeilPage()
VeilSlabs()
VeilTraceLast()
VeilThreads()
VeilCpus()
