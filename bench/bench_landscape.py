#!/usr/bin/env python3
"""How fast the landscape view follows the pointer (figures only, no asserts).

    PYTHONPATH=pywasm .venv/bin/python bench/bench_landscape.py [--repeats 15]

Target of the landscape view: 6 optimizers x 500 steps recomputed and drawn in
<= 50 ms in the browser while the start point is dragged.  This script serves
dist/, opens the landscape view in headless Chromium and measures, for many
start points:

  worker   descentlab.run() of the drag spec (record_state off), round trip
  pool     descentlab.runParallel() of it: the optimizers shared among the page's
           worker pool (at most 3 workers, at most one per core), as a drag does
  drag     dragging the start point with the mouse: how often a newly computed
           scene is drawn (spec -> worker -> draw, back to back while dragging)

and the same spec natively (time.perf_counter around descentlab.run).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "pywasm"))

import descentlab  # noqa: E402

OPTIMIZERS = [{"name": n} for n in ("sgd", "momentum", "nesterov", "rmsprop", "adam", "nadam")]
SCENE = ('#landscape?fn=rosenbrock&steps=500&start=[-1.5,2]&opts='
         '[{"name":"sgd","p":{"lr":0.0005}},{"name":"momentum","p":{"lr":0.0005}},{"name":"nesterov","p":{"lr":0.0005}},'
         '{"name":"rmsprop","p":{"lr":0.005}},{"name":"adam","p":{"lr":0.05}},{"name":"nadam","p":{"lr":0.05}}]')
from common import load_build_tool  # noqa: E402  (bench/common.py: build.py as a module)

TOOL = load_build_tool()
CHROMIUM, CHROMIUM_ARGS = TOOL.CHROMIUM, TOOL.CHROMIUM_ARGS


def spec(start, function="rosenbrock"):
    return {"kind": "landscape", "function": function, "start": start, "steps": 500,
            "optimizers": [dict(o, lr=0.0005) if o["name"] in ("sgd", "momentum", "nesterov") else o
                           for o in OPTIMIZERS], "record_state": False}


DRAG_SECONDS = 3.0


def drag(page, function):
    """Drag the start point across the canvas for a few seconds, as a 60 Hz pointer would.

    The drag starts with a real mouse press; the moves are PointerEvents dispatched
    in the page once per animation frame (the rate a real pointer reports at,
    without the DevTools round trip per event that page.mouse.move costs).  While
    dragging, the view computes the newest start point as soon as the previous
    scene is drawn (requests are coalesced), so the interval between two newly
    drawn scenes is the time one scene takes to be recomputed and drawn.
    """
    page.wait_for_timeout(500)
    box = page.locator(".landscape-canvas").bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.35
    page.mouse.move(x0, y0)
    page.mouse.down()
    scenes = page.evaluate("""async ([x0, y0, seconds]) => {
        const root = document.querySelector('#view'), canvas = document.querySelector('.landscape-canvas');
        const scenes = [];
        const mo = new MutationObserver(() => requestAnimationFrame(() =>
            scenes.push([performance.now(), +root.dataset.computeMs])));
        mo.observe(root, {attributes: true, attributeFilter: ['data-scenes']});
        const t0 = performance.now();
        for (let i = 1; performance.now() - t0 < seconds * 1000; i++) {
            await new Promise(requestAnimationFrame);
            const k = i % 240;
            canvas.dispatchEvent(new PointerEvent('pointermove', {clientX: x0 + 1.5 * k, clientY: y0 + 0.7 * k,
                pointerId: 1, pointerType: 'mouse', isPrimary: true, buttons: 1, bubbles: true}));
        }
        await new Promise((r) => setTimeout(r, 1000));
        mo.disconnect();
        return scenes;
    }""", [x0, y0, DRAG_SECONDS])
    page.mouse.up()
    times = [t for t, _ in scenes]
    intervals = [b - a for a, b in zip(times[1:], times[2:])]  # the first one started from idle
    return [(f"browser drag, {function}: a new scene drawn every (median of {len(intervals)})",
             intervals),
            (f"browser drag, {function}: request -> result in the view", [c for _, c in scenes])]


def round_trips(page, method, specs):
    """Milliseconds of each ``descentlab.<method>(spec)`` in the page, one after another."""
    return page.evaluate("""async ([method, specs]) => {
        const out = [];
        for (const s of specs) { const t = performance.now(); await window.descentlab[method](s); out.push(performance.now() - t); }
        return out;
    }""", [method, specs])


def warm_pool(page, specs):
    """Start the helper workers (the first runParallel does), wait for them, warm them up."""
    page.evaluate("(s) => window.descentlab.runParallel(s)", specs[0])
    page.wait_for_function("() => window.descentlab.poolSize >= Math.min(3, navigator.hardwareConcurrency)",
                           timeout=120_000)
    page.evaluate("""async (specs) => { for (const s of specs) await window.descentlab.runParallel(s); }""",
                  specs * 2)
    page.wait_for_timeout(2000)
    return page.evaluate("() => window.descentlab.poolSize")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    tool = TOOL
    tool.build(quiet=True)
    httpd = tool.make_server(tool.DIST, "127.0.0.1", 0, quiet=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    starts = [[-1.5 + 0.1 * i, 2.0 - 0.05 * i] for i in range(args.repeats)]

    def native_rows(when):
        rows = []
        for function in ("rosenbrock", "rastrigin"):
            native = []
            for s in starts:
                t = time.perf_counter()
                descentlab.run(spec(s, function))
                native.append(1000 * (time.perf_counter() - t))
            rows.append((f"native run, {function} ({when})", native))
        return rows

    # A shared VM changes speed for minutes at a time (everything, native too, by up to
    # 2x): native runs before and after the browser show which phase the figures caught.
    rows = native_rows("before")

    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + SCENE)
        page.wait_for_function("() => window.descentlab.view && document.querySelector('#view').dataset.digest",
                               timeout=120_000)
        # V8 optimises Pyodide's wasm in background threads for some seconds after the
        # load, competing for the CPU: warm up first, as a learner's first minute would.
        page.evaluate("""async (specs) => { for (const s of specs) await window.descentlab.run(s); }""",
                      [spec(s, f) for f in ("rosenbrock", "rastrigin") for s in starts] * 2)
        pool_size = warm_pool(page, [spec(s, f) for f in ("rosenbrock", "rastrigin") for s in starts])
        for function in ("rosenbrock", "rastrigin"):
            specs = [spec(s, function) for s in starts]
            rows.append((f"browser worker round trip, {function}", round_trips(page, "run", specs)))
            rows.append((f"browser pool round trip ({pool_size} workers), {function}",
                         round_trips(page, "runParallel", specs)))
        rows.extend(drag(page, "rosenbrock"))
        page.goto(url + SCENE.replace("fn=rosenbrock", "fn=rastrigin"))
        page.wait_for_function("() => window.descentlab.view && document.querySelector('#view').dataset.digest",
                               timeout=120_000)
        warm_pool(page, [spec(s, "rastrigin") for s in starts])
        rows.extend(drag(page, "rastrigin"))
        browser.close()
    httpd.shutdown()
    rows.extend(native_rows("after"))

    print(f"6 optimizers x 500 steps, median of {args.repeats} start points")
    # medians, and the best of the samples: on a shared machine the best shows the code's speed
    for name, ms in rows:
        print(f"  {name:<66} {statistics.median(ms):8.1f} ms   (best {min(ms):.1f})")


if __name__ == "__main__":
    main()
