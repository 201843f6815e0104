"""dist/descentlab.html: the whole app in one file, opened from disk (file://) with no server.

The file is copied alone into an empty directory first (as onto a USB stick), so nothing
next to it can be loaded by accident; the guard records every request the page makes and
each must be the file itself (or data:/blob: inside it). Every view works and every digest
equals native ``descentlab.run``.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

import descentlab
from conftest import PageWatch, native, open_page

SHOTS = Path("/tmp/shots")
MAX_BYTES = 20_000_000   # ~18 MB today: gzip+base64 of Pyodide (wasm, asm.js); stdlib, NumPy, our wheel as bytecode

TINY_NETWORK = "#network?epochs=4&dataset=" + json.dumps({"name": "moons", "n": 120, "noise": 0.2, "seed": 0})
TINY_PROJECTION_NET = {
    "kind": "network", "dataset": {"name": "moons", "n": 120, "noise": 0.2, "seed": 0},
    "model": {"hidden": [6, 6], "activation": "tanh"}, "loss": "cross_entropy", "batch_size": 32, "epochs": 6,
    "seed": 0, "snapshot_every": 3,
    "optimizers": [{"name": "sgd", "lr": 0.1, "color": "#e6194b"}, {"name": "adam", "lr": 0.01, "color": "#3cb44b"}],
}
TINY_PROJECTION = "#projection?max_iter=250&grid=7&network=" + json.dumps(TINY_PROJECTION_NET)
SPEC = {
    "kind": "landscape", "function": "beale", "start": [1.0, 1.4], "steps": 200,
    "optimizers": [{"name": "momentum", "lr": 0.01, "momentum": 0.9}, {"name": "adam", "lr": 0.05}],
}



def digest_after(page, action, timeout=180_000):
    old = page.evaluate("() => document.querySelector('#view').dataset.digest || ''")
    action()
    # a new digest, or a message naming what is wrong (then fail at once, with it)
    page.wait_for_function("""(old) => (document.querySelector('#view').dataset.digest || '') !== old
        || [...document.querySelectorAll('#view .message')].some((m) => !m.hidden && m.textContent)""",
                           arg=old, timeout=timeout)
    messages = page.evaluate("() => [...document.querySelectorAll('#view .message')].filter((m) => !m.hidden).map((m) => m.textContent)")
    assert not any(messages), messages
    return page.evaluate("() => document.querySelector('#view').dataset.digest")


@pytest.fixture(scope="module")
def single_file(dist, tmp_path_factory) -> Path:
    stick = tmp_path_factory.mktemp("usb-stick")
    path = stick / "descentlab.html"
    shutil.copy(dist / "descentlab.html", path)
    assert sorted(p.name for p in stick.iterdir()) == ["descentlab.html"]
    return path


@pytest.fixture(scope="module")
def app(browser, single_file):
    """One page for the module: starting Pyodide from the file takes a few seconds."""
    watch = PageWatch()
    page = open_page(browser, single_file.as_uri() + "#landscape", watch)
    yield page, watch
    page.context.close()
    assert watch.console_errors == [], f"console errors: {watch.console_errors}"
    assert watch.external_requests == [], f"requests left the file: {watch.external_requests}"
    for url in watch.requests:
        assert url.split(":", 1)[0] in ("file", "data", "blob"), url
        if url.startswith("file:"):
            assert url.split("#")[0] == single_file.as_uri(), url


def test_file_is_self_contained_and_small(dist):
    html = (dist / "descentlab.html").read_text(encoding="utf-8")
    size = (dist / "descentlab.html").stat().st_size
    assert size < MAX_BYTES, f"descentlab.html is {size / 1e6:.1f} MB"
    info = json.loads((dist / "build-info.json").read_text())
    assert info["single_file"]["size"] == size
    # no reference to anything next to it or on a network: every src/href is data: or #fragment
    page_part = html.split('<script type="application/x-descentlab-asset"')[0]
    refs = re.findall(r'(?:src|href)="([^"]*)"', page_part)
    assert refs and all(r.startswith(("data:", "#")) for r in refs), [r[:60] for r in refs]
    assert 'rel="manifest"' not in page_part
    # the build id of this build, as in dist/index.html
    assert f'<meta name="descentlab-build" content="{info["build"]}">' in html


def test_the_page_and_its_worker_start_before_the_assets_are_parsed(dist):
    """The first picture must not wait for ~18 MB of asset text: the main worker starts from
    the <head> and waits for the assets, and the modules run from an async script placed
    before them (a plain module script runs only once the whole document is parsed)."""
    html = (dist / "descentlab.html").read_text(encoding="utf-8")
    head, body = html.split("</head>", 1)
    assert '<script id="descentlab-early-worker">' in head and "DESCENTLAB_AWAITS_ASSETS" in head
    first_asset = body.index('<script type="application/x-descentlab-asset"')
    modules = [m.start() for m in re.finditer(r"<script type=\"module\"[^>]*>", html)]
    assert len(modules) == 1, "one module script starts the app"
    start = html[modules[0]:html.index("</script>", modules[0])]
    assert " async" in start and "app.js" in start, start
    assert len(head) < modules[0] < len(head) + first_asset, "the app's module script sits before the assets"
    assert body.rindex("DESCENTLAB_AWAITS_ASSETS") > first_asset, "the bootstrap after them posts the assets"


def test_loads_from_disk_and_runs_like_native(app):
    page, watch = app
    assert page.evaluate("() => window.descentlab.ready") == {"version": descentlab.__version__}
    assert page.evaluate("() => window.DESCENTLAB_SINGLE_FILE") is True
    assert page.evaluate("() => location.protocol") == "file:"
    assert page.evaluate("() => 'serviceWorker' in navigator && navigator.serviceWorker.controller") in (None, False)
    result = page.evaluate("(spec) => window.descentlab.run(spec)", SPEC)
    assert result["digest"] == native(SPEC)["digest"]
    # the worker checked each package's archive against the lock's sha256 and can be restarted from the file
    page.evaluate("() => window.descentlab._worker.terminate()")
    page.evaluate("() => window.descentlab.ready")
    assert page.evaluate("(spec) => window.descentlab.run(spec)", SPEC)["digest"] == result["digest"]


def test_landscape_view_draws(app):
    page, _ = app
    page.evaluate("() => { location.hash = '#landscape?lesson=rosenbrock'; }")
    page.wait_for_function("() => window.descentlab.viewName === 'landscape' && document.querySelector('#view').dataset.digest",
                           timeout=120_000)
    page.wait_for_function("() => window.descentlab.view.spec && window.descentlab.view.spec.steps === 1000")
    digest = page.evaluate("() => document.querySelector('#view').dataset.digest")
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert digest == native(spec)["digest"]
    # the grid arrives after the runs: wait for a heat map, contours and paths (many colours)
    page.wait_for_function("""() => {
        const c = document.querySelector('.landscape-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4 * 97) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        return seen.size > 50;
    }""")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "single-file-landscape.png"))


def test_network_view_trains(app):
    page, _ = app
    page.evaluate("(h) => { location.hash = h; }", TINY_NETWORK)
    page.wait_for_function("() => window.descentlab.viewName === 'network' && window.descentlab.view && window.descentlab.view.data",
                           timeout=60_000)
    digest = digest_after(page, lambda: page.get_by_role("button", name="Train", exact=True).click())
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert spec["epochs"] == 4
    assert digest == native(spec)["digest"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "single-file-network.png"))


def test_projection_view_computes(app, dist):
    if not (dist / "views" / "projection.js").exists():
        pytest.skip("no projection view in this build")
    page, _ = app
    page.evaluate("(h) => { location.hash = h; }", TINY_PROJECTION)
    page.wait_for_function("() => window.descentlab.viewName === 'projection' && window.descentlab.view", timeout=60_000)
    digest = digest_after(page, lambda: page.get_by_role("button", name="Compute", exact=True).click())
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert digest == native(spec)["digest"]


def test_share_dialog_explains_the_file(app, single_file):
    page, _ = app
    page.get_by_role("button", name="Share / embed").click()
    dialog = page.get_by_role("dialog", name="Share / embed")
    assert dialog.is_visible()
    assert "runs from a file" in dialog.locator(".share-file-note").inner_text()
    assert dialog.get_by_label("Link to this scene").input_value().startswith(single_file.as_uri() + "#")
    assert dialog.locator(".share-download").is_hidden()
    assert dialog.locator(".share-embed").is_hidden()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "single-file-share.png"))
    page.keyboard.press("Escape")
    assert not dialog.is_visible()


def test_loading_names_each_stage(browser, single_file):
    """Nothing is downloaded from a file: the page names the stages (no byte counts)."""
    from test_runtime import progress_log
    log = progress_log(browser, single_file.as_uri())
    stages = [e["stage"] for e in log]
    seen = [s for i, s in enumerate(stages) if i == 0 or s != stages[i - 1]]
    assert seen == ["runtime", "python", "numpy", "descentlab"], seen
    assert all(e["bytes"] is None for e in log)
    fractions = [e["fraction"] for e in log]
    assert fractions == sorted(fractions) and fractions[-1] == 1
    assert all(e["determinate"] for e in log)
    shown = " | ".join(e["status"] for e in log)
    for text in ("Starting Python", "Importing NumPy", "Importing Descent Lab"):
        assert text in shown, (text, shown)
    assert "MB" not in shown
