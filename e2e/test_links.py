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
from conftest import native, wait_digest

SHOTS = Path("/tmp/shots")


def q(value) -> str:
    return urllib.parse.quote(json.dumps(value), safe="")



def problems(page) -> dict:
    """{parameter: message} of the link's problems the view shows."""
    page.wait_for_function("() => window.descentlab.view")
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.link-problems:not([hidden]) li')]
        .map((li) => [li.dataset.param, li.textContent]))""")



def go(page, hash_):
    """Show another link in the same page (the router mounts its view afresh)."""
    page.evaluate("""(h) => {
        window.__oldView = window.descentlab.view;
        delete document.querySelector('#view').dataset.digest;
        if (location.hash === h) window.dispatchEvent(new HashChangeEvent("hashchange"));  // remount all the same
        else location.hash = h;
    }""", hash_)
    page.wait_for_function("() => window.descentlab.view && window.descentlab.view !== window.__oldView")


@pytest.fixture
def app(opened, server):
    return opened(server)


BAD_LINKS = [
    # (link, the parameters it must name, the view)
    ('#landscape?optimizers=["x"]', {"optimizers"}, "landscape"),
    ("#landscape?step=-1", {"step"}, "landscape"),
    ('#landscape?selected=[0,"x"]', {"selected[1]"}, "landscape"),
    ("#landscape?function=nope&steps=abc", {"function", "steps"}, "landscape"),
    ("#landscape?start=[1e400,2]&function_params=" + q({"condition": "x"}) + "&lesson=nope&zoom=3",
     {"start[0]", "function_params.condition", "lesson", "zoom"}, "landscape"),
    ("#network?model=1", {"model"}, "network"),
    ("#network?batch_size=0&dataset=" + q({"name": "moons", "n": -4}) + "&optimizers=" + q([{"name": "adam", "params": {"lr": "fast"}}]),
     {"batch_size", "dataset.n", "optimizers[0].params.lr"}, "network"),
    ('#projection?network="x"', {"network"}, "projection"),
    ("#projection?perplexity=0&hide=[7]&target=weights", {"perplexity", "hide[0]", "target"}, "projection"),
    # links made before the keys were spelled out are read through the one table of old
    # keys, so their bad values are named by the new keys
    ("#landscape?fn=nope&t=-1&opts=" + q([{"name": "adam", "p": {"lr": "fast"}, "c": "red"}]),
     {"function", "step", "optimizers[0].params.lr", "optimizers[0].color"}, "landscape"),
    # a text choice is one of its module's values
    ("#network?optimizers=" + q([{"name": "sophia", "params": {"hessian_distribution": "uniform"}}]),
     {"optimizers[0].params.hessian_distribution"}, "network"),
    ("#network?bs=0&vf=2&ds=" + q({"name": "moons", "n": -4}), {"batch_size", "val_fraction", "dataset.n"}, "network"),
    ('#projection?net="x"&iters=5', {"network", "max_iter"}, "projection"),
    # an old key next to its new one: the new one is read, the old one named and ignored
    ("#landscape?function=booth&fn=beale", {"fn"}, "landscape"),
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
    page = opened(server + '#landscape?function=nope&steps=abc&optimizers=[{"name":"adam","color":"url(http://example.invalid/x.png)"}]')
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
    """`function_params` nested 3000 deep used to reach the worker, which dropped it
    silently: the landscape view then never computed again until a reload."""
    deep = "[" * 3000 + "1" + "]" * 3000
    page = opened(server + "#landscape?function=quadratic&function_params=" + urllib.parse.quote(deep))
    digest = wait_digest(page)
    assert "nested at most" in problems(page)["function_params"]
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
    page = opened(server + "#landscape?optimizers=" + q([{"name": "adam", "params": {"name": "sgd", "lr": 0.05}},
                                                         {"name": "momentum", "params": {"lr": 0.001}}]))
    digest = wait_digest(page)
    assert "optimizers[0].params.name" in problems(page)
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
    page = opened(server + "#landscape?optimizers=" + q([{"name": "adam", "color": f"url({outside})"},
                                                         {"name": "sgd", "color": 2}, {"name": "rmsprop", "color": "#00AA11"}]))
    wait_digest(page)
    assert "palette index" in problems(page)["optimizers[0].color"]
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
    go(page, "#projection?max_iter=250&grid=11&network=" + q(net))
    shown = problems(page)
    assert {"network.optimizers[0].color", "network.optimizers[1].color"} <= shown.keys(), shown
    swatches = page.evaluate("() => [...document.querySelectorAll('.projection-view .swatch')].map((s) => s.getAttribute('style'))")
    assert swatches and not any("url" in s or "expression" in s for s in swatches), swatches
    page.get_by_role("button", name="Compute").click()
    digest = wait_digest(page, timeout=120_000)
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert all("color" not in o for o in spec["network"]["optimizers"])
    assert digest == native(spec)["digest"]
    assert page_watch.external_requests == []
    assert not any("example.invalid" in u for u in page_watch.requests)


PROJECTED = {"dataset": {"name": "moons", "n": 100, "noise": 0.2, "seed": 0}, "model": {"hidden": [4], "activation": "tanh"},
             "loss": "cross_entropy", "batch_size": 20, "epochs": 4, "seed": 0, "snapshot_every": 2,
             "optimizers": [{"name": "adam", "lr": 0.01, "color": "#123456"}, {"name": "sgd", "lr": 0.1}]}
OLD_AND_NEW = [
    # (a link written before the keys were spelled out, the same scene with the keys of now)
    ("#landscape?fn=quadratic&fp=" + q({"condition": 20, "angle": 10}) + "&start=[1.2,-0.7]&steps=50&opts="
     + q([{"name": "adam", "p": {"lr": 0.1}, "c": 2}, {"name": "sgd", "p": {"lr": 0.01}, "c": "#123456"}]) + "&t=10&sel=[0,5]",
     "#landscape?function=quadratic&function_params=" + q({"condition": 20, "angle": 10}) + "&start=[1.2,-0.7]&steps=50&optimizers="
     + q([{"name": "adam", "params": {"lr": 0.1}, "color": 2}, {"name": "sgd", "params": {"lr": 0.01}, "color": "#123456"}])
     + "&step=10&selected=[0,5]"),
    ("#network?epochs=3&bs=16&vf=0.3&l2=0.001&ds=" + q({"name": "circles", "n": 150, "noise": 0.1, "seed": 2})
     + "&opts=" + q([{"name": "adam", "p": {"lr": 0.02}}, {"name": "rmsprop", "c": 3}]) + "&train=1",
     "#network?epochs=3&batch_size=16&val_fraction=0.3&l2=0.001&dataset=" + q({"name": "circles", "n": 150, "noise": 0.1, "seed": 2})
     + "&optimizers=" + q([{"name": "adam", "params": {"lr": 0.02}}, {"name": "rmsprop", "color": 3}]) + "&train=1"),
    ("#projection?iters=250&grid=7&hide=[1]&net=" + q(PROJECTED) + "&compute=1",
     "#projection?max_iter=250&grid=7&hide=[1]&network=" + q(PROJECTED) + "&compute=1"),
]


@pytest.mark.parametrize("old, new", OLD_AND_NEW, ids=["landscape", "network", "projection"])
def test_links_with_the_old_keys_open_the_same_scene(app, old, new):
    """Links shared before the URL keys were spelled out still open: each gives the same
    scene (the same spec and digest) as its new form, reports no problem, and is written
    back in the new form."""
    page = app
    page.wait_for_function("() => window.descentlab.view")
    seen = []
    for link in (old, new):
        go(page, link)
        digest = wait_digest(page, timeout=120_000)
        assert problems(page) == {}, link
        seen.append(page.evaluate("() => [window.descentlab.view.spec, location.hash]") + [digest])
    (old_spec, old_hash, old_digest), (new_spec, new_hash, new_digest) = seen
    assert old_digest == new_digest == native(new_spec)["digest"]
    assert old_spec == new_spec
    assert old_hash == new_hash


def test_a_link_keeps_a_text_choice(opened, server):
    """Sophia's hessian_distribution and Muon's adjust_lr_fn are texts: a link carries them to the spec."""
    link = "#network?optimizers=" + q([{"name": "sophia", "params": {"hessian_distribution": "rademacher"}},
                                       {"name": "muon", "params": {"adjust_lr_fn": "match_rms_adamw"}}])
    page = opened(server + link)
    page.wait_for_function("() => window.descentlab.view && window.descentlab.view.spec")
    assert problems(page) == {}
    opts = page.evaluate("() => window.descentlab.view.spec.optimizers")
    assert opts[0]["hessian_distribution"] == "rademacher" and opts[1]["adjust_lr_fn"] == "match_rms_adamw"
