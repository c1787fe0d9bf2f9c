"""Step `trace-json`: tools/veil-trace turns the canned serial log of the
plot step (tests/plot/session.log) into Chrome trace-event JSON that
Perfetto opens, and refuses logs it cannot convert.

The JSON is checked against the format's required fields (a traceEvents
array; every event with name, ph, ts, pid and tid; instants with a scope
s; counters with numeric args; metadata naming the tracks) and against the
log itself, read here with a regex of this file's own: one instant per
tlbev line with the same type, seq, CPU, region and address, the first
timestamp converted with the log's trace-clock rate, one track per CPU,
and the clear-set counter ending at MAP - EVICT - INVALIDATE."""
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
SCOPES = ("g", "p", "t")


def run_tool(*args):
    return subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=60)


def log_facts(path):
    """What the canned log says, read independently of the tool."""
    with open(path) as f:
        text = f.read()
    events = [m.groups() for m in map(EVENT_LINE.match, text.splitlines()) if m]
    clock = re.search(r"^trace-clock tsc_hz=(\d+)$", text, re.M)
    bases = {int(i): (name, int(base, 16)) for i, name, base in
             re.findall(r"^region id=(\d+) name=(\S+) base=0x([0-9a-f]+) ", text, re.M)}
    return {"events": events, "tsc_hz": int(clock.group(1)) if clock else None,
            "bases": bases, "text": text}


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
        if event["ph"] == "C" and not (isinstance(event.get("args"), dict) and event["args"]
                                       and all(is_number(v) for v in event["args"].values())):
            problems.append(f"counter {i} has no numeric args: {event}")
        if event["ph"] == "M" and "name" not in event.get("args", {}) and \
                event["name"] in ("process_name", "thread_name"):
            problems.append(f"metadata {i} names nothing: {event}")
    return problems[:5]


def check_events(document, facts):
    """The instants against the log's tlbev lines."""
    instants = [e for e in document["traceEvents"] if e.get("ph") == "i"]
    got = sorted((e["name"], e["args"]["seq"], e["tid"], e["args"]["region"], e["args"]["va"])
                 for e in instants)
    want = sorted((t, int(seq), int(cpu), int(region), va)
                  for seq, cpu, ts, t, region, va in facts["events"])
    first = facts["events"][0]
    first_event = next((e for e in instants if e["args"]["seq"] == int(first[0])
                        and e["tid"] == int(first[1])), None)
    want_ts = int(first[2]) * 1e6 / facts["tsc_hz"]
    ts_ok = first_event is not None and abs(first_event["ts"] - want_ts) < 0.001
    # the stats line after the dump names the region and its base
    name, base = facts["bases"].get(int(first[4]), (None, 0))
    want_page = (int(first[5], 16) - base) // 4096
    page = (first_event["args"].get("region_name"), first_event["args"].get("page")) \
        if first_event else None
    return ("trace-json:events-match-log", got == want and len(want) > 0 and ts_ok
            and name is not None and page == (name, want_page),
            f"{len(got)} instants for {len(want)} tlbev lines, equal: {got == want}; first "
            f"event ts {first_event['ts'] if first_event else None} us, log gives "
            f"{want_ts:.3f} us (ts={first[2]} / tsc_hz={facts['tsc_hz']}); its (region, page) "
            f"{page}, the log's region line gives {(name, want_page)}")


def check_tracks(document, facts):
    names = {e["tid"]: e["args"]["name"] for e in document["traceEvents"]
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    cpus = sorted({int(cpu) for _, cpu, _, _, _, _ in facts["events"]})
    want = {cpu: f"CPU {cpu}" for cpu in cpus}
    instant_tids = {e["tid"] for e in document["traceEvents"] if e.get("ph") == "i"}
    return ("trace-json:one-track-per-cpu", names == want and instant_tids == set(cpus),
            f"thread names {names}, CPUs in the log {cpus}, instants on tids {instant_tids}")


def check_counter(document, facts):
    counters = [e for e in document["traceEvents"] if e.get("ph") == "C"]
    regions = sorted({int(r) for _, _, _, _, r, _ in facts["events"]})
    problems = []
    for region in regions:
        types = [t for _, _, _, t, r, _ in facts["events"] if int(r) == region]
        want_end = types.count("MAP") - types.count("EVICT") - types.count("INVALIDATE")
        mine = [e for e in counters if e["name"] == f"clear set region {region}"]
        want_count = len([t for t in types if t != "FAULT"])
        if len(mine) != want_count or not mine or mine[-1]["args"]["pages"] != want_end:
            problems.append(f"region {region}: {len(mine)} counter events (want {want_count}), "
                            f"last {mine[-1]['args'] if mine else None} (want pages {want_end})")
    return ("trace-json:clear-set-counter", not problems and regions,
            "; ".join(problems) or f"regions {regions}")


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
               check_counter(document, facts)]

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
        raw_ts = sorted(e["ts"] for e in raw_doc.get("traceEvents", []) if e.get("ph") == "i")
        want_ts = sorted(int(ts) for _, _, ts, _, _, _ in facts["events"])
        note = raw_doc.get("otherData", {}).get("timestamps", "")
        checks.append(("trace-json:no-clock-raw-ticks", raw_ts == want_ts and "raw" in note,
                       f"exit {raw.returncode}; ts equal to the ticks: {raw_ts == want_ts}; "
                       f"otherData.timestamps {note!r}"))

        cut = variant(work, "cut.log", re.sub(r"^tlbev-end .*\n", "", facts["text"], flags=re.M))
        checks.append(check_refused("cut-dump-refused", cut, "has no tlbev-end"))
    checks.append(check_refused("malformed-refused", MALFORMED,
                                "malformed.log:22: malformed tlbev line"))
    checks.append(check_refused("no-trace-refused", NO_TRACE, "no trace dump"))
    return checks
