"""Training dynamics on the landscape page (issue #16): schedules with their lr(t) preview,
clipping with the clipped counts, SAM with its base, gradient noise, your own f(x, y) and
forks, all through the controls and links; bad link values are named."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

from conftest import native, wait_digest

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"

OPTIMIZERS = [
    {"name": "sgd", "params": {"lr": 0.1}, "schedule": {"name": "warmup_cosine", "warmup_steps": 10, "total_steps": 120},
     "clip_grad_norm": 1.0},
    {"name": "sam", "params": {"rho": 0.1}, "base": {"name": "adam", "params": {"lr": 0.05}}},
    {"name": "sgd", "params": {"lr": 0.02}, "fork": {"run": 0, "step": 40}},
]
SCENE = {"function": "custom", "expression": "x**2 + 3*sin(y)", "domain": [[-3, 3], [-3, 3]], "start": [2, 2],
         "steps": 120, "noise": {"std": 0.5, "seed": 3}, "optimizers": OPTIMIZERS}


def link(scene: dict) -> str:
    q = urllib.parse.urlencode({k: v if isinstance(v, (str, int)) else json.dumps(v) for k, v in scene.items()})
    return f"#landscape?{q}"


def spec_of(page):
    return page.evaluate("() => window.descentlab.view.spec")


def test_link_round_trip_preview_clipped_and_native(opened, server):
    page = opened(server + link(SCENE))
    digest = wait_digest(page)
    spec = spec_of(page)
    assert spec["expression"] == SCENE["expression"] and spec["noise"] == SCENE["noise"]
    assert spec["domain"] == SCENE["domain"]
    assert spec["optimizers"][0]["schedule"]["name"] == "warmup_cosine" and spec["optimizers"][0]["clip_grad_norm"] == 1.0
    assert spec["optimizers"][1]["base"] == {"lr": 0.05, "name": "adam"}
    assert spec["optimizers"][2]["fork"] == {"run": 0, "step": 40}
    result = native(spec)
    assert result["digest"] == digest
    # the lr(t) preview: one point per step, drawn from Python's values
    page.wait_for_function("() => document.querySelector('canvas.schedule-preview')?.dataset.points === '120'")
    # the clipped count the run reports, in its badge
    clipped = result["runs"][0]["clipped"]
    assert clipped > 0
    page.wait_for_function("(n) => [...document.querySelectorAll('.badge')].some((b) => b.textContent.includes(`clipped ${n}×`))",
                           arg=clipped)
    # the page's own link opens the same scene
    again = opened(server + page.evaluate("() => location.hash"))
    assert wait_digest(again) == digest and spec_of(again) == spec


def test_controls_set_schedule_clip_and_noise(opened, server):
    page = opened(server + "#landscape?function=rosenbrock&steps=100&optimizers=" + json.dumps([{"name": "sgd", "params": {"lr": 0.001}}]))
    old = wait_digest(page)
    page.select_option('[data-field="optimizers[0].schedule.name"]', "cosine")
    page.wait_for_function("() => document.querySelector('canvas.schedule-preview')?.dataset.points === '100'")
    old = wait_digest(page, old)
    page.select_option('[data-field="optimizers[0].clip"]', "clip_grad_value")
    old = wait_digest(page, old)
    page.fill('[data-field="noise.std"]', "0.3")
    page.press('[data-field="noise.std"]', "Enter")
    page.dispatch_event('[data-field="noise.std"]', "change")
    old = wait_digest(page, old)
    spec = spec_of(page)
    assert spec["optimizers"][0]["schedule"] == {"name": "cosine", "T_max": 100}
    assert spec["optimizers"][0]["clip_grad_value"] == 1.0 and spec["noise"] == {"std": 0.3, "seed": 0}
    assert "clip_grad_value" in page.evaluate("() => location.hash") or "clip_grad_value" in urllib.parse.unquote(page.evaluate("() => location.hash"))
    assert native(spec)["digest"] == old
    # a bad schedule value from the core is named with its field
    page.fill('[data-field="optimizers[0].schedule.T_max"]', "0")
    page.dispatch_event('[data-field="optimizers[0].schedule.T_max"]', "change")
    assert "T_max" in page.text_content(".opt-list")


def test_bad_link_values_are_named(opened, server):
    bad = dict(SCENE, noise={"std": -1}, optimizers=[
        {"name": "sgd", "schedule": {"name": "nope"}, "clip_grad_norm": -2},
        {"name": "sgd", "fork": {"run": "x"}}])
    page = opened(server + link(bad))
    wait_digest(page)
    problems = page.evaluate("() => [...document.querySelectorAll('.link-problems li')].map((li) => li.dataset.param)")
    assert "noise.std" in problems
    assert "optimizers[0].schedule" in problems and "optimizers[0].clip_grad_norm" in problems
    assert "optimizers[1].fork" in problems


def test_muon_only_in_network_with_reason(opened, server):
    page = opened(server + "#landscape")
    wait_digest(page)
    options = page.evaluate("() => [...document.querySelectorAll('[data-field=\"optimizers[0].name\"] option')].map((o) => o.value)")
    assert "sam" in options and "muon" not in options
    assert "network" in page.text_content(".opt-network-only")


def test_screenshots(opened, server):
    for width, height in ((1280, 800), (390, 844)):
        page = opened(server + link(SCENE))
        page.set_viewport_size({"width": width, "height": height})
        wait_digest(page)
        page.wait_for_function("() => document.querySelector('canvas.schedule-preview')?.dataset.points === '120'")
        if width < 500:  # the phone layout stacks the panel under the plot: show the schedule and its preview
            page.locator("canvas.schedule-preview").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"dynamics-{width}.png"))


def test_inspector_eta_clip_and_fork_from_step(opened, server):
    """The inspector shows η_t of a scheduled run and its raw and clipped gradient (both from
    Python's trace of that step); "Fork from step k" adds a run forked there, computed natively."""
    import descentlab
    page = opened(server + link({**SCENE, "selected": [0, 40]}))
    wait_digest(page)
    spec = spec_of(page)
    t = descentlab.trace(json.loads(json.dumps(spec)), 0, 40)
    page.wait_for_selector(".inspector .eta-t", timeout=60_000)
    assert float(page.get_attribute(".inspector .eta-t", "data-value")) == t["hyper"]["lr"]
    assert "warmup_cosine" in page.text_content(".inspector .eta-t")
    clip = page.text_content(".inspector .grad-clip")
    assert "clipped (norm ≤ 1)" in clip
    assert t["grads_raw"] != t["grads"]   # this step's gradient was clipped: the two differ
    old = page.evaluate("() => document.querySelector('#view').dataset.digest")
    page.click(".inspector .fork-button")
    digest = wait_digest(page, old)
    spec = spec_of(page)
    assert len(spec["optimizers"]) == 4
    forked = spec["optimizers"][3]
    assert forked["fork"] == {"run": 0, "step": 40}
    assert forked["schedule"] == spec["optimizers"][0]["schedule"] and forked["clip_grad_norm"] == 1.0
    result = native(spec)
    assert result["digest"] == digest
    # the fork follows its parent bit for bit up to step 40
    assert result["runs"][3]["path"][:41] == result["runs"][0]["path"][:41]


def test_tune_learning_rates_in_the_page(opened, server):
    """"Tune learning rates" sends the view's landscape spec as a tune, shows each optimizer at
    its best lr (the scene drawn from best_run), the grid's losses with diverged ones marked,
    median + band chart and the result's note; the digest is the native one."""
    scene = {"function": "quadratic", "function_params": {"condition": 10, "angle": 0}, "start": [-1.8, 1.2], "steps": 60,
             "noise": {"std": 0.5, "seed": 2},
             "optimizers": [{"name": "sgd", "params": {"lr": 0.01}}, {"name": "adam", "params": {"lr": 0.01}}]}
    page = opened(server + link(scene))
    wait_digest(page)
    for field, value in (("lr.min", "0.001"), ("lr.max", "1"), ("lr.points", "7"), ("repeats", "2")):
        page.fill(f'.tune [data-field="{field}"]', value)
        page.press(f'.tune [data-field="{field}"]', "Tab")
    page.click(".tune .tune-run")
    page.wait_for_selector(".tune .tune-notes", timeout=120_000)
    view_spec = spec_of(page)
    tune_spec = {"kind": "tune", "scene": {**view_spec, "record_state": False}, "lr": {"min": 0.001, "max": 1, "points": 7}, "repeats": 2}
    ref = native(tune_spec)
    assert page.get_attribute(".tune", "data-digest") == ref["digest"]
    assert ref["notes"] in page.text_content(".tune .tune-notes")
    rows = page.locator(".tune-grid tbody tr")
    assert rows.count() == 2
    for i, t in enumerate(ref["tuned"]):
        cells = rows.nth(i).locator("td")
        assert cells.count() == 7
        for j, loss in enumerate(t["grid"]["loss"]):
            text = cells.nth(j).inner_text()
            if t["grid"]["diverged"][j]:
                assert "diverged" in text
            else:
                assert float(cells.nth(j).get_attribute("data-value")) == loss
        assert "★" in cells.nth(t["best_index"]).inner_text()
    assert any(any(t["grid"]["diverged"]) for t in ref["tuned"])   # lr 1 on curvature 10: SGD diverges
    # the scene now shows each optimizer's best run
    runs = page.evaluate("() => window.descentlab.view.result.runs.map((r) => r.final_loss)")
    assert runs == [t["best_run"]["final_loss"] for t in ref["tuned"]]
    page.set_viewport_size({"width": 1280, "height": 800})
    page.locator(".tune").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "tune-1280.png"))


def test_sophia_runs_on_the_landscape_with_a_schedule(opened, server):
    """Sophia is offered on the landscape (its sliders from RANGES, a schedule), runs on a custom
    f(x, y) with its exact curvature, as natively, and the inspector traces its step."""
    scene = {"function": "custom", "expression": "x**2 + 3*sin(y) + 0.2*x*y", "domain": [[-3, 3], [-3, 3]],
             "start": [2, 2], "steps": 80, "selected": [0, 7],
             "optimizers": [{"name": "sophia", "params": {"lr": 0.3, "p": 0.2, "update_period": 3},
                             "schedule": {"name": "cosine", "T_max": 80}},
                            {"name": "adam", "params": {"lr": 0.05}}]}
    page = opened(server + link(scene))
    digest = wait_digest(page)
    spec = spec_of(page)
    assert spec["optimizers"][0]["name"] == "sophia" and spec["optimizers"][0]["schedule"]["name"] == "cosine"
    assert native(spec)["digest"] == digest
    options = page.evaluate("() => [...document.querySelectorAll('[data-field=\"optimizers[0].name\"] option')].map((o) => o.value)")
    assert "sophia" in options
    for field in ("p", "update_period", "hessian_distribution"):
        assert page.locator(f'[data-field="optimizers[0].{field}"]').count() >= 1, field
    page.wait_for_function("() => document.querySelector('.inspector')?.textContent.includes('Sophia')", timeout=60_000)


def test_muon_takes_a_schedule_in_the_network_view_and_its_link(opened, server):
    """Muon's lr follows a schedule (its AdamW part keeps adamw_lr): the control is offered, the
    spec carries it, and the page's own link keeps it."""
    opts = [{"name": "muon", "params": {"lr": 0.02}, "schedule": {"name": "cosine", "T_max": 40, "eta_min": 0.001}}]
    page = opened(server + "#network?optimizers=" + urllib.parse.quote(json.dumps(opts)))
    page.wait_for_selector('[data-field="optimizers[0].schedule.name"]')
    assert page.input_value('[data-field="optimizers[0].schedule.name"]') == "cosine"
    spec = spec_of(page)
    assert spec["optimizers"][0]["schedule"] == {"name": "cosine", "T_max": 40, "eta_min": 0.001}
    assert "not available" not in page.text_content(".side")
    again = opened(server + page.evaluate("() => location.hash"))
    again.wait_for_selector('[data-field="optimizers[0].schedule.name"]')
    assert spec_of(again)["optimizers"][0]["schedule"] == spec["optimizers"][0]["schedule"]
