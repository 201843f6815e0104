"""The inspector in Chromium: the real code of the selected step, with the values Python traced.

Every value the page shows beside a line must equal, bit for bit (its ``data-value``),
what native ``descentlab.trace`` gives for the same spec, run and step.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import descentlab
from conftest import wait_digest

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
q = lambda v: urllib.parse.quote(json.dumps(v), safe="")  # noqa: E731

# Issue #14's example: Adam with an L2 weight decay on Booth, step 2.
ADAM_L2 = ("#landscape?function=booth&start=[-8,-6]&steps=30&optimizers="
           + q([{"name": "adam", "params": {"lr": 0.1, "weight_decay": 0.5}}, {"name": "rmsprop", "params": {"lr": 0.05, "centered": True}}])
           + "&selected=[0,2]")


def shown_values(page, root=".inspector"):
    """{line: {name: exact text}} of the values beside the listing's lines."""
    return page.evaluate("""(root) => {
        const out = {};
        const rows = (sel) => document.querySelectorAll(`${root} .trace-view > .listing-wrap .trace-listing tbody ${sel}`);
        for (const tr of rows('tr[data-line]')) {
            const chips = [...tr.querySelectorAll('.tv')];
            if (chips.length) out[tr.dataset.line] = Object.fromEntries(chips.map((c) => [c.dataset.name, c.dataset.value]));
        }
        // a narrow listing shows the same values under each line: they must agree
        for (const tr of rows('tr.below')) {
            const chips = [...tr.querySelectorAll('.tv')];
            const beside = JSON.stringify(out[tr.dataset.below]);
            if (JSON.stringify(Object.fromEntries(chips.map((c) => [c.dataset.name, c.dataset.value]))) !== beside)
                throw new Error(`line ${tr.dataset.below}: the values under it differ from those beside it`);
        }
        return out;
    }""", root)


def leaves(name, value, pick):
    """The trace's values as the page names them: name[i] for a tuple, name.field for a state."""
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, float) for v in value):
        return {name: pick(value)}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in leaves(f"{name}[{i}]", item, pick).items()}
    if isinstance(value, dict):
        return {k: v for f, item in value.items() for k, v in leaves(f"{name}.{f}", item, pick).items()}
    return {name: value}


def expected_values(traced, pick=lambda v: v):
    out = {}
    for entry in traced["lines"]:
        for name, value in entry["values"].items():
            out.setdefault(str(entry["line"]), {}).update(leaves(name, value, pick))
    return out


def as_python(text):
    """A data-value back to the Python value it spells (shortest round-trip floats)."""
    if text in ("True", "False"):
        return text == "True"
    try:
        return int(text)
    except ValueError:
        return float(text)


def assert_same(shown, expected):
    assert set(shown) == set(expected), (sorted(shown), sorted(expected))
    for line, values in expected.items():
        assert set(shown[line]) == set(values), line
        for name, value in values.items():
            got = as_python(shown[line][name])
            assert type(got) is type(value) or isinstance(value, float), (line, name, got, value)
            assert repr(float(got)) == repr(float(value)), (line, name, got, value)


def open_inspected(opened, server, hash_):
    page = opened(server + hash_)
    wait_digest(page)
    page.wait_for_selector(".inspector .trace-listing")
    return page


def test_landscape_inspector_shows_the_traced_code_and_values(opened, server):
    page = open_inspected(opened, server, ADAM_L2)
    spec = page.evaluate("() => window.descentlab.view.spec")
    traced = descentlab.trace(json.loads(json.dumps(spec)), 0, 2)
    listing = page.locator(".inspector .trace-view > .listing-wrap .trace-listing")
    assert "def update(" in listing.inner_text()
    code = page.evaluate("() => [...document.querySelectorAll('.inspector .trace-view > .listing-wrap td.src')].map((td) => td.textContent)")
    assert code == traced["source"]
    assert_same(shown_values(page), expected_values(traced, lambda v: v[0]))
    # the example: m is β₁ m₁ + (1 − β₁) g with g = ∇f + λθ (not the raw gradient's -30.96)
    m_line = str(next(e["line"] for e in traced["lines"] if "m" in e["values"] and "return" not in e["values"]))
    assert float(shown_values(page)[m_line]["m"]) == -31.355000000011167
    # y, then both coordinates
    page.check(".coord-choice input[value=y]")
    page.wait_for_function("() => document.querySelector('.coord-choice input[value=y]')?.checked")
    assert_same(shown_values(page), expected_values(traced, lambda v: v[1]))
    page.check(".coord-choice input[value=both]")
    page.wait_for_function("() => document.querySelector('.coord-choice input[value=both]')?.checked")
    # the listing is redrawn after the choice: wait for the m chip to show both coordinates
    page.wait_for_function("""(line) => [...document.querySelectorAll(
        `.inspector .trace-view > .listing-wrap tr[data-line="${line}"] .tv[data-name="m"]`)]
        .some((c) => c.dataset.value.includes(","))""", arg=m_line)
    assert shown_values(page)[m_line]["m"] == "-31.355000000011167, -31.165000000011176"
    # the equations come from the docstring, as the catalog's; init on request
    eqs = page.evaluate("() => [...document.querySelectorAll('.inspector .trace-equations .eq-line')].map((e) => e.textContent)")
    assert eqs == traced["equations"]
    page.check(".inspector input[name=show-init]")
    page.wait_for_selector(".inspector .trace-init .trace-listing")
    init = page.evaluate("() => [...document.querySelectorAll('.inspector .trace-init td.src')].map((td) => td.textContent)")
    assert init == traced["init_source"]
    # the recorded state is still shown, and agrees
    page.wait_for_selector(".state-table")


def test_a_click_on_the_path_traces_that_step(opened, server):
    page = open_inspected(opened, server, ADAM_L2)
    point = page.evaluate("() => window.descentlab.view.pixelOf(1, 5)")
    canvas = page.locator(".landscape-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    page.wait_for_function("() => { const s = window.descentlab.view.selected; return s && (s.run !== 0 || s.step !== 2); }")
    selected = page.evaluate("() => window.descentlab.view.selected")
    page.wait_for_function("(k) => document.querySelector('.trace-listing caption')?.textContent.includes(`step ${k},`)",
                           arg=selected["step"])
    spec = page.evaluate("() => window.descentlab.view.spec")
    traced = descentlab.trace(json.loads(json.dumps(spec)), selected["run"], selected["step"])
    assert_same(shown_values(page), expected_values(traced, lambda v: v[0]))


NETWORK = {"kind": "network", "dataset": {"name": "moons", "n": 120, "noise": 0.2, "seed": 0},
           "model": {"hidden": [5], "activation": "tanh"}, "epochs": 2, "batch_size": 32,
           "optimizers": [{"name": "adam", "lr": 0.01, "weight_decay": 0.1}, {"name": "rmsprop", "lr": 0.01, "centered": True}]}
NETWORK_LINK = ("#network?epochs=2&batch_size=32&dataset=" + q(NETWORK["dataset"]) + "&model=" + q(NETWORK["model"])
                + "&optimizers=" + q([{"name": "adam", "params": {"lr": 0.01, "weight_decay": 0.1}},
                                      {"name": "rmsprop", "params": {"lr": 0.01, "centered": True}}]) + "&train=1")


def open_network(opened, server):
    page = opened(server + NETWORK_LINK)
    wait_digest(page)
    page.wait_for_selector(".net-inspector .trace-listing")  # W1[0, 0] at step 1 once trained
    return page


def test_network_inspector_shows_one_parameter(opened, server):
    page = open_network(opened, server)
    spec = page.evaluate("() => window.descentlab.view.spec")
    steps = page.evaluate("() => window.descentlab.view.result.runs[1].steps_run")
    page.evaluate(f"() => window.descentlab.view.inspect({{run: 1, step: {steps}, layer: 2, index: 7}})")
    page.wait_for_function("() => document.querySelector('.net-inspector .param-name')?.dataset.param === '[2,7]'")
    traced = descentlab.trace(json.loads(json.dumps(spec)), 1, steps, [2, 7])
    assert traced["param"]["name"] == "W2[3, 1]"
    assert page.locator(".net-inspector .param-name").inner_text() == "W2[3, 1]"
    assert "def update(" in page.locator(".net-inspector .trace-listing").first.inner_text()
    assert_same(shown_values(page, ".net-inspector"), expected_values(traced))
    # the controls say what is shown, and a change of index traces again
    assert page.input_value(".net-inspector select[name=inspect-layer]") == "2"
    page.fill(".net-inspector input[name=inspect-index]", "2")
    page.dispatch_event(".net-inspector input[name=inspect-index]", "change")
    page.wait_for_function("() => document.querySelector('.net-inspector .param-name')?.dataset.param === '[2,2]'")
    assert_same(shown_values(page, ".net-inspector"), expected_values(descentlab.trace(json.loads(json.dumps(spec)), 1, steps, [2, 2])))


def test_screenshots(opened, server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 800), (390, 844)):
        page = opened(server + ADAM_L2)
        page.set_viewport_size({"width": width, "height": height})
        wait_digest(page)
        page.wait_for_function("() => document.querySelector('.inspector .trace-listing .cm-keyword')")
        page.evaluate("() => document.querySelector('.inspector .trace-tools').scrollIntoView({block: 'start'})")
        page.screenshot(path=str(SHOTS / f"inspector-{width}.png"))
        if width == 1280:  # the wide view of the same step
            page.click(".inspector .wide-open")
            page.wait_for_function("() => document.querySelector('.trace-dialog .trace-listing .cm-keyword')")
            page.screenshot(path=str(SHOTS / "inspector-wide-1280.png"))
            page.keyboard.press("Escape")
            page.wait_for_function("() => !document.querySelector('.trace-dialog')")
        net = open_network(opened, server)
        net.set_viewport_size({"width": width, "height": height})
        net.wait_for_function("() => document.querySelector('.net-inspector .trace-listing .cm-keyword')")
        net.evaluate("() => document.querySelector('.net-inspector').scrollIntoView({block: 'start'})")
        net.screenshot(path=str(SHOTS / f"inspector-network-{width}.png"))
