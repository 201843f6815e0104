#!/usr/bin/env python3
"""Page start-up and browser/native speed of Descent Lab (figures only, no asserts).

    PYTHONPATH=pywasm .venv/bin/python bench/bench_startup.py [-n 5] [--repeats 3]

Serves dist/ on 127.0.0.1 and launches Debian's Chromium headless N times:
  cold  a fresh user-data-dir each launch (empty HTTP and wasm code caches)
  warm  one user-data-dir reused (primed once, not counted)
and reports the median time from navigation start to `descentlab.ready` and to the first
result of a small spec. Then, on one warm page, the browser/native time ratio for a fixed
landscape spec and a fixed network spec (native: time.perf_counter around descentlab.run).
"""
from __future__ import annotations

import argparse
import copy
import os
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

SMALL_SPEC = {"kind": "landscape", "function": "rosenbrock", "start": [-1.5, 2.0], "steps": 100,
              "optimizers": [{"name": "adam", "lr": 0.05}]}
LANDSCAPE_SPEC = {"kind": "landscape", "function": "rosenbrock", "start": [-1.5, 2.0], "steps": 500,
                  "optimizers": [{"name": "adam", "lr": 0.05},
                                 {"name": "sgd", "lr": 0.001, "momentum": 0.9, "nesterov": True}],
                  "record_state": False}
NETWORK_SPEC = {"kind": "network", "dataset": {"name": "moons", "n": 400, "noise": 0.2, "seed": 0},
                "model": {"hidden": [16, 16], "activation": "tanh"}, "loss": "cross_entropy",
                "batch_size": 32, "epochs": 50, "seed": 0, "snapshot_every": 10,
                "optimizers": [{"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.01}]}

# Times in ms since navigation start (performance.timeOrigin).
STARTUP_JS = """async (spec) => {
    const ready = await window.descentlab.ready;
    const tReady = performance.now();
    const result = await window.descentlab.run(spec);
    return {ready: tReady, first: performance.now(), version: ready.version, digest: result.digest};
}"""
TIMED_RUN_JS = """async (spec) => {
    const t0 = performance.now();
    const result = await window.descentlab.run(spec);
    return {ms: performance.now() - t0, digest: result.digest};
}"""


def visit(pw, url: str, profile: str) -> dict:
    ctx = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                headless=True)
    try:
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.goto(url, wait_until="commit")
        page.wait_for_function("() => window.descentlab !== undefined", timeout=120_000)
        return page.evaluate(STARTUP_JS, SMALL_SPEC)
    finally:
        ctx.close()


def median_ms(values) -> str:
    return f"{statistics.median(values):8.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5, help="launches per mode (default 5)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per spec (default 3)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    tool = TOOL
    info = tool.build(quiet=True)
    server = tool.make_server(tool.DIST, "127.0.0.1", 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    size = sum(f["size"] for f in info["files"].values())
    print(f"descentlab {descentlab.__version__}, Pyodide {info['pyodide_version']}, "
          f"dist {size / 1e6:.1f} MB in {len(info['files'])} files, Chromium {CHROMIUM}, n={args.n}")

    rows = {}
    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="descentlab-bench-") as tmp:
        cold = []
        for i in range(args.n):
            cold.append(visit(pw, url, os.path.join(tmp, f"cold{i}")))
        warm_profile = os.path.join(tmp, "warm")
        visit(pw, url, warm_profile)  # prime the caches
        warm = [visit(pw, url, warm_profile) for _ in range(args.n)]
        rows["cold"], rows["warm"] = cold, warm

        print()
        print("start-up (median ms since navigation)     ready   first result")
        for mode in ("cold", "warm"):
            vals = rows[mode]
            print(f"  {mode:<38} {median_ms(v['ready'] for v in vals)} {median_ms(v['first'] for v in vals):>14}")

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
