#!/usr/bin/env python3
"""Page start-up and browser/native speed of Descent Lab (figures only, no asserts).

    PYTHONPATH=pywasm .venv/bin/python bench/bench_startup.py [-n 5] [--repeats 3] [--no-native]
        [--first-only] [--against OTHER_DIST]

Serves dist/ on a free port of 127.0.0.1 and launches Debian's Chromium headless N times,
for the hosted app (http) and the one-file descentlab.html (file://):
  cold  a fresh user-data-dir each launch (empty HTTP and wasm code caches)
  warm  one user-data-dir reused (primed once, not counted, until the page had stored its
        interpreter's memory snapshot), and the same with ?snapshot=0 (hosted only)
  warm, worker alone  the same profile, but a bare page that only starts the worker (same
        name, so the same snapshot) and asks it for the app's default landscape scene: what
        the runtime takes with no page around it, the least "interactive" could be here
        (hosted only; its "interactive" is when that result arrives, and so its "first
        result" row is ready -> arrived; skipped for a dist/ without a scene table)
For each it prints the median (and range) in ms since navigation of:
  - the marks descentlab:first-scene (a trajectory on screen, precomputed or live) and
    descentlab:interactive (the first live result from the worker drawn);
  - the CPU time Chromium spent from navigation to interactive, all its processes together
    and the renderer's and the browser's (Linux: read from /proc; the page, its workers and
    V8's compile threads all run in the renderer). On 2 cores, wall time can be no less
    than half of it (with --first-only: to the first scene);
  - when the page saw each loading stage begin (descentlab.startup.page) and, when the
    worker reports them (descentlab.startup.worker), its own stage durations: fetch +
    compile + instantiate (loadPyodide), interpreter start, NumPy load, NumPy import,
    Descent Lab import, first result; and in how many loads the interpreter started from
    the memory snapshot (descentlab.startup.snapshot).
--first-only waits only for the first-scene mark (quicker; the interactive rows are empty).
--against DIR serves another built copy of dist/ (e.g. one built from an older commit) beside
this build and takes turns between the two in every mode, so both see the same load on the
machine; it prints both tables and the per-turn ratio of first-scene times (this / other).
Then, on one warm page, the browser/native time ratio for a fixed landscape spec and a
fixed network spec (native: time.perf_counter around descentlab.run).
"""
from __future__ import annotations

import argparse
import copy
import functools
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(os.environ.get("DESCENTLAB_SRC") or ROOT / "pywasm").resolve()))

import descentlab  # noqa: E402

from common import load_build_tool  # noqa: E402  (bench/common.py: build.py as a module)

TOOL = load_build_tool()
CHROMIUM, CHROMIUM_ARGS = TOOL.CHROMIUM, TOOL.CHROMIUM_ARGS

LANDSCAPE_SPEC = {"kind": "landscape", "function": "rosenbrock", "start": [-1.5, 2.0], "steps": 500,
                  "optimizers": [{"name": "adam", "lr": 0.05},
                                 {"name": "sgd", "lr": 0.001, "momentum": 0.9, "nesterov": True}],
                  "record_state": False}
NETWORK_SPEC = {"kind": "network", "dataset": {"name": "moons", "n": 400, "noise": 0.2, "seed": 0},
                "model": {"hidden": [16, 16], "activation": "tanh"}, "loss": "cross_entropy",
                "batch_size": 32, "epochs": 50, "seed": 0, "snapshot_every": 10,
                "optimizers": [{"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.01}]}

# Times in ms since navigation start (performance.timeOrigin).
STARTUP_JS = """async () => {
    const has = (n) => performance.getEntriesByName(n, 'mark').length > 0;
    await window.descentlab.ready;
    while (!has('descentlab:interactive')) await new Promise((r) => setTimeout(r, 20));
    return window.descentlab.startup;
}"""
TIMED_RUN_JS = """async (spec) => {
    const t0 = performance.now();
    const result = await window.descentlab.run(spec);
    return {ms: performance.now() - t0, digest: result.digest};
}"""


SNAPSHOT_MADE_JS = "() => !window.descentlab.snapshot || window.descentlab.snapshot.state === 'off' || window.descentlab.snapshot.made"


FIRST_JS = """async () => {
    while (!performance.getEntriesByName('descentlab:first-scene', 'mark').length) await new Promise((r) => setTimeout(r, 10));
    return window.descentlab.startup;
}"""


CLOCK_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def chromium_cpu(profile: str) -> dict | None:
    """CPU ms so far of the Chromium launched on `profile` and every process under it, by
    kind ("browser", "renderer", "gpu-process", "utility", ...); None without /proc."""
    procs = {}
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        procs[int(pid)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) * 1000 / CLOCK_TICK, cmd)
    roots = {pid for pid, (_, _, cmd) in procs.items() if f"--user-data-dir={profile}".encode() in cmd and b"--type=" not in cmd}
    if not roots:
        return None
    out: dict = {}
    for pid, (_, ms, cmd) in procs.items():
        up = pid
        while up in procs and up not in roots:   # up the parents (pid 1's is 0, never listed)
            up = procs[up][0]
        if up in roots:
            match = re.search(rb"--type=([a-z-]+)", cmd)
            kind = match.group(1).decode() if match else "browser"
            out[kind] = out.get(kind, 0.0) + ms
    return out


def visit(pw, url: str, profile: str, keep_snapshot: bool = False, first_only: bool = False) -> dict:
    """One launch: descentlab.startup once interactive (first_only: once the first scene is
    drawn), with "cpu": Chromium's CPU ms by process kind from navigation to then. keep_snapshot:
    stay until the page has made its memory snapshot for the next visit (if it makes one)."""
    ctx = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                headless=True, viewport={"width": 1280, "height": 800})
    try:
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        before = chromium_cpu(profile)
        page.goto(url, wait_until="commit")
        page.wait_for_function("() => window.descentlab !== undefined && window.descentlab.startup", timeout=120_000)
        if WORKER_ALONE_PATH in url:
            startup = page.evaluate("() => window.descentlab")
            if startup.get("error"):
                raise RuntimeError(f"the worker alone failed: {startup['error']}")
        else:
            startup = page.evaluate(FIRST_JS if first_only and not keep_snapshot else STARTUP_JS)
        after = chromium_cpu(profile)
        if before is not None and after is not None:
            startup["cpu"] = {kind: ms - before.get(kind, 0.0) for kind, ms in after.items()}
        if keep_snapshot:
            page.wait_for_function(SNAPSHOT_MADE_JS, timeout=240_000)
        return startup
    finally:
        ctx.close()


# A page with nothing but the worker: served by the bench beside dist/ (never shipped).
WORKER_ALONE_PATH = "/__bench/worker-alone.html"
WORKER_ALONE_HTML = """<!doctype html><meta charset="utf-8"><title>worker alone</title><script>
"use strict";
const SPEC = %(spec)s;
window.descentlab = {marks: {}, page: {}, worker: null, snapshot: null};
const at = () => performance.now();
const worker = new Worker("/worker.js", {name: %(name)s});
worker.onmessage = ({data: m}) => {
  const d = window.descentlab;
  if (m.type === "ready") {
    d.page.ready = at(); d.snapshot = m.snapshot;
    d.worker = {...m.timings, began: m.timings.began - performance.timeOrigin};
    worker.postMessage({id: 1, type: "run", spec: SPEC});
  } else if (m.type === "result" && m.id === 1) {
    performance.mark("descentlab:interactive"); d.marks["descentlab:interactive"] = at(); d.startup = true;
  } else if (m.type === "error" || m.type === "load-error") {
    d.startup = true; d.error = JSON.stringify(m);
  }
};
</script>"""


def serve_worker_alone(server, dist: Path) -> bool:
    """Let `server` (buildtool.serve.make_server) also answer WORKER_ALONE_PATH: the bare page
    for this build (its id names the worker, as index.html's first script does) asking for
    the default landscape scene the shipped scene table marks. False (and nothing served)
    for a dist/ without that table (built without numpy 2.0.2, or an older build)."""
    build = re.search(r'name="descentlab-build" content="([^"]+)"', (dist / "index.html").read_text())
    table = dist / "scenes" / "index.json"
    if not build or not table.exists():
        print(f"{dist}: no scene table or build id, so no 'worker alone' column")
        return False
    build = build.group(1)
    scenes = json.loads(table.read_text())["scenes"]
    key = next((k for k, e in scenes.items() if e.get("default") and e["kind"] == "landscape"), None)
    if key is None:
        return False
    body = (WORKER_ALONE_HTML % {"spec": key, "name": json.dumps(f"descentlab@{build}")}).encode()
    base = server.RequestHandlerClass   # functools.partial(handler class, directory=...)

    class WithWorkerAlone(base.func):
        def do_GET(self):
            if self.path.split("?")[0] != WORKER_ALONE_PATH:
                return super().do_GET()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server.RequestHandlerClass = functools.partial(WithWorkerAlone, *base.args, **base.keywords)
    return True


def spread(values) -> str:
    """median [min-max] of the values present, or a dash."""
    vals = [v for v in values if v is not None]
    if not vals:
        return f"{'-':>18}"
    return f"{statistics.median(vals):6.0f} [{min(vals):5.0f}-{max(vals):5.0f}]"


MODES = ("cold", "warm", "warm, no snapshot", "warm, worker alone")

# Rows of the breakdown: (label, how to read it from one visit's descentlab.startup)
PAGE_ROWS = [
    ("first scene (mark)", lambda s: s["marks"].get("descentlab:first-scene")),
    ("interactive (mark)", lambda s: s["marks"].get("descentlab:interactive")),
    ("page: app module ran", lambda s: s["page"].get("module")),
    ("worker script began", lambda s: (s.get("worker") or {}).get("began")),
    ("page: runtime downloaded", lambda s: s["page"].get("python")),
    ("page: NumPy stage began", lambda s: s["page"].get("numpy")),
    ("page: Descent Lab stage began", lambda s: s["page"].get("descentlab")),
    ("page: worker ready", lambda s: s["page"].get("ready")),
    ("Chromium CPU ms, all processes", lambda s: s.get("cpu") and sum(s["cpu"].values())),
    ("  of which the renderer", lambda s: s.get("cpu") and s["cpu"].get("renderer")),
    ("  of which the browser", lambda s: s.get("cpu") and s["cpu"].get("browser")),
]
WORKER_STAGES = [("fetch (runtime files)", "fetch"), ("compile+instantiate+interpreter", "instantiate"),
                 ("NumPy files written", "numpy_load"), ("NumPy import", "numpy_import"),
                 ("Descent Lab files written", "descentlab_load"), ("Descent Lab import", "descentlab_import")]


def _row(label: str, get, rows: dict, columns) -> str:
    return f"  {label:<34}" + "".join(f" {spread(get(v) for v in rows[c]):>22}" for c in columns)


def report(title: str, rows: dict) -> None:
    columns = [c for c in MODES if rows.get(c)]
    print()
    print(f"{title:<36}" + "".join(f" {c + ': median [range]':>22}" for c in columns))
    for label, get in PAGE_ROWS:
        print(_row(label, get, rows, columns))
    visits = [v for c in columns for v in rows[c]]
    if any(v.get("worker") for v in visits):
        print("  worker stages (ms each):")
        for label, key in WORKER_STAGES:
            print(_row("  " + label, lambda v, key=key: (v.get("worker") or {}).get(key), rows, columns))
    first = lambda v: v["marks"].get("descentlab:interactive") and v["marks"]["descentlab:interactive"] - v["page"]["ready"]  # noqa: E731
    print(_row("  first result (ready -> drawn)", first, rows, columns))
    state = lambda v: (v.get("snapshot") or {}).get("state", "off")  # noqa: E731
    print("  interpreter from a memory snapshot: " + ", ".join(
        f"{c} {sum(state(v) == 'used' for v in rows[c])} of {len(rows[c])}"
        + (f" ({', '.join(sorted({state(v) for v in rows[c]} - {'used'}))} otherwise)" if any(state(v) != "used" for v in rows[c]) else "")
        for c in columns))
    pages = [v for c in columns if c != "warm, worker alone" for v in rows[c]]
    pre = sum(1 for v in pages if v.get("precomputed"))
    print(f"  (first scene precomputed in {pre} of {len(pages)} loads)")


def measure(pw, urls: dict, tmp: str, n: int, tag: str, first_only: bool = False, alone=frozenset()) -> dict:
    """cold: fresh profiles; warm: one profile primed once (its caches filled and, where the
    page makes one, its memory snapshot stored); "warm, no snapshot": the same profile with
    ?snapshot=0 (interleaved with warm, so both see the same load on the machine), and for
    the builds named in `alone`, the bare page of serve_worker_alone (interleaved too).
    urls: {name: url} of builds compared turn by turn (each visit of one is followed by the
    same visit of the next). Returns {name: rows}."""
    out = {name: {**{mode: [] for mode in MODES}, "profile": os.path.join(tmp, f"{tag}-{k}-warm")}
           for k, name in enumerate(urls)}
    for i in range(n):
        for k, (name, url) in enumerate(urls.items()):
            out[name]["cold"].append(visit(pw, url, os.path.join(tmp, f"{tag}-{k}-cold{i}"), first_only=first_only))
    for name, url in urls.items():
        visit(pw, url, out[name]["profile"], keep_snapshot=True)  # prime the caches and the snapshot
    for _ in range(n):
        for name, url in urls.items():
            out[name]["warm"].append(visit(pw, url, out[name]["profile"], first_only=first_only))
            without = url + ("&" if "?" in url else "?") + "snapshot=0" if url.startswith("http") else None
            if without:
                out[name]["warm, no snapshot"].append(visit(pw, without, out[name]["profile"], first_only=first_only))
            if without and name in alone:
                bare = url.rstrip("/") + WORKER_ALONE_PATH
                out[name]["warm, worker alone"].append(visit(pw, bare, out[name]["profile"]))
    return out


def compare(title: str, rows: dict) -> None:
    """Per-turn ratios of the two marks, this build over the other."""
    (a, ra), (b, rb) = rows.items()
    for mark in ("descentlab:first-scene", "descentlab:interactive"):
        at = lambda v: v["marks"].get(mark)  # noqa: E731
        print(f"\n{title}: {mark}, {a} / {b} per turn (median)")
        for mode in MODES:
            ratios = [at(x) / at(y) for x, y in zip(ra[mode], rb[mode]) if at(x) and at(y)]
            if ratios:
                print(f"  {mode:<20} {statistics.median(ratios):5.2f}  [{', '.join(f'{r:.2f}' for r in ratios)}]")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5, help="launches per mode (default 5)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per spec (default 3)")
    parser.add_argument("--no-native", action="store_true", help="start-up only: skip the browser/native ratio")
    parser.add_argument("--first-only", action="store_true", help="wait for the first scene only, not for interactive")
    parser.add_argument("--against", metavar="DIST", help="another built dist/ to compare with, turn by turn")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    tool = TOOL
    info = tool.build(quiet=True)
    server = tool.make_server(tool.DIST, "127.0.0.1", 0, quiet=True)
    alone = {"this build"} if serve_worker_alone(server, tool.DIST) else set()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    size = sum(f["size"] for f in info["files"].values())
    print(f"descentlab {descentlab.__version__}, Pyodide {info['pyodide_version']}, "
          f"dist {size / 1e6:.1f} MB in {len(info['files'])} files, Chromium {CHROMIUM}, n={args.n}")

    hosted_urls, single_urls = {"this build": url}, {}
    if (tool.DIST / "descentlab.html").exists():
        single_urls["this build"] = (tool.DIST / "descentlab.html").as_uri()
    if args.against:
        other = Path(args.against).resolve()
        other_server = tool.make_server(other, "127.0.0.1", 0, quiet=True)
        if serve_worker_alone(other_server, other):
            alone.add("other")
        threading.Thread(target=other_server.serve_forever, daemon=True).start()
        hosted_urls["other"] = f"http://127.0.0.1:{other_server.server_address[1]}/"
        if "this build" in single_urls and (other / "descentlab.html").exists():
            single_urls["other"] = (other / "descentlab.html").as_uri()
        print(f"other: {other}")

    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="descentlab-bench-") as tmp:
        hosted = measure(pw, hosted_urls, tmp, args.n, "hosted", args.first_only, alone)
        for name, rows in hosted.items():
            report(f"hosted app, {name} {hosted_urls[name]}", rows)
        if len(hosted) == 2:
            compare("hosted app", hosted)
        if single_urls:
            single = measure(pw, single_urls, tmp, args.n, "single", args.first_only)
            for name, rows in single.items():
                report(f"one file descentlab.html, {name} (file://)", rows)
            if len(single) == 2:
                compare("one file", single)
        warm_profile = hosted["this build"]["profile"]
        if args.no_native:
            server.shutdown()
            return 0

        # Browser vs native speed on one warm page.
        ctx = pw.chromium.launch_persistent_context(warm_profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                    headless=True)
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.goto(url)
        page.wait_for_function("() => window.descentlab !== undefined")
        page.evaluate("() => window.descentlab.ready")
        print()
        print("run time (median of %d)        browser ms   native ms   ratio   same digest" % args.repeats)
        for name, spec in (("landscape (2 x 500 steps)", LANDSCAPE_SPEC), ("network (moons, 2 x 50 epochs)", NETWORK_SPEC)):
            page.evaluate(TIMED_RUN_JS, spec)  # warm-up
            b = [page.evaluate(TIMED_RUN_JS, spec) for _ in range(args.repeats)]
            descentlab.run(copy.deepcopy(spec))  # warm-up
            n_ms, digest = [], None
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                digest = descentlab.run(copy.deepcopy(spec))["digest"]
                n_ms.append((time.perf_counter() - t0) * 1000)
            bm, nm = statistics.median(x["ms"] for x in b), statistics.median(n_ms)
            same = "yes" if all(x["digest"] == digest for x in b) else "NO"
            print(f"  {name:<30} {bm:10.0f} {nm:11.0f} {bm / nm:7.2f}   {same}")
        ctx.close()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
