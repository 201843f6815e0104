"""The landscape view in Chromium: it draws, follows the pointer, inspects, shares, exports.

Every number the page shows must equal what native ``descentlab.run`` gives for
the same spec, so each test compares digests or values with a native run.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
from pathlib import Path

import pytest

from conftest import drag, native, wait_digest

SHOTS = Path(__file__).resolve().parents[1] / "screenshots"
LESSON_IDS = ["valley", "saddle", "beale-momentum", "lr-too-high", "rastrigin", "rosenbrock"]



def wait_drag_end(page, old):
    """Wait for the scene the drag's end computes: the one with the final start and a digest."""
    page.wait_for_function("(old) => { const v = window.descentlab.view, d = document.querySelector('#view').dataset.digest;"
                           " return v.spec && JSON.stringify(v.spec.start) === JSON.stringify(v.scene.start)"
                           " && d && d !== old; }", arg=old, timeout=60_000)


def view_spec(page):
    return page.evaluate("() => window.descentlab.view.spec")



@pytest.fixture
def landscape(opened, server):
    page = opened(server + "#landscape")
    wait_digest(page)
    return page


# The number of colours on a canvas, sampling every 97th pixel.
CANVAS_COLOURS = """(sel) => {
    const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4 * 97) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
}"""


def wait_colourful(page, selector=".landscape-canvas", at_least=50):
    """Wait until the canvas shows a heat map, contours and paths (many colours), not a blank one:
    the grid arrives separately from the runs."""
    page.wait_for_function(f"(sel) => ({CANVAS_COLOURS})(sel) > {at_least}", arg=selector)


def test_view_draws_and_matches_native(landscape):
    page = landscape
    wait_colourful(page)
    spec = view_spec(page)
    assert page.evaluate("() => document.querySelector('#view').dataset.digest") == native(spec)["digest"]
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "landscape.png"), full_page=True)


def test_dragging_the_start_recomputes_and_matches_native(landscape):
    page = landscape
    before = page.evaluate("() => document.querySelector('#view').dataset.digest")
    drag(page, page.locator(".landscape-canvas").bounding_box(), (0.3, 0.3), (0.35, 0.6))
    wait_drag_end(page, before)
    spec = view_spec(page)
    digest = page.evaluate("() => document.querySelector('#view').dataset.digest")
    assert digest != before
    assert digest == native(spec)["digest"]
    start = spec["start"]
    assert start != [-1.5, 2.0]
    # the URL is written once the drag ends (not per pointer move), with the final start
    hash_start = page.evaluate("() => new URLSearchParams(location.hash.split('?')[1]).get('start')")
    assert json.loads(hash_start) == start


POOL_SPEC = {"kind": "landscape", "function": "beale", "start": [1.0, 1.5], "steps": 300, "optimizers": [
    {"name": "sgd", "lr": 0.001}, {"name": "momentum", "lr": 0.001, "momentum": 0.99},
    {"name": "sgd", "lr": 0.5, "label": "too fast"},  # diverges: diverged_at must survive the merge
    {"name": "adam", "lr": 0.05}, {"name": "nadam", "lr": 0.05, "color": "#123456"}, {"name": "rmsprop"}]}


def wait_pool(page):
    page.evaluate("() => window.descentlab.runParallel({kind: 'landscape', function: 'beale',"
                  " optimizers: [{name: 'sgd'}, {name: 'adam'}]})")
    page.wait_for_function("() => window.descentlab.poolSize >= Math.min(3, navigator.hardwareConcurrency)",
                           timeout=120_000)
    return page.evaluate("() => window.descentlab.poolSize")


def test_worker_pool_gives_the_native_runs(landscape):
    from descentlab.digest import digest
    page = landscape
    if page.evaluate("() => navigator.hardwareConcurrency") < 2:
        pytest.skip("one core: runParallel runs on the page's one worker")
    assert wait_pool(page) >= 2
    merged = page.evaluate("(s) => window.descentlab.runParallel(s)", POOL_SPEC)
    ref = native(POOL_SPEC)
    assert "digest" not in merged  # the hash of the whole is one worker's job
    assert [r.get("label") for r in merged["runs"]] == [r.get("label") for r in ref["runs"]]
    assert merged["runs"][2]["diverged_at"] == ref["runs"][2]["diverged_at"] is not None
    assert digest(merged) == ref["digest"]  # every float of every run, bit for bit
    # an error names the field as in the whole spec, not as in the one-optimizer part
    bad = json.loads(json.dumps(POOL_SPEC))
    bad["optimizers"][3]["lr"] = 99.0
    err = page.evaluate("(s) => window.descentlab.runParallel(s).then(() => null, (e) => [e.kind, e.field])", bad)
    assert err == ["SpecError", "optimizers[3].lr"]
    pool_cancels_and_survives_a_helper(page, ref["digest"])


def pool_cancels_and_survives_a_helper(page, digest_ref):
    """cancel() stops a shared run as it stops any run, even once its parts are done, and
    the pool stays usable; a helper that stops mid-run is dropped and the run still ends
    with the native numbers."""
    from descentlab.digest import digest
    long = dict(POOL_SPEC, steps=10_000)
    assert page.evaluate("""async (s) => {
        let found = null;
        const p = window.descentlab.runParallel(s, {onProgress: () => {   // once the first part is done
            if (found === null) found = window.descentlab.cancel(p);
        }});
        return [await p.then(() => 'finished', (e) => e.kind), found];
    }""", long) == ["Cancelled", True]
    assert digest(page.evaluate("(s) => window.descentlab.runParallel(s)", POOL_SPEC)) == digest_ref
    # a cancel that comes after the parts in flight have finished (their results still
    # queued for the page) ends the run as "Cancelled", not with half a result
    late = page.evaluate("""async (s) => {
        // hold the workers' results back from the page until every worker has finished its
        // part, then cancel, then let the held results through
        const api = window.descentlab, workers = [api._worker, ...api._helperWorkers];
        const held = [];
        let allIn;
        const arrived = new Promise((r) => { allIn = r; });
        const handlers = workers.map((w) => w.onmessage);
        workers.forEach((w, k) => {
            w.onmessage = (e) => {
                if (e.data && e.data.type === 'result') { held.push([k, e]); if (held.length === api.poolSize) allIn(); }
                else handlers[k](e);
            };
        });
        const p = api.runParallel(s);
        await arrived;
        api.cancel(p);
        workers.forEach((w, k) => { w.onmessage = handlers[k]; });
        for (const [k, e] of held) handlers[k](e);
        return await p.then(() => 'finished', (e) => e.kind || e.name);
    }""", POOL_SPEC)
    assert late == "Cancelled"
    # a helper that stops mid-run is dropped, and the run still ends with the native numbers
    size = page.evaluate("() => window.descentlab.poolSize")
    survived = page.evaluate("""async (s) => {
        const p = window.descentlab.runParallel(s);   // every worker has its first part now
        window.descentlab._helperWorkers[0].terminate();
        return await p;
    }""", POOL_SPEC)
    assert digest(survived) == digest_ref
    assert page.evaluate("() => window.descentlab.poolSize") == size - 1


def test_a_drag_on_the_pool_ends_with_the_digest(landscape):
    page = landscape
    if page.evaluate("() => navigator.hardwareConcurrency") < 2:
        pytest.skip("one core: no worker pool")
    wait_pool(page)
    before = page.evaluate("() => document.querySelector('#view').dataset.digest")
    scenes = page.evaluate("() => +document.querySelector('#view').dataset.scenes")
    box = page.locator(".landscape-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    for k in range(1, 9):
        drawn = page.evaluate("() => +document.querySelector('#view').dataset.scenes")
        page.mouse.move(box["x"] + box["width"] * (0.3 + 0.02 * k), box["y"] + box["height"] * 0.4)
        # each move asks for a scene: wait until the next one is drawn
        page.wait_for_function("(n) => +document.querySelector('#view').dataset.scenes > n", arg=drawn)
    # mid-drag: scenes computed in parts are drawn, and none claims a digest
    page.wait_for_function("(n) => +document.querySelector('#view').dataset.scenes > n + 1", arg=scenes)
    assert page.evaluate("() => document.querySelector('#view').dataset.digest") is None
    # two last moves and the release in one go: the scene of the first is still being
    # computed when the drag ends, and must not be what the inputs show at the end
    page.evaluate("""([x, y]) => {
        const canvas = document.querySelector('.landscape-canvas');
        const at = (type, dx) => canvas.dispatchEvent(new PointerEvent(type, {clientX: x + dx, clientY: y,
            pointerId: 1, pointerType: 'mouse', isPrimary: true, buttons: type === 'pointerup' ? 0 : 1, bubbles: true}));
        at('pointermove', 20); at('pointermove', 40); at('pointerup', 40);
    }""", [box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4])
    page.mouse.up()  # the real button too (the view already ended the drag)
    wait_drag_end(page, before)
    spec = view_spec(page)
    assert page.evaluate("() => document.querySelector('#view').dataset.digest") == native(spec)["digest"]
    assert page.evaluate("() => document.querySelector('.message').hidden")
    # the inputs, which follow the drawn scenes while dragging, end on the final start
    shown = page.evaluate("() => ['start[0]', 'start[1]'].map((f) => +document.querySelector(`input[data-field='${f}']`).value)")
    assert shown == spec["start"]


def test_a_drag_previews_then_ends_on_the_whole_scene_of_a_direct_run(landscape):
    """Mid-drag the view draws previews (the first steps of each path, no digest), the whole
    scene once the pointer rests; after the release it draws the whole scene, the one a
    direct run of the final start gives (a click there draws the same)."""
    page = landscape
    steps = view_spec(page)["steps"]
    before = page.evaluate("() => document.querySelector('#view').dataset.digest")
    box = page.locator(".landscape-canvas").bounding_box()
    at = lambda fx, fy: (box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)  # noqa: E731
    # every scene drawn: its steps, its longest path, and whether it claimed a digest
    page.evaluate("""() => {
        const root = document.querySelector('#view'), v = window.descentlab.view;
        window.__drawn = [];
        new MutationObserver(() => window.__drawn.push([v.spec.steps, Math.max(...v.result.runs.map((r) => r.path.length)),
            !!root.dataset.digest])).observe(root, {attributes: true, attributeFilter: ['data-scenes']});
    }""")
    page.mouse.move(*at(0.3, 0.3))
    page.mouse.down()
    # moves, one per frame, until a preview is drawn (a rest would bring the whole scene first)
    page.evaluate("""async ([x, y, n]) => {
        const canvas = document.querySelector('.landscape-canvas'), t0 = performance.now();
        for (let k = 1; !window.__drawn.some((d) => d[0] < n) && performance.now() - t0 < 20000; k++) {
            await new Promise(requestAnimationFrame);
            canvas.dispatchEvent(new PointerEvent('pointermove', {clientX: x + (k % 40), clientY: y + (k % 40) / 2,
                pointerId: 1, pointerType: 'mouse', isPrimary: true, buttons: 1, bubbles: true}));
        }
    }""", [*at(0.32, 0.35), steps])
    # the pointer rests, still pressed: the whole scene replaces the previews (no digest either)
    # (the press drew a whole scene first: the one after a preview is awaited)
    page.wait_for_function("(n) => { const d = window.__drawn, k = d.findIndex((x) => x[0] < n);"
                           " return k >= 0 && d.slice(k).some((x) => x[0] === n); }", arg=steps)
    drawn = page.evaluate("() => window.__drawn")
    first = next(k for k, d in enumerate(drawn) if d[0] < steps)
    previews = [d for d in drawn[first:] if d[0] < steps]
    # previews: fewer steps than the scene's, drawn as computed, and no digest claimed for them
    assert all(length <= n + 1 and not claimed for n, length, claimed in previews), drawn
    assert [d for d in drawn[first:] if d[0] == steps] == [[steps, steps + 1, False]], drawn
    page.mouse.move(*at(0.36, 0.4), steps=3)
    page.mouse.up()
    wait_drag_end(page, before)
    spec = view_spec(page)
    assert spec["steps"] == steps and spec["start"] == page.evaluate("() => window.descentlab.view.scene.start")
    digest = page.evaluate("() => document.querySelector('#view').dataset.digest")
    direct = page.evaluate("(s) => window.descentlab.run(s)", spec)
    assert digest == direct["digest"] == native(spec)["digest"]
    drawn = page.evaluate("() => window.descentlab.view.result.runs.map((r) => r.path)")
    assert drawn == [r["path"] for r in direct["runs"]]
    assert all(len(p) == steps + 1 for p, r in zip(drawn, direct["runs"]) if not r["diverged_at"])
    # the words skipped mid-drag are written for the whole scene
    assert f"× {steps} steps computed" in page.locator(".panel.main .run-status").inner_text()
    assert page.locator(".panel.main .step-label").inner_text() == f"step {steps} / {steps}"


def test_inspector_shows_native_record_state(landscape):
    page = landscape
    step = 7
    point = page.evaluate(f"() => window.descentlab.view.pixelOf(0, {step})")
    page.locator(".landscape-canvas").scroll_into_view_if_needed()
    box = page.locator(".landscape-canvas").bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    page.wait_for_selector(".state-table")
    page.wait_for_selector(".eq-line")
    spec = view_spec(page)
    ref = native(dict(spec, record_state=True))["runs"][0]
    shown_step = page.evaluate("() => window.descentlab.view.selected")
    k = shown_step["step"]
    assert abs(k - step) <= 3 and shown_step["run"] in (0, 1, 2, 3)
    ref = native(dict(spec, record_state=True))["runs"][shown_step["run"]]
    rows = page.evaluate("""() => [...document.querySelectorAll('.state-table tbody tr')].map(
        tr => [tr.querySelector('th').textContent, ...[...tr.querySelectorAll('td')].map(td => td.dataset.value)])""")
    assert {r[0] for r in rows} == set(ref["state"])
    for key, x, y in rows:
        assert [float(x), float(y)] == ref["state"][key][k - 1], key
    assert page.locator(".eq-line").count() >= 2


def test_url_round_trips_to_the_same_scene(landscape, opened):
    page = landscape
    before = page.evaluate("() => document.querySelector('#view').dataset.digest")
    page.select_option("[data-field='function']", "himmelblau")
    page.wait_for_function("(old) => { const v = window.descentlab.view, d = document.querySelector('#view').dataset.digest;"
                           " return v.spec && v.spec.function === 'himmelblau' && d && d !== old"
                           " && new URLSearchParams(location.hash.split('?')[1]).get('function') === 'himmelblau'; }",
                           arg=before, timeout=60_000)
    url = page.url
    digest = page.evaluate("() => document.querySelector('#view').dataset.digest")
    assert "himmelblau" in urllib.parse.unquote(url)
    other = opened(url)
    assert wait_digest(other) == digest
    assert view_spec(other) == view_spec(page)


@pytest.mark.parametrize("lesson", LESSON_IDS)
def test_presets_load_and_match_native(landscape, lesson):
    page = landscape
    page.select_option("[data-field='lesson']", lesson)
    page.wait_for_function("(id) => { const v = window.descentlab.view; return v.scene.lesson === id && v.spec"
                           " && JSON.stringify(v.spec.start) === JSON.stringify(v.scene.start)"
                           " && v.spec.steps === v.scene.steps"
                           " && JSON.stringify(v.spec.function_params) === JSON.stringify(v.scene.function_params); }",
                           arg=lesson, timeout=60_000)
    choices = page.locator(".predict button")
    if choices.count():  # "predict, then run": the runs stay hidden until the learner answers
        assert "hidden until you predict" in page.locator(".main .run-status").inner_text()
        choices.first.click()
        page.wait_for_function("() => !/hidden/.test(document.querySelector('.main .run-status').textContent)")
    # the digest and the spec of the scene drawn, read together
    digest, spec = page.evaluate("() => [document.querySelector('#view').dataset.digest, window.descentlab.view.spec]")
    assert digest == native(spec)["digest"]
    assert page.locator(".lesson-text").inner_text().strip()
    if lesson == "lr-too-high":
        assert "diverged at step" in page.locator(".main .run-status").inner_text()


def test_bad_value_names_the_field_and_page_stays_usable(landscape):
    page = landscape
    page.locator(".opt-item summary").first.click()  # with four runs the list starts folded
    lr = page.locator("[data-field='optimizers[0].lr']")
    lr.fill("abc")
    lr.press("Enter")
    err = page.locator(".field-error", has_text="lr").first
    assert "lr must be" in err.inner_text() and "10" in err.inner_text()
    lr.fill("1e9")
    lr.press("Enter")
    assert "between" in page.locator(".field-error", has_text="lr").first.inner_text()
    steps = page.locator("[data-field='steps']")
    steps.fill("-5")
    steps.press("Enter")
    assert "Steps must be" in page.locator(".field-error", has_text="Steps").first.inner_text()
    # still alive: a good value recomputes
    before = page.evaluate("() => document.querySelector('#view').dataset.digest")
    steps.fill("120")
    steps.press("Enter")
    assert wait_digest(page, before) == native(view_spec(page))["digest"]
    # a value only Python can reject (nesterov without momentum) comes back as a message naming it
    page.evaluate("() => window.descentlab.run({kind: 'landscape', function: 'booth', optimizers: [{name: 'sgd', nesterov: true}]})"
                  ".catch(e => { window.__err = e.field + ': ' + e.message; })")
    page.wait_for_function("() => window.__err")
    assert page.evaluate("() => window.__err").startswith("optimizers[0].nesterov")


def test_exports_are_valid_files(landscape, tmp_path):
    page = landscape
    spec = view_spec(page)
    ref = native(spec)
    with page.expect_download() as dl:
        page.get_by_role("button", name="Export CSV").click()
    rows = list(csv.reader(io.StringIO(Path(dl.value.path()).read_text())))
    assert rows[0] == ["run", "optimizer", "step", "x", "y", "loss", "diverged_at"]
    assert len(rows) - 1 == sum(len(r["path"]) for r in ref["runs"])
    assert float(rows[1][3]) == ref["runs"][0]["path"][0][0]
    with page.expect_download() as dl:
        page.get_by_role("button", name="Export JSON").click()
    data = json.loads(Path(dl.value.path()).read_text())
    assert data["result"]["digest"] == ref["digest"] and data["spec"] == spec
    with page.expect_download() as dl:
        page.get_by_role("button", name="Export PNG").click()
    png = Path(dl.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_regime_map_computes_and_a_cell_plays(landscape):
    page = landscape
    page.locator("[data-field='regime.n']").fill("4")
    page.locator("[data-field='regime.n']").press("Enter")
    page.get_by_role("button", name="Compute map").click()
    page.wait_for_function("() => /runs of/.test(document.querySelectorAll('.regime .run-status')[0].textContent)",
                           timeout=120_000)
    regime = page.evaluate("() => window.descentlab.view.regime")
    assert native(regime["spec"])["digest"] == regime["digest"]
    n_before = len(view_spec(page)["optimizers"])
    before = page.evaluate("() => document.querySelector('#view').dataset.digest")
    page.locator(".regime-canvas").click(position={"x": 70, "y": 15})  # first lr, top row
    wait_digest(page, before)
    assert len(view_spec(page)["optimizers"]) == n_before + 1


def test_arrow_keys_walk_the_selected_path(landscape):
    page = landscape
    canvas = page.locator(".landscape-canvas")
    canvas.focus()
    page.keyboard.press("ArrowRight")          # nothing selected: run 1 at the timeline's step
    assert page.evaluate("() => window.descentlab.view.selected") == {"run": 0, "step": 1000}
    page.keyboard.press("Home")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.evaluate("() => window.descentlab.view.selected") == {"run": 0, "step": 3}
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowDown")           # the next run, same step
    assert page.evaluate("() => window.descentlab.view.selected") == {"run": 1, "step": 2}
    ref = page.evaluate("() => window.descentlab.view.result.runs[1].path[2]")
    summary = page.locator(".selection-summary").inner_text()
    assert "run 2 of 4" in summary and "Nesterov momentum" in summary and "step 2 of 1000" in summary
    assert page.evaluate("() => document.querySelector('.selection-summary').getAttribute('aria-live')") == "polite"
    assert f"x = {ref[0]:.4g}"[:8] in summary
    # a visible focus ring while the plot has the keyboard
    assert page.evaluate("() => getComputedStyle(document.querySelector('.landscape-canvas')).outlineStyle") != "none"
    page.keyboard.press("Escape")
    assert page.evaluate("() => window.descentlab.view.selected") is None
    # Shift + an arrow moves the start point
    start = page.evaluate("() => window.descentlab.view.scene.start")
    page.keyboard.press("Shift+ArrowRight")
    assert page.evaluate("() => window.descentlab.view.scene.start")[0] > start[0]


def test_a_click_beside_the_paths_can_be_undone(landscape):
    page = landscape
    start = page.evaluate("() => window.descentlab.view.scene.start")
    before = page.evaluate("() => document.querySelector('#view').dataset.digest")
    box = page.locator(".landscape-canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.85)   # far from every path
    wait_digest(page, before)
    assert page.evaluate("() => window.descentlab.view.scene.start") != start
    undo = page.locator(".undo-bar button")
    assert undo.is_visible() and "Undo" in undo.inner_text()
    moved = page.evaluate("() => document.querySelector('#view').dataset.digest")
    undo.click()
    digest = wait_digest(page, moved)
    assert page.evaluate("() => window.descentlab.view.scene.start") == start
    assert digest == before and page.locator(".undo-bar").is_hidden()


def test_legends_name_the_runs_and_the_shading(landscape):
    page = landscape
    labels = page.evaluate("() => window.descentlab.view.labels")
    items = page.locator(".main .chart-legend li")
    assert items.count() == 4
    result = page.evaluate("() => window.descentlab.view.result")
    for i in range(4):
        text = items.nth(i).inner_text()
        assert text.startswith(labels[i]) and "final f =" in text
    page.wait_for_function("() => document.querySelectorAll('.main .colour-bar-ticks span').length === 5")
    ticks = page.locator(".main .colour-bar-ticks span").all_inner_texts()
    assert all(t.strip() for t in ticks) and "f at each point" in page.locator(".main .colour-bar figcaption").inner_text()
    assert len(result["runs"]) == 4


def test_labels_tell_runs_of_one_optimizer_apart(landscape):
    page = landscape
    page.select_option("[data-field='lesson']", "beale-momentum")
    page.wait_for_function("() => window.descentlab.view.scene.lesson === 'beale-momentum'")
    assert page.evaluate("() => window.descentlab.view.labels") == ["SGD + momentum μ=0.9", "SGD + momentum μ=0.99", "Adam"]
    page.locator(".lesson-card .predict-choices button").nth(1).click()
    page.wait_for_function("() => /diverged at step/.test(document.querySelector('.main .run-status').textContent)")
    assert "SGD + momentum μ=0.99 diverged at step" in page.locator(".main .run-status").inner_text()


def test_regime_list_follows_the_runs_and_the_map_explains_itself(landscape):
    page = landscape
    options = lambda: page.locator("[data-field='regime.optimizer'] option").all_inner_texts()  # noqa: E731
    assert options() == ["1. SGD", "2. Nesterov momentum", "3. Adam", "4. RMSprop"]
    page.locator(".opt-item summary").nth(2).click()
    page.get_by_role("button", name="Remove run 3").click()
    assert options() == ["1. SGD", "2. Nesterov momentum", "3. RMSprop"]
    page.get_by_role("button", name="+ Add optimizer").click()
    assert options()[-1] == "4. Adam"
    page.select_option("[data-field='regime.optimizer']", "2")   # RMSprop
    page.locator("[data-field='regime.n']").fill("4")
    page.locator("[data-field='regime.n']").press("Enter")
    page.get_by_role("button", name="Compute map").click()
    page.wait_for_function("() => /runs of/.test(document.querySelectorAll('.regime .run-status')[0].textContent)",
                           timeout=120_000)
    assert page.evaluate("() => window.descentlab.view.regime.optimizer.name") == "rmsprop"
    assert page.locator(".regime .colour-bar").is_visible()
    assert page.locator(".regime .colour-bar-ticks span").count() == 5
    # hover names a cell's final loss; the keyboard moves between cells and Enter adds one
    page.locator(".regime-canvas").hover(position={"x": 70, "y": 15})
    assert "final loss" in page.locator(".regime-readout").inner_text() or "diverged" in page.locator(".regime-readout").inner_text()
    n_before = len(view_spec(page)["optimizers"])
    before = page.evaluate("() => document.querySelector('#view').dataset.digest")
    page.locator(".regime-canvas").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert "lr = " in page.locator(".regime-readout").inner_text()
    page.keyboard.press("Enter")
    wait_digest(page, before)
    assert len(view_spec(page)["optimizers"]) == n_before + 1


def test_a_panel_stays_open_when_its_type_changes(landscape):
    """Issue #15 item 10: with four runs the list starts folded; a panel the learner opened
    stays open across a new type (and other panels stay as they were), and a newly added
    optimizer starts open. Titles name the setting that tells runs of one kind apart."""
    page = landscape
    items = page.locator(".opt-item")
    assert items.count() >= 4 and not any(items.evaluate_all("(ds) => ds.map((d) => d.open)"))
    items.nth(1).locator("summary").click()
    page.select_option("[data-field='optimizers[1].name']", "adam")
    wait_digest(page)
    assert items.evaluate_all("(ds) => ds.map((d) => d.open)") == [False, True] + [False] * (items.count() - 2)
    assert page.locator("[data-field='optimizers[1].beta1']").is_visible()   # Adam's own settings show
    page.get_by_role("button", name="+ Add optimizer").click()
    assert items.last.evaluate("(d) => d.open") and items.nth(1).evaluate("(d) => d.open")
    labels = page.evaluate("() => window.descentlab.view.labels")
    titles = [t.split(". ", 1)[1] for t in page.locator(".opt-item .opt-title").all_inner_texts()]
    assert titles == labels, titles
    # a new lr on one of two runs of one kind shows in its title at once
    n = items.count()
    page.locator(f"[data-field='optimizers[{n - 1}].lr']").fill("0.0123")
    page.locator(f"[data-field='optimizers[{n - 1}].lr']").press("Enter")
    assert "lr=0.0123" in items.last.locator(".opt-title").inner_text()
