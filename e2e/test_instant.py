"""The first scene before Python is ready (web/instant.js, buildtool/scenes.py).

- The page draws the precomputed default scene while the worker is still loading (the
  wasm is held back here, so "before" is certain), says it is interactive in a moment, and
  its controls wait instead of failing; once the worker is ready the live result replaces
  it with the same digest, and the marks come in order.
- Every shipped key is exactly a spec the page asks for (a mismatch would silently never
  be hit), and every shipped scene, computed live in the page, has the shipped digest.
- The Network view's first picture (its dataset preview) and the Projection view's default
  projection are shipped too: drawn before the worker is ready, then computed live and
  checked (a wrong shipped digest is replaced, loudly), whatever the view.
- The single file (file://) draws its default scene before ready too.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import PageWatch, open_page, wait_until_ready

FIRST, LIVE = "descentlab:first-scene", "descentlab:interactive"
MARK_JS = "(name) => performance.getEntriesByName(name, 'mark').length > 0"
MARK_TIME_JS = "(name) => { const m = performance.getEntriesByName(name, 'mark')[0]; return m ? m.startTime : null; }"


def shipped(dist) -> dict:
    return json.loads((dist / "scenes" / "index.json").read_text())


@pytest.fixture(scope="module")
def index(dist):
    if not (dist / "scenes" / "index.json").exists():
        pytest.fail("this build shipped no precomputed scenes (no Python with numpy 2.0.2 found by buildtool/scenes.py)")
    return shipped(dist)


def held_page(browser, url, watch, pattern="**/pyodide.asm.wasm", handler=None, init_script=None, routes=()):
    """A watched page whose `pattern` requests wait until release() is called (or are
    answered by `handler(route)`); `routes`: more (pattern, handler) pairs."""
    context = browser.new_context(service_workers="block")
    if init_script:
        context.add_init_script(init_script)
    held, released = [], []

    def hold(route):
        if released:
            route.continue_()
        else:
            held.append(route)

    def guard(route):
        watch.requests.append(route.request.url)
        route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    page.route(pattern, handler or hold)
    for more, answer in routes:
        page.route(more, answer)
    page.on("console", lambda m: m.type == "error" and watch.console_errors.append(m.text))
    page.on("pageerror", lambda e: watch.console_errors.append(f"pageerror: {e}"))
    page.goto(url)

    def release():
        released.append(True)
        for route in held:
            route.continue_()
    return page, release


def test_first_scene_is_drawn_before_the_worker_is_ready(browser, server, index):
    watch = PageWatch()
    page, release = held_page(browser, server, watch)
    try:
        page.wait_for_function(MARK_JS, arg=FIRST, timeout=60_000)
        state = page.evaluate("""() => ({
            stage: window.descentlab.loadState.stage,
            warming: document.documentElement.classList.contains('warming'),
            status: document.getElementById('status').textContent,
            runStatus: document.querySelector('#view .run-status').textContent,
            dialog: !document.getElementById('loading').hidden,
            digest: document.querySelector('#view').dataset.digest,
            runs: window.descentlab.view.result.runs.length,
            spec: window.descentlab.view.spec,
        })""")
        assert state["stage"] != "ready"
        assert state["warming"] and not state["dialog"]
        assert "Interactive in a moment" in state["status"]
        assert "interactive in a moment" in state["runStatus"]
        assert page.evaluate(MARK_JS, LIVE) is False
        # what is drawn is the default scene as shipped
        from buildtool.scenes import canonical
        entry = index["scenes"][canonical(state["spec"])]
        assert entry["default"] and state["digest"] == entry["digest"] and state["runs"] == 4
        # a control used now waits for the worker (not dead, no error): the steps field
        steps = page.locator('#view input[data-field="steps"]').first
        steps.fill("200")
        steps.dispatch_event("change")
        page.wait_for_timeout(300)
        assert page.evaluate("() => window.descentlab.loadState.stage") != "ready"
        assert page.evaluate("() => [...document.querySelectorAll('#view .message')].every((m) => m.hidden || !m.textContent)")
    finally:
        release()
    wait_until_ready(page)
    page.wait_for_function(MARK_JS, arg=LIVE, timeout=120_000)
    # the control's scene (200 steps) arrives live; the warming state is gone
    page.wait_for_function("() => window.descentlab.view.spec.steps === 200 && document.querySelector('#view').dataset.digest",
                           timeout=120_000)
    after = page.evaluate("""() => ({warming: document.documentElement.classList.contains('warming'),
        status: document.getElementById('status').textContent, startup: window.descentlab.startup})""")
    assert not after["warming"] and after["status"].startswith("Ready")
    marks = after["startup"]["marks"]
    assert marks[FIRST] < marks[LIVE]
    assert after["startup"]["precomputed"] is True
    assert after["startup"]["page"]["ready"] > marks[FIRST]
    page.context.close()
    assert watch.console_errors == [], watch.console_errors


CALLS_INIT = """
let _d;
Object.defineProperty(window, 'descentlab', { configurable: true, get() { return _d; }, set(v) {
  _d = v; window.__calls = [];
  const run = v.run;
  v.run = function (spec, opts) {
    const rec = {kind: spec && spec.kind, stage: v.loadState.stage, sent: window.__calls.length, done: null};
    window.__calls.push(rec);
    const p = run.call(this, spec, opts);
    p.then(() => { rec.done = window.__calls.length; }, () => {});
    return p;
  };
} });
"""


def test_the_runs_come_live_before_the_grid_is_rechecked(browser, server, index):
    """At ready, the live check of the precomputed grid is sent only once the scene's runs
    have come back live (the worker interleaves requests, and the grid would slow the result
    that makes the page interactive); it is still sent, and nothing else goes first."""
    watch = PageWatch()
    context = browser.new_context(service_workers="block")
    context.add_init_script(CALLS_INIT)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and watch.console_errors.append(m.text))
    page.goto(server)
    page.wait_for_function(MARK_JS, arg=LIVE, timeout=120_000)
    page.wait_for_function("() => window.__calls.some((c) => c.kind === 'grid' && c.done !== null)", timeout=60_000)
    calls = page.evaluate("() => window.__calls")
    live = [c for c in calls if c["stage"] == "ready"]
    assert [c["kind"] for c in live[:2]] == ["landscape", "grid"], calls
    runs, grid = live[0], live[1]
    assert runs["done"] is not None and grid["sent"] >= runs["done"], calls
    context.close()
    assert watch.console_errors == [], watch.console_errors


def test_live_recompute_of_the_shown_scene_matches(page, index):
    """The default page: the precomputed scene, then the live one, same digest, no error."""
    page.wait_for_function(MARK_JS, arg=LIVE, timeout=120_000)
    digest = page.evaluate("() => document.querySelector('#view').dataset.digest")
    assert digest in {e["digest"] for e in index["scenes"].values() if e["default"]}
    startup = page.evaluate("() => window.descentlab.startup")
    assert startup["marks"][FIRST] <= startup["marks"][LIVE]


def test_every_shipped_key_is_what_the_page_asks_for(page, server, index):
    """Open every lesson (and the bare default link); record each spec the landscape view
    sends, as the page keys it. They must be exactly the shipped keys."""
    page.wait_for_function(MARK_JS, arg=LIVE, timeout=120_000)
    lessons = page.evaluate("async () => (await import('./lessons.js')).LESSONS.map((l) => l.id)")
    asked = page.evaluate("""async (lessons) => {
        const { canonical } = await import('./instant.js');
        const asked = new Set();
        const api = window.descentlab, run = api.run;
        api.run = (spec, opts) => { asked.add(canonical(spec)); return run(spec, opts); };
        const settle = () => new Promise((r) => setTimeout(r, 400));
        for (const id of lessons) { location.hash = `#landscape?lesson=${id}`; await settle(); }
        // through the lesson menu too (applyLesson, not a link)
        location.hash = '#landscape'; await settle();
        const select = document.querySelector('#view select[data-field="lesson"]');
        for (const id of lessons) { select.value = id; select.dispatchEvent(new Event('change', {bubbles: true})); await settle(); }
        // the Network view asks for its dataset preview; the Projection view computes only
        // when asked to (or shows a shipped projection while warming): its spec as it stands
        const mounted = async (name) => { while (window.descentlab.viewName !== name) await settle(); await settle(); };
        location.hash = '#network'; await mounted('network');
        location.hash = '#projection'; await mounted('projection');
        asked.add(canonical(window.descentlab.view.spec));
        api.run = run;
        return [...asked];
    }""", lessons)
    shipped_keys = set(index["scenes"])
    asked_scenes = {k for k in asked if json.loads(k)["kind"] in ("landscape", "grid", "dataset", "projection")}
    assert {json.loads(k)["kind"] for k in shipped_keys} == {"landscape", "grid", "dataset", "projection"}
    assert shipped_keys == asked_scenes, {"shipped, never asked": sorted(shipped_keys - asked_scenes)[:3],
                                          "asked, not shipped": sorted(asked_scenes - shipped_keys)[:3]}
    # and the Python writer of canonical JSON agrees with the page's
    from buildtool.scenes import canonical
    for key in shipped_keys:
        assert canonical(json.loads(key)) == key


# A static import of a relative module: `import ... from "./x.js"`, `export ... from "./x.js"`,
# `import "./x.js"` (not `import("./x.js")`, which loads on demand).
STATIC_IMPORT_RE = re.compile(r'^\s*(?:import|export)\s[^;"]*?from\s*"(\.{1,2}/[^"]+)"|^\s*import\s*"(\.{1,2}/[^"]+)"', re.M)


def static_modules(web: Path, entry: str) -> list[str]:
    """Every module reachable from web/<entry> by static imports: what the browser must
    fetch before it runs."""
    seen, todo = [], [entry]
    while todo:
        rel = todo.pop(0)
        if rel in seen:
            continue
        seen.append(rel)
        for m in STATIC_IMPORT_RE.finditer((web / rel).read_text(encoding="utf-8")):
            todo.append(os.path.normpath(os.path.join(os.path.dirname(rel), m.group(1) or m.group(2))).replace(os.sep, "/"))
    return seen


def test_the_first_views_modules_are_asked_for_at_once(browser, server, dist):
    """index.html's first script asks for every module of the view a link opens (those of a
    view with a precomputed first picture) at once, not level by level as imports are found."""
    html = (dist / "index.html").read_text()
    listed = json.loads(re.search(r"const FIRST_MODULES = /\*@JSON@\*/(.*?)/\*@END@\*/", html, re.S).group(1))
    shell = static_modules(dist, "app.js")
    graph = {"shell": shell, **{v: [m for m in static_modules(dist, f"views/{v}.js") if m not in shell]
                                for v in ("landscape", "network", "projection")}}
    for part, modules in graph.items():
        assert set(listed[part]) == set(modules), (
            f"web/index.html FIRST_MODULES[{part!r}] is not the static import graph it names: "
            f"add {sorted(set(modules) - set(listed[part]))}, remove {sorted(set(listed[part]) - set(modules))}")
    watch = PageWatch()
    for hash_, view in (("", "landscape"), ("#network", "network"), ("#projection", "projection"), ("#exercises", None)):
        page, release = held_page(browser, server + hash_, watch)
        try:
            page.wait_for_function("() => window.descentlab && window.descentlab.viewName", timeout=60_000)
            asked = page.evaluate("() => [...document.querySelectorAll('link[rel=modulepreload]')].map((l) => l.getAttribute('href'))")
        finally:
            release()
            page.context.close()
        assert sorted(asked) == sorted(graph["shell"] + graph[view] if view else []), view
    assert watch.console_errors == [], watch.console_errors


def test_every_shipped_scene_has_the_live_digest(page, index, server):
    """Each shipped result, computed live by the page's worker, gives the shipped digest,
    and the shipped bytes (as the page unpacks them) are that very result."""
    out = page.evaluate("""async (index) => {
        const rows = [];
        for (const [key, entry] of Object.entries(index.scenes)) {
            const live = await window.descentlab.run(JSON.parse(key));
            const [text, f64] = await Promise.all([fetch(`scenes/${entry.id}.json`).then((r) => r.text()),
                                                   fetch(`scenes/${entry.id}.f64`).then((r) => r.arrayBuffer())]);
            rows.push({key, shipped: entry.digest, live: live.digest, inFile: JSON.parse(text).digest, bytes: f64.byteLength});
        }
        return rows;
    }""", index)
    assert len(out) == len(index["scenes"]) >= 12   # 6 lessons x (runs + grid)
    for row in out:
        assert row["live"] == row["shipped"] == row["inFile"], row["key"][:120]
        assert row["bytes"] > 0
    catalog = page.evaluate("() => window.descentlab.call('list_catalog')")
    assert catalog == index["catalog"]   # (numbers compare by value: JSON in JS has no 1.0)


# (view's hash, the kind of its first picture, JS giving the digest drawn)
FIRST_PICTURES = [("", "landscape", "() => document.querySelector('#view').dataset.digest"),
                  ("#network", "dataset", "() => window.descentlab.view.data && window.descentlab.view.data.digest"),
                  ("#projection", "projection", "() => window.descentlab.view.result && window.descentlab.view.result.digest")]


@pytest.mark.parametrize("hash_, kind, digest_js", FIRST_PICTURES, ids=["landscape", "network", "projection"])
def test_changed_digest_is_replaced_loudly(browser, server, index, hash_, kind, digest_js):
    """A shipped first picture whose digest is wrong: the view draws it, then the live result
    replaces it and a console error says so (the check can fail)."""
    bad = json.loads(json.dumps(index))
    for entry in bad["scenes"].values():
        if entry["default"] and entry["kind"] == kind:
            entry["digest"] = "0" * 64
    watch = PageWatch()
    page, _ = held_page(browser, server + hash_, watch, pattern="**/scenes/index.json",
                        handler=lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(bad)))
    page.wait_for_function(MARK_JS, arg=LIVE, timeout=180_000)
    page.wait_for_function(f"() => {{ const d = ({digest_js})(); return !!d && d !== '0'.repeat(64); }}", timeout=60_000)
    page.wait_for_timeout(200)
    assert any("PRECOMPUTED SCENE DIFFERS" in e for e in watch.console_errors), watch.console_errors
    assert page.evaluate(digest_js) == next(e["digest"] for e in index["scenes"].values() if e["default"] and e["kind"] == kind)
    page.context.close()


# Counts the landscape's whole-canvas draws (plot.draw clears the canvas once per frame) and
# notes the count when the page marks itself interactive.
DRAWS_INIT = """
window.__draws = 0;
const clear = CanvasRenderingContext2D.prototype.clearRect;
CanvasRenderingContext2D.prototype.clearRect = function (...a) {
  if (this.canvas.classList && this.canvas.classList.contains('landscape-canvas')) window.__draws++;
  return clear.apply(this, a);
};
const mark = performance.mark.bind(performance);
performance.mark = (name, ...rest) => { if (name === 'descentlab:interactive') window.__drawsAtLive = window.__draws; return mark(name, ...rest); };
"""


@pytest.mark.parametrize("same", [True, False], ids=["same-digest", "other-digest"])
def test_the_live_twin_of_the_precomputed_picture_is_not_drawn_again(browser, server, index, same):
    """The live result of the precomputed scene on screen, with the same digest, is that
    picture: the page becomes interactive without drawing the canvas again. With another
    digest (a shipped digest made wrong) it is drawn, so the count can tell."""
    table = json.loads(json.dumps(index))
    if not same:
        for entry in table["scenes"].values():
            if entry["default"] and entry["kind"] == "landscape":
                entry["digest"] = "0" * 64
    answer = lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(table))
    watch = PageWatch()
    page, release = held_page(browser, server, watch, init_script=DRAWS_INIT, routes=[("**/scenes/index.json", answer)])
    try:
        page.wait_for_function(MARK_JS, arg=FIRST, timeout=60_000)
        # the precomputed grid may land after the runs and redraw once: wait for it (its colour
        # bar's ticks are written by that draw)
        page.wait_for_function("() => { const t = document.querySelector('#view .colour-bar-ticks'); return !!t && t.textContent.trim() !== ''; }", timeout=30_000)
        page.wait_for_timeout(300)
        before = page.evaluate("() => window.__draws")
        assert before >= 1 and page.evaluate(MARK_JS, LIVE) is False
    finally:
        release()
    page.wait_for_function(MARK_JS, arg=LIVE, timeout=180_000)
    at_live = page.evaluate("() => window.__drawsAtLive")
    status = page.evaluate("() => document.querySelector('#view .run-status').textContent")
    assert at_live == (before if same else before + 1), (before, at_live)
    assert "interactive in a moment" not in status and "runs × 1000 steps computed" in status, status
    assert page.evaluate("() => document.querySelector('#view').dataset.digest") == next(
        e["digest"] for e in index["scenes"].values() if e["default"] and e["kind"] == "landscape")
    page.context.close()
    if same:
        assert watch.console_errors == [], watch.console_errors
    else:
        assert any("PRECOMPUTED SCENE DIFFERS" in e for e in watch.console_errors), watch.console_errors


def test_an_edit_made_while_python_loads_is_what_is_drawn_live(browser, server, index):
    """Shift+-> moves the start while the precomputed scene is shown and the worker is still
    loading: once it is ready, the moved scene is computed and drawn live, and the recheck
    of the precomputed scene is not sent after it (it would be drawn over the edit)."""
    from conftest import native
    watch = PageWatch()
    page, release = held_page(browser, server, watch, init_script=CALLS_INIT)
    try:
        page.wait_for_function(MARK_JS, arg=FIRST, timeout=60_000)
        before = page.evaluate("() => window.descentlab.view.spec.start")
        page.locator(".landscape-canvas").focus()
        page.keyboard.press("Shift+ArrowRight")
        page.wait_for_function("() => /start=/.test(location.hash) && !location.hash.includes('start=%5B-1.5%2C2%5D')"
                               " && !location.hash.includes('start=[-1.5,2]')", timeout=10_000)
    finally:
        release()
    page.wait_for_function(MARK_JS, arg=LIVE, timeout=180_000)
    page.wait_for_function("(b) => { const s = window.descentlab.view.spec; return s && s.start[0] !== b[0] && "
                           "document.querySelector('#view').dataset.digest; }", arg=before, timeout=60_000)
    # what could come after it has come: the grid's live check is the last request
    page.wait_for_function("() => window.__calls.some((c) => c.kind === 'grid' && c.stage === 'ready' && c.done !== null)",
                           timeout=60_000)
    page.wait_for_timeout(300)
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert spec["start"][0] > before[0] and spec["start"][1] == before[1], (before, spec["start"])
    assert page.evaluate("() => document.querySelector('#view').dataset.digest") == native(spec)["digest"]
    live = [c["kind"] for c in page.evaluate("() => window.__calls") if c["stage"] == "ready"]
    assert live.count("landscape") == 0, live   # the edit went before ready, and no recheck after it
    page.context.close()
    assert watch.console_errors == [], watch.console_errors


def test_network_view_shows_its_precomputed_picture_then_goes_live(browser, server, index):
    """#network before the worker is ready: the shipped dataset preview is drawn, the view
    says it is interactive in a moment, Train waits (no error); released, the live preview
    is drawn (the interactive mark) with the shipped digest and the queued training runs."""
    watch = PageWatch()
    page, release = held_page(browser, server + "#network", watch)
    try:
        page.wait_for_function(MARK_JS, arg=FIRST, timeout=60_000)
        state = page.evaluate("""() => ({
            stage: window.descentlab.loadState.stage,
            warming: document.documentElement.classList.contains('warming'),
            status: document.getElementById('status').textContent,
            runStatus: document.querySelector('#view .run-status').textContent,
            dialog: !document.getElementById('loading').hidden,
            digest: window.descentlab.view.data.digest, n: window.descentlab.view.data.n,
            info: document.querySelector('#view canvas.scatter + p').textContent,
            inked: (() => { const c = document.querySelector('#view canvas.scatter');
                            const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                            let k = 0; for (let i = 0; i < px.length; i += 4) if (px[i] > 150 && px[i + 1] < 90) k++; return k; })(),
        })""")
        assert state["stage"] != "ready" and state["warming"] and not state["dialog"]
        assert "Interactive in a moment" in state["status"]
        assert "interactive in a moment" in state["runStatus"]
        entry = next(e for e in index["scenes"].values() if e["kind"] == "dataset")
        assert state["digest"] == entry["digest"] and state["n"] == 300
        assert state["info"].startswith("300 points")
        assert state["inked"] > 100   # red class points are on the canvas
        assert page.evaluate(MARK_JS, LIVE) is False
        page.get_by_role("button", name="Train", exact=True).click()
        page.wait_for_timeout(300)
        assert page.evaluate("() => window.descentlab.loadState.stage") != "ready"
        assert page.evaluate("() => document.querySelector('#view .run-status').textContent") == "Training…"
        assert page.evaluate("() => [...document.querySelectorAll('#view .message')].every((m) => m.hidden || !m.textContent)")
    finally:
        release()
    wait_until_ready(page)
    page.wait_for_function(MARK_JS, arg=LIVE, timeout=120_000)
    assert page.evaluate("() => window.descentlab.view.data.digest") == entry["digest"]
    page.wait_for_function("() => /^Trained 3 runs/.test(document.querySelector('#view .run-status').textContent)", timeout=180_000)
    marks = page.evaluate("() => window.descentlab.startup.marks")
    assert marks[FIRST] < marks[LIVE]
    assert not page.evaluate("() => document.documentElement.classList.contains('warming')")
    page.context.close()
    assert watch.console_errors == [], watch.console_errors


def test_projection_view_shows_its_precomputed_projection_then_checks_it_live(browser, server, index):
    """#projection before the worker is ready: the shipped default projection is drawn at
    once (no Compute pressed); once ready it is computed live and says it was checked."""
    watch = PageWatch()
    page, release = held_page(browser, server + "#projection", watch)
    entry = next(e for e in index["scenes"].values() if e["kind"] == "projection")
    try:
        page.wait_for_function(MARK_JS, arg=FIRST, timeout=60_000)
        state = page.evaluate("""() => ({
            stage: window.descentlab.loadState.stage,
            runStatus: document.querySelector('#view .run-status').textContent,
            digest: window.descentlab.view.result.digest, runs: window.descentlab.view.result.runs.length,
            compute: [...document.querySelectorAll('#view button')].find((b) => b.textContent === 'Compute').disabled,
        })""")
        assert state["stage"] != "ready"
        assert state["runStatus"].startswith("Computed ahead of time: interactive in a moment")
        assert state["digest"] == entry["digest"] and state["runs"] == 3
        assert state["compute"] is False   # usable: its run waits for the worker
        assert page.evaluate(MARK_JS, LIVE) is False
    finally:
        release()
    wait_until_ready(page)
    page.wait_for_function(MARK_JS, arg=LIVE, timeout=180_000)
    page.wait_for_function("() => document.querySelector('#view .run-status').textContent.startsWith('Computed ahead of time, checked live')",
                           timeout=30_000)
    assert page.evaluate("() => window.descentlab.view.result.digest") == entry["digest"]
    page.context.close()
    assert watch.console_errors == [], watch.console_errors


@pytest.mark.parametrize("hash_", ["", "#network"])
def test_single_file_draws_before_ready(browser, dist, tmp_path, hash_):
    path = tmp_path / "descentlab.html"
    shutil.copy(dist / "descentlab.html", path)
    watch = PageWatch()
    page = open_page(browser, path.as_uri() + hash_, watch, wait_ready=False)
    try:
        page.wait_for_function(MARK_JS, arg=FIRST, timeout=60_000)
        wait_until_ready(page)
        page.wait_for_function(MARK_JS, arg=LIVE, timeout=120_000)
        startup = page.evaluate("() => window.descentlab.startup")
        assert startup["precomputed"] is True
        assert startup["marks"][FIRST] < startup["page"]["ready"] <= startup["marks"][LIVE]
    finally:
        page.context.close()
    assert watch.console_errors == [], watch.console_errors
