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
