"""Learner code in the page: it runs in the code worker only, races bit for bit, is stopped
when it loops, and can reach neither the network nor storage (issue #14, section 2)."""
from __future__ import annotations

import copy
import http.server
import shutil
import threading

import numpy as np
import pytest

import descentlab
from descentlab.optimizers.copy import source_copy

TINY = ("def init(params):\n    return (0,)\n\n"
        "def update(grads, state, params, lr=0.01):\n    return -lr * grads, state\n")
BOOTH = {"kind": "landscape", "function": "booth", "steps": 30}


def custom(code, **more):
    return {"name": "custom", "label": "Mine", "code": code, **more}


def with_update_body(body: str) -> str:
    """TINY with `body` (lines of four-space-indented code) run first in update, at line 5 on."""
    return TINY.replace("    return -lr * grads, state", body + "\n    return -lr * grads, state")


# Settles descentlab.run / callCode as a plain object, so a rejection can be read from Python.
SETTLE_JS = """async ([how, args]) => {
    try {
        const result = await (how === "run" ? window.descentlab.run(args[0])
            : how === "runParallel" ? window.descentlab.runParallel(args[0])
            : window.descentlab.callCode(...args));
        return {ok: true, result};
    } catch (e) {
        return {ok: false, kind: e.kind || null, field: e.field === undefined ? null : e.field,
                message: String(e.message)};
    }
}"""

# The float64 bytes of every run's path, as hex, computed in the page.
PATH_HEX_JS = """async (spec) => {
    const result = await window.descentlab.run(spec);
    const hex = (rows) => Array.from(new Uint8Array(new Float64Array(rows.flat()).buffer),
                                     (b) => b.toString(16).padStart(2, "0")).join("");
    return {digest: result.digest, paths: result.runs.map((r) => hex(r.path))};
}"""


def settle(page, how, *args):
    return page.evaluate(SETTLE_JS, [how, list(args)])


def native_hex(path) -> str:
    return np.asarray(path, dtype="<f8").tobytes().hex()


@pytest.fixture
def code_events(page):
    """The "descentlab:code-worker" events the page saw, as a function returning them."""
    page.evaluate("""() => { window.__codeEvents = [];
        window.addEventListener("descentlab:code-worker", (e) => window.__codeEvents.push(e.detail)); }""")
    return lambda: page.evaluate("() => window.__codeEvents")


def test_a_copy_of_adam_races_in_the_code_worker_bit_for_bit(page, code_events):
    spec = {**BOOTH, "function": "rosenbrock", "start": [-1.5, 2.0], "steps": 400,
            "optimizers": [{"name": "adam", "lr": 0.05}, custom(source_copy("adam"), hyper={"lr": 0.05})]}
    native = descentlab.run(copy.deepcopy(spec), allow_code=True)
    builtin_only = descentlab.run({**spec, "optimizers": spec["optimizers"][:1]})
    assert page.evaluate("() => window.descentlab._codeWorker") is None  # started on the first request only
    got = page.evaluate(PATH_HEX_JS, spec)
    assert got["paths"][1] == got["paths"][0] == native_hex(builtin_only["runs"][0]["path"])
    assert got["paths"][1] == native_hex(native["runs"][1]["path"])
    assert got["digest"] == native["digest"]
    assert [e["state"] for e in code_events()] == ["loading", "ready"]
    # runParallel sends it to the code worker too (the same runs, no digest)
    par = settle(page, "runParallel", spec)
    assert par["ok"] and len(par["result"]["runs"]) == 2
    assert par["result"]["runs"][1]["path"] == par["result"]["runs"][0]["path"]
    # validating a spec with learner code happens in the code worker too
    checked = page.evaluate("""(spec) => window.descentlab.call("validate", spec)""", spec)
    assert checked["optimizers"][1]["name"] == "custom" and checked["optimizers"][1]["params"]["lr"] == 0.05
    described = settle(page, "callCode", "learner_describe", source_copy("adam"))
    assert described == {"ok": True, "result": {"hyper": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                                          "weight_decay": 0.0, "amsgrad": False},
                                                "error": None}} or described["result"]["error"] is None
    assert settle(page, "callCode", "learner_describe", "import js\n")["result"]["error"] == {
        "line": 1, "message": "import js is not available in your code: it runs without network or page access"}
    assert settle(page, "callCode", "list_catalog")["ok"] is False


def test_exercises_check_in_the_code_worker(page):
    skeleton = next(e for e in descentlab.exercises.list() if e["id"] == "sgd")["skeleton"]
    todo = settle(page, "callCode", "exercises_check", "sgd", skeleton)
    assert todo["ok"] and todo["result"]["passed"] is False and todo["result"]["line"] is not None
    source = ("def init(params):\n    return (0,)\n\n"
              "def update(grads, state, params, lr=0.01, weight_decay=0.0):\n"
              "    g = grads + weight_decay * params\n    return -lr * g, state\n")
    assert settle(page, "callCode", "exercises_check", "sgd", source)["result"] == {
        **descentlab.exercises.check("sgd", source), "line": None}


def test_endless_loops_are_stopped_and_the_lab_recovers(page, code_events):
    # a Python loop: the in-Python budget stops it, naming the learner's line
    looped = settle(page, "run", {**BOOTH, "optimizers": [custom(with_update_body("    while True:\n        pass"))]})
    assert looped["ok"] is False and looped["kind"] == "SpecError" and looped["field"] == "optimizers[0].code"
    assert ("line 5:" in looped["message"] or "line 6:" in looped["message"]) and "endless loop" in looped["message"]
    # a loop inside one C call escapes the budget: the page's watchdog stops the worker
    stuck = settle(page, "run", {**BOOTH, "optimizers": [custom(with_update_body("    sum(range(10 ** 13))"))]})
    assert stuck["ok"] is False and stuck["kind"] == "CodeTimeout", stuck
    assert "was stopped" in stuck["message"] and "still usable" in stuck["message"]
    assert [e["state"] for e in code_events()][-2:] == ["restarted", "loading"]
    # the fresh code worker and the main worker both still answer
    spec = {**BOOTH, "optimizers": [{"name": "sgd", "lr": 0.01}, custom(TINY)]}
    again = settle(page, "run", spec)
    assert again["ok"], again
    assert again["result"]["digest"] == descentlab.run(copy.deepcopy(spec), allow_code=True)["digest"]
    assert settle(page, "run", {**BOOTH, "optimizers": [{"name": "adam"}]})["ok"]
    assert code_events()[-1]["state"] == "ready"


def test_a_code_worker_run_can_be_cancelled(page):
    spec = {**BOOTH, "function": "rosenbrock", "steps": 5000,
            "optimizers": [custom(source_copy("adam")) for _ in range(4)]}
    out = page.evaluate("""async (spec) => {
        const dl = window.descentlab;
        let cancelled = false;
        const p = dl.run(spec, {onProgress: () => { if (!cancelled) { cancelled = true; dl.cancel(p); } }});
        try { await p; return "finished"; } catch (e) { return e.kind; }
    }""", spec)
    assert out == "Cancelled"
    # a run stuck inside one C call cannot see the cancel: the worker is stopped for it
    stuck = {**BOOTH, "optimizers": [custom(with_update_body("    sum(range(10 ** 13))"))]}
    out = page.evaluate("""async (spec) => {
        const dl = window.descentlab;
        await dl.startCode();
        const p = dl.run(spec);
        dl.cancel(p);
        try { await p; return "finished"; } catch (e) { return e.kind; }
    }""", stuck)
    assert out == "Cancelled"
    assert settle(page, "run", {**BOOTH, "optimizers": [custom(TINY)]})["ok"]


class Canary:
    """A server of its own that records every request it gets (it answers 200)."""

    def __init__(self):
        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server name
                seen.append(self.path)
                self.send_response(200)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(b"canary")

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/canary"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def canary():
    c = Canary()
    yield c
    c.close()


# Learner code that looks for sys through object.__subclasses__() and imports js with the
# real builtins from it: Python cannot be walled in, so the worker's JavaScript must be.
FIND_SYS = ("    found = None\n"
            "    for c in ().__class__.__base__.__subclasses__():\n"
            "        g = getattr(c.__dict__.get('__init__'), '__globals__', None)\n"
            "        if g and 'sys' in g:\n"
            "            found = g['sys']\n"
            "            break\n"
            "    js = found.modules['builtins'].__import__('js')\n")
PYTHON_REFUSES = "is not available in your code: it runs without network or page access"
JS_REFUSES = "is not available here: learner code runs without network or storage"

# name -> (update's first lines, words of the error)
ESCAPES = {
    "import js": ("    import js\n    js.fetch('{url}')", f"import js {PYTHON_REFUSES}"),
    "from pyodide.http": ("    from pyodide.http import open_url\n    open_url('{url}')", f"import pyodide {PYTHON_REFUSES}"),
    "__import__": ("    __import__('js').fetch('{url}')", f"import js {PYTHON_REFUSES}"),
    "fetch": (FIND_SYS + "    js.fetch('{url}')", f"fetch {JS_REFUSES}"),
    "fetch via the prototype": (FIND_SYS + "    js.WorkerGlobalScope.prototype.fetch.call(js, '{url}')",
                                f"fetch {JS_REFUSES}"),
    "XMLHttpRequest": (FIND_SYS + "    x = js.XMLHttpRequest.new()\n    x.open('GET', '{url}', False)\n    x.send()",
                       f"XMLHttpRequest {JS_REFUSES}"),
    "importScripts": (FIND_SYS + "    js.importScripts('{url}')", f"importScripts {JS_REFUSES}"),
    "WebSocket": (FIND_SYS + "    js.WebSocket.new('{url}'.replace('http', 'ws'))", f"WebSocket {JS_REFUSES}"),
    "EventSource": (FIND_SYS + "    js.EventSource.new('{url}')", f"EventSource {JS_REFUSES}"),
    "FontFace": (FIND_SYS + "    js.FontFace.new('x', 'url({url})').load()", f"FontFace {JS_REFUSES}"),
    "Worker": (FIND_SYS + "    js.Worker.new('{url}')", f"Worker {JS_REFUSES}"),
    "eval import()": (FIND_SYS + "    js.eval(\"import('{url}')\")", f"eval {JS_REFUSES}"),
    "Function import()": (FIND_SYS + "    js.setTimeout.constructor(\"return import('{url}')\")()",
                          f"new Function(source) {JS_REFUSES}"),
    "Pyodide's own Function": (FIND_SYS + "    found.modules['pyodide_js']._api.tests.Function(\"return import('{url}')\")()",
                               f"new Function(source) {JS_REFUSES}"),
    "setTimeout text": (FIND_SYS + "    js.setTimeout(\"import('{url}')\", 0)", f"setTimeout with source text {JS_REFUSES}"),
    "open_url past the guard": (FIND_SYS + "    found.modules['builtins'].__import__('pyodide.http').http.open_url('{url}')",
                                JS_REFUSES),
    "indexedDB": (FIND_SYS + "    js.indexedDB.open('descentlab-canary')", f"indexedDB {JS_REFUSES}"),
    "caches": (FIND_SYS + "    js.caches.open('descentlab-canary')", f"caches {JS_REFUSES}"),
    "navigator.storage": (FIND_SYS + "    js.navigator.storage.getDirectory()", f"storage {JS_REFUSES}"),
}


def test_learner_code_reaches_neither_network_nor_storage(page, page_watch, canary):
    # one page for all the attempts (each would otherwise load two Pyodides)
    for name, (body, words) in ESCAPES.items():
        code = with_update_body(body.format(url=canary.url))
        out = settle(page, "run", {**BOOTH, "steps": 3, "optimizers": [custom(code)]})
        assert out["ok"] is False and out["kind"] == "SpecError" and out["field"] == "optimizers[0].code", (name, out)
        assert "update at step 1: line " in out["message"] and words in out["message"], (name, out)
    # the code worker is the same one throughout (no crash, no restart) and still runs code
    assert settle(page, "run", {**BOOTH, "optimizers": [custom(TINY)]})["ok"]
    assert settle(page, "run", {**BOOTH, "optimizers": [{"name": "adam"}]})["ok"]
    # nothing reached the canary, neither by the page's count nor by the canary's own
    assert canary.seen == []
    assert not [u for u in page_watch.requests if "canary" in u]


def test_the_main_worker_refuses_learner_code_by_name(page):
    # a request that reaches the main worker anyway (posted around the API) is refused by
    # name, and nothing of the code runs there; the API itself sends it to the code worker
    spec = {**BOOTH, "optimizers": [custom("import js\n" + TINY)]}
    refused = page.evaluate("""(spec) => window.descentlab._postRaw({id: "raw", type: "run", spec})""", spec)
    assert refused["type"] == "error" and refused["error"]["field"] == "optimizers[0].code"
    assert "allow" in refused["error"]["message"]
    out = settle(page, "run", spec)
    assert out["field"] == "optimizers[0].code" and "line 1: import js is not available" in out["message"]
    # hasCode finds learner code in every place a spec can hold it
    found = page.evaluate("""([entry]) => [
        {kind: "landscape", optimizers: [{name: "adam"}, entry]},
        {kind: "network", optimizers: [entry]},
        {kind: "projection", network: {kind: "network", optimizers: [entry]}},
        {kind: "landscape", optimizers: [{name: "adam"}]},
        {kind: "network", dataset: {name: "custom"}, optimizers: [{name: "sgd"}]},
    ].map((s) => window.descentlab.hasCode(s))""", [custom(TINY)])
    assert found == [True, True, True, False, False]


def test_the_single_file_app_starts_its_code_worker_from_the_blob(opened, dist, tmp_path):
    # dist/descentlab.html opened from disk: the code worker is the same Blob URL, named
    spec = {**BOOTH, "optimizers": [{"name": "adam", "lr": 0.05}, custom(source_copy("adam"), hyper={"lr": 0.05})]}
    path = tmp_path / "descentlab.html"
    shutil.copy(dist / "descentlab.html", path)
    page = opened(path.as_uri() + "#landscape")
    got = page.evaluate(PATH_HEX_JS, spec)
    assert got["paths"][1] == got["paths"][0]
    assert got["digest"] == descentlab.run(copy.deepcopy(spec), allow_code=True)["digest"]
    blocked = settle(page, "run", {**BOOTH, "optimizers": [custom(with_update_body(FIND_SYS + "    js.fetch('x')"))]})
    assert blocked["kind"] == "SpecError" and f"fetch {JS_REFUSES}" in blocked["message"], blocked
