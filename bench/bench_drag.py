#!/usr/bin/env python3
"""Frame rate of the landscape while its start point is dragged, and where a frame's time goes
(figures only, no asserts).

    PYTHONPATH=pywasm .venv/bin/python bench/bench_drag.py [-n 3] [--seconds 3] [--no-breakdown]

Goal (issue 17): 6 optimizers x 500 steps, a new scene drawn every <= 16.7 ms on
Rosenbrock (median), <= 25 ms on Rastrigin. Serves dist/ on a free port, opens the
landscape with that scene in headless Chromium, waits for the worker pool, warms it up,
then drags the start point (one PointerEvent per animation frame, as bench_landscape.py
does) for a few seconds per drag, under each setting of the drag in turn, N rounds, so a
noisy machine slows every setting alike:

  whole            every drag scene the whole 500 steps, shared among the worker pool
  preview, pool    the first 100 steps of each path (the rest once the pointer rests),
                   shared among the pool (each optimizer a request: the page's thread
                   hands each part to a worker)
  preview, one     the same 100 steps as one request to the main worker (the view's setting)
  preview, each    one preview in flight per worker of the pool (run(spec, {pool: true}):
                   needs descentlab.poolRun, proposed for web/api.js; skipped without it)

It prints, per function and setting, the median and range of the intervals between two
newly drawn scenes and of request -> result. With the breakdown (the default), it then
builds a scratch copy of dist/ whose worker, page API and view carry performance.now()
marks (added here, to that copy only: see INSTRUMENT), drags once more per setting and
prints the median ms of each stage of a drag scene: page -> worker, the worker's spec
text, Python's start (json.loads, validation), its steps (the race, the result, the
digest, packing floats), the worker's unpacking, its yields between chunks, worker ->
page, and in the page the drawing of the canvas, the loss chart and the rest.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
from pathlib import Path

import bench_landscape as bl  # noqa: E402  (its drag(), warm_pool(), spec() and SCENE)

STARTS = [[-1.5 + 0.1 * i, 2.0 - 0.05 * i] for i in range(6)]
# name -> the page's drag settings (web/views/landscape/requests.js reads these globals)
SETTINGS = {
    "whole": {"DESCENTLAB_DRAG_PREVIEW": 0, "DESCENTLAB_DRAG_POOL": True},
    "preview, pool": {"DESCENTLAB_DRAG_PREVIEW": 100, "DESCENTLAB_DRAG_POOL": True},
    "preview, one": {"DESCENTLAB_DRAG_PREVIEW": 100, "DESCENTLAB_DRAG_POOL": False, "DESCENTLAB_DRAG_EACH": False},
    "preview, each": {"DESCENTLAB_DRAG_PREVIEW": 100, "DESCENTLAB_DRAG_POOL": False, "DESCENTLAB_DRAG_EACH": True,
                      "poolRun": True},
}
READY = ("() => window.descentlab.view && document.querySelector('#view').dataset.digest"
         " && performance.getEntriesByName('descentlab:interactive').length")

ABS = "(performance.timeOrigin + performance.now())"   # one clock for the page and its workers
# (file, text, replacement): the marks of the breakdown, put into a scratch copy of dist/.
# Files change; a text no longer found leaves its stages out of the breakdown (said so).
INSTRUMENT = [
    ("api.js", "      req.seq = send(state, { id, ...payload });",
     f"      req.seq = send(state, {{ id, ...payload, _sent: {ABS} }});"),
    ("api.js", "    case \"result\":\n",
     f"    case \"result\":\n      if (msg.result && msg.result._t) msg.result._t.arrive = {ABS};\n"),
    ("api.js", "  const merged = { ...results[0], runs: results.map((r) => r.runs[0]) };",
     "  const merged = { ...results[0], runs: results.map((r) => r.runs[0]) }; merged._parts = results.map((r) => r._t);"),
    ("worker.js", "async function handleRun(id, seq, spec) {\n  try {",
     "async function handleRun(id, seq, spec, _sent) {\n"
     f"  const _T = {{sent: _sent, recv: {ABS}, tojson: 0, start: 0, py: 0, unpack: 0, yield: 0, chunks: 0}};\n  try {{"),
    ("worker.js", "await handleRun(id, seq, msg.spec);", "await handleRun(id, seq, msg.spec, msg._sent);"),
    ("worker.js", "    const text = toJSON(spec, \"\");\n    const started = JSON.parse(glue.start(id, text, CODE_WORKER));",
     "    let _a = performance.now(); const text = toJSON(spec, \"\"); _T.tojson = performance.now() - _a; _a = performance.now();\n"
     "    const started = JSON.parse(glue.start(id, text, CODE_WORKER)); _T.start = performance.now() - _a;"),
    ("worker.js", "      const out = unpackFloats(JSON.parse(glue.step(id)));",
     "      let _b = performance.now(); const _s = glue.step(id); _T.py += performance.now() - _b; _b = performance.now();\n"
     "      const out = unpackFloats(JSON.parse(_s)); _T.unpack += performance.now() - _b; _T.chunks += 1;"),
    ("worker.js", "      if (\"result\" in chunk) { post({ id, seq, type: \"result\", result: chunk.result }); return; }",
     f"      if (\"result\" in chunk) {{ _T.postAt = {ABS}; chunk.result._t = _T; post({{ id, seq, type: \"result\", result: chunk.result }}); return; }}"),
    ("worker.js", "      await yieldToEventLoop();\n    }",
     "      const _y = performance.now(); await yieldToEventLoop(); _T.yield += performance.now() - _y;\n    }"),
    ("views/landscape/requests.js", "    me.promise.then((result) => {\n      sendNext();\n",
     f"    const _req = {ABS};\n    me.promise.then((result) => {{\n      const _h = {ABS}; sendNext();\n"),
    ("views/landscape/requests.js", "      onResult(result, job, performance.now() - t0);\n",
     "      onResult(result, job, performance.now() - t0);\n"
     "      (globalThis.__dragProfile ||= []).push({ steps: job.spec.steps, drag: job.drag, cancelled: me.cancelled, req: _req,"
     f" then: _h, handled: {ABS} - _h, parts: result._parts || [result._t], draw: globalThis.__dragDraw }});\n"),
    ("views/landscape/stage.js", "    plot.draw({ ...shown, fn: fnById[scene.function], scene, selected: scene.selected, labels: labels() });\n"
     "    steps.show();\n    drawLossChart(chart, { result: shown.result, scene, revealed: shown.revealed });",
     "    const _d = {}; let _a = performance.now();\n"
     "    plot.draw({ ...shown, fn: fnById[scene.function], scene, selected: scene.selected, labels: labels() }); _d.canvas = performance.now() - _a; _a = performance.now();\n"
     "    steps.show();\n    drawLossChart(chart, { result: shown.result, scene, revealed: shown.revealed }); _d.chart = performance.now() - _a;"
     " globalThis.__dragDraw = _d;"),
]


def instrumented_copy(dist: Path, out: Path) -> list[str]:
    """dist/ copied to `out` with the INSTRUMENT marks; -> the texts not found (stages left out)."""
    shutil.copytree(dist, out, dirs_exist_ok=True)
    missing = []
    for rel, old, new in INSTRUMENT:
        path = out / rel
        text = path.read_text(encoding="utf-8")
        if old not in text:
            missing.append(f"{rel}: {old.strip()[:60]}")
            continue
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return missing


def stats(values) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "(none)"
    return f"{statistics.median(values):6.1f} ms  [{min(values):.1f}-{max(values):.1f}]"


def line(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:<46} (no scenes)"
    return f"  {name:<46} median {stats(values)}  ({len(values)} scenes, {1000 / statistics.median(values):5.1f} per s)"


def settle(page, setting: str) -> bool:
    """Put the page in `setting`; False when its page API cannot (no descentlab.poolRun)."""
    return page.evaluate("""(s) => {
        const { poolRun, ...globals } = s;
        Object.assign(globalThis, globals);
        if (poolRun === undefined) return true;
        if (!('poolRun' in window.descentlab)) return !poolRun;
        window.descentlab.poolRun = poolRun;
        return true;
    }""", SETTINGS[setting])


def open_scene(page, url: str, function: str) -> int:
    page.goto(url + bl.SCENE.replace("fn=rosenbrock", f"fn={function}"))
    page.wait_for_function(READY, timeout=120_000)
    return bl.warm_pool(page, [bl.spec(s, function) for s in STARTS])


def figures(browser, url: str, rounds: int, settings: list[str]) -> None:
    """The frame rate of each setting, the settings taking turns, `rounds` drags each."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    for function in ("rosenbrock", "rastrigin"):
        pool = open_scene(page, url, function)
        got = {s: ([], []) for s in settings}
        for _ in range(rounds):
            for s in settings:
                if not settle(page, s):
                    continue
                (_, iv), (_, lat) = bl.drag(page, function)
                got[s][0].extend(iv)
                got[s][1].extend(lat)
        print(f"{function}, 6 optimizers x 500 steps, {pool} workers, {rounds} drag(s) per setting:")
        for s in settings:
            if not got[s][0]:
                print(f"  {s}: not measured (this page API has no descentlab.poolRun)")
                continue
            print(line(f"{s}: a new scene every", got[s][0]))
            print(line(f"{s}: request -> result", got[s][1]))
    page.close()


def breakdown(browser, url: str, settings: list[str], missing: list[str]) -> None:
    """Median ms per stage of the drag scenes of one drag per setting (instrumented copy)."""
    if missing:
        print("  (marks not placed, their stages are left out: " + "; ".join(missing) + ")")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    for function in ("rosenbrock", "rastrigin"):
        open_scene(page, url, function)
        for s in settings:
            if not settle(page, s):
                continue
            page.evaluate("globalThis.__dragProfile = []")
            (_, iv), _ = bl.drag(page, function)
            scenes = [x for x in page.evaluate("globalThis.__dragProfile || []")
                      if x["drag"] and not x["cancelled"] and x["steps"] == (SETTINGS[s]["DESCENTLAB_DRAG_PREVIEW"] or 500)]
            parts = [w for x in scenes for w in (x["parts"] or []) if w]
            get = lambda key, rows=parts: [w.get(key) for w in rows]  # noqa: E731
            print(f"{function}, {s}: {len(scenes)} scenes, a new one every {stats(iv)}; per part "
                  f"({len(parts) // max(1, len(scenes))} per scene), medians [range]:")
            rows = [
                ("page -> worker (postMessage, queue)", [w["recv"] - w["sent"] for w in parts if w.get("sent")]),
                ("worker: spec to JSON text", get("tojson")),
                ("Python start: json.loads, validate", get("start")),
                ("Python steps: race, result, digest, pack", get("py")),
                ("worker: JSON.parse + unpack floats", get("unpack")),
                ("worker: yields between chunks", get("yield")),
                ("worker -> page (clone, page's queue)", [w["arrive"] - w["postAt"] for w in parts if w.get("arrive")]),
                ("worker: receive -> post, whole part", [w["postAt"] - w["recv"] for w in parts if w.get("postAt")]),
                ("page: request -> result (all parts)", [x["then"] - x["req"] for x in scenes]),
                ("page: result -> drawn (sync)", [x["handled"] for x in scenes]),
                ("  of which canvas (background, paths)", [x["draw"]["canvas"] for x in scenes if x.get("draw")]),
                ("  of which loss chart", [x["draw"]["chart"] for x in scenes if x.get("draw")]),
            ]
            for name, values in rows:
                print(f"    {name:<44} {stats(values)}")
    page.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=3, help="drags per function and setting (default 3)")
    ap.add_argument("--seconds", type=float, default=3.0, help="length of each drag (default 3 s)")
    ap.add_argument("--setting", action="append", choices=list(SETTINGS),
                    help="drag settings to compare (repeat; default: all, taking turns)")
    ap.add_argument("--no-breakdown", action="store_true", help="skip the per-stage breakdown")
    ap.add_argument("--dist", type=Path, help="bench this built copy of dist/ instead of building dist/"
                    " (e.g. one with a proposed web/api.js)")
    args = ap.parse_args()
    settings = args.setting or list(SETTINGS)
    bl.DRAG_SECONDS = args.seconds
    tool = bl.TOOL
    dist = args.dist
    if dist is None:
        tool.build(quiet=True)
        dist = tool.DIST
    scratch = Path(tempfile.mkdtemp(prefix="descentlab-drag-"))
    missing = instrumented_copy(dist, scratch / "dist")
    servers = []
    for root in (dist, scratch / "dist"):
        httpd = tool.make_server(root, "127.0.0.1", 0, quiet=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
    url, instrumented_url = (f"http://127.0.0.1:{h.server_address[1]}/" for h in servers)

    from playwright.sync_api import sync_playwright
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=bl.CHROMIUM, args=bl.CHROMIUM_ARGS)
            figures(browser, url, args.n, settings)
            if not args.no_breakdown:
                print("Where a drag scene's time goes (an instrumented copy of dist/, one drag per setting):")
                breakdown(browser, instrumented_url, settings, missing)
            browser.close()
    finally:
        for h in servers:
            h.shutdown()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
