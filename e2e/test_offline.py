"""Offline after the first visit (web/sw.js), an installable app, and updates to a new build.

Each test serves its own copy of dist/ on its own port, so it can stop the server (then the
service worker's cache is the only source left: Playwright's set_offline alone does not
cover requests a service worker makes) and deploy a changed build into it.
"""
from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from conftest import build_tool, native, wait_until_ready, watched_pages

SHOTS = Path("/tmp/shots")
SW_TIMEOUT_MS = 120_000
LANDSCAPE = {
    "kind": "landscape", "function": "rosenbrock", "start": [-1.5, 2.0], "steps": 400,
    "optimizers": [{"name": "adam", "lr": 0.05}, {"name": "sgd", "lr": 0.001, "momentum": 0.9, "nesterov": True}],
}
NETWORK = {
    "kind": "network", "dataset": {"name": "moons", "n": 120, "noise": 0.2, "seed": 0},
    "model": {"hidden": [8], "activation": "tanh"}, "loss": "cross_entropy", "batch_size": 32, "epochs": 5,
    "seed": 0, "optimizers": [{"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.01}],
}



class Site:
    """A copy of dist/ served on 127.0.0.1; stop() and start() again keep the port (origin)."""

    def __init__(self, root: Path):
        self.root = root
        self.port = 0
        self.httpd = None

    def start(self):
        self.httpd = build_tool.make_server(self.root, "127.0.0.1", self.port, quiet=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"


@pytest.fixture
def site(dist, tmp_path):
    root = tmp_path / "site"
    shutil.copytree(dist, root, ignore=shutil.ignore_patterns("descentlab.html"))
    s = Site(root)
    s.start()
    yield s
    s.stop()


@pytest.fixture
def opened(browser):
    with watched_pages(browser, service_workers="allow") as open_:
        yield open_


def precache_list(root: Path) -> dict:
    text = (root / "sw.js").read_text()
    start = text.index("const PRECACHE = ") + len("const PRECACHE = ")
    return json.JSONDecoder().raw_decode(text[start:])[0]


def wait_controlled(page):
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=SW_TIMEOUT_MS)


# The service worker's caches (the worker's interpreter snapshot, "descentlab-snapshot:<path>",
# is test_runtime.py's business).
CACHE_STATE_JS = """async () => {
    const keys = (await caches.keys()).filter((k) => !k.startsWith('descentlab-snapshot:'));
    const out = {keys, entries: {}};
    for (const key of keys) {
        const cache = await caches.open(key);
        for (const req of await cache.keys()) {
            const res = await cache.match(req);
            const body = await res.clone().blob();
            out.entries[new URL(req.url).pathname.slice(1)] = {
                status: res.status, type: res.headers.get('content-type'), size: body.size};
        }
    }
    return out;
}"""


SW_CACHES_JS = "async () => (await caches.keys()).filter((k) => !k.startsWith('descentlab-snapshot:'))"


def test_offline_after_first_visit(site, opened):
    build = json.loads((site.root / "build-info.json").read_text())["build"]
    precache = precache_list(site.root)
    assert precache["build"] == build
    listed = {path: size for path, _, size in precache["files"]}
    assert {"index.html", "app.js", "worker.js", "pyodide.asm.wasm", "pyodide-lock.json", "python_stdlib.zip",
            "manifest.webmanifest", "icons/icon-192.png", "icons/icon-512.png", "embed.js"} <= set(listed)
    assert any(p.startswith("numpy-") for p in listed) and any(p.startswith("descentlab-") for p in listed)
    assert any(p.startswith("datasets/") for p in listed)
    assert "descentlab.html" not in listed and "sw.js" not in listed

    page = opened(site.url + "#landscape")
    assert page.evaluate("() => window.descentlab.build") == build
    wait_controlled(page)

    # the cache holds exactly this build's files, each a complete 200 response
    state = page.evaluate(CACHE_STATE_JS)
    assert state["keys"] == [f"descentlab:/:{build}"]
    assert set(state["entries"]) == set(listed)
    for path, entry in state["entries"].items():
        assert entry["status"] == 200, (path, entry)
        assert entry["size"] == listed[path], (path, entry)
    assert state["entries"]["pyodide.asm.wasm"]["type"] == "application/wasm"

    # installable: a manifest Chromium parses without errors, with the icons
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest.get("errors") == [], manifest.get("errors")
    parsed = json.loads(manifest["data"])
    assert parsed["name"] == "Descent Lab" and parsed["display"] == "standalone" and parsed["start_url"] == "."
    # (Playwright's contexts are incognito-like, which alone keeps Chromium from offering it)
    installability = [e for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
                      if e["errorId"] != "in-incognito"]
    assert installability == [], installability

    # offline: no server, no network
    site.stop()
    page.context.set_offline(True)
    t0 = time.perf_counter()
    page.reload()
    wait_until_ready(page)
    offline_s = time.perf_counter() - t0
    print(f"\noffline reload to ready: {offline_s:.2f} s")
    assert page.evaluate("() => window.descentlab.build") == build
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")
    assert page.evaluate("() => fetch('pyodide.asm.wasm').then((r) => r.headers.get('content-type'))") == "application/wasm"
    page.wait_for_function("() => document.querySelector('#view').dataset.digest", timeout=120_000)
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert page.evaluate("() => document.querySelector('#view').dataset.digest") == native(spec)["digest"]
    for s in (LANDSCAPE, NETWORK):
        assert page.evaluate("(s) => window.descentlab.run(s)", s)["digest"] == native(s)["digest"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "offline-reload.png"))

    # an offline start (the installed app's start_url ".") and an embedded link both work
    second = page.context.new_page()
    second.goto(site.url + "index.html?embed=1#landscape?lesson=valley")
    wait_until_ready(second)
    assert second.evaluate("() => document.body.classList.contains('embed')")
    second.wait_for_function("() => window.descentlab.view && window.descentlab.view.scene.lesson === 'valley'")


def test_new_build_takes_over_and_old_cache_is_deleted(site, opened):
    old = json.loads((site.root / "build-info.json").read_text())["build"]
    page = opened(site.url)
    wait_controlled(page)
    assert page.evaluate(SW_CACHES_JS) == [f"descentlab:/:{old}"]

    # deploy a changed build into the served directory
    css = site.root / "style.css"
    css.write_text(css.read_text() + "\n/* deployment 2 */\n")
    info = build_tool.finalize(site.root, single_file=False)
    new = info["build"]
    assert new != old
    assert precache_list(site.root)["build"] == new

    # the next visit finds the new sw.js, which caches the new build and deletes the old cache
    page.reload()
    wait_until_ready(page)
    page.wait_for_function(
        "async (name) => { const k = (await caches.keys()).filter((k) => !k.startsWith('descentlab-snapshot:'));"
        " return k.length === 1 && k[0] === name; }",
        arg=f"descentlab:/:{new}", timeout=SW_TIMEOUT_MS, polling=250)
    page.wait_for_function("() => !document.querySelector('#notice').hidden")
    assert "updated" in page.locator("#notice-text").inner_text()
    page.reload()
    wait_until_ready(page)
    assert page.evaluate("() => window.descentlab.build") == new
    assert page.evaluate("() => document.querySelector('meta[name=descentlab-build]').content") == new
    sw_build = page.evaluate("""() => new Promise((resolve) => {
        const ch = new MessageChannel();
        ch.port1.onmessage = (e) => resolve(e.data.build);
        navigator.serviceWorker.controller.postMessage({type: 'descentlab:sw-build'}, [ch.port2]);
    })""")
    assert sw_build == new

    # and the new build, too, works with the server gone
    site.stop()
    page.context.set_offline(True)
    page.reload()
    wait_until_ready(page)
    assert page.evaluate("() => window.descentlab.build") == new
    assert "deployment 2" in page.evaluate("() => fetch('style.css').then((r) => r.text())")
    assert page.evaluate("(s) => window.descentlab.run(s)", LANDSCAPE)["digest"] == native(LANDSCAPE)["digest"]
