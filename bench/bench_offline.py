#!/usr/bin/env python3
"""Offline figures of Descent Lab (figures only, no asserts).

    PYTHONPATH=pywasm .venv/bin/python bench/bench_offline.py [-n 5]

Builds dist/, then with Debian's Chromium headless, N times each, in a fresh profile:
  single file   dist/descentlab.html opened from file://: navigation start -> descentlab.ready
  first visit   dist/ served on 127.0.0.1: navigation start -> ready, and -> service worker
                in control with every file cached
  offline       the same page reloaded with the server stopped and the context offline
                (everything from the service worker's cache): navigation start -> ready
and prints the medians, with the single file's size.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from common import load_build_tool  # noqa: E402  (bench/common.py: build.py as a module)

TOOL = load_build_tool()
CHROMIUM, CHROMIUM_ARGS = TOOL.CHROMIUM, TOOL.CHROMIUM_ARGS
READY_JS = "async () => { await window.descentlab.ready; return performance.now(); }"


def ready_ms(page) -> float:
    page.wait_for_function("() => window.descentlab !== undefined", timeout=120_000)
    return page.evaluate(READY_JS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5, help="launches per measurement (default 5)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    tool = TOOL
    info = tool.build(quiet=True)
    single = info["single_file"]
    print(f"build {info['build']}: descentlab.html {single['size']:,} bytes ({single['size'] / 1e6:.1f} MB); "
          f"precache {info['precache']['files']} files, {info['precache']['bytes'] / 1e6:.1f} MB; n={args.n}")

    rows: dict[str, list[float]] = {"single file (file://) to ready": [], "first visit to ready": [],
                                    "first visit to all cached": [], "offline reload to ready": []}
    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="descentlab-bench-") as tmp:
        stick = Path(tmp) / "stick"
        stick.mkdir()
        shutil.copy(tool.DIST / "descentlab.html", stick / "descentlab.html")
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for _ in range(args.n):
            ctx = browser.new_context()
            page = ctx.new_page()
            page.goto((stick / "descentlab.html").as_uri(), wait_until="commit")
            rows["single file (file://) to ready"].append(ready_ms(page))
            ctx.close()
        for i in range(args.n):
            site = Path(tmp) / f"site{i}"
            shutil.copytree(tool.DIST, site, ignore=shutil.ignore_patterns("descentlab.html"))
            server = tool.make_server(site, "127.0.0.1", 0, quiet=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            url = f"http://127.0.0.1:{server.server_address[1]}/"
            ctx = browser.new_context(service_workers="allow")
            page = ctx.new_page()
            page.goto(url, wait_until="commit")
            rows["first visit to ready"].append(ready_ms(page))
            page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=120_000)
            rows["first visit to all cached"].append(page.evaluate("() => performance.now()"))
            server.shutdown()
            server.server_close()
            ctx.set_offline(True)
            page.reload(wait_until="commit")
            rows["offline reload to ready"].append(ready_ms(page))
            ctx.close()
        browser.close()
    for name, values in rows.items():
        print(f"{name:34s} median {statistics.median(values):7.0f} ms   "
              f"(min {min(values):.0f}, max {max(values):.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
