"""A fair comparison in the network view (issue #16 item 7): "Tune learning rates" sends the
network spec as a tune, shows progress with Stop, each optimizer at its own best lr with the
median and min–max bands over the seeds, the grid, the note that the ranking holds for this
dataset, network, seeds and settings only; "Use these lrs" sets each lr to its best and
trains. Refused specs (a budget, a bad range) are named in the page, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import native, wait_digest

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"

SMALL = {"epochs": 8, "dataset": {"name": "moons", "n": 160, "noise": 0.2, "seed": 0},
         "model": {"hidden": [8], "activation": "tanh"},
         # a schedule's own lr (eta_min) and SAM's base lr are tuned along: "Use these lrs" must set them as the tune ran them
         "optimizers": [{"name": "sgd", "params": {"lr": 0.1}},
                        {"name": "adam", "params": {"lr": 0.01}, "schedule": {"name": "cosine", "T_max": 40, "eta_min": 0.001}},
                        {"name": "sam", "params": {"rho": 0.05}, "base": {"name": "sgd", "params": {"lr": 0.1}}}]}
TITLES = ("SGD", "Adam", "SAM (SGD)")
GRID = {"min": 0.001, "max": 1, "points": 4}
REPEATS = 3


def link(scene: dict) -> str:
    return "#network?" + "&".join(f"{k}={v if isinstance(v, int) else json.dumps(v)}" for k, v in scene.items())


def open_network(opened, url):
    page = opened(url)
    page.wait_for_function("() => window.descentlab.view && window.descentlab.view.data", timeout=60_000)
    return page


def set_tune(page, lr: dict, repeats: int):
    for field, value in (("lr.min", lr["min"]), ("lr.max", lr["max"]), ("lr.points", lr["points"]), ("repeats", repeats)):
        page.fill(f'.tune [data-field="{field}"]', str(value))
        page.press(f'.tune [data-field="{field}"]', "Tab")


def overflow(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def too_wide(page) -> list:
    """The innermost elements whose right edge passes the window's (for a failure's message)."""
    return page.evaluate("""() => [...document.querySelectorAll('body *')].filter((e) => {
        const r = e.getBoundingClientRect(); return r.width && r.right > window.innerWidth + 0.5
          && ![...e.children].some((c) => c.getBoundingClientRect().right > window.innerWidth + 0.5); })
        .slice(0, 8).map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)""")


def tune_and_wait(page):
    page.click(".tune .tune-run")
    page.wait_for_selector(".tune .tune-notes", timeout=180_000)


def test_tune_shows_best_lrs_bands_and_uses_them(opened, server):
    page = open_network(opened, server + link(SMALL))
    set_tune(page, GRID, REPEATS)
    tune_and_wait(page)
    view_spec = page.evaluate("() => window.descentlab.view.spec")
    ref = native({"kind": "tune", "scene": view_spec, "lr": GRID, "repeats": REPEATS})
    tune = page.locator(".tune")
    assert tune.get_attribute("data-digest") == ref["digest"]
    # the plain sentence: this ranking holds for this dataset, network, seeds and settings only
    assert "this dataset, this network, these seeds and these settings only" in ref["notes"]
    assert ref["notes"] in page.text_content(".tune .tune-notes")
    # each optimizer's best lr beside its label, in the chart's key
    keys = page.locator(".tune .tune-best li")
    assert keys.count() == len(TITLES)
    for i, (t, title) in enumerate(zip(ref["tuned"], TITLES)):
        text = keys.nth(i).inner_text()
        assert title in text and "best lr" in text
        shown = float(text.split("best lr")[1].split()[0])
        assert abs(shown - t["best_lr"]) <= 5e-3 * t["best_lr"]   # three significant digits
        assert t["spread"]["seeds"] == [0, 1, 2]
    # the grid: every lr's validation loss, the best starred
    rows = page.locator(".tune-grid tbody tr")
    assert rows.count() == len(TITLES)
    for i, t in enumerate(ref["tuned"]):
        cells = rows.nth(i).locator("td")
        assert cells.count() == GRID["points"]
        for j, loss in enumerate(t["grid"]["loss"]):
            if not t["grid"]["diverged"][j]:
                assert float(cells.nth(j).get_attribute("data-value")) == loss
        assert "★" in cells.nth(t["best_index"]).inner_text()
    # the bands: median, min and max over the seeds differ (the seeds vary the run), so the
    # chart really drew bands: the faint fill (alpha 0.18, or two overlapping) covers much of
    # the canvas, where lines and their anti-aliased edges alone would cover under 1%
    spread = ref["tuned"][1]["spread"]["val_loss"]
    assert any(lo < hi for lo, hi in zip(spread["min"], spread["max"]))
    faint = page.evaluate("""() => { const c = document.querySelector('.tune canvas.tune-chart');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] >= 35 && d[i] <= 90) n++;
        return n / (c.width * c.height); }""")
    assert faint > 0.05
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(200)
        assert overflow(page) <= 0, f"horizontal overflow at {width} px: {too_wide(page)}"
        page.evaluate("(w) => document.querySelector(w > 600 ? '.tune' : '.tune .tune-notes').scrollIntoView({ block: 'start' })", width)
        page.screenshot(path=str(SHOTS / f"network-tune-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 800})
    # "Use these lrs": each optimizer's lr field is its best lr, and the scene trains with them
    old = page.evaluate("() => document.querySelector('#view').dataset.digest || ''")
    page.click(".tune .tune-use")
    for i, t in enumerate(ref["tuned"]):
        field = f"optimizers[{i}].base.lr" if i == 2 else f"optimizers[{i}].lr"
        assert float(page.input_value(f'[data-field="{field}"]')) == t["best_lr"]
    digest = wait_digest(page, old or None, timeout=120_000)
    spec = page.evaluate("() => window.descentlab.view.spec")
    sgd, adam, sam = spec["optimizers"]
    assert [sgd["lr"], adam["lr"], sam["base"]["lr"]] == [t["best_lr"] for t in ref["tuned"]]
    assert adam["schedule"]["eta_min"] == ref["tuned"][1]["best_run"]["schedule"]["eta_min"]
    assert sam["rho"] == 0.05
    result = native(spec)
    assert result["digest"] == digest
    # the scene trained at the best lrs is the tune's own run of it (seed as set)
    for run, t in zip(result["runs"], ref["tuned"]):
        assert run["epochs"]["val_loss"] == t["best_run"]["epochs"]["val_loss"]
    # the link keeps the new lrs
    assert json.loads(page.evaluate("() => new URLSearchParams(location.hash.split('?')[1]).get('optimizers')"))[0]["params"]["lr"] \
        == ref["tuned"][0]["best_lr"]


def test_default_network_tune_shows_progress_stops_and_names_refusals(opened, server):
    page = open_network(opened, server + "#network")
    page.set_viewport_size({"width": 390, "height": 844})
    page.click(".tune .tune-run")
    # progress moves, and Stop ends the tune long before it would have finished
    page.wait_for_function("() => document.querySelector('.tune .tune-progress').value >= 1", timeout=120_000)
    assert "run" in page.text_content(".tune .tune-status")
    page.click(".tune .tune-stop")
    page.wait_for_function("() => /Stopped/.test(document.querySelector('.tune .tune-status').textContent)", timeout=30_000)
    assert page.is_enabled(".tune .tune-run") and page.is_disabled(".tune .tune-stop")
    assert page.locator(".tune .tune-notes").count() == 0
    # the budget refuses 25 lrs × 9 seeds on the default network: its message, in the page
    set_tune(page, {"min": 0.0001, "max": 1, "points": 25}, 9)
    page.click(".tune .tune-run")
    page.wait_for_selector(".tune .tune-message:not([hidden])", timeout=60_000)
    text = page.text_content(".tune .tune-message")
    assert "budget" in text and "lr.points=25" in text and "Traceback" not in text
    assert page.get_attribute('.tune [data-field="lr.points"]', "aria-invalid") == "true"
    # a range the core refuses names its field (the page's own check passes both values)
    set_tune(page, {"min": 0.5, "max": 0.1, "points": 5}, 1)
    page.click(".tune .tune-run")
    page.wait_for_function("() => /greater than lr.min/.test(document.querySelector('.tune .tune-message').textContent)", timeout=60_000)
    assert page.text_content(".tune .tune-message").startswith("lr to:")
    assert page.get_attribute('.tune [data-field="lr.max"]', "aria-invalid") == "true"
    # an entry the page itself refuses is named, and the tune does not run on its last good value
    page.fill('.tune [data-field="repeats"]', "99")
    page.press('.tune [data-field="repeats"]', "Tab")
    page.click(".tune .tune-run")
    assert "Seeds (repeats) must be between" in page.text_content(".tune .tune-message")
    assert page.is_enabled(".tune .tune-run") and page.is_disabled(".tune .tune-stop")
    set_tune(page, {"min": 0.5, "max": 0.1, "points": 5}, 1)
    # a refused hidden-layer field is named, not silently replaced by the last good widths
    page.fill('[data-field="model.hidden"]', "16, x")
    page.press('[data-field="model.hidden"]', "Tab")
    page.click(".tune .tune-run")
    assert page.text_content(".tune .tune-message").startswith("Hidden layer widths:")
    assert page.is_enabled(".tune .tune-run")
    assert overflow(page) <= 0, too_wide(page)


def test_landscape_tune_on_a_phone(opened, server):
    """The landscape's tune at 390 px: fits the width; its screenshot for the docs."""
    scene = {"function": "quadratic", "steps": 60,
             "optimizers": json.dumps([{"name": "sgd", "params": {"lr": 0.01}}, {"name": "adam", "params": {"lr": 0.01}}])}
    page = opened(server + "#landscape?" + "&".join(f"{k}={v}" for k, v in scene.items()))
    page.set_viewport_size({"width": 390, "height": 844})
    wait_digest(page)
    set_tune(page, {"min": 0.001, "max": 1, "points": 5}, 2)
    page.click(".tune .tune-run")
    page.wait_for_selector(".tune .tune-notes", timeout=120_000)
    page.wait_for_timeout(200)
    assert overflow(page) <= 0, too_wide(page)
    page.evaluate("() => document.querySelector('.tune .tune-notes').scrollIntoView({ block: 'start' })")
    page.screenshot(path=str(SHOTS / "landscape-tune-390.png"))
