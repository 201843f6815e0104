"""The real page and the real worker in Chromium: loading, results, errors, cancel, restart."""
from __future__ import annotations

import copy
import json

import descentlab
import pytest

LANDSCAPE_SPEC = {
    "kind": "landscape",
    "function": "rosenbrock",
    "start": [-1.5, 2.0],
    "steps": 500,
    "optimizers": [
        {"name": "adam", "lr": 0.05},
        {"name": "sgd", "lr": 0.001, "momentum": 0.9, "nesterov": True},
    ],
    "record_state": False,
}

# Long enough that it is still running when cancelled (500 epoch chunks), and within the
# core's work budget (1000 epochs of it are refused up front).
LONG_NETWORK_SPEC = {
    "kind": "network",
    "dataset": {"name": "moons", "n": 400, "noise": 0.2, "seed": 0},
    "model": {"hidden": [16, 16], "activation": "tanh"},
    "loss": "cross_entropy",
    "batch_size": 32,
    "epochs": 500,
    "seed": 0,
    "snapshot_every": 100,
    "optimizers": [{"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.01}],
}

# Settles the run promise as a plain object, so a rejection can be inspected from Python.
SETTLE_JS = """async ([spec, t]) => {
    try {
        const result = await Promise.race([
            window.descentlab.run(spec),
            new Promise((_, reject) => setTimeout(() => reject(new Error(`run took over ${t} ms`)), t)),
        ]);
        return {ok: true, result};
    } catch (e) {
        return {ok: false, kind: e.kind || null, field: e.field === undefined ? null : e.field,
                message: String(e.message)};
    }
}"""


def test_page_loads_ready_offline(page, page_watch, server):
    info = page.evaluate("() => window.descentlab.ready")
    assert info == {"version": descentlab.__version__}
    assert page.evaluate("() => window.descentlab.version") == descentlab.__version__
    assert page.title() == "Descent Lab"
    assert page.locator("#loading").is_hidden()
    assert page.locator("#status").inner_text() == f"Ready — Descent Lab v{descentlab.__version__}"
    # Everything came from our server, the worker's wasm and both packages' archives included.
    fetched = {u.rsplit("/", 1)[-1] for u in page_watch.requests}
    assert {"pyodide.asm.wasm", "pyodide-lock.json", "worker.js"} <= fetched, fetched
    assert any(name.startswith("numpy-") and name.endswith(".tar.gz") for name in fetched), fetched
    assert any(name.startswith("descentlab-") and name.endswith(".tar.gz") for name in fetched), fetched
    assert all(u.startswith(server) or u.startswith("data:") for u in page_watch.requests)


def test_landscape_matches_native_bit_for_bit(page, browser_run):
    native = descentlab.run(copy.deepcopy(LANDSCAPE_SPEC))
    result = browser_run(page, LANDSCAPE_SPEC)
    assert result["digest"] == native["digest"]
    # The whole result survives the trip through the worker unchanged (== is exact for floats;
    # JavaScript has one number type, so 2.0 may come back as the int 2).
    assert result == native


def test_progress_is_reported(page):
    events = page.evaluate(
        """async (spec) => {
            const seen = [];
            await window.descentlab.run(spec, {onProgress: (p) => seen.push(p)});
            return seen;
        }""",
        LANDSCAPE_SPEC,
    )
    assert events, "no progress message"
    assert all(e["total"] >= e["done"] >= 0 for e in events)


def test_bad_spec_rejects_with_spec_error_then_page_still_works(page, browser_run):
    bad = dict(LANDSCAPE_SPEC, steps=-5)
    with pytest.raises(descentlab.SpecError) as native_error:
        descentlab.run(copy.deepcopy(bad))
    out = page.evaluate(SETTLE_JS, [bad, 60_000])
    assert out["ok"] is False
    assert out["kind"] == "SpecError"
    assert "steps" in out["field"]
    assert out["field"] == native_error.value.field
    assert out["message"] == native_error.value.message
    # The worker is fine afterwards.
    assert browser_run(page, LANDSCAPE_SPEC)["digest"] == descentlab.run(copy.deepcopy(LANDSCAPE_SPEC))["digest"]


def test_validate_call_rejects_bad_spec(page):
    out = page.evaluate(
        """async () => {
            try { await window.descentlab.call("validate", {kind: "landscape", steps: -5}); return null; }
            catch (e) { return {kind: e.kind, field: e.field}; }
        }"""
    )
    assert out is not None and out["kind"] == "SpecError"


def test_only_whitelisted_functions_can_be_called(page):
    out = page.evaluate(
        """async () => {
            try { await window.descentlab.call("run", {}); return null; }
            catch (e) { return {kind: e.kind, message: e.message}; }
        }"""
    )
    assert out is not None and out["kind"] == "Error" and "cannot be called" in out["message"]


def test_cancel_stops_a_long_run(page, browser_run):
    page.evaluate(
        """(spec) => {
            window.__progress = 0;
            window.__outcome = null;
            window.descentlab.run(spec, {onProgress: () => { window.__progress += 1; }})
                .then(() => { window.__outcome = {kind: "finished"}; },
                      (e) => { window.__outcome = {kind: e.kind, progress: window.__progress}; });
        }""",
        LONG_NETWORK_SPEC,
    )
    page.wait_for_function("() => window.__progress >= 2", timeout=60_000)
    page.evaluate("() => window.descentlab.cancel()")
    page.wait_for_function("() => window.__outcome !== null")
    outcome = page.evaluate("() => window.__outcome")
    assert outcome["kind"] == "Cancelled"
    # A good run still works after the cancel; the worker answers in order, so by its
    # result the cancelled run has surely stopped: it reported no progress after it ended.
    assert browser_run(page, LANDSCAPE_SPEC)["digest"] == descentlab.run(copy.deepcopy(LANDSCAPE_SPEC))["digest"]
    assert page.evaluate("() => window.__progress") == outcome["progress"]


def test_kernel_digests_match_native(page):
    browser = page.evaluate("() => window.descentlab.call('kernel_digests')")
    native = descentlab.kernel_digests()
    assert isinstance(native, dict) and native
    differ = sorted(k for k in native.keys() | browser.keys() if browser.get(k) != native.get(k))
    assert not differ, f"kernels not bit-identical in the browser: {differ}"


def test_list_catalog_matches_native(page):
    assert page.evaluate("() => window.descentlab.call('list_catalog')") == json.loads(
        json.dumps(descentlab.list_catalog()))


def test_worker_restart_recovers(page, browser_run):
    # A run in flight when the worker dies is rejected, not left hanging.
    page.evaluate(
        """(spec) => {
            window.__outcome = null;
            window.descentlab.run(spec).then(() => { window.__outcome = "finished"; },
                                             (e) => { window.__outcome = e.kind; });
        }""",
        LONG_NETWORK_SPEC,
    )
    assert page.evaluate("() => window.descentlab._worker instanceof Worker")
    page.evaluate("() => window.descentlab._worker.terminate()")
    page.wait_for_function("() => window.__outcome !== null")
    assert page.evaluate("() => window.__outcome") == "WorkerRestarted"
    notice = page.locator("#notice")
    notice.wait_for(state="visible")
    assert "The computation worker stopped and was restarted." in notice.inner_text()
    # The new worker loads and computes the same numbers.
    assert page.evaluate("() => window.descentlab.ready")["version"] == descentlab.__version__
    assert browser_run(page, LANDSCAPE_SPEC)["digest"] == descentlab.run(copy.deepcopy(LANDSCAPE_SPEC))["digest"]
    page.locator("#loading").wait_for(state="hidden")


def test_tampered_package_is_refused(browser, server, dist):
    """The worker fetches each package's archive with the lock's sha256 as integrity: a changed
    byte stops the load, at the stage of that package, with the file named."""
    archive = next(dist.glob("descentlab-*.tar.gz"))
    tampered = bytearray(archive.read_bytes())
    tampered[-10] ^= 0xFF
    context = browser.new_context()
    try:
        context.route("**/descentlab-*.tar.gz", lambda route: route.fulfill(
            status=200, body=bytes(tampered), content_type="application/octet-stream"))
        page = context.new_page()
        page.goto(server)
        page.wait_for_selector("#loading-error:not([hidden])", timeout=90_000)
        assert page.evaluate("() => window.descentlab.loadState.stage") == "descentlab"
        assert "Descent Lab failed" in page.locator("#loading-stage").inner_text()
        out = page.evaluate(SETTLE_JS, [LANDSCAPE_SPEC, 10_000])
        assert out["ok"] is False and archive.name in out["message"], out
    finally:
        context.close()


# A request nested this deep used to vanish: structured clone could copy it out of the page
# but not into the worker, which then dropped it and never answered (issue 12).
DEEP_JS = "(d) => { let v = 1; for (let i = 0; i < d; i++) v = [v]; return v; }"


def test_worker_answers_every_message(page, browser_run):
    """Every message gets a typed answer: ones that are not objects, have no or an odd id,
    an unknown type, a spec that is not an object, or cannot be read at all."""
    replies = page.evaluate("""async (deepJs) => {
        const deep = eval(deepJs)(3000);
        const raw = [42, null, "text", [1, 2], {type: "run"}, {id: {}, type: "run", spec: {}}, {id: 5, type: "nope"},
                     {id: 6, type: "run", spec: "landscape"}, {id: 7, type: "run", spec: deep},
                     {id: 8, type: "run", spec: {kind: "landscape", function_params: deep}},
                     {id: 9, type: "call", fn: "validate", args: [deep]}, {type: "cancel"}];
        const out = [];
        for (const m of raw) out.push(await window.descentlab._postRaw(m));
        return out;
    }""", DEEP_JS)
    assert len(replies) == 12
    for reply in replies:
        assert reply["type"] == "error", reply
        assert reply["error"]["kind"] in {"BadMessage", "SpecError"} and reply["error"]["message"], reply
    assert replies[6]["id"] == 5 and "unknown request type" in replies[6]["error"]["message"]
    assert replies[7]["error"] == {"kind": "SpecError", "field": "spec", "message": replies[7]["error"]["message"]}
    # Through the page API, a spec nested too deeply is refused before it is posted, with a
    # kind and the field (it used to be a RangeError without a kind at 10,000 levels, and
    # no answer at all at 3,000).
    for depth in (150, 3000, 10000):
        out = page.evaluate("""async ([deepJs, d]) => {
            const spec = {kind: "landscape", function: "quadratic", function_params: eval(deepJs)(d), optimizers: [{name: "adam"}]};
            try { await window.descentlab.run(spec); return null; }
            catch (e) { return {kind: e.kind, field: e.field, message: e.message}; }
        }""", [DEEP_JS, depth])
        assert out["kind"] == "SpecError" and out["field"] == "function_params", (depth, out)
        assert "nested deeper than" in out["message"]
    # and the worker goes on computing
    assert browser_run(page, LANDSCAPE_SPEC)["digest"] == descentlab.run(copy.deepcopy(LANDSCAPE_SPEC))["digest"]


def test_negative_zero_keeps_its_sign(page):
    """A start of [-0.0, 0.5] is not [0.0, 0.5]: the browser hands Python the same -0.0 as a
    spec file does natively, so the digests agree (JSON.stringify would write 0)."""
    spec = {"kind": "landscape", "function": "booth", "start": [-0.0, 0.5], "steps": 50,
            "optimizers": [{"name": "adam", "lr": 0.1}, {"name": "sgd", "lr": 0.01, "momentum": 0.9}]}
    native = descentlab.run(json.loads(json.dumps(spec)))
    plus_zero = descentlab.run(json.loads(json.dumps({**spec, "start": [0.0, 0.5]})))
    assert native["digest"] != plus_zero["digest"]  # the sign of zero is in the bytes hashed
    out = page.evaluate("""(s) => {
        s.start[0] = -0;  // set here, whatever the argument's own serialization does with -0.0
        return window.descentlab.run(s).then((r) => ({digest: r.digest, negative: Object.is(r.runs[0].path[0][0], -0)}));
    }""", spec)
    assert out == {"digest": native["digest"], "negative": True}


# Every loading message the page hears, from the first one on, with what the page showed
# right after it (app.js draws in its own listener, registered later: read in a microtask).
RECORD_PROGRESS_JS = """
window.__progress = [];
window.addEventListener('descentlab:load-progress', (e) => queueMicrotask(() => {
    const bar = document.getElementById('loading').hidden ? document.getElementById('status-progress')
        : document.getElementById('loading-bar');
    window.__progress.push({...e.detail, status: document.getElementById('status').textContent,
        card: document.getElementById('loading-bytes').textContent,
        determinate: bar.hasAttribute('value'), barValue: bar.value, barShown: !bar.hidden});
}));
"""


def progress_log(browser, url: str) -> list[dict]:
    """The load-progress events of one fresh load of `url`, until ready."""
    from conftest import PageWatch, wait_until_ready
    watch = PageWatch()
    context = browser.new_context(service_workers="block")
    try:
        context.add_init_script(RECORD_PROGRESS_JS)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and watch.console_errors.append(m.text))
        page.goto(url)
        wait_until_ready(page)
        assert not watch.console_errors, watch.console_errors
        return page.evaluate("() => window.__progress")
    finally:
        context.close()


def test_loading_shows_bytes_then_stages(browser, server, dist):
    log = progress_log(browser, server)
    assert log, "no load-progress message"
    stages = [e["stage"] for e in log]
    # the stages come in order, each named (no stage comes back after a later one began)
    order = ["runtime", "python", "numpy", "descentlab"]
    seen = [s for i, s in enumerate(stages) if i == 0 or s != stages[i - 1]]
    assert seen == order, seen
    # the fraction never goes back, and the bar showing it is determinate
    fractions = [e["fraction"] for e in log]
    assert fractions == sorted(fractions) and fractions[-1] == 1, fractions
    assert all(e["determinate"] and e["barShown"] for e in log)
    # bytes of the runtime and of the wheels, counted as they arrive, up to their real size
    runtime = [e["bytes"]["runtime"] for e in log]
    packages = [e["bytes"]["packages"] for e in log]
    for counts in (runtime, packages):
        loaded = [c["loaded"] for c in counts]
        assert loaded == sorted(loaded), loaded
    files = json.loads((dist / "build-info.json").read_text())["files"]
    runtime_size = sum(files[n]["size"] for n in ("pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"))
    wheel_size = sum(f["size"] for n, f in files.items() if n.endswith(".tar.gz"))
    assert runtime[-1] == {"loaded": runtime_size, "total": runtime_size}
    assert packages[-1] == {"loaded": wheel_size, "total": wheel_size}
    assert len({c["loaded"] for c in runtime}) >= 3, "runtime bytes were reported all at once"
    # what the page says: bytes as "Runtime a / b MB", then each stage by name
    shown = " | ".join(e["status"] + " " + e["card"] for e in log)
    assert f"Runtime {runtime_size / 1e6:.1f} / {runtime_size / 1e6:.1f} MB" in shown, shown
    assert "Runtime 0." in shown or any(0 < c["loaded"] < c["total"] for c in runtime), shown
    for text in ("Starting Python", "Importing NumPy", "Importing Descent Lab"):
        assert text in shown, (text, shown)


# ---------------------------------------------------------------- the interpreter's memory snapshot
SNAPSHOT_CACHE_JS = """async () => {
    const names = (await caches.keys()).filter((n) => n.startsWith('descentlab-snapshot:'));
    const out = {};
    for (const name of names) {
        const cache = await caches.open(name);
        out[name] = (await cache.keys()).map((r) => r.url);
    }
    return out;
}"""
# The stored snapshot's bytes changed (its sha256 header kept), as a disk error would.
CORRUPT_SNAPSHOT_JS = """async () => {
    const [name] = (await caches.keys()).filter((n) => n.startsWith('descentlab-snapshot:'));
    const cache = await caches.open(name);
    const [request] = await cache.keys();
    const old = await cache.match(request);
    const bytes = new Uint8Array(await old.arrayBuffer());
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] ^= 0xff;
    await cache.put(request, new Response(bytes, {headers: old.headers}));
    return request.url;
}"""


def visit(context, url: str, watch) -> object:
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and watch.console_errors.append(m.text))
    page.on("pageerror", lambda e: watch.console_errors.append(f"pageerror: {e}"))
    page.goto(url)
    from conftest import wait_until_ready
    wait_until_ready(page)
    return page


def wait_snapshot_made(page) -> dict:
    page.wait_for_function("() => window.descentlab.snapshot && window.descentlab.snapshot.made", timeout=240_000)
    return page.evaluate("() => window.descentlab.snapshot")


def test_memory_snapshot_is_made_used_refused_and_dropped(browser, server, dist, browser_run):
    """First visit: no snapshot, one is made for this build. Second: the interpreter starts
    from it, and computes bit for bit as natively. A corrupted one is refused without an error
    on screen (and made again); a changed build id neither uses nor keeps the old one."""
    from conftest import PageWatch
    build = json.loads((dist / "build-info.json").read_text())["build"]
    native = descentlab.run(copy.deepcopy(LANDSCAPE_SPEC))["digest"]
    watch = PageWatch()
    context = browser.new_context(service_workers="block")
    try:
        page = visit(context, server, watch)
        assert page.evaluate("() => window.descentlab.snapshot.state") == "none"
        made = wait_snapshot_made(page)["made"]
        assert made.get("size", 0) > 1_000_000, made
        stored = page.evaluate(SNAPSHOT_CACHE_JS)
        assert [urls for urls in stored.values()] == [[f"{server}descentlab-snapshot/{build}"]], stored
        page.close()

        page = visit(context, server, watch)
        snapshot = page.evaluate("() => window.descentlab.snapshot")
        assert snapshot["state"] == "used" and snapshot["made"] is None, snapshot
        assert browser_run(page, LANDSCAPE_SPEC)["digest"] == native
        page.evaluate(CORRUPT_SNAPSHOT_JS)
        page.close()

        page = visit(context, server, watch)
        snapshot = page.evaluate("() => window.descentlab.snapshot")
        assert snapshot["state"] == "rejected" and "sha256" in snapshot["reason"], snapshot
        assert page.locator("#status").inner_text() == f"Ready — Descent Lab v{descentlab.__version__}"
        assert page.locator("#loading").is_hidden()
        assert browser_run(page, LANDSCAPE_SPEC)["digest"] == native
        assert "size" in wait_snapshot_made(page)["made"]   # a good one replaces it
        page.close()

        # a new deployment: another build id in index.html
        other = "0123456789abcdef"
        context.route("**/", lambda route: route.fulfill(
            status=200, content_type="text/html",
            body=(dist / "index.html").read_text().replace(f'content="{build}"', f'content="{other}"')))
        page = visit(context, server, watch)
        assert page.evaluate("() => document.querySelector('meta[name=descentlab-build]').content") == other
        assert page.evaluate("() => window.descentlab.snapshot.state") == "none"
        stored = page.evaluate(SNAPSHOT_CACHE_JS)
        assert not any(build in url for urls in stored.values() for url in urls), stored
        assert browser_run(page, LANDSCAPE_SPEC)["digest"] == native
    finally:
        context.close()
    assert watch.console_errors == [], watch.console_errors


# Every Worker the page constructs, in order, with the script that was running.
COUNT_WORKERS_JS = """
window.__workers = [];
const NativeWorker = window.Worker;
window.Worker = function (url, options) {
    window.__workers.push({name: (options && options.name) || '', modules: !!window.descentlab});
    return new NativeWorker(url, options);
};
window.Worker.prototype = NativeWorker.prototype;
"""


def test_worker_starts_from_the_first_script_and_is_adopted(browser, server, dist):
    """index.html's first script starts the main worker before app.js and the views load;
    api.js adopts that one (no second main worker) with the loading messages it sent meanwhile."""
    from conftest import PageWatch, wait_until_ready
    build = json.loads((dist / "build-info.json").read_text())["build"]
    watch = PageWatch()
    context = browser.new_context(service_workers="block")
    try:
        context.add_init_script(COUNT_WORKERS_JS + RECORD_PROGRESS_JS)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and watch.console_errors.append(m.text))
        page.goto(server)
        wait_until_ready(page)
        workers = page.evaluate("() => window.__workers")
        main = [w for w in workers if w["name"].split("@")[0] == "descentlab"]
        assert main == [{"name": f"descentlab@{build}", "modules": False}], workers
        # the message the worker sent first (before api.js existed) reached the page
        first = page.evaluate("() => window.__progress[0]")
        assert first["stage"] == "runtime" and first["fraction"] == 0, first
        assert page.evaluate("() => window.DESCENTLAB_EARLY_WORKER") is None
    finally:
        context.close()
    assert watch.console_errors == [], watch.console_errors


def test_pool_run_uses_the_free_worker_and_matches_native(page):
    """run(spec, {pool: true}) goes to the pool's ready worker with the fewest requests in
    flight; the result is the same bits whichever worker computes it."""
    native_digest = descentlab.run(copy.deepcopy(LANDSCAPE_SPEC))["digest"]
    assert page.evaluate("() => window.descentlab.poolRun") is True
    page.evaluate("(s) => window.descentlab.runParallel(s)", LANDSCAPE_SPEC)   # starts the helpers
    page.wait_for_function("() => window.descentlab.poolSize >= 2", timeout=180_000)
    out = page.evaluate("""async (s) => {
        let toHelpers = 0;
        for (const w of window.descentlab._helperWorkers) {
            const post = w.postMessage.bind(w);
            w.postMessage = (m) => { if (m && m.type === 'run') toHelpers += 1; post(m); };
        }
        const runs = [0, 1, 2, 3].map(() => window.descentlab.run(s, {pool: true}));
        return {digests: (await Promise.all(runs)).map((r) => r.digest), toHelpers};
    }""", LANDSCAPE_SPEC)
    assert out["digests"] == [native_digest] * 4
    assert out["toHelpers"] >= 1, out   # four at once: not all on the main worker
