"""'Edit a copy' of SAM (its probe over its base's code, on a landscape) and of Muon (init takes
the network's blocks, in the Network view): the copies race bit for bit like the built-ins, and
the browser gives the native result."""
from __future__ import annotations

import json
import urllib.parse

import descentlab
from test_codelab import CODE_TIMEOUT, DOCS_SHOTS, panel_code, runs, same_bits, save

from conftest import wait_digest

SAM = {"name": "sam", "params": {"rho": 0.05, "adaptive": True}, "base": {"name": "adam", "params": {"lr": 0.02}}}
SAM_LINK = "#landscape?function=rosenbrock&start=[-1.2,1]&steps=60&optimizers=" + urllib.parse.quote(
    json.dumps([SAM]), safe="")
MUON = {"name": "muon", "params": {"lr": 0.02, "adamw_lr": 0.01, "ns_steps": 3}}
MUON_LINK = "#network?epochs=2&dataset=" + urllib.parse.quote(json.dumps({"name": "moons", "n": 120}), safe="") \
    + "&optimizers=" + urllib.parse.quote(json.dumps([MUON]), safe="")


def native_digest(page) -> str:
    spec = page.evaluate("() => window.descentlab.view.spec")
    return descentlab.run(json.loads(json.dumps(spec)), allow_code=True)["digest"]


def test_edit_a_copy_of_sam_shows_probe_and_base_and_races_bit_for_bit(opened, server):
    page = opened(server + SAM_LINK)
    before = wait_digest(page)
    page.get_by_role("button", name="Edit a copy of SAM (run 1)").click()
    code = panel_code(page)
    assert "SAM" in code.splitlines()[0] and "Adam" in code.splitlines()[0]
    assert code.index("def probe(") < code.index("def update(") and "def init(" in code
    page.wait_for_function("() => document.querySelector('.code-panel .CodeMirror') !== null", timeout=30_000)
    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 800), (390, 844)):  # the panel with a copy of SAM open, on a laptop and a phone
        page.set_viewport_size({"width": width, "height": height})
        box = page.locator(".code-panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5
        page.screenshot(path=str(DOCS_SHOTS / f"editor-sam-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 800})
    save(page)
    page.wait_for_function("() => window.descentlab.view.result && window.descentlab.view.result.runs.length === 2",
                           timeout=CODE_TIMEOUT)
    digest = wait_digest(page, before, timeout=CODE_TIMEOUT)
    assert runs(page) == ["sam", "custom"]
    item = page.locator(".opt-item.opt-custom")
    values = {k: item.locator(f"[data-field='optimizers[1].hyper.{k}']") for k in ("rho", "lr")}
    assert values["rho"].input_value() == "0.05" and values["lr"].input_value() == "0.02"  # SAM's and its base's
    assert item.locator("[data-field='optimizers[1].hyper.adaptive']").is_checked()
    assert same_bits(page, 0, 1), "the copy of SAM must race exactly like the built-in SAM"
    assert page.evaluate("""() => { const [a, b] = window.descentlab.view.result.runs;
        const x = a.probe.flat(), y = b.probe.flat();
        return x.length === 120 && x.every((v, i) => Object.is(v, y[i])); }""")  # the probe points too
    assert digest == native_digest(page)


def test_edit_a_copy_of_muon_in_the_network_view_trains_bit_for_bit(opened, server):
    page = opened(server + MUON_LINK)
    page.wait_for_function("() => window.descentlab.view && window.descentlab.view.data", timeout=60_000)
    # a text choice, set with its control
    page.select_option("[data-field='optimizers[0].adjust_lr_fn']", "match_rms_adamw")
    page.get_by_role("button", name="Edit a copy of Muon (run 1)").click()
    code = panel_code(page)
    assert "def init(params, blocks=None):" in code and 'adjust_lr_fn="match_rms_adamw"' in code  # the entry's choice
    save(page)
    page.locator(".opt-item.opt-custom").wait_for()
    old = page.evaluate("() => document.querySelector('#view').dataset.digest || ''")
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function("(old) => { const v = window.descentlab.view; return v.result && v.result.runs.length === 2"
                           " && (document.querySelector('#view').dataset.digest || '') !== old; }",
                           arg=old, timeout=2 * CODE_TIMEOUT)
    same = page.evaluate("""() => { const [a, b] = window.descentlab.view.result.runs;
        const flat = (r) => [...Array.from(r.weights).flat(Infinity), ...r.train_loss];
        const x = flat(a), y = flat(b);
        return x.length > 100 && x.length === y.length && x.every((v, i) => Object.is(v, y[i])); }""")
    assert same, "the copy of Muon must train exactly like the built-in Muon"
    assert page.evaluate("() => document.querySelector('#view').dataset.digest") == native_digest(page)
