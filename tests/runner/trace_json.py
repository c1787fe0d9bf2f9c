"""Step `trace-json`: tools/veil-trace turns the canned serial log of the
plot step (tests/plot/session.log) into Chrome trace-event JSON that
Perfetto opens, and refuses logs it cannot convert.

The JSON is checked against the format's required fields (a traceEvents
array; every event with name, ph, ts, pid and tid; instants with a scope
s; complete events with a duration dur >= 0; counters with numeric args;
metadata naming the tracks) and against the log itself, read here with a
regex of this file's own: one instant per TLB event line with the same
type, seq, CPU, region and address, the first timestamp converted with
the log's trace-clock rate, one track per CPU, the clear-set counter
ending at MAP - EVICT - INVALIDATE, and one slice per FAULT_ENTER /
FAULT_RETURN pair of one CPU with the pair's times, the return's outcome,
the region's page and scheme from the log's region line, holding the
fault's FAULT instant; the canned log has restored and zero-filled
faults; one instant per STORE_PUT/STORE_FREE line with its bytes and
stored, and a "store region N" counter per region whose values are the
lines' stored at their times, each moved from the one before by the
line's bytes (up on a seal, down on a free), the last equal to the
bytes_stored of the region's line after the dump. Variants of the log:
without its clock (raw ticks), with a return removed (its enter stays
an instant, counted as unpaired), without its store lines (a log of an
older kernel: converts, no store counter), with an outcome or a store
record's bytes removed or the dump cut (refused)."""
import json
import os
import re
import subprocess
import tempfile

from .steps import RUN_DIR

TOOL = os.path.join("tools", "veil-trace")
CANNED = os.path.join("tests", "plot", "session.log")
MALFORMED = os.path.join("tests", "plot", "malformed.log")
NO_TRACE = os.path.join("tests", "runner", "canned", "good.log")
EVENT_LINE = re.compile(r"^tlbev seq=(\d+) cpu=(\d+) ts=(\d+) type=(\w+) region=(\d+) "
                        r"va=(0x[0-9a-f]+) ")
FAULT_LINE = re.compile(r"^tlbev seq=(\d+) cpu=(\d+) ts=(\d+) type=(FAULT_ENTER|FAULT_RETURN) "
                        r"region=(\d+) va=(0x[0-9a-f]+) frame=0x[0-9a-f]+(?: outcome=(\S+))?$")
STORE_LINE = re.compile(r"^tlbev seq=(\d+) cpu=(\d+) ts=(\d+) type=(STORE_PUT|STORE_FREE) "
                        r"region=(\d+) va=(0x[0-9a-f]+) frame=0x[0-9a-f]+ bytes=(\d+) "
                        r"stored=(\d+)$")
TLB_TYPES = ("MAP", "FAULT", "EVICT", "INVALIDATE")
STORE_TYPES = ("STORE_PUT", "STORE_FREE")
SCOPES = ("g", "p", "t")


def run_tool(*args):
    return subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=60)


def log_facts(path):
    """What the canned log says, read independently of the tool."""
    with open(path) as f:
        text = f.read()
    lines = text.splitlines()
    events = [m.groups() for m in map(EVENT_LINE.match, lines) if m and m.group(4) in TLB_TYPES]
    faults = [m.groups() for m in map(FAULT_LINE.match, lines) if m]
    stores = [m.groups() for m in map(STORE_LINE.match, lines) if m]
    clock = re.search(r"^trace-clock tsc_hz=(\d+)$", text, re.M)
    bases = {int(i): (name, int(base, 16)) for i, name, base in
             re.findall(r"^region id=(\d+) name=(\S+) base=0x([0-9a-f]+) ", text, re.M)}
    schemes = dict((int(i), scheme) for i, scheme in
                   re.findall(r"^region id=(\d+) .* scheme=(\S+) ", text, re.M))
    # each region's store bytes as its last `regions`/`stats` line gives them
    bytes_stored = dict((int(i), int(b)) for i, b in
                        re.findall(r"^region id=(\d+) .* bytes_stored=(\d+) ", text, re.M))
    return {"events": events, "faults": faults, "stores": stores,
            "tsc_hz": int(clock.group(1)) if clock else None, "bases": bases,
            "schemes": schemes, "bytes_stored": bytes_stored, "text": text}


def log_pairs(faults):
    """The log's faults as (enter, return) line pairs: on each CPU, in the
    dump's order, a return closes the newest open enter of its page."""
    pairs, open_faults = [], {}
    for fault in faults:
        seq, cpu, ts, kind, region, va, outcome = fault
        key = (cpu, region, va)
        if kind == "FAULT_ENTER":
            open_faults.setdefault(key, []).append(fault)
        elif open_faults.get(key):
            pairs.append((open_faults[key].pop(), fault))
    return pairs


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def field_problems(document):
    """Every way the document misses the format's required fields."""
    if not isinstance(document, dict) or not isinstance(document.get("traceEvents"), list):
        return ["no traceEvents array"]
    problems = []
    for i, event in enumerate(document["traceEvents"]):
        missing = [k for k in ("name", "ph", "ts", "pid", "tid") if k not in event]
        if missing:
            problems.append(f"event {i} lacks {missing}")
            continue
        if not (isinstance(event["name"], str) and isinstance(event["ph"], str)
                and is_number(event["ts"]) and isinstance(event["pid"], int)
                and isinstance(event["tid"], int)):
            problems.append(f"event {i} has a field of the wrong type: {event}")
        if event["ph"] == "i" and event.get("s") not in SCOPES:
            problems.append(f"instant {i} has no scope s: {event}")
        if event["ph"] == "X" and not (is_number(event.get("dur")) and event["dur"] >= 0):
            problems.append(f"complete event {i} has no duration dur >= 0: {event}")
        if event["ph"] == "C" and not (isinstance(event.get("args"), dict) and event["args"]
                                       and all(is_number(v) for v in event["args"].values())):
            problems.append(f"counter {i} has no numeric args: {event}")
        if event["ph"] == "M" and "name" not in event.get("args", {}) and \
                event["name"] in ("process_name", "thread_name"):
            problems.append(f"metadata {i} names nothing: {event}")
    return problems[:5]


def check_events(document, facts):
    """The instants against the log's TLB event lines: all of them, the
    first one's timestamp, and the region name and page of the first one
    whose region the log's region line names (a region destroyed before
    the `regions` or `stats` line has none)."""
    instants = [e for e in document["traceEvents"] if e.get("ph") == "i"]
    got = sorted((e["name"], e["args"]["seq"], e["tid"], e["args"]["region"], e["args"]["va"],
                  e["args"].get("bytes"), e["args"].get("stored")) for e in instants)
    want = sorted([(t, int(seq), int(cpu), int(region), va, None, None)
                   for seq, cpu, ts, t, region, va in facts["events"]] +
                  [(t, int(seq), int(cpu), int(region), va, int(size), int(stored))
                   for seq, cpu, ts, t, region, va, size, stored in facts["stores"]])

    def instant_of(line):
        return next((e for e in instants if e["args"]["seq"] == int(line[0])
                     and e["tid"] == int(line[1])), None)

    first = facts["events"][0]
    first_event = instant_of(first)
    want_ts = int(first[2]) * 1e6 / facts["tsc_hz"]
    ts_ok = first_event is not None and abs(first_event["ts"] - want_ts) < 0.001
    named = next((e for e in facts["events"] if int(e[4]) in facts["bases"]), None)
    named_event = instant_of(named) if named else None
    name, base = facts["bases"].get(int(named[4]), (None, 0)) if named else (None, 0)
    want_page = (int(named[5], 16) - base) // 4096 if named else None
    page = (named_event["args"].get("region_name"), named_event["args"].get("page")) \
        if named_event else None
    return ("trace-json:events-match-log", got == want and len(want) > 0 and ts_ok
            and name is not None and page == (name, want_page),
            f"{len(got)} instants for {len(want)} TLB event and store lines, equal: "
            f"{got == want}; first "
            f"event ts {first_event['ts'] if first_event else None} us, log gives "
            f"{want_ts:.3f} us (ts={first[2]} / tsc_hz={facts['tsc_hz']}); the first event "
            f"of a named region: (region, page) {page}, the log's region line gives "
            f"{(name, want_page)}")


def check_tracks(document, facts):
    names = {e["tid"]: e["args"]["name"] for e in document["traceEvents"]
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    cpus = sorted({int(event[1]) for event in facts["events"] + facts["faults"]})
    want = {cpu: f"CPU {cpu}" for cpu in cpus}
    instant_tids = {e["tid"] for e in document["traceEvents"] if e.get("ph") in ("i", "X")}
    return ("trace-json:one-track-per-cpu", names == want and instant_tids == set(cpus),
            f"thread names {names}, CPUs in the log {cpus}, instants and slices on tids "
            f"{instant_tids}")


def check_counter(document, facts):
    counters = [e for e in document["traceEvents"] if e.get("ph") == "C"]
    regions = sorted({int(r) for _, _, _, _, r, _ in facts["events"]})
    problems = []
    for region in regions:
        types = [t for _, _, _, t, r, _ in facts["events"] if int(r) == region]
        want_end = types.count("MAP") - types.count("EVICT") - types.count("INVALIDATE")
        mine = [e for e in counters if e["name"] == f"clear set region {region}"]
        want_count = len([t for t in types if t in ("MAP", "EVICT", "INVALIDATE")])
        if len(mine) != want_count or not mine or mine[-1]["args"]["pages"] != want_end:
            problems.append(f"region {region}: {len(mine)} counter events (want {want_count}), "
                            f"last {mine[-1]['args'] if mine else None} (want pages {want_end})")
    return ("trace-json:clear-set-counter", not problems and regions,
            "; ".join(problems) or f"regions {regions}")


def store_problems(region, mine, lines, facts):
    """How region's store counter differs from its store lines (in the
    dump's time order): one value per line, at the line's time, equal to
    its stored; each line moving stored from the one before by its copy's
    bytes, up for STORE_PUT and down for STORE_FREE; the last equal to the
    region's bytes_stored in the log's region line after the dump."""
    problems = []
    hz = facts["tsc_hz"]
    got = [(e["ts"], e["args"].get("bytes")) for e in mine]
    want = [(round(int(ts) * 1e6 / hz, 3), int(stored))
            for _, _, ts, _, _, _, _, stored in lines]
    if len(got) != len(want) or any(abs(g[0] - w[0]) > 0.001 or g[1] != w[1]
                                    for g, w in zip(got, want)):
        problems.append(f"{len(got)} counter values {got[:3]}..., the log's store lines give "
                        f"{len(want)}: {want[:3]}...")
    for before, line in zip(lines, lines[1:]):
        kind, size, stored = line[3], int(line[6]), int(line[7])
        step = size if kind == "STORE_PUT" else -size
        if stored != int(before[7]) + step:
            problems.append(f"{kind} seq={line[0]} bytes={size}: stored {before[7]} -> "
                            f"{stored}, not moved by {step:+d}")
    final = facts["bytes_stored"].get(region)
    if final is not None and mine and mine[-1]["args"].get("bytes") != final:
        problems.append(f"last value {mine[-1]['args'].get('bytes')}, the region line after "
                        f"the dump says bytes_stored={final}")
    return [f"region {region}: {p}" for p in problems[:3]]


def check_store_counter(document, facts):
    """A "store region N" counter per region with store lines, its values
    the lines' stored, rising on seals and falling on frees; the canned log
    has both, and a region whose line after the dump gives its total."""
    counters = [e for e in document["traceEvents"] if e.get("ph") == "C"
                and e["name"].startswith("store region ")]
    order = sorted(facts["stores"], key=lambda line: (int(line[2]), int(line[1]), int(line[0])))
    regions = sorted({int(line[4]) for line in order})
    problems = []
    for region in regions:
        mine = [e for e in counters if e["name"] == f"store region {region}"]
        problems += store_problems(region, mine, [line for line in order
                                                  if int(line[4]) == region], facts)
    unknown = {e["name"] for e in counters} - {f"store region {r}" for r in regions}
    if unknown:
        problems.append(f"store counters of regions without store lines: {sorted(unknown)}")
    kinds = {line[3] for line in order}
    checked = [r for r in regions if r in facts["bytes_stored"]]
    ok = (not problems and kinds == set(STORE_TYPES) and checked and
          document.get("otherData", {}).get("store_records") == len(order))
    return ("trace-json:store-bytes-counter", ok,
            f"{len(order)} store lines ({sorted(kinds)}) of regions {regions}, "
            f"{len(counters)} counter values; totals checked against region lines of "
            f"{checked}; otherData.store_records "
            f"{document.get('otherData', {}).get('store_records')}; "
            + ("; ".join(problems) or "every value as the log says"))


def slice_problems(piece, enter, ret, facts, instants):
    """How one slice differs from the log's enter/return pair."""
    seq, cpu, ticks, _, region, va, _ = enter
    end_ticks, outcome = int(ret[2]), ret[6]
    hz = facts["tsc_hz"]
    name, base = facts["bases"].get(int(region), (None, 0))
    want_args = {"region": int(region), "va": va, "outcome": outcome,
                 "restored": outcome == "restored", "region_name": name,
                 "page": (int(va, 16) - base) // 4096, "scheme": facts["schemes"].get(int(region))}
    args = piece.get("args", {})
    problems = [f"args {k}={args.get(k)!r}, log gives {v!r}" for k, v in want_args.items()
                if args.get(k) != v or v is None]
    if piece["tid"] != int(cpu) or piece["pid"] != 1:
        problems.append(f"on pid {piece['pid']} tid {piece['tid']}, not CPU {cpu}")
    if abs(piece["ts"] - int(ticks) * 1e6 / hz) > 0.001 or \
            abs(piece["dur"] - (end_ticks - int(ticks)) * 1e6 / hz) > 0.002:
        problems.append(f"ts {piece['ts']} dur {piece['dur']}, log gives ticks {ticks}.."
                        f"{end_ticks} at {hz} Hz")
    inside = [e for e in instants if e["name"] == "FAULT" and e["tid"] == piece["tid"]
              and e["args"]["va"] == va and piece["ts"] <= e["ts"] <= piece["ts"] + piece["dur"]]
    if len(inside) != 1:
        problems.append(f"{len(inside)} FAULT instants of its page inside it, want 1")
    return [f"slice of enter seq={seq} cpu={cpu}: {p}" for p in problems]


def check_slices(document, facts):
    """One slice per enter/return pair of the log, each as the log says;
    restored and zero-filled faults both among them."""
    slices = {(e["tid"], e["args"].get("enter_seq")): e for e in document["traceEvents"]
              if e.get("ph") == "X"}
    instants = [e for e in document["traceEvents"] if e.get("ph") == "i"]
    pairs = log_pairs(facts["faults"])
    problems = []
    for enter, ret in pairs:
        piece = slices.get((int(enter[1]), int(enter[0])))
        if piece is None:
            problems.append(f"no slice for enter seq={enter[0]} cpu={enter[1]}")
            continue
        problems += slice_problems(piece, enter, ret, facts, instants)
    outcomes = {}
    for _, ret in pairs:
        outcomes[ret[6]] = outcomes.get(ret[6], 0) + 1
    counted = document.get("otherData", {}).get("fault_slices")
    ok = (not problems and len(slices) == len(pairs) == counted and
          outcomes.get("restored", 0) > 0 and outcomes.get("zero-filled", 0) > 0)
    return ("trace-json:fault-slices", ok,
            f"{len(slices)} slices for {len(pairs)} enter/return pairs in the log "
            f"(otherData.fault_slices {counted}), outcomes {outcomes}; "
            + ("; ".join(problems[:4]) or "every slice matches its pair"))


def drop_first_return(text):
    """The log with its first FAULT_RETURN line gone and the dump's count
    fixed: that fault's enter has no return now."""
    lines = text.splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if " type=FAULT_RETURN " in line)
    enter = next(line for line in reversed(lines[:index]) if " type=FAULT_ENTER " in line)
    del lines[index]
    out = "".join(lines)
    count = int(re.search(r"^tlbev-end records=(\d+) ", out, re.M).group(1))
    out = re.sub(r"^tlbev-end records=\d+ ", f"tlbev-end records={count - 1} ", out, flags=re.M)
    return out, int(re.match(r"tlbev seq=(\d+) cpu=(\d+) ", enter).group(1))


def check_unpaired(work, facts, document):
    text, enter_seq = drop_first_return(facts["text"])
    run = run_tool(variant(work, "unpaired.log", text))
    doc = json.loads(run.stdout) if run.returncode == 0 else {}
    events = doc.get("traceEvents", [])
    lonely = [e for e in events if e.get("ph") == "i" and e["name"] == "FAULT_ENTER"]
    slices = [e for e in events if e.get("ph") == "X"]
    want_slices = document["otherData"]["fault_slices"] - 1
    other = doc.get("otherData", {})
    return ("trace-json:unpaired-enter-instant",
            run.returncode == 0 and len(lonely) == 1 and lonely[0]["args"]["seq"] == enter_seq
            and len(slices) == want_slices and other.get("unpaired_fault_records") == 1,
            f"exit {run.returncode}; FAULT_ENTER instants {[e['args']['seq'] for e in lonely]} "
            f"(want [{enter_seq}]), {len(slices)} slices (want {want_slices}), "
            f"unpaired {other.get('unpaired_fault_records')}")


def check_old_log(work, facts, document):
    """A log from before the store records (the canned one without its
    STORE_PUT/STORE_FREE lines, the dump's count fixed) still converts: the
    same instants but those, the same slices, no store counter."""
    lines = facts["text"].splitlines(keepends=True)
    kept = [line for line in lines if not re.match(r"tlbev .* type=STORE_(PUT|FREE) ", line)]
    text = "".join(kept)
    count = int(re.search(r"^tlbev-end records=(\d+) ", text, re.M).group(1))
    text = re.sub(r"^tlbev-end records=\d+ ", f"tlbev-end records={count - (len(lines) - len(kept))} ",
                  text, flags=re.M)
    run = run_tool(variant(work, "old.log", text))
    doc = json.loads(run.stdout) if run.returncode == 0 else {}
    events = doc.get("traceEvents", [])

    def kinds(evs, ph):
        return sorted(e["name"] for e in evs if e.get("ph") == ph and e["name"] not in STORE_TYPES)

    same = (kinds(events, "i") == kinds(document["traceEvents"], "i") and
            kinds(events, "X") == kinds(document["traceEvents"], "X"))
    store_counters = [e for e in events if e.get("ph") == "C" and e["name"].startswith("store ")]
    return ("trace-json:log-without-store-records",
            run.returncode == 0 and same and not store_counters and len(kept) < len(lines)
            and doc.get("otherData", {}).get("store_records") == 0,
            f"exit {run.returncode} {run.stderr.strip()[-200:]!r}; {len(lines) - len(kept)} store "
            f"lines removed; other instants and slices as before: {same}; "
            f"{len(store_counters)} store counter values")


def check_refused(name, path, want_message):
    run = run_tool(path)
    return (f"trace-json:{name}", run.returncode == 1 and want_message in run.stderr
            and run.stdout == "",
            f"exit {run.returncode}, stderr {run.stderr.strip()[-300:]!r}, "
            f"{len(run.stdout)} bytes on stdout")


def variant(work, name, text):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def step(ctx):
    facts = log_facts(CANNED)
    run = run_tool(CANNED)
    try:
        document = json.loads(run.stdout)
    except ValueError as error:
        document = None
        run_error = str(error)
    checks = [("trace-json:canned-log", run.returncode == 0 and document is not None,
               f"exit {run.returncode}: {run.stderr.strip()[-300:]} "
               f"{'' if document is not None else run_error}")]
    if document is None:
        return checks
    ctx.save_log("trace-json", run.stdout)
    problems = field_problems(document)
    checks.append(("trace-json:required-fields", not problems, "; ".join(problems)))
    if problems:
        return checks
    checks += [check_events(document, facts), check_tracks(document, facts),
               check_counter(document, facts), check_store_counter(document, facts),
               check_slices(document, facts)]

    with tempfile.TemporaryDirectory(dir=RUN_DIR) as work:
        out = os.path.join(work, "trace.json")
        written = run_tool(CANNED, "-o", out)
        same = False
        if written.returncode == 0 and os.path.exists(out):
            with open(out) as f:
                same = json.load(f) == document
        checks.append(("trace-json:output-file", same and written.stdout == "",
                       f"exit {written.returncode}; -o FILE gives the stdout JSON: {same}"))

        no_clock = variant(work, "no-clock.log",
                           re.sub(r"^trace-clock .*\n", "", facts["text"], flags=re.M))
        raw = run_tool(no_clock)
        raw_doc = json.loads(raw.stdout) if raw.returncode == 0 else {}
        raw_ts = sorted(e["ts"] for e in raw_doc.get("traceEvents", [])
                        if e.get("ph") in ("i", "X"))
        want_ts = sorted([int(event[2]) for event in facts["events"] + facts["stores"]] +
                         [int(enter[2]) for enter, _ in log_pairs(facts["faults"])])
        note = raw_doc.get("otherData", {}).get("timestamps", "")
        checks.append(("trace-json:no-clock-raw-ticks", raw_ts == want_ts and "raw" in note,
                       f"exit {raw.returncode}; ts equal to the ticks: {raw_ts == want_ts}; "
                       f"otherData.timestamps {note!r}"))

        cut = variant(work, "cut.log", re.sub(r"^tlbev-end .*\n", "", facts["text"], flags=re.M))
        checks.append(check_refused("cut-dump-refused", cut, "has no tlbev-end"))
        checks.append(check_unpaired(work, facts, document))
        no_outcome = variant(work, "no-outcome.log", re.sub(r" outcome=\S+$", "", facts["text"],
                                                            count=1, flags=re.M))
        checks.append(check_refused("return-without-outcome-refused", no_outcome,
                                    "FAULT_RETURN without its outcome"))
        no_size = variant(work, "no-size.log", re.sub(r"( type=STORE_PUT .*) bytes=\d+ stored=\d+$",
                                                      r"\1", facts["text"], count=1, flags=re.M))
        checks.append(check_refused("store-without-bytes-refused", no_size,
                                    "STORE_PUT without its bytes and stored"))
        checks.append(check_old_log(work, facts, document))
    checks.append(check_refused("malformed-refused", MALFORMED,
                                "malformed.log:22: malformed tlbev line"))
    checks.append(check_refused("no-trace-refused", NO_TRACE, "no trace dump"))
    return checks
