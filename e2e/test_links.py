"""Links are input from anyone: every URL parameter goes through one validating reader.

A bad value is named in a visible message (with what is allowed), the view keeps working
with the default for it, nothing half-read reaches the views (no uncaught TypeError), no
colour from a link makes the page fetch anything, and what is computed is what is shown.
"""
from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

import descentlab

SHOTS = Path("/tmp/shots")


def q(value) -> str:
    return urllib.parse.quote(json.dumps(value), safe="")


def native(spec):
    return descentlab.run(json.loads(json.dumps(spec)))


def problems(page) -> dict:
    """{parameter: message} of the link's problems the view shows."""
    page.wait_for_function("() => window.descentlab.view")
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.link-problems:not([hidden]) li')]
        .map((li) => [li.dataset.param, li.textContent]))""")


def wait_digest(page, old=None, timeout=60_000):
    page.wait_for_function(
        "(old) => { const d = document.querySelector('#view').dataset.digest; return d && d !== old; }",
        arg=old, timeout=timeout)
    return page.evaluate("() => document.querySelector('#view').dataset.digest")


def go(page, hash_):
    """Show another link in the same page (the router mounts its view afresh)."""
    page.evaluate("""(h) => {
        window.__oldView = window.descentlab.view;
        delete document.querySelector('#view').dataset.digest;
        location.hash = h;
    }""", hash_)
    page.wait_for_function("() => window.descentlab.view && window.descentlab.view !== window.__oldView")


@pytest.fixture
def app(opened, server):
    return opened(server)


BAD_LINKS = [
    # (link, the parameters it must name, the view)
    ('#landscape?opts=["x"]', {"opts"}, "landscape"),
    ("#landscape?t=-1", {"t"}, "landscape"),
    ('#landscape?sel=[0,"x"]', {"sel[1]"}, "landscape"),
    ("#landscape?fn=nope&steps=abc", {"fn", "steps"}, "landscape"),
    ("#landscape?start=[1e400,2]&fp=" + q({"condition": "x"}) + "&lesson=nope&zoom=3", {"start[0]", "fp.condition", "lesson", "zoom"}, "landscape"),
    ("#network?model=1", {"model"}, "network"),
    ("#network?bs=0&ds=" + q({"name": "moons", "n": -4}) + "&opts=" + q([{"name": "adam", "p": {"lr": "fast"}}]),
     {"bs", "ds.n", "opts[0].p.lr"}, "network"),
    ('#projection?net="x"', {"net"}, "projection"),
    ("#projection?perplexity=0&hide=[7]&target=weights", {"perplexity", "hide[0]", "target"}, "projection"),
]


def test_bad_values_are_named_and_the_views_use_defaults(app):
    page = app
    page.wait_for_function("() => window.descentlab.view")
    for link, names, view in BAD_LINKS:
        go(page, link)
        shown = problems(page)
        assert names <= shown.keys(), (link, shown)
        for name in names:
            assert ("must be" in shown[name] or "has" in shown[name] or "not a setting" in shown[name]), shown[name]
            assert "default" in shown[name] or "ignored" in shown[name] or "dropped" in shown[name], shown[name]
        assert page.evaluate("() => window.descentlab.viewName") == view
        # the view works with the defaults
        if view == "landscape":
            digest = wait_digest(page)
            spec = page.evaluate("() => window.descentlab.view.spec")
            assert digest == native(spec)["digest"], link
            label = page.locator(".step-label").inner_text()
            assert label == f"step {spec['steps']} / {spec['steps']}", label
        elif view == "network":
            page.wait_for_function("() => window.descentlab.view.data", timeout=60_000)
            spec = page.evaluate("() => window.descentlab.view.spec")
            assert spec["model"]["hidden"] and all(isinstance(w, int) for w in spec["model"]["hidden"])
        else:
            assert "hidden [16,16]" in page.locator(".projection-view .side").inner_text()
    # (console errors, uncaught TypeErrors included, fail the test when the page closes)


def test_link_problem_message_screenshots(opened, server):
    """The message a bad link gets, at desktop and phone widths (saved under /tmp/shots)."""
    page = opened(server + '#landscape?fn=nope&steps=abc&opts=[{"name":"adam","c":"url(http://example.invalid/x.png)"}]')
    wait_digest(page)
    box = page.locator(".link-problems")
    assert box.is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for w, h in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": w, "height": h})
        box.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"link-problems-{w}x{h}.png"))
    # it can be dismissed
    page.get_by_role("button", name="Dismiss").click()
    assert box.is_hidden()


def test_nested_json_link_is_refused_and_the_view_keeps_computing(opened, server):
    """`fp` nested 3000 deep used to reach the worker, which dropped it silently: the
    landscape view then never computed again until a reload."""
    deep = "[" * 3000 + "1" + "]" * 3000
    page = opened(server + "#landscape?fn=quadratic&fp=" + urllib.parse.quote(deep))
    digest = wait_digest(page)
    assert "nested at most" in problems(page)["fp"]
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert spec["function"] == "quadratic" and spec["function_params"] == {}
    assert digest == native(spec)["digest"]
    # a request the page API refuses for its depth does not stop the view either
    out = page.evaluate("""(text) => window.descentlab.run({kind: 'grid', function: 'quadratic', function_params: JSON.parse(text)})
        .then(() => null, (e) => ({kind: e.kind, field: e.field}))""", deep)
    assert out == {"kind": "SpecError", "field": "function_params"}
    steps = page.locator("[data-field='steps']")
    steps.fill("77")
    steps.press("Enter")
    digest = wait_digest(page, digest)
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert spec["steps"] == 77 and digest == native(spec)["digest"]


def test_labels_come_from_the_spec_computed(opened, server):
    """A hyper-parameter called "name" once renamed the run: Adam shown, SGD computed."""
    page = opened(server + "#landscape?opts=" + q([{"name": "adam", "p": {"name": "sgd", "lr": 0.05}},
                                                   {"name": "momentum", "p": {"lr": 0.001}}]))
    digest = wait_digest(page)
    assert "opts[0].p.name" in problems(page)
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert [o["name"] for o in spec["optimizers"]] == ["adam", "momentum"]
    assert spec["optimizers"][0]["lr"] == 0.05
    assert digest == native(spec)["digest"]
    result_names = page.evaluate("() => window.descentlab.view.result.runs.map((r) => r.name)")
    assert result_names == ["adam", "momentum"]
    titles = {o["name"]: o["title"] for o in descentlab.list_catalog()["optimizers"]}
    summaries = page.locator(".opt-item summary").all_inner_texts()
    assert summaries[0].startswith(f"1. {titles['adam']} ") and summaries[1].startswith(f"2. {titles['momentum']} "), summaries


def test_colours_from_a_link_are_never_css(opened, server, page_watch):
    """`url(...)` as a colour made the page request an outside URL. Colours are "#rrggbb"
    or a palette index; anything else is ignored with a message. (Requests that leave
    127.0.0.1 are recorded, blocked and fail the test.)"""
    outside = "http://example.invalid/track.png"
    page = opened(server + "#landscape?opts=" + q([{"name": "adam", "c": f"url({outside})"},
                                                   {"name": "sgd", "c": 2}, {"name": "rmsprop", "c": "#00AA11"}]))
    wait_digest(page)
    assert "palette index" in problems(page)["opts[0].c"]
    colours = page.evaluate("() => [...document.querySelectorAll('.opt-item summary .swatch')].map((s) => getComputedStyle(s).backgroundColor)")
    assert len(colours) == 3 and not any("url" in c for c in colours)
    assert colours[1:] == ["rgb(67, 99, 216)", "rgb(0, 170, 17)"]  # palette #2 is #4363d8
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert all(o["color"].startswith("#") and len(o["color"]) == 7 for o in spec["optimizers"])

    # the projection view draws the colours of its network spec's optimizers
    net = {"dataset": {"name": "moons", "n": 100, "noise": 0.2, "seed": 0}, "model": {"hidden": [4], "activation": "tanh"},
           "loss": "cross_entropy", "batch_size": 20, "epochs": 4, "seed": 0, "snapshot_every": 2,
           "optimizers": [{"name": "adam", "lr": 0.01, "color": f"url({outside})"},
                          {"name": "sgd", "lr": 0.1, "color": "expression(alert(1))"}]}
    go(page, "#projection?iters=250&grid=11&net=" + q(net))
    shown = problems(page)
    assert {"net.optimizers[0].color", "net.optimizers[1].color"} <= shown.keys(), shown
    swatches = page.evaluate("() => [...document.querySelectorAll('.projection-view .swatch')].map((s) => s.getAttribute('style'))")
    assert swatches and not any("url" in s or "expression" in s for s in swatches), swatches
    page.get_by_role("button", name="Compute").click()
    digest = wait_digest(page, timeout=120_000)
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert all("color" not in o for o in spec["network"]["optimizers"])
    assert digest == native(spec)["digest"]
    assert page_watch.external_requests == []
    assert not any("example.invalid" in u for u in page_watch.requests)
