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

# Long enough that it is still running when cancelled (1000 epoch chunks).
LONG_NETWORK_SPEC = {
    "kind": "network",
    "dataset": {"name": "moons", "n": 400, "noise": 0.2, "seed": 0},
    "model": {"hidden": [16, 16], "activation": "tanh"},
    "loss": "cross_entropy",
    "batch_size": 32,
    "epochs": 1000,
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
    # Everything came from our server, the worker's wasm and wheels included.
    fetched = {u.rsplit("/", 1)[-1] for u in page_watch.requests}
    assert {"pyodide.asm.wasm", "pyodide-lock.json", "worker.js"} <= fetched, fetched
    assert any(name.startswith("numpy-") for name in fetched), fetched
    assert any(name.startswith("descentlab-") and name.endswith(".whl") for name in fetched), fetched
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
            window.__t = {};
            window.__outcome = null;
            window.descentlab.run(spec, {onProgress: () => { window.__progress += 1; }})
                .then(() => { window.__outcome = {kind: "finished"}; },
                      (e) => { window.__t.settled = performance.now(); window.__outcome = {kind: e.kind}; });
        }""",
        LONG_NETWORK_SPEC,
    )
    page.wait_for_function("() => window.__progress >= 2", timeout=60_000)
    page.evaluate("() => { window.__t.cancel = performance.now(); window.descentlab.cancel(); }")
    page.wait_for_function("() => window.__outcome !== null", timeout=10_000)
    outcome = page.evaluate("() => window.__outcome")
    assert outcome == {"kind": "Cancelled"}
    took_ms = page.evaluate("() => window.__t.settled - window.__t.cancel")
    assert took_ms < 3000, f"cancel took {took_ms:.0f} ms"
    # A good run still works after the cancel.
    assert browser_run(page, LANDSCAPE_SPEC)["digest"] == descentlab.run(copy.deepcopy(LANDSCAPE_SPEC))["digest"]


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
    page.wait_for_function("() => window.__outcome !== null", timeout=10_000)
    assert page.evaluate("() => window.__outcome") == "WorkerRestarted"
    notice = page.locator("#notice")
    notice.wait_for(state="visible", timeout=5_000)
    assert "The computation worker stopped and was restarted." in notice.inner_text()
    # The new worker loads and computes the same numbers.
    assert page.evaluate("() => window.descentlab.ready")["version"] == descentlab.__version__
    assert browser_run(page, LANDSCAPE_SPEC)["digest"] == descentlab.run(copy.deepcopy(LANDSCAPE_SPEC))["digest"]
    page.locator("#loading").wait_for(state="hidden", timeout=5_000)


def test_tampered_wheel_is_refused(browser, server, dist):
    """Pyodide fetches each wheel with the lock's sha256 as integrity: a changed byte stops the load."""
    wheel = next(dist.glob("descentlab-*.whl"))
    tampered = bytearray(wheel.read_bytes())
    tampered[-10] ^= 0xFF
    context = browser.new_context()
    try:
        context.route("**/descentlab-*.whl", lambda route: route.fulfill(
            status=200, body=bytes(tampered), content_type="application/octet-stream"))
        page = context.new_page()
        page.goto(server)
        page.wait_for_selector("#loading-error:not([hidden])", timeout=90_000)
        assert page.evaluate("() => window.descentlab.loadState.stage") == "descentlab"
        assert "Descent Lab failed" in page.locator("#loading-stage").inner_text()
        out = page.evaluate(SETTLE_JS, [LANDSCAPE_SPEC, 10_000])
        assert out["ok"] is False and "descentlab" in out["message"]
    finally:
        context.close()
