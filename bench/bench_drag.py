#!/usr/bin/env python3
"""Frame rate of the landscape while its start point is dragged (figures only, no asserts).

    PYTHONPATH=pywasm .venv/bin/python bench/bench_drag.py [-n 3] [--seconds 3]

Goal (issue 17): 6 optimizers x 500 steps, a new scene drawn every <= 16.7 ms on
Rosenbrock (median), <= 25 ms on Rastrigin. Serves dist/ on a free port, opens the
landscape with that scene in headless Chromium, waits for the worker pool, warms it up,
then drags the start point N times (whole scenes, and progressive: the first
--preview steps of each path first, the rest once the pointer rests) for a few seconds each (one PointerEvent per
animation frame, as bench_landscape.py does) and prints, per function, the median and
range of the intervals between two newly drawn scenes, and of request -> result.
"""
from __future__ import annotations

import argparse
import statistics
import threading

import bench_landscape as bl  # noqa: E402  (its drag(), warm_pool(), spec() and SCENE)

STARTS = [[-1.5 + 0.1 * i, 2.0 - 0.05 * i] for i in range(6)]


def line(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:<52} (no scenes)"
    return (f"  {name:<52} median {statistics.median(values):6.1f} ms  range {min(values):6.1f}-{max(values):6.1f}"
            f"  ({len(values)} scenes, {1000 / statistics.median(values):5.1f} per s)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=3, help="drags per function (default 3)")
    ap.add_argument("--seconds", type=float, default=3.0, help="length of each drag (default 3 s)")
    ap.add_argument("--preview", type=int, action="append",
                    help="steps drawn first while dragging (web/views/landscape/requests.js); 0: whole scenes. "
                         "Repeat to compare (default: 0 and 100)")
    args = ap.parse_args()
    bl.DRAG_SECONDS = args.seconds
    tool = bl.TOOL
    tool.build(quiet=True)
    httpd = tool.make_server(tool.DIST, "127.0.0.1", 0, quiet=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"

    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=bl.CHROMIUM, args=bl.CHROMIUM_ARGS)
        for preview in args.preview or [0, 100]:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.add_init_script(f"globalThis.DESCENTLAB_DRAG_PREVIEW = {int(preview)};")
            print(f"6 optimizers x 500 steps, dragging the start point; first {preview or 'all'} steps drawn first")
            for function in ("rosenbrock", "rastrigin"):
                page.goto(url + bl.SCENE.replace("fn=rosenbrock", f"fn={function}"))
                page.wait_for_function("() => window.descentlab.view && document.querySelector('#view').dataset.digest"
                                       " && performance.getEntriesByName('descentlab:interactive').length", timeout=120_000)
                specs = [bl.spec(s, function) for s in STARTS]
                pool = bl.warm_pool(page, specs)
                intervals, latency = [], []
                for _ in range(args.n):
                    (_, iv), (_, lat) = bl.drag(page, function)
                    intervals += iv
                    latency += lat
                print(line(f"{function}: a new scene every ({pool} workers)", intervals))
                print(line(f"{function}: request -> result", latency))
            page.close()
        browser.close()
    httpd.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
