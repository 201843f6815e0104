"""The projection view in Chromium: it trains, animates t-SNE, draws the PCA plane, and matches native."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import descentlab

SHOTS = Path(__file__).resolve().parents[1] / "screenshots"
NET = {"kind": "network", "dataset": {"name": "moons", "n": 160, "noise": 0.2, "seed": 0},
       "model": {"hidden": [8, 8], "activation": "tanh"}, "loss": "cross_entropy", "batch_size": 32, "epochs": 12,
       "seed": 0, "snapshot_every": 3,
       "optimizers": [{"name": "sgd", "lr": 0.1, "color": "#e6194b"}, {"name": "adam", "lr": 0.01, "color": "#3cb44b"}]}
URL = "#projection?max_iter=300&grid=11&network=" + json.dumps(NET)


@pytest.fixture
def projection(opened, server):
    page = opened(server + URL)
    page.wait_for_function("() => window.descentlab.viewName === 'projection' && window.descentlab.view")
    return page


def compute(page):
    """Compute, recording every status text the run shows (the t-SNE map animates: several
    different frames before the end); -> (the t-SNE status texts, the digest)."""
    page.evaluate("""() => {
        const status = document.querySelector('.main .run-status');
        window.__statuses = [];
        new MutationObserver(() => window.__statuses.push(status.textContent))
            .observe(status, {childList: true, characterData: true, subtree: true});
    }""")
    page.get_by_role("button", name="Compute", exact=True).click()
    page.wait_for_function("() => document.querySelector('#view').dataset.digest", timeout=120_000)
    frames = {t for t in page.evaluate("() => window.__statuses") if "t-SNE: iteration" in t}
    return frames, page.evaluate("() => document.querySelector('#view').dataset.digest")


def test_trajectories_draw_animate_and_match_native(projection):
    page = projection
    frames, digest = compute(page)
    assert page.evaluate("() => window.descentlab.view.liveFrames") >= 3  # the map animated
    spec = page.evaluate("() => window.descentlab.view.spec")
    native = descentlab.run(json.loads(json.dumps(spec)))
    assert digest == native["digest"]
    assert "explains" in page.locator(".meter").inner_text()
    assert f"{100 * native['pca']['explained']:.1f}%" in page.locator(".meter").inner_text()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "projection.png"), full_page=True)
    # hovering a path names the optimizer and the step
    run = native["runs"][1]
    page.locator(".proj-canvas").first.hover(position={"x": 230, "y": 230})
    page.locator(".proj-canvas").first.dispatch_event("pointermove")
    with page.expect_download() as dl:
        page.get_by_role("button", name="Export CSV").click()
    rows = Path(dl.value.path()).read_text().splitlines()
    assert rows[0] == "run,optimizer,step,pc1,pc2,tsne_x,tsne_y"
    assert len(rows) - 1 == sum(len(r["snapshot_steps"]) for r in native["runs"])
    assert run["tsne_path"] and run["pca_path"]


def test_hidden_activations_coloured_by_class(projection):
    page = projection
    page.select_option("[data-field='target']", "activations")
    frames, digest = compute(page)
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert spec["target"] == "activations"
    assert digest == descentlab.run(json.loads(json.dumps(spec)))["digest"]
    assert page.locator(".pca-fig").is_hidden()


def test_bad_perplexity_is_named(projection):
    page = projection
    box = page.locator("[data-field='perplexity']")
    box.fill("500")
    box.press("Enter")
    assert "Perplexity must be between 1 and 100" in page.locator(".field-error", has_text="Perplexity").inner_text()


# --- issue #15: maps that fit a phone, keys on both maps, modes named for what they show ---

DOCS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.mark.parametrize("width, height", [(390, 844), (1280, 800)])
def test_maps_fit_the_width_and_have_keys(projection, width, height):
    page = projection
    page.set_viewport_size({"width": width, "height": height})
    compute(page)
    page.evaluate("() => window.dispatchEvent(new Event('resize'))")
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    for canvas in page.locator(".proj-canvas").all():
        box = canvas.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
    key = page.locator(".proj-fig").first.locator(".legend")
    assert key.locator(".swatch").count() == 2 and "start" in key.inner_text() and "end" in key.inner_text()
    assert page.locator(".pca-fig .legend .mark-start").count() == 1
    bar = page.locator(".pca-fig .colour-key canvas")
    assert "training loss" in bar.get_attribute("aria-label")
    assert "Joint t-SNE map of the weight snapshots" in page.locator(".proj-fig figcaption").first.inner_text()
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / f"projection-{width}.png"), full_page=True)


def test_activations_are_named_keyed_by_class_and_hoverable(projection):
    page = projection
    page.select_option("[data-field='target']", "activations")
    page.select_option("[data-field='layer']", "0")
    assert page.locator(".side h2", has_text="Show").is_hidden()  # runs are not what the dots show
    compute(page)
    caption = page.locator(".proj-fig figcaption").first.inner_text()
    assert "hidden layer 1" in caption and "coloured by class" in caption and "Joint" not in caption
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert spec["layer"] == 0
    key = page.locator(".proj-fig").first.locator(".legend")
    assert "class" in key.inner_text() and key.locator(".swatch.round").count() == 2
    # hovering a dot names its class
    result = page.evaluate("() => window.descentlab.view.result")
    canvas = page.locator(".proj-canvas").first
    box = canvas.bounding_box()
    for x in range(10, int(box["width"]) - 10, 12):
        canvas.hover(position={"x": x, "y": box["height"] / 2})
        if page.locator(".tooltip").is_visible():
            break
    assert "class" in page.locator(".tooltip").inner_text()
    assert result["points"]["layer"] == 0


# --- issue #15 item 7: a stopped Network run is projected as it is, not retrained ---

def test_a_stopped_network_run_is_projected_without_retraining(opened, server):
    from test_network import QUICK, train_for_a_while_then_stop  # the shared "train, Stop after epoch 3"

    page = opened(server + QUICK)
    page.wait_for_function("() => window.descentlab.view && window.descentlab.view.data", timeout=60_000)
    train_for_a_while_then_stop(page)
    stopped = page.locator(".run-status").inner_text()
    k = int(stopped.split("Stopped after epoch ")[1].split()[0])
    page.evaluate("() => { location.hash = '#projection?max_iter=250&grid=5&perplexity=3'; }")
    page.wait_for_function("() => document.querySelector('.projection-view') && window.descentlab.view.compute",
                           timeout=60_000)
    page.evaluate("""() => {
        const status = document.querySelector('.projection-view .run-status');
        window.__statuses = [];
        new MutationObserver(() => window.__statuses.push(status.textContent))
            .observe(status, {childList: true, characterData: true, subtree: true});
    }""")
    page.get_by_role("button", name="Compute", exact=True).click()
    page.wait_for_function("() => /^Done in/.test(document.querySelector('.projection-view .run-status').textContent)",
                           timeout=240_000)
    statuses = page.evaluate("() => window.__statuses")
    assert not [s for s in statuses if s.startswith("Training: epoch")], statuses  # nothing was trained
    assert any(f"run stopped after epoch {k}: its snapshots up to epoch {k}, not a retraining" in s for s in statuses)
    status = page.locator(".projection-view .run-status").inner_text()
    assert f"(the Network view's run stopped after epoch {k}, not retrained)" in status, status
    for caption in page.locator(".projection-view figcaption").all()[:2]:
        assert f"stopped after epoch {k}, not retrained" in caption.inner_text()
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert spec["network"]["epochs"] == k and isinstance(spec["network"]["snapshot_every"], int)
    # the stopped run's snapshots are those of its first k epochs: the same projection as training k epochs
    assert page.evaluate("() => document.querySelector('#view').dataset.digest") == \
        descentlab.run(json.loads(json.dumps(spec)))["digest"]
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "projection-stopped.png"), full_page=True)


def test_a_network_with_a_fork_is_projected_and_keyed(opened, server):
    """Issue #16 item 5: a fork's run reads as a fork in the keys, and its path is projected as native."""
    net = json.loads(json.dumps(NET))
    net["optimizers"].append({"name": "adam", "lr": 0.05, "color": "#4363d8", "fork": {"run": 1, "step": 9}})
    page = opened(server + "#projection?max_iter=250&grid=5&network=" + json.dumps(net))
    page.wait_for_function("() => window.descentlab.viewName === 'projection' && window.descentlab.view")
    key = page.locator(".proj-fig").first.locator(".legend")
    assert "3. Adam, fork of run 2 at step 9" in key.inner_text()
    _, digest = compute(page)
    spec = page.evaluate("() => window.descentlab.view.spec")
    native = descentlab.run(json.loads(json.dumps(spec)))
    assert digest == native["digest"]
    steps = native["runs"][2]["snapshot_steps"]
    assert native["runs"][2]["pca_path"][:steps.index(9) + 1] == native["runs"][1]["pca_path"][:steps.index(9) + 1]
